# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""THE table of container options: each option's whole story in one row.

A row says how the option is given (its argument spec), how a task value becomes the normalized
value (``parse``), how that value is read back from ``docker inspect`` (``read``), how it goes
into the create call (``write``, into an Engine API create body: Config fields at the top level,
``HostConfig``, ``NetworkingConfig``), what a container made from a given image holds for it
(``expect``, e.g. ``env`` merged over the image's ENV as the engine merges it), how it is compared
by default, and which engine update fields change it live.

Option names follow community.docker's docker_container where the concept is the same; the names of
``docker run`` and Compose are aliases (``dns``, ``extra_hosts``, ``expose``), so that a task ports by
renaming its module.

The modules' argument specs, the documentation check, the diff and the planner all come from
``OPTIONS``. A value of None means "not given, leave it as it is": only given options are compared.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from ansible.module_utils.parsing.convert_bool import BOOLEANS_FALSE, BOOLEANS_TRUE

from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError
from ansible_collections.kapal.docker.plugins.module_utils._parse import (
    Duration,
    Port,
    Volume,
    env_to_dict,
    env_to_list,
    parse_cpus,
    parse_duration,
    parse_env_file,
    parse_port,
    parse_ports,
    parse_size,
    parse_volumes,
    ports_from_bindings,
    ports_to_bindings,
    string_map,
)
from ansible_collections.kapal.docker.plugins.module_utils._reference import ImageRef

COMPARISONS = ("strict", "ignore", "allow_more_present")
STATES = ("started", "present", "stopped", "absent")
WAIT_STATES = ("running", "healthy")
PULL_POLICIES = ("missing", "always", "never")
RESTART_POLICIES = ("no", "on-failure", "always", "unless-stopped")
MOUNT_TYPES = ("bind", "volume", "tmpfs")
MUTUALLY_EXCLUSIVE = (("networks", "network_mode"),)
_RESTART_POLICY = re.compile(r"^(?P<name>[a-z-]+)(?::(?P<retries>\d+))?$")
_BUILTIN_NETWORK_MODES = ("host", "none")


@dataclass(frozen=True)
class Context:
    """What a container made for the task is made of besides one option's own value: the image
    (inspect answer, {} when not known), the task's other normalized values, and the container as it
    is now (inspect answer or None), whose options the task does not give are carried over."""

    image: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    current: Optional[dict] = None


@dataclass(frozen=True)
class Option:
    """One container option; ``parse``, ``read``, ``expect`` and ``default`` agree on one normalized form.

    ``parse(task value)`` -> normalized value (KapalError naming the option on bad input);
    ``read(container inspect)`` -> the container's value; ``write(create body, value)``;
    ``expect(value, Context)`` -> what a container made for the task holds, e.g. with the image's
    part merged in (default: value); ``default(Context)`` -> what a container holds when the
    option is not given (from the Context's image and current container; None: unknown);
    ``carry``: how a recreate that is not given the option keeps the old container's value:
    ``difference`` (what the old value holds beyond the default: list items and dictionary keys; a
    scalar unless it equals the default), ``whole`` (the whole value unless it is empty or equals the
    default) or ``never``; ``engine_default``: the ``docker info`` field holding the engine's own default when
    ``default`` gives none (e.g. ``LoggingDriver``); ``live``: the engine update fields that change it in place;
    ``live_if(value)``: whether the engine can change it in place to that value (default: always);
    ``merge_into``: the parsed value is merged under that option's (env_file under env);
    ``container_ref``: a value ``container:<name>`` names another container, which the engine stores
    as ``container:<id>`` (resolved against the engine before planning).
    """

    name: str
    spec: dict
    parse: Callable[[Any], Any]
    read: Optional[Callable[[dict], Any]]
    write: Optional[Callable[[dict, Any], None]]
    compare: str = "strict"
    live: tuple = ()
    live_if: Optional[Callable[[Any], bool]] = None
    expect: Optional[Callable[[Any, Context], Any]] = None
    default: Optional[Callable[[dict], Any]] = None
    carry: str = "difference"
    engine_default: Optional[str] = None
    merge_into: Optional[str] = None
    container_ref: bool = False

    def expected(self, value, image, values=None, current=None):
        """What a container created with ``value`` from ``image`` (an inspect answer) holds, the task
        giving ``values`` for the container ``current`` (None: a new one)."""
        if self.expect is None:
            return value
        return self.expect(value, Context(image or {}, dict(values or {}), current))

    def updates_live(self, value):
        """Can the engine change this option in place to ``value``?"""
        return bool(self.live) and (self.live_if is None or bool(self.live_if(value)))

    def carried(self, current, old_image, engine_info=None, values=None):
        """On a recreate without this option: what of the old container's value did not come from its
        image (``old_image``; None: unknown, so everything is kept) or from the engine's defaults
        (``engine_info``, the ``docker info`` answer), given the task's ``values``. None: nothing to
        carry over."""
        if self.carry == "never" or self.read is None or self.write is None:
            return None
        actual = self.read(current)
        default = self.default(Context(old_image or {}, dict(values or {}), current)) if self.default is not None else None
        if default is None and self.engine_default:
            default = (engine_info or {}).get(self.engine_default)
        if self.carry == "difference" and isinstance(actual, dict) and isinstance(default, dict):
            return dict((k, v) for k, v in actual.items() if k not in default or default[k] != v) or None
        if self.carry == "difference" and isinstance(actual, list) and isinstance(default, list):
            return [item for item in actual if item not in default] or None
        if self.carry == "whole" and actual in ([], {}):
            return None  # nothing to write
        return None if actual == default else actual


# -- small readers and writers of the create body and the inspect answer ------------------------

def _cfg(inspect, key):
    return (inspect.get("Config") or {}).get(key)


def _host(inspect, key):
    return (inspect.get("HostConfig") or {}).get(key)


def _set_cfg(body, key, value):
    body[key] = value


def _set_host(body, key, value):
    body.setdefault("HostConfig", {})[key] = value


def _image_cfg(image, key):
    return (image.get("Config") or {}).get(key)


# -- parsers for the task's values --------------------------------------------------------------

def _argv(option):
    def parse(value):
        if isinstance(value, str):
            try:
                return shlex.split(value)
            except ValueError as exc:
                raise KapalError("%s: cannot split %r into arguments: %s" % (option, value, exc)) from None
        if isinstance(value, (list, tuple)):
            return [str(item) for item in value]
        raise KapalError("%s: expected a string or a list of arguments, got %r" % (option, value))
    return parse


def _expect_command(value, context):
    """An empty command leaves it to the engine, which gives the container the image's CMD, unless
    the container has an entrypoint of its own (given, or carried over): then it runs that alone."""
    if value:
        return value
    if "entrypoint" in context.values:
        entrypoint = context.values["entrypoint"]
    else:
        entrypoint = _cfg(context.current or {}, "Entrypoint")
        if entrypoint == _image_cfg(context.image, "Entrypoint"):
            entrypoint = None  # the image's: not carried over
    return [] if entrypoint else list(_image_cfg(context.image, "Cmd") or [])


def _string_map(option):
    return lambda value: string_map(option, value)


def _parse_image(value):
    ImageRef.parse(value, "image")
    return value


def _parse_mounts(values):
    mounts = []
    for item in values:
        kind = item.get("type") or "volume"
        target = item.get("target")
        if not target or not str(target).startswith("/"):
            raise KapalError("mounts: target must be an absolute container path, got %r" % (target,))
        source = item.get("source") or ""
        if kind == "bind" and not source.startswith("/"):
            raise KapalError("mounts: a bind mount needs an absolute source path, got %r for %s" % (source or None, target))
        if kind == "tmpfs" and source:
            raise KapalError("mounts: a tmpfs mount takes no source, got %r for %s" % (source, target))
        size = item.get("tmpfs_size")
        if size is not None and kind != "tmpfs":
            raise KapalError("mounts: tmpfs_size is for tmpfs mounts, got %r for the %s mount %s" % (size, kind, target))
        mounts.append(dict(
            type=kind, source=source, target=target, read_only=bool(item.get("read_only")),
            tmpfs_size=parse_size(size, "mounts.tmpfs_size") if size is not None else None,
        ))
    return sorted(mounts, key=lambda m: m["target"])


def _read_mounts(inspect):
    mounts = []
    for mount in _host(inspect, "Mounts") or []:
        size = (mount.get("TmpfsOptions") or {}).get("SizeBytes")
        source = mount.get("Source") or ""
        if mount.get("Type") == "volume" and is_anonymous_volume(source):
            source = ""  # an anonymous volume kept from an older container
        mounts.append(dict(
            type=mount.get("Type"), source=source, target=mount.get("Target"),
            read_only=bool(mount.get("ReadOnly")), tmpfs_size=size or None,
        ))
    return sorted(mounts, key=lambda m: m["target"])


def _write_mounts(body, mounts):
    engine_mounts = []
    for mount in mounts:
        entry = dict(Type=mount["type"], Target=mount["target"], ReadOnly=mount["read_only"])
        if mount["source"]:
            entry["Source"] = mount["source"]
        if mount["tmpfs_size"]:
            entry["TmpfsOptions"] = dict(SizeBytes=mount["tmpfs_size"])
        engine_mounts.append(entry)
    _set_host(body, "Mounts", engine_mounts)


# -- volumes: binds and named volumes in HostConfig.Binds, anonymous ones in Config.Volumes -----

_ANONYMOUS_VOLUME_NAME = re.compile(r"^[0-9a-f]{64}$")


def is_anonymous_volume(name):
    """Is ``name`` one the engine gave an anonymous volume (64 hex digits)?"""
    return bool(_ANONYMOUS_VOLUME_NAME.match(name or ""))


def anonymous_volumes(inspect):
    """{container path: volume name} of a container's anonymous volumes (from ``volumes: [/path]``,
    the image's VOLUME, a ``mounts`` volume without a source, or kept from an older container)."""
    return dict((mount.get("Destination"), mount.get("Name")) for mount in inspect.get("Mounts") or []
                if mount.get("Type") == "volume" and is_anonymous_volume(mount.get("Name")))


def _unnamed(volume):
    """A container keeps its predecessor's anonymous volume by binding it by name: still anonymous."""
    return Volume(volume.target) if is_anonymous_volume(volume.source) and volume.mode == "rw" else volume


def _read_volumes(inspect):
    volumes = set(_unnamed(v) for v in parse_volumes(_host(inspect, "Binds") or [], "volumes", strict=False))
    bound = set(v.target for v in volumes)
    volumes.update(Volume(target) for target in (_cfg(inspect, "Volumes") or {}) if target not in bound)
    return sorted(volumes)


def _expect_volumes(volumes, image):
    bound = set(v.target for v in volumes)
    anonymous = set(v for v in volumes if v.anonymous)
    anonymous.update(Volume(target) for target in (_image_cfg(image, "Volumes") or {}) if target not in bound)
    return sorted(set(v for v in volumes if not v.anonymous) | anonymous)


def _write_volumes(body, volumes):
    binds = [v.bind() for v in volumes if not v.anonymous]
    if binds:
        _set_host(body, "Binds", binds)
    anonymous = dict((v.target, {}) for v in volumes if v.anonymous)
    if anonymous:
        body.setdefault("Volumes", {}).update(anonymous)


# -- ports ---------------------------------------------------------------------------------------

def _write_ports(body, ports):
    exposed, bindings = ports_to_bindings(ports)
    body.setdefault("ExposedPorts", {}).update(exposed)
    _set_host(body, "PortBindings", bindings)


# -- healthcheck ---------------------------------------------------------------------------------

_HEALTH_KEYS = ("Test", "Interval", "Timeout", "Retries", "StartPeriod")
_HEALTH_DURATIONS = ("Interval", "Timeout", "StartPeriod")


def _health(key, value):
    """One healthcheck field in its normalized form: durations as Duration (shown as '10s'), 0 for unset."""
    if key == "Test":
        return list(value) if value else None
    return Duration(value or 0) if key in _HEALTH_DURATIONS else (value or 0)


def _parse_healthcheck(value):
    test = value.get("test")
    if isinstance(test, str):
        test = ["NONE"] if test.upper() == "NONE" else ["CMD-SHELL", test]
    elif isinstance(test, (list, tuple)):
        if any(isinstance(item, (dict, list, tuple)) or item is None for item in test):
            raise KapalError("healthcheck: test must be a list of strings, got %r" % (test,))
        test = [str(item) for item in test]
        if not test:
            raise KapalError("healthcheck: test must not be empty (use [NONE] to disable the image's healthcheck)")
        if test[0] not in ("NONE", "CMD", "CMD-SHELL"):
            test = ["CMD"] + test
    elif test is not None:
        raise KapalError("healthcheck: test must be a shell command string or a list such as [CMD, wget, -q, localhost], "
                         "got %r" % (test,))
    result = dict(Test=test)
    for key, name in (("Interval", "interval"), ("Timeout", "timeout"), ("StartPeriod", "start_period")):
        given = value.get(name)
        result[key] = _health(key, parse_duration(given, "healthcheck.%s" % name) if given is not None else 0)
    result["Retries"] = value.get("retries") or 0
    return result


def _read_healthcheck(inspect):
    health = _cfg(inspect, "Healthcheck") or {}
    return dict((key, _health(key, health.get(key))) for key in _HEALTH_KEYS)


def _expect_healthcheck(value, image):
    base = _image_cfg(image, "Healthcheck") or {}
    if value["Test"] == ["NONE"]:
        return dict(value)
    return dict((key, _health(key, value[key] or base.get(key))) for key in _HEALTH_KEYS)


def _write_healthcheck(body, value):
    body["Healthcheck"] = dict((key, item if key == "Test" else int(item)) for key, item in value.items() if item)


# -- networks: the first one goes into the create call, the others are connected after ----------

def _parse_networks(values):
    networks = []
    for item in values:
        if not item.get("name"):
            raise KapalError("networks: every network needs a name, got %r" % (item,))
        networks.append(dict(name=item["name"], aliases=sorted(item.get("aliases") or []),
                             ipv4_address=item.get("ipv4_address") or None))
    names = [n["name"] for n in networks]
    for name in names:
        if names.count(name) > 1:
            raise KapalError("networks: network %r is given more than once" % name)
    return networks


def _read_networks(inspect):
    mode = _host(inspect, "NetworkMode") or ""
    if mode in _BUILTIN_NETWORK_MODES or mode.startswith("container:"):
        return []
    short_id = (inspect.get("Id") or "")[:12]
    networks = []
    for name, endpoint in sorted(((inspect.get("NetworkSettings") or {}).get("Networks") or {}).items()):
        endpoint = endpoint or {}
        networks.append(dict(
            name=name,
            aliases=sorted(a for a in endpoint.get("Aliases") or [] if a != short_id),
            ipv4_address=(endpoint.get("IPAMConfig") or {}).get("IPv4Address") or None,
        ))
    # The network named in the create call comes first, as in the task.
    networks.sort(key=lambda n: n["name"] != mode)
    return networks


def _endpoint(network):
    endpoint = {}
    if network["aliases"]:
        endpoint["Aliases"] = list(network["aliases"])
    if network["ipv4_address"]:
        endpoint["IPAMConfig"] = dict(IPv4Address=network["ipv4_address"])
    return endpoint


def _write_networks(body, networks):
    if networks:
        first = networks[0]
        _set_host(body, "NetworkMode", first["name"])
        body["NetworkingConfig"] = dict(EndpointsConfig={first["name"]: _endpoint(first)})


def networks_to_connect(networks):
    """(name, endpoint config) for every network after the first: connected after the create call."""
    return [(network["name"], _endpoint(network)) for network in (networks or [])[1:]]


# -- restart policy, resources, logging ----------------------------------------------------------

def _parse_restart_policy(value):
    """'no', 'on-failure', 'always', 'unless-stopped' ('on-failure:3' is split by parse_options)."""
    text = str(value)
    if text.lower() in ("false", "no"):  # YAML's unquoted no arrives as a boolean
        return "no"
    if text not in RESTART_POLICIES:
        raise KapalError("restart_policy: expected no, on-failure[:max-retries], always or unless-stopped, got %r" % (value,))
    return text


def _parse_restart_retries(value):
    retries = int(value)
    if retries < 0:
        raise KapalError("restart_retries: expected a number of restarts, 0 or more, got %r" % (value,))
    return retries


def _write_restart(key):
    def write(body, value):
        policy = body.setdefault("HostConfig", {}).setdefault("RestartPolicy", {})
        policy[key] = value
        if policy.get("Name") != "on-failure":
            # The engine refuses a retry count with any other policy (`docker update --restart=no`
            # on an on-failure:3 container sends 0 as well).
            policy["MaximumRetryCount"] = 0
    return write


def _write_memory(body, value):
    _set_host(body, "Memory", value)
    # The engine's own default swap limit (twice the memory), given so that a live update can raise it.
    _set_host(body, "MemorySwap", 2 * value if value else 0)


def _write_log_options(body, value):
    body.setdefault("HostConfig", {}).setdefault("LogConfig", {})["Config"] = dict(value)


def _write_log_driver(body, value):
    body.setdefault("HostConfig", {}).setdefault("LogConfig", {})["Type"] = value


def _read_log_options(inspect):
    return dict((_host(inspect, "LogConfig") or {}).get("Config") or {})


def _parse_network_mode(value):
    """'default' is the engine's name for its default network, bridge, which is what it reports."""
    value = str(value)
    return "bridge" if value == "default" else value


def _read_network_mode(inspect):
    mode = _host(inspect, "NetworkMode")
    return "bridge" if mode in (None, "", "default") else mode


def _read_hostname(inspect):
    """The host name the container was given; None when it is the engine's (its short id, or the host's)."""
    hostname = _cfg(inspect, "Hostname")
    if hostname == (inspect.get("Id") or "")[:12] or _host(inspect, "NetworkMode") == "host":
        return None
    return hostname


def _none_if_empty(value):
    return value or None


def _parse_stop_signal(value):
    value = str(value).upper()
    return value if value.startswith("SIG") or value.isdigit() else "SIG" + value


# -- privileges and kernel resources: capabilities, devices, ulimits, tmpfs, pid mode ------------

_CAPABILITY = re.compile(r"^[A-Z][A-Z0-9_]*$")
_ULIMIT_NAME = re.compile(r"^[a-z]+$")
_DEFAULT_SHM_SIZE = 64 * 1024 ** 2  # what the engine gives a container that asks for no size


def _capability(option, value):
    name = str(value).strip().upper()
    if name != "ALL" and not name.startswith("CAP_"):
        name = "CAP_" + name
    if not _CAPABILITY.match(name):
        raise KapalError("%s: invalid capability %r (expected a name such as NET_ADMIN or ALL)" % (option, value))
    return name


def _capabilities(option):
    """['net_admin', 'CAP_SYS_TIME'] -> ['CAP_NET_ADMIN', 'CAP_SYS_TIME']: one spelling, sorted, no duplicates."""
    def parse(values):
        return sorted(set(_capability(option, value) for value in values))
    return parse


def _read_capabilities(key):
    return lambda i: sorted(set(_capability(key, value) for value in _host(i, key) or []))


def _parse_device(value):
    parts = str(value).split(":")
    if len(parts) == 2 and not parts[1].startswith("/"):
        parts = [parts[0], parts[0], parts[1]]
    host = parts[0]
    container = parts[1] if len(parts) > 1 and parts[1] else host
    permissions = parts[2] if len(parts) > 2 else "rwm"
    if len(parts) > 3 or not host.startswith("/") or not container.startswith("/") \
            or not permissions or set(permissions) - set("rwm"):
        raise KapalError("devices: invalid device %r (expected /dev/host[:/dev/container][:rwm])" % (value,))
    return "%s:%s:%s" % (host, container, "".join(p for p in "rwm" if p in permissions))


def _parse_devices(values):
    devices = [_parse_device(value) for value in values]
    targets = [device.split(":")[1] for device in devices]
    for target in targets:
        if targets.count(target) > 1:
            raise KapalError("devices: container path %r is given more than once" % target)
    return sorted(devices)


def _read_devices(inspect):
    devices = []
    for device in _host(inspect, "Devices") or []:
        host = device.get("PathOnHost") or ""
        container = device.get("PathInContainer") or host
        devices.append(_parse_device("%s:%s:%s" % (host, container, device.get("CgroupPermissions") or "rwm")))
    return sorted(devices)


def _write_devices(body, devices):
    _set_host(body, "Devices", [dict(zip(("PathOnHost", "PathInContainer", "CgroupPermissions"), d.split(":")))
                                for d in devices])


def _parse_ulimit(value):
    parts = str(value).split(":")
    try:
        limits = [int(part) for part in parts[1:]]
    except ValueError:
        limits = []
    if len(parts) not in (2, 3) or not _ULIMIT_NAME.match(parts[0]) or len(limits) != len(parts) - 1 \
            or any(limit < -1 for limit in limits):
        raise KapalError("ulimits: invalid ulimit %r (expected name:soft[:hard], e.g. nofile:1024:2048)" % (value,))
    soft, hard = limits[0], limits[-1]
    if -1 not in (soft, hard) and soft > hard:
        raise KapalError("ulimits: soft limit above the hard limit in %r" % (value,))
    return "%s:%d:%d" % (parts[0], soft, hard)


def _parse_ulimits(values):
    ulimits = [_parse_ulimit(value) for value in values]
    names = [ulimit.split(":")[0] for ulimit in ulimits]
    for name in names:
        if names.count(name) > 1:
            raise KapalError("ulimits: %s is given more than once" % name)
    return sorted(ulimits)


def _read_ulimits(inspect):
    return sorted("%s:%d:%d" % (u.get("Name"), u.get("Soft") or 0, u.get("Hard") or 0)
                  for u in _host(inspect, "Ulimits") or [])


def _write_ulimits(body, ulimits):
    entries = []
    for ulimit in ulimits:
        name, soft, hard = ulimit.split(":")
        entries.append(dict(Name=name, Soft=int(soft), Hard=int(hard)))
    _set_host(body, "Ulimits", entries)


def _parse_tmpfs(values):
    """['/run', '/tmp:size=64m,mode=1777'] -> {'/run': '', '/tmp': 'size=64m,mode=1777'}."""
    tmpfs = {}
    for value in values:
        path, _sep, options = str(value).partition(":")
        if not path.startswith("/"):
            raise KapalError("tmpfs: invalid tmpfs %r (expected /container/path[:options])" % (value,))
        if path in tmpfs:
            raise KapalError("tmpfs: container path %r is given more than once" % path)
        tmpfs[path] = options
    return tmpfs


def _parse_pid_mode(value):
    value = str(value)
    if value not in ("", "host") and not (value.startswith("container:") and len(value) > len("container:")):
        raise KapalError("pid_mode: invalid PID mode %r (expected host or container:<name|id>)" % (value,))
    return value


def _parse_shm_size(value):
    size = parse_size(value, "shm_size")
    if not size:
        raise KapalError("shm_size: expected a size above 0 such as 64m or 1g, got %r" % (value,))
    return size


# -- DNS, /etc/hosts, exposed ports ----------------------------------------------------------------

def _ip_address(option, value, also=()):
    text = str(value).strip()
    if text in also:
        return text
    try:
        ipaddress.ip_address(text[1:-1] if text.startswith("[") and text.endswith("]") else text)
    except ValueError:
        raise KapalError("%s: invalid IP address %r (expected an IPv4 or IPv6 address%s)" % (
            option, value, "".join(" or " + word for word in also))) from None
    return text[1:-1] if text.startswith("[") and text.endswith("]") else text


def _parse_dns_servers(values):
    return [_ip_address("dns_servers", value) for value in values]


def _words(option):
    """A list of plain words (DNS search domains, resolver options): as given, in order."""
    def parse(values):
        words = [str(value).strip() for value in values]
        for word, value in zip(words, values):
            if not word or any(c.isspace() for c in word):
                raise KapalError("%s: invalid entry %r (expected one word, no white space)" % (option, value))
        return words
    return parse


def _host_entry(option, value, strict=True):
    """'name:ip' or 'name=ip' -> 'name:ip' (IPv6 addresses keep their colons)."""
    text = str(value).strip()
    name, sep, ip = text.partition("=") if "=" in text else text.partition(":")
    if not strict:
        return "%s:%s" % (name, ip[1:-1] if ip.startswith("[") and ip.endswith("]") else ip)
    if not sep or not name or any(c.isspace() for c in name):
        raise KapalError("%s: invalid host entry %r (expected name:ip, e.g. db.local:10.0.0.5)" % (option, value))
    return "%s:%s" % (name, _ip_address(option, ip, also=("host-gateway",)))


def _parse_etc_hosts(value):
    """{name: ip} or ['name:ip', ...] -> the sorted list of 'name:ip' (as HostConfig.ExtraHosts holds them)."""
    if isinstance(value, dict):
        entries = []
        for name, ip in value.items():
            if not isinstance(ip, (str, int)) or isinstance(ip, bool):
                raise KapalError("etc_hosts: the address of %s must be an IP address, got %r" % (name, ip))
            entries.append(_host_entry("etc_hosts", "%s:%s" % (name, ip)))
    elif isinstance(value, (list, tuple)):
        entries = [_host_entry("etc_hosts", item) for item in value]
    else:
        raise KapalError("etc_hosts: expected a dictionary of name: ip or a list of name:ip, got %r" % (value,))
    return sorted(set(entries))


def _parse_exposed_ports(values):
    """['80', '53/udp', '9000-9001'] -> ['53/udp', '80/tcp', '9000/tcp', '9001/tcp'] (sorted by port)."""
    keys = set()
    for value in values:
        if ":" in str(value):
            raise KapalError("exposed_ports: invalid port %r (expected port[-end][/tcp|udp|sctp]; publish with "
                             "published_ports)" % (value,))
        keys.update(port.key for port in parse_port(value, "exposed_ports"))
    return _sorted_ports(keys)


def _sorted_ports(keys):
    return sorted(keys, key=lambda key: (int(key.split("/")[0]), key))


def _image_exposed(image):
    return set(_image_cfg(image, "ExposedPorts") or {})


def _expect_exposed_ports(value, context):
    """The ports given, the image's EXPOSEd ones and every published one (given, or carried over)."""
    published = context.values.get("published_ports")
    if published is None:
        published = ports_from_bindings(_host(context.current or {}, "PortBindings"))
    return _sorted_ports(set(value) | _image_exposed(context.image) | set(port.key for port in published))


def _default_retries(context):
    """A retry count belongs to on-failure: a task that sets another policy keeps none (0 is written)."""
    if context.values.get("restart_policy", "on-failure") != "on-failure":
        return (_host(context.current or {}, "RestartPolicy") or {}).get("MaximumRetryCount") or 0
    return 0


def _default_exposed_ports(context):
    """What the old container exposes without exposed_ports: its image's and its published ports."""
    return _sorted_ports(_image_exposed(context.image) | set(
        port.key for port in ports_from_bindings(_host(context.current or {}, "PortBindings"))))


OPTIONS = (
    Option(
        "image", dict(type="str"), parse=_parse_image,
        read=lambda i: i.get("Image"),
        write=lambda body, value: _set_cfg(body, "Image", value), carry="never",
        expect=lambda value, context: context.image.get("Id") or "%s (not present yet)" % value,
    ),
    Option(
        "command", dict(type="raw"), parse=_argv("command"),
        read=lambda i: _cfg(i, "Cmd") or [],
        write=lambda body, value: _set_cfg(body, "Cmd", value),
        expect=_expect_command,
        default=lambda context: _image_cfg(context.image, "Cmd") or [],
    ),
    Option(
        "entrypoint", dict(type="raw"), parse=_argv("entrypoint"),
        read=lambda i: _cfg(i, "Entrypoint"),
        write=lambda body, value: _set_cfg(body, "Entrypoint", value),
        default=lambda context: _image_cfg(context.image, "Entrypoint"),
    ),
    Option(
        "env", dict(type="dict"), parse=_string_map("env"),
        read=lambda i: env_to_dict(_cfg(i, "Env")),
        write=lambda body, value: _set_cfg(body, "Env", env_to_list(value)),
        expect=lambda value, context: dict(env_to_dict(_image_cfg(context.image, "Env")), **value),
        default=lambda context: env_to_dict(_image_cfg(context.image, "Env")),
    ),
    Option(
        "env_file", dict(type="path"), parse=parse_env_file, read=None, write=None, merge_into="env",
    ),
    Option(
        "published_ports", dict(type="list", elements="str", aliases=["ports"]), parse=parse_ports,
        read=lambda i: ports_from_bindings(_host(i, "PortBindings")),
        write=_write_ports, default=lambda context: [],
    ),
    Option(
        "volumes", dict(type="list", elements="str"), parse=parse_volumes,
        read=_read_volumes, write=_write_volumes, expect=lambda value, context: _expect_volumes(value, context.image),
        default=lambda context: _expect_volumes([], context.image),
    ),
    Option(
        "mounts", dict(type="list", elements="dict", options=dict(
            type=dict(type="str", choices=list(MOUNT_TYPES), default="volume"),
            source=dict(type="str"),
            target=dict(type="str", required=True),
            read_only=dict(type="bool", default=False),
            tmpfs_size=dict(type="str"),
        )), parse=_parse_mounts, read=_read_mounts, write=_write_mounts,
        default=lambda context: [],
    ),
    Option(
        "labels", dict(type="dict"), parse=_string_map("labels"),
        read=lambda i: dict(_cfg(i, "Labels") or {}),
        write=lambda body, value: _set_cfg(body, "Labels", dict(value)),
        expect=lambda value, context: dict(_image_cfg(context.image, "Labels") or {}, **value),
        default=lambda context: dict(_image_cfg(context.image, "Labels") or {}),
    ),
    Option(
        "restart_policy", dict(type="str"), parse=_parse_restart_policy,
        read=lambda i: (_host(i, "RestartPolicy") or {}).get("Name") or "no",
        write=_write_restart("Name"), live=("RestartPolicy",), default=lambda context: "no",
    ),
    Option(
        "restart_retries", dict(type="int"), parse=_parse_restart_retries,
        read=lambda i: (_host(i, "RestartPolicy") or {}).get("MaximumRetryCount") or 0,
        write=_write_restart("MaximumRetryCount"), live=("RestartPolicy",), default=_default_retries,
    ),
    Option(
        "healthcheck", dict(type="dict", options=dict(
            test=dict(type="raw"),
            interval=dict(type="str"),
            timeout=dict(type="str"),
            retries=dict(type="int"),
            start_period=dict(type="str"),
        )), parse=_parse_healthcheck, read=_read_healthcheck, write=_write_healthcheck,
        expect=lambda value, context: _expect_healthcheck(value, context.image),
        default=lambda context: _read_healthcheck(context.image),
    ),
    Option(
        "networks", dict(type="list", elements="dict", options=dict(
            name=dict(type="str", required=True),
            aliases=dict(type="list", elements="str"),
            ipv4_address=dict(type="str"),
        )), parse=_parse_networks, read=_read_networks, write=_write_networks,
        default=lambda context: [dict(name="bridge", aliases=[], ipv4_address=None)], carry="whole",
    ),
    Option(
        "network_mode", dict(type="str"), parse=_parse_network_mode, read=_read_network_mode,
        write=lambda body, value: _set_host(body, "NetworkMode", value), default=lambda context: "bridge",
        container_ref=True,
    ),
    Option(
        "hostname", dict(type="str"), parse=str, read=_read_hostname,
        write=lambda body, value: _set_cfg(body, "Hostname", value),
        default=lambda context: None,
    ),
    Option(
        "user", dict(type="str"), parse=str,
        read=lambda i: _cfg(i, "User") or "",
        write=lambda body, value: _set_cfg(body, "User", value),
        default=lambda context: _image_cfg(context.image, "User") or "",
    ),
    Option(
        "working_dir", dict(type="str"), parse=str,
        read=lambda i: _cfg(i, "WorkingDir") or "",
        write=lambda body, value: _set_cfg(body, "WorkingDir", value),
        default=lambda context: _image_cfg(context.image, "WorkingDir") or "",
    ),
    Option(
        "init", dict(type="bool"), parse=bool,
        read=lambda i: bool(_host(i, "Init")),
        write=lambda body, value: _set_host(body, "Init", value), default=lambda context: False,
    ),
    Option(
        "memory", dict(type="str"), parse=lambda value: parse_size(value, "memory"),
        read=lambda i: _host(i, "Memory") or 0,
        write=_write_memory, live=("Memory", "MemorySwap"), live_if=bool, default=lambda context: 0,
    ),
    Option(
        "cpus", dict(type="str"), parse=parse_cpus,
        read=lambda i: _host(i, "NanoCpus") or 0,
        write=lambda body, value: _set_host(body, "NanoCpus", value), live=("NanoCpus",), live_if=bool,
        default=lambda context: 0,
    ),
    Option(
        "log_driver", dict(type="str"), parse=str,
        read=lambda i: (_host(i, "LogConfig") or {}).get("Type"),
        write=_write_log_driver, engine_default="LoggingDriver",
    ),
    Option(
        "log_options", dict(type="dict"), parse=_string_map("log_options"),
        read=_read_log_options, write=_write_log_options, default=lambda context: {},
    ),
    Option(
        "stop_signal", dict(type="str"), parse=_parse_stop_signal,
        read=lambda i: _none_if_empty(_cfg(i, "StopSignal")),
        write=lambda body, value: _set_cfg(body, "StopSignal", value),
        default=lambda context: _none_if_empty(_image_cfg(context.image, "StopSignal")),
    ),
    Option(
        "stop_timeout", dict(type="int"), parse=int,
        read=lambda i: _cfg(i, "StopTimeout"),
        write=lambda body, value: _set_cfg(body, "StopTimeout", value),
        default=lambda context: None,
    ),
    Option(
        "privileged", dict(type="bool"), parse=bool,
        read=lambda i: bool(_host(i, "Privileged")),
        write=lambda body, value: _set_host(body, "Privileged", value), default=lambda context: False,
    ),
    Option(
        "capabilities", dict(type="list", elements="str"), parse=_capabilities("capabilities"),
        read=_read_capabilities("CapAdd"),
        write=lambda body, value: _set_host(body, "CapAdd", list(value)), default=lambda context: [],
    ),
    Option(
        "cap_drop", dict(type="list", elements="str"), parse=_capabilities("cap_drop"),
        read=_read_capabilities("CapDrop"),
        write=lambda body, value: _set_host(body, "CapDrop", list(value)), default=lambda context: [],
    ),
    Option(
        "devices", dict(type="list", elements="str"), parse=_parse_devices,
        read=_read_devices, write=_write_devices, default=lambda context: [],
    ),
    Option(
        "ulimits", dict(type="list", elements="str"), parse=_parse_ulimits,
        read=_read_ulimits, write=_write_ulimits, default=lambda context: [],
    ),
    Option(
        "tmpfs", dict(type="list", elements="str"), parse=_parse_tmpfs,
        read=lambda i: dict(_host(i, "Tmpfs") or {}),
        write=lambda body, value: _set_host(body, "Tmpfs", dict(value)), default=lambda context: {},
    ),
    Option(
        "read_only", dict(type="bool"), parse=bool,
        read=lambda i: bool(_host(i, "ReadonlyRootfs")),
        write=lambda body, value: _set_host(body, "ReadonlyRootfs", value), default=lambda context: False,
    ),
    Option(
        "sysctls", dict(type="dict"), parse=_string_map("sysctls"),
        read=lambda i: dict(_host(i, "Sysctls") or {}),
        write=lambda body, value: _set_host(body, "Sysctls", dict(value)), default=lambda context: {},
    ),
    Option(
        "pid_mode", dict(type="str"), parse=_parse_pid_mode,
        read=lambda i: _host(i, "PidMode") or "",
        write=lambda body, value: _set_host(body, "PidMode", value), default=lambda context: "",
        container_ref=True,
    ),
    Option(
        "shm_size", dict(type="str"), parse=_parse_shm_size,
        read=lambda i: _host(i, "ShmSize") or _DEFAULT_SHM_SIZE,
        write=lambda body, value: _set_host(body, "ShmSize", value), default=lambda context: _DEFAULT_SHM_SIZE,
    ),
    Option(
        "auto_remove", dict(type="bool"), parse=bool,
        read=lambda i: bool(_host(i, "AutoRemove")),
        write=lambda body, value: _set_host(body, "AutoRemove", value), default=lambda context: False,
    ),
    Option(
        "domainname", dict(type="str"), parse=str,
        read=lambda i: _cfg(i, "Domainname") or "",
        write=lambda body, value: _set_cfg(body, "Domainname", value), default=lambda context: "",
    ),
    Option(
        "dns_servers", dict(type="list", elements="str", aliases=["dns"]), parse=_parse_dns_servers,
        read=lambda i: list(_host(i, "Dns") or []),
        write=lambda body, value: _set_host(body, "Dns", list(value)), default=lambda context: [],
    ),
    Option(
        "dns_search_domains", dict(type="list", elements="str", aliases=["dns_search"]),
        parse=_words("dns_search_domains"),
        read=lambda i: list(_host(i, "DnsSearch") or []),
        write=lambda body, value: _set_host(body, "DnsSearch", list(value)), default=lambda context: [],
    ),
    Option(
        "dns_opts", dict(type="list", elements="str", aliases=["dns_option", "dns_opt"]), parse=_words("dns_opts"),
        read=lambda i: list(_host(i, "DnsOptions") or []),
        write=lambda body, value: _set_host(body, "DnsOptions", list(value)), default=lambda context: [],
    ),
    Option(
        "etc_hosts", dict(type="raw", aliases=["extra_hosts"]), parse=_parse_etc_hosts,
        read=lambda i: sorted(set(_host_entry("etc_hosts", entry, strict=False) for entry in _host(i, "ExtraHosts") or [])),
        write=lambda body, value: _set_host(body, "ExtraHosts", list(value)), default=lambda context: [],
    ),
    Option(
        "exposed_ports", dict(type="list", elements="str", aliases=["exposed", "expose"]), parse=_parse_exposed_ports,
        read=lambda i: _sorted_ports(_cfg(i, "ExposedPorts") or {}),
        write=lambda body, value: body.setdefault("ExposedPorts", {}).update((key, {}) for key in value),
        expect=_expect_exposed_ports, default=_default_exposed_ports,
    ),
)

OPTION_BY_NAME = dict((option.name, option) for option in OPTIONS)
COMPARABLE = tuple(option.name for option in OPTIONS if option.read is not None)

# The options that say what to do rather than what the container is: not read from the engine.
CONTROL_SPEC = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", choices=list(STATES), default="started"),
    restart=dict(type="bool", default=False),
    recreate=dict(type="bool", default=False),
    pull=dict(type="raw", default="missing"),
    wait=dict(type="str", choices=list(WAIT_STATES)),
    wait_timeout=dict(type="int", default=60),
    comparisons=dict(type="dict"),
)


