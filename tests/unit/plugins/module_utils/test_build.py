"""_build: reading the Dockerfile, its FROM images, the context and the hash; the spec from parameters."""

import os

import pytest

from ansible_collections.kapal.docker.plugins.module_utils._build import (
    BUILD_HASH_LABEL,
    SENT_DOCKERFILE,
    BuildSpec,
    base_images,
    build_hash,
    context_files,
    needs_build,
    read_dockerfile,
    spec_from_params,
)
from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError
from ansible_collections.kapal.docker.plugins.module_utils._reference import ImageRef


@pytest.mark.parametrize("text, args, expected", [
    ("FROM busybox\n", None, ["busybox"]),
    ("# c\nFROM --platform=linux/amd64 a/b:1 AS build\nFROM build\nFROM scratch\nFROM c\n", None, ["a/b:1", "c"]),
    ("ARG BASE=alpine:3\nFROM ${BASE}\nFROM $BASE AS x\n", None, ["alpine:3"]),
    ("ARG BASE=alpine:3\nFROM ${BASE}\n", {"BASE": "debian:12"}, ["debian:12"]),
    ("FROM \\\n  busybox \\\n  AS one\nRUN x\nFROM one\n", None, ["busybox"]),
    ("from lower AS Stage\nFROM stage\n", None, ["lower"]),
])
def test_base_images(text, args, expected):
    assert base_images(text, args) == expected


def spec(path, **kw):
    return BuildSpec(path=str(path), ref=ImageRef.parse("app:latest"), **kw)


@pytest.fixture
def ctx(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM busybox\nCOPY . /app\n")
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("b")
    (tmp_path / "skip.log").write_text("x")
    (tmp_path / ".dockerignore").write_text("*.log\n# comment\n")
    return tmp_path


def digest(ctx, **kw):
    s = spec(ctx, **kw)
    dockerfile = read_dockerfile(s)
    return build_hash(s, dockerfile, context_files(s.path, dockerfile), {"busybox": "sha256:1"})


def test_context_honours_dockerignore(ctx):
    files = context_files(str(ctx), read_dockerfile(spec(ctx)))
    assert files == sorted([".dockerignore", "Dockerfile", "a.txt", "sub", os.path.join("sub", "b.txt")])


def test_hash_is_stable_and_follows_the_inputs(ctx):
    first = digest(ctx)
    assert first == digest(ctx) and first.startswith("sha256:")
    (ctx / "skip.log").write_text("ignored")
    assert digest(ctx) == first
    assert digest(ctx, build_args={"A": "1"}) != first
    assert digest(ctx, target="x") != first
    assert digest(ctx, labels={"k": "v"}) != first
    assert digest(ctx, platform="linux/arm64") != first
    (ctx / "sub" / "b.txt").write_text("B")
    second = digest(ctx)
    assert second != first
    os.chmod(ctx / "a.txt", 0o700)
    assert digest(ctx) != second


def test_hash_follows_the_base_image_id(ctx):
    s = spec(ctx)
    dockerfile = read_dockerfile(s)
    files = context_files(s.path, dockerfile)
    assert build_hash(s, dockerfile, files, {"busybox": "sha256:1"}) != build_hash(s, dockerfile, files, {"busybox": "sha256:2"})


def test_dockerfile_sources(ctx, tmp_path_factory):
    inside = read_dockerfile(spec(ctx))
    assert (inside.name, inside.sent) == ("Dockerfile", False)
    inline = read_dockerfile(spec(ctx, dockerfile_content="FROM x\n"))
    assert (inline.name, inline.text, inline.sent) == (SENT_DOCKERFILE, "FROM x\n", True)
    other = tmp_path_factory.mktemp("elsewhere") / "Dockerfile.web"
    other.write_text("FROM y\n")
    outside = read_dockerfile(spec(ctx, dockerfile=str(other)))
    assert (outside.name, outside.text, outside.sent) == (SENT_DOCKERFILE, "FROM y\n", True)
    with pytest.raises(KapalError, match="^dockerfile: no such file: .*/nope$"):
        read_dockerfile(spec(ctx, dockerfile="nope"))


def params(**kw):
    base = dict(path="/ctx", name="app", tag=None, extra_tags=[], build_args={}, labels={}, rebuild="auto")
    base.update(kw)
    return base


def test_spec_from_params_tags():
    s = spec_from_params(params(extra_tags=["1.0", "reg:5000/team/app:1.0", "latest"]))
    assert str(s.ref) == "app:latest"
    assert [str(r) for r in s.extra_refs] == ["app:1.0", "reg:5000/team/app:1.0"]
    assert str(spec_from_params(params(name="app:2", tag="2")).ref) == "app:2"
    assert spec_from_params(params(build_args={"N": 1})).build_args == {"N": "1"}


@pytest.mark.parametrize("kw, message", [
    (dict(name="app:1", tag="2"), "tag: '2' conflicts with the tag in name 'app:1'"),
    (dict(name="app@sha256:" + "a" * 64), "name: a build cannot produce a digest reference"),
    (dict(extra_tags=["bad tag"]), "extra_tags: invalid tag 'bad tag'"),
    (dict(extra_tags=["reg:5000/app"]), "extra_tags: expected a tag or a repository:tag reference"),
])
def test_spec_from_params_refuses(kw, message):
    with pytest.raises(KapalError) as info:
        spec_from_params(params(**kw))
    assert str(info.value).startswith(message)


@pytest.mark.parametrize("policy, labels, expected", [
    ("auto", {BUILD_HASH_LABEL: "h"}, False),
    ("auto", {BUILD_HASH_LABEL: "other"}, True),
    ("auto", None, True),
    ("never", {BUILD_HASH_LABEL: "other"}, False),
    ("always", {BUILD_HASH_LABEL: "h"}, True),
])
def test_needs_build(policy, labels, expected):
    assert needs_build(policy, {"Config": {"Labels": labels}}, "h") is expected


@pytest.mark.parametrize("policy", ["auto", "never", "always"])
def test_absent_image_is_always_built(policy):
    assert needs_build(policy, None, "h") is True
