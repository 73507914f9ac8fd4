"""Check mode never writes: every module, asked in check mode to do something a real run would do,
predicts a change and causes no mutating engine event (create, start, pull, tag, push, build, ...).

The engine's /events stream is recorded around each check-mode run. Arranging happens outside
that window; every object a case names carries the case's token, and only events naming the
token count, so other work on the same engine cannot make a case fail or pass.
"""

import os
import shutil
import tempfile

import pytest

from tests.integration.conftest import quietly, run_module
from tests.integration.events import mutating, recorded_events


class Case:
    """One module call, arranged so that a real run would change something."""

    def __init__(self, module, args, cleanup=None):
        self.module = module
        self.args = args
        self.cleanup = cleanup or (lambda: None)


def _context(token, content="FROM kapal-test/busybox:latest\nCOPY page.html /www/\n"):
    path = tempfile.mkdtemp(prefix="kapal-it-chk-%s-" % token)
    with open(os.path.join(path, "Dockerfile"), "w") as handle:
        handle.write(content)
    with open(os.path.join(path, "page.html"), "w") as handle:
        handle.write("<p>%s</p>\n" % token)
    return path


def _rootfs(token):
    path = tempfile.mkdtemp(prefix="kapal-it-chk-%s-" % token)
    os.makedirs(os.path.join(path, "bin"))
    shutil.copy("/bin/busybox", os.path.join(path, "bin", "busybox"))
    return path


def case_image_pull(arrange, docker_api, testbed):
    full = arrange.pushed("plain", "pulled")[0]
    docker_api.remove_image(full + ":1")  # local copy gone: a real run would pull
    return Case("image_pull", {"name": full + ":1"})


def case_image_pull_always_moved(arrange, docker_api, testbed):
    full = arrange.pushed("plain", "moving")[0]
    arrange.image(full + ":1", "a different image under the same tag, only local")
    return Case("image_pull", {"name": full + ":1", "pull": "always"})


def case_image_push(arrange, docker_api, testbed):
    full = arrange.name("plain", "pushed")[1]
    local = "kapal-it-imga-%s/local:1" % arrange.token
    arrange.image(local, "push me " + arrange.token)
    return Case("image_push", {"name": local, "repository": full + ":1"})


def case_image_build(arrange, docker_api, testbed):
    path = _context(arrange.token)
    arrange.images.append("kapal-it-imga-%s/built:latest" % arrange.token)
    return Case("image_build", {"path": path, "name": "kapal-it-imga-%s/built" % arrange.token},
                cleanup=lambda: shutil.rmtree(path))


def case_image_import(arrange, docker_api, testbed):
    path = _rootfs(arrange.token)
    arrange.images.append("kapal-it-imga-%s/imported:1" % arrange.token)
    return Case("image_import", {"path": path, "name": "kapal-it-imga-%s/imported:1" % arrange.token},
                cleanup=lambda: shutil.rmtree(path))


def case_image_remove(arrange, docker_api, testbed):
    local = "kapal-it-imga-%s/doomed:1" % arrange.token
    arrange.image(local, "remove me " + arrange.token)
    return Case("image_remove", {"name": local})


def case_volume_create(arrange, docker_api, testbed):
    name = "kapal-it-imga-%s-vol" % arrange.token
    return Case("volume", {"name": name, "labels": {"a": "b"}}, cleanup=lambda: quietly(docker_api.remove_volume, name))


def case_volume_remove(arrange, docker_api, testbed):
    name = "kapal-it-imga-%s-vol" % arrange.token
    docker_api.create_volume(name)
    return Case("volume", {"name": name, "state": "absent"}, cleanup=lambda: quietly(docker_api.remove_volume, name))


def case_network_create(arrange, docker_api, testbed):
    name = "kapal-it-imga-%s-net" % arrange.token
    return Case("network", {"name": name}, cleanup=lambda: quietly(docker_api.remove_network, name))


def case_network_recreate(arrange, docker_api, testbed):
    name = "kapal-it-imga-%s-net" % arrange.token
    docker_api.create_network(name, internal=False)
    return Case("network", {"name": name, "internal": True}, cleanup=lambda: quietly(docker_api.remove_network, name))


def case_container_exec(arrange, docker_api, testbed):
    name = "kapal-it-imga-%s-exec" % arrange.token
    docker_api.create_container(testbed["busybox_image"], command=["sleep", "300"], name=name,
                                host_config=docker_api.create_host_config(network_mode="none"))
    docker_api.start(name)
    return Case("container_exec", {"container": name, "argv": ["touch", "/tmp/%s" % arrange.token]},
                cleanup=lambda: docker_api.remove_container(name, force=True))


def case_container_create(arrange, docker_api, testbed):
    name = "kapal-it-imga-%s-ctr" % arrange.token
    return Case("container", {"name": name, "image": testbed["busybox_image"], "command": ["sleep", "300"],
                              "network_mode": "none"},
                cleanup=lambda: quietly(docker_api.remove_container, name, force=True))


def case_container_recreate(arrange, docker_api, testbed):
    name = "kapal-it-imga-%s-ctr" % arrange.token
    docker_api.create_container(testbed["busybox_image"], command=["sleep", "300"], name=name,
                                host_config=docker_api.create_host_config(network_mode="none"))
    docker_api.start(name)
    return Case("container", {"name": name, "image": testbed["busybox_image"], "command": ["sleep", "301"],
                              "network_mode": "none"},
                cleanup=lambda: quietly(docker_api.remove_container, name, force=True))


def case_containers_batch(arrange, docker_api, testbed):
    names = ["kapal-it-imga-%s-b%d" % (arrange.token, index) for index in range(3)]
    return Case("containers", {"containers": [{"name": name} for name in names],
                               "defaults": {"image": testbed["busybox_image"], "command": ["sleep", "300"],
                                            "network_mode": "none"}},
                cleanup=lambda: [quietly(docker_api.remove_container, name, force=True) for name in names])


CASES = [value for key, value in sorted(globals().items()) if key.startswith("case_")]


@pytest.mark.parametrize("make_case", CASES, ids=[c.__name__[5:] for c in CASES])
def test_check_mode_predicts_a_change_and_writes_nothing(make_case, arrange, docker_api, testbed):
    case = make_case(arrange, docker_api, testbed)
    try:
        with recorded_events(docker_api) as events:
            result = run_module(case.module, case.args, check_mode=True, diff=True)
        assert result.rc == 0, result
        assert result["changed"] is True, result
        written = [event for event in mutating(events) if arrange.token in event]
        assert written == [], "check mode of %s wrote: %s" % (case.module, written)
    finally:
        case.cleanup()