def argument_spec(defaults=True):
    """The argument spec of one container: control options plus every option of the table.

    With ``defaults=False`` no option has a default (for the items of kapal.docker.containers,
    whose unset options are filled from ``defaults`` and then from ``CONTROL_DEFAULTS``).
    """
    spec = {}
    for name, entry in list(CONTROL_SPEC.items()) + [(o.name, o.spec) for o in OPTIONS]:
        entry = dict(entry)
        if not defaults:
            entry.pop("default", None)
        spec[name] = entry
    return spec


CONTROL_DEFAULTS = dict((name, entry["default"]) for name, entry in CONTROL_SPEC.items() if "default" in entry)


def parse_pull(value):
    """The ``pull`` option: missing|always|never, or community.docker's true (always) and false (missing)."""
    if isinstance(value, str) and value in PULL_POLICIES:
        return value
    if value in BOOLEANS_TRUE:
        return "always"
    if value in BOOLEANS_FALSE:
        return "missing"
    raise KapalError("pull: expected missing, always, never, true (always) or false (missing), got %r" % (value,))


def _split_restart_policy(params):
    """``restart_policy: on-failure:3`` (docker run --restart) -> on-failure, and restart_retries 3."""
    given = params.get("restart_policy")
    match = _RESTART_POLICY.match(given) if isinstance(given, str) else None
    if not match or match.group("retries") is None:
        return params
    retries = int(match.group("retries"))
    if match.group("name") != "on-failure":
        raise KapalError("restart_policy: a maximum retry count is only for on-failure, got %r" % given)
    if params.get("restart_retries") is not None and params["restart_retries"] != retries:
        raise KapalError("restart_policy: %r disagrees with restart_retries %r" % (given, params["restart_retries"]))
    return dict(params, restart_policy=match.group("name"), restart_retries=retries)


