"""kapal.docker.image_info against the test bed's real engine."""

import io
import os

import pytest

from tests.integration.conftest import run_module

REPO = "kapal-it-imgb/info-%d" % os.getpid()


@pytest.fixture(scope="module")
def labelled(docker_api, testbed):
    """A small image of our own with a unique label, tagged twice."""
    dockerfile = "FROM %s\nLABEL org.kapal.test.info=%d\nEXPOSE 8080/tcp\nCMD [\"sh\"]\n" % (testbed["busybox_image"], os.getpid())
    for event in docker_api.build(fileobj=io.BytesIO(dockerfile.encode()), tag=REPO + ":one", rm=True, forcerm=True, decode=True):
        assert "error" not in event, event
    docker_api.tag(REPO + ":one", REPO, "two")
    try:
        yield docker_api.inspect_image(REPO + ":one")
    finally:
        for tag in ("one", "two"):
            try:
                docker_api.remove_image("%s:%s" % (REPO, tag))
            except Exception:  # already gone: the test that removed it failed half way
                pass


def test_by_name_returns_the_facts(labelled, testbed):
    result = run_module("image_info", {"name": REPO + ":one"})
    assert result.rc == 0, result
    assert result["changed"] is False and result["exists"] is True and result["missing"] == []
    (image,) = result["images"]
    assert image["id"] == labelled["Id"]
    assert sorted(image["repo_tags"]) == [REPO + ":one", REPO + ":two"]
    assert image["labels"]["org.kapal.test.info"] == str(os.getpid())
    assert image["exposed_ports"] == ["8080/tcp"]
    assert image["config"]["cmd"] == ["sh"]
    assert image["size"] == labelled["Size"]


def test_names_ids_and_absent_ones(labelled, testbed, docker_api):
    busybox = docker_api.inspect_image(testbed["busybox_image"])
    names = [REPO + ":one", labelled["Id"], labelled["Id"][7:19], testbed["busybox_image"], REPO + ":absent"]
    result = run_module("image_info", {"name": names}, check_mode=True)
    assert result.rc == 0, result
    assert [i["id"] for i in result["images"]] == [labelled["Id"], busybox["Id"]]
    assert result["exists"] is False
    assert result["missing"] == [REPO + ":absent"]
    assert result["changed"] is False


def test_name_without_tag_means_latest(testbed):
    result = run_module("image_info", {"name": testbed["busybox_image"].rsplit(":", 1)[0]})
    assert result["exists"] is True and result["images"][0]["repo_tags"]


def test_absent_only(labelled):
    result = run_module("image_info", {"name": REPO + ":nope"})
    assert result.rc == 0, result
    assert result["images"] == [] and result["exists"] is False


def test_filters(labelled, docker_api):
    result = run_module("image_info", {"filters": {"reference": REPO + ":*"}})
    assert result.rc == 0, result
    assert [i["id"] for i in result["images"]] == [labelled["Id"]] and result["exists"] is True
    result = run_module("image_info", {"filters": {"label": ["org.kapal.test.info=%d" % os.getpid()], "dangling": False}})
    assert [i["id"] for i in result["images"]] == [labelled["Id"]]
    result = run_module("image_info", {"filters": {"label": "org.kapal.test.info=nobody"}})
    assert result["images"] == [] and result["exists"] is False


def test_everything_without_options(labelled, testbed):
    result = run_module("image_info", {})
    assert result.rc == 0, result
    ids = [i["id"] for i in result["images"]]
    assert labelled["Id"] in ids
    assert any(testbed["busybox_image"] in i["repo_tags"] for i in result["images"])


@pytest.mark.parametrize("args, message", [
    ({"name": "Kapal/Upper"}, "name: invalid image reference 'Kapal/Upper' (repository names must be lower-case)"),
    ({"name": ["ok", "bad name"]}, "name: invalid image reference 'bad name'"),
    ({"filters": {"colour": "red"}}, "filters: unsupported filter 'colour' (expected one of reference, label, dangling, before, since)"),
    ({"filters": {"dangling": "maybe"}}, "filters: dangling expects true or false, got 'maybe'"),
])
def test_bad_input_is_one_line(args, message):
    result = run_module("image_info", args)
    assert result.failed and result.rc == 1
    assert result["msg"].startswith(message)
    assert "\n" not in result["msg"]


def test_name_and_filters_exclude_each_other():
    result = run_module("image_info", {"name": "x", "filters": {"dangling": True}})
    assert result.failed and "mutually exclusive" in result["msg"]
