"""kapal.docker.container against the test bed's real engine: every case is check -> run -> idempotent."""

import os
import urllib.request
import uuid

import pytest

from tests.integration.conftest import claim_port, converge, remove_containers, run_module

pytestmark = pytest.mark.slow  # more than a minute: handed to a worker first (conftest)

PREFIX = "kapal-it-ctr-"


@pytest.fixture(scope="module")
def home_network(docker_api):
    """The containers' network: a user-defined one, independent of the engine's default bridge."""
    unique = "%shome-%s" % (PREFIX, uuid.uuid4().hex[:8])
    docker_api.create_network(unique)
    yield unique
    docker_api.remove_network(unique)


@pytest.fixture
def name(docker_api):
    """A unique container name; every container whose name starts with it is removed afterwards."""
    unique = "%s%s" % (PREFIX, uuid.uuid4().hex[:8])
    yield unique
    remove_containers(docker_api, unique)


@pytest.fixture
def volume(docker_api):
    unique = "%svol-%s" % (PREFIX, uuid.uuid4().hex[:8])
    yield unique
    for entry in docker_api.containers(all=True, filters={"volume": unique}):
        docker_api.remove_container(entry["Id"], force=True)
    if unique in [v["Name"] for v in docker_api.volumes().get("Volumes") or []]:
        docker_api.remove_volume(unique)


@pytest.fixture
def network(docker_api):
    unique = "%snet-%s" % (PREFIX, uuid.uuid4().hex[:8])
    docker_api.create_network(unique)
    yield unique
    docker_api.remove_network(unique)


@pytest.fixture
def bed(testbed, home_network):
    """The test bed facts, plus the network every container of these tests joins."""
    return dict(testbed, home_network=home_network)


def busybox(name, bed, **options):
    # sleep, PID 1, ignores SIGTERM: stop_timeout 1 stops it after 1 s, not 10, when a test recreates it.
    args = dict(name=name, image=bed["busybox_image"], command="sleep 3600", network_mode=bed["home_network"],
                stop_timeout=1)
    if "networks" in options:
        del args["network_mode"]
    args.update(options)
    return args


def fetch(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=10) as response:
        return response.read().decode()


def test_serves_on_its_published_port(name, bed):
    first, second = claim_port(), claim_port()
    args = busybox(name, bed, command="httpd -f -p 80 -h /var/www", published_ports=["%d:80" % first], wait="running")
    result = converge(args)
    assert result["actions"] == ["create", "start"]
    assert result["diff"]["before"] == {"state": "absent"}
    assert result["diff"]["after"]["published_ports"] == ["%d:80/tcp" % first]
    assert "kapal test busybox" in fetch(first)
    moved = converge(dict(args, published_ports=["127.0.0.1:%d:80" % second]))
    assert moved["actions"] == ["recreate: published_ports changed", "start"]
    assert moved["container"]["Id"] != result["container"]["Id"]
    assert "kapal test busybox" in fetch(second)


def test_random_host_port_and_ranges(name, bed, docker_api):
    low = claim_port(count=2)
    args = busybox(name, bed, ports=["80", "%d-%d:9000-9001/udp" % (low, low + 1)])
    converge(args)
    bindings = docker_api.inspect_container(name)["NetworkSettings"]["Ports"]
    assert int(bindings["80/tcp"][0]["HostPort"]) > 0
    assert bindings["9001/udp"][0]["HostPort"] == str(low + 1)


def test_bind_volume_reads_and_writes(name, bed, tmp_path, docker_api):
    os.chmod(tmp_path, 0o777)
    (tmp_path / "in").write_text("from the host\n")
    args = busybox(name, bed, command=["sh", "-c", "cat /data/in > /data/out; exec sleep 3600"],
                   volumes=["%s:/data" % tmp_path], wait="running")
    converge(args)
    assert (tmp_path / "out").read_text() == "from the host\n"
    result = converge(dict(args, volumes=["%s:/data:ro" % tmp_path]))
    assert result["diff"]["after"]["volumes"] == ["%s:/data:ro" % tmp_path]
    mounts = docker_api.inspect_container(name)["Mounts"]
    assert mounts[0]["RW"] is False