def _check_together(values, params):
    """Options the engine refuses in some combinations: refused before anything is asked."""
    retries, policy = values.get("restart_retries"), values.get("restart_policy")
    if retries and policy != "on-failure":
        raise KapalError("restart_retries: %d needs restart_policy on-failure, got %s" % (
            retries, "no restart_policy" if policy is None else repr(params.get("restart_policy"))))
    if values.get("auto_remove") and policy not in (None, "no"):
        raise KapalError("auto_remove: cannot be used with restart_policy %r (the engine removes the container when it "
                         "stops)" % (params.get("restart_policy"),))


def parse_options(params):
    """Task values (None = not given) -> {name: normalized value} for the given options only."""
    params = _split_restart_policy(params)
    values = {}
    for option in OPTIONS:
        given = params.get(option.name)
        if given is not None:
            values[option.name] = option.parse(given)
    for option in OPTIONS:
        if option.merge_into and option.name in values:
            merged = dict(values.pop(option.name))
            merged.update(values.get(option.merge_into) or {})
            values[option.merge_into] = merged
    for first, second in MUTUALLY_EXCLUSIVE:
        if first in values and second in values:
            raise KapalError("%s: cannot be given together with %s (%r)" % (first, second, params.get(second)))
    _check_together(values, params)
    return values


