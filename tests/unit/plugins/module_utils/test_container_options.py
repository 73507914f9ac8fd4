"""The option table: parse -> write -> read round trips, image-aware expectations, comparisons."""

import copy

import pytest

from ansible_collections.kapal.docker.plugins.module_utils._container.options import (
    CONTROL_SPEC,
    OPTION_BY_NAME,
    OPTIONS,
    argument_spec,
    parse_options,
    resolve_comparisons,
)
from ansible_collections.kapal.docker.plugins.module_utils._container.parsers import parse_pull
from ansible_collections.kapal.docker.plugins.module_utils._container.plan import Desired, diff_of, plain, plan, same
from ansible_collections.kapal.docker.plugins.module_utils._container.tasks import desired_list
from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError

BUSYBOX = {
    "Id": "sha256:bb",
    "Config": {"Cmd": ["sh"], "Env": ["PATH=/bin"], "Labels": {"vendor": "kapal"}, "Volumes": {"/var/lib": {}},
               "Healthcheck": {"Test": ["CMD", "true"], "Interval": 5}},
}


def _inspect_from_body(body, container_id="0123456789abcdef"):
    """What the engine answers on inspect for a container created from ``body`` (as far as options go)."""
    config = dict((key, value) for key, value in body.items() if key not in ("HostConfig", "NetworkingConfig"))
    config.setdefault("Env", [])
    networks = {}
    for name, endpoint in ((body.get("NetworkingConfig") or {}).get("EndpointsConfig") or {}).items():
        networks[name] = dict(endpoint, Aliases=list(endpoint.get("Aliases") or []) + [container_id[:12]])
    return dict(Id=container_id, Image="sha256:bb", Config=config, HostConfig=dict(body.get("HostConfig") or {}),
                NetworkSettings=dict(Networks=networks))


ROUND_TRIPS = [
    ("command", "httpd -f -p 80", ["httpd", "-f", "-p", "80"]),
    ("command", ["sleep", 10], ["sleep", "10"]),
    ("entrypoint", ["/bin/sh", "-c"], ["/bin/sh", "-c"]),
    ("env", {"A": 1, "B": True}, {"A": "1", "B": "true"}),
    ("published_ports", ["8080:80", "53/udp"], None),
    ("volumes", ["/srv:/data:ro", "cache:/cache", "/anon"], None),
    ("mounts", [{"type": "tmpfs", "target": "/run", "tmpfs_size": "1m", "source": None, "read_only": False}], None),
    ("labels", {"app": "web"}, {"app": "web"}),
    ("restart_policy", "on-failure", "on-failure"),
    ("restart_retries", 3, 3),
    ("restart_policy", "on-failure:3", "on-failure"),
    ("restart_policy", False, "no"),
    ("healthcheck", {"test": "wget -q -O- localhost", "interval": "10s", "timeout": None, "retries": 3, "start_period": None}, None),
    ("networks", [{"name": "front", "aliases": ["web"], "ipv4_address": None}, {"name": "back", "aliases": None, "ipv4_address": None}], None),
    ("network_mode", "host", "host"),
    ("hostname", "web1", "web1"),
    ("user", "nobody", "nobody"),
    ("working_dir", "/srv", "/srv"),
    ("init", True, True),
    ("memory", "512m", 512 * 1024 ** 2),
    ("cpus", "1.5", 1500000000),
    ("log_driver", "json-file", "json-file"),
    ("log_options", {"max-size": "10m"}, {"max-size": "10m"}),
    ("stop_signal", "term", "SIGTERM"),
    ("stop_timeout", 20, 20),
    ("privileged", True, True),
    ("capabilities", ["net_admin", "CAP_SYS_TIME", "NET_ADMIN"], ["CAP_NET_ADMIN", "CAP_SYS_TIME"]),
    ("cap_drop", ["ALL"], ["ALL"]),
    ("devices", ["/dev/fuse", "/dev/null:/dev/kapal-null:mr", "/dev/zero:r"],
     ["/dev/fuse:/dev/fuse:rwm", "/dev/null:/dev/kapal-null:rm", "/dev/zero:/dev/zero:r"]),
    ("ulimits", ["nofile:1024:2048", "core:0", "memlock:-1"], ["core:0:0", "memlock:-1:-1", "nofile:1024:2048"]),
    ("tmpfs", ["/run", "/tmp:size=64m,mode=1777"], {"/run": "", "/tmp": "size=64m,mode=1777"}),
    ("read_only", True, True),
    ("sysctls", {"net.core.somaxconn": 1024}, {"net.core.somaxconn": "1024"}),
    ("pid_mode", "host", "host"),
    ("pid_mode", "container:web", "container:web"),
    ("shm_size", "128m", 128 * 1024 ** 2),
    ("published_ports", ["127.0.0.1:0:80", "[::1]:18080:80"], None),
    ("volumes", ["/srv:/data:z,ro", "cache:/cache:nocopy", "/src:/src:rshared,cached", "/etc/x:/x:rprivate"], None),
    ("network_mode", "default", "bridge"),
    ("memory", "1GiB", 1024 ** 3),
    ("memory", 0, 0),
    ("cpus", 0, 0),
    ("command", "", []),
    ("auto_remove", True, True),
    ("domainname", "example.test", "example.test"),
    ("dns_servers", ["10.0.0.2", "2001:db8::53"], ["10.0.0.2", "2001:db8::53"]),
    ("dns_search_domains", ["b.test", "a.test"], ["b.test", "a.test"]),
    ("dns_opts", ["ndots:2", "timeout:1"], ["ndots:2", "timeout:1"]),
    ("etc_hosts", {"db.local": "10.0.0.5", "gw": "host-gateway", "v6": "::1"},
     ["db.local:10.0.0.5", "gw:host-gateway", "v6:::1"]),
    ("etc_hosts", ["db.local:10.0.0.5", "v6=::1"], ["db.local:10.0.0.5", "v6:::1"]),
    ("exposed_ports", ["9000-9001", "53/udp", 80], ["53/udp", "80/tcp", "9000/tcp", "9001/tcp"]),
]

