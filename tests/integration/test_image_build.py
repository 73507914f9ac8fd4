"""kapal.docker.image_build against the test bed's real engine."""

import itertools
import json
import os
import re

import docker.errors
import pytest
import requests

from tests.integration.conftest import run_module

pytestmark = pytest.mark.slow  # more than a minute: handed to a worker first (conftest)

TUTORIAL = """FROM kapal-test/busybox:latest
COPY index.html /www/index.html
EXPOSE 80
CMD ["httpd", "-f", "-p", "80", "-h", "/www"]
"""
_COUNTER = itertools.count()


@pytest.fixture
def repo(docker_api):
    """A unique repository; every image built for it is removed afterwards, with its parents.

    Every build of a test carries the label kapal.test.repo=<repo> (see build()), so the images
    a rebuild left untagged are found too; a failed step's layer is found by its command.
    """
    name = "kapal-it-imgb/build-%d-%d" % (os.getpid(), next(_COUNTER))
    try:
        yield name
    finally:
        ours = [i["Id"] for i in docker_api.images(filters={"label": ["kapal.test.repo=" + name]})]
        ours += [i["Id"] for i in docker_api.images(filters={"reference": [name + ":*"]})]
        for image in docker_api.images(filters={"dangling": ["true"]}):
            if name in json.dumps((docker_api.inspect_image(image["Id"]).get("ContainerConfig") or {}).get("Cmd")):
                ours.append(image["Id"])
        for image_id in dict.fromkeys(ours):
            try:
                docker_api.remove_image(image_id, force=True)
            except docker.errors.NotFound:  # pruned with an image removed before it
                pass


@pytest.fixture
def context(tmp_path):
    root = tmp_path / "ctx"
    root.mkdir()
    (root / "index.html").write_text("<h1>kapal</h1>\n")
    (root / "Dockerfile").write_text(TUTORIAL)
    return root


def build(context, repo, check_mode=False, diff=True, **args):
    params = dict(path=str(context), name=repo)
    params.update(args)
    params["labels"] = dict(args.get("labels") or {}, **{"kapal.test.repo": repo})
    return run_module("image_build", params, check_mode=check_mode, diff=diff)


def test_tutorial_dockerfile_check_run_idempotent(context, repo, docker_api):
    predicted = build(context, repo, check_mode=True)
    assert predicted.rc == 0, predicted
    assert predicted["changed"] is True and predicted["built"] is True
    assert predicted["image"] is None
    assert predicted["diff"] == {"before": {"id": None, "build_hash": None},
                                 "after": {"id": None, "build_hash": predicted["build_hash"]}}
    assert docker_api.images(filters={"reference": [repo + ":*"]}) == []

    first = build(context, repo)
    assert first.rc == 0, first
    assert first["changed"] is True and first["build_hash"] == predicted["build_hash"]
    image = docker_api.inspect_image(repo + ":latest")
    assert first["image"]["id"] == image["Id"]
    assert image["Config"]["ExposedPorts"] == {"80/tcp": {}}
    assert image["Config"]["Cmd"] == ["httpd", "-f", "-p", "80", "-h", "/www"]
    assert image["Config"]["Labels"]["org.kapal.build.hash"] == first["build_hash"]
    assert first["diff"]["after"] == {"id": image["Id"], "build_hash": first["build_hash"]}

    again_check = build(context, repo, check_mode=True)
    assert again_check["changed"] is False and again_check["built"] is False
    again = build(context, repo)
    assert again["changed"] is False and again["built"] is False
    assert again["image"]["id"] == image["Id"]
    assert again["diff"]["before"] == again["diff"]["after"]


def test_context_change_rebuilds_and_ignored_change_does_not(context, repo, docker_api):
    (context / ".dockerignore").write_text("notes.txt\n# a comment\n")
    (context / "notes.txt").write_text("one")
    first = build(context, repo)
    assert first["changed"] is True, first

    (context / "notes.txt").write_text("two")
    assert build(context, repo, check_mode=True)["changed"] is False
    assert build(context, repo)["changed"] is False

    (context / "index.html").write_text("<h1>changed</h1>\n")
    predicted = build(context, repo, check_mode=True)
    assert predicted["changed"] is True and predicted["build_hash"] != first["build_hash"]
    rebuilt = build(context, repo)
    assert rebuilt["changed"] is True and rebuilt["build_hash"] == predicted["build_hash"]
    assert rebuilt["image"]["id"] != first["image"]["id"]
    assert rebuilt["diff"]["before"]["id"] == first["image"]["id"]

    os.chmod(context / "index.html", 0o600)
    assert build(context, repo, check_mode=True)["changed"] is True


