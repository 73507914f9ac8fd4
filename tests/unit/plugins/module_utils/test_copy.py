"""docker cp: modes, paths, Go file modes, and the tar stream sent into a container."""

import io
import os
import tarfile

import pytest

from ansible_collections.kapal.docker.plugins.module_utils._copy import (
    GO_DIR,
    GO_SETUID,
    GO_STICKY,
    GO_SYMLINK,
    container_path_of,
    go_kind,
    go_mode_to_unix,
    parse_mode,
    same_stream,
    source_entries,
    tar_stream,
)
from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError


@pytest.mark.parametrize("value, how, expected", [
    ("0644", "modern", 0o644), ("644", "modern", 0o644), ("0o755", "modern", 0o755), (0o600, "modern", 0o600),
    (420, "legacy", 420), ("420", "legacy", 420), ("4755", "octal_string_only", 0o4755), (None, "modern", None),
])
def test_parse_mode(value, how, expected):
    assert parse_mode(value, how) == expected


@pytest.mark.parametrize("value, how, message", [
    ("rwx", "modern", "mode: expected an octal string such as '0644', got 'rwx'"),
    ("99999", "modern", "mode: expected an octal string such as '0644', got '99999'"),
    ("77777", "modern", "mode: '77777' is not a file mode (0 to 07777)"),
    (0o644, "octal_string_only", "mode: expected an octal string such as '0644' (mode_parse is octal_string_only), got 420"),
    (True, "modern", "mode: expected an octal string such as '0644', got True"),
])
def test_parse_mode_refuses(value, how, message):
    with pytest.raises(KapalError) as err:
        parse_mode(value, how)
    assert str(err.value) == message


@pytest.mark.parametrize("given, expected", [("etc/app.conf", "/etc/app.conf"), ("/a/../b/", "/b"), ("/", "/")])
def test_container_path_of(given, expected):
    assert container_path_of(given) == expected


def test_go_modes():
    assert go_kind(GO_DIR | 0o755) == "directory" and go_kind(GO_SYMLINK | 0o777) == "symlink" and go_kind(0o644) == "file"
    assert go_kind(1 << 26) == "other"
    assert go_mode_to_unix(GO_DIR | GO_STICKY | 0o777) == 0o1777 and go_mode_to_unix(GO_SETUID | 0o755) == 0o4755


def test_same_stream():
    assert same_stream(io.BytesIO(b"abc"), io.BytesIO(b"abc"))
    assert not same_stream(io.BytesIO(b"abc"), io.BytesIO(b"abd"))
    assert not same_stream(io.BytesIO(b"abc"), io.BytesIO(b"abcd"))
    assert not same_stream(io.BytesIO(b"abcd"), io.BytesIO(b"abc"))


def test_a_directory_streams_as_one_tar(tmp_path):
    tree = tmp_path / "site"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "a.txt").write_bytes(b"a" * 1000)
    (tree / "link").symlink_to("sub/a.txt")
    os.chmod(tree / "sub" / "a.txt", 0o600)
    entries = source_entries({"path": str(tree)}, None)
    expected = [("", "directory"), ("link", "symlink"), ("sub", "directory"), ("sub/a.txt", "file")]
    assert [(e.rel, e.kind) for e in entries] == expected
    data = b"".join(tar_stream(entries, "www", 33, 44))
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        found = {m.name: (m.type, m.mode, m.uid, m.gid, m.linkname) for m in archive.getmembers()}
        assert archive.extractfile("www/sub/a.txt").read() == b"a" * 1000
    assert found["www/sub/a.txt"] == (tarfile.REGTYPE, 0o600, 33, 44, "")
    assert found["www/link"][0] == tarfile.SYMTYPE and found["www/link"][4] == "sub/a.txt"
    assert found["www"][0] == tarfile.DIRTYPE


def test_content_entries():
    [entry] = source_entries({"content": "aGk=", "content_is_b64": True}, None)
    assert (entry.kind, entry.mode, entry.size, entry.data) == ("file", 0o644, 2, b"hi")
    [entry] = source_entries({"content": "x", "content_is_b64": False}, 0o600)
    assert entry.mode == 0o600
