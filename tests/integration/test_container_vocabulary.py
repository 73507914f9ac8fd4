"""kapal.docker.container with what `docker run` and community.docker users write, against the real
engine (issue #17): every case is check mode -> run -> idempotent re-run -> a changed value, and
bad input fails in one line and creates nothing."""

import uuid

import docker
import pytest

from tests.integration.conftest import run_module

PREFIX = "fix-options-vocab-"


@pytest.fixture
def name(docker_api):
    """A unique container name; every container whose name starts with it is removed afterwards."""
    unique = "%s%s" % (PREFIX, uuid.uuid4().hex[:8])
    yield unique
    for entry in docker_api.containers(all=True):
        if any(n.lstrip("/").startswith(unique) for n in entry.get("Names") or []):
            try:
                docker_api.remove_container(entry["Id"], force=True, v=True)
            except docker.errors.NotFound:
                pass  # an auto_remove container the engine removed meanwhile
            except docker.errors.APIError as exc:
                if exc.status_code != 409:  # the engine is removing it already (auto_remove)
                    raise


@pytest.fixture
def volume(docker_api):
    unique = "%svol-%s" % (PREFIX, uuid.uuid4().hex[:8])
    yield unique
    for entry in docker_api.containers(all=True, filters={"volume": unique}):
        docker_api.remove_container(entry["Id"], force=True)
    if unique in [v["Name"] for v in docker_api.volumes().get("Volumes") or []]:
        docker_api.remove_volume(unique)


def converge(args, changed=True, module="container", env=None):
    """check mode -> real run -> check mode again -> real run again; returns the first real run."""
    check = run_module(module, args, check_mode=True, diff=True, env=env)
    assert check.rc == 0, check
    assert check["changed"] is changed, check
    real = run_module(module, args, diff=True, env=env)
    assert real.rc == 0, real
    assert real["changed"] is changed, real
    if module == "container":
        assert real["actions"] == check["actions"]
    else:
        assert [c["actions"] for c in real["containers"]] == [c["actions"] for c in check["containers"]]
    assert real["diff"] == check["diff"]
    for check_mode in (True, False):
        again = run_module(module, args, check_mode=check_mode, env=env)
        assert again.rc == 0 and again["changed"] is False, again
    if module == "container":
        assert (again["container"] or {}).get("Id") == (real["container"] or {}).get("Id")
    return real


def busybox(name, testbed, **options):
    # sleep, PID 1, ignores SIGTERM: stop_timeout 1 stops it after 1 s, not 10, when a test recreates it.
    args = dict(name=name, image=testbed["busybox_image"], command="sleep 3600", network_mode="none", stop_timeout=1)
    args.update(options)
    return args


def refused(docker_api, name, args, message, module="container"):
    """Fails in one line starting with ``message``, in check mode and for real, and creates nothing."""
    for check_mode in (True, False):
        result = run_module(module, args, check_mode=check_mode)
        assert result.failed and result["msg"].startswith(message), result
        assert "\n" not in result["msg"] and "Traceback" not in result.stderr
    assert not [c for c in docker_api.containers(all=True) if any(n.lstrip("/").startswith(name) for n in c["Names"])]


def host_config(docker_api, name):
    return docker_api.inspect_container(name)["HostConfig"]


# -- 1. a host IP that is no address ----------------------------------------------------------------

@pytest.mark.parametrize("port, ip", [("999.1.1.1:18111:80", "999.1.1.1"), ("127.0.0.1.5:18114:80", "127.0.0.1.5")])
def test_a_host_ip_that_is_no_address_fails_and_publishes_nothing(name, testbed, docker_api, port, ip):
    args = busybox(name, testbed, published_ports=[port])
    del args["network_mode"]
    refused(docker_api, name, args, "published_ports: invalid host IP address %r in %r" % (ip, port))
    refused(docker_api, name, dict(containers=[args]),
            "containers: item %s: published_ports: invalid host IP address %r" % (name, ip), module="containers")


def test_host_port_zero_is_a_random_port_on_the_address_asked(name, testbed, docker_api):
    args = busybox(name, testbed, published_ports=["127.0.0.1:0:80"])
    del args["network_mode"]
    converge(args)
    bound = docker_api.inspect_container(name)["NetworkSettings"]["Ports"]["80/tcp"]
    assert [b["HostIp"] for b in bound] == ["127.0.0.1"] and int(bound[0]["HostPort"]) > 0
    moved = converge(dict(args, published_ports=["127.0.0.1:18131:80"]))
    assert moved["actions"] == ["recreate: published_ports changed", "start"]


