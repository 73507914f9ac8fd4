# kapal.docker: the two commands a newcomer needs are `make demo` and `make test`.
# Each does its own set-up: the venv from pinned requirements, the collection installed into
# .collections (so FQCNs resolve), and the test bed (engine, registries, images).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
COLLECTIONS := $(CURDIR)/.collections
SANITY_ROOT := $(or $(TMPDIR),/tmp)/kapal-docker-sanity/ansible_collections/kapal/docker

export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_HOST_KEY_CHECKING := false
export ANSIBLE_NOCOLOR := true
export ANSIBLE_PYTHON_INTERPRETER := $(BIN)/python
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo test checks molecule venv collection build testbed hosts clean-hosts unit integration compat sanity lint changelog-lint bench clean \
	core-matrix smoke docs playbook-docs

demo: venv collection
	tests/testbed/up.sh packages engine
	$(BIN)/ansible-playbook -i localhost, -c local playbooks/demo.yml

# The integration tests (two xdist workers) run beside the other checks (`checks`: the older
# ansible-core releases, sanity, lint, molecule, one after another): both are mostly waiting on
# engines and hosts, so the machine's two cores serve both. The checks' output goes to
# .build/checks.log and is printed when both are done; each phase prints the time it started. The
# last lines name what failed (tests.integration.failures): CI's report shows only the log's tail.
test: venv collection build testbed unit docs
	@echo "== test: integration beside core-matrix, sanity, lint, molecule ($$(date +%T))"
	status=0; \
	$(MAKE) --no-print-directory checks > .build/checks.log 2>&1 & checks=$$!; \
	$(MAKE) --no-print-directory integration || status=$$?; \
	wait $$checks || status=1; \
	echo "== checks (core-matrix, sanity, lint, molecule), from .build/checks.log:"; cat .build/checks.log; \
	$(BIN)/python -m tests.integration.failures tests/output/integration.xml .build/checks.log || true; \
	echo "== test: done ($$(date +%T)), status $$status"; exit $$status

checks: core-matrix sanity lint molecule

venv: $(VENV)/.stamp

$(VENV)/.stamp: requirements/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements/requirements.txt
	touch $@

# The collection is installed as a link to this checkout, so tests and playbooks always run the
# code as it is now; `build` checks that the Galaxy artifact builds and installs.
collection:
	mkdir -p $(COLLECTIONS)/ansible_collections/kapal
	ln -sfn $(CURDIR) $(COLLECTIONS)/ansible_collections/kapal/docker

build: venv
	rm -rf .build
	$(BIN)/ansible-galaxy collection build --force --output-path .build >/dev/null
	$(BIN)/ansible-galaxy collection install --force -p .build/installed .build/kapal-docker-*.tar.gz >/dev/null
	test -f .build/installed/ansible_collections/kapal/docker/plugins/modules/engine_info.py

testbed:
	tests/testbed/up.sh

# Fresh Debian hosts of the test bed, for trying roles and playbooks by hand (README: "The test
# bed's fresh hosts"): make hosts GROUP=try RELEASES="12 13 14" COUNT=1 writes an inventory to
# /var/lib/kapal-testbed/hosts/$(GROUP).yml. clean-hosts removes every fresh host of this machine.
GROUP ?= try
RELEASES ?= 12 13 14
COUNT ?= 1
hosts: testbed
	python3 tests/testbed/hosts.py up $(GROUP) --release $(RELEASES) --count $(COUNT) >/dev/null
	python3 tests/testbed/hosts.py list

clean-hosts:
	python3 tests/testbed/engines.py down
	python3 tests/testbed/hosts.py down --all

unit: venv collection
	$(BIN)/pytest -q tests/unit

# Two workers (pytest-xdist), each taking whole test files; what that asks of the tests is in
# tests/README.md. INTEGRATION_ARGS adds pytest options, e.g. INTEGRATION_ARGS="-n 0" runs serially.
integration: venv collection docs
	@echo "== integration: started $$(date +%T)"
	rm -f tests/output/integration.xml
	$(BIN)/pytest -q -n 2 --dist loadfile --no-loadscope-reorder --durations=15 \
	    --junitxml=tests/output/integration.xml $(INTEGRATION_ARGS) tests/integration
	$(MAKE) --no-print-directory compat

# README.md's compatibility table (module and plugin x engine) from what the last run of
# tests/integration/test_engines.py recorded in tests/output/compat.json. The engines themselves:
# `.venv/bin/python tests/testbed/engines.py up|list|down` (the tests bring them up when needed).
compat: venv
	$(BIN)/python docs/tools/compat_table.py

# ansible-test wants the collection at ansible_collections/<ns>/<name>, and a pip bootstrap
# script it cannot download here: a stand-in that uses ensurepip goes into its cache.
sanity: venv
	@echo "== sanity: started $$(date +%T)"
	mkdir -p $(HOME)/.ansible/test/cache
	for v in 24_2 25_0 25_1 25_2; do cp tests/testbed/get_pip.py $(HOME)/.ansible/test/cache/get_pip_$$v.py; done
	rm -rf $(SANITY_ROOT) && mkdir -p $(SANITY_ROOT)
	tar --exclude-vcs --exclude=./.venv --exclude="./.venv-*" --exclude=./.collections --exclude=./.build --exclude=./.sanity \
	    --exclude=./tests/output --exclude=./.pytest_cache --exclude=./.hypothesis --exclude=__pycache__ \
	    -cf - . | tar -C $(SANITY_ROOT) -xf -
	cd $(SANITY_ROOT) && $(BIN)/ansible-test sanity --local --python 3.11 --color no $(SANITY_ARGS)

