"""kapal.docker.image_import against the test bed's real engine."""

import itertools
import os
import shutil
import tarfile

import pytest

from tests.integration.conftest import run_module

_COUNTER = itertools.count()


@pytest.fixture
def name(docker_api):
    """A unique image name; every image imported under it (tagged or since untagged) is removed."""
    repo = "kapal-it-imgb/import-%d-%d" % (os.getpid(), next(_COUNTER))
    created = []
    try:
        yield repo, created
    finally:
        for image in docker_api.images(filters={"reference": [repo + ":*"]}):
            created.append(image["Id"])
        for image_id in dict.fromkeys(created):
            try:
                docker_api.remove_image(image_id, force=True)
            except Exception:  # already gone with another tag
                pass


@pytest.fixture
def rootfs(tmp_path):
    root = tmp_path / "rootfs"
    (root / "bin").mkdir(parents=True)
    shutil.copy2("/bin/busybox", root / "bin" / "busybox")
    os.symlink("busybox", root / "bin" / "sh")
    (root / "etc").mkdir()
    (root / "etc" / "motd").write_text("kapal\n")
    return root


def run(path, name, check_mode=False, **args):
    params = dict(path=str(path), name=name)
    params.update(args)
    return run_module("image_import", params, check_mode=check_mode, diff=True)


def run_in(docker_api, image, command):
    container = docker_api.create_container(image, command=command, network_disabled=True)
    try:
        docker_api.start(container)
        docker_api.wait(container)
        return docker_api.logs(container).decode()
    finally:
        docker_api.remove_container(container, force=True)


def test_directory_check_run_idempotent_and_changed(rootfs, name, docker_api):
    repo, created = name
    predicted = run(rootfs, repo, check_mode=True)
    assert predicted.rc == 0, predicted
    assert predicted["changed"] is True and predicted["image"] is None
    assert predicted["diff"]["before"] == {"id": None, "import_hash": None}
    assert docker_api.images(filters={"reference": [repo + ":*"]}) == []

    first = run(rootfs, repo)
    assert first.rc == 0, first
    created.append(first["image"]["id"])
    assert first["changed"] is True and first["import_hash"] == predicted["import_hash"]
    assert first["image"]["repo_tags"] == [repo + ":latest"]
    assert first["image"]["labels"]["org.kapal.import.hash"] == first["import_hash"]
    assert docker_api.inspect_image(repo)["Id"] == first["image"]["id"]
    assert run_in(docker_api, repo, ["/bin/busybox", "cat", "/etc/motd"]) == "kapal\n"

    assert run(rootfs, repo, check_mode=True)["changed"] is False
    again = run(rootfs, repo)
    assert again["changed"] is False and again["image"]["id"] == first["image"]["id"]

    (rootfs / "etc" / "motd").write_text("changed\n")
    predicted = run(rootfs, repo, check_mode=True)
    assert predicted["changed"] is True and predicted["import_hash"] != first["import_hash"]
    changed = run(rootfs, repo)
    created.append(changed["image"]["id"])
    assert changed["changed"] is True and changed["image"]["id"] != first["image"]["id"]
    assert changed["diff"]["before"]["id"] == first["image"]["id"]
    assert run_in(docker_api, repo, ["/bin/busybox", "cat", "/etc/motd"]) == "changed\n"


def test_changes_are_in_the_config(rootfs, name, docker_api):
    repo, created = name
    changes = ['CMD ["sh", "-c", "echo hello"]', "EXPOSE 80", "ENV GREETING=hi", "WORKDIR /etc"]
    first = run(rootfs, repo + ":1.0", changes=changes)
    assert first.rc == 0, first
    created.append(first["image"]["id"])
    config = docker_api.inspect_image(repo + ":1.0")["Config"]
    assert config["Cmd"] == ["sh", "-c", "echo hello"]
    assert config["ExposedPorts"] == {"80/tcp": {}}
    assert "GREETING=hi" in config["Env"] and config["WorkingDir"] == "/etc"
    assert run_in(docker_api, repo + ":1.0", None) == "hello\n"
    assert run(rootfs, repo + ":1.0", changes=changes)["changed"] is False
    other = run(rootfs, repo + ":1.0", changes=changes[:1])
    created.append(other["image"]["id"])
    assert other["changed"] is True and other["image"]["exposed_ports"] == []


def test_tarball(rootfs, name, tmp_path, docker_api):
    repo, created = name
    tarball = tmp_path / "rootfs.tar.gz"
    with tarfile.open(tarball, "w:gz") as archive:
        archive.add(rootfs, arcname=".")
    first = run(tarball, repo, changes=["CMD [\"sh\"]"])
    assert first.rc == 0, first
    created.append(first["image"]["id"])
    assert first["changed"] is True
    assert run_in(docker_api, repo, ["/bin/busybox", "cat", "/etc/motd"]) == "kapal\n"
    assert run(tarball, repo, changes=["CMD [\"sh\"]"], check_mode=True)["changed"] is False
    assert run(tarball, repo, changes=["CMD [\"sh\"]"])["changed"] is False


def test_missing_path(name, tmp_path):
    repo = name[0]
    result = run(tmp_path / "absent", repo)
    assert result.failed
    assert result["msg"] == "path: no such file or directory: %s" % (tmp_path / "absent")


@pytest.mark.parametrize("change", ["RUN echo hi", "FROM busybox", "CMD", "BOGUS x"])
def test_bad_change_instruction(rootfs, name, change, docker_api):
    repo = name[0]
    result = run(rootfs, repo, changes=["EXPOSE 80", change])
    assert result.failed
    assert result["msg"].startswith("changes: unsupported instruction %r (expected one of CMD, ENTRYPOINT" % change)
    assert "\n" not in result["msg"]
    assert docker_api.images(filters={"reference": [repo + ":*"]}) == []


def test_bad_name(rootfs):
    result = run(rootfs, "Bad:Name")
    assert result.failed and result["msg"].startswith("name: invalid image reference 'Bad:Name'")
