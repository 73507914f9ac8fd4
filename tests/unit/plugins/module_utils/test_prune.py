"""Prune: filters, the engine's label and time rules, and the replays of image and build cache prunes."""

import pytest

from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError
from ansible_collections.kapal.docker.plugins.module_utils._prune import (
    ImageModel,
    match_labels,
    normalize_filters,
    parse_duration,
    parse_time_ns,
    plan_build_cache,
    plan_containers,
    until_cutoff,
)

S = 10 ** 9
NOW = 1_800_000_000 * S + 500_000_000  # half a second past a whole second


@pytest.mark.parametrize("kind, given, expected", [
    ("containers", None, {}),
    ("containers", {"label": "a=b"}, {"label": ["a=b"]}),
    ("containers", {"label": ["a", "b=c"], "label!": {"keep": None, "tier": "db"}}, {"label": ["a", "b=c"], "label!": ["keep", "tier=db"]}),
    ("images", {"dangling": False, "until": 3600}, {"dangling": ["false"], "until": ["3600"]}),
    ("volumes", {"all": True}, {"all": ["true"]}),
    ("builder_cache", {"id": "^abc", "type": "regular"}, {"id": ["^abc"], "type": ["regular"]}),
])
def test_normalize_filters(kind, given, expected):
    assert normalize_filters(kind, given) == expected


@pytest.mark.parametrize("kind, given, message", [
    ("containers", {"name": "x"}, "containers_filters: unsupported filter 'name' (expected one of until, label, label!)"),
    ("networks", {"dangling": True}, "networks_filters: unsupported filter 'dangling' (expected one of until, label, label!)"),
    ("images", {"dangling": "perhaps"}, "images_filters: dangling expects true or false, got 'perhaps'"),
    ("images", {"until": ["1h", "2h"]}, "images_filters: until expects one value, got ['1h', '2h']"),
    ("containers", {"label": "=x"}, "containers_filters: label expects key or key=value, got '=x'"),
    ("containers", {"label": [["nested"]]}, "containers_filters: label expects a string or a list of strings, got [['nested']]"),
])
def test_normalize_filters_refuses(kind, given, message):
    with pytest.raises(KapalError) as err:
        normalize_filters(kind, given)
    assert str(err.value) == message


@pytest.mark.parametrize("filters, labels, expected", [
    ({}, None, True),
    ({"label": ["a"]}, {"a": ""}, True),
    ({"label": ["a"]}, {}, False),
    ({"label": ["a=1"]}, {"a": "2"}, False),
    ({"label": ["a=1", "b"]}, {"a": "1", "b": "x"}, True),
    ({"label!": ["keep"]}, {"keep": "1"}, False),
    ({"label!": ["keep"]}, {}, True),
    # kept only when every label! filter matches (the engine's MatchKVList)
    ({"label!": ["keep", "tier=db"]}, {"keep": "1"}, True),
    ({"label!": ["keep", "tier=db"]}, {"keep": "1", "tier": "db"}, False),
    ({"label": ["app"], "label!": ["keep"]}, {"app": "x", "keep": ""}, False),
])
def test_match_labels(filters, labels, expected):
    assert match_labels(filters, labels) is expected


@pytest.mark.parametrize("text, expected", [
    ("24h", 24 * 3600 * S), ("90m", 5400 * S), ("1h30m", 5400 * S), ("1.5h", 5400 * S), ("-2s", -2 * S),
    ("300ms", 300 * 10 ** 6), ("0s", 0), ("0", None), ("10", None), ("h", None), ("1x", None), ("", None), ("1h 2m", None),
])
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text, offset, expected", [
    ("2027-01-15T08:00:00Z", 0, 1_800_000_000 * S),
    ("2027-01-15T08:00:00.25Z", 0, 1_800_000_000 * S + 250_000_000),
    ("2027-01-15T09:00:00+01:00", 0, 1_800_000_000 * S),
    ("2027-01-15T09:00:00", 3600, 1_800_000_000 * S),
    ("2027-01-15T09", 3600, 1_800_000_000 * S),
    ("2027-01-15", 0, 1_799_971_200 * S),
    ("2027-13-01", 0, None),
    ("yesterday", 0, None),
])
def test_parse_time_ns(text, offset, expected):
    assert parse_time_ns(text, offset) == expected


def test_until_cutoff():
    clock = (NOW, 0)
    assert until_cutoff("o", "1h", clock) == NOW - NOW % S - 3600 * S, "a duration counts to the whole second"
    assert until_cutoff("o", "2027-01-15T08:00:00Z", clock) == 1_800_000_000 * S
    assert until_cutoff("o", "1800000000.5", clock) == 1_800_000_000 * S + 500_000_000
    with pytest.raises(KapalError) as err:
        until_cutoff("builder_cache_filters", "2027-01-15", clock, durations_only=True)
    assert str(err.value) == "builder_cache_filters: until expects a duration such as 24h or 90m, got '2027-01-15'"
    with pytest.raises(KapalError):
        until_cutoff("o", "soon", clock)


