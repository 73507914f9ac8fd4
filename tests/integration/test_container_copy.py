"""kapal.docker.container_copy against the test bed's engine.

Containers are named newmod-copy-<token>-... (most never started: copying into a stopped container
is the point) and removed afterwards; what is on the host lives in the test's tmp_path.
"""

import base64
import io
import os
import tarfile
import uuid

import docker.errors
import pytest

from tests.integration.conftest import run_module

BUSYBOX = "kapal-test/busybox:latest"


@pytest.fixture
def container(docker_api):
    """make(state="created"|"running") -> a container's name; all are removed afterwards."""
    made = []

    def make(state="created"):
        name = "newmod-copy-%s-%s" % (uuid.uuid4().hex[:8], state)
        docker_api.create_container(BUSYBOX, ["sleep", "300"], name=name)
        made.append(name)
        if state == "running":
            docker_api.start(name)
        return name

    yield make
    for name in made:
        try:
            docker_api.remove_container(name, force=True)
        except docker.errors.NotFound:
            pass


def members(docker_api, name, path):
    """{relative name: (type, mode, uid, gid, content or link)} of ``path`` in the container; None when absent."""
    try:
        chunks, _stat = docker_api.get_archive(name, path)
    except docker.errors.NotFound:
        return None
    found = {}
    with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as archive:
        for member in archive.getmembers():
            rel = member.name.split("/", 1)[1] if "/" in member.name else ""
            body = archive.extractfile(member).read() if member.isreg() else member.linkname if member.issym() else None
            kind = "dir" if member.isdir() else "link" if member.issym() else "file"
            found[rel] = (kind, member.mode & 0o7777, member.uid, member.gid, body)
    return found


def copy(check_mode=False, **args):
    return run_module("container_copy", args, check_mode=check_mode, diff=True)


def test_a_file_into_a_stopped_container(container, docker_api, tmp_path):
    name = container()
    source = tmp_path / "app.conf"
    source.write_text("listen 80\n")
    source.chmod(0o640)
    args = dict(container=name, path=str(source), container_path="/etc/app.conf", owner_id=1000, group_id=100)

    predicted = copy(check_mode=True, **args)
    assert predicted.rc == 0 and predicted["changed"] is True, predicted
    assert predicted["changed_files"] == ["/etc/app.conf"]
    assert predicted["diff"] == {"before": {"/etc/app.conf": None}, "after": {"/etc/app.conf": {
        "type": "file", "mode": "0640", "owner_id": 1000, "group_id": 100, "size": 10, "content_matches": True}}}
    assert members(docker_api, name, "/etc/app.conf") is None, "check mode wrote the file"

    done = copy(**args)
    assert done["changed"] is True and done["diff"] == predicted["diff"], done
    assert (done["container"], done["mode"], done["owner_id"], done["group_id"]) == (name, "0640", 1000, 100)
    assert members(docker_api, name, "/etc/app.conf") == {"": ("file", 0o640, 1000, 100, b"listen 80\n")}
    for check_mode in (True, False):
        again = copy(check_mode=check_mode, **args)
        assert again["changed"] is False and again["changed_files"] == [], again

    source.write_text("listen 81\n")  # the same size: read and compared
    same_size = copy(**args)
    assert same_size["changed"] is True, same_size
    assert same_size["diff"]["before"]["/etc/app.conf"]["content_matches"] is False
    assert members(docker_api, name, "/etc/app.conf")[""][4] == b"listen 81\n"
    assert copy(**dict(args, mode="0600"))["changed"] is True
    as_root = {**args, "mode": "0600", "owner_id": 0}
    assert copy(**as_root)["diff"]["before"]["/etc/app.conf"]["owner_id"] == 1000
    assert members(docker_api, name, "/etc/app.conf") == {"": ("file", 0o600, 0, 100, b"listen 81\n")}
    assert copy(**as_root)["changed"] is False
    assert copy(**dict(as_root, force=True))["changed"] is True
    assert copy(**dict(args, mode="0644", force=False))["changed"] is False, "force=false must not touch an existing file"


def test_content_and_base64_content(container, docker_api):
    name = container("running")
    text = copy(container=name, content="greeting-newmod\n", container_path="tmp/hello.txt")
    assert text["changed"] is True and text["container_path"] == "/tmp/hello.txt", text
    assert members(docker_api, name, "/tmp/hello.txt") == {"": ("file", 0o644, 0, 0, b"greeting-newmod\n")}
    assert copy(container=name, content="greeting-newmod\n", container_path="/tmp/hello.txt")["changed"] is False
    assert "greeting-newmod" not in str(text)

    blob = bytes(range(256)) * 64
    args = dict(container=name, content=base64.b64encode(blob).decode(), content_is_b64=True,
                container_path="/tmp/blob.bin", mode=0o600)
    assert copy(**args)["changed"] is True
    assert members(docker_api, name, "/tmp/blob.bin") == {"": ("file", 0o600, 0, 0, blob)}
    assert copy(**args)["changed"] is False


