"""The guide "Compose projects with kapal.docker" shows what the collection does.

Its compose.yaml is read by the collection's own Compose reader (with a .env, as the page says) and
mapped to container parameters; its tasks validate against their modules' argument specs.
"""

import os
import re

import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.kapal.docker.plugins.module_utils._compose.load import load_project
from ansible_collections.kapal.docker.plugins.module_utils._compose.mapping import container_params
from tests.conftest import ROOT
from tests.unit.plugins.modules.test_examples import module_spec, tasks_of, validation_errors

GUIDE = os.path.join(ROOT, "docs", "docsite", "rst", "compose.rst")
BLOCK = re.compile(r"^\.\. code-block:: (yaml|yaml\+jinja)\n\n((?:  .*\n|\n)+)", re.M)


def _blocks(kind):
    with open(GUIDE) as handle:
        text = handle.read()
    return [re.sub(r"^  ", "", body, flags=re.M) for found, body in BLOCK.findall(text) if found == kind]


def test_the_compose_file_is_read_as_the_page_says(tmp_path):
    compose, _inventory = _blocks("yaml")
    assert compose.startswith("# /srv/shop/compose.yaml")
    (tmp_path / "compose.yaml").write_text(compose)
    (tmp_path / ".env").write_text("DB_PASSWORD=secret\n")
    project = load_project(project_src=str(tmp_path), project_name="shop")
    assert project.order == ("db", "web")
    assert [(d.service, d.condition) for d in project.services["web"].depends_on] == [("db", "service_healthy")]
    web = container_params(project, "web")
    db = container_params(project, "db")
    assert web["name"] == "shop-web-1" and web["published_ports"] == ["8080:80/tcp"]
    assert db["env"]["POSTGRES_PASSWORD"] == "secret"
    assert web["labels"]["com.docker.compose.project"] == "shop"


def test_the_tasks_validate(monkeypatch):
    tasks = [task for body in _blocks("yaml+jinja") for task in yaml.safe_load(body)]
    modules = set()
    for task, _defaults in tasks_of(tasks):
        module = next((key for key in task if key.startswith("kapal.docker.")), None)
        if module is None:
            continue
        modules.add(module)
        spec, kwargs = module_spec(module.split(".")[-1], monkeypatch)
        assert validation_errors(spec, kwargs, task[module]) == [], task
    assert modules == {"kapal.docker.compose"}


def test_the_service_roles_compose_entry_validates_against_the_roles_argument_spec():
    _compose, inventory = _blocks("yaml")
    assert inventory.startswith("# host_vars/")
    with open(os.path.join(ROOT, "roles", "service", "meta", "argument_specs.yml")) as handle:
        spec = yaml.safe_load(handle)["argument_specs"]["main"]["options"]
    result = ArgumentSpecValidator(spec).validate(yaml.safe_load(inventory))
    assert result.error_messages == []
    (entry,) = result.validated_parameters["service_definitions"]
    assert entry["compose"]["project_src"] == "/srv/shop" and entry["verify"][0]["port"] == 8080