def test_plan_containers_keeps_running_and_young_ones():
    old, young = "2026-01-01T00:00:00.5Z", "2026-06-01T00:00:00Z"
    containers = [
        dict(Id="a", State="exited", Labels={"app": "x"}, CreatedAt=old),
        dict(Id="b", State="created", Labels={"app": "x"}, CreatedAt=young),
        dict(Id="c", State="running", Labels={"app": "x"}, CreatedAt=old),
        dict(Id="d", State="paused", Labels={"app": "x"}, CreatedAt=old),
        dict(Id="e", State="restarting", Labels={"app": "x"}, CreatedAt=old),
        dict(Id="f", State="dead", Labels={}, CreatedAt=old),
    ]
    assert [c["Id"] for c in plan_containers(containers, {"label": ["app"]}, None)] == ["a", "b"]
    cutoff = parse_time_ns("2026-03-01T00:00:00Z")
    assert [c["Id"] for c in plan_containers(containers, {}, cutoff)] == ["a", "f"]


def image(image_id, parent=None, tags=(), digests=(), labels=None, created=None):
    return dict(Id=image_id, ParentId=parent or "", RepoTags=list(tags) or ["<none>:<none>"],
                RepoDigests=list(digests), Labels=labels, CreatedAt=created)


def test_image_prune_dangling_takes_unused_parents_along():
    images = [
        image("base", tags=["busybox:latest"]),
        image("mid", parent="base"),               # untagged intermediate of "top" and "other"
        image("top", parent="mid"),                # dangling head
        image("other", parent="mid", tags=["app:1"]),
        image("lone"),                             # dangling, parent-less
        image("used"),                             # dangling, used by a container
        image("pinned", digests=["app@sha256:" + "a" * 64]),  # a digest alone is dangling
    ]
    model = ImageModel(images, [dict(ImageID="used")])
    deleted, untagged = model.prune({}, None)
    assert deleted == ["lone", "pinned", "top"]
    assert untagged == ["app@sha256:" + "a" * 64]


def test_image_prune_all_removes_unused_chains_and_keeps_what_containers_use():
    images = [
        image("base", tags=["busybox:latest"]),
        image("mid", parent="base"),
        image("top", parent="mid", tags=["app:1", "app:latest"]),
        image("run", tags=["web:1", "web:2"]),
        image("kept", tags=["db:1"], labels={"keep": "1"}),
    ]
    model = ImageModel(images, [dict(ImageID="run")])
    deleted, untagged = model.prune({"dangling": ["false"], "label!": ["keep"]}, None)
    assert deleted == ["base", "mid", "top"]
    # The engine untags all but the last reference of an image a container uses, then stops.
    assert untagged == ["app:1", "app:latest", "busybox:latest", "web:1"]


def test_image_prune_until_and_labels():
    old, young = "2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z"
    images = [image("a", labels={"team": "x"}, created=old), image("b", labels={"team": "x"}, created=young),
              image("c", labels={"team": "y"}, created=old), image("d", labels={"team": "x"})]
    cutoff = parse_time_ns("2026-03-01T00:00:00Z")
    assert ImageModel(images, []).prune({"label": ["team=x"]}, cutoff) == (["a"], [])


def record(record_id, parent=None, in_use=False, kind="regular", shared=False, last=None, size=10, count=1):
    return dict(ID=record_id, Parent=parent, InUse=in_use, Type=kind, Shared=shared, LastUsedAt=last, Size=size,
                UsageCount=count)


def test_build_cache_plan():
    records = [
        record("r1"), record("r2", parent="r1"), record("r3", parent="r2", in_use=True),
        record("i1", kind="internal"), record("s1", shared=True), record("f1", kind="frontend"),
        record("x1"), record("x2", parent="x1", kind="exec.cachemount"),
    ]
    assert plan_build_cache(records, {}, None) == ["x2", "x1"], "r1, r2 hold an in-use child; internal, shared, frontend stay"
    assert sorted(plan_build_cache(records, {}, None, prune_all=True)) == ["f1", "i1", "s1", "x1", "x2"]
    assert plan_build_cache(records, {"type": ["regular"]}, None) == [], "x1 keeps its exec.cachemount child"
    assert plan_build_cache(records, {"id": ["^x2$"]}, None) == ["x2"]
    recent = [record("old", last="2026-01-01T00:00:00Z"), record("new", last="2026-06-01T00:00:00Z"), record("never")]
    assert sorted(plan_build_cache(recent, {}, parse_time_ns("2026-03-01T00:00:00Z"))) == ["never", "old"]


def test_build_cache_keep_storage_removes_least_used_first():
    records = [record("a", last="2026-02-01T00:00:00Z", size=40, count=5),
               record("b", last="2026-01-01T00:00:00Z", size=40, count=1),
               record("c", last="2026-03-01T00:00:00Z", size=40, count=9)]
    assert plan_build_cache(records, {}, None, keep_bytes=100) == ["b"]
    assert plan_build_cache(records, {}, None, keep_bytes=50) == ["b", "a"]
    assert plan_build_cache(records, {}, None, keep_bytes=200) == []
