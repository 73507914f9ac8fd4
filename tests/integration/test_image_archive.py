"""kapal.docker.image_export and kapal.docker.image_load against the test bed's engine.

Images are one-file imports named newmod-arch-<token>/...; every image and archive is removed afterwards.
"""

import json
import os
import tarfile

import docker.errors
import pytest

from tests.integration.conftest import quietly, run_module
from tests.integration.image_support import make_image, token


@pytest.fixture
def repo(docker_api):
    """A unique repository name; every image made under it is removed afterwards."""
    name = "newmod-arch-%s" % token()
    yield name
    for image in docker_api.images(name=name + "/*") + docker_api.images(name=name):
        try:
            docker_api.remove_image(image["Id"], force=True)
        except docker.errors.NotFound:
            pass


@pytest.fixture
def untagged(docker_api):
    """Ids of images a test moved a tag away from (no name left for ``repo`` to find): removed afterwards."""
    ids = []
    yield ids
    for image_id in ids:
        quietly(docker_api.remove_image, image_id, force=True)


def _id(docker_api, reference):
    try:
        return docker_api.inspect_image(reference)["Id"]
    except docker.errors.ImageNotFound:
        return None


def _manifest(path):
    with tarfile.open(path) as archive:
        return json.load(archive.extractfile("manifest.json"))


def test_export_check_run_idempotent_and_changes(docker_api, repo, untagged, tmp_path):
    one = make_image(docker_api, repo + "/one:1", "one " + repo)
    two = make_image(docker_api, repo + "/two:1", "two " + repo)
    path = str(tmp_path / "bundle.tar")
    args = {"names": [repo + "/one:1", repo + "/two"], "tag": "1", "path": path}

    predicted = run_module("image_export", args, check_mode=True, diff=True)
    assert predicted.rc == 0 and predicted["changed"] is True, predicted
    assert not os.path.exists(path), "check mode wrote the archive"
    wanted = sorted([{"id": one, "repo_tags": [repo + "/one:1"]}, {"id": two, "repo_tags": [repo + "/two:1"]}],
                    key=lambda image: image["id"])
    assert predicted["diff"] == {"before": {"path": path, "images": None}, "after": {"path": path, "images": wanted}}

    written = run_module("image_export", args, diff=True)
    assert written["changed"] is True and written["diff"] == predicted["diff"], written
    assert sorted(image["id"] for image in written["images"]) == sorted([one, two])
    assert sorted((e["Config"][:64], e["RepoTags"]) for e in _manifest(path)) == sorted(
        [(one[7:], [repo + "/one:1"]), (two[7:], [repo + "/two:1"])])
    stamp = os.stat(path).st_mtime_ns
    for check_mode in (True, False):
        again = run_module("image_export", args, check_mode=check_mode, diff=True)
        assert again["changed"] is False, again
        assert again["diff"]["before"] == again["diff"]["after"] == {"path": path, "images": wanted}
    assert os.stat(path).st_mtime_ns == stamp, "an unchanged archive was rewritten"

    # The tag now names another image: the archive would hold another image, so it is rewritten.
    three = make_image(docker_api, repo + "/two:1", "three " + repo)
    untagged.append(two)
    moved = run_module("image_export", args, diff=True)
    assert moved["changed"] is True, moved
    assert {"id": three, "repo_tags": [repo + "/two:1"]} in moved["diff"]["after"]["images"]
    assert {"id": two, "repo_tags": [repo + "/two:1"]} in moved["diff"]["before"]["images"]
    assert run_module("image_export", dict(args, force=True))["changed"] is True

    # Fewer names: another archive.
    assert run_module("image_export", dict(args, names=[repo + "/one:1"]))["changed"] is True
    assert [e["RepoTags"] for e in _manifest(path)] == [[repo + "/one:1"]]


def test_export_by_id_and_two_tags_of_one_image(docker_api, repo, tmp_path):
    one = make_image(docker_api, repo + "/one:1", "one " + repo)
    docker_api.tag(one, repo + "/one", "2")
    path = str(tmp_path / "one.tar")
    result = run_module("image_export", {"names": [repo + "/one:1", repo + "/one:2"], "path": path}, diff=True)
    assert result["changed"] is True and len(result["images"]) == 1, result
    assert result["diff"]["after"]["images"] == [{"id": one, "repo_tags": [repo + "/one:1", repo + "/one:2"]}]
    assert run_module("image_export", {"names": [repo + "/one:2", repo + "/one:1"], "path": path})["changed"] is False

    by_id = str(tmp_path / "by-id.tar")
    result = run_module("image_export", {"name": one[7:19], "path": by_id}, diff=True)
    assert result["changed"] is True and result["diff"]["after"]["images"] == [{"id": one, "repo_tags": []}], result
    assert run_module("image_export", {"name": one, "path": by_id})["changed"] is False