# Options that are only valid with another one given too.
WITH = {"restart_retries": {"restart_policy": "on-failure"}}


@pytest.mark.parametrize("name, given, normalized", ROUND_TRIPS, ids=[r[0] + str(i) for i, r in enumerate(ROUND_TRIPS)])
def test_parse_write_read_round_trip(name, given, normalized):
    """What an option writes into the create call, the engine gives back on inspect, and it compares equal."""
    option = next(o for o in OPTIONS if o.name == name)
    values = parse_options(dict(WITH.get(name, {}), **{name: given}))
    value = values[name]
    if normalized is not None:
        assert value == normalized
    body = {"HostConfig": {}}
    for other in OPTIONS:  # in the table's order, as create_body writes them
        if other.name in values and other.write is not None:
            other.write(body, values[other.name])
    inspect = _inspect_from_body(body)
    if name == "networks":  # only the first network is in the create call; the others are connected after
        inspect["NetworkSettings"]["Networks"]["back"] = {"Aliases": ["0123456789ab"]}
    assert same("strict", option.expected(value, {}), option.read(inspect))


def test_every_option_has_one_row_and_a_spec():
    names = [o.name for o in OPTIONS]
    assert len(names) == len(set(names))
    assert not set(names) & set(CONTROL_SPEC)
    for option in OPTIONS:
        assert "type" in option.spec and option.compare in ("strict", "ignore", "allow_more_present")
        assert (option.read is None) == (option.write is None)


def test_argument_spec_without_defaults():
    assert argument_spec()["state"]["default"] == "started"
    assert "default" not in argument_spec(defaults=False)["state"]
    assert argument_spec()["published_ports"]["aliases"] == ["ports"]
    assert argument_spec()["mounts"]["options"]["target"]["required"] is True


def test_env_is_expected_merged_over_the_image_env():
    env = next(o for o in OPTIONS if o.name == "env")
    assert env.expected({"A": "1", "PATH": "/usr/bin"}, BUSYBOX) == {"PATH": "/usr/bin", "A": "1"}
    assert env.expected({"A": "1"}, BUSYBOX) == {"PATH": "/bin", "A": "1"}


