"""kapal.docker.network against the test bed's real engine."""

import os

import pytest

from tests.integration.conftest import claim, quietly, run_module

PREFIX = "kapal-it-ctrd-net-%d" % os.getpid()
OCTET = claim("network-subnet", range(20, 220))  # this process's own 10.231.<octet>.0/24 and 10.232.<octet>.0/24
SUBNET_A = "10.231.%d.0/24" % OCTET
SUBNET_B = "10.232.%d.0/24" % OCTET


@pytest.fixture
def network(docker_api):
    name = PREFIX
    try:
        yield name
    finally:
        quietly(docker_api.remove_container, PREFIX + "-box", force=True)
        quietly(docker_api.remove_container, PREFIX + "-stopped", force=True)
        quietly(docker_api.remove_network, name)


@pytest.fixture
def box(docker_api, testbed, network):
    """A running container on the network (made with SUBNET_A), with an alias."""
    name = PREFIX + "-box"
    docker_api.create_network(network, ipam={"Driver": "default", "Config": [{"Subnet": SUBNET_A}]})
    docker_api.create_container(
        testbed["busybox_image"], command=["sleep", "600"], name=name,
        networking_config=docker_api.create_networking_config({network: docker_api.create_endpoint_config(aliases=["web"])}),
        host_config=docker_api.create_host_config(network_mode=network),
    )
    docker_api.start(name)
    yield name


@pytest.fixture
def stopped(docker_api, testbed, box, network):
    """A container never started, on the same network, with a static address."""
    name = PREFIX + "-stopped"
    address = SUBNET_A.replace(".0/24", ".77")
    docker_api.create_container(
        testbed["busybox_image"], command=["sleep", "600"], name=name,
        networking_config=docker_api.create_networking_config(
            {network: docker_api.create_endpoint_config(ipv4_address=address)}),
        host_config=docker_api.create_host_config(network_mode=network),
    )
    yield name


def network_ids(docker_api, name):
    return [n["Id"] for n in docker_api.networks(names=[name]) if n["Name"] == name]


def test_create_check_run_and_idempotence(network, docker_api):
    args = {"name": network, "labels": {"app": "kapal"},
            "ipam_config": [{"subnet": SUBNET_A, "gateway": SUBNET_A.replace(".0/24", ".1"),
                             "iprange": SUBNET_A.replace(".0/24", ".128/25")}]}
    result = run_module("network", args, check_mode=True, diff=True)
    assert result.rc == 0, result
    assert result["changed"] is True and result["network"] is None
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["ipam_config"] == [{"subnet": SUBNET_A, "gateway": SUBNET_A.replace(".0/24", ".1"),
                                                      "iprange": SUBNET_A.replace(".0/24", ".128/25")}]
    assert network_ids(docker_api, network) == []

    result = run_module("network", args, diff=True)
    assert result.rc == 0, result
    assert result["changed"] is True
    truth = docker_api.inspect_network(network)
    assert result["network"] == truth
    assert truth["Driver"] == "bridge" and truth["Labels"] == {"app": "kapal"}
    assert truth["IPAM"]["Config"] == [{"Subnet": SUBNET_A, "IPRange": SUBNET_A.replace(".0/24", ".128/25"),
                                        "Gateway": SUBNET_A.replace(".0/24", ".1")}]

    for check_mode in (True, False):
        result = run_module("network", args, check_mode=check_mode, diff=True)
        assert result.rc == 0, result
        assert result["changed"] is False
        assert result["diff"]["before"] == result["diff"]["after"]
    assert run_module("network", {"name": network})["changed"] is False
    assert network_ids(docker_api, network) == [truth["Id"]]


