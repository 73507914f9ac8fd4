"""kapal.docker.volume against the test bed's real engine."""

import os

import pytest

from tests.integration.conftest import quietly, run_module

PREFIX = "kapal-it-ctrd-vol-%d" % os.getpid()


@pytest.fixture
def volume(docker_api):
    name = PREFIX
    try:
        yield name
    finally:
        quietly(docker_api.remove_volume, name, force=True)


@pytest.fixture
def user(docker_api, testbed, volume):
    """A stopped container that mounts the volume."""
    name = PREFIX + "-user"
    try:
        docker_api.create_volume(volume)
        docker_api.create_container(testbed["busybox_image"], command=["true"], name=name,
                                    host_config=docker_api.create_host_config(binds=["%s:/data" % volume]))
        yield name
    finally:
        quietly(docker_api.remove_container, name, force=True)


def volume_names(docker_api):
    return {v["Name"] for v in docker_api.volumes().get("Volumes") or []}


def test_create_check_run_and_idempotence(volume, docker_api):
    args = {"name": volume, "labels": {"app": "kapal", "tier": 1}}
    result = run_module("volume", args, check_mode=True, diff=True)
    assert result.rc == 0, result
    assert result["changed"] is True and result["volume"] is None
    assert result["diff"] == {"before": {}, "after": {"name": volume, "driver": "local", "driver_options": {},
                                                      "labels": {"app": "kapal", "tier": "1"}}}
    assert volume not in volume_names(docker_api)

    result = run_module("volume", args, diff=True)
    assert result.rc == 0, result
    assert result["changed"] is True
    truth = docker_api.inspect_volume(volume)
    assert result["volume"] == truth
    assert truth["Labels"] == {"app": "kapal", "tier": "1"} and truth["Driver"] == "local"

    for check_mode in (True, False):
        result = run_module("volume", args, check_mode=check_mode, diff=True)
        assert result.rc == 0, result
        assert result["changed"] is False
        assert result["diff"]["before"] == result["diff"]["after"]
        assert result["volume"]["CreatedAt"] == truth["CreatedAt"]
    # Options not given are left as they are.
    assert run_module("volume", {"name": volume})["changed"] is False


def test_difference_fails_unless_recreate_allows(volume, docker_api):
    docker_api.create_volume(volume, labels={"app": "old"})
    args = {"name": volume, "labels": {"app": "new"}}
    for check_mode in (True, False):
        result = run_module("volume", args, check_mode=check_mode)
        assert result.failed
        assert result["msg"] == ("labels: volume %r has {'app': 'old'}, not {'app': 'new'}, and a volume cannot be "
                                 "changed (recreate: options-changed replaces it, losing its data)" % volume)
    assert docker_api.inspect_volume(volume)["Labels"] == {"app": "old"}

    args["recreate"] = "options-changed"
    result = run_module("volume", args, check_mode=True, diff=True)
    assert result["changed"] is True
    assert (result["diff"]["before"]["labels"], result["diff"]["after"]["labels"]) == ({"app": "old"}, {"app": "new"})
    assert docker_api.inspect_volume(volume)["Labels"] == {"app": "old"}
    result = run_module("volume", args)
    assert result.rc == 0, result
    assert result["changed"] is True and result["volume"]["Labels"] == {"app": "new"}
    assert docker_api.inspect_volume(volume)["Labels"] == {"app": "new"}
    assert run_module("volume", args)["changed"] is False


def test_driver_options(volume, docker_api):
    args = {"name": volume, "driver_options": {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"}}
    result = run_module("volume", args)
    assert result.rc == 0 and result["changed"] is True, result
    assert docker_api.inspect_volume(volume)["Options"] == args["driver_options"]
    assert run_module("volume", args)["changed"] is False
    result = run_module("volume", {"name": volume, "driver_options": {"type": "tmpfs", "device": "tmpfs", "o": "size=2m"}})
    assert result.failed and result["msg"].startswith("driver_options: volume %r has " % volume)


def test_recreate_always(volume, docker_api):
    docker_api.create_volume(volume)
    for check_mode in (True, False):
        result = run_module("volume", {"name": volume, "recreate": "always"}, check_mode=check_mode)
        assert result.rc == 0 and result["changed"] is True, result


def test_volume_in_use_is_never_removed(volume, user, docker_api):
    for args in ({"name": volume, "state": "absent"}, {"name": volume, "recreate": "always"}):
        for check_mode in (True, False):
            result = run_module("volume", args, check_mode=check_mode)
            assert result.failed
            assert result["msg"].endswith("volume %r: it is in use by container %s" % (volume, user))
            assert "\n" not in result["msg"]
    assert volume in volume_names(docker_api)


def test_absent_check_run_and_idempotence(volume, docker_api):
    docker_api.create_volume(volume)
    args = {"name": volume, "state": "absent"}
    result = run_module("volume", args, check_mode=True, diff=True)
    assert result["changed"] is True and result["diff"]["after"] == {}
    assert volume in volume_names(docker_api)
    result = run_module("volume", args)
    assert result.rc == 0 and result["changed"] is True and result["volume"] is None, result
    assert volume not in volume_names(docker_api)
    for check_mode in (True, False):
        result = run_module("volume", args, check_mode=check_mode)
        assert result.rc == 0 and result["changed"] is False, result


def test_bad_input_fails_naming_option_and_value(volume, docker_api):
    result = run_module("volume", {"name": volume, "labels": {"app": {"nested": 1}}})
    assert result.failed and result["msg"] == "labels: value of app must be a string, number or boolean, got {'nested': 1}"
    result = run_module("volume", {"name": volume, "recreate": "sometimes"})
    assert result.failed and "recreate" in result["msg"] and "sometimes" in result["msg"]
    result = run_module("volume", {"name": volume, "driver": "kapal-no-such-driver"})
    assert result.failed and result["msg"].startswith("driver: 'kapal-no-such-driver': create volume ")
    assert volume not in volume_names(docker_api)