def test_labels_volumes_and_healthcheck_merge_the_image():
    by_name = dict((o.name, o) for o in OPTIONS)
    assert by_name["labels"].expected({"app": "x"}, BUSYBOX) == {"vendor": "kapal", "app": "x"}
    volumes = parse_options({"volumes": ["/srv:/data"]})["volumes"]
    assert plain(by_name["volumes"].expected(volumes, BUSYBOX)) == ["/srv:/data", "/var/lib"]
    health = parse_options({"healthcheck": {"test": None, "interval": None, "timeout": "3s", "retries": None,
                                            "start_period": None}})["healthcheck"]
    assert by_name["healthcheck"].expected(health, BUSYBOX) == dict(
        Test=["CMD", "true"], Interval=5, Timeout=3 * 10 ** 9, Retries=0, StartPeriod=0,
        StartInterval=0)
    disabled = parse_options({"healthcheck": {"test": ["NONE"]}})["healthcheck"]
    assert by_name["healthcheck"].expected(disabled, BUSYBOX)["Test"] == ["NONE"]


def test_env_file_is_merged_under_env(tmp_path):
    path = tmp_path / "env"
    path.write_text("A=from-file\nB=file\n")
    assert parse_options({"env_file": str(path), "env": {"A": "task"}}) == {"env": {"A": "task", "B": "file"}}


@pytest.mark.parametrize("params, message", [
    ({"env": {"LIST": [1, 2]}}, "env: value of LIST must be a string, number or boolean, got [1, 2]"),
    ({"memory": "12x"}, "memory: expected a size such as 512m or 1g, got '12x'"),
    ({"published_ports": ["abc"]}, "published_ports: invalid port 'abc'"),
    ({"volumes": ["/host:"]}, "volumes: invalid volume '/host:'"),
    ({"image": "Bad:Name"}, "image: invalid image reference 'Bad:Name'"),
    ({"networks": [{"name": "a"}], "network_mode": "host"}, "networks: cannot be given together with network_mode ('host')"),
    ({"mounts": [{"type": "bind", "source": "rel", "target": "/x"}], }, "mounts: a bind mount needs an absolute source path"),
    ({"command": 5}, "command: expected a string or a list of arguments, got 5"),
    ({"capabilities": ["NET ADMIN"]}, "capabilities: invalid capability 'NET ADMIN'"),
    ({"cap_drop": ["-"]}, "cap_drop: invalid capability '-'"),
    ({"devices": ["dev/null"]}, "devices: invalid device 'dev/null'"),
    ({"devices": ["/dev/null:/dev/x:rwx"]}, "devices: invalid device '/dev/null:/dev/x:rwx'"),
    ({"devices": ["/dev/null:/dev/x", "/dev/zero:/dev/x"]}, "devices: container path '/dev/x' is given more than once"),
    ({"ulimits": ["nofile:lots"]}, "ulimits: invalid ulimit 'nofile:lots'"),
    ({"ulimits": ["nofile"]}, "ulimits: invalid ulimit 'nofile'"),
    ({"ulimits": ["nofile:2048:1024"]}, "ulimits: soft limit above the hard limit in 'nofile:2048:1024'"),
    ({"ulimits": ["nofile:1", "nofile:2"]}, "ulimits: nofile is given more than once"),
    ({"tmpfs": ["run:size=1m"]}, "tmpfs: invalid tmpfs 'run:size=1m'"),
    ({"sysctls": {"net.core.somaxconn": [1]}}, "sysctls: value of net.core.somaxconn must be a string"),
    ({"pid_mode": "bogus"}, "pid_mode: invalid PID mode 'bogus'"),
    ({"pid_mode": "container:"}, "pid_mode: invalid PID mode 'container:'"),
    ({"shm_size": "12x"}, "shm_size: expected a size such as 512m or 1g, got '12x'"),
    ({"shm_size": 0}, "shm_size: expected a size above 0"),
    ({"published_ports": ["999.1.1.1:18111:80"]}, "published_ports: invalid host IP address '999.1.1.1' in '999.1.1.1:18111:80'"),
    ({"published_ports": ["127.0.0.1.5:18114:80"]}, "published_ports: invalid host IP address '127.0.0.1.5'"),
    ({"volumes": ["./data:/data"]}, "volumes: host path './data' in './data:/data' is relative; give an absolute path"),
    ({"volumes": ["/a:/b:bogus"]}, "volumes: invalid mode 'bogus' in '/a:/b:bogus'"),
    ({"restart_policy": "sometimes"}, "restart_policy: expected no, on-failure[:max-retries], always or unless-stopped, got 'sometimes'"),
    ({"restart_policy": "always:3"}, "restart_policy: a maximum retry count is only for on-failure, got 'always:3'"),
    ({"restart_policy": "on-failure:3", "restart_retries": 2}, "restart_policy: 'on-failure:3' disagrees with restart_retries 2"),
    ({"restart_retries": 3}, "restart_retries: 3 needs restart_policy on-failure, got no restart_policy"),
    ({"restart_retries": 3, "restart_policy": "always"}, "restart_retries: 3 needs restart_policy on-failure, got 'always'"),
    ({"restart_retries": -1, "restart_policy": "on-failure"}, "restart_retries: expected a number of restarts, 0 or more, got -1"),
    ({"auto_remove": True, "restart_policy": "always"}, "auto_remove: cannot be used with restart_policy 'always'"),
    ({"healthcheck": {"test": 123}}, "healthcheck: test must be a shell command string or a list such as [CMD, wget, -q, localhost], got 123"),
    ({"healthcheck": {"test": ["CMD", {"a": 1}]}}, "healthcheck: test must be a list of strings, got ['CMD', {'a': 1}]"),
    ({"memory": "1GB2"}, "memory: expected a size such as 512m or 1g, got '1GB2'"),
    ({"cpus": -1}, "cpus: expected a number of CPUs such as 0.5 or 2 (0 for no limit), got -1"),
    ({"dns_servers": ["dns.example"]}, "dns_servers: invalid IP address 'dns.example' (expected an IPv4 or IPv6 address)"),
    ({"dns_search_domains": ["a b"]}, "dns_search_domains: invalid entry 'a b'"),
    ({"dns_opts": [""]}, "dns_opts: invalid entry ''"),
    ({"etc_hosts": {"db": "10.0.0.300"}}, "etc_hosts: invalid IP address '10.0.0.300' (expected an IPv4 or IPv6 address or host-gateway)"),
    ({"etc_hosts": {"db": ["10.0.0.1"]}}, "etc_hosts: the address of db must be an IP address, got ['10.0.0.1']"),
    ({"etc_hosts": ["db"]}, "etc_hosts: invalid host entry 'db' (expected name:ip"),
    ({"etc_hosts": "db:10.0.0.1"}, "etc_hosts: expected a dictionary of name: ip or a list of name:ip, got 'db:10.0.0.1'"),
    ({"exposed_ports": ["8080:80"]}, "exposed_ports: invalid port '8080:80' (expected port[-end][/tcp|udp|sctp]"),
    ({"exposed_ports": ["80/icmp"]}, "exposed_ports: invalid port '80/icmp'"),
])
def test_bad_values_name_the_option(params, message):
    with pytest.raises(KapalError) as info:
        parse_options(params)
    assert str(info.value).startswith(message)


