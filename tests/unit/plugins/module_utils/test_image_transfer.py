"""_image_transfer: which pull policy asks the registry, pulls, and predicts a change (a table of cases); push references."""

import contextlib

import docker.errors
import pytest

from ansible_collections.kapal.docker.plugins.module_utils import _image_transfer
from ansible_collections.kapal.docker.plugins.module_utils._engine import Engine, EngineConfig
from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError, RegistryUnreachable
from ansible_collections.kapal.docker.plugins.module_utils._reference import ImageRef
from ansible_collections.kapal.docker.plugins.module_utils._registry import Manifest

NAME = "127.0.0.1:5000/team/app"
OLD = {"Id": "sha256:old", "RepoDigests": [NAME + "@sha256:d-old"]}
REMOTE_SAME = Manifest(digest="sha256:d-old", media_type="m", config_digest="sha256:old")
REMOTE_NEW = Manifest(digest="sha256:d-new", media_type="m", config_digest="sha256:new")
# a manifest re-pushed with another digest but the very same image
REMOTE_REPUSHED = Manifest(digest="sha256:d-other", media_type="m", config_digest="sha256:old")


class FakeApi:
    def __init__(self, local):
        self.local = local
        self.pulled = []

    def version(self):
        return {"Os": "linux", "Arch": "amd64"}

    def pull(self, name, tag=None, **kwargs):
        self.pulled.append((name, tag))
        self.local = {"Id": "sha256:new", "RepoDigests": [NAME + "@sha256:d-new"]}
        return iter([{"status": "done"}])


class FakeEngine:
    host = "unix:///fake.sock"

    def __init__(self, local):
        self.api = FakeApi(local)

    @contextlib.contextmanager
    def call(self, action):
        yield

    def inspect(self, kind, name):
        assert kind == "image"
        return self.api.local

    def version(self):
        return self.api.version()


class FakeRegistry:
    registry = "127.0.0.1:5000"

    def __init__(self, remote):
        self.remote = remote
        self.asked = []

    def manifest(self, repository, reference, platform=None):
        self.asked.append((repository, reference, platform))
        return self.remote


@pytest.mark.parametrize("reference, local, policy, remote, asks, pull, changed", [
    ("%s:1" % NAME, OLD, "missing", None, False, False, False),
    ("%s:1" % NAME, OLD, "never", None, False, False, False),
    ("%s:1" % NAME, None, "missing", REMOTE_NEW, True, True, True),
    ("%s:1" % NAME, OLD, "always", REMOTE_SAME, True, False, False),
    ("%s:1" % NAME, OLD, "always", REMOTE_REPUSHED, True, False, False),
    ("%s:1" % NAME, OLD, "always", REMOTE_NEW, True, True, True),
    ("%s@sha256:%s" % (NAME, "a" * 64), OLD, "always", None, False, False, False),
])
def test_plan(reference, local, policy, remote, asks, pull, changed):
    engine, registry = FakeEngine(local), FakeRegistry(remote)
    plan = _image_transfer.plan_pull(engine, ImageRef.parse(reference), policy, registry=registry)
    assert (bool(registry.asked), plan.pull, plan.changed) == (asks, pull, changed)
    if asks:
        assert registry.asked[0][:2] == ("team/app", "1")
        assert registry.asked[0][2] == dict(os="linux", architecture="amd64", variant=None)


def test_absent_under_never_fails_naming_the_image():
    with pytest.raises(KapalError, match=r"^image %s:1 is not present on Docker Engine at unix:///fake.sock and pull is never$" % NAME):
        _image_transfer.plan_pull(FakeEngine(None), ImageRef.parse(NAME + ":1"), "never", registry=FakeRegistry(None))


def test_unknown_in_registry_fails_naming_the_image():
    with pytest.raises(KapalError, match=r"^image %s:latest not found in registry 127.0.0.1:5000$" % NAME):
        _image_transfer.plan_pull(FakeEngine(None), ImageRef.parse(NAME), "missing", registry=FakeRegistry(None))


def test_bad_policy():
    with pytest.raises(KapalError, match=r"^pull: expected one of missing, always, never, got 'sometimes'$"):
        _image_transfer.plan_pull(FakeEngine(OLD), ImageRef.parse(NAME), "sometimes")


@pytest.mark.parametrize("check_mode, pulled, inspect_id", [(True, [], "sha256:old"), (False, [(NAME, "1")], "sha256:new")])
def test_ensure_image_pulls_only_outside_check_mode(check_mode, pulled, inspect_id):
    engine = FakeEngine(OLD)
    plan = _image_transfer.ensure_image(engine, ImageRef.parse(NAME + ":1"), "always", check_mode,
                                        registry=FakeRegistry(REMOTE_NEW))
    assert (plan.pull, plan.changed, plan.before) == (True, True, OLD)
    assert engine.api.pulled == pulled
    assert plan.after["Id"] == inspect_id


def test_ensure_image_without_a_pull_returns_the_local_image():
    plan = _image_transfer.ensure_image(FakeEngine(OLD), ImageRef.parse(NAME + ":1"), "always",
                                        registry=FakeRegistry(REMOTE_REPUSHED))
    assert (plan.pull, plan.changed, plan.after) == (False, False, OLD)


def test_local_digests_only_of_the_repository():
    inspect = {"RepoDigests": [NAME + "@sha256:a", "other/app@sha256:b", NAME + "x@sha256:c"]}
    assert _image_transfer.local_digests(inspect, ImageRef.parse(NAME)) == ["sha256:a"]


