"""tests/testbed/hosts.py without an engine: names, the run arguments of a host, the inventory."""

import pytest

from tests.testbed import hosts


def _facts(*releases):
    records = [hosts._host_facts(hosts.host_name("g", r, 1), "g", hosts.RELEASES[r], "10.213.0.%d" % (n + 2), None)
               for n, r in enumerate(releases)]
    return hosts._group_facts("g", "cli", records)


def test_host_names_carry_group_release_and_index():
    assert hosts.host_name("fleet", "13", 2) == "kapal-host-fleet-d13-2"


@pytest.mark.parametrize("group", ["", "Upper", "has space", "-dash-first", "x" * 32, "dot.ted"])
def test_bad_group_names_are_refused(group):
    with pytest.raises(hosts.HostError, match="group"):
        hosts._check_group_name(group)


def test_unknown_release_is_refused_naming_the_releases():
    with pytest.raises(hosts.HostError, match=r"release '11': fresh hosts are Debian 12, 13, 14"):
        hosts.up("g", ["11"])


@pytest.mark.parametrize("release, init, signal", [("12", None, "SIGRTMIN+3"), ("13", None, "SIGRTMIN+3"),
                                                   ("14", "--init", None)])
def test_run_arguments_are_the_unprivileged_recipe(release, init, signal):
    args = hosts._run_args("n", "g", hosts.RELEASES[release], "/k/id", "192.0.2.9")
    assert "--privileged" not in args
    pairs = list(zip(args, args[1:]))
    assert ("--cap-add", "ALL") in pairs and ("--cap-drop", "SYS_RESOURCE") in pairs
    for option in ("seccomp=unconfined", "apparmor=unconfined", "systempaths=unconfined"):
        assert ("--security-opt", option) in pairs
    assert ("--volume", "/sys/fs/cgroup:/sys/fs/cgroup:rw") in pairs
    assert ("--add-host", "deb.debian.org:192.0.2.9") in pairs
    assert ("--network", hosts.NETWORK) in pairs
    assert ("--stop-signal", signal) in pairs if signal else "--stop-signal" not in args
    assert (init in args) if init else "--init" not in args
    assert args[-1] == hosts.RELEASES[release].image


def test_no_extra_hosts_entry_when_the_mirror_does_not_resolve():
    assert "--add-host" not in hosts._run_args("n", "g", hosts.RELEASES["13"], "/k/id", None)


def test_inventory_groups_hosts_by_release_and_init():
    inventory = hosts.inventory(_facts("12", "13", "14"))["all"]
    assert inventory["hosts"]["kapal-host-g-d14-1"]["ansible_host"] == "10.213.0.4"
    assert inventory["hosts"]["kapal-host-g-d12-1"]["ansible_docker_container"] == "kapal-host-g-d12-1"
    children = inventory["children"]["fresh_hosts"]["children"]
    assert list(children["debian13"]["hosts"]) == ["kapal-host-g-d13-1"]
    assert sorted(children["systemd_hosts"]["hosts"]) == ["kapal-host-g-d12-1", "kapal-host-g-d13-1"]
    assert list(children["plain_hosts"]["hosts"]) == ["kapal-host-g-d14-1"]
    assert inventory["vars"]["ansible_user"] == hosts.USER and inventory["vars"]["ansible_become"] is True
    assert inventory["vars"]["ansible_ssh_private_key_file"] == hosts.SSH_KEY


def test_only_dead_pytest_sessions_are_reaped():
    assert hosts._owner_gone("pytest-999999999")
    assert not hosts._owner_gone("pytest-1")  # pid 1 is alive
    assert not hosts._owner_gone("cli") and not hosts._owner_gone(None)