def test_comparisons():
    modes = resolve_comparisons({"*": "ignore", "image": "strict"})
    assert modes["image"] == "strict" and modes["env"] == "ignore"
    assert "env_file" not in modes
    assert resolve_comparisons(None)["labels"] == "strict"
    with pytest.raises(KapalError, match=r"^comparisons: unknown option 'nope'"):
        resolve_comparisons({"nope": "strict"})
    with pytest.raises(KapalError, match=r"^comparisons: mode for env must be one of .*, got 'loose'$"):
        resolve_comparisons({"env": "loose"})


@pytest.mark.parametrize("mode, desired, actual, expected", [
    ("strict", {"a": "1"}, {"a": "1"}, True),
    ("strict", {"a": "1"}, {"a": "1", "b": "2"}, False),
    ("allow_more_present", {"a": "1"}, {"a": "1", "b": "2"}, True),
    ("allow_more_present", {"a": "1"}, {"a": "2"}, False),
    ("allow_more_present", [1], [1, 2], True),
    ("allow_more_present", [3], [1, 2], False),
    ("ignore", "x", "y", True),
    ("allow_more_present", "x", "y", False),
])
def test_same(mode, desired, actual, expected):
    assert same(mode, desired, actual) is expected


def _doc_view(options):
    """DOCUMENTATION options -> the argument spec's shape (type, elements, choices, default, aliases, required)."""
    view = {}
    for name, doc in options.items():
        entry = dict((key, doc[key]) for key in ("type", "elements", "choices", "default", "aliases") if key in doc)
        if doc.get("required"):
            entry["required"] = True
        if "suboptions" in doc:
            entry["options"] = _doc_view(doc["suboptions"])
        view[name] = entry
    return view


