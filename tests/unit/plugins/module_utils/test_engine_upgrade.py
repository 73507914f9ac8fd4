"""Containers made on Docker 20.10 read the same on Docker 26.1 after their host's upgrade (issue #13).

The fixture is the real answer of a fresh Debian 12 host's engine (tests/integration/test_engine_upgrade.py):
the containers a kapal.docker.containers task made on Docker 20.10.24, inspected there, then inspected
again by Docker 26.1.5 once the host was upgraded in place to Debian 13's docker.io. Nothing may differ
for the planner: the task planned against either answer is changed=0, and every option reads the same.
"""

import json
import os

import pytest

from ansible_collections.kapal.docker.plugins.module_utils._container.options import OPTION_BY_NAME, OPTIONS
from ansible_collections.kapal.docker.plugins.module_utils._container.plan import Desired, Plan, plain, plan, same

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "engines", "docker-26.1",
                       "upgraded-from-20.10.json")

with open(FIXTURE) as _handle:
    RECORD = json.load(_handle)
NAMES = [item["name"] for item in RECORD["task"]["containers"]]


def _item(name):
    """The task's item for one container, with the task's defaults (as kapal.docker.containers merges them)."""
    item = next(item for item in RECORD["task"]["containers"] if item["name"] == name)
    return dict(RECORD["task"]["defaults"], **item)


def _inspect(engine, name):
    return next(inspect for inspect in RECORD[engine]["containers"] if inspect["Name"] == "/" + name)


def test_the_fixture_is_20_10_then_26_1():
    assert RECORD["before"]["version"]["Version"].startswith("20.10.")
    assert RECORD["after"]["version"]["Version"].startswith("26.1.")
    for name in NAMES:
        assert _inspect("before", name)["Id"] == _inspect("after", name)["Id"]


@pytest.mark.parametrize("engine", ["before", "after"])
@pytest.mark.parametrize("name", NAMES)
def test_the_task_plans_nothing_before_and_after_the_upgrade(engine, name):
    desired = Desired.from_params(_item(name))
    assert plan(desired, _inspect(engine, name), RECORD[engine]["image"]) == Plan("none")


@pytest.mark.parametrize("name", NAMES)
def test_every_option_reads_the_same_on_both_engines(name):
    before, after = _inspect("before", name), _inspect("after", name)
    for option in OPTIONS:
        if option.read is None:
            continue
        old, new = option.read(before), option.read(after)
        assert same(option.compare, old, new), "%s: 20.10 reports %r, 26.1 %r" % (option.name, plain(old), plain(new))


def test_the_aliases_docker_adds_are_not_the_task_s():
    """Docker 20.10 adds the container's short id and its hostname to its aliases on a user network; 26.1
    keeps them in the Aliases of the containers 20.10 made. They read as the task gave them."""
    web = NAMES[0]
    networks = OPTION_BY_NAME["networks"]
    for engine in ("before", "after"):
        current = _inspect(engine, web)
        endpoint = next(iter(current["NetworkSettings"]["Networks"].values()))
        assert current["Config"]["Hostname"] in endpoint["Aliases"]
        given = _item(web)["networks"]
        assert [network["aliases"] for network in networks.read(current)] == [sorted(n["aliases"]) for n in given]
        # An alias that is the hostname too is there whether the task gives it or not.
        with_hostname = [dict(network, aliases=network["aliases"] + [current["Config"]["Hostname"]],
                              ipv4_address=network.get("ipv4_address")) for network in given]
        expected = networks.expected(networks.parse(with_hostname), RECORD[engine]["image"], {}, current)
        assert same(networks.compare, expected, networks.read(current))