def test_named_volume_survives_a_recreate(name, bed, volume, docker_api):
    args = busybox(name, bed, volumes=["%s:/data" % volume], env={"GEN": 1})
    first = converge(args)
    exec_id = docker_api.exec_create(name, ["sh", "-c", "echo kept > /data/file"])
    docker_api.exec_start(exec_id)
    second = converge(dict(args, env={"GEN": 2}))
    assert second["actions"] == ["recreate: env changed", "start"]
    assert second["container"]["Id"] != first["container"]["Id"]
    exec_id = docker_api.exec_create(name, ["cat", "/data/file"])
    assert docker_api.exec_start(exec_id).decode().strip() == "kept"


def test_anonymous_volume(name, bed, docker_api):
    converge(busybox(name, bed, volumes=["/cache"]))
    assert [m["Destination"] for m in docker_api.inspect_container(name)["Mounts"]] == ["/cache"]


def test_image_cmd_left_unset_is_not_drift(name, bed):
    # busybox's own CMD is ["sh"]; the task leaves command unset, so the image's CMD is no drift.
    converge(dict(name=name, image=bed["busybox_image"], state="present"))


def test_image_change_recreates_unless_ignored(name, bed):
    args = busybox(name, bed)
    converge(args)
    other = dict(args, image=bed["python_image"])
    ignored = run_module("container", dict(other, comparisons={"image": "ignore"}))
    assert ignored.rc == 0 and ignored["changed"] is False, ignored
    result = converge(other)
    assert result["actions"] == ["recreate: image changed", "start"]
    assert result["container"]["Config"]["Image"] == bed["python_image"]


def test_comparisons_on_env_and_labels(name, bed):
    args = busybox(name, bed, env={"A": "1", "B": "2"}, labels={"tier": "web", "team": "ops"})
    converge(args)
    fewer = dict(args, env={"A": "1"}, labels={"tier": "web"})
    for comparisons in ({"env": "allow_more_present", "labels": "allow_more_present"}, {"*": "ignore"}):
        result = run_module("container", dict(fewer, comparisons=comparisons))
        assert result.rc == 0 and result["changed"] is False, result
    ignored_env = run_module("container", dict(args, env={"A": "changed"}, comparisons={"env": "ignore"}))
    assert ignored_env["changed"] is False
    result = converge(fewer)
    assert result["actions"] == ["recreate: env, labels changed", "start"]
    assert result["diff"]["before"]["labels"]["team"] == "ops"
    assert "team" not in result["diff"]["after"]["labels"]


def test_env_values_are_strings_and_image_env_is_kept(name, bed, tmp_path):
    env_file = tmp_path / "env"
    env_file.write_text("FROM_FILE=yes\nPORT=1\n")
    result = converge(busybox(name, bed, env={"PORT": 8080, "DEBUG": True}, env_file=str(env_file)))
    env = result["container"]["Config"]["Env"]
    assert {"PORT=8080", "DEBUG=true", "FROM_FILE=yes"} <= set(env)


def test_live_memory_update_keeps_the_container(name, bed, docker_api):
    first = converge(busybox(name, bed, memory="64m"))
    second = converge(busybox(name, bed, memory="256m"))
    assert second["actions"] == ["update: memory changed"]
    assert second["container"]["Id"] == first["container"]["Id"]
    assert docker_api.inspect_container(name)["HostConfig"]["Memory"] == 256 * 1024 ** 2
    assert second["diff"] == dict(before={"memory": 64 * 1024 ** 2}, after={"memory": 256 * 1024 ** 2})


def test_live_cpus_and_restart_policy(name, bed):
    first = converge(busybox(name, bed, cpus="0.5", restart_policy="on-failure", restart_retries=2))
    second = converge(busybox(name, bed, cpus="1", restart_policy="always", restart_retries=0))
    assert second["actions"] == ["update: restart_policy, restart_retries, cpus changed"]
    assert second["container"]["Id"] == first["container"]["Id"]
    assert second["container"]["HostConfig"]["RestartPolicy"] == {"Name": "always", "MaximumRetryCount": 0}
    assert second["container"]["HostConfig"]["NanoCpus"] == 10 ** 9


def test_states(name, bed):
    args = busybox(name, bed)
    assert converge(dict(args, state="present"))["container"]["State"]["Status"] == "created"
    assert converge(dict(args, state="started"))["actions"] == ["start"]
    stopped = converge(dict(args, state="stopped"))
    assert stopped["actions"] == ["stop"] and stopped["diff"]["after"] == {"state": "stopped"}
    started = converge(args)
    restart = run_module("container", dict(args, restart=True), check_mode=True)
    assert restart["changed"] is True and restart["actions"] == ["restart"]
    restart = run_module("container", dict(args, restart=True))
    assert restart["changed"] is True and restart["container"]["Id"] == started["container"]["Id"]
    forced = run_module("container", dict(args, recreate=True))
    assert forced["actions"] == ["recreate: forced", "start"] and forced["container"]["Id"] != started["container"]["Id"]
    gone = converge(dict(name=name, state="absent"))
    assert gone["actions"] == ["remove"] and gone["container"] is None