def _spec_view(spec):
    view = {}
    for name, entry in spec.items():
        entry = dict(entry)
        if "options" in entry:
            entry["options"] = _spec_view(entry["options"])
        entry.setdefault("type", "str")
        view[name] = entry
    return view


def test_container_documentation_matches_the_table():
    import yaml

    from ansible_collections.kapal.docker.plugins.modules.container import DOCUMENTATION

    documented = _doc_view(yaml.safe_load(DOCUMENTATION)["options"])
    assert documented == _spec_view(argument_spec())


def test_containers_documentation_matches_its_spec():
    import yaml

    from ansible_collections.kapal.docker.plugins.modules.containers import ARGUMENT_SPEC, DOCUMENTATION

    assert _doc_view(yaml.safe_load(DOCUMENTATION)["options"]) == _spec_view(ARGUMENT_SPEC)


# What the engine answers on inspect for a container created with none of the privilege options.
ENGINE_DEFAULTS = {
    "Id": "0123456789abcdef", "Image": "sha256:bb", "Config": {"Cmd": ["sh"], "Env": ["PATH=/bin"]},
    "HostConfig": {"Privileged": False, "CapAdd": None, "CapDrop": None, "Devices": [], "Ulimits": None,
                   "ReadonlyRootfs": False, "PidMode": "", "ShmSize": 67108864},
}
PRIVILEGE_OPTIONS = ("privileged", "capabilities", "cap_drop", "devices", "ulimits", "tmpfs", "read_only",
                     "sysctls", "pid_mode", "shm_size")


@pytest.mark.parametrize("name", PRIVILEGE_OPTIONS)
def test_engine_defaults_are_not_carried_over(name):
    """A recreate that does not give the option writes nothing for it: the engine's own default stays the default."""
    option = next(o for o in OPTIONS if o.name == name)
    assert option.carried(ENGINE_DEFAULTS, BUSYBOX) is None


@pytest.mark.parametrize("name, given", [
    ("privileged", True), ("capabilities", ["NET_ADMIN"]), ("cap_drop", ["MKNOD"]), ("devices", ["/dev/fuse"]),
    ("ulimits", ["nofile:10:20"]), ("tmpfs", ["/run"]), ("read_only", True), ("sysctls", {"a.b": "1"}),
    ("pid_mode", "host"), ("shm_size", "1g"),
])
def test_values_that_are_not_the_engine_default_are_carried_over(name, given):
    option = next(o for o in OPTIONS if o.name == name)
    value = parse_options({name: given})[name]
    body = {"HostConfig": dict(ENGINE_DEFAULTS["HostConfig"])}
    option.write(body, value)
    current = dict(ENGINE_DEFAULTS, HostConfig=body["HostConfig"])
    assert option.carried(current, BUSYBOX) == value


def test_capabilities_read_back_in_any_spelling():
    option = next(o for o in OPTIONS if o.name == "capabilities")
    inspect = {"HostConfig": {"CapAdd": ["net_admin", "CAP_SYS_TIME"]}}
    assert same("strict", parse_options({"capabilities": ["SYS_TIME", "cap_net_admin"]})["capabilities"],
                option.read(inspect))


# -- against what Docker Engine 20.10 really answers ----------------------------------------------

