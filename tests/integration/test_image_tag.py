"""kapal.docker.image_tag against the test bed's engine."""

import os

import docker.errors
import pytest

from tests.integration.conftest import run_module
from tests.integration.image_support import make_image

REPO = "fixrb-imgt-%d/app" % os.getpid()


@pytest.fixture
def images(docker_api):
    """Two one-file images, REPO:one and REPO:two; every tag of REPO is removed afterwards."""
    made = [make_image(docker_api, REPO + ":one", "one"), make_image(docker_api, REPO + ":two", "two")]
    try:
        yield made
    finally:
        for image_id in made:
            try:
                docker_api.remove_image(image_id, force=True)
            except docker.errors.NotFound:
                pass


def _id(docker_api, reference):
    try:
        return docker_api.inspect_image(reference)["Id"]
    except docker.errors.ImageNotFound:
        return None


def test_tag_check_run_idempotent_and_move(docker_api, images):
    one, two = images
    args = {"name": REPO + ":one", "repository": REPO + ":stable"}

    predicted = run_module("image_tag", args, check_mode=True, diff=True)
    assert predicted.rc == 0 and predicted["changed"] is True, predicted
    assert predicted["diff"] == {"before": {"repository": REPO + ":stable", "id": None},
                                 "after": {"repository": REPO + ":stable", "id": one}}
    assert _id(docker_api, REPO + ":stable") is None, "check mode tagged"

    tagged = run_module("image_tag", args, diff=True)
    assert tagged["changed"] is True and tagged["diff"] == predicted["diff"], tagged
    assert _id(docker_api, REPO + ":stable") == one
    assert sorted(tagged["image"]["repo_tags"]) == [REPO + ":one", REPO + ":stable"]
    for check_mode in (True, False):
        assert run_module("image_tag", args, check_mode=check_mode)["changed"] is False

    moved = run_module("image_tag", {"name": two, "repository": REPO}, diff=True)  # by id, to :latest
    assert moved["changed"] is True and moved["repository"] == REPO + ":latest", moved
    back = run_module("image_tag", {"name": two, "repository": REPO + ":stable"}, diff=True)
    assert back["diff"]["before"]["id"] == one and back["diff"]["after"]["id"] == two
    assert _id(docker_api, REPO + ":stable") == two
    assert REPO + ":stable" not in docker_api.inspect_image(one)["RepoTags"]


@pytest.mark.parametrize("args, message", [
    ({"name": REPO + ":missing", "repository": REPO + ":x"}, "name: no such image '%s:missing' on Docker Engine at " % REPO),
    ({"name": REPO + ":one", "repository": REPO + "@sha256:" + "a" * 64},
     "repository: '%s@sha256:%s' names a digest; a tag is needed" % (REPO, "a" * 64)),
    ({"name": REPO + ":one", "repository": "Bad/Name"},
     "repository: invalid image reference 'Bad/Name' (repository names must be lower-case)"),
])
def test_bad_input_fails_in_one_line(images, args, message):
    result = run_module("image_tag", args)
    assert result.failed and result["msg"].startswith(message), result
    assert "\n" not in result["msg"]