def test_recreate_carries_over_what_the_task_does_not_manage(name, bed, docker_api):
    port = claim_port()
    converge(busybox(name, bed, published_ports=["%d:80" % port], memory="64m", env={"A": "1"}))
    # A later task manages only env: the ports and memory stay.
    result = converge(dict(name=name, env={"A": "2"}))
    host = docker_api.inspect_container(name)["HostConfig"]
    assert result["actions"] == ["recreate: env changed",
                                 "kept from the old container: command, published_ports, networks, memory, stop_timeout",
                                 "start"]
    assert host["PortBindings"] == {"80/tcp": [{"HostIp": "", "HostPort": str(port)}]}
    assert host["Memory"] == 64 * 1024 ** 2
    assert docker_api.inspect_container(name)["Config"]["Cmd"] == ["sleep", "3600"]


def test_wait_running_fails_with_the_log_lines(name, bed, docker_api):
    result = run_module("container", busybox(name, bed, command=["sh", "-c", "echo boom-from-the-app; exit 3"],
                                             wait="running"))
    assert result.failed
    assert result["msg"].startswith("wait: container %s is not running: it exited with code 3" % name)
    assert "boom-from-the-app" in result["msg"] and "\n" not in result["msg"]


def test_healthcheck_and_wait_healthy(name, bed):
    health = dict(test="wget -q -O- http://127.0.0.1/ || exit 1", interval="1s", retries=3, timeout="5s")
    args = busybox(name, bed, command="httpd -f -p 80 -h /var/www", healthcheck=health, wait="healthy")
    result = converge(args)
    assert result["container"]["State"]["Health"]["Status"] == "healthy"
    changed = converge(dict(args, healthcheck=dict(health, interval="2s")))
    assert changed["diff"]["after"]["healthcheck"]["Interval"] == "2s"
    del args["wait"]
    disabled = converge(dict(args, healthcheck=dict(test=["NONE"])))
    assert disabled["container"]["Config"]["Healthcheck"]["Test"] == ["NONE"]


def test_wait_healthy_fails_with_the_health_output(name, bed):
    args = busybox(name, bed, healthcheck=dict(test="echo sick-and-tired; exit 1", interval="1s", retries=1),
                   wait="healthy", wait_timeout=30)
    result = run_module("container", args)
    assert result.failed
    assert result["msg"].startswith("wait: container %s is unhealthy" % name)
    assert "sick-and-tired" in result["msg"]


def test_networks_with_aliases(name, bed, network, docker_api):
    args = busybox(name, bed, networks=[dict(name=network, aliases=["web"])])
    result = converge(args)
    endpoint = result["container"]["NetworkSettings"]["Networks"][network]
    assert "web" in endpoint["Aliases"]
    two = converge(dict(args, networks=[dict(name=network, aliases=["web", "www"]), dict(name=bed["home_network"])]))
    assert sorted(two["container"]["NetworkSettings"]["Networks"]) == sorted([network, bed["home_network"]])
    assert converge(dict(name=name, network_mode="host"))["container"]["HostConfig"]["NetworkMode"] == "host"


OPTION_CASES = [
    # (option, first value, changed value, how the engine shows it)
    ("entrypoint", ["sleep"], ["/bin/sleep"], lambda i: i["Config"]["Entrypoint"]),
    ("hostname", "web1", "web2", lambda i: i["Config"]["Hostname"]),
    ("user", "nobody", "65534:65534", lambda i: i["Config"]["User"]),
    ("working_dir", "/tmp", "/var", lambda i: i["Config"]["WorkingDir"]),
    ("init", True, False, lambda i: bool(i["HostConfig"]["Init"])),
    ("log_driver", "json-file", "none", lambda i: i["HostConfig"]["LogConfig"]["Type"]),
    ("log_options", {"max-size": "1m"}, {"max-size": "2m"}, lambda i: i["HostConfig"]["LogConfig"]["Config"]),
    ("stop_signal", "SIGUSR1", "SIGHUP", lambda i: i["Config"]["StopSignal"]),
    ("stop_timeout", 5, 7, lambda i: i["Config"]["StopTimeout"]),
    ("mounts", [dict(type="tmpfs", target="/run/app", tmpfs_size="1m")],
     [dict(type="tmpfs", target="/run/app", tmpfs_size="2m")], lambda i: i["HostConfig"]["Mounts"][0]["TmpfsOptions"]),
    ("labels", {"a": "1"}, {"a": "2"}, lambda i: i["Config"]["Labels"]["a"]),
    ("command", "sleep 3600", ["sleep", "3601"], lambda i: i["Config"]["Cmd"]),
]