# `docker create --network none -p 127.0.0.1:0:80 --expose 9000 --dns 10.0.0.2 --dns-search example.test
#  --dns-option ndots:2 --add-host db.local:10.0.0.5 --add-host gw:host-gateway --domainname example.test
#  --restart on-failure:3 -m 256m --cpus 0.5 -v /srv/bind:/data:ro,z -v cache:/cache:nocopy
#  --health-cmd true --health-interval 10s kapal-test/busybox:latest sleep 3600`, inspected (the options' fields).
REAL = {
    "Id": "78b95c302bcc" + "0" * 52, "Image": "sha256:bb", "State": {"Running": True},
    "Config": {
        "Image": "kapal-test/busybox:latest", "Cmd": ["sleep", "3600"], "Entrypoint": None, "Env": None,
        "ExposedPorts": {"80/tcp": {}, "9000/tcp": {}},
        "Domainname": "example.test", "Hostname": "78b95c302bcc",
        "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 10000000000}, "Volumes": None,
        "Labels": {"org.kapal.testbed.recipe": "1"},
    },
    "HostConfig": {
        "Binds": ["/srv/bind:/data:ro,z", "cache:/cache:nocopy"],
        "PortBindings": {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "0"}]},
        "Dns": ["10.0.0.2"], "DnsSearch": ["example.test"], "DnsOptions": ["ndots:2"],
        "ExtraHosts": ["db.local:10.0.0.5", "gw:host-gateway"],
        "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3},
        "Memory": 268435456, "MemorySwap": 536870912, "NanoCpus": 500000000, "AutoRemove": False, "NetworkMode": "none",
    },
    "NetworkSettings": {"Networks": {"none": {}}},
}
REAL_IMAGE = {"Id": "sha256:bb", "Config": {"Cmd": ["sh"], "Entrypoint": None, "Labels": {"org.kapal.testbed.recipe": "1"}}}

# The same container's task, in the vocabulary docker run and community.docker users bring.
REAL_TASK = dict(
    name="web", command="sleep 3600", network_mode="none", published_ports=["127.0.0.1:0:80"], expose=[9000],
    dns=["10.0.0.2"], dns_search=["example.test"], dns_opts=["ndots:2"], domainname="example.test",
    extra_hosts={"db.local": "10.0.0.5", "gw": "host-gateway"}, restart_policy="on-failure:3", memory="256MiB",
    cpus="0.5", volumes=["/srv/bind:/data:z,ro", "cache:/cache:nocopy"], healthcheck=dict(test="true", interval="10s"),
    auto_remove=False,
)


def _plan(params, current, image=None):
    spec = argument_spec(defaults=False)
    aliases = dict((alias, name) for name, entry in spec.items() for alias in entry.get("aliases") or [])
    desired = Desired.from_params(dict((aliases.get(key, key), value) for key, value in params.items()))
    return desired, plan(desired, current, REAL_IMAGE if image is None else image)


def _changed(current, **host_or_config):
    changed = copy.deepcopy(current)
    for key, value in host_or_config.items():
        section = "Config" if key in changed["Config"] else "HostConfig"
        changed[section][key] = value
    return changed


def test_the_vocabulary_of_docker_run_is_idempotent_against_the_real_inspect():
    _desired, result = _plan(REAL_TASK, REAL)
    assert (result.action, result.differences) == ("none", ())