def test_changed_subnet_recreates(network, docker_api):
    docker_api.create_network(network, ipam={"Driver": "default", "Config": [{"Subnet": SUBNET_A}]}, labels={"keep": "me"})
    old_id = docker_api.inspect_network(network)["Id"]
    args = {"name": network, "ipam": [{"subnet": SUBNET_B}]}
    result = run_module("network", args, check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"]["ipam_config"][0]["subnet"] == SUBNET_A
    assert result["diff"]["after"]["ipam_config"][0]["subnet"] == SUBNET_B
    assert docker_api.inspect_network(network)["Id"] == old_id
    result = run_module("network", args)
    assert result.rc == 0 and result["changed"] is True, result
    truth = docker_api.inspect_network(network)
    assert truth["Id"] != old_id
    assert [c["Subnet"] for c in truth["IPAM"]["Config"]] == [SUBNET_B]
    assert truth["Labels"] == {"keep": "me"}  # options not given are carried over
    for check_mode in (True, False):
        assert run_module("network", args, check_mode=check_mode)["changed"] is False


def test_flag_change_recreates(network, docker_api):
    assert run_module("network", {"name": network})["changed"] is True
    result = run_module("network", {"name": network, "internal": True})
    assert result["changed"] is True and docker_api.inspect_network(network)["Internal"] is True
    assert run_module("network", {"name": network, "internal": True})["changed"] is False


def test_attached_container_blocks_recreate(network, box, docker_api):
    old_id = docker_api.inspect_network(network)["Id"]
    for check_mode in (True, False):
        result = run_module("network", {"name": network, "ipam_config": [{"subnet": SUBNET_B}]}, check_mode=check_mode)
        assert result.failed
        assert result["msg"] == (
            "ipam_config: network %r must be recreated to change ipam_config, but container %s is attached "
            "(force: true disconnects, recreates and reconnects them)" % (network, box))
    assert docker_api.inspect_network(network)["Id"] == old_id


def test_force_recreates_and_reconnects(network, box, docker_api):
    old_id = docker_api.inspect_network(network)["Id"]
    args = {"name": network, "ipam_config": [{"subnet": SUBNET_B}], "force": True}
    result = run_module("network", args, check_mode=True)
    assert result["changed"] is True
    assert docker_api.inspect_network(network)["Id"] == old_id
    result = run_module("network", args)
    assert result.rc == 0 and result["changed"] is True, result
    truth = docker_api.inspect_network(network)
    assert truth["Id"] != old_id
    container = docker_api.inspect_container(box)
    endpoint = container["NetworkSettings"]["Networks"][network]
    assert endpoint["NetworkID"] == truth["Id"]
    assert endpoint["IPAddress"].startswith(SUBNET_B.rsplit(".", 1)[0] + ".")
    assert "web" in endpoint["Aliases"]
    assert container["State"]["Running"] is True
    assert container["Id"] in truth["Containers"]
    assert run_module("network", args)["changed"] is False


def test_force_reconnects_stopped_containers_with_their_address(network, box, stopped, docker_api):
    result = run_module("network", {"name": network, "ipam_config": [{"subnet": SUBNET_A}], "labels": {"v": "2"}})
    assert result.failed
    assert "but containers %s, %s are attached" % (box, stopped) in result["msg"]
    result = run_module("network", {"name": network, "ipam_config": [{"subnet": SUBNET_A}], "labels": {"v": "2"},
                                    "force": True})
    assert result.rc == 0 and result["changed"] is True, result
    truth = docker_api.inspect_network(network)
    assert truth["Labels"] == {"v": "2"}
    endpoint = docker_api.inspect_container(stopped)["NetworkSettings"]["Networks"][network]
    assert endpoint["IPAMConfig"]["IPv4Address"] == SUBNET_A.replace(".0/24", ".77")
    docker_api.start(stopped)  # the reconnected endpoint works: the container starts on the new network
    endpoint = docker_api.inspect_container(stopped)["NetworkSettings"]["Networks"][network]
    assert (endpoint["NetworkID"], endpoint["IPAddress"]) == (truth["Id"], SUBNET_A.replace(".0/24", ".77"))


def test_empty_ipam_config_is_the_engines_choice(network):
    for dummy in range(2):
        result = run_module("network", {"name": network, "ipam_config": []})
        assert result.rc == 0, result
    assert result["changed"] is False


def test_absent(network, docker_api):
    docker_api.create_network(network)
    args = {"name": network, "state": "absent"}
    result = run_module("network", args, check_mode=True, diff=True)
    assert result["changed"] is True and result["diff"]["after"] == {}
    assert network_ids(docker_api, network)
    result = run_module("network", args)
    assert result.rc == 0 and result["changed"] is True and result["network"] is None, result
    assert network_ids(docker_api, network) == []
    for check_mode in (True, False):
        assert run_module("network", args, check_mode=check_mode)["changed"] is False


def test_absent_with_attached_container(network, box, docker_api):
    result = run_module("network", {"name": network, "state": "absent"})
    assert result.failed
    assert result["msg"] == ("name: cannot remove network %r: container %s is attached "
                             "(force: true disconnects them first)" % (network, box))
    result = run_module("network", {"name": network, "state": "absent", "force": True})
    assert result.rc == 0 and result["changed"] is True, result
    assert network_ids(docker_api, network) == []
    assert network not in docker_api.inspect_container(box)["NetworkSettings"]["Networks"]


@pytest.mark.parametrize("pool, message", [
    ({"subnet": "10.0.0.0/33"}, "ipam_config: invalid subnet '10.0.0.0/33' (expected a CIDR such as 10.10.0.0/24)"),
    ({"subnet": "10.0.0.1/24"}, "ipam_config: subnet '10.0.0.1/24' has host bits set (did you mean 10.0.0.0/24?)"),
    ({"subnet": "10.0.0.0/24", "gateway": "10.0.1.1"}, "ipam_config: gateway '10.0.1.1' is not inside subnet 10.0.0.0/24"),
    ({"subnet": "10.0.0.0/24", "gateway": "nope"}, "ipam_config: invalid gateway 'nope' (expected an IP address)"),
    ({"subnet": "10.0.0.0/24", "iprange": "10.0.0.0/16"}, "ipam_config: iprange '10.0.0.0/16' is not inside subnet 10.0.0.0/24"),
])
def test_bad_ipam_fails_naming_the_value(network, docker_api, pool, message):
    for check_mode in (True, False):
        result = run_module("network", {"name": network, "ipam_config": [pool]}, check_mode=check_mode)
        assert result.failed
        assert result["msg"] == message
    assert network_ids(docker_api, network) == []
