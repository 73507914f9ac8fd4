"""_image_search: how tags are ordered and how a term matches a repository name."""

import pytest

from ansible_collections.kapal.docker.plugins.module_utils._image_search import matches, sort_tags


@pytest.mark.parametrize("tags, expected", [
    (["1.2.0", "latest", "1.10.0", "1.9", "edge"], ["1.10.0", "1.9", "1.2.0", "edge", "latest"]),
    (["v2", "v10", "v1.5"], ["v10", "v2", "v1.5"]),
    (["1.0-rc1", "1.0", "0.9"], ["1.0", "1.0-rc1", "0.9"]),
    (["b", "a"], ["a", "b"]),
    ([], []),
])
def test_sort_tags(tags, expected):
    assert sort_tags(tags) == expected


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
    assert matches(term, text) is expected
