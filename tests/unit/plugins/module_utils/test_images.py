"""Pull planning: which policy asks the registry, pulls, and predicts a change, from a table of cases."""

import contextlib

import pytest

from ansible_collections.kapal.docker.plugins.module_utils import _images
from ansible_collections.kapal.docker.plugins.module_utils._errors import EngineNotFound, KapalError
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

    def inspect_image(self, name):
        if self.local is None:
            raise EngineNotFound("no such image")
        return self.local

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
    plan = _images.plan_pull(engine, ImageRef.parse(reference), policy, registry=registry)
    assert (bool(registry.asked), plan.pull, plan.changed) == (asks, pull, changed)
    if asks:
        assert registry.asked[0][:2] == ("team/app", "1")
        assert registry.asked[0][2] == dict(os="linux", architecture="amd64", variant=None)


def test_absent_under_never_fails_naming_the_image():
    with pytest.raises(KapalError, match=r"^image %s:1 is not present on Docker Engine at unix:///fake.sock and pull is never$" % NAME):
        _images.plan_pull(FakeEngine(None), ImageRef.parse(NAME + ":1"), "never", registry=FakeRegistry(None))


def test_unknown_in_registry_fails_naming_the_image():
    with pytest.raises(KapalError, match=r"^image %s:latest not found in registry 127.0.0.1:5000$" % NAME):
        _images.plan_pull(FakeEngine(None), ImageRef.parse(NAME), "missing", registry=FakeRegistry(None))


def test_bad_policy():
    with pytest.raises(KapalError, match=r"^pull: expected one of missing, always, never, got 'sometimes'$"):
        _images.plan_pull(FakeEngine(OLD), ImageRef.parse(NAME), "sometimes")


@pytest.mark.parametrize("check_mode, pulled, inspect_id", [(True, [], "sha256:old"), (False, [(NAME, "1")], "sha256:new")])
def test_ensure_image_pulls_only_outside_check_mode(check_mode, pulled, inspect_id):
    engine = FakeEngine(OLD)
    changed, inspect = _images.ensure_image(engine, ImageRef.parse(NAME + ":1"), "always", check_mode,
                                            registry=FakeRegistry(REMOTE_NEW))
    assert changed is True
    assert engine.api.pulled == pulled
    assert inspect["Id"] == inspect_id


def test_local_digests_only_of_the_repository():
    inspect = {"RepoDigests": [NAME + "@sha256:a", "other/app@sha256:b", NAME + "x@sha256:c"]}
    assert _images.local_digests(inspect, ImageRef.parse(NAME)) == ["sha256:a"]


@pytest.mark.parametrize("tags, expected", [
    (["1.2.0", "latest", "1.10.0", "1.9", "edge"], ["1.10.0", "1.9", "1.2.0", "edge", "latest"]),
    (["v2", "v10", "v1.5"], ["v10", "v2", "v1.5"]),
    (["1.0-rc1", "1.0", "0.9"], ["1.0", "1.0-rc1", "0.9"]),
    (["b", "a"], ["a", "b"]),
    ([], []),
])
def test_sort_tags(tags, expected):
    assert _images.sort_tags(tags) == expected


@pytest.mark.parametrize("term, text, expected", [
    ("busy", "kapal-test/busybox", True),
    ("BUSY", "kapal-test/busybox", True),
    ("kapal-*", "kapal-test/busybox", True),
    ("busy*", "kapal-test/busybox", False),
    ("*/busybox", "kapal-test/busybox", True),
    ("kapal-test/b?sybox", "kapal-test/busybox", True),
    ("r[24]", "r3", False),
])
def test_matches(term, text, expected):
    assert _images.matches(term, text) is expected


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
    got_source, got_target = _images._push_refs(params)
    assert (got_source, str(got_target)) == (source, target)
