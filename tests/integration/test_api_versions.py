"""An option newer than the engine's API fails the task before anything is done (issue #13).

This machine's engine is Docker 20.10 (API 1.41); healthcheck.start_interval needs API 1.44. A task
that sets it fails, in check mode as in a real run, in one line that names the option, the engine
and its version, and the engine records no change to the task's containers: none is created, and
one that exists is left as it was.
"""

import uuid

import pytest

from tests.integration.conftest import containers_named, remove_containers, run_module
from tests.integration.events import mutating, recorded_events

IMAGE = "kapal-test/busybox:latest"
START_INTERVAL = dict(test="true", start_period="30s", start_interval="1s")


@pytest.fixture
def prefix(docker_api):
    prefix = "kapal-it-api-%s-" % uuid.uuid4().hex[:8]
    yield prefix
    remove_containers(docker_api, prefix)


@pytest.fixture(scope="module")
def refusal(docker_api, testbed):
    """The one line a task that sets healthcheck.start_interval fails with on this machine's engine."""
    version = docker_api.version()
    assert version["ApiVersion"] == "1.41"  # the premise: this machine's engine is older than API 1.44
    return ("healthcheck.start_interval needs Docker API 1.44 or later (Docker 25.0); the engine at %s is Docker %s (API 1.41)"
            % (testbed["docker_host"], version["Version"]))


def _mine(events, prefix):
    return [event for event in mutating(events) if prefix in event]


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "run"])
def test_a_new_container_is_not_created(docker_api, testbed, prefix, refusal, check_mode):
    args = dict(docker_host=testbed["docker_host"], name=prefix + "web", image=IMAGE, command="sleep 600",
                healthcheck=START_INTERVAL)
    with recorded_events(docker_api) as events:
        result = run_module("container", args, check_mode=check_mode)
    assert result.failed and result["msg"] == refusal, result
    assert result.get("changed") is not True
    assert containers_named(docker_api, prefix) == []
    assert _mine(events, prefix) == []


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "run"])
def test_an_existing_container_is_left_as_it_is(docker_api, testbed, prefix, refusal, check_mode):
    args = dict(docker_host=testbed["docker_host"], name=prefix + "web", image=IMAGE, command="sleep 600",
                healthcheck=dict(test="true", start_period="30s"))
    made = run_module("container", args)
    assert made.rc == 0 and made["changed"] is True, made
    args["healthcheck"] = START_INTERVAL
    with recorded_events(docker_api) as events:
        result = run_module("container", args, check_mode=check_mode)
    assert result.failed and result["msg"] == refusal, result
    assert _mine(events, prefix) == []
    now = docker_api.inspect_container(prefix + "web")
    assert now["Id"] == made["container"]["Id"] and now["State"]["Running"] is True


def test_a_batch_fails_before_any_of_its_containers(docker_api, testbed, prefix, refusal):
    containers = [dict(name=prefix + "plain", image=IMAGE, command="sleep 600"),
                  dict(name=prefix + "fast", image=IMAGE, command="sleep 600", healthcheck=START_INTERVAL)]
    with recorded_events(docker_api) as events:
        result = run_module("containers", dict(docker_host=testbed["docker_host"], containers=containers))
    assert result.failed, result
    assert result["msg"] == refusal.replace("healthcheck.start_interval", "healthcheck.start_interval (container %sfast)" % prefix)
    assert containers_named(docker_api, prefix) == []
    assert _mine(events, prefix) == []


def test_without_start_interval_the_healthcheck_is_made(docker_api, testbed, prefix):
    """The check is on what the task sets: the same healthcheck without start_interval (or at 0s) runs."""
    args = dict(docker_host=testbed["docker_host"], name=prefix + "web", image=IMAGE, command="sleep 600",
                healthcheck=dict(test="true", start_period="30s", start_interval="0s"))
    made = run_module("container", args)
    assert made.rc == 0 and made["changed"] is True, made
    again = run_module("container", args)
    assert again.rc == 0 and again["changed"] is False, again