# -- 5. restart policy changes with a retry count -------------------------------------------------

def test_restart_policy_changes_away_from_on_failure_with_retries(name, testbed, docker_api):
    first = converge(busybox(name, testbed, restart_policy="on-failure:3"))
    assert host_config(docker_api, name)["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    for policy in ("no", "always", "on-failure"):
        result = converge(busybox(name, testbed, restart_policy=policy))
        assert result["actions"] == ["update: restart_policy changed"]
        assert result["container"]["Id"] == first["container"]["Id"]
        assert host_config(docker_api, name)["RestartPolicy"] == {"Name": policy, "MaximumRetryCount": 0}
    converge(busybox(name, testbed, restart_policy="on-failure", restart_retries=3))
    # a recreate (hostname) that also changes the policy: the retry count is not carried into "always"
    result = converge(busybox(name, testbed, restart_policy="always", hostname="other"))
    assert result["actions"] == ["recreate: restart_policy, hostname changed", "start"]
    assert host_config(docker_api, name)["RestartPolicy"] == {"Name": "always", "MaximumRetryCount": 0}


def test_a_retry_count_with_another_policy_fails_and_changes_nothing(name, testbed, docker_api):
    refused(docker_api, name, busybox(name, testbed, restart_policy="always", restart_retries=3),
            "restart_retries: 3 needs restart_policy on-failure, got 'always'")
    refused(docker_api, name, busybox(name, testbed, restart_policy="always:3"),
            "restart_policy: a maximum retry count is only for on-failure, got 'always:3'")


# -- 6. removing a memory or CPU limit ------------------------------------------------------------

def test_memory_and_cpus_zero_remove_the_limit(name, testbed, docker_api):
    first = converge(busybox(name, testbed, memory="256m", cpus="0.5"))
    raised = converge(busybox(name, testbed, memory="512MiB", cpus="1"))
    assert raised["actions"] == ["update: memory, cpus changed"] and raised["container"]["Id"] == first["container"]["Id"]
    removed = converge(busybox(name, testbed, memory=0, cpus=0))
    assert removed["actions"] == ["recreate: memory, cpus changed", "start"]
    host = host_config(docker_api, name)
    assert (host["Memory"], host["NanoCpus"]) == (0, 0)
    assert removed["diff"] == dict(before={"memory": 512 * 1024 ** 2, "cpus": 10 ** 9}, after={"memory": 0, "cpus": 0})
    limited = converge(busybox(name, testbed, memory="1GiB", cpus=0))
    assert limited["actions"] == ["update: memory changed"]
    assert host_config(docker_api, name)["Memory"] == 1024 ** 3


# -- 7. empty command, network_mode default -------------------------------------------------------

def test_an_empty_command_is_the_images_cmd(name, testbed, docker_api):
    custom = converge(busybox(name, testbed, state="present"))
    for empty in ([], ""):
        args = busybox(name, testbed, command=empty, state="present")
        if empty == []:
            result = converge(args)
            assert result["actions"] == ["recreate: command changed"]
            assert result["diff"] == dict(before={"command": ["sleep", "3600"]}, after={"command": ["sh"]})
            assert result["container"]["Id"] != custom["container"]["Id"]
        else:
            converge(args, changed=False)
    assert docker_api.inspect_container(name)["Config"]["Cmd"] == ["sh"]
    # with an entrypoint of its own, an empty command is no arguments
    converge(busybox(name, testbed, entrypoint=["sleep", "3600"], command=[]))
    assert docker_api.inspect_container(name)["Config"]["Cmd"] == []


def test_network_mode_default_is_bridge(name, testbed, docker_api):
    args = busybox(name, testbed, network_mode="default")
    converge(args)
    assert host_config(docker_api, name)["NetworkMode"] in ("bridge", "default")
    converge(dict(args, network_mode="bridge"), changed=False)
    assert converge(dict(args, network_mode="none"))["actions"] == ["recreate: network_mode changed", "start"]


# -- 8. docker run's vocabulary -------------------------------------------------------------------

def test_volume_modes_as_docker_run_takes_them(name, testbed, docker_api, volume, tmp_path):
    data, conf = tmp_path / "data", tmp_path / "conf"
    data.mkdir()
    conf.mkdir()
    args = busybox(name, testbed, volumes=["%s:/data:ro,z" % data, "%s:/conf:private,cached" % conf,
                                           "%s:/cache:nocopy" % volume])
    converge(args)
    assert sorted(host_config(docker_api, name)["Binds"]) == sorted(
        ["%s:/data:ro,z" % data, "%s:/conf:private,cached" % conf, "%s:/cache:nocopy" % volume])
    mounts = dict((m["Destination"], m) for m in docker_api.inspect_container(name)["Mounts"])
    assert mounts["/data"]["RW"] is False and mounts["/conf"]["Propagation"] == "private"
    # the same modes in another order, with the defaults spelt out: no change
    same = dict(args, volumes=["%s:/data:z,ro,rprivate" % data, "%s:/conf:cached,private,rw" % conf,
                               "%s:/cache:nocopy,rw" % volume])
    converge(same, changed=False)
    changed = converge(dict(args, volumes=["%s:/data:z" % data] + args["volumes"][1:]))
    assert changed["actions"] == ["recreate: volumes changed", "start"]
    mounts = dict((m["Destination"], m) for m in docker_api.inspect_container(name)["Mounts"])
    assert mounts["/data"]["RW"] is True


@pytest.mark.parametrize("volumes, message", [
    (["./data:/data"], "volumes: host path './data' in './data:/data' is relative; give an absolute path, "
                       "e.g. '{{ playbook_dir }}/data'"),
    (["/tmp:/data:nocopy"], "volumes: nocopy is for named volumes"),
    (["/tmp:/data:ro,rw"], "volumes: conflicting access modes 'ro' and 'rw'"),
])
def test_volume_refusals(name, testbed, docker_api, volumes, message):
    refused(docker_api, name, busybox(name, testbed, volumes=volumes), message)


def test_restart_memory_and_cpus_as_docker_run_spells_them(name, testbed, docker_api):
    converge(busybox(name, testbed, restart_policy="on-failure:3", memory="1GiB", cpus=0))
    host = host_config(docker_api, name)
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert (host["Memory"], host["NanoCpus"]) == (1024 ** 3, 0)
    converge(busybox(name, testbed, restart_policy="on-failure", restart_retries=3, memory="1g", cpus="0"), changed=False)
    converge(busybox(name, testbed, memory="1048576kb"), changed=False)


def test_env_file_as_docker_run_env_file_reads_it(name, testbed, docker_api, tmp_path):
    env_file = tmp_path / "env"
    env_file.write_text("# comment\n  PADDED=1  \nSPACED= two \nFROM_ENV\nFIX_OPTIONS_ABSENT\nCRLF=x\r\n")
    args = busybox(name, testbed, env_file=str(env_file))
    converge(args, env={"FROM_ENV": "hello world"})
    env = docker_api.inspect_container(name)["Config"]["Env"]
    assert {"PADDED=1  ", "SPACED= two ", "FROM_ENV=hello world", "CRLF=x"} <= set(env)
    assert not [e for e in env if e.startswith("FIX_OPTIONS_ABSENT")]
    result = converge(args, env={"FROM_ENV": "changed"})
    assert result["actions"] == ["recreate: env changed", "start"]
    env_file.write_text("NAME WITH SPACE=1\n")
    refused(docker_api, name + "-none", dict(args, name=name + "-none"),
            "env_file: variable name 'NAME WITH SPACE' on line 1 of %s contains white space" % env_file)


def test_healthcheck_test_of_the_wrong_type_fails_in_one_line(name, testbed, docker_api):
    refused(docker_api, name, busybox(name, testbed, healthcheck=dict(test=123)),
            "healthcheck: test must be a shell command string or a list")


def test_healthcheck_durations_show_as_durations(name, testbed):
    args = busybox(name, testbed, healthcheck=dict(test="true", interval="10s"))
    converge(args)
    result = converge(dict(args, healthcheck=dict(test="true", interval="1m30s")))
    assert result["diff"]["before"]["healthcheck"]["Interval"] == "10s"
    assert result["diff"]["after"]["healthcheck"]["Interval"] == "1m30s"


# -- 9. community.docker's option names -----------------------------------------------------------

def test_dns_hosts_domain_and_exposed_ports(name, testbed, docker_api):
    args = busybox(name, testbed, dns=["10.0.0.2"], dns_search=["example.test"], dns_opts=["ndots:2"],
                   extra_hosts={"db.local": "10.0.0.5", "gw": "host-gateway"}, domainname="example.test",
                   expose=["9000"], published_ports=["127.0.0.1::80"], auto_remove=False, hostname="web")
    del args["network_mode"]
    converge(args)
    inspect = docker_api.inspect_container(name)
    host = inspect["HostConfig"]
    assert (host["Dns"], host["DnsSearch"], host["DnsOptions"]) == (["10.0.0.2"], ["example.test"], ["ndots:2"])
    assert sorted(host["ExtraHosts"]) == ["db.local:10.0.0.5", "gw:host-gateway"]
    assert inspect["Config"]["Domainname"] == "example.test"
    assert sorted(inspect["Config"]["ExposedPorts"]) == ["80/tcp", "9000/tcp"]
    exec_id = docker_api.exec_create(name, ["cat", "/etc/hosts"])
    assert "10.0.0.5\tdb.local" in docker_api.exec_start(exec_id).decode()
    # community.docker's names and forms are the same options
    ported = dict(args)
    for cli, community in (("dns", "dns_servers"), ("dns_search", "dns_search_domains"), ("extra_hosts", "etc_hosts"),
                           ("expose", "exposed_ports")):
        ported[community] = ported.pop(cli)
    ported["etc_hosts"] = ["gw:host-gateway", "db.local:10.0.0.5"]
    converge(ported, changed=False)
    for option, value in (("etc_hosts", {"db.local": "10.0.0.6"}), ("dns_servers", ["10.0.0.3"]),
                          ("exposed_ports", []), ("domainname", "other.test")):
        ported[option] = value
        result = converge(ported)
        assert result["actions"] == ["recreate: %s changed" % option, "start"]


def test_auto_remove(name, testbed, docker_api):
    converge(busybox(name, testbed, auto_remove=True))
    assert host_config(docker_api, name)["AutoRemove"] is True
    refused(docker_api, name + "-none", busybox(name + "-none", testbed, auto_remove=True, restart_policy="always"),
            "auto_remove: cannot be used with restart_policy 'always'")


def test_pull_true_and_false(name, testbed, pushed):
    result = converge(busybox(name, testbed, image=pushed, pull=False))
    assert result["actions"] == ["pull: %s" % pushed, "create", "start"]
    always = run_module("container", busybox(name, testbed, image=pushed, pull=True))
    assert always.rc == 0 and always["changed"] is False, always
    bad = run_module("container", busybox(name, testbed, image=pushed, pull="sometimes"))
    assert bad.failed and bad["msg"].startswith("pull: expected missing, always, never, true (always) or false (missing)")


def test_containers_report_every_unsupported_option_at_once(name, testbed, docker_api):
    items = [busybox(name + "-a", testbed, links=["x"], bogus=1), busybox(name + "-b", testbed),
             busybox(name + "-c", testbed, ipc_mode="host")]
    refused(docker_api, name, dict(containers=items, defaults=dict(detach=True)),
            "containers: defaults: unsupported option detach; item %s-a: unsupported options bogus, links; "
            "item %s-c: unsupported option ipc_mode (an item takes the options of kapal.docker.container)" % (name, name),
            module="containers")
    refused(docker_api, name, dict(containers=[busybox(name + "-a", testbed)], defaults=dict(name="shared")),
            "containers: defaults: name is given per item, not as a default, got 'shared'", module="containers")


def test_the_vocabulary_in_many_containers_at_once(name, testbed, docker_api):
    items = [busybox("%s-%d" % (name, n), testbed, restart_policy="on-failure:2", memory="64MiB", extra_hosts=["db:10.0.0.5"])
             for n in range(2)]
    result = converge(dict(containers=items, defaults=dict(dns=["10.0.0.2"], pull=False)), module="containers")
    assert [c["actions"] for c in result["containers"]] == [["create", "start"]] * 2
    for n in range(2):
        host = host_config(docker_api, "%s-%d" % (name, n))
        assert host["RestartPolicy"]["MaximumRetryCount"] == 2 and host["Dns"] == ["10.0.0.2"]