def test_export_replaces_a_file_that_is_not_an_archive(docker_api, repo, tmp_path):
    make_image(docker_api, repo + "/one:1", "one " + repo)
    path = tmp_path / "not-a.tar"
    path.write_text("hello\n")
    path.chmod(0o640)
    result = run_module("image_export", {"name": repo + "/one:1", "path": str(path)}, diff=True)
    assert result["changed"] is True and "is not a tar archive" in result["replaced_unreadable"], result
    assert result["diff"]["before"]["images"] is None
    assert [e["RepoTags"] for e in _manifest(str(path))] == [[repo + "/one:1"]]
    assert path.stat().st_mode & 0o777 == 0o640, "the existing file's mode was not kept"


@pytest.mark.parametrize("names, path, message", [
    (["{repo}/missing:1"], "{tmp}/x.tar", "names: no such image '{repo}/missing:1' on Docker Engine at "),
    (["{repo}/one@sha256:" + "a" * 64], "{tmp}/x.tar", "names: '{repo}/one@sha256:%s' names a digest" % ("a" * 64)),
    (["Bad/Name"], "{tmp}/x.tar", "names: invalid image reference 'Bad/Name'"),
    (["{repo}/one:1"], "{tmp}/no/such/dir/x.tar", "path: directory {tmp}/no/such/dir does not exist"),
    (["{repo}/one:1"], "{tmp}", "path: {tmp} is a directory, not an image archive"),
])
def test_export_bad_input_fails_in_one_line_and_writes_nothing(docker_api, repo, tmp_path, names, path, message):
    make_image(docker_api, repo + "/one:1", "one " + repo)
    fill = dict(repo=repo, tmp=str(tmp_path))
    before = sorted(os.listdir(tmp_path))
    result = run_module("image_export", {"names": [n.format(**fill) for n in names], "path": path.format(**fill)})
    assert result.failed and result["msg"].startswith(message.format(**fill)), result
    assert "\n" not in result["msg"]
    assert sorted(os.listdir(tmp_path)) == before


def test_load_check_run_idempotent_and_moved_tag(docker_api, repo, untagged, tmp_path):
    one = make_image(docker_api, repo + "/one:1", "one " + repo)
    two = make_image(docker_api, repo + "/two:1", "two " + repo)
    path = str(tmp_path / "bundle.tar")
    assert run_module("image_export", {"names": [repo + "/one:1", repo + "/two:1"], "path": path})["changed"]
    for image_id in (one, two):
        docker_api.remove_image(image_id, force=True)

    predicted = run_module("image_load", {"path": path}, check_mode=True, diff=True)
    assert predicted.rc == 0 and predicted["changed"] is True, predicted
    assert _id(docker_api, one) is None and _id(docker_api, two) is None, "check mode loaded"
    assert predicted["images"] == [None, None]
    assert sorted(predicted["image_names"]) == [repo + "/one:1", repo + "/two:1"]
    before = predicted["diff"]["before"]["images"]
    assert sorted((i["id"], i["present"], i["tags"]) for i in map(_hashable, before)) == sorted(
        [(one, False, ((repo + "/one:1", None),)), (two, False, ((repo + "/two:1", None),))])

    loaded = run_module("image_load", {"path": path}, diff=True)
    assert loaded["changed"] is True and loaded["diff"] == predicted["diff"], loaded
    assert _id(docker_api, repo + "/one:1") == one and _id(docker_api, repo + "/two:1") == two
    assert sorted(i["id"] for i in loaded["images"]) == sorted([one, two])
    assert sorted(i["id"] for i in loaded["loaded"]) == sorted([one, two])
    for check_mode in (True, False):
        again = run_module("image_load", {"path": path}, check_mode=check_mode, diff=True)
        assert again["changed"] is False and again["loaded"] == [], again
        assert again["diff"]["before"] == again["diff"]["after"]

    # A tag of the archive now points at another image: a load moves it back.
    other = make_image(docker_api, repo + "/two:1", "other " + repo)
    untagged.append(other)
    moved = run_module("image_load", {"path": path}, diff=True)
    assert moved["changed"] is True and [i["id"] for i in moved["loaded"]] == [two], moved
    assert {"id": two, "present": True, "tags": {repo + "/two:1": other}} in moved["diff"]["before"]["images"]
    assert _id(docker_api, repo + "/two:1") == two
    assert run_module("image_load", {"path": path})["changed"] is False


def _hashable(item):
    return dict(item, tags=tuple(sorted(item["tags"].items())))


@pytest.mark.parametrize("content, message", [
    (None, "path: no such file: {path}"),
    (b"not a tar at all\n", "path: {path} is not a tar archive"),
    ("empty-tar", "path: {path} holds no manifest.json (not an archive written by docker save)"),
])
def test_load_bad_input_fails_in_one_line(tmp_path, content, message):
    path = tmp_path / "input.tar"
    if content == "empty-tar":
        with tarfile.open(path, "w"):
            pass
    elif content is not None:
        path.write_bytes(content)
    result = run_module("image_load", {"path": str(path)})
    assert result.failed and result["msg"].startswith(message.format(path=path)), result
    assert "\n" not in result["msg"]
