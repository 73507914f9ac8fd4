"""What a recreate keeps, and what a failed run leaves behind, against the test bed's real engine.

A recreate keeps the old container's anonymous volumes (its data) and says which settings it keeps;
a failed run says what it changed, removes a container it created and could not start, and a
recreate whose new container cannot start gives the old one back as it was. Host ports 18200-18299.
"""

import io
import uuid

import pytest

from tests.integration.conftest import run_module

PREFIX = "fixapply-"


def _quietly(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except Exception:  # pylint: disable=broad-except
        pass


@pytest.fixture
def name(docker_api):
    """A unique container name; every container whose name starts with it is removed afterwards,
    with the anonymous volumes it used (a recreate hands them on by name, so they outlive ``v=True``)."""
    unique = "%s%s" % (PREFIX, uuid.uuid4().hex[:8])
    yield unique
    volumes = set()
    for entry in docker_api.containers(all=True):
        if any(n.lstrip("/").startswith(unique) for n in entry.get("Names") or []):
            volumes.update(m["Name"] for m in docker_api.inspect_container(entry["Id"])["Mounts"] if m["Type"] == "volume")
            docker_api.remove_container(entry["Id"], force=True, v=True)
    for volume in volumes:
        _quietly(docker_api.remove_volume, volume)


@pytest.fixture
def network(docker_api):
    unique = "%snet-%s" % (PREFIX, uuid.uuid4().hex[:8])
    docker_api.create_network(unique)
    yield unique
    docker_api.remove_network(unique)


@pytest.fixture
def port_taken(docker_api, testbed):
    """A host port held by a running container of the test's own: starting another container on it fails."""
    port = 18210
    blocker = "%sblocker-%s" % (PREFIX, uuid.uuid4().hex[:8])
    docker_api.create_container(testbed["busybox_image"], command=["sleep", "3600"], name=blocker, ports=[80],
                                host_config=docker_api.create_host_config(port_bindings={80: ("127.0.0.1", port)}))
    docker_api.start(blocker)
    yield "127.0.0.1:%d" % port
    docker_api.remove_container(blocker, force=True, v=True)


@pytest.fixture
def built(docker_api, testbed):
    """build(dockerfile lines) -> a new image's tag, made from the test bed's busybox; removed afterwards."""
    tags = []

    def build(*lines):
        tag = "%simg-%s:latest" % (PREFIX, uuid.uuid4().hex[:8])
        dockerfile = "FROM %s\n%s\n" % (testbed["busybox_image"], "\n".join(lines))
        for event in docker_api.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag, rm=True, decode=True):
            assert "error" not in event, event
        tags.append(tag)
        return tag

    yield build
    for tag in tags:
        _quietly(docker_api.remove_image, tag, force=True)


def converge(args, changed=True, module="container"):
    """check mode -> real run -> check mode again -> real run again; returns the first real run."""
    check = run_module(module, args, check_mode=True, diff=True)
    assert check.rc == 0 and check["changed"] is changed, check
    real = run_module(module, args, diff=True)
    assert real.rc == 0 and real["changed"] is changed, real
    assert real["actions"] == check["actions"]
    assert real["diff"] == check["diff"]
    for check_mode in (True, False):
        again = run_module(module, args, check_mode=check_mode)
        assert again.rc == 0 and again["changed"] is False, again
    return real


def busybox(name, testbed, **options):
    # sleep, PID 1, ignores SIGTERM: stop_timeout 1 stops it after 1 s, not 10, when a test recreates it.
    args = dict(name=name, image=testbed["busybox_image"], command="sleep 3600", network_mode="bridge", stop_timeout=1)
    args.update(options)
    return args


def sh(docker_api, container, script):
    exec_id = docker_api.exec_create(container, ["sh", "-c", script])
    return docker_api.exec_start(exec_id).decode().strip()


def containers_named(docker_api, prefix):
    return sorted(n.lstrip("/") for c in docker_api.containers(all=True) for n in c.get("Names") or []
                  if n.lstrip("/").startswith(prefix))


def volume_at(docker_api, container, target):
    return [m["Name"] for m in docker_api.inspect_container(container)["Mounts"] if m["Destination"] == target]


# -- a recreate keeps the old container's anonymous volumes ------------------------------------------

