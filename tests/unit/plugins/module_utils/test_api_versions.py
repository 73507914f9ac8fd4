"""Options newer than the collection's minimum Engine API (1.41): declared once in the option table
(``min_api``), documented with the API version they need, and refused before anything is done by an
engine (or a pinned ``api_version``) that is older (issue #13)."""

import json
import os

import pytest
import yaml

from ansible_collections.kapal.docker.plugins.module_utils._container.options import OPTIONS, api_needs, parse_options
from ansible_collections.kapal.docker.plugins.module_utils._container.plan import Desired
from ansible_collections.kapal.docker.plugins.module_utils._container.reconcile import reconcile
from ansible_collections.kapal.docker.plugins.module_utils._engine import (
    API_RELEASES,
    MINIMUM_API_VERSION,
    Engine,
    EngineConfig,
    api_at_least,
)
from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError

# The engines' real ``docker version`` answers (the fields read here), as the test bed's engines give them.
DOCKER_20_10 = {"Version": "20.10.24+dfsg1", "ApiVersion": "1.41", "MinAPIVersion": "1.12",
                "Components": [{"Name": "Engine"}, {"Name": "containerd"}, {"Name": "runc"}, {"Name": "docker-init"}]}
DOCKER_26_1 = {"Version": "26.1.5+dfsg1", "ApiVersion": "1.45", "MinAPIVersion": "1.24",
               "Components": [{"Name": "Engine"}, {"Name": "containerd"}, {"Name": "runc"}, {"Name": "docker-init"}]}
PODMAN_4_3 = {"Version": "4.3.1", "ApiVersion": "1.41", "MinAPIVersion": "1.24",
              "Components": [{"Name": "Podman Engine"}, {"Name": "Conmon"}, {"Name": "OCI Runtime (runc)"}]}
PODMAN_5_8 = {"Version": "5.8.6", "ApiVersion": "1.44", "MinAPIVersion": "1.24",
              "Components": [{"Name": "Podman Engine"}, {"Name": "Conmon"}, {"Name": "OCI Runtime (runc)"}]}

START_INTERVAL = dict(test="true", start_period="30s", start_interval="1s")
NEEDS_1_44 = ("healthcheck.start_interval needs Docker API 1.44 or later (Docker 25.0); "
              "the engine at unix:///var/run/docker.sock is %s")


class FakeApi:
    """The SDK client as far as the check reads it: the API version its calls use, and ``version()``.
    Any other call fails the test: nothing may be asked or done before the check."""

    def __init__(self, answer, used=None):
        self.answer = answer
        self.api_version = used or answer["ApiVersion"]
        self.asked = 0

    def version(self):
        self.asked += 1
        return self.answer

    def __getattr__(self, name):
        raise AssertionError("engine call %s before the API check" % name)


def engine_of(answer, used=None):
    engine = Engine(EngineConfig())
    engine._api = FakeApi(answer, used)
    return engine


def desired(name="web", **params):
    return Desired.from_params(dict(dict(name=name, image="kapal-test/busybox:latest"), **params))


def _documented(doc_options, what):
    """The description lines of ``what`` (``healthcheck.start_interval``) in a module's DOCUMENTATION options."""
    first, rest = (what.split(".", 1) + [""])[:2]
    entry = doc_options[first]
    if rest:
        return _documented(entry["suboptions"], rest)
    description = entry["description"]
    return description if isinstance(description, list) else [description]


NEEDS = [(option.name, need) for option in OPTIONS for need in option.min_api]


def test_some_option_needs_a_newer_api():
    assert ("healthcheck", "healthcheck.start_interval", "1.44") in [(name, n.what, n.api) for name, n in NEEDS]


@pytest.mark.parametrize("name, need", NEEDS, ids=[pair[1].what for pair in NEEDS])
def test_every_newer_option_says_so_in_the_docs(name, need):
    from ansible_collections.kapal.docker.plugins.modules.container import DOCUMENTATION

    assert need.what.split(".")[0] == name
    assert not api_at_least(MINIMUM_API_VERSION, need.api)
    sentence = "Needs Docker API %s or later (Docker %s)." % (need.api, API_RELEASES[need.api])
    description = " ".join(_documented(yaml.safe_load(DOCUMENTATION)["options"], need.what))
    assert sentence in description
    assert ("Podman does not implement it" in description) is (not need.podman)


@pytest.mark.parametrize("healthcheck, needs", [
    (dict(test="true", interval="5s"), []),
    (dict(test="true", start_interval="0s"), []),  # 0: the engine's own, as when not given
    (START_INTERVAL, [("healthcheck.start_interval", "1.44")]),
])
def test_only_what_the_task_sets_needs_a_newer_api(healthcheck, needs):
    assert [(need.what, need.api) for need in api_needs(parse_options(dict(healthcheck=healthcheck)))] == needs
    assert api_needs(parse_options(dict(env=dict(A="1")))) == []