def test_build_args_and_target_change_the_hash(context, repo):
    (context / "Dockerfile").write_text(
        "ARG GREETING=hello\n"
        "FROM kapal-test/busybox:latest AS base\n"
        "ARG GREETING\n"
        "RUN echo \"$GREETING\" > /greeting\n"
        "FROM base AS final\n"
        "LABEL stage=final\n"
    )
    first = build(context, repo, network="none")
    assert first.rc == 0, first
    assert first["image"]["labels"]["stage"] == "final"
    assert build(context, repo, network="none")["changed"] is False
    with_arg = build(context, repo, network="none", build_args={"GREETING": "hi"}, check_mode=True)
    assert with_arg["changed"] is True and with_arg["build_hash"] != first["build_hash"]
    built = build(context, repo, network="none", build_args={"GREETING": "hi"})
    assert built["changed"] is True and built["build_hash"] == with_arg["build_hash"]
    target = build(context, repo, network="none", build_args={"GREETING": "hi"}, target="base")
    assert target["changed"] is True and target["build_hash"] != built["build_hash"]
    assert "stage" not in target["image"]["labels"]
    assert build(context, repo, network="none", build_args={"GREETING": "hi"}, target="base")["changed"] is False


def test_inline_dockerfile_content_and_extra_tags(context, repo, docker_api):
    (context / "Dockerfile").unlink()
    content = "FROM kapal-test/busybox:latest\nCOPY . /www\nEXPOSE 8080\n"
    first = build(context, repo, dockerfile_content=content, tag="1.0", extra_tags=["stable"])
    assert first.rc == 0, first
    assert sorted(first["image"]["repo_tags"]) == [repo + ":1.0", repo + ":stable"]
    assert first["image"]["exposed_ports"] == ["8080/tcp"]
    container = docker_api.create_container(first["image"]["id"], command=["ls", "/www"])
    try:
        docker_api.start(container)
        docker_api.wait(container)
        listing = docker_api.logs(container).decode().split()
    finally:
        docker_api.remove_container(container, force=True)
    assert listing == ["index.html"], "the inline Dockerfile must not leak into the context"

    assert build(context, repo, dockerfile_content=content, tag="1.0", extra_tags=["stable"])["changed"] is False
    more = dict(dockerfile_content=content, tag="1.0", extra_tags=["stable", "127.0.0.1:5000/%s:1.0" % repo])
    predicted = build(context, repo, check_mode=True, **more)
    assert predicted["changed"] is True and predicted["built"] is False
    tagged = build(context, repo, **more)
    assert tagged["changed"] is True and tagged["built"] is False
    assert "127.0.0.1:5000/%s:1.0" % repo in tagged["image"]["repo_tags"]
    assert build(context, repo, **more)["changed"] is False
    docker_api.remove_image("127.0.0.1:5000/%s:1.0" % repo)


def test_dockerfile_outside_the_context(context, repo, tmp_path):
    outside = tmp_path / "docker" / "web.Dockerfile"
    outside.parent.mkdir()
    outside.write_text(TUTORIAL)
    (context / "Dockerfile").unlink()
    first = build(context, repo, dockerfile=str(outside))
    assert first.rc == 0, first
    assert first["image"]["exposed_ports"] == ["80/tcp"]
    assert build(context, repo, dockerfile=str(outside))["changed"] is False
    outside.write_text(TUTORIAL + "LABEL changed=yes\n")
    assert build(context, repo, dockerfile=str(outside))["changed"] is True


def test_rebuild_never_and_always(context, repo):
    first = build(context, repo, rebuild="never")
    assert first["changed"] is True
    (context / "index.html").write_text("new")
    never = build(context, repo, rebuild="never")
    assert never["changed"] is False and never["built"] is False
    assert never["image"]["id"] == first["image"]["id"]
    always = build(context, repo, rebuild="always")
    assert always["built"] is True and always["changed"] is True
    again = build(context, repo, rebuild="always")
    assert again["built"] is True and again["changed"] is False, "a cached rebuild changes nothing"


def test_syntax_error_is_one_line_naming_the_line(context, repo, docker_api):
    (context / "Dockerfile").write_text("FROM kapal-test/busybox:latest\nFOO bar\n")
    result = build(context, repo)
    assert result.failed
    assert "\n" not in result["msg"]
    assert result["msg"].startswith("image_build: build %s:latest from %s failed on Docker Engine at" % (repo, context))
    assert "dockerfile parse error line 2: unknown instruction: FOO" in result["msg"]
    assert docker_api.images(filters={"reference": [repo + ":*"]}) == []


def test_failing_run_names_the_step_and_tags_nothing(context, repo, docker_api):
    (context / "Dockerfile").write_text("FROM kapal-test/busybox:latest\nRUN echo about to fail in %s\nRUN false\n" % repo)
    result = build(context, repo, network="none", nocache=True)
    assert result.failed
    assert result["msg"].startswith(
        "image_build: step 'RUN false' failed: The command '/bin/sh -c false' returned a non-zero code: 1 | "
    )
    assert "\n" not in result["msg"]
    assert re.search(r" \| Step 2/\d : RUN echo about to fail in {0} \| about to fail in {0} \| Step 3/\d : RUN false$".format(repo),
                     result["msg"]), result["msg"]
    assert docker_api.images(filters={"reference": [repo + ":*"]}) == []
    # The failed step's container (made from the image of the step before, which names the repo) is gone.
    before = [i["Id"] for i in docker_api.images(filters={"dangling": ["true"]})
              if repo in json.dumps((docker_api.inspect_image(i["Id"]).get("ContainerConfig") or {}).get("Cmd"))]
    assert len(before) == 1, before
    assert not [c for c in docker_api.containers(all=True) if c["ImageID"] == before[0]]


