"""The tasks of the guide "From the docker CLI to kapal.docker" run, as a reader runs them.

Every task list of the page (docs/docsite/rst/docker_cli.rst, its ``yaml+jinja`` blocks that are
tasks, not plays) is put in one play, in page order, and run against the test bed's engine. What
the test bed cannot give the tasks as written is swapped, each swap checked to apply: names get
this test's prefix, host ports are free ones, /opt/docker is a temporary directory, Docker Hub
(unreachable) is the plain registry on 127.0.0.1:5000 by module_defaults, ``busybox:latest`` is
the test bed's busybox, and ``redis:latest`` is a stand-in built here (busybox, serving on 6379,
with a ``redis-cli`` that answers PONG) so the page's own ``docker exec cache redis-cli ping`` runs.
"""

import io
import json
import os
import re
import socket
import subprocess
import sys
import uuid

import pytest
import yaml

from tests.conftest import COLLECTIONS, ROOT

GUIDE = os.path.join(ROOT, "docs", "docsite", "rst", "docker_cli.rst")
PREFIX = "kapal-it-guide-%s" % uuid.uuid4().hex[:6]
STAND_IN_REPO = "127.0.0.1:5000/kapal-it-guide/redis"
STAND_IN = b"""FROM kapal-test/busybox:latest
RUN printf '#!/bin/sh\\necho PONG\\n' > /bin/redis-cli && chmod 0755 /bin/redis-cli && mkdir -p /data
EXPOSE 6379
CMD ["httpd", "-f", "-p", "6379", "-h", "/data"]
"""
BLOCK = re.compile(r"^\.\. code-block:: yaml\+jinja\n\n((?:  .*\n|\n)+)", re.M)


def guide_task_lists(text):
    """The text of the page's yaml+jinja blocks that are task lists, in order (plays are left out)."""
    lists = []
    for match in BLOCK.finditer(text):
        source = "\n".join(line[2:] for line in match.group(1).splitlines()) + "\n"
        block = yaml.safe_load(source)
        if isinstance(block, list) and block and not any("hosts" in item for item in block):
            lists.append(source)
    return lists


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def swaps(tmp):
    cache_port, app_port = _free_port(), _free_port()
    return [
        (r"\bname: cache-data\b", "name: %s-data" % PREFIX),
        (r"\bname: cache\b", "name: %s-cache" % PREFIX),
        (r"\bcontainer: cache\b", "container: %s-cache" % PREFIX),
        (r"\bname: app\b", "name: %s-app" % PREFIX),
        (r"\bimage: app\b", "image: %s-app" % PREFIX),
        (r"\breference: app\b", "reference: %s-app" % PREFIX),
        (r"loop: \[app, cache\]", "loop: [%s-app, %s-cache]" % (PREFIX, PREFIX)),
        (r"\bname: redis\b", "name: %s-redis" % PREFIX),
        (r"\bredis:latest\b", "%s-redis:latest" % PREFIX),
        (r'"6379:6379"', '"127.0.0.1:%d:6379"' % cache_port),
        (r'"8080:80"', '"127.0.0.1:%d:80"' % app_port),
        (r"http://localhost:8080/", "http://127.0.0.1:%d/" % app_port),
        (r"/opt/docker", str(tmp)),
        (r"FROM busybox:latest", "FROM kapal-test/busybox:latest"),
    ]


def _cleanup(docker_api):
    for container in docker_api.containers(all=True, filters={"name": PREFIX}):
        docker_api.remove_container(container["Id"], force=True)
    for image in docker_api.images():
        for tag in image.get("RepoTags") or []:
            if tag.startswith(PREFIX):
                docker_api.remove_image(tag, force=True)
    for volume in (docker_api.volumes(filters={"name": PREFIX}) or {}).get("Volumes") or []:
        docker_api.remove_volume(volume["Name"], force=True)


@pytest.fixture
def stand_in(docker_api):
    """The stand-in for redis:latest: local under this test's name, and in the plain registry."""
    _cleanup(docker_api)
    for line in docker_api.build(fileobj=io.BytesIO(STAND_IN), tag=STAND_IN_REPO + ":latest", rm=True, decode=True):
        assert "error" not in line, line
    for line in docker_api.push(STAND_IN_REPO, tag="latest", stream=True, decode=True):
        assert "error" not in line, line
    docker_api.tag(STAND_IN_REPO + ":latest", "%s-redis" % PREFIX, "latest")
    yield
    _cleanup(docker_api)
    docker_api.remove_image(STAND_IN_REPO + ":latest")  # the registry keeps its copy, for the search


def test_every_task_of_the_guide_runs(tmp_path, stand_in):  # pylint: disable=redefined-outer-name,unused-argument
    with open(GUIDE, encoding="utf-8") as handle:
        text = "\n".join(guide_task_lists(handle.read()))
    tasks = yaml.safe_load(text)
    modules = {key for task in tasks for key in task if key.startswith("kapal.docker.")}
    assert len(modules) >= 10, sorted(modules)

    for pattern, replacement in swaps(tmp_path):
        text, count = re.subn(pattern, lambda _m, r=replacement: r, text)
        assert count, "the guide no longer contains %r: update the swaps of this test" % pattern
    play = [{
        "name": "The guide's tasks",
        "hosts": "localhost",
        "gather_facts": False,
        "module_defaults": {"kapal.docker.image_search": {"registry": "127.0.0.1:5000"}},
        "tasks": yaml.safe_load(text),
    }]
    playbook = tmp_path / "guide.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
         str(playbook)], capture_output=True, text=True, env=env, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    out = proc.stdout
    assert "Hello from a container built by kapal.docker" in out  # the page, fetched over HTTP
    assert '"msg": "PONG"' in out  # docker exec cache redis-cli ping
    assert "kapal-it-guide/redis" in out  # docker search redis, in the registry
    recap = re.search(r"localhost\s+:\s+ok=(\d+)\s+changed=\d+\s+unreachable=0\s+failed=0\s+skipped=(\d+)", out)
    assert recap and int(recap.group(1)) == len(tasks) and recap.group(2) == "0", out[-3000:]
    print(json.dumps({"tasks": len(tasks), "modules": sorted(modules)}))
