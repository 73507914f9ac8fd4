"""kapal.docker.image_pull against the test bed's engine and registries."""

import pytest

from tests.integration.conftest import run_module
from tests.integration.image_support import push


def absent(docker_api, reference):
    return not [i for i in docker_api.images() if reference in (i.get("RepoTags") or []) + (i.get("RepoDigests") or [])]


def test_pull_by_tag_check_run_and_idempotence(docker_api, arrange):
    full, image_id, digest = arrange.pushed("plain", "app")
    docker_api.remove_image(image_id, force=True)
    args = {"name": full, "tag": "1"}

    predicted = run_module("image_pull", args, check_mode=True, diff=True)
    assert predicted.rc == 0, predicted
    assert predicted["changed"] is True and predicted["image"] is None
    assert predicted["digest"] == digest
    assert predicted["diff"] == {"before": {"id": None, "repo_digests": []},
                                 "after": {"id": image_id, "repo_digests": ["%s@%s" % (full, digest)]}}
    assert absent(docker_api, full + ":1"), "check mode pulled"

    pulled = run_module("image_pull", args, diff=True)
    assert pulled.rc == 0, pulled
    assert pulled["changed"] is True
    assert pulled["image"]["id"] == image_id == docker_api.inspect_image(full + ":1")["Id"]
    assert pulled["image"]["repo_tags"] == [full + ":1"]
    assert pulled["diff"]["after"] == predicted["diff"]["after"]

    for check_mode in (True, False):
        again = run_module("image_pull", args, check_mode=check_mode, diff=True)
        assert again.rc == 0 and again["changed"] is False, again
        assert again["image"]["id"] == image_id
        assert again["diff"]["before"] == again["diff"]["after"]
    always = run_module("image_pull", dict(args, pull="always"))
    assert always["changed"] is False and always["digest"] == digest


def test_pull_by_digest(docker_api, arrange):
    full, image_id, digest = arrange.pushed("plain", "pinned")
    docker_api.remove_image(image_id, force=True)
    args = {"name": "%s@%s" % (full, digest)}

    assert run_module("image_pull", args, check_mode=True)["changed"] is True
    assert absent(docker_api, "%s@%s" % (full, digest))
    pulled = run_module("image_pull", args)
    assert pulled["changed"] is True, pulled
    assert pulled["image"]["id"] == image_id
    assert pulled["image"]["repo_digests"] == ["%s@%s" % (full, digest)]
    for policy in ("missing", "always"):
        for check_mode in (True, False):
            again = run_module("image_pull", dict(args, pull=policy), check_mode=check_mode)
            assert again["changed"] is False, again


def test_pull_always_follows_a_moved_tag(docker_api, arrange):
    full, first_id, first_digest = arrange.pushed("plain", "moving", content="first")
    second_id = arrange.image(full + ":1", "second")
    moved_digest = push(docker_api, full + ":1")
    assert second_id != first_id and moved_digest != first_digest
    docker_api.tag(first_id, full, "1")  # the host still has the first image under the tag
    args = {"name": full + ":1", "pull": "always"}

    assert run_module("image_pull", dict(args, pull="missing"))["changed"] is False
    predicted = run_module("image_pull", args, check_mode=True, diff=True)
    assert predicted["changed"] is True, predicted
    assert predicted["diff"]["before"]["id"] == first_id and predicted["diff"]["after"]["id"] == second_id
    assert docker_api.inspect_image(full + ":1")["Id"] == first_id, "check mode pulled"

    pulled = run_module("image_pull", args, diff=True)
    assert pulled["changed"] is True, pulled
    assert pulled["image"]["id"] == second_id == docker_api.inspect_image(full + ":1")["Id"]
    assert pulled["digest"] == moved_digest
    for check_mode in (True, False):
        assert run_module("image_pull", args, check_mode=check_mode)["changed"] is False


@pytest.mark.parametrize("new_image_here", [True, False], ids=["new-image-on-the-engine", "new-image-absent"])
def test_pull_always_check_diff_predicts_what_the_pull_does(docker_api, arrange, new_image_here):
    full, first_id, first_digest = arrange.pushed("plain", "predict", content="first")
    second_id = arrange.image(full + ":1", "second")
    moved_digest = push(docker_api, full + ":1")
    docker_api.tag(first_id, full, "1")  # the host still has the first image under the tag
    if not new_image_here:
        docker_api.remove_image(second_id, force=True)
    args = {"name": full + ":1", "pull": "always"}

    predicted = run_module("image_pull", args, check_mode=True, diff=True)
    assert predicted["changed"] is True, predicted
    assert predicted["diff"]["before"] == {"id": first_id, "repo_digests": ["%s@%s" % (full, first_digest)]}
    pulled = run_module("image_pull", args, diff=True)
    assert pulled["changed"] is True, pulled
    real = docker_api.inspect_image(full + ":1")
    assert pulled["diff"]["after"] == {"id": second_id, "repo_digests": sorted(real["RepoDigests"])}
    assert "%s@%s" % (full, moved_digest) in real["RepoDigests"]
    assert predicted["diff"] == pulled["diff"]


