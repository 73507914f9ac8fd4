"""_image_transfer: which pull policy asks the registry, pulls, and predicts a change (a table of cases); push references."""

import contextlib

import pytest

from ansible_collections.kapal.docker.plugins.module_utils import _image_transfer
from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError
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
