"""The guide "Migrating from community.docker" names only what exists, and its tasks validate.

Every kapal.docker plugin it links is a plugin of the collection, every kapal.docker option it
names is an option of that module (or of the engine options), and its play's tasks validate
against their modules' argument specs (tests/unit/plugins/modules/test_examples.py's helpers).
"""

import os
import re

import yaml

from ansible_collections.kapal.docker.plugins.module_utils._container.options import argument_spec
from ansible_collections.kapal.docker.plugins.module_utils._engine import ENGINE_OPTIONS
from tests.conftest import ROOT
from tests.unit.plugins.modules.test_examples import module_spec, tasks_of, validation_errors

GUIDE = os.path.join(ROOT, "docs", "docsite", "rst", "migrating.rst")
PLUGIN_DIRS = {"module": "modules", "connection": "connection", "inventory": "inventory"}


def _guide():
    with open(GUIDE) as handle:
        return handle.read()


def test_every_linked_plugin_exists():
    links = re.findall(r":ansplugin:`kapal\.docker\.(\w+)#(\w+)`", _guide())
    assert len(links) >= 20
    for name, kind in links:
        assert os.path.exists(os.path.join(ROOT, "plugins", PLUGIN_DIRS[kind], name + ".py")), (name, kind)


def test_every_module_of_the_collection_is_in_the_table():
    text = _guide()
    for name in os.listdir(os.path.join(ROOT, "plugins", "modules")):
        if name.endswith(".py"):
            assert ":ansplugin:`kapal.docker.%s#module`" % name[:-3] in text, name


def test_named_engine_and_container_options_exist():
    text = _guide()
    engine = re.search(r"have the same names: (.*?)\nwith the same", text, re.S).group(1)
    named = re.findall(r"``(\w+)``", engine)
    assert len(named) == 8 and set(named) <= set(ENGINE_OPTIONS), named
    container = argument_spec()
    known = set(container)
    for entry in container.values():
        known.update(entry.get("aliases") or [])
    for option in ("published_ports", "ports", "wait", "wait_timeout", "pull"):
        assert option in known, option


def test_the_play_validates(monkeypatch):
    block = re.search(r"\.\. code-block:: yaml\+jinja\n\n((?:  .*\n|\n)+)", _guide()).group(1)
    play = yaml.safe_load(block)[0]
    assert "group/kapal.docker.docker" in play["module_defaults"]
    for task, _defaults in tasks_of(play["tasks"]):
        module = next(key for key in task if key.startswith("kapal.docker."))
        spec, kwargs = module_spec(module.split(".")[-1], monkeypatch)
        params = dict(play["module_defaults"]["group/kapal.docker.docker"], **task[module])
        assert validation_errors(spec, kwargs, params) == [], task