def resolve_comparisons(given):
    """The ``comparisons`` option -> a mode for every comparable option; '*' sets the default."""
    given = dict(given or {})
    modes = dict((option.name, option.compare) for option in OPTIONS if option.read is not None)
    default = given.pop("*", None)
    if default is not None:
        if default not in COMPARISONS:
            raise KapalError("comparisons: mode for '*' must be one of %s, got %r" % (", ".join(COMPARISONS), default))
        modes = dict((name, default) for name in modes)
    for name, mode in given.items():
        if name not in modes:
            raise KapalError("comparisons: unknown option %r (expected one of %s)" % (name, ", ".join(sorted(modes))))
        if mode not in COMPARISONS:
            raise KapalError("comparisons: mode for %s must be one of %s, got %r" % (name, ", ".join(COMPARISONS), mode))
        modes[name] = mode
    return modes


def same(mode, desired, actual):
    """Does ``actual`` satisfy ``desired`` under the comparison ``mode``?"""
    if mode == "ignore":
        return True
    if mode == "allow_more_present":
        if isinstance(desired, dict) and isinstance(actual, dict):
            return all(key in actual and actual[key] == value for key, value in desired.items())
        if isinstance(desired, list) and isinstance(actual, list):
            return all(item in actual for item in desired)
    return desired == actual


def plain(value):
    """A normalized value as plain data for results and diffs (ports, volumes, durations as strings)."""
    if isinstance(value, (Port, Volume, Duration)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return dict((key, plain(item)) for key, item in value.items())
    return value