@pytest.mark.parametrize("params, current, action, options", [
    # restart policy: the engine refuses a retry count with any policy but on-failure
    (dict(restart_policy="no"), REAL, "update", ["restart_policy"]),
    (dict(restart_policy="always"), REAL, "update", ["restart_policy"]),
    (dict(restart_policy="on-failure:5"), REAL, "update", ["restart_retries"]),
    (dict(restart_policy="on-failure", restart_retries=3), REAL, "none", []),
    # memory and cpus: raised or lowered in place; removing a limit is a recreate (the engine ignores 0)
    (dict(memory="512m"), REAL, "update", ["memory"]),
    (dict(memory=0), REAL, "recreate", ["memory"]),
    (dict(memory="0"), _changed(REAL, Memory=0, MemorySwap=0), "none", []),
    (dict(cpus=0), REAL, "recreate", ["cpus"]),
    (dict(cpus="1"), REAL, "update", ["cpus"]),
    (dict(cpus=0), _changed(REAL, NanoCpus=0), "none", []),
    # an empty command leaves it to the image's CMD (or to the container's own entrypoint)
    (dict(command=[]), _changed(REAL, Cmd=["sh"]), "none", []),
    (dict(command=""), _changed(REAL, Cmd=["sh"]), "none", []),
    (dict(command=[]), REAL, "recreate", ["command"]),
    (dict(command=[], entrypoint=["sleep"]), _changed(REAL, Cmd=[], Entrypoint=["sleep"]), "none", []),
    (dict(command=[]), _changed(REAL, Cmd=[], Entrypoint=["sleep"]), "none", []),
    (dict(command=[], entrypoint=[]), _changed(REAL, Cmd=["sh"], Entrypoint=[]), "none", []),
    # network_mode default is the engine's bridge, however the engine spells it
    (dict(network_mode="default"), _changed(REAL, NetworkMode="default"), "none", []),
    (dict(network_mode="default"), _changed(REAL, NetworkMode="bridge"), "none", []),
    (dict(network_mode="bridge"), _changed(REAL, NetworkMode="default"), "none", []),
    # exposed ports: the image's and the published ones are exposed too; one the task drops recreates
    (dict(exposed_ports=["9000"]), REAL, "none", []),
    (dict(exposed_ports=[]), REAL, "recreate", ["exposed_ports"]),
    (dict(exposed_ports=["9000", "9001"]), REAL, "recreate", ["exposed_ports"]),
    (dict(exposed_ports=["9000"], published_ports=[]), REAL, "recreate", ["exposed_ports", "published_ports"]),
    # the new options compare against what the engine keeps
    (dict(etc_hosts=["gw:host-gateway", "db.local:10.0.0.5"]), REAL, "none", []),
    (dict(etc_hosts={"db.local": "10.0.0.6"}), REAL, "recreate", ["etc_hosts"]),
    (dict(etc_hosts={"v6": "[::1]"}), _changed(REAL, ExtraHosts=["v6=[::1]"]), "none", []),
    (dict(etc_hosts=["v6:::1"]), _changed(REAL, ExtraHosts=["v6:::1"]), "none", []),
    (dict(dns_servers=["10.0.0.3"]), REAL, "recreate", ["dns_servers"]),
    (dict(dns_search_domains=[]), REAL, "recreate", ["dns_search_domains"]),
    (dict(domainname=""), REAL, "recreate", ["domainname"]),
    (dict(auto_remove=True, restart_policy="no"), REAL, "recreate", ["auto_remove", "restart_policy"]),
    # Podman reports a bind given as ro with the propagation and rbind it adds
    (dict(volumes=["/srv/bind:/data:ro"]), _changed(REAL, Binds=["/srv/bind:/data:ro,rprivate,rbind"]), "none", []),
    (dict(volumes=["/srv/bind:/data"]), _changed(REAL, Binds=["/srv/bind:/data:rw,rprivate,rbind"]), "none", []),
    (dict(volumes=["/srv/bind:/data:ro"]), REAL, "recreate", ["volumes"]),
])
def test_plan_against_the_real_inspect(params, current, action, options):
    _desired, result = _plan(dict(params, name="web"), current)
    assert result.action == action
    assert sorted(d.option for d in result.differences) == options


