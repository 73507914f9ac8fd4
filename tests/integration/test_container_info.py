"""kapal.docker.container_info against the test bed's real engine."""

import os

import pytest

from tests.integration.conftest import quietly, run_module

PREFIX = "kapal-it-ctrd-info-%d" % os.getpid()


@pytest.fixture
def pair(docker_api, testbed):
    """One running and one stopped container, both labelled, removed afterwards whatever happens."""
    running, stopped = PREFIX + "-run", PREFIX + "-stop"
    labels = {"kapal.test": PREFIX}
    try:
        docker_api.create_container(testbed["busybox_image"], command=["sleep", "300"], name=running,
                                    labels=dict(labels, role="web"))
        docker_api.start(running)
        docker_api.create_container(testbed["busybox_image"], command=["true"], name=stopped,
                                    labels=dict(labels, role="job"))
        yield running, stopped
    finally:
        for name in (running, stopped):
            quietly(docker_api.remove_container, name, force=True)


def names(result):
    return [c["Name"].lstrip("/") for c in result["containers"]]


def test_inspect_by_name_and_id(pair, docker_api):
    running, stopped = pair
    truth = docker_api.inspect_container(running)
    for check_mode in (False, True):
        result = run_module("container_info", {"name": running}, check_mode=check_mode)
        assert result.rc == 0, result
        assert result["changed"] is False and result["exists"] is True
        assert result["containers"] == [truth]
    result = run_module("container_info", {"name": [truth["Id"][:12], stopped]})
    assert result["exists"] is True
    assert names(result) == [running, stopped]
    assert result["containers"][1]["State"]["Status"] == "created"


def test_missing_name_is_not_a_failure(pair):
    running = pair[0]
    result = run_module("container_info", {"name": [running, PREFIX + "-nothere"]})
    assert result.rc == 0, result
    assert result["exists"] is False
    assert names(result) == [running]
    result = run_module("container_info", {"name": PREFIX + "-nothere"})
    assert (result["exists"], result["containers"]) == (False, [])


def test_listing_with_filters(pair):
    running, stopped = pair
    label = "kapal.test=" + PREFIX
    result = run_module("container_info", {"filters": {"label": label}})
    assert result.rc == 0, result
    assert names(result) == [running] and result["exists"] is True
    result = run_module("container_info", {"all": True, "filters": {"label": label}})
    assert sorted(names(result)) == sorted([running, stopped])
    result = run_module("container_info", {"all": True, "filters": {"label": [label, "role=job"]}})
    assert names(result) == [stopped]
    result = run_module("container_info", {"all": True, "filters": {"label": label, "status": ["created", "exited"]}})
    assert names(result) == [stopped]
    result = run_module("container_info", {"filters": {"name": running, "ancestor": "kapal-test/busybox:latest"}})
    assert names(result) == [running]
    result = run_module("container_info", {"all": True, "filters": {"label": label, "status": "paused"}})
    assert (result["exists"], result["containers"]) == (False, [])


def test_plain_listing_has_only_running_containers(pair):
    running, stopped = pair
    result = run_module("container_info", {})
    assert result.rc == 0, result
    assert running in names(result) and stopped not in names(result)
    assert all(c["State"]["Running"] for c in result["containers"])


def test_bad_filter_key_fails_naming_it():
    result = run_module("container_info", {"filters": {"colour": "red"}})
    assert result.failed
    assert result["msg"].startswith("filters: unknown filter key 'colour'")
    assert "\n" not in result["msg"]


def test_bad_status_value_fails_naming_it():
    result = run_module("container_info", {"all": True, "filters": {"status": "sleeping"}})
    assert result.failed and result["msg"].startswith("filters: status 'sleeping' is not one of")


def test_name_and_filters_are_exclusive():
    result = run_module("container_info", {"name": "x", "filters": {"name": "x"}})
    assert result.failed and "mutually exclusive" in result["msg"]
