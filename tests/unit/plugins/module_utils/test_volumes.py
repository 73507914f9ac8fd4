"""Volumes: what differs, and the plan for each recreate policy."""

import pytest

from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError
from ansible_collections.kapal.docker.plugins.module_utils._volumes import (
    VolumeSpec,
    differences,
    plan_present,
    volume_facts,
    volume_spec,
)

CURRENT = dict(name="data", driver="local", driver_options={"type": "tmpfs"}, labels={"app": "a"})


@pytest.mark.parametrize("spec, expected", [
    (VolumeSpec("data"), []),
    (VolumeSpec("data", driver_options={"type": "tmpfs"}, labels={"app": "a"}), []),
    (VolumeSpec("data", driver="other"), ["driver"]),
    (VolumeSpec("data", labels={}), ["labels"]),
    (VolumeSpec("data", labels={"app": "a", "more": "x"}), ["labels"]),
    (VolumeSpec("data", driver="other", driver_options={}, labels={"app": "b"}), ["driver", "driver_options", "labels"]),
])
def test_differences(spec, expected):
    assert differences(CURRENT, spec) == expected


@pytest.mark.parametrize("current, spec, action", [
    ({}, VolumeSpec("data"), "create"),
    (CURRENT, VolumeSpec("data"), "none"),
    (CURRENT, VolumeSpec("data", labels={"app": "b"}, recreate="options-changed"), "recreate"),
    (CURRENT, VolumeSpec("data", recreate="options-changed"), "none"),
    (CURRENT, VolumeSpec("data", recreate="always"), "recreate"),
])
def test_plan_present(current, spec, action):
    plan = plan_present(current, spec)
    assert plan.action == action
    assert plan.changed is (action != "none")


def test_recreate_keeps_options_not_given():
    plan = plan_present(CURRENT, VolumeSpec("data", labels={"app": "b"}, recreate="options-changed"))
    assert plan.after == dict(CURRENT, labels={"app": "b"})


def test_never_fails_naming_the_first_option():
    with pytest.raises(KapalError) as err:
        plan_present(CURRENT, VolumeSpec("data", driver_options={"type": "none"}, labels={}))
    assert str(err.value) == ("driver_options: volume 'data' has {'type': 'tmpfs'}, not {'type': 'none'}, and a volume "
                              "cannot be changed (recreate: options-changed replaces it, losing its data)")


def test_facts_and_spec_from_params():
    assert volume_facts(None) == {}
    assert volume_facts({"Name": "v", "Driver": "local", "Options": None, "Labels": None}) == dict(
        name="v", driver="local", driver_options={}, labels={})
    spec = volume_spec(dict(name="v", driver="local", driver_options={"size": 5}, labels=None, recreate="never"))
    assert (spec.driver_options, spec.labels) == ({"size": "5"}, None)
    with pytest.raises(KapalError) as err:
        volume_spec(dict(name="v", driver="local", driver_options={"o": ["a"]}, labels=None, recreate="never"))
    assert str(err.value) == "driver_options: value of o must be a string, number or boolean, got ['a']"
