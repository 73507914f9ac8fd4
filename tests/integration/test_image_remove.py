"""kapal.docker.image_remove against the test bed's real engine."""

import io
import itertools
import os

import docker.errors
import pytest

from tests.integration.conftest import run_module

_COUNTER = itertools.count()


@pytest.fixture
def image(docker_api, testbed):
    """A fresh image of our own (a unique label on busybox), tagged REPO:one; removed afterwards."""
    repo = "kapal-it-imgb/remove-%d-%d" % (os.getpid(), next(_COUNTER))
    dockerfile = "FROM %s\nLABEL kapal.test.repo=%s\n" % (testbed["busybox_image"], repo)
    for event in docker_api.build(fileobj=io.BytesIO(dockerfile.encode()), tag=repo + ":one", rm=True, forcerm=True, decode=True):
        assert "error" not in event, event
    image_id = docker_api.inspect_image(repo + ":one")["Id"]
    containers = []
    try:
        yield repo, image_id, containers
    finally:
        for container in containers:
            docker_api.remove_container(container, force=True)
        try:
            docker_api.remove_image(image_id, force=True)
        except docker.errors.NotFound:  # the test removed it
            pass


def remove(name, check_mode=False, **args):
    params = dict(name=name)
    params.update(args)
    return run_module("image_remove", params, check_mode=check_mode, diff=True)


def exists(docker_api, name):
    try:
        docker_api.inspect_image(name)
        return True
    except docker.errors.NotFound:
        return False


def test_remove_check_run_idempotent(image, docker_api, testbed):
    repo, image_id = image[:2]
    predicted = remove(repo + ":one", check_mode=True)
    assert predicted.rc == 0, predicted
    assert predicted["changed"] is True
    assert predicted["deleted"] == [image_id] and predicted["untagged"] == [repo + ":one"]
    assert predicted["diff"] == {"before": {"id": image_id, "repo_tags": [repo + ":one"]},
                                 "after": {"id": None, "repo_tags": []}}
    assert exists(docker_api, image_id)

    removed = remove(repo + ":one")
    assert removed.rc == 0, removed
    assert removed["changed"] is True
    assert image_id in removed["deleted"] and removed["untagged"] == [repo + ":one"]
    assert not exists(docker_api, image_id)
    assert exists(docker_api, testbed["busybox_image"]), "the parent is tagged: prune must keep it"

    assert remove(repo + ":one", check_mode=True)["changed"] is False
    again = remove(repo + ":one")
    assert again["changed"] is False and again["deleted"] == [] and again["untagged"] == []
    assert again["diff"]["before"] == {"id": None, "repo_tags": []}


def test_shared_tag_is_only_untagged(image, docker_api):
    repo, image_id = image[:2]
    docker_api.tag(image_id, repo, "two")
    predicted = remove(repo + ":two", check_mode=True)
    assert predicted["changed"] is True and predicted["deleted"] == [] and predicted["untagged"] == [repo + ":two"]
    result = remove(repo + ":two")
    assert result["changed"] is True and result["deleted"] == [] and result["untagged"] == [repo + ":two"]
    assert result["diff"]["after"] == {"id": image_id, "repo_tags": [repo + ":one"]}
    assert docker_api.inspect_image(image_id)["RepoTags"] == [repo + ":one"]
    assert remove(repo + ":two")["changed"] is False


def test_name_without_tag_means_latest(image, docker_api):
    repo, image_id = image[:2]
    docker_api.tag(image_id, repo, "latest")
    result = remove(repo)
    assert result["untagged"] == [repo + ":latest"] and result["deleted"] == []


def test_by_id_with_several_tags_needs_force(image, docker_api):
    repo, image_id = image[:2]
    docker_api.tag(image_id, repo, "two")
    for check_mode in (True, False):
        refused = remove(image_id[7:19], check_mode=check_mode)
        assert refused.failed
        assert refused["msg"] == "name: image %r is tagged %s; remove the tags by name or set force: true" % (
            image_id[7:19], ", ".join(docker_api.inspect_image(image_id)["RepoTags"]))
    assert exists(docker_api, repo + ":two")
    predicted = remove(image_id, check_mode=True, force=True)
    assert predicted["changed"] is True and predicted["deleted"] == [image_id]
    assert sorted(predicted["untagged"]) == [repo + ":one", repo + ":two"]
    forced = remove(image_id, force=True)
    assert forced["changed"] is True and image_id in forced["deleted"]
    assert sorted(forced["untagged"]) == [repo + ":one", repo + ":two"]
    assert not exists(docker_api, image_id)


def test_image_used_by_a_container_fails_unless_force(image, docker_api):
    repo, image_id, containers = image
    name = "kapal-it-imgb-user-%d" % os.getpid()
    containers.append(docker_api.create_container(repo + ":one", command=["true"], name=name))
    for check_mode in (True, False):
        refused = remove(repo + ":one", check_mode=check_mode)
        assert refused.failed
        assert refused["msg"] == ("name: image '%s:one' (%s) is used by container '%s'; remove the container first "
                                  "or set force: true" % (repo, image_id[7:19], name))
    assert exists(docker_api, repo + ":one")
    predicted = remove(repo + ":one", check_mode=True, force=True)
    assert predicted["changed"] is True and predicted["deleted"] == [image_id]
    forced = remove(repo + ":one", force=True)
    assert forced["changed"] is True and image_id in forced["deleted"]
    assert not exists(docker_api, image_id)


def test_running_container_keeps_the_image_even_with_force(image, docker_api):
    repo, image_id, containers = image
    container = docker_api.create_container(
        repo + ":one", command=["sleep", "300"], name="kapal-it-imgb-runner-%d" % os.getpid(),
        host_config=docker_api.create_host_config(network_mode="none"),
    )
    containers.append(container)
    docker_api.start(container)
    by_id = remove(image_id, force=True)
    assert by_id.failed and "is used by running container 'kapal-it-imgb-runner-" in by_id["msg"]
    predicted = remove(repo + ":one", force=True, check_mode=True)
    assert predicted["deleted"] == [] and predicted["untagged"] == [repo + ":one"]
    untagged = remove(repo + ":one", force=True)
    assert untagged["changed"] is True and untagged["deleted"] == [] and untagged["untagged"] == [repo + ":one"]
    assert exists(docker_api, image_id)


def test_prune_false_keeps_untagged_parents(testbed, docker_api):
    repo = "kapal-it-imgb/prune-%d" % os.getpid()
    dockerfile = "FROM %s\nLABEL kapal.test.repo=%s\nLABEL second=step\n" % (testbed["busybox_image"], repo)
    for event in docker_api.build(fileobj=io.BytesIO(dockerfile.encode()), tag=repo + ":x", rm=True, decode=True):
        assert "error" not in event, event
    parent = docker_api.inspect_image(repo + ":x")["Parent"]
    try:
        result = remove(repo + ":x", prune=False)
        assert result["changed"] is True
        assert exists(docker_api, parent), "prune: false keeps the untagged parent"
    finally:
        for leftover in (repo + ":x", parent):
            try:
                docker_api.remove_image(leftover, force=True)
            except docker.errors.NotFound:
                pass


@pytest.mark.parametrize("name, message", [
    ("Bad/Name:1", "name: invalid image reference 'Bad/Name:1' (repository names must be lower-case)"),
    ("repo:bad tag", "name: invalid image reference 'repo:bad tag'"),
])
def test_bad_name(name, message):
    result = remove(name)
    assert result.failed and result["msg"].startswith(message)