def test_a_directory_into_a_container(container, docker_api, tmp_path):
    name = container()
    tree = tmp_path / "site"
    (tree / "css").mkdir(parents=True)
    tree.chmod(0o755)
    (tree / "css").chmod(0o750)
    (tree / "index.html").write_text("<h1>hi</h1>\n")
    (tree / "css" / "site.css").write_text("body {}\n")
    (tree / "home.html").symlink_to("index.html")
    args = dict(container=name, path=str(tree), container_path="/tmp/site")

    predicted = copy(check_mode=True, **args)
    assert predicted["changed"] is True and predicted["changed_files"] == [
        "/tmp/site", "/tmp/site/css", "/tmp/site/css/site.css", "/tmp/site/home.html", "/tmp/site/index.html"], predicted
    assert members(docker_api, name, "/tmp/site") is None
    done = copy(**args)
    assert done["changed"] is True and done["changed_files"] == predicted["changed_files"], done
    assert members(docker_api, name, "/tmp/site") == {
        "": ("dir", 0o755, 0, 0, None), "css": ("dir", 0o750, 0, 0, None),
        "css/site.css": ("file", 0o644, 0, 0, b"body {}\n"), "index.html": ("file", 0o644, 0, 0, b"<h1>hi</h1>\n"),
        "home.html": ("link", 0o777, 0, 0, "index.html")}
    for check_mode in (True, False):
        assert copy(check_mode=check_mode, **args)["changed"] is False

    # An extra file in the container stays; a changed file is the only one written.
    assert copy(container=name, content="extra\n", container_path="/tmp/site/extra.txt")["changed"] is True
    (tree / "css" / "site.css").write_text("body {color: red}\n")
    changed = copy(**args)
    assert changed["changed_files"] == ["/tmp/site/css/site.css"], changed
    after = members(docker_api, name, "/tmp/site")
    assert after["css/site.css"][4] == b"body {color: red}\n" and after["extra.txt"][4] == b"extra\n"
    assert copy(**args)["changed"] is False


def test_out_of_a_container(container, docker_api, tmp_path):
    name = container()
    assert copy(container=name, content="one-newmod\n", container_path="/etc/one.txt", mode="0600")["changed"]
    target = tmp_path / "one.txt"
    args = dict(container=name, direction="out", container_path="/etc/one.txt", path=str(target))

    predicted = copy(check_mode=True, **args)
    assert predicted["changed"] is True and not target.exists(), predicted
    done = copy(**args)
    assert done["changed"] is True and done["changed_files"] == [str(target)], done
    assert target.read_text() == "one-newmod\n" and target.stat().st_mode & 0o7777 == 0o600
    assert done["diff"]["before"] == predicted["diff"]["before"] == {str(target): None}
    for check_mode in (True, False):
        assert copy(check_mode=check_mode, **args)["changed"] is False

    target.write_text("two-newmod\n")  # the same size, another content: copied back
    back = copy(**args)
    assert back["changed"] is True and back["diff"]["before"][str(target)]["content_matches"] is False, back
    assert target.read_text() == "one-newmod\n"
    assert copy(**dict(args, mode="0644"))["changed"] is True and target.stat().st_mode & 0o7777 == 0o644

    tree = tmp_path / "etc-copy"
    etc = dict(container=name, direction="out", container_path="/etc", path=str(tree))
    result = copy(**etc)
    assert result["changed"] is True and (tree / "one.txt").read_text() == "one-newmod\n", result
    assert (tree / "passwd").is_file()
    assert copy(**etc)["changed"] is False
    (tree / "passwd").write_text("tampered\n")
    assert copy(**etc)["changed_files"] == [str(tree / "passwd")]
    assert "root" in (tree / "passwd").read_text()

    linked = copy(container=name, direction="out", container_path="/bin/sh", path=str(tmp_path / "sh"), follow=True)
    assert linked["container_path"] == "/bin/busybox" and (tmp_path / "sh").stat().st_size > 100000, linked
    as_link = copy(container=name, direction="out", container_path="/bin/sh", path=str(tmp_path / "sh-link"))
    assert as_link["changed"] is True and os.readlink(tmp_path / "sh-link") == "busybox", as_link


@pytest.mark.parametrize("args, message", [
    ({"container": "newmod-copy-no-such", "content": "newmod-content", "container_path": "/tmp/x"},
     "container: no such container 'newmod-copy-no-such' on Docker Engine at "),
    ({"content": "newmod-content", "container_path": "/no/such/dir/x"}, "container_path: directory /no/such/dir does not exist in container "),
    ({"path": "{tmp}/missing", "container_path": "/tmp/x"}, "path: cannot read {tmp}/missing: No such file or directory"),
    ({"content": "newmod-content", "container_path": "/tmp/x", "mode": "rwx"}, "mode: expected an octal string such as '0644', got 'rwx'"),
    ({"content": "newmod-content", "container_path": "/tmp/x", "mode": "99999"}, "mode: expected an octal string such as '0644', got '99999'"),
    ({"content": "newmod-content", "container_path": "/etc"}, "container_path: /etc is a directory in container "),
    ({"content": "newmod-content", "container_path": "/tmp/x", "owner_id": -1}, "owner_id: expected a number 0 or greater, got -1"),
    ({"direction": "out", "container_path": "/no/such", "path": "{tmp}/out"}, "container_path: no such file or directory /no/such in container "),
    ({"direction": "out", "container_path": "/etc/passwd"}, "path: direction out needs the path to write on the host"),
    ({"container_path": "/tmp/x"}, "path: give path (a file or directory on the host) or content"),
    ({"content": "newmod-content", "content_is_b64": True, "container_path": "/tmp/x"}, "content: content_is_b64 is true but content is not base64"),
])
def test_bad_input_fails_in_one_line_and_writes_nothing(container, docker_api, tmp_path, args, message):
    name = container()
    before = members(docker_api, name, "/tmp")
    args = dict((k, v.format(tmp=tmp_path) if isinstance(v, str) else v) for k, v in args.items())
    args.setdefault("container", name)
    for check_mode in (True, False):
        result = copy(check_mode=check_mode, **args)
        assert result.failed and result["msg"].startswith(message.format(tmp=tmp_path)), result
        assert "\n" not in result["msg"]
    assert members(docker_api, name, "/tmp") == before
    assert os.listdir(tmp_path) == []
