"""The option table: parse -> write -> read round trips, image-aware expectations, comparisons."""

import pytest

from ansible_collections.kapal.docker.plugins.module_utils._container_options import (
    CONTROL_SPEC,
    OPTIONS,
    argument_spec,
    parse_options,
    plain,
    resolve_comparisons,
    same,
)
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
]


@pytest.mark.parametrize("name, given, normalized", ROUND_TRIPS, ids=[r[0] + str(i) for i, r in enumerate(ROUND_TRIPS)])
def test_parse_write_read_round_trip(name, given, normalized):
    """What an option writes into the create call, the engine gives back on inspect, and it compares equal."""
    option = next(o for o in OPTIONS if o.name == name)
    value = parse_options({name: given})[name]
    if normalized is not None:
        assert value == normalized
    body = {"HostConfig": {}}
    option.write(body, value)
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
        Test=["CMD", "true"], Interval=5, Timeout=3 * 10 ** 9, Retries=0, StartPeriod=0)
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