def test_an_anonymous_volume_keeps_its_data_through_a_recreate(name, testbed, docker_api):
    args = busybox(name, testbed, volumes=["/anon"], env={"GEN": 1})
    first = converge(args)
    sh(docker_api, name, "echo kept > /anon/file")
    volume = volume_at(docker_api, name, "/anon")
    second = converge(dict(args, env={"GEN": 2}))
    assert second["actions"] == ["recreate: env changed", "kept the old container's anonymous volumes: /anon", "start"]
    assert second["diff"]["after"]["kept_anonymous_volumes"] == ["/anon"]
    assert second["container"]["Id"] != first["container"]["Id"]
    assert sh(docker_api, name, "cat /anon/file") == "kept"
    assert volume_at(docker_api, name, "/anon") == volume
    assert containers_named(docker_api, name) == [name]  # the old container is gone, its volume is not
    # A second recreate, now from a container that holds the volume by its id-name.
    third = converge(dict(args, env={"GEN": 3}))
    assert third["actions"][1] == "kept the old container's anonymous volumes: /anon"
    assert sh(docker_api, name, "cat /anon/file") == "kept"


def test_the_images_volume_keeps_its_data_through_a_recreate(name, testbed, docker_api, built):
    image = built("RUN mkdir -p /var/lib/data && echo from-the-image > /var/lib/data/seed", "VOLUME /var/lib/data")
    args = busybox(name, testbed, image=image, env={"GEN": 1})
    converge(args)
    sh(docker_api, name, "echo kept > /var/lib/data/file")
    second = converge(dict(args, env={"GEN": 2}))
    assert second["actions"] == ["recreate: env changed", "kept the old container's anonymous volumes: /var/lib/data",
                                 "start"]
    assert sh(docker_api, name, "cat /var/lib/data/file /var/lib/data/seed") == "kept\nfrom-the-image"
    # A task that manages volumes sees no difference: the kept volume is still the image's anonymous one.
    converge(dict(args, env={"GEN": 2}, volumes=[]), changed=False)


# -- a failed run says what it changed, and leaves nothing half-made -------------------------------

def test_a_failed_batch_reports_every_item_and_leaves_nothing_created(name, testbed, docker_api, port_taken):
    items = [
        dict(name="%s-fine" % name),
        dict(name="%s-noimage" % name, image="%s-missing:1" % name, pull="never"),
        dict(name="%s-port" % name, published_ports=["%s:80" % port_taken]),
    ]
    args = dict(defaults=dict(image=testbed["busybox_image"], command="sleep 3600"), containers=items)
    result = run_module("containers", args)
    assert result.failed and result["changed"] is True, result
    assert result["msg"].startswith("containers: 2 of 3 failed: %s-noimage: image %s-missing:1 is not present" % (name, name))
    fine, noimage, port = result["containers"]
    assert (fine["changed"], fine["actions"], fine["error"]) == (True, ["create", "start"], None)
    assert fine["container"]["State"]["Running"] is True
    assert (noimage["changed"], noimage["actions"], noimage["container"]) == (False, [], None)
    assert noimage["error"].startswith("image %s-missing:1 is not present" % name)
    assert (port["changed"], port["actions"]) == (False, ["create", "remove: the new container could not start"])
    assert "port is already allocated" in port["error"] and port["error"].endswith("; the new container was removed")
    assert port["container"] is None
    assert containers_named(docker_api, name) == ["%s-fine" % name]


def test_a_container_that_cannot_start_is_not_left_behind(name, testbed, docker_api, port_taken):
    result = run_module("container", busybox(name, testbed, published_ports=["%s:80" % port_taken]))
    assert result.failed, result
    assert result["changed"] is False
    assert result["actions"] == ["create", "remove: the new container could not start"]
    assert result["msg"].startswith("start container %s failed on Docker Engine" % name)
    assert "port is already allocated" in result["msg"] and result["msg"].endswith("; the new container was removed")
    assert containers_named(docker_api, name) == []


def test_a_failed_wait_reports_the_container_it_made(name, testbed, docker_api):
    result = run_module("container", busybox(name, testbed, command=["sh", "-c", "exit 3"], wait="running"))
    assert result.failed and result["changed"] is True, result
    assert result["actions"] == ["create", "start"]
    assert result["container"]["State"]["ExitCode"] == 3


