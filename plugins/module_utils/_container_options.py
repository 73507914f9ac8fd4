# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""THE table of container options: each option's whole story in one row.

A row says how the option is given (its argument spec), how a task value becomes the normalized
value (``parse``), how that value is read back from ``docker inspect`` (``read``), how it goes
into the create call (``write``, into an Engine API create body: Config fields at the top level,
``HostConfig``, ``NetworkingConfig``), what a container made from a given image holds for it
(``expect``, e.g. ``env`` merged over the image's ENV as the engine merges it), how it is compared
by default, and which engine update fields change it live.

The modules' argument specs, the documentation check, the diff and the planner all come from
``OPTIONS``. A value of None means "not given, leave it as it is": only given options are compared.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any, Callable, Optional

from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError
from ansible_collections.kapal.docker.plugins.module_utils._parse import (
    Port,
    Volume,
    env_to_dict,
    env_to_list,
    parse_cpus,
    parse_duration,
    parse_env_file,
    parse_env_value,
    parse_ports,
    parse_size,
    parse_volumes,
    ports_from_bindings,
    ports_to_bindings,
)
from ansible_collections.kapal.docker.plugins.module_utils._reference import ImageRef

COMPARISONS = ("strict", "ignore", "allow_more_present")
STATES = ("started", "present", "stopped", "absent")
WAIT_STATES = ("running", "healthy")
PULL_POLICIES = ("missing", "always", "never")
RESTART_POLICIES = ("no", "on-failure", "always", "unless-stopped")
MOUNT_TYPES = ("bind", "volume", "tmpfs")
MUTUALLY_EXCLUSIVE = (("networks", "network_mode"),)
_BUILTIN_NETWORK_MODES = ("host", "none")


@dataclass(frozen=True)
class Option:
    """One container option; ``parse``, ``read``, ``expect`` and ``default`` agree on one normalized form.

    ``parse(task value)`` -> normalized value (KapalError naming the option on bad input);
    ``read(container inspect)`` -> the container's value; ``write(create body, value)``;
    ``expect(value, image inspect)`` -> what a container made from that image holds (default: value);
    ``default(image inspect)`` -> what a container holds when the option is not given (None: unknown);
    ``carry``: how a recreate that is not given the option keeps the old container's value:
    ``difference`` (what the old value holds beyond the default: list items and dictionary keys; a
    scalar unless it equals the default), ``whole`` (the whole value unless it is empty or equals the
    default) or ``never``; ``engine_default``: the ``docker info`` field holding the engine's own default when
    ``default`` gives none (e.g. ``LoggingDriver``); ``live``: the engine update fields that change it in place;
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
    expect: Optional[Callable[[Any, dict], Any]] = None
    default: Optional[Callable[[dict], Any]] = None
    carry: str = "difference"
    engine_default: Optional[str] = None
    merge_into: Optional[str] = None
    container_ref: bool = False

    def expected(self, value, image):
        """What a container created with ``value`` from ``image`` (an inspect answer) holds."""
        return self.expect(value, image or {}) if self.expect else value

    def carried(self, current, old_image, engine_info=None):
        """On a recreate without this option: what of the old container's value did not come from its
        image (``old_image``; None: unknown, so everything is kept) or from the engine's defaults
        (``engine_info``, the ``docker info`` answer). None: nothing to carry over."""
        if self.carry == "never" or self.read is None or self.write is None:
            return None
        actual = self.read(current)
        default = self.default(old_image or {}) if self.default is not None else None
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


def _string_map(option):
    def parse(value):
        if not isinstance(value, dict):
            raise KapalError("%s: expected a dictionary, got %r" % (option, value))
        return dict((str(key), parse_env_value(key, item, option)) for key, item in value.items())
    return parse


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
    volumes = set(_unnamed(v) for v in parse_volumes(_host(inspect, "Binds") or [], "volumes"))
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


def _parse_healthcheck(value):
    test = value.get("test")
    if isinstance(test, str):
        test = ["NONE"] if test.upper() == "NONE" else ["CMD-SHELL", test]
    elif test is not None:
        test = [str(item) for item in test]
        if not test:
            raise KapalError("healthcheck: test must not be empty (use [NONE] to disable the image's healthcheck)")
        if test[0] not in ("NONE", "CMD", "CMD-SHELL"):
            test = ["CMD"] + test
    result = dict(Test=test)
    for key, name in (("Interval", "interval"), ("Timeout", "timeout"), ("StartPeriod", "start_period")):
        given = value.get(name)
        result[key] = parse_duration(given, "healthcheck.%s" % name) if given is not None else 0
    result["Retries"] = value.get("retries") or 0
    return result


def _read_healthcheck(inspect):
    health = _cfg(inspect, "Healthcheck") or {}
    return dict((key, health.get(key) or (None if key == "Test" else 0)) for key in _HEALTH_KEYS)


def _expect_healthcheck(value, image):
    base = _image_cfg(image, "Healthcheck") or {}
    if value["Test"] == ["NONE"]:
        return dict(value)
    return dict((key, value[key] or base.get(key) or (None if key == "Test" else 0)) for key in _HEALTH_KEYS)


def _write_healthcheck(body, value):
    body["Healthcheck"] = dict((key, item) for key, item in value.items() if item)


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

def _write_restart(key):
    def write(body, value):
        body.setdefault("HostConfig", {}).setdefault("RestartPolicy", {})[key] = value
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


OPTIONS = (
    Option(
        "image", dict(type="str"), parse=_parse_image,
        read=lambda i: i.get("Image"),
        write=lambda body, value: _set_cfg(body, "Image", value), carry="never",
        expect=lambda value, image: image.get("Id") or "%s (not present yet)" % value,
    ),
    Option(
        "command", dict(type="raw"), parse=_argv("command"),
        read=lambda i: _cfg(i, "Cmd"),
        write=lambda body, value: _set_cfg(body, "Cmd", value),
        default=lambda image: _image_cfg(image, "Cmd"),
    ),
    Option(
        "entrypoint", dict(type="raw"), parse=_argv("entrypoint"),
        read=lambda i: _cfg(i, "Entrypoint"),
        write=lambda body, value: _set_cfg(body, "Entrypoint", value),
        default=lambda image: _image_cfg(image, "Entrypoint"),
    ),
    Option(
        "env", dict(type="dict"), parse=_string_map("env"),
        read=lambda i: env_to_dict(_cfg(i, "Env")),
        write=lambda body, value: _set_cfg(body, "Env", env_to_list(value)),
        expect=lambda value, image: dict(env_to_dict(_image_cfg(image, "Env")), **value),
        default=lambda image: env_to_dict(_image_cfg(image, "Env")),
    ),
    Option(
        "env_file", dict(type="path"), parse=parse_env_file, read=None, write=None, merge_into="env",
    ),
    Option(
        "published_ports", dict(type="list", elements="str", aliases=["ports"]), parse=parse_ports,
        read=lambda i: ports_from_bindings(_host(i, "PortBindings")),
        write=_write_ports, default=lambda image: [],
    ),
    Option(
        "volumes", dict(type="list", elements="str"), parse=parse_volumes,
        read=_read_volumes, write=_write_volumes, expect=_expect_volumes,
        default=lambda image: _expect_volumes([], image),
    ),
    Option(
        "mounts", dict(type="list", elements="dict", options=dict(
            type=dict(type="str", choices=list(MOUNT_TYPES), default="volume"),
            source=dict(type="str"),
            target=dict(type="str", required=True),
            read_only=dict(type="bool", default=False),
            tmpfs_size=dict(type="str"),
        )), parse=_parse_mounts, read=_read_mounts, write=_write_mounts,
        default=lambda image: [],
    ),
    Option(
        "labels", dict(type="dict"), parse=_string_map("labels"),
        read=lambda i: dict(_cfg(i, "Labels") or {}),
        write=lambda body, value: _set_cfg(body, "Labels", dict(value)),
        expect=lambda value, image: dict(_image_cfg(image, "Labels") or {}, **value),
        default=lambda image: dict(_image_cfg(image, "Labels") or {}),
    ),
    Option(
        "restart_policy", dict(type="str", choices=list(RESTART_POLICIES)), parse=str,
        read=lambda i: (_host(i, "RestartPolicy") or {}).get("Name") or "no",
        write=_write_restart("Name"), live=("RestartPolicy",), default=lambda image: "no",
    ),
    Option(
        "restart_retries", dict(type="int"), parse=int,
        read=lambda i: (_host(i, "RestartPolicy") or {}).get("MaximumRetryCount") or 0,
        write=_write_restart("MaximumRetryCount"), live=("RestartPolicy",), default=lambda image: 0,
    ),
    Option(
        "healthcheck", dict(type="dict", options=dict(
            test=dict(type="raw"),
            interval=dict(type="str"),
            timeout=dict(type="str"),
            retries=dict(type="int"),
            start_period=dict(type="str"),
        )), parse=_parse_healthcheck, read=_read_healthcheck, write=_write_healthcheck, expect=_expect_healthcheck,
        default=_read_healthcheck,
    ),
    Option(
        "networks", dict(type="list", elements="dict", options=dict(
            name=dict(type="str", required=True),
            aliases=dict(type="list", elements="str"),
            ipv4_address=dict(type="str"),
        )), parse=_parse_networks, read=_read_networks, write=_write_networks,
        default=lambda image: [dict(name="bridge", aliases=[], ipv4_address=None)], carry="whole",
    ),
    Option(
        "network_mode", dict(type="str"), parse=str, read=_read_network_mode,
        write=lambda body, value: _set_host(body, "NetworkMode", value), default=lambda image: "bridge",
        container_ref=True,
    ),
    Option(
        "hostname", dict(type="str"), parse=str, read=_read_hostname,
        write=lambda body, value: _set_cfg(body, "Hostname", value),
        default=lambda image: None,
    ),
    Option(
        "user", dict(type="str"), parse=str,
        read=lambda i: _cfg(i, "User") or "",
        write=lambda body, value: _set_cfg(body, "User", value),
        default=lambda image: _image_cfg(image, "User") or "",
    ),
    Option(
        "working_dir", dict(type="str"), parse=str,
        read=lambda i: _cfg(i, "WorkingDir") or "",
        write=lambda body, value: _set_cfg(body, "WorkingDir", value),
        default=lambda image: _image_cfg(image, "WorkingDir") or "",
    ),
    Option(
        "init", dict(type="bool"), parse=bool,
        read=lambda i: bool(_host(i, "Init")),
        write=lambda body, value: _set_host(body, "Init", value), default=lambda image: False,
    ),
    Option(
        "memory", dict(type="str"), parse=lambda value: parse_size(value, "memory"),
        read=lambda i: _host(i, "Memory") or 0,
        write=_write_memory, live=("Memory", "MemorySwap"), default=lambda image: 0,
    ),
    Option(
        "cpus", dict(type="str"), parse=parse_cpus,
        read=lambda i: _host(i, "NanoCpus") or 0,
        write=lambda body, value: _set_host(body, "NanoCpus", value), live=("NanoCpus",),
        default=lambda image: 0,
    ),
    Option(
        "log_driver", dict(type="str"), parse=str,
        read=lambda i: (_host(i, "LogConfig") or {}).get("Type"),
        write=_write_log_driver, engine_default="LoggingDriver",
    ),
    Option(
        "log_options", dict(type="dict"), parse=_string_map("log_options"),
        read=_read_log_options, write=_write_log_options, default=lambda image: {},
    ),
    Option(
        "stop_signal", dict(type="str"), parse=_parse_stop_signal,
        read=lambda i: _none_if_empty(_cfg(i, "StopSignal")),
        write=lambda body, value: _set_cfg(body, "StopSignal", value),
        default=lambda image: _none_if_empty(_image_cfg(image, "StopSignal")),
    ),
    Option(
        "stop_timeout", dict(type="int"), parse=int,
        read=lambda i: _cfg(i, "StopTimeout"),
        write=lambda body, value: _set_cfg(body, "StopTimeout", value),
        default=lambda image: None,
    ),
    Option(
        "privileged", dict(type="bool"), parse=bool,
        read=lambda i: bool(_host(i, "Privileged")),
        write=lambda body, value: _set_host(body, "Privileged", value), default=lambda image: False,
    ),
    Option(
        "capabilities", dict(type="list", elements="str"), parse=_capabilities("capabilities"),
        read=_read_capabilities("CapAdd"),
        write=lambda body, value: _set_host(body, "CapAdd", list(value)), default=lambda image: [],
    ),
    Option(
        "cap_drop", dict(type="list", elements="str"), parse=_capabilities("cap_drop"),
        read=_read_capabilities("CapDrop"),
        write=lambda body, value: _set_host(body, "CapDrop", list(value)), default=lambda image: [],
    ),
    Option(
        "devices", dict(type="list", elements="str"), parse=_parse_devices,
        read=_read_devices, write=_write_devices, default=lambda image: [],
    ),
    Option(
        "ulimits", dict(type="list", elements="str"), parse=_parse_ulimits,
        read=_read_ulimits, write=_write_ulimits, default=lambda image: [],
    ),
    Option(
        "tmpfs", dict(type="list", elements="str"), parse=_parse_tmpfs,
        read=lambda i: dict(_host(i, "Tmpfs") or {}),
        write=lambda body, value: _set_host(body, "Tmpfs", dict(value)), default=lambda image: {},
    ),
    Option(
        "read_only", dict(type="bool"), parse=bool,
        read=lambda i: bool(_host(i, "ReadonlyRootfs")),
        write=lambda body, value: _set_host(body, "ReadonlyRootfs", value), default=lambda image: False,
    ),
    Option(
        "sysctls", dict(type="dict"), parse=_string_map("sysctls"),
        read=lambda i: dict(_host(i, "Sysctls") or {}),
        write=lambda body, value: _set_host(body, "Sysctls", dict(value)), default=lambda image: {},
    ),
    Option(
        "pid_mode", dict(type="str"), parse=_parse_pid_mode,
        read=lambda i: _host(i, "PidMode") or "",
        write=lambda body, value: _set_host(body, "PidMode", value), default=lambda image: "",
        container_ref=True,
    ),
    Option(
        "shm_size", dict(type="str"), parse=_parse_shm_size,
        read=lambda i: _host(i, "ShmSize") or _DEFAULT_SHM_SIZE,
        write=lambda body, value: _set_host(body, "ShmSize", value), default=lambda image: _DEFAULT_SHM_SIZE,
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
    pull=dict(type="str", choices=list(PULL_POLICIES), default="missing"),
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


def parse_options(params):
    """Task values (None = not given) -> {name: normalized value} for the given options only."""
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
    """A normalized value as plain data for results and diffs (ports and volumes as strings)."""
    if isinstance(value, (Port, Volume)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return dict((key, plain(item)) for key, item in value.items())
    return value
