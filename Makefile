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

.PHONY: demo test molecule venv collection build testbed unit integration sanity lint changelog-lint bench clean

demo: venv collection
	tests/testbed/up.sh packages engine
	$(BIN)/ansible-playbook -i localhost, -c local playbooks/demo.yml

test: venv collection build testbed unit integration sanity lint molecule

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

unit: venv collection
	$(BIN)/pytest -q tests/unit

# Two workers (pytest-xdist), each taking whole test files; what that asks of the tests is in
# tests/README.md. INTEGRATION_ARGS adds pytest options, e.g. INTEGRATION_ARGS="-n 0" runs serially.
integration: venv collection
	$(BIN)/pytest -q -n 2 --dist loadfile --no-loadscope-reorder $(INTEGRATION_ARGS) tests/integration

# ansible-test wants the collection at ansible_collections/<ns>/<name>, and a pip bootstrap
# script it cannot download here: a stand-in that uses ensurepip goes into its cache.
sanity: venv
	mkdir -p $(HOME)/.ansible/test/cache
	for v in 24_2 25_0 25_1 25_2; do cp tests/testbed/get_pip.py $(HOME)/.ansible/test/cache/get_pip_$$v.py; done
	rm -rf $(SANITY_ROOT) && mkdir -p $(SANITY_ROOT)
	tar --exclude-vcs --exclude=./.venv --exclude=./.collections --exclude=./.build --exclude=./.sanity \
	    --exclude=./tests/output --exclude=./.pytest_cache --exclude=./.hypothesis --exclude=__pycache__ \
	    -cf - . | tar -C $(SANITY_ROOT) -xf -
	cd $(SANITY_ROOT) && $(BIN)/ansible-test sanity --local --python 3.11 --color no $(SANITY_ARGS)

lint: venv collection changelog-lint
	$(BIN)/ansible-lint --profile production

changelog-lint: venv
	$(BIN)/antsibull-changelog lint

# Molecule runs from each role's directory (from the collection root it only looks in
# extensions/molecule); the scenarios find .venv and .collections relative to the role.
ROLES_WITH_MOLECULE := $(patsubst %/molecule,%,$(wildcard roles/*/molecule))

molecule: venv collection testbed
	for role in $(ROLES_WITH_MOLECULE); do (cd $$role && $(BIN)/molecule test --all) || exit 1; done

bench: venv collection testbed
	$(BIN)/python bench/run.py

clean:
	rm -rf .venv .collections .build .sanity tests/output .pytest_cache .hypothesis
