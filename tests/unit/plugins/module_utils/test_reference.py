"""Image references: parse, format, and the messages for bad ones."""

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError
from ansible_collections.kapal.docker.plugins.module_utils._reference import ImageRef, is_docker_hub, looks_like_id, split_tag_option

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    "text, registry, repository, tag, digest, remote_path, pull",
    [
        ("redis", None, "redis", None, None, "library/redis", "redis:latest"),
        ("redis:7.2", None, "redis", "7.2", None, "library/redis", "redis:7.2"),
        ("bitnami/redis", None, "bitnami/redis", None, None, "bitnami/redis", "bitnami/redis:latest"),
        ("127.0.0.1:5000/kapal-test/busybox:latest", "127.0.0.1:5000", "kapal-test/busybox", "latest", None,
         "kapal-test/busybox", "127.0.0.1:5000/kapal-test/busybox:latest"),
        ("localhost/app", "localhost", "app", None, None, "app", "localhost/app:latest"),
        ("registry.example.com/a/b/c:1", "registry.example.com", "a/b/c", "1", None, "a/b/c", "registry.example.com/a/b/c:1"),
        ("redis@" + DIGEST, None, "redis", None, DIGEST, "library/redis", "redis@" + DIGEST),
        ("redis:7@" + DIGEST, None, "redis", "7", DIGEST, "library/redis", "redis@" + DIGEST),
        ("my_app__x-y.z", None, "my_app__x-y.z", None, None, "library/my_app__x-y.z", "my_app__x-y.z:latest"),
    ],
)
def test_parse(text, registry, repository, tag, digest, remote_path, pull):
    ref = ImageRef.parse(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (registry, repository, tag, digest)
    assert ref.remote_path == remote_path
    assert ref.pull_reference == pull
    assert str(ref) == text


@pytest.mark.parametrize(
    "text, why",
    [
        ("", "expected an image reference"),
        ("Redis", "lower-case"),
        ("a//b", "empty repository name"),
        ("x:", "tag must be"),
        ("x:-bad", "tag must be"),
        ("x@sha256:123", "digest must look like"),
        ("-x", "repository path component '-x'"),
        ("a/b_", "repository path component 'b_'"),
        ("x:" + "t" * 129, "tag must be"),
    ],
)
def test_bad_references_name_option_and_value(text, why):
    with pytest.raises(KapalError) as err:
        ImageRef.parse(text, option="image")
    message = str(err.value)
    assert message.startswith("image: ")
    assert why in message
    assert "\n" not in message


def test_non_string_is_refused():
    with pytest.raises(KapalError, match="^name: expected an image reference"):
        ImageRef.parse(5)


def test_ids():
    assert looks_like_id("sha256:" + "a" * 64)
    assert looks_like_id("0123456789ab")
    assert not looks_like_id("redis")
    assert not looks_like_id("0123")


def test_split_tag_option():
    assert str(split_tag_option("redis", "7")) == "redis:7"
    assert str(split_tag_option("redis:7", "7")) == "redis:7"
    assert str(split_tag_option("redis:7", None)) == "redis:7"
    with pytest.raises(KapalError, match="^tag: '8' conflicts with the tag in name 'redis:7'"):
        split_tag_option("redis:7", "8")
    with pytest.raises(KapalError, match="^tag: 'x' cannot be combined with a digest"):
        split_tag_option("redis@" + DIGEST, "x")


_component = st.from_regex(r"[a-z0-9]{1,6}(?:[._-][a-z0-9]{1,6}){0,2}", fullmatch=True)
_refs = st.builds(
    ImageRef,
    repository=st.lists(_component, min_size=1, max_size=3).map("/".join),
    registry=st.one_of(st.none(), st.sampled_from(["127.0.0.1:5000", "registry.example.com", "localhost:443"])),
    tag=st.one_of(st.none(), st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)),
    digest=st.one_of(st.none(), st.just(DIGEST)),
)


def _unambiguous(ref):
    # Without a registry, a first component with a dot is read as a registry: that is the grammar.
    first = ref.repository.split("/")[0]
    return ref.registry is not None or "/" not in ref.repository or ("." not in first and first != "localhost")


@settings(max_examples=150, deadline=None)
@given(_refs.filter(_unambiguous))
def test_format_parse_round_trip(ref):
    assert ImageRef.parse(str(ref)) == ref


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_parses_or_fails_cleanly(text):
    try:
        ref = ImageRef.parse(text)
    except KapalError as exc:
        assert "\n" not in str(exc)
    else:
        assert ImageRef.parse(str(ref)) == ref


@pytest.mark.parametrize("registry, expected", [
    (None, True), ("docker.io", True), ("index.docker.io", True), ("registry-1.docker.io", True),
    ("registry.hub.docker.com", True), ("hub.docker.com", True), ("127.0.0.1:5000", False), ("docker.io.example", False),
])
def test_is_docker_hub(registry, expected):
    assert is_docker_hub(registry) is expected


@pytest.mark.parametrize("text, local_name, remote_path", [
    ("busybox", "busybox", "library/busybox"),
    ("docker.io/busybox", "busybox", "library/busybox"),
    ("docker.io/library/busybox:1", "busybox", "library/busybox"),
    ("index.docker.io/team/app", "team/app", "team/app"),
    # the engine keeps the name of Docker Hub's API host as it is given
    ("registry-1.docker.io/library/busybox", "registry-1.docker.io/library/busybox", "library/busybox"),
    ("127.0.0.1:5000/library/app", "127.0.0.1:5000/library/app", "library/app"),
])
def test_docker_hub_names(text, local_name, remote_path):
    ref = ImageRef.parse(text)
    assert (ref.local_name, ref.remote_path) == (local_name, remote_path)
