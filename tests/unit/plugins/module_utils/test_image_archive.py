"""Image archives: what a manifest says, and what an export of some names writes."""

import io
import json
import tarfile

import pytest

from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError
from ansible_collections.kapal.docker.plugins.module_utils._image_archive import (
    archive_key,
    config_image_id,
    parse_manifest,
    read_archive,
    wanted_archive,
)
from ansible_collections.kapal.docker.plugins.module_utils._images import familiar_tag
from ansible_collections.kapal.docker.plugins.module_utils._reference import ImageRef

HEX_A, HEX_B = "a" * 64, "b" * 64


@pytest.mark.parametrize("name, expected", [
    ("busybox", "busybox:latest"),
    ("docker.io/library/busybox:1", "busybox:1"),
    ("docker.io/team/app:2", "team/app:2"),
    ("127.0.0.1:5000/team/app:3", "127.0.0.1:5000/team/app:3"),
    ("localhost/app", "localhost/app:latest"),
])
def test_familiar_tag(name, expected):
    ref = ImageRef.parse(name)
    assert familiar_tag("%s:%s" % (ref.name, ref.effective_tag)) == expected


@pytest.mark.parametrize("config, expected", [
    (HEX_A + ".json", "sha256:" + HEX_A),
    ("blobs/sha256/" + HEX_B, "sha256:" + HEX_B),
    ("config.json", None),
    (None, None),
])
def test_config_image_id(config, expected):
    assert config_image_id(config) == expected


def test_parse_manifest_sorts_by_id_and_tags():
    data = json.dumps([{"Config": "blobs/sha256/" + HEX_B, "RepoTags": ["b:2", "b:1"], "Layers": []},
                       {"Config": HEX_A + ".json", "RepoTags": None, "Layers": []}]).encode()
    expected = [{"id": "sha256:" + HEX_A, "repo_tags": []}, {"id": "sha256:" + HEX_B, "repo_tags": ["b:1", "b:2"]}]
    assert parse_manifest(data, "x.tar") == expected
    # Podman writes the names it was given in full: read as Docker lists them (issue #13).
    podman = json.dumps([{"Config": HEX_A + ".json", "RepoTags": ["docker.io/library/b:1", "docker.io/team/c:2"]}]).encode()
    assert parse_manifest(podman, "x.tar") == [{"id": "sha256:" + HEX_A, "repo_tags": ["b:1", "team/c:2"]}]
    with pytest.raises(KapalError) as err:
        parse_manifest(b"{}", "x.tar")
    assert str(err.value) == "path: x.tar: manifest.json is not a list of images"


def test_wanted_archive_groups_tags_by_image():
    one, two = {"Id": "sha256:" + HEX_A}, {"Id": "sha256:" + HEX_B}
    resolved = [("a:1", "a:1", one, "a:1"), ("a:2", "a:2", one, "a:2"), (HEX_B[:12], HEX_B[:12], two, None)]
    assert wanted_archive(resolved) == [{"id": "sha256:" + HEX_A, "repo_tags": ["a:1", "a:2"]},
                                        {"id": "sha256:" + HEX_B, "repo_tags": []}]
    assert archive_key(wanted_archive(resolved)) == archive_key(list(reversed(wanted_archive(resolved))))


def _tar(path, members, compression=""):
    with tarfile.open(path, "w" + (":" + compression if compression else "")) as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize("compression", ["", "gz"])
def test_read_archive(tmp_path, compression):
    path = tmp_path / "images.tar"
    manifest = json.dumps([{"Config": HEX_A + ".json", "RepoTags": ["a:1"], "Layers": []}]).encode()
    _tar(path, [(HEX_A + ".json", b"{}"), ("manifest.json", manifest)], compression)
    assert read_archive(str(path)) == [{"id": "sha256:" + HEX_A, "repo_tags": ["a:1"]}]
    assert read_archive(str(tmp_path / "missing.tar")) is None


def test_read_archive_refuses_what_is_not_an_image_archive(tmp_path):
    _tar(tmp_path / "plain.tar", [("hello.txt", b"hi")])
    (tmp_path / "text.tar").write_text("not a tar\n")
    for name, message in (("plain.tar", "holds no manifest.json"), ("text.tar", "is not a tar archive")):
        with pytest.raises(KapalError) as err:
            read_archive(str(tmp_path / name))
        assert message in str(err.value) and str(err.value).startswith("path: ")
    with pytest.raises(KapalError) as err:
        read_archive(str(tmp_path))
    assert str(err.value) == "path: %s is a directory, not an image archive" % tmp_path