def test_start_interval_goes_into_the_create_call():
    option = next(o for o in OPTIONS if o.name == "healthcheck")
    body = {}
    option.write(body, parse_options(dict(healthcheck=START_INTERVAL))["healthcheck"])
    assert body["Healthcheck"] == dict(Test=["CMD-SHELL", "true"], StartPeriod=30 * 10 ** 9, StartInterval=10 ** 9)
    assert option.read({"Config": body})["StartInterval"] == 10 ** 9


@pytest.mark.parametrize("version, minimum, expected", [
    ("1.41", "1.41", True), ("1.41", "1.44", False), ("1.45", "1.44", True), ("1.100", "1.44", True), ("1.9", "1.44", False),
])
def test_api_at_least(version, minimum, expected):
    assert api_at_least(version, minimum) is expected


@pytest.mark.parametrize("answer, used, engine", [
    (DOCKER_20_10, None, "Docker 20.10.24+dfsg1 (API 1.41)"),
    (PODMAN_4_3, None, "Podman 4.3.1 (API 1.41)"),
    (DOCKER_26_1, "1.43", "Docker 26.1.5+dfsg1 (API 1.45, used at API 1.43 as api_version says)"),
])
def test_an_older_engine_refuses_in_one_line_naming_option_engine_and_version(answer, used, engine):
    for check_mode in (True, False):  # check mode too: a plan that could not be applied
        with pytest.raises(KapalError) as err:
            reconcile(engine_of(answer, used), [desired(healthcheck=START_INTERVAL)], check_mode=check_mode)
        assert str(err.value) == NEEDS_1_44 % engine


def test_a_newer_engine_is_not_asked_for_its_version():
    engine = engine_of(DOCKER_26_1)
    engine.require_api("healthcheck.start_interval", "1.44")
    assert engine._api.asked == 0


def test_a_newer_docker_engine_goes_past_the_check():
    with pytest.raises(AssertionError, match="engine call containers before"):
        reconcile(engine_of(DOCKER_26_1), [desired(healthcheck=START_INTERVAL)])


def test_podman_refuses_what_it_does_not_implement_whatever_api_it_reports():
    """Podman 5.8 reports API 1.44, takes HealthConfig.StartInterval and drops it: every run would
    recreate the container. The task fails instead, before anything is done."""
    for check_mode in (True, False):
        with pytest.raises(KapalError) as err:
            reconcile(engine_of(PODMAN_5_8), [desired(healthcheck=START_INTERVAL)], check_mode=check_mode)
        assert str(err.value) == (
            "healthcheck.start_interval is not implemented by Podman's Docker-compatible API (it takes it and drops it); "
            "the engine at unix:///var/run/docker.sock is Podman 5.8.6 (API 1.44)")


def test_a_batch_names_the_container_and_checks_before_anything():
    desireds = [desired("plain"), desired("fast", healthcheck=START_INTERVAL)]
    with pytest.raises(KapalError) as err:
        reconcile(engine_of(DOCKER_20_10), desireds)
    assert str(err.value).startswith("healthcheck.start_interval (container fast) needs Docker API 1.44 or later")


def test_removing_a_container_needs_no_newer_api():
    gone = Desired.from_params(dict(name="web", state="absent", healthcheck=START_INTERVAL))
    with pytest.raises(AssertionError, match="engine call containers before"):
        reconcile(engine_of(DOCKER_20_10), [gone])  # past the check: the snapshot's listing is the next call


def test_annotations_need_api_1_43_whenever_given():
    assert [(n.what, n.api, n.podman) for n in api_needs(parse_options(dict(annotations={"a": "1"})))] == [
        ("annotations", "1.43", True)]
    with pytest.raises(KapalError) as err:
        reconcile(engine_of(DOCKER_20_10), [desired(annotations={"org.example.a": "1"})])
    assert str(err.value) == ("annotations needs Docker API 1.43 or later (Docker 24.0); the engine at "
                              "unix:///var/run/docker.sock is Docker 20.10.24+dfsg1 (API 1.41)")
    with pytest.raises(AssertionError, match="engine call containers before"):
        reconcile(engine_of(PODMAN_5_8), [desired(annotations={"org.example.a": "1"})])  # Podman 5.8 implements them


def test_annotations_on_podman_read_back_as_given():
    """Podman 5.8 adds annotations of its own to every container (its real answer, the fixture's): they
    are its default, neither a difference nor carried over by a recreate."""
    fixture = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "engines", "podman-5.8", "defaults.json")
    with open(fixture) as handle:
        podman = json.load(handle)["container"]
    option = next(o for o in OPTIONS if o.name == "annotations")
    own = dict(podman["HostConfig"]["Annotations"])
    assert "io.container.manager" in own
    given = {"org.example.a": "1"}
    current = dict(podman, HostConfig=dict(podman["HostConfig"], Annotations=dict(own, **given)))
    assert option.expected(given, {}, dict(annotations=given), current) == option.read(current)
    assert option.carried(current, {}, {}, {}) == given
    body = {}
    option.write(body, given)
    assert body == {"HostConfig": {"Annotations": given}}