def test_a_restart_policy_change_drops_the_retry_count_as_docker_update_does():
    """`docker update --restart=no` on an on-failure:3 container: the body the engine accepts."""
    for policy in ("no", "always", "unless-stopped"):
        _desired, result = _plan(dict(name="web", restart_policy=policy), REAL)
        assert result.live_updates == {"RestartPolicy": {"Name": policy, "MaximumRetryCount": 0}}
    _desired, result = _plan(dict(name="web", restart_policy="on-failure:5"), REAL)
    assert result.live_updates == {"RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 5}}


def test_a_recreate_never_carries_a_retry_count_into_another_policy():
    from ansible_collections.kapal.docker.plugins.module_utils._container.plan import carry_over, create_body

    desired, _result = _plan(dict(name="web", restart_policy="always", hostname="x"), REAL)
    body = create_body(desired, REAL_IMAGE, REAL, carry_over(desired, REAL, REAL_IMAGE))
    assert body["HostConfig"]["RestartPolicy"] == {"Name": "always", "MaximumRetryCount": 0}


def test_removing_a_memory_limit_recreates_without_it():
    from ansible_collections.kapal.docker.plugins.module_utils._container.plan import carry_over, create_body

    desired, result = _plan(dict(name="web", memory=0, cpus=0), REAL)
    assert result.describe() == ["recreate: memory, cpus changed", "start"]
    body = create_body(desired, REAL_IMAGE, REAL, carry_over(desired, REAL, REAL_IMAGE))
    assert (body["HostConfig"]["Memory"], body["HostConfig"]["MemorySwap"], body["HostConfig"]["NanoCpus"]) == (0, 0, 0)


def test_a_recreate_carries_the_new_options_the_task_does_not_give():
    from ansible_collections.kapal.docker.plugins.module_utils._container.plan import carry_over, create_body

    desired, _result = _plan(dict(name="web", hostname="other"), REAL)
    body = create_body(desired, REAL_IMAGE, REAL, carry_over(desired, REAL, REAL_IMAGE))
    host = body["HostConfig"]
    assert (host["Dns"], host["DnsSearch"], host["DnsOptions"]) == (["10.0.0.2"], ["example.test"], ["ndots:2"])
    assert host["ExtraHosts"] == ["db.local:10.0.0.5", "gw:host-gateway"]
    assert body["Domainname"] == "example.test" and sorted(body["ExposedPorts"]) == ["80/tcp", "9000/tcp"]
    assert sorted(host["Binds"]) == ["/srv/bind:/data:ro,z", "cache:/cache:nocopy"]
    assert "AutoRemove" not in host


def test_healthcheck_durations_show_as_durations_in_the_diff():
    desired, result = _plan(dict(name="web", healthcheck=dict(test="true", interval="2s", timeout="1m30s")), REAL)
    diff = diff_of(desired, REAL, result)
    assert diff["before"]["healthcheck"] == dict(Test=["CMD-SHELL", "true"], Interval="10s", Timeout="0s", Retries=0,
                                                 StartPeriod="0s", StartInterval="0s")
    assert diff["after"]["healthcheck"]["Interval"] == "2s" and diff["after"]["healthcheck"]["Timeout"] == "1m30s"


def test_empty_command_diff_names_the_image_cmd_it_will_get():
    desired, result = _plan(dict(name="web", command=[]), REAL)
    assert diff_of(desired, REAL, result) == dict(before={"command": ["sleep", "3600"]}, after={"command": ["sh"]})


@pytest.mark.parametrize("given, policy", [
    ("missing", "missing"), ("always", "always"), ("never", "never"),
    (True, "always"), (False, "missing"), ("true", "always"), ("false", "missing"), ("yes", "always"),
])
def test_pull_takes_community_dockers_booleans(given, policy):
    assert parse_pull(given) == policy
    assert Desired.from_params(dict(name="web", pull=given)).pull == policy


def test_pull_refuses_anything_else():
    with pytest.raises(KapalError, match=r"^pull: expected missing, always, never, true \(always\) or false \(missing\), got 'sometimes'$"):
        parse_pull("sometimes")


def test_community_docker_names_and_docker_run_names_are_the_same_options():
    spec = argument_spec()
    for name, aliases in (("dns_servers", ["dns"]), ("dns_search_domains", ["dns_search"]), ("etc_hosts", ["extra_hosts"]),
                          ("exposed_ports", ["exposed", "expose"]), ("dns_opts", ["dns_option", "dns_opt"])):
        assert spec[name]["aliases"] == aliases
    for name in ("auto_remove", "domainname", "hostname"):
        assert name in spec
    items = desired_list([dict(name="a", dns=["10.0.0.2"], extra_hosts=["db:10.0.0.5"], expose=["80"], pull=True)])
    assert items[0].values["dns_servers"] == ["10.0.0.2"] and items[0].values["etc_hosts"] == ["db:10.0.0.5"]
    assert items[0].values["exposed_ports"] == ["80/tcp"] and items[0].pull == "always"


def test_containers_report_every_unsupported_option_at_once():
    with pytest.raises(KapalError) as info:
        desired_list([dict(name="a", bogus=1, links=["x"]), dict(name="b"), dict(name="c", ipc_mode="host")],
                     dict(detach=True))
    assert str(info.value) == (
        "containers: defaults: unsupported option detach; item a: unsupported options bogus, links; "
        "item c: unsupported option ipc_mode (an item takes the options of kapal.docker.container)")


def test_containers_refuse_a_name_in_defaults():
    with pytest.raises(KapalError, match=r"^containers: defaults: name is given per item, not as a default, got 'web'$"):
        desired_list([dict(name="a")], dict(name="web"))


def test_live_only_when_the_engine_can():
    assert OPTION_BY_NAME["memory"].updates_live(64 * 1024 ** 2) and not OPTION_BY_NAME["memory"].updates_live(0)
    assert OPTION_BY_NAME["cpus"].updates_live(10 ** 9) and not OPTION_BY_NAME["cpus"].updates_live(0)
    assert OPTION_BY_NAME["restart_policy"].updates_live("no") and not OPTION_BY_NAME["image"].updates_live("x")
