"""tests/testbed/hosts.py without an engine: names, the run arguments of a host, the inventory, the engine image."""

import os
import re

import pytest
import yaml

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


# -- the engine image ---------------------------------------------------------------------------------

ROLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles", "engine")


def _role_file(name):
    with open(os.path.join(ROLE, name)) as handle:
        return yaml.safe_load(handle)


@pytest.mark.parametrize("release", sorted(hosts.RELEASES))
def test_engine_packages_are_what_the_engine_role_installs_by_its_defaults(release):
    # roles/engine/tasks/packages.yml: engine_packages_distribution, docker-cli where docker.io lacks the CLI
    # (vars), and for engine_sdk auto python3-docker, or what the SDK's pip install needs on old releases.
    defaults, role_vars = _role_file("defaults/main.yml"), _role_file("vars/main.yml")
    assert defaults["engine_package_source"] == "distribution" and defaults["engine_sdk"] == "auto"
    codename = hosts.RELEASES[release].codename
    expected = list(defaults["engine_packages_distribution"])
    if codename not in role_vars["_engine_cli_in_docker_io"]:
        expected.append("docker-cli")
    if codename in role_vars["_engine_sdk_old_releases"]:
        expected += ["python3-venv", "python3-packaging", "python3-requests", "python3-urllib3"]
    else:
        expected.append("python3-docker")
    assert hosts.RELEASES[release].engine_packages == expected


def test_the_pip_packages_are_the_ones_packages_yml_names():
    with open(os.path.join(ROLE, "tasks", "packages.yml")) as handle:
        tasks = yaml.safe_load(handle)
    install = [task for task in tasks if task["name"] == "Install the engine packages"][0]
    named = install["vars"]["_engine_sdk_pip_packages"]
    assert named[0].startswith("{{") and "python3-venv" in named[0]  # python3-venv with the default venv
    assert ["python3-venv"] + named[1:] == hosts.ENGINE_SDK_PIP_PACKAGES


def test_engine_images_are_named_per_release_and_keyed_by_recipe_packages_and_script(monkeypatch):
    bookworm, trixie, forky = (hosts.RELEASES[r] for r in ("12", "13", "14"))
    assert trixie.engine_image == "kapal-test/host:debian13-engine"
    assert re.match(r"^r%d-[0-9a-f]{12}$" % hosts.RECIPE, trixie.engine_key)
    # The same packages give the same key; other packages, another script or another recipe, another one.
    assert trixie.engine_key == forky.engine_key != bookworm.engine_key
    key = trixie.engine_key
    monkeypatch.setattr(hosts, "ENGINE_PACKAGES", hosts.ENGINE_PACKAGES + ["apparmor"])
    assert trixie.engine_key != key
    monkeypatch.undo()
    monkeypatch.setattr(hosts, "ENGINE_SEED_SCRIPT", hosts.ENGINE_SEED_SCRIPT + "true\n")
    assert trixie.engine_key != key
    monkeypatch.undo()
    monkeypatch.setattr(hosts, "RECIPE", hosts.RECIPE + 1)
    assert trixie.engine_key.split("-")[1] == key.split("-")[1] and trixie.engine_key != key


@pytest.mark.parametrize("release", sorted(hosts.RELEASES))
def test_engine_hosts_run_the_engine_image_with_the_same_arguments(release):
    plain = hosts._run_args("n", "g", hosts.RELEASES[release], "/k/id", "192.0.2.9")
    engine = hosts._run_args("n", "g", hosts.RELEASES[release], "/k/id", "192.0.2.9", engine=True)
    assert engine[-1] == hosts.RELEASES[release].engine_image and plain[-1] == hosts.RELEASES[release].image
    assert engine[:-1] == plain[:-1]


@pytest.mark.parametrize("release", sorted(hosts.RELEASES))
def test_the_engine_image_keeps_the_plain_images_cmd_and_env_and_carries_its_key(release):
    release = hosts.RELEASES[release]
    changes = hosts._commit_changes(release)
    assert changes[:len(hosts._image_changes(release))] == hosts._image_changes(release)
    assert "LABEL org.kapal.testbed.engine=%s" % release.engine_key in changes
    assert "LABEL org.kapal.testbed.recipe=%d" % hosts.RECIPE in changes
    assert "LABEL org.kapal.testbed.release=%s" % release.number in changes
    # The seed's group is not carried to the hosts.
    assert changes[-1] == "LABEL %s=" % hosts.LABEL
    assert ('CMD ["/sbin/init"]' in changes) == release.systemd and ("ENV container=docker" in changes) == release.systemd


def test_the_seed_is_a_group_of_its_own_that_no_test_group_name_takes():
    name = hosts.host_name(hosts.seed_group(hosts.RELEASES["13"]), "13", 1)
    assert name == "kapal-host-seed-13-d13-1"
    hosts._check_group_name(hosts.seed_group(hosts.RELEASES["13"]))


def test_the_seed_script_installs_without_recommends_starts_nothing_and_leaves_no_identity():
    script = hosts.ENGINE_SEED_SCRIPT
    assert 'apt-get install -y -q --no-install-recommends "$@"' in script
    assert script.index("exit 101") < script.index("apt-get install") < script.index("rm -f /usr/sbin/policy-rc.d")
    for cleanup in ("rm -f /etc/ssh/ssh_host_*", ": > /etc/machine-id", "/var/lib/apt/lists/*", "/etc/docker/key.json"):
        assert cleanup in script


def test_facts_say_whether_the_engine_is_preinstalled():
    release = hosts.RELEASES["13"]
    plain = hosts._host_facts("n", "g", release, "10.213.0.2", "running")
    engine = hosts._host_facts("n", "g", release, "10.213.0.2", "running", engine=True)
    assert plain["engine_preinstalled"] is False and plain["image"] == release.image
    assert engine["engine_preinstalled"] is True and engine["image"] == release.engine_image
    assert hosts._group_facts("g", "cli", [engine], engine=True)["engine_preinstalled"] is True
    assert hosts._group_facts("g", "cli", [plain])["engine_preinstalled"] is False