@pytest.mark.parametrize("params, source, target", [
    (dict(name="r.example/a/b:1"), "r.example/a/b:1", "r.example/a/b:1"),
    (dict(name="r.example/a/b", tag="2"), "r.example/a/b:2", "r.example/a/b:2"),
    (dict(name="r.example/a/b"), "r.example/a/b:latest", "r.example/a/b:latest"),
    (dict(name="app:1.0", repository="r.example/team/app"), "app:1.0", "r.example/team/app:1.0"),
    (dict(name="app", repository="r.example/team/app"), "app:latest", "r.example/team/app:latest"),
    (dict(name="app:1.0", repository="r.example/team/app:2"), "app:1.0", "r.example/team/app:2"),
    (dict(name="app:1.0", repository="r.example/team/app", tag="stable"), "app:1.0", "r.example/team/app:stable"),
    (dict(name="0dd083d4e8c0", repository="r.example/team/app"), "0dd083d4e8c0", "r.example/team/app:latest"),
])
def test_push_refs(params, source, target):
    params = dict(dict(repository=None, tag=None), **params)
    got_source, got_target = _image_transfer._push_refs(params)
    assert (got_source, str(got_target)) == (source, target)


# A registry the module's host cannot reach: the engine is asked instead ----------------------

class _Response:
    def __init__(self, status):
        self.status_code = status
        self.reason = "Error"


def _api_error(status, explanation):
    cls = docker.errors.NotFound if status == 404 else docker.errors.APIError
    return cls("%s error for http+docker://localhost/v1.41/distribution" % status, _Response(status), explanation)


class DistributionApi(FakeApi):
    """The engine's side: its distribution inspect answers ``answer`` (a dict, or an error to raise)."""

    def __init__(self, local, answer):
        super().__init__(local)
        self.answer = answer
        self.asked = []

    def inspect_image(self, name):
        if self.local is None:
            raise _api_error(404, "No such image: %s" % name)
        return self.local

    def inspect_distribution(self, image, auth_config=None):
        self.asked.append((image, auth_config))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def engine_with(local, answer):
    engine = Engine(EngineConfig(docker_host="unix:///fake.sock"))
    engine._api = DistributionApi(local, answer)
    return engine


class UnreachableRegistry(FakeRegistry):
    def manifest(self, repository, reference, platform=None):
        self.asked.append((repository, reference, platform))
        raise RegistryUnreachable("cannot reach registry 127.0.0.1:5000: connection refused")


def _distribution(digest):
    return {"Descriptor": {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "digest": digest,
                           "size": 527}, "Platforms": [{"architecture": "amd64", "os": "linux"}]}


@pytest.mark.parametrize("local, answer, pull, changed", [
    (OLD, _distribution("sha256:d-old"), False, False),   # the engine names the digest the local image came from
    (OLD, _distribution("sha256:d-new"), True, True),
    (None, _distribution("sha256:d-new"), True, True),
])
def test_the_engine_is_asked_when_the_module_cannot_reach_the_registry(local, answer, pull, changed):
    engine = engine_with(local, answer)
    auth = dict(username="u", password="p", serveraddress="127.0.0.1:5000")
    plan = _image_transfer.plan_pull(engine, ImageRef.parse(NAME + ":1"), "always", auth=auth,
                                     registry=UnreachableRegistry(None))
    assert (plan.pull, plan.changed) == (pull, changed)
    assert plan.remote.digest == answer["Descriptor"]["digest"]
    assert engine.api.asked == [(NAME + ":1", auth)]
    assert plan.unreachable == ("cannot reach registry 127.0.0.1:5000: connection refused (from the module's host); "
                                "Docker Engine at unix:///fake.sock asked it instead")


@pytest.mark.parametrize("check_mode, pulled", [(True, []), (False, [(NAME, "1")])])
def test_an_engine_without_distribution_inspect_pulls_and_check_mode_predicts_a_change(check_mode, pulled):
    engine = engine_with(OLD, _api_error(404, "page not found"))
    plan = _image_transfer.ensure_image(engine, ImageRef.parse(NAME + ":1"), "always", check_mode,
                                        registry=UnreachableRegistry(None))
    assert (plan.pull, plan.changed, plan.remote) == (True, True, None)
    assert engine.api.pulled == pulled
    assert plan.unreachable.endswith("Docker Engine at unix:///fake.sock cannot be asked without pulling or pushing")


def test_a_registry_neither_side_reaches_fails_in_one_line_naming_it():
    refused = _api_error(500, 'Get "http://127.0.0.1:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused')
    with pytest.raises(RegistryUnreachable) as err:
        _image_transfer.plan_pull(engine_with(OLD, refused), ImageRef.parse(NAME + ":1"), "always",
                                  registry=UnreachableRegistry(None))
    assert str(err.value) == (
        "cannot reach registry 127.0.0.1:5000: connection refused (from the module's host); "
        "nor could Docker Engine at unix:///fake.sock: "
        'Get "http://127.0.0.1:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused (HTTP 500)')


def test_an_image_the_engine_finds_missing_fails_naming_it():
    missing = _api_error(404, "manifest unknown: manifest unknown")
    with pytest.raises(KapalError, match=r"^image %s:1 not found in registry 127.0.0.1:5000$" % NAME):
        _image_transfer.plan_pull(engine_with(None, missing), ImageRef.parse(NAME + ":1"), "missing",
                                  registry=UnreachableRegistry(None))
    remote, unreachable = _image_transfer.ask_registry(engine_with(None, missing), ImageRef.parse(NAME + ":1"),
                                                       UnreachableRegistry(None), missing_ok=True)
    assert remote is None and unreachable.endswith("asked it instead")