@pytest.mark.parametrize("option, first, second, shown", OPTION_CASES, ids=[c[0] for c in OPTION_CASES])
def test_option_check_run_idempotent_change(name, bed, docker_api, option, first, second, shown):
    args = busybox(name, bed, **{option: first})
    if option == "entrypoint":
        args["command"] = "3600"
    created = converge(args)
    before = shown(docker_api.inspect_container(name))
    changed = converge(dict(args, **{option: second}))
    assert changed["actions"][0] == "recreate: %s changed" % option
    assert list(changed["diff"]["before"]) == [option]
    assert shown(docker_api.inspect_container(name)) != before
    assert changed["container"]["Id"] != created["container"]["Id"]


@pytest.mark.parametrize("options, message", [
    (dict(published_ports=["abc"]), "published_ports: invalid port 'abc'"),
    (dict(published_ports=["70000:80"]), "published_ports: port out of range 1-65535 in '70000:80'"),
    (dict(volumes=["/host:"]), "volumes: invalid volume '/host:'"),
    (dict(networks=[dict(name="kapal-it-ctr-no-such-network")]), "networks: no network named 'kapal-it-ctr-no-such-network'"),
    (dict(memory="12x"), "memory: expected a size such as 512m or 1g, got '12x'"),
    (dict(image=None), "image: required to create container"),
    (dict(env={"LIST": [1, 2]}), "env: value of LIST must be a string, number or boolean, got [1, 2]"),
    (dict(comparisons={"nope": "strict"}), "comparisons: unknown option 'nope'"),
])
def test_bad_input_fails_in_one_line_and_changes_nothing(name, bed, docker_api, options, message):
    args = busybox(name, bed, **options)
    if args["image"] is None:
        del args["image"]
    for check_mode in (True, False):
        result = run_module("container", args, check_mode=check_mode)
        assert result.failed and result["msg"].startswith(message), result
        assert "\n" not in result["msg"] and "Traceback" not in result.stderr
    assert not [c for c in docker_api.containers(all=True) if "/" + name in (c.get("Names") or [])]


def test_bad_input_leaves_an_existing_container_alone(name, bed):
    first = converge(busybox(name, bed))
    result = run_module("container", busybox(name, bed, published_ports=["70000:80"]))
    assert result.failed
    after = run_module("container", busybox(name, bed))
    assert after["changed"] is False and after["container"]["Id"] == first["container"]["Id"]


def test_pull_policies(name, bed, pushed):
    never = run_module("container", busybox(name, bed, image=pushed, pull="never"))
    assert never.failed and never["msg"].startswith("image %s is not present" % pushed), never
    result = converge(busybox(name, bed, image=pushed))
    assert result["actions"] == ["pull: %s" % pushed, "create", "start"]
    assert result["container"]["Config"]["Image"] == pushed
    always = run_module("container", busybox(name, bed, image=pushed, pull="always"))
    assert always.rc == 0 and always["changed"] is False, always


def test_env_file_changes_recreate(name, bed, tmp_path):
    env_file = tmp_path / "env"
    env_file.write_text("LEVEL=1\n")
    args = busybox(name, bed, env_file=str(env_file))
    converge(args)
    env_file.write_text("LEVEL=2\n")
    result = converge(args)
    assert result["actions"] == ["recreate: env changed", "start"]
    assert "LEVEL=2" in result["container"]["Config"]["Env"]


def test_a_container_id_given_as_name_is_refused(docker_api, testbed):
    name = "kapal-it-ctr-idname-%d" % os.getpid()
    created = docker_api.create_container(testbed["busybox_image"], command=["true"], name=name,
                                          host_config=docker_api.create_host_config(network_mode="none"))
    try:
        for check_mode in (True, False):
            result = run_module("container", {"name": created["Id"][:12], "state": "absent"}, check_mode=check_mode)
            assert result.failed
            assert result["msg"] == "name: %r is the id of container %r; give the container's name" % (created["Id"][:12], name)
        assert docker_api.inspect_container(name)["Id"] == created["Id"]
    finally:
        docker_api.remove_container(name, force=True)
