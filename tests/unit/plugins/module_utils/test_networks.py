"""Networks: address pools, what differs, the plan, and when attached containers stand in the way."""

import pytest

from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError
from ansible_collections.kapal.docker.plugins.module_utils._networks import (
    Endpoint,
    NetworkPlan,
    NetworkSpec,
    differences,
    ipam_pools,
    network_facts,
    plan,
    refuse_unless_forced,
)

INSPECT = {
    "Name": "backend", "Driver": "bridge", "Options": {}, "Labels": {"app": "a"}, "Internal": False,
    "Attachable": False, "EnableIPv6": False,
    "IPAM": {"Driver": "default", "Config": [{"Subnet": "10.10.0.0/24", "Gateway": "10.10.0.1"}]},
}
CURRENT = network_facts(INSPECT)


def test_network_facts():
    assert CURRENT == dict(name="backend", driver="bridge", driver_options={}, labels={"app": "a"},
                           ipam_config=[dict(subnet="10.10.0.0/24", gateway="10.10.0.1", iprange=None)],
                           internal=False, attachable=False, enable_ipv6=False)
    assert network_facts(None) == {}


def test_ipam_pools_are_canonical():
    assert ipam_pools(None) is None and ipam_pools([]) is None
    assert ipam_pools([{"subnet": "fd00:10::/64"}, {"subnet": "10.1.0.0/16", "gateway": "10.1.0.1", "iprange": "10.1.8.0/24"}]) == [
        dict(subnet="10.1.0.0/16", gateway="10.1.0.1", iprange="10.1.8.0/24"),
        dict(subnet="fd00:10::/64", gateway=None, iprange=None),
    ]


@pytest.mark.parametrize("pool, message", [
    ({"subnet": "10.0.0.0/33"}, "ipam_config: invalid subnet '10.0.0.0/33' (expected a CIDR such as 10.10.0.0/24)"),
    ({"subnet": "10.0.0.1/24"}, "ipam_config: subnet '10.0.0.1/24' has host bits set (did you mean 10.0.0.0/24?)"),
    ({"subnet": "10.0.0.0/24", "iprange": "fd00::/64"}, "ipam_config: iprange 'fd00::/64' is not inside subnet 10.0.0.0/24"),
    ({"subnet": "10.0.0.0/24", "gateway": "10.0.0.256"}, "ipam_config: invalid gateway '10.0.0.256' (expected an IP address)"),
])
def test_bad_pools(pool, message):
    with pytest.raises(KapalError) as err:
        ipam_pools([pool])
    assert str(err.value) == message


@pytest.mark.parametrize("spec, expected", [
    (NetworkSpec("backend"), []),
    (NetworkSpec("backend", driver="bridge", labels={"app": "a"}, internal=False), []),
    (NetworkSpec("backend", ipam_config=ipam_pools([{"subnet": "10.10.0.0/24"}])), []),
    (NetworkSpec("backend", ipam_config=ipam_pools([{"subnet": "10.10.0.0/24", "gateway": "10.10.0.1"}])), []),
    (NetworkSpec("backend", ipam_config=ipam_pools([{"subnet": "10.10.0.0/24", "gateway": "10.10.0.9"}])), ["ipam_config"]),
    (NetworkSpec("backend", ipam_config=ipam_pools([{"subnet": "10.10.0.0/24", "iprange": "10.10.0.0/25"}])), ["ipam_config"]),
    (NetworkSpec("backend", driver="macvlan", labels={}, enable_ipv6=True), ["driver", "labels", "enable_ipv6"]),
])
def test_differences(spec, expected):
    assert differences(CURRENT, spec) == expected


def test_plans():
    assert plan({}, NetworkSpec("backend"), "present").action == "create"
    assert plan({}, NetworkSpec("backend"), "present").after["driver"] == "bridge"
    assert plan(CURRENT, NetworkSpec("backend"), "present").action == "none"
    assert plan(CURRENT, NetworkSpec("backend"), "absent").action == "remove"
    assert plan({}, NetworkSpec("backend"), "absent").action == "none"
    todo = plan(CURRENT, NetworkSpec("backend", internal=True), "present")
    assert (todo.action, todo.reasons) == ("recreate", ["internal"])
    assert todo.after == dict(CURRENT, internal=True)


ONE = [Endpoint("c1", "web", ["web"], None, None)]
TWO = ONE + [Endpoint("c2", "worker", [], "10.10.0.5", None)]


@pytest.mark.parametrize("todo, endpoints, force, message", [
    (NetworkPlan("recreate", reasons=["ipam_config", "labels"]), TWO, False,
     "ipam_config: network 'backend' must be recreated to change ipam_config, labels, but containers web, worker "
     "are attached (force: true disconnects, recreates and reconnects them)"),
    (NetworkPlan("remove"), ONE, False,
     "name: cannot remove network 'backend': container web is attached (force: true disconnects them first)"),
    (NetworkPlan("remove"), ONE, True, None),
    (NetworkPlan("recreate", reasons=["internal"]), [], False, None),
])
def test_refuse_unless_forced(todo, endpoints, force, message):
    spec = NetworkSpec("backend", force=force)
    if message is None:
        refuse_unless_forced(spec, todo, endpoints)
        return
    with pytest.raises(KapalError) as err:
        refuse_unless_forced(spec, todo, endpoints)
    assert str(err.value) == message