def test_pull_always_of_an_unmoved_tag_changes_nothing(testbed, docker_api):
    name = "%s/kapal-test/busybox:latest" % testbed["plain_registry"]
    before = docker_api.inspect_image(name)["Id"]
    for check_mode in (True, False):
        result = run_module("image_pull", {"name": name, "pull": "always"}, check_mode=check_mode)
        assert result.rc == 0 and result["changed"] is False, result
    assert docker_api.inspect_image(name)["Id"] == before


def test_pull_with_credentials_from_the_secure_registry(testbed, docker_api, arrange):
    full, image_id, _digest = arrange.pushed("secure", "private")
    docker_api.remove_image(image_id, force=True)
    args = {"name": full + ":1", "username": testbed["registry_user"], "password": testbed["registry_password"]}

    assert run_module("image_pull", args, check_mode=True)["changed"] is True
    pulled = run_module("image_pull", args)
    assert pulled["changed"] is True and pulled["image"]["id"] == image_id, pulled
    assert testbed["registry_password"] not in str(dict(pulled))
    assert run_module("image_pull", dict(args, pull="always"))["changed"] is False


def test_wrong_password_fails_in_one_line_and_pulls_nothing(testbed, docker_api, arrange):
    full, image_id, _digest = arrange.pushed("secure", "locked")
    docker_api.remove_image(image_id, force=True)
    args = {"name": full + ":1", "username": testbed["registry_user"], "password": "not-the-password"}
    for check_mode in (True, False):
        result = run_module("image_pull", args, check_mode=check_mode)
        assert result.failed
        assert result["msg"] == "registry %s: authentication failed for user 'kapal' (HTTP 401)" % testbed["secure_registry"]
        assert "not-the-password" not in str(dict(result)) and "Traceback" not in result.stderr
    assert absent(docker_api, full + ":1")


def test_secure_registry_without_credentials(testbed, docker_api, arrange):
    full, image_id, _digest = arrange.pushed("secure", "nocreds")
    docker_api.remove_image(image_id, force=True)
    result = run_module("image_pull", {"name": full + ":1"})
    assert result.failed
    assert result["msg"] == "registry %s: read manifest %s:1 needs credentials: set username and password" % (
        testbed["secure_registry"], full.split("/", 1)[1])
    assert absent(docker_api, full + ":1")


def test_unknown_image(testbed, docker_api, arrange):
    full = arrange.name("plain", "never-pushed")[1]
    for check_mode in (True, False):
        result = run_module("image_pull", {"name": full + ":1"}, check_mode=check_mode)
        assert result.failed
        assert result["msg"] == "image %s:1 not found in registry %s" % (full, testbed["plain_registry"])
    assert absent(docker_api, full + ":1")


def test_malformed_references_name_the_option_and_value():
    result = run_module("image_pull", {"name": "127.0.0.1:5000/Kapal-It-Imga/App"})
    assert result.failed
    assert result["msg"] == ("name: invalid image reference '127.0.0.1:5000/Kapal-It-Imga/App' "
                             "(repository names must be lower-case)")
    result = run_module("image_pull", {"name": "kapal-it-imga/app:1", "tag": "2"})
    assert result["msg"] == "tag: '2' conflicts with the tag in name 'kapal-it-imga/app:1'"
    result = run_module("image_pull", {"name": "kapal-it-imga/app", "platform": "amd64"})
    assert result["msg"] == "platform: expected os/architecture[/variant] such as linux/amd64, got 'amd64'"
    result = run_module("image_pull", {"name": "kapal-it-imga/app", "pull": "sometimes"})
    assert result.failed and "pull" in result["msg"] and "sometimes" in result["msg"]


def test_unreachable_registry(docker_api):
    name = "127.0.0.1:5999/kapal-it-imga/app:1"
    for check_mode in (True, False):
        result = run_module("image_pull", {"name": name}, check_mode=check_mode)
        assert result.failed
        assert result["msg"] == "cannot reach registry 127.0.0.1:5999: connection refused"
    assert absent(docker_api, name)