def test_a_recreate_whose_new_container_cannot_start_gives_the_old_one_back(name, testbed, docker_api, port_taken):
    args = busybox(name, testbed, published_ports=["127.0.0.1:18211:80"])
    first = converge(args)
    failed = run_module("container", dict(args, published_ports=["%s:80" % port_taken]))
    assert failed.failed and failed["changed"] is True, failed  # the old container was stopped and started again
    assert failed["actions"] == [
        "rolled back: the new container could not start and was removed; the old one runs again"]
    assert "port is already allocated" in failed["msg"]
    assert failed["msg"].endswith("; the new container was removed and the old one runs again")
    old = docker_api.inspect_container(name)
    assert old["Id"] == first["container"]["Id"] and old["State"]["Running"] is True
    assert old["HostConfig"]["PortBindings"] == {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18211"}]}
    assert failed["container"]["Id"] == first["container"]["Id"]
    assert containers_named(docker_api, name) == [name]
    converge(args, changed=False)


def test_a_recreate_whose_new_container_dies_keeps_the_old_one_stopped_as_it_was(name, testbed, docker_api):
    args = busybox(name, testbed, state="present")
    first = converge(args)
    failed = run_module("container", dict(args, state="started", command=["sh", "-c", "exit 4"], wait="running"))
    assert failed.failed and failed["changed"] is False, failed
    assert failed["msg"].startswith("wait: container %s is not running: it exited with code 4" % name)
    assert failed["actions"] == ["rolled back: the new container could not start and was removed; the old one is back as it was"]
    assert failed["msg"].endswith("; the new container was removed and the old one is back as it was")
    old = docker_api.inspect_container(name)
    assert old["Id"] == first["container"]["Id"] and old["State"]["Status"] == "created"
    assert containers_named(docker_api, name) == [name]


# -- nothing is carried over from a container that never ran; what is carried over is said ---------

@pytest.mark.parametrize("broken", ["log_options", "port"])
def test_a_container_that_never_ran_does_not_poison_the_next_run(name, testbed, docker_api, port_taken, broken):
    if broken == "log_options":
        host_config = docker_api.create_host_config(log_config=dict(type="json-file", config={"max-size": "bogus"}),
                                                    port_bindings={80: ("127.0.0.1", 18212)})
    else:
        host, port = port_taken.split(":")
        host_config = docker_api.create_host_config(port_bindings={80: (host, int(port))})
    docker_api.create_container(testbed["busybox_image"], command=["sleep", "3600"], name=name, ports=[80],
                                host_config=host_config)
    with pytest.raises(Exception):
        docker_api.start(name)
    assert docker_api.inspect_container(name)["State"]["Status"] == "created"
    # The corrected task gives neither the log options nor the ports: none of them is kept.
    result = converge(dict(name=name, image=testbed["busybox_image"], command="sleep 3600"))
    assert result["actions"] == ["recreate: the old container never ran, nothing is kept from it", "start"]
    made = docker_api.inspect_container(name)
    assert made["State"]["Running"] is True
    assert made["HostConfig"]["LogConfig"]["Config"] == {} and not made["HostConfig"]["PortBindings"]


def test_a_recreate_says_which_settings_it_keeps(network, name, testbed, docker_api):
    converge(busybox(name, testbed, published_ports=["127.0.0.1:18213:80"], memory="64m", network_mode=network))
    result = converge(dict(name=name, env={"A": "2"}))
    assert result["actions"] == [
        "recreate: env changed", "kept from the old container: command, published_ports, networks, memory, stop_timeout",
        "start"]
    assert result["diff"]["after"]["kept_from_old_container"] == dict(
        command=["sleep", "3600"], published_ports=["127.0.0.1:18213:80/tcp"], memory=64 * 1024 ** 2, stop_timeout=1,
        networks=[dict(name=network, aliases=[], ipv4_address=None)])
    assert docker_api.inspect_container(name)["HostConfig"]["NetworkMode"] == network
    assert docker_api.inspect_container(name)["HostConfig"]["PortBindings"] == {
        "80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18213"}]}


def test_without_a_given_image_a_recreate_keeps_the_image_it_ran_when_the_tag_moved(name, testbed, docker_api, built):
    tag = built("LABEL fixapply=first")
    first = converge(busybox(name, testbed, image=tag))
    docker_api.tag(built("LABEL fixapply=second"), tag)  # the tag now means another image
    result = converge(dict(name=name, env={"A": "1"}))
    assert docker_api.inspect_container(name)["Image"] == first["container"]["Image"]
    assert result["container"]["Id"] != first["container"]["Id"]


# -- check mode predicts the recreate a pull causes --------------------------------------------------

@pytest.fixture
def moved_in_registry(testbed, docker_api, built):
    """A tag whose registry image (busybox) is not the local image under that tag (another build)."""
    repository = "%s/%spull-%s" % (testbed["plain_registry"], PREFIX, uuid.uuid4().hex[:8])
    docker_api.tag(testbed["busybox_image"], repository, "v1")
    for event in docker_api.push(repository, tag="v1", stream=True, decode=True):
        assert "error" not in event, event
    docker_api.tag(built("LABEL fixapply=local"), repository, "v1")
    yield "%s:v1" % repository
    _quietly(docker_api.remove_image, "%s:v1" % repository, force=True)


def test_check_mode_predicts_the_recreate_a_pull_causes(name, testbed, docker_api, moved_in_registry):
    first = converge(busybox(name, testbed, image=moved_in_registry))
    result = converge(busybox(name, testbed, image=moved_in_registry, pull="always"))
    assert result["actions"] == ["pull: %s" % moved_in_registry, "recreate: image changed", "start"]
    assert result["container"]["Image"] == docker_api.inspect_image(testbed["busybox_image"])["Id"]
    assert result["container"]["Id"] != first["container"]["Id"]
