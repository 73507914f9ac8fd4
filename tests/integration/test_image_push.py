"""kapal.docker.image_push against the test bed's engine and registries."""

from tests.integration.conftest import run_module
from tests.integration.image_support import PREFIX


def tags_of(docker_api, image_id):
    return docker_api.inspect_image(image_id)["RepoTags"]


def test_tag_into_a_repository_and_push(testbed, docker_api, arrange, registries):
    source = "%s-%s-src:1" % (PREFIX, arrange.token)
    image_id = arrange.image(source, "push me")
    repository, full = arrange.name("plain", "app")
    args = {"name": source, "repository": full}
    plain = registries["plain"]

    predicted = run_module("image_push", args, check_mode=True, diff=True)
    assert predicted.rc == 0 and predicted["changed"] is True, predicted
    assert predicted["digest"] is None and predicted["repository"] == full + ":1"
    assert predicted["diff"]["before"] == {"repository": full + ":1", "image_id": None, "digest": None}
    assert predicted["diff"]["after"]["image_id"] == image_id
    assert tags_of(docker_api, image_id) == [source], "check mode tagged"
    assert plain.manifest_digest(repository, "1") is None, "check mode pushed"

    pushed = run_module("image_push", args, diff=True)
    assert pushed.rc == 0 and pushed["changed"] is True, pushed
    assert pushed["digest"] is not None
    assert pushed["digest"] == plain.manifest_digest(repository, "1")
    assert pushed["image"]["id"] == image_id
    assert sorted(tags_of(docker_api, image_id)) == sorted([source, full + ":1"])
    assert pushed["diff"]["after"] == {"repository": full + ":1", "image_id": image_id, "digest": pushed["digest"]}

    for check_mode in (True, False):
        again = run_module("image_push", args, check_mode=check_mode, diff=True)
        assert again.rc == 0 and again["changed"] is False, again
        assert again["digest"] == pushed["digest"]
        assert again["diff"]["before"] == again["diff"]["after"]


def test_push_a_name_that_carries_its_registry_and_a_moved_image(docker_api, arrange, registries):
    repository, full = arrange.name("plain", "direct")
    first = arrange.image(full + ":2", "first")
    args = {"name": full + ":2"}
    assert run_module("image_push", args, check_mode=True)["changed"] is True
    first_push = run_module("image_push", args)
    assert first_push["changed"] is True and first_push["repository"] == full + ":2"
    assert run_module("image_push", args)["changed"] is False

    second = arrange.image(full + ":2", "second")  # the tag now names another image
    assert second != first
    assert run_module("image_push", args, check_mode=True)["changed"] is True
    assert registries["plain"].manifest_digest(repository, "2") == first_push["digest"], "check mode pushed"
    moved = run_module("image_push", args)
    assert moved["changed"] is True and moved["image"]["id"] == second
    assert moved["digest"] == registries["plain"].manifest_digest(repository, "2") != first_push["digest"]
    assert run_module("image_push", args, check_mode=True)["changed"] is False


def test_push_to_the_secure_registry_with_credentials(testbed, docker_api, arrange, registries):
    source = "%s-%s-src:1" % (PREFIX, arrange.token)
    image_id = arrange.image(source, "secure push")
    repository, full = arrange.name("secure", "app")
    args = {"name": image_id, "repository": full, "tag": "stable",
            "username": testbed["registry_user"], "password": testbed["registry_password"]}

    assert run_module("image_push", args, check_mode=True)["changed"] is True
    pushed = run_module("image_push", args)
    assert pushed.rc == 0 and pushed["changed"] is True, pushed
    assert pushed["digest"] == registries["secure"].manifest_digest(repository, "stable")
    assert full + ":stable" in tags_of(docker_api, image_id)
    assert testbed["registry_password"] not in str(dict(pushed))
    for check_mode in (True, False):
        assert run_module("image_push", args, check_mode=check_mode)["changed"] is False


def test_wrong_password_pushes_and_tags_nothing(testbed, docker_api, arrange, registries):
    source = "%s-%s-src:1" % (PREFIX, arrange.token)
    image_id = arrange.image(source, "refused")
    repository, full = arrange.name("secure", "refused")
    args = {"name": source, "repository": full, "username": testbed["registry_user"], "password": "not-the-password"}
    for check_mode in (True, False):
        result = run_module("image_push", args, check_mode=check_mode)
        assert result.failed
        assert result["msg"] == "registry %s: authentication failed for user 'kapal' (HTTP 401)" % testbed["secure_registry"]
        assert "not-the-password" not in str(dict(result)) and "Traceback" not in result.stderr
    assert tags_of(docker_api, image_id) == [source]
    assert repository not in registries["secure"].catalog()


def test_missing_local_image(testbed):
    name = "%s-missing:1" % PREFIX
    result = run_module("image_push", {"name": name, "repository": "%s/%s/app" % (testbed["plain_registry"], PREFIX)})
    assert result.failed
    assert result["msg"] == "name: no such image '%s' on Docker Engine at %s" % (name, testbed["docker_host"])


def test_bad_references_name_the_option_and_value(testbed):
    cases = [
        ({"name": "kapal-test/busybox:latest", "repository": "127.0.0.1:5000/Kapal-It-Imga/App"},
         "repository: invalid image reference '127.0.0.1:5000/Kapal-It-Imga/App' (repository names must be lower-case)"),
        ({"name": "kapal-test/busybox:latest", "repository": "127.0.0.1:5000/kapal-it-imga/app@sha256:" + "a" * 64},
         "repository: '127.0.0.1:5000/kapal-it-imga/app@sha256:%s' names a digest; a push needs a tag" % ("a" * 64)),
        ({"name": "kapal-test/busybox:latest", "repository": "127.0.0.1:5000/kapal-it-imga/app:1", "tag": "2"},
         "tag: '2' conflicts with the tag in repository '127.0.0.1:5000/kapal-it-imga/app:1'"),
        ({"name": "127.0.0.1:5000/kapal-it-imga/app@sha256:" + "b" * 64},
         "name: '127.0.0.1:5000/kapal-it-imga/app@sha256:%s' names a digest; a push needs a tag (give repository)" % ("b" * 64)),
        ({"name": "0dd083d4e8c0"},
         "repository: needed to push image id '0dd083d4e8c0' (name it, for example registry.example.com/team/app:1.0)"),
        ({"name": "bad name"}, "name: invalid image reference 'bad name' (repository path component 'bad name' may hold "
                               "only a-z, 0-9 and single separators . _ -)"),
    ]
    for args, message in cases:
        result = run_module("image_push", args)
        assert result.failed and result["msg"] == message, (args, result.get("msg"))
