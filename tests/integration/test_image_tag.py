"""kapal.docker.image_tag against the test bed's engine: one source, several references."""

import os

import docker.errors
import pytest

from tests.integration.conftest import run_module
from tests.integration.image_support import make_image

REPO = "house-images-imgt-%d/app" % os.getpid()


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
    args = {"name": REPO + ":one", "repository": [REPO + ":stable", REPO + ":1.0"]}

    predicted = run_module("image_tag", args, check_mode=True, diff=True)
    assert predicted.rc == 0 and predicted["changed"] is True, predicted
    assert predicted["tagged_images"] == [REPO + ":stable", REPO + ":1.0"]
    assert predicted["diff"] == {"before": {REPO + ":stable": None, REPO + ":1.0": None},
                                 "after": {REPO + ":stable": one, REPO + ":1.0": one}}
    assert _id(docker_api, REPO + ":stable") is None and _id(docker_api, REPO + ":1.0") is None, "check mode tagged"

    tagged = run_module("image_tag", args, diff=True)
    assert tagged["changed"] is True and tagged["diff"] == predicted["diff"], tagged
    assert tagged["tagged_images"] == predicted["tagged_images"]
    assert _id(docker_api, REPO + ":stable") == _id(docker_api, REPO + ":1.0") == one
    assert sorted(tagged["image"]["repo_tags"]) == [REPO + ":1.0", REPO + ":one", REPO + ":stable"]
    for check_mode in (True, False):
        again = run_module("image_tag", args, check_mode=check_mode)
        assert (again["changed"], again["tagged_images"]) == (False, []), again

    # By id, to :latest given as a single string, and moving :stable from the other image.
    moved = run_module("image_tag", {"name": two, "repository": [REPO, REPO + ":stable"]}, diff=True)
    assert moved["changed"] is True and moved["tagged_images"] == [REPO + ":latest", REPO + ":stable"], moved
    assert moved["diff"]["before"] == {REPO + ":latest": None, REPO + ":stable": one}
    assert moved["diff"]["after"] == {REPO + ":latest": two, REPO + ":stable": two}
    assert _id(docker_api, REPO + ":stable") == two
    assert REPO + ":stable" not in docker_api.inspect_image(one)["RepoTags"]


def test_existing_images_keep_leaves_references_on_other_images(docker_api, images):
    one, two = images
    args = {"name": REPO + ":two", "repository": [REPO + ":one", REPO + ":2.0"], "existing_images": "keep"}
    for check_mode in (True, False):
        result = run_module("image_tag", args, check_mode=check_mode, diff=True)
        assert result["changed"] is True and result["tagged_images"] == [REPO + ":2.0"], result
        assert result["diff"]["after"] == {REPO + ":one": one, REPO + ":2.0": two}
    assert _id(docker_api, REPO + ":one") == one and _id(docker_api, REPO + ":2.0") == two
    assert run_module("image_tag", args)["changed"] is False
    # The option's short name, and the tag option for the source and the references without a tag.
    kept = run_module("image_tag", {"name": REPO, "tag": "two", "repository": [REPO + ":one"], "existing": "keep"})
    assert kept["changed"] is False and kept["image"]["id"] == two, kept
    overwritten = run_module("image_tag", {"name": REPO, "tag": "two", "repository": [REPO + ":one"]})
    assert overwritten["changed"] is True and _id(docker_api, REPO + ":one") == two


@pytest.mark.parametrize("args, message", [
    ({"name": REPO + ":missing", "repository": [REPO + ":x"]}, "name: no such image '%s:missing' on Docker Engine at " % REPO),
    ({"name": REPO + ":one", "repository": [REPO + ":x", REPO + "@sha256:" + "a" * 64]},
     "repository: '%s@sha256:%s' names a digest; a tag is needed" % (REPO, "a" * 64)),
    ({"name": REPO + ":one", "repository": ["Bad/Name"]},
     "repository: invalid image reference 'Bad/Name' (repository names must be lower-case)"),
    ({"name": REPO + ":one", "tag": "two", "repository": [REPO + ":x"]},
     "tag: 'two' conflicts with the tag in name '%s:one'" % REPO),
    ({"name": REPO + ":one", "repository": [REPO + ":x"], "existing_images": "replace"},
     "value of existing_images must be one of: overwrite, keep, got: replace"),
])
def test_bad_input_fails_in_one_line_and_tags_nothing(docker_api, images, args, message):
    result = run_module("image_tag", args)
    assert result.failed and result["msg"].startswith(message), result
    assert "\n" not in result["msg"]
    assert _id(docker_api, REPO + ":x") is None