lint: venv collection changelog-lint
	@echo "== lint: started $$(date +%T)"
	$(BIN)/ansible-lint --profile production

changelog-lint: venv
	$(BIN)/antsibull-changelog lint

# Molecule runs from each role's directory (from the collection root it only looks in
# extensions/molecule); the scenarios find .venv and .collections relative to the role.
ROLES_WITH_MOLECULE := $(patsubst %/molecule,%,$(wildcard roles/*/molecule))

molecule: venv collection testbed
	@echo "== molecule: started $$(date +%T)"
	for role in $(ROLES_WITH_MOLECULE); do (cd $$role && $(BIN)/molecule test --all) || exit 1; done

# The older ansible-core releases the collection supports (meta/runtime.yml requires_ansible):
# each has its own venv, .venv-<version>, from requirements/core-<version>.txt. core-matrix runs
# the unit tests on each, and the smoke play (tests/smoke/smoke.yml: every module and plugin once,
# against the real engine) on each and on the main venv's ansible-core, the three in parallel.
CORE_VERSIONS := 2.17 2.18
CORE_TARGETS := $(addprefix core-,$(CORE_VERSIONS))
SMOKE := ansible-playbook -i localhost, -c local tests/smoke/smoke.yml
.PHONY: $(CORE_TARGETS)

core-matrix: collection testbed $(foreach v,$(CORE_VERSIONS),.venv-$(v)/.stamp)
	@echo "== core-matrix: started $$(date +%T)"
	$(MAKE) --no-print-directory -j$(words $(CORE_VERSIONS) smoke) -Otarget smoke $(CORE_TARGETS)

.venv-%/.stamp: requirements/core-%.txt
	test -x .venv-$*/bin/python || $(PYTHON) -m venv .venv-$*
	.venv-$*/bin/pip install -q -r requirements/core-$*.txt
	touch $@

$(CORE_TARGETS): core-%: .venv-%/.stamp collection
	@echo "== ansible-core $*: unit tests and smoke play"
	.venv-$*/bin/pytest -q -p no:cacheprovider tests/unit
	ANSIBLE_PYTHON_INTERPRETER=$(CURDIR)/.venv-$*/bin/python .venv-$*/bin/$(SMOKE)

smoke: venv collection
	@echo "== ansible-core of .venv: smoke play"
	$(BIN)/$(SMOKE)

# The documentation site (HTML, .build/docs/html/index.html) built with antsibull-docs and Sphinx
# in their own venv (.venv-docs, requirements/docs.txt): every module, plugin and role, the extra
# pages of docs/docsite/ (guides, and a page per playbook generated from it by
# docs/tools/playbook_pages.py: `make playbook-docs` after changing a playbook), with the Sphinx
# configuration of docs/sphinx/. Any broken reference or RST error fails it; it is rebuilt only
# when a source changed.
DOCS := $(CURDIR)/.build/docs
DOCS_BIN := $(CURDIR)/.venv-docs/bin
DOCS_SOURCES := $(shell find plugins roles/*/meta playbooks docs -type f -not -name '*.pyc' 2>/dev/null) \
	galaxy.yml meta/runtime.yml

docs: $(DOCS)/.stamp

.venv-docs/.stamp: requirements/docs.txt
	test -x .venv-docs/bin/python || $(PYTHON) -m venv .venv-docs
	.venv-docs/bin/pip install -q -r requirements/docs.txt
	touch $@

$(DOCS)/.stamp: .venv-docs/.stamp $(DOCS_SOURCES) | collection
	$(DOCS_BIN)/python docs/tools/playbook_pages.py --check
	PATH=$(DOCS_BIN):$$PATH antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs \
	    $(COLLECTIONS)/ansible_collections/kapal/docker
	rm -rf $(DOCS) && mkdir -p $(DOCS)/rst && chmod 0755 $(DOCS)/rst
	PATH=$(DOCS_BIN):$$PATH antsibull-docs --config-file docs/sphinx/antsibull-docs.cfg collection --use-current \
	    --squash-hierarchy --fail-on-error --cleanup everything --dest-dir $(DOCS)/rst kapal.docker >/dev/null
	$(DOCS_BIN)/python docs/tools/ansible_inventory.py $(DOCS)/ansible_devel.inv
	$(DOCS_BIN)/sphinx-build -b html -c docs/sphinx -W --keep-going -q -d $(DOCS)/doctrees $(DOCS)/rst $(DOCS)/html
	touch $@

playbook-docs: venv
	$(BIN)/python docs/tools/playbook_pages.py

bench: venv collection testbed
	$(BIN)/python bench/run.py

clean:
	rm -rf .venv .venv-2.* .venv-docs .collections .build .sanity tests/output .pytest_cache .hypothesis
