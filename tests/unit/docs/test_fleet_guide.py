"""The guide "Provisioning a fleet" names what exists: its inventory is YAML with the groups and
variables site.yml reads, and its commands run playbooks of the collection with their tags."""

import os
import re

import yaml

from tests.conftest import ROOT

GUIDE = os.path.join(ROOT, "docs", "docsite", "rst", "fleet.rst")


def _guide():
    with open(GUIDE) as handle:
        return handle.read()


def _block(kind):
    match = re.search(r"^\.\. code-block:: %s\n\n((?:  .*\n|\n)+)" % re.escape(kind), _guide(), re.M)
    return re.sub(r"^  ", "", match.group(1), flags=re.M)


def test_the_inventory_has_what_site_reads():
    inventory = yaml.safe_load(_block("yaml+jinja"))["all"]
    with open(os.path.join(ROOT, "playbooks", "site.yml")) as handle:
        site = handle.read()
    assert set(inventory["children"]) == {"docker_hosts", "registry_hosts"}
    for name in ("registry_hosts", "site_images", "docker_hosts"):
        assert name in site, name
    assert inventory["vars"]["engine_daemon_config"]["insecure-registries"] == ["{{ fleet_registry }}"]
    for host in inventory["children"]["registry_hosts"]["hosts"]:
        assert host in inventory["children"]["docker_hosts"]["hosts"]


def test_the_commands_run_playbooks_and_tags_that_exist():
    commands = _block("console")
    playbooks = re.findall(r"kapal\.docker\.(\w+)", commands)
    assert set(playbooks) == {"site", "status", "rollout"}
    for name in playbooks:
        assert os.path.exists(os.path.join(ROOT, "playbooks", name + ".yml")), name
    with open(os.path.join(ROOT, "playbooks", "site.yml")) as handle:
        site = handle.read()
    for tags in re.findall(r"--skip-tags (\S+)", commands):
        for tag in tags.split(","):
            assert re.search(r"tags: \[[^\]]*\b%s\b" % tag, site), tag
    with open(os.path.join(ROOT, "playbooks", "rollout.yml")) as handle:
        rollout = handle.read()
    for variable in re.findall(r"-e (rollout_\w+)=", commands):
        assert variable in rollout, variable