def test_missing_context_path(repo, tmp_path):
    missing = tmp_path / "nowhere"
    result = run_module("image_build", {"path": str(missing), "name": repo})
    assert result.failed
    assert result["msg"] == "path: no such directory: %s" % missing


def test_missing_dockerfile(context, repo):
    result = build(context, repo, dockerfile="Containerfile")
    assert result.failed
    assert result["msg"] == "dockerfile: no such file: %s" % (context / "Containerfile")


@pytest.mark.parametrize("base, reason", [
    ("kapal-fixrb-nope/base:1", "cannot reach registry docker.io: "),
    ("127.0.0.1:5000/kapal-fixrb-nope/base:1", "image 127.0.0.1:5000/kapal-fixrb-nope/base:1 not found in registry 127.0.0.1:5000"),
])
def test_missing_base_image_is_named_in_one_line(context, repo, docker_api, testbed, base, reason):
    (context / "Dockerfile").write_text(TUTORIAL.replace("kapal-test/busybox:latest", base))
    for check_mode in (True, False):
        result = build(context, repo, check_mode=check_mode)
        assert result.failed, result
        assert "\n" not in result["msg"]
        assert result["msg"].startswith(
            "dockerfile: FROM image %s: not on Docker Engine at %s and cannot be pulled: %s" % (base, testbed["docker_host"], reason)
        ), result["msg"]
    assert docker_api.images(filters={"reference": [repo + ":*"]}) == []


@pytest.mark.parametrize("args, message", [
    ({"name": "Bad/Name"}, "name: invalid image reference 'Bad/Name' (repository names must be lower-case)"),
    ({"tag": "-x"}, "tag: invalid tag '-x'"),
    ({"extra_tags": ["bad tag"]}, "extra_tags: invalid tag 'bad tag'"),
    ({"extra_tags": ["Reg/X:1"]}, "extra_tags: invalid image reference 'Reg/X:1'"),
])
def test_bad_names(context, repo, args, message):
    params = dict(path=str(context), name=repo)
    params.update(args)
    result = run_module("image_build", params)
    assert result.failed and result["msg"].startswith(message), result


@pytest.fixture
def registry_base(docker_api, testbed):
    """A base image that is only in the plain test registry, not on the engine; deleted afterwards."""
    registry = testbed["plain_registry"]
    path = "kapal-it-imgb/base-%d" % os.getpid()
    ref = "%s/%s:1" % (registry, path)
    docker_api.tag(testbed["busybox_image"], "%s/%s" % (registry, path), "1")
    for event in docker_api.push("%s/%s" % (registry, path), tag="1", stream=True, decode=True):
        assert "error" not in event, event
    docker_api.remove_image(ref)
    try:
        yield ref
    finally:
        manifest = "http://%s/v2/%s/manifests/1" % (registry, path)
        accept = {"Accept": "application/vnd.docker.distribution.manifest.v2+json"}
        digest = requests.head(manifest, headers=accept, timeout=30).headers.get("Docker-Content-Digest")
        if digest:
            requests.delete("http://%s/v2/%s/manifests/%s" % (registry, path, digest), timeout=30)
        try:
            docker_api.remove_image(ref)
        except docker.errors.NotFound:
            pass


def test_absent_base_is_pulled_before_hashing(context, repo, registry_base, docker_api):
    (context / "Dockerfile").write_text(TUTORIAL.replace("kapal-test/busybox:latest", registry_base))
    predicted = build(context, repo, check_mode=True)
    assert predicted["changed"] is True
    with pytest.raises(docker.errors.NotFound):
        docker_api.inspect_image(registry_base)
    first = build(context, repo)
    assert first.rc == 0, first
    assert first["changed"] is True
    docker_api.inspect_image(registry_base)
    again = build(context, repo)
    assert again["changed"] is False, "the pulled base is part of the first hash already"
    assert again["build_hash"] == first["build_hash"]


def test_pull_refreshes_the_base_and_stays_idempotent(context, repo, registry_base, docker_api):
    (context / "Dockerfile").write_text(TUTORIAL.replace("kapal-test/busybox:latest", registry_base))
    first = build(context, repo, pull=True)
    assert first.rc == 0, first
    assert first["changed"] is True
    assert docker_api.inspect_image(registry_base)["Id"] == docker_api.inspect_image("kapal-test/busybox:latest")["Id"]
    assert build(context, repo, pull=True, check_mode=True)["changed"] is False
    assert build(context, repo, pull=True)["changed"] is False
