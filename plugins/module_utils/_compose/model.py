# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Compose project model: which keys there are, their canonical forms, and the frozen result.

``canonical_file`` checks one file's (interpolated) tree and rewrites every short syntax into the
long one Compose merges on: ports, volumes, depends_on, networks, environment, labels... Errors
name the file and the place. ``build_project`` turns the merged tree into ``Project``: frozen
dataclasses with normalized values (durations in nanoseconds, sizes in bytes, CPUs as a number),
cross references checked and the services in dependency order.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
import shlex
from dataclasses import dataclass, field
from typing import Optional

from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError
from ansible_collections.kapal.docker.plugins.module_utils._parse import parse_duration, parse_size


class ComposeError(KapalError):
    """A Compose file kapal cannot read: one line naming the file and the place."""


def fail(source, path, message):
    where = "%s: %s" % (source, path) if path else str(source)
    return ComposeError("compose: %s: %s" % (where, message))


# -- the keys: what kapal reads, what Compose knows but kapal does not apply ---------------------

TOP_LEVEL = ("name", "version", "services", "networks", "volumes", "secrets", "configs")
TOP_LEVEL_UNSUPPORTED = ("include", "models")

SERVICE_KEYS = (
    "image", "build", "command", "entrypoint", "environment", "env_file", "ports", "expose", "volumes",
    "networks", "network_mode", "depends_on", "healthcheck", "restart", "labels", "user", "working_dir",
    "hostname", "domainname", "extra_hosts", "dns", "dns_search", "cap_add", "cap_drop", "devices", "ulimits",
    "sysctls", "tmpfs", "read_only", "privileged", "init", "stop_signal", "stop_grace_period", "logging",
    "mem_limit", "cpus", "deploy", "secrets", "configs", "container_name", "profiles", "extends", "pid",
    "shm_size", "pull_policy", "scale",
)
SERVICE_UNSUPPORTED = (
    "annotations", "attach", "blkio_config", "cgroup", "cgroup_parent", "cpu_count", "cpu_percent", "cpu_period",
    "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpu_shares", "cpuset", "credential_spec", "develop",
    "device_cgroup_rules", "dns_opt", "external_links", "gpus", "group_add", "ipc", "isolation", "label_file",
    "links", "mac_address", "mem_reservation", "mem_swappiness", "memswap_limit", "models", "oom_kill_disable",
    "oom_score_adj", "pids_limit", "platform", "post_start", "pre_start", "pre_stop", "provider",
    "pull_refresh_after", "runtime", "security_opt", "stdin_open", "storage_opt", "tty", "use_api_socket",
    "userns_mode", "uts", "volume_driver", "volumes_from", "log_driver", "log_opt", "net", "dockerfile",
)
BUILD_KEYS = ("context", "dockerfile", "args", "target", "labels")
BUILD_UNSUPPORTED = (
    "dockerfile_inline", "entitlements", "provenance", "sbom", "ssh", "cache_from", "cache_to", "no_cache",
    "additional_contexts", "pull", "extra_hosts", "isolation", "network", "secrets", "shm_size", "tags",
    "ulimits", "platforms", "privileged",
)
HEALTHCHECK_KEYS = ("test", "interval", "timeout", "retries", "start_period", "disable")
HEALTHCHECK_UNSUPPORTED = ("start_interval",)
DEPLOY_KEYS = ("resources", "replicas", "restart_policy", "mode")
DEPLOY_UNSUPPORTED = ("endpoint_mode", "labels", "placement", "rollback_config", "update_config")
RESOURCES_KEYS = ("limits", "reservations")
LIMITS_KEYS = ("memory", "cpus")
LIMITS_UNSUPPORTED = ("pids", "devices", "generic_resources")
RESTART_POLICY_KEYS = ("condition", "max_attempts")
RESTART_POLICY_UNSUPPORTED = ("delay", "window")
LOGGING_KEYS = ("driver", "options")
PORT_KEYS = ("target", "published", "host_ip", "protocol", "mode", "name", "app_protocol")
VOLUME_MOUNT_KEYS = ("type", "source", "target", "read_only", "bind", "volume", "tmpfs")
VOLUME_MOUNT_UNSUPPORTED = ("consistency", "image")
BIND_KEYS = ("create_host_path", "selinux", "propagation")
BIND_UNSUPPORTED = ("recursive",)
VOLUME_OPTION_KEYS = ("nocopy",)
VOLUME_OPTION_UNSUPPORTED = ("labels", "subpath")
TMPFS_KEYS = ("size", "mode")
SERVICE_NETWORK_KEYS = ("aliases", "ipv4_address", "priority")
SERVICE_NETWORK_UNSUPPORTED = ("ipv6_address", "link_local_ips", "mac_address", "driver_opts", "gw_priority",
                               "interface_name")
DEPENDS_KEYS = ("condition", "required", "restart")
DEPENDS_CONDITIONS = ("service_started", "service_healthy", "service_completed_successfully")
ENV_FILE_KEYS = ("path", "required", "format")
DEVICE_KEYS = ("source", "target", "permissions")
FILE_MOUNT_KEYS = ("source", "target")
FILE_MOUNT_UNSUPPORTED = ("uid", "gid", "mode")
EXTENDS_KEYS = ("service", "file")
ULIMIT_KEYS = ("soft", "hard")
NETWORK_KEYS = ("name", "driver", "driver_opts", "labels", "ipam", "internal", "attachable", "enable_ipv6",
                "enable_ipv4", "external")
IPAM_KEYS = ("driver", "config", "options")
IPAM_CONFIG_KEYS = ("subnet", "ip_range", "gateway", "aux_addresses")
VOLUME_KEYS = ("name", "driver", "driver_opts", "labels", "external")
SECRET_KEYS = ("name", "file", "external")
SECRET_UNSUPPORTED = ("environment", "content", "driver", "driver_opts", "template_driver", "labels")

RESTART_POLICIES = ("no", "always", "on-failure", "unless-stopped")
PROTOCOLS = ("tcp", "udp", "sctp")
_PROJECT_NAME_CHARS = re.compile(r"[a-z0-9_-]")
_PORT = re.compile(r"^(?:(?:(?P<ip>\[[0-9a-fA-F:.]*\]|[0-9a-fA-F.:]*?):)?(?P<published>\d*(?:-\d+)?):)?"
                   r"(?P<target>\d+(?:-\d+)?)(?:/(?P<protocol>[a-z]+))?$")
_VALUE_KINDS = {str: "a string", list: "a list", dict: "a mapping", bool: "a boolean", int: "a number"}


def normalize_project_name(name):
    """Compose's normalization: lower case, only [a-z0-9_-], no leading '_' or '-'."""
    return "".join(_PROJECT_NAME_CHARS.findall(str(name).lower())).lstrip("_-")


# -- the frozen model ----------------------------------------------------------------------------

@dataclass(frozen=True)
class PortSpec:
    """One published port (long syntax); ``published`` is '' (random), a port or a range."""

    target: int
    published: str = ""
    host_ip: str = ""
    protocol: str = "tcp"


@dataclass(frozen=True)
class MountSpec:
    """One entry of ``volumes``: bind (source an absolute host path), volume (source a project volume
    key, '' for an anonymous volume) or tmpfs."""

    type: str
    target: str
    source: str = ""
    read_only: bool = False
    create_host_path: bool = True
    selinux: str = ""
    propagation: str = ""
    nocopy: bool = False
    tmpfs_size: Optional[int] = None
    tmpfs_mode: Optional[int] = None


@dataclass(frozen=True)
class ServiceNetwork:
    """A network of a service: ``key`` is the project's network key (not the engine name)."""

    key: str
    aliases: tuple = ()
    ipv4_address: Optional[str] = None
    priority: int = 0


@dataclass(frozen=True)
class Dependency:
    service: str
    condition: str = "service_started"
    required: bool = True
    restart: bool = False


@dataclass(frozen=True)
class Healthcheck:
    """``test`` is the engine form (['CMD', ...], ['CMD-SHELL', '...'], ['NONE']) or None (the image's);
    durations are nanoseconds (None: not given)."""

    test: Optional[tuple] = None
    interval: Optional[int] = None
    timeout: Optional[int] = None
    start_period: Optional[int] = None
    retries: Optional[int] = None


@dataclass(frozen=True)
class Build:
    context: str
    dockerfile: str = "Dockerfile"
    args: dict = field(default_factory=dict)
    target: Optional[str] = None
    labels: dict = field(default_factory=dict)


@dataclass(frozen=True)
class FileMount:
    """A secret or config of a service: the project key and the absolute target path."""

    source: str
    target: str


@dataclass(frozen=True)
class Service:
    """One service, normalized. None / empty means "not given" (the image's or the engine's default).

    ``memory`` and ``cpus`` are the effective limits (deploy.resources.limits over mem_limit/cpus);
    ``restart`` is (policy, max retries) with deploy.restart_policy applied; ``raw`` is the
    canonical merged definition (for the config hash).
    """

    name: str
    image: Optional[str] = None
    build: Optional[Build] = None
    command: Optional[tuple] = None
    entrypoint: Optional[tuple] = None
    environment: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)
    ports: tuple = ()
    expose: tuple = ()
    volumes: tuple = ()
    tmpfs: tuple = ()
    networks: tuple = ()
    network_mode: Optional[str] = None
    depends_on: tuple = ()
    healthcheck: Optional[Healthcheck] = None
    restart: Optional[tuple] = None
    user: Optional[str] = None
    working_dir: Optional[str] = None
    hostname: Optional[str] = None
    domainname: Optional[str] = None
    extra_hosts: tuple = ()
    dns: tuple = ()
    dns_search: tuple = ()
    cap_add: tuple = ()
    cap_drop: tuple = ()
    devices: tuple = ()
    ulimits: dict = field(default_factory=dict)
    sysctls: dict = field(default_factory=dict)
    read_only: Optional[bool] = None
    privileged: Optional[bool] = None
    init: Optional[bool] = None
    stop_signal: Optional[str] = None
    stop_grace_period: Optional[int] = None
    log_driver: Optional[str] = None
    log_options: dict = field(default_factory=dict)
    memory: Optional[int] = None
    cpus: Optional[float] = None
    shm_size: Optional[int] = None
    pid: Optional[str] = None
    secrets: tuple = ()
    configs: tuple = ()
    container_name: Optional[str] = None
    profiles: tuple = ()
    scale: int = 1
    pull_policy: Optional[str] = None
    raw: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Network:
    """A top-level network: ``name`` is the engine's name (``<project>_<key>`` unless given)."""

    key: str
    name: str
    external: bool = False
    driver: Optional[str] = None
    driver_opts: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)
    internal: bool = False
    attachable: bool = False
    enable_ipv6: Optional[bool] = None
    ipam_driver: Optional[str] = None
    ipam_config: tuple = ()
    raw: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Volume:
    key: str
    name: str
    external: bool = False
    driver: Optional[str] = None
    driver_opts: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class FileObject:
    """A top-level secret or config from a file (``file`` absolute)."""

    key: str
    name: str
    file: Optional[str] = None
    external: bool = False


@dataclass(frozen=True)
class Project:
    """A loaded Compose project. ``services`` holds the enabled services in dependency order
    (``order``: dependencies first); ``disabled`` the names left out by profiles or selection."""

    name: str
    working_dir: str
    config_files: tuple
    services: dict
    order: tuple
    networks: dict
    volumes: dict
    secrets: dict
    configs: dict
    profiles: tuple = ()
    disabled: tuple = ()
    warnings: tuple = ()

    def service(self, name):
        return self.services[name]


# -- shape checks ----------------------------------------------------------------------------------

class _Where:
    """The file and the path inside it, for messages."""

    def __init__(self, source, path="", home=None):
        self.source = source
        self.path = path
        self.home = home

    def __truediv__(self, key):
        if isinstance(key, int):
            return _Where(self.source, "%s[%d]" % (self.path, key), self.home)
        return _Where(self.source, "%s.%s" % (self.path, key) if self.path else str(key), self.home)

    def error(self, message):
        return fail(self.source, self.path, message)


def _kind(value):
    for kind, text in _VALUE_KINDS.items():
        if isinstance(value, kind):
            return text
    return "null" if value is None else type(value).__name__


def check_keys(mapping, where, known, unsupported=(), what="key"):
    """Every key of ``mapping`` known; one that kapal does not support fails naming it."""
    if not isinstance(mapping, dict):
        raise where.error("expected a mapping, got %s" % _kind(mapping))
    for key in mapping:
        if str(key).startswith("x-"):
            continue
        if key in unsupported:
            raise (where / key).error("%s is not supported by kapal.docker" % key)
        if key not in known:
            raise (where / key).error("unknown %s %r" % (what, key))


def _strip_extensions(mapping):
    return dict((k, v) for k, v in mapping.items() if not str(k).startswith("x-"))


def _string(value, where, allow_numbers=True):
    if isinstance(value, str):
        return value
    if allow_numbers and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise where.error("expected a string, got %s" % _kind(value))


def _boolean(value, where):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "on", "off", "y", "n"):
        return value.lower() in ("true", "yes", "on", "y")
    raise where.error("expected a boolean, got %r" % (value,))


def _integer(value, where):
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.match(r"^[+-]?\d+$", value.strip()):
        return int(value)
    raise where.error("expected an integer, got %r" % (value,))


def _string_list(value, where, single_ok=True):
    if isinstance(value, str) and single_ok:
        return [value]
    if not isinstance(value, list):
        raise where.error("expected a list of strings, got %s" % _kind(value))
    return [_string(item, where / number) for number, item in enumerate(value)]


def _mapping_or_list(value, where, separator="=", env=False):
    """``{k: v}`` or ``['k=v', 'k']`` -> ordered dict of str -> str (None: no value given)."""
    result = {}
    if isinstance(value, dict):
        for key, item in value.items():
            if item is None or hasattr(item, "rewrap"):  # no value, or a !reset / !override for the merge
                result[str(key)] = item
            elif isinstance(item, (dict, list)):
                raise (where / key).error("expected a string, number or boolean, got %s" % _kind(item))
            elif isinstance(item, bool):
                result[str(key)] = "true" if item else "false"
            else:
                result[str(key)] = str(item)
        return result
    if isinstance(value, list):
        for number, item in enumerate(value):
            text = _string(item, where / number)
            key, sep, rest = text.partition(separator)
            if not key:
                raise (where / number).error("expected KEY%svalue, got %r" % (separator, text))
            result[key] = rest if sep else None
        return result
    raise where.error("expected a mapping or a list of KEY%svalue, got %s" % (separator, _kind(value)))


def _duration(value, where):
    try:
        return parse_duration(value, where.path)
    except KapalError as exc:
        raise where.error(str(exc).split(": ", 1)[-1]) from None


def _size(value, where):
    try:
        return parse_size(value, where.path)
    except KapalError as exc:
        raise where.error(str(exc).split(": ", 1)[-1]) from None


def _abs_path(path, base_dir, where):
    """Compose's path resolution: ``~`` is the home directory, anything relative is under ``base_dir``."""
    if path == "~" or path.startswith("~/"):
        if not where.home:
            raise where.error("%s: ~ needs the home directory (HOME is not set)" % path)
        path = where.home + path[1:]
    if path.startswith("/"):
        return posixpath.normpath(path)
    if not base_dir:
        raise where.error("relative path %s needs a project directory (project_src)" % path)
    return posixpath.normpath(posixpath.join(base_dir, path))


# -- canonical forms, one file at a time ---------------------------------------------------------

def canonical_file(tree, source, base_dir, home=None):
    """Check one interpolated file and return it in canonical (long) syntax.

    ``base_dir``: the directory relative paths in this file are resolved against (the project
    directory, or an extended file's own directory).
    """
    where = _Where(source, "", home)
    if not isinstance(tree, dict):
        raise where.error("the top level must be a mapping, got %s" % _kind(tree))
    check_keys(tree, where, TOP_LEVEL, TOP_LEVEL_UNSUPPORTED)
    result = {}
    if "name" in tree:
        result["name"] = _string(tree["name"], where / "name")
    services = tree.get("services")
    if services is not None:
        if not isinstance(services, dict):
            raise (where / "services").error("expected a mapping of services, got %s" % _kind(services))
        result["services"] = dict(
            (name, canonical_service(service, where / "services" / name, base_dir))
            for name, service in _strip_extensions(services).items()
        )
    for section, keys, unsupported, canonical in (
        ("networks", NETWORK_KEYS, (), _canonical_network),
        ("volumes", VOLUME_KEYS, (), _canonical_volume),
        ("secrets", SECRET_KEYS, SECRET_UNSUPPORTED, _canonical_file_object),
        ("configs", SECRET_KEYS, SECRET_UNSUPPORTED, _canonical_file_object),
    ):
        entries = tree.get(section)
        if entries is None:
            continue
        if not isinstance(entries, dict):
            raise (where / section).error("expected a mapping, got %s" % _kind(entries))
        out = {}
        for key, entry in _strip_extensions(entries).items():
            here = where / section / key
            if entry is None:
                out[key] = None
                continue
            entry = _unwrap_markers(entry)
            check_keys(entry, here, keys, unsupported)
            out[key] = canonical(_strip_extensions(entry), here, base_dir)
        result[section] = out
    return result


def _unwrap_markers(value):
    """Shape checks look through !override (the merge handles it); returns the value itself."""
    return getattr(value, "value", value) if hasattr(value, "rewrap") else value


def _canonical_network(entry, where, base_dir):
    entry = dict(entry)
    if "ipam" in entry and entry["ipam"] is not None:
        check_keys(entry["ipam"], where / "ipam", IPAM_KEYS)
        for number, pool in enumerate(entry["ipam"].get("config") or []):
            check_keys(pool, where / "ipam" / "config" / number, IPAM_CONFIG_KEYS)
    if "labels" in entry:
        entry["labels"] = _mapping_or_list(entry["labels"], where / "labels")
    return _canonical_external(entry, where)


def _canonical_volume(entry, where, base_dir):
    entry = dict(entry)
    if "labels" in entry:
        entry["labels"] = _mapping_or_list(entry["labels"], where / "labels")
    opts = entry.get("driver_opts")
    if isinstance(opts, dict) and opts.get("o") == "bind" and isinstance(opts.get("device"), str):
        entry["driver_opts"] = dict(opts, device=_abs_path(opts["device"], base_dir, where / "driver_opts" / "device"))
    return _canonical_external(entry, where)


def _canonical_file_object(entry, where, base_dir):
    entry = dict(entry)
    if "file" in entry:
        entry["file"] = _abs_path(_string(entry["file"], where / "file"), base_dir, where / "file")
    return _canonical_external(entry, where)


def _canonical_external(entry, where):
    external = entry.get("external")
    if isinstance(external, dict):  # the old form external: {name: x}
        if "name" in external:
            if "name" in entry and entry["name"] != external["name"]:
                raise (where / "external").error("name and external.name conflict; use name and external: true")
            entry["name"] = external["name"]
        entry["external"] = True
    elif external is not None:
        entry["external"] = _boolean(external, where / "external")
    return entry


def canonical_service(service, where, base_dir):
    """One service in canonical syntax; every key checked, values in their long form."""
    if service is None:
        service = {}
    check_keys(service, where, SERVICE_KEYS, SERVICE_UNSUPPORTED)
    result = {}
    for key, value in _strip_extensions(service).items():
        here = where / key
        marker = value if hasattr(value, "rewrap") else None
        if marker is not None:
            value = marker.value
            if marker.kind == "reset":
                result[key] = marker
                continue
        canonical = _SERVICE_CANONICAL.get(key)
        value = canonical(value, here, base_dir) if canonical else value
        result[key] = marker.rewrap(value) if marker is not None else value
    return result


def _c_build(value, where, base_dir):
    if isinstance(value, str):
        value = dict(context=value)
    check_keys(value, where, BUILD_KEYS, BUILD_UNSUPPORTED)
    build = _strip_extensions(value)
    if "context" in build:
        context = _string(build["context"], where / "context")
        remote = "://" in context or context.startswith(("github.com/", "git@"))
        build["context"] = context if remote else _abs_path(context, base_dir, where / "context")
    for key in ("args", "labels"):
        if key in build:
            build[key] = _mapping_or_list(build[key], where / key)
    for key in ("dockerfile", "target"):
        if key in build:
            build[key] = _string(build[key], where / key)
    return build


def _c_command(value, where, base_dir):
    if value is None or isinstance(value, list):
        return None if value is None else [_string(item, where / n) for n, item in enumerate(value)]
    text = _string(value, where)
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise where.error("cannot split %r into arguments: %s" % (text, exc)) from None


def _c_env_file(value, where, base_dir):
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise where.error("expected a path or a list, got %s" % _kind(value))
    result = []
    for number, item in enumerate(items):
        here = where / number
        if isinstance(item, str):
            item = dict(path=item)
        check_keys(item, here, ENV_FILE_KEYS)
        entry = dict(path=_abs_path(_string(item.get("path"), here / "path"), base_dir, here / "path"),
                     required=_boolean(item.get("required", True), here / "required"))
        if item.get("format") not in (None, "raw"):
            raise (here / "format").error("unknown format %r (expected raw)" % (item.get("format"),))
        if item.get("format"):
            entry["format"] = item["format"]
        result.append(entry)
    return result


def parse_port(value, where):
    """A short port spec -> list of long-syntax dicts (ranges expanded, as Compose does)."""
    text = _string(value, where)
    match = _PORT.match(text.strip())
    if not match:
        raise where.error("invalid port %r (expected [[ip:][published]:]target[/protocol])" % text)
    ip = (match.group("ip") or "").strip("[]")
    if ip:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise where.error("invalid host address %r in port %r" % (ip, text)) from None
    protocol = match.group("protocol") or "tcp"
    if protocol not in PROTOCOLS:
        raise where.error("invalid protocol %r in port %r" % (protocol, text))
    low, _sep, high = match.group("target").partition("-")
    targets = list(range(int(low), int(high or low) + 1))
    published = match.group("published") or ""
    if published and "-" in published and len(targets) > 1:
        first, _sep, last = published.partition("-")
        hosts = [str(p) for p in range(int(first), int(last) + 1)]
        if len(hosts) != len(targets):
            raise where.error("published and target port ranges differ in length in %r" % text)
    elif published and len(targets) > 1:
        hosts = [str(int(published) + offset) for offset in range(len(targets))]
    else:
        hosts = [published] * len(targets)
    for port in targets + [int(p) for h in hosts for p in h.split("-") if p]:
        if not 0 < port <= 65535:
            raise where.error("port out of range 1-65535 in %r" % text)
    return [dict(target=t, published=h, host_ip=ip, protocol=protocol, mode="ingress") for t, h in zip(targets, hosts)]


def _c_ports(value, where, base_dir):
    if not isinstance(value, list):
        raise where.error("expected a list of ports, got %s" % _kind(value))
    ports = []
    for number, item in enumerate(value):
        here = where / number
        if isinstance(item, dict):
            check_keys(item, here, PORT_KEYS)
            port = dict(target=_integer(item.get("target"), here / "target"), protocol="tcp", mode="ingress")
            for key in ("published", "host_ip", "protocol", "mode", "name", "app_protocol"):
                if item.get(key) is not None:
                    port[key] = _string(item[key], here / key)
            if port["protocol"] not in PROTOCOLS:
                raise (here / "protocol").error("expected one of %s, got %r" % (", ".join(PROTOCOLS), port["protocol"]))
            if port["mode"] != "ingress" and port["mode"] != "host":
                raise (here / "mode").error("expected host or ingress, got %r" % port["mode"])
            ports.append(port)
        else:
            ports.extend(parse_port(item, here))
    return ports


def _is_path(source):
    return source[:1] in (".", "/", "~")


def parse_volume(text, where):
    """A short volume spec -> the long-syntax dict."""
    parts = text.split(":")
    if not text or any(part == "" for part in parts[:3]):
        raise where.error("invalid volume %r (expected [source:]target[:options])" % text)
    if len(parts) > 3:
        raise where.error("invalid volume %r: too many colons" % text)
    if len(text) <= 2:
        return dict(type="volume", target=posixpath.normpath(text))
    if len(parts) == 1:
        return dict(type="volume", target=posixpath.normpath(text), volume={})
    volume = dict(source=parts[0], target=posixpath.normpath(parts[1]))
    if _is_path(parts[0]):
        volume["type"] = "bind"
        volume["bind"] = dict(create_host_path=True)
    else:
        volume["type"] = "volume"
        volume["volume"] = {}
    for option in (parts[2].split(",") if len(parts) == 3 else []):
        if option in ("ro", "rw"):
            volume["read_only"] = option == "ro"
        elif option == "nocopy":
            volume["volume"] = dict(nocopy=True)
        elif option in ("z", "Z"):
            volume.setdefault("bind", {})["selinux"] = option
        elif option in ("rprivate", "private", "rshared", "shared", "rslave", "slave"):
            volume.setdefault("bind", {})["propagation"] = option
        else:
            raise where.error("unknown volume option %r in %r" % (option, text))
    return volume


def _c_volumes(value, where, base_dir):
    if not isinstance(value, list):
        raise where.error("expected a list of volumes, got %s" % _kind(value))
    volumes = []
    for number, item in enumerate(value):
        here = where / number
        if isinstance(item, str):
            volume = parse_volume(item, here)
        else:
            check_keys(item, here, VOLUME_MOUNT_KEYS, VOLUME_MOUNT_UNSUPPORTED)
            volume = _strip_extensions(item)
            kind = volume.get("type")
            if kind not in ("bind", "volume", "tmpfs"):
                raise (here / "type").error("expected bind, volume or tmpfs, got %r" % (kind,))
            if not isinstance(volume.get("target"), str) or not volume["target"]:
                raise (here / "target").error("a mount needs a target path")
            volume["target"] = posixpath.normpath(volume["target"])
            if "read_only" in volume:
                volume["read_only"] = _boolean(volume["read_only"], here / "read_only")
            for key, keys, unsupported in (("bind", BIND_KEYS, BIND_UNSUPPORTED),
                                           ("volume", VOLUME_OPTION_KEYS, VOLUME_OPTION_UNSUPPORTED),
                                           ("tmpfs", TMPFS_KEYS, ())):
                if volume.get(key) is not None:
                    check_keys(volume[key], here / key, keys, unsupported)
            if kind == "bind" and not volume.get("source"):
                raise (here / "source").error("a bind mount needs a source path")
            if isinstance(volume.get("bind"), dict) and "create_host_path" not in volume["bind"]:
                volume["bind"] = dict(volume["bind"], create_host_path=True)
        if volume["type"] == "bind":
            volume["source"] = _abs_path(volume["source"], base_dir, here)
        volumes.append(volume)
    return volumes


def _c_networks(value, where, base_dir):
    if isinstance(value, list):
        return dict((_string(item, where / n), None) for n, item in enumerate(value))
    if not isinstance(value, dict):
        raise where.error("expected a list or a mapping of networks, got %s" % _kind(value))
    result = {}
    for key, item in value.items():
        if item is not None:
            check_keys(item, where / key, SERVICE_NETWORK_KEYS, SERVICE_NETWORK_UNSUPPORTED)
            item = _strip_extensions(item)
            if "aliases" in item:
                item["aliases"] = _string_list(item["aliases"], where / key / "aliases", single_ok=False)
        result[key] = item
    return result


def _c_depends_on(value, where, base_dir):
    if isinstance(value, list):
        return dict((_string(item, where / n), dict(condition="service_started", required=True))
                    for n, item in enumerate(value))
    if not isinstance(value, dict):
        raise where.error("expected a list or a mapping of services, got %s" % _kind(value))
    result = {}
    for key, item in value.items():
        here = where / key
        check_keys(item, here, DEPENDS_KEYS)
        entry = dict(condition=item.get("condition", "service_started"),
                     required=_boolean(item.get("required", True), here / "required"))
        if entry["condition"] not in DEPENDS_CONDITIONS:
            raise (here / "condition").error("expected one of %s, got %r" % (", ".join(DEPENDS_CONDITIONS), entry["condition"]))
        if "restart" in item:
            entry["restart"] = _boolean(item["restart"], here / "restart")
        result[key] = entry
    return result


def _c_healthcheck(value, where, base_dir):
    check_keys(value, where, HEALTHCHECK_KEYS, HEALTHCHECK_UNSUPPORTED)
    health = _strip_extensions(value)
    for key in ("interval", "timeout", "start_period"):
        if key in health:
            _duration(health[key], where / key)
    if "retries" in health:
        health["retries"] = _integer(health["retries"], where / "retries")
    if "disable" in health:
        health["disable"] = _boolean(health["disable"], where / "disable")
    test = health.get("test")
    if isinstance(test, str):
        health["test"] = ["CMD-SHELL", test]
    elif test is not None:
        test = _string_list(test, where / "test", single_ok=False)
        if not test or test[0] not in ("CMD", "CMD-SHELL", "NONE"):
            raise (where / "test").error('must start with "CMD", "CMD-SHELL" or "NONE", got %r' % (test,))
        health["test"] = test
    return health


def _c_extra_hosts(value, where, base_dir):
    if isinstance(value, dict):
        pairs = []
        for host, ips in value.items():
            for ip in (ips if isinstance(ips, list) else [ips]):
                pairs.append("%s=%s" % (host, _string(ip, where / host)))
        return pairs
    result = []
    for number, item in enumerate(_string_list(value, where, single_ok=False)):
        host, sep, ip = item.partition("=")
        if not sep:
            host, sep, ip = item.partition(":")
        if not sep or not host or not ip:
            raise (where / number).error("expected host=ip or host:ip, got %r" % item)
        result.append("%s=%s" % (host, ip.strip("[]")))
    return result


def _c_devices(value, where, base_dir):
    if not isinstance(value, list):
        raise where.error("expected a list of devices, got %s" % _kind(value))
    devices = []
    for number, item in enumerate(value):
        here = where / number
        if isinstance(item, dict):
            check_keys(item, here, DEVICE_KEYS)
            device = dict(source=_string(item.get("source"), here / "source"))
            device["target"] = _string(item.get("target") or device["source"], here / "target")
            device["permissions"] = _string(item.get("permissions") or "rwm", here / "permissions")
        else:
            parts = _string(item, here).split(":")
            if len(parts) == 2 and not parts[1].startswith("/"):
                parts = [parts[0], parts[0], parts[1]]
            if len(parts) > 3 or not parts[0]:
                raise here.error("invalid device %r (expected source[:target][:permissions])" % item)
            device = dict(source=parts[0], target=parts[1] if len(parts) > 1 and parts[1] else parts[0],
                          permissions=parts[2] if len(parts) > 2 else "rwm")
        devices.append(device)
    return devices


def _c_ulimits(value, where, base_dir):
    if not isinstance(value, dict):
        raise where.error("expected a mapping of ulimits, got %s" % _kind(value))
    result = {}
    for name, item in value.items():
        here = where / name
        if isinstance(item, dict):
            check_keys(item, here, ULIMIT_KEYS)
            result[name] = dict(soft=_integer(item.get("soft"), here / "soft"), hard=_integer(item.get("hard"), here / "hard"))
        else:
            result[name] = _integer(item, here)
    return result


def _c_logging(value, where, base_dir):
    check_keys(value, where, LOGGING_KEYS)
    logging = _strip_extensions(value)
    if logging.get("options") is not None:
        logging["options"] = _mapping_or_list(logging["options"], where / "options")
    return logging


def _c_deploy(value, where, base_dir):
    check_keys(value, where, DEPLOY_KEYS, DEPLOY_UNSUPPORTED)
    deploy = _strip_extensions(value)
    if deploy.get("mode") not in (None, "replicated"):
        raise (where / "mode").error("only replicated is supported by kapal.docker, got %r" % deploy["mode"])
    if "replicas" in deploy:
        deploy["replicas"] = _integer(deploy["replicas"], where / "replicas")
    resources = deploy.get("resources")
    if resources is not None:
        check_keys(resources, where / "resources", RESOURCES_KEYS)
        if resources.get("reservations"):
            raise (where / "resources" / "reservations").error("reservations is not supported by kapal.docker")
        if resources.get("limits") is not None:
            check_keys(resources["limits"], where / "resources" / "limits", LIMITS_KEYS, LIMITS_UNSUPPORTED)
            limits = _strip_extensions(resources["limits"])
            if "memory" in limits:
                _size(limits["memory"], where / "resources" / "limits" / "memory")
            deploy["resources"] = dict(_strip_extensions(resources), limits=limits)
    policy = deploy.get("restart_policy")
    if policy is not None:
        check_keys(policy, where / "restart_policy", RESTART_POLICY_KEYS, RESTART_POLICY_UNSUPPORTED)
    return deploy


def _c_file_mounts(value, where, base_dir):
    if not isinstance(value, list):
        raise where.error("expected a list, got %s" % _kind(value))
    result = []
    for number, item in enumerate(value):
        here = where / number
        if isinstance(item, str):
            item = dict(source=item)
        check_keys(item, here, FILE_MOUNT_KEYS, FILE_MOUNT_UNSUPPORTED)
        entry = dict((k, _string(v, here / k)) for k, v in _strip_extensions(item).items())
        if where.path.endswith(".secrets") and "target" not in entry:
            entry["target"] = "/run/secrets/" + entry.get("source", "")
        result.append(entry)
    return result


def _c_extends(value, where, base_dir):
    if isinstance(value, str):
        return dict(service=value)
    check_keys(value, where, EXTENDS_KEYS)
    extends = dict(service=_string(value.get("service"), where / "service"))
    if value.get("file") is not None:
        extends["file"] = _abs_path(_string(value["file"], where / "file"), base_dir, where / "file")
    return extends


def _c_restart(value, where, base_dir):
    text = _string(value, where)
    name, _sep, retries = text.partition(":")
    if name not in RESTART_POLICIES or (retries and (name != "on-failure" or not retries.isdigit())):
        raise where.error("expected no, always, on-failure[:retries] or unless-stopped, got %r" % text)
    return text


def _strings(value, where, base_dir):
    return _string_list(value, where)


def _bool_key(value, where, base_dir):
    return _boolean(value, where)


def _size_key(value, where, base_dir):
    _size(value, where)
    return value


def _duration_key(value, where, base_dir):
    _duration(value, where)
    return value


def _cpus_key(value, where, base_dir):
    try:
        cpus = float(value)
    except (TypeError, ValueError):
        cpus = -1.0
    if cpus < 0 or isinstance(value, bool):
        raise where.error("expected a number of CPUs such as 0.5 or 2, got %r" % (value,))
    return cpus


_SERVICE_CANONICAL = dict(
    build=_c_build,
    command=_c_command,
    entrypoint=_c_command,
    environment=lambda v, w, b: _mapping_or_list(v, w),
    labels=lambda v, w, b: _mapping_or_list(v, w),
    sysctls=lambda v, w, b: _mapping_or_list(v, w),
    env_file=_c_env_file,
    ports=_c_ports,
    expose=lambda v, w, b: [_string(item, w / n) for n, item in enumerate(v if isinstance(v, list) else [v])],
    volumes=_c_volumes,
    networks=_c_networks,
    depends_on=_c_depends_on,
    healthcheck=_c_healthcheck,
    extra_hosts=_c_extra_hosts,
    dns=_strings,
    dns_search=_strings,
    cap_add=_strings,
    cap_drop=_strings,
    tmpfs=_strings,
    profiles=_strings,
    devices=_c_devices,
    ulimits=_c_ulimits,
    logging=_c_logging,
    deploy=_c_deploy,
    secrets=_c_file_mounts,
    configs=_c_file_mounts,
    extends=_c_extends,
    restart=_c_restart,
    read_only=_bool_key,
    privileged=_bool_key,
    init=_bool_key,
    mem_limit=_size_key,
    shm_size=_size_key,
    stop_grace_period=_duration_key,
    cpus=_cpus_key,
    scale=lambda v, w, b: _integer(v, w),
    image=lambda v, w, b: _string(v, w),
    user=lambda v, w, b: _string(v, w),
    working_dir=lambda v, w, b: _string(v, w),
    hostname=lambda v, w, b: _string(v, w),
    domainname=lambda v, w, b: _string(v, w),
    container_name=lambda v, w, b: _string(v, w),
    stop_signal=lambda v, w, b: _string(v, w),
    network_mode=lambda v, w, b: _string(v, w),
    pid=lambda v, w, b: _string(v, w),
    pull_policy=lambda v, w, b: _string(v, w),
)


# -- the merged tree -> the frozen project -------------------------------------------------------

def build_project(tree, name, working_dir, config_files, origins, lookup, read_env_file, profiles=(), selected=(),
                  warnings=()):
    """The merged canonical tree -> Project (profiles applied, selection with dependencies, order).

    ``origins``: service name -> the file that last defined it (for messages); ``lookup``: the
    project environment; ``read_env_file(entry, service_env)`` -> the variables of one env_file.
    """
    files = ", ".join(config_files) or "definition"
    services = tree.get("services") or {}
    if not services:
        raise fail(files, "services", "the project defines no services")
    networks = _top_level(tree, "networks", name)
    volumes = _top_level(tree, "volumes", name)
    secrets = _top_level(tree, "secrets", name)
    configs = _top_level(tree, "configs", name)

    def origin(service):
        return origins.get(service, files)

    profiles = tuple(profiles)
    enabled = [s for s in services if _has_profile(services[s], profiles)]
    if selected:
        for wanted in selected:
            if wanted not in services:
                raise fail(files, "services", "no such service: %s" % wanted)
        extra = [p for s in selected if s not in enabled for p in services[s].get("profiles") or []]
        profiles = profiles + tuple(extra)
        enabled = [s for s in services if _has_profile(services[s], profiles)]
        enabled = _with_dependencies(selected, services, enabled)
    uses_default = False
    built = {}
    for service_name in enabled:
        raw = services[service_name]
        if "network_mode" not in raw and not raw.get("networks"):
            raw = dict(raw, networks={"default": None})
        if "default" in (raw.get("networks") or {}):
            uses_default = True
        built[service_name] = raw
    if uses_default and "default" not in networks:
        networks["default"] = Network(key="default", name="%s_default" % name, raw={})
    model = {}
    for service_name, raw in built.items():
        where = _Where(origin(service_name), "services.%s" % service_name)
        model[service_name] = _service(service_name, raw, where, lookup, read_env_file)
    _check_references(model, services, enabled, networks, volumes, secrets, configs, origin)
    order = dependency_order(model, files)
    return Project(
        name=name, working_dir=working_dir, config_files=tuple(config_files),
        services=dict((n, model[n]) for n in order), order=order,
        networks=networks, volumes=volumes, secrets=secrets, configs=configs,
        profiles=profiles, disabled=tuple(s for s in services if s not in model), warnings=tuple(warnings),
    )


def _has_profile(service, profiles):
    own = service.get("profiles") or []
    return not own or "*" in profiles or any(p in own for p in profiles)


def _with_dependencies(selected, services, enabled):
    keep = set()
    todo = list(selected)
    while todo:
        current = todo.pop()
        if current in keep or current not in services:
            continue
        keep.add(current)
        todo.extend(services[current].get("depends_on") or {})
    return [s for s in services if s in keep and (s in enabled or s in selected)]


def _top_level(tree, section, project):
    result = {}
    for key, entry in (tree.get(section) or {}).items():
        entry = entry or {}
        external = bool(entry.get("external"))
        name = entry.get("name") or (key if external else "%s_%s" % (project, key))
        if section == "networks":
            ipam = entry.get("ipam") or {}
            result[key] = Network(
                key=key, name=name, external=external, driver=entry.get("driver"),
                driver_opts=dict(entry.get("driver_opts") or {}), labels=dict(entry.get("labels") or {}),
                internal=bool(entry.get("internal")), attachable=bool(entry.get("attachable")),
                enable_ipv6=entry.get("enable_ipv6"), ipam_driver=ipam.get("driver"),
                ipam_config=tuple(dict(pool) for pool in ipam.get("config") or []), raw=entry,
            )
        elif section == "volumes":
            result[key] = Volume(key=key, name=name, external=external, driver=entry.get("driver"),
                                 driver_opts=dict(entry.get("driver_opts") or {}),
                                 labels=dict(entry.get("labels") or {}), raw=entry)
        else:
            result[key] = FileObject(key=key, name=name, file=entry.get("file"), external=external)
    return result


def _service(name, raw, where, lookup, read_env_file):
    """The canonical merged definition of one service -> Service (environment resolved)."""
    environment = {}
    given = dict(raw.get("environment") or {})
    for key, value in given.items():
        if value is None:
            value = lookup(key)
            given[key] = value
    for entry in raw.get("env_file") or []:
        environment.update(read_env_file(entry, given))
    environment.update(given)  # a variable without a value here unsets the env_file's, as in Compose
    raw = dict(raw)
    raw["environment"] = environment
    raw.pop("env_file", None)
    for key in ("labels", "sysctls"):  # string maps: a key without a value is ''
        if key in raw:
            raw[key] = dict((k, v or "") for k, v in raw[key].items())

    build = None
    if raw.get("build") is not None:
        spec = raw["build"]
        build = Build(context=spec.get("context") or ".", dockerfile=spec.get("dockerfile") or "Dockerfile",
                      args=dict((k, v if v is not None else lookup(k)) for k, v in (spec.get("args") or {}).items()
                                if v is not None or lookup(k) is not None),
                      target=spec.get("target"), labels=dict(spec.get("labels") or {}))
    if not raw.get("image") and build is None:
        raise where.error("the service has neither an image nor a build section")

    health = raw.get("healthcheck")
    healthcheck = None
    if health is not None:
        if health.get("disable"):
            healthcheck = Healthcheck(test=("NONE",))
        else:
            healthcheck = Healthcheck(
                test=tuple(health["test"]) if health.get("test") is not None else None,
                interval=_opt_duration(health, "interval", where), timeout=_opt_duration(health, "timeout", where),
                start_period=_opt_duration(health, "start_period", where), retries=health.get("retries"),
            )

    deploy = raw.get("deploy") or {}
    limits = (deploy.get("resources") or {}).get("limits") or {}
    memory = limits.get("memory", raw.get("mem_limit"))
    cpus = limits.get("cpus", raw.get("cpus"))
    restart = None
    if raw.get("restart"):
        policy, _sep, retries = raw["restart"].partition(":")
        restart = (policy, int(retries or 0))
    if deploy.get("restart_policy"):
        policy = deploy["restart_policy"]
        condition = {"none": "no", "any": "always"}.get(policy.get("condition"), policy.get("condition") or "always")
        restart = (condition, int(policy.get("max_attempts") or 0))
    scale = raw.get("scale", deploy.get("replicas", 1))
    if "scale" in raw and "replicas" in deploy and raw["scale"] != deploy["replicas"]:
        raise where.error("scale (%s) and deploy.replicas (%s) differ" % (raw["scale"], deploy["replicas"]))
    if raw.get("network_mode") and "networks" in raw and raw["networks"] != {"default": None}:
        raise (where / "network_mode").error("network_mode and networks cannot be given together")

    ulimits = {}
    for ulimit, value in (raw.get("ulimits") or {}).items():
        ulimits[ulimit] = (value["soft"], value["hard"]) if isinstance(value, dict) else (value, value)
    logging = raw.get("logging") or {}
    networks = []
    for key, config in (raw.get("networks") or {}).items():
        config = config or {}
        networks.append(ServiceNetwork(key=key, aliases=tuple(config.get("aliases") or ()),
                                       ipv4_address=config.get("ipv4_address"),
                                       priority=_integer(config.get("priority", 0), where / "networks" / key / "priority")))
    networks.sort(key=lambda n: (-n.priority, n.key))
    return Service(
        name=name, image=raw.get("image"), build=build,
        command=tuple(raw["command"]) if raw.get("command") is not None else None,
        entrypoint=tuple(raw["entrypoint"]) if raw.get("entrypoint") is not None else None,
        environment=dict((k, v) for k, v in raw["environment"].items() if v is not None),
        labels=dict(raw.get("labels") or {}),
        ports=tuple(PortSpec(target=p["target"], published=str(p.get("published") or ""), host_ip=p.get("host_ip") or "",
                             protocol=p.get("protocol") or "tcp") for p in raw.get("ports") or []),
        expose=tuple(raw.get("expose") or ()),
        volumes=tuple(_mount(v, where) for v in raw.get("volumes") or []),
        tmpfs=tuple(raw.get("tmpfs") or ()), networks=tuple(networks) if "network_mode" not in raw else (),
        network_mode=raw.get("network_mode"),
        depends_on=tuple(Dependency(service=s, condition=d.get("condition", "service_started"),
                                    required=d.get("required", True), restart=bool(d.get("restart", False)))
                         for s, d in sorted((raw.get("depends_on") or {}).items())),
        healthcheck=healthcheck, restart=restart, user=raw.get("user"), working_dir=raw.get("working_dir"),
        hostname=raw.get("hostname"), domainname=raw.get("domainname"),
        extra_hosts=tuple(tuple(h.split("=", 1)) for h in raw.get("extra_hosts") or []),
        dns=tuple(raw.get("dns") or ()), dns_search=tuple(raw.get("dns_search") or ()),
        cap_add=tuple(raw.get("cap_add") or ()), cap_drop=tuple(raw.get("cap_drop") or ()),
        devices=tuple("%s:%s:%s" % (d["source"], d["target"], d["permissions"]) for d in raw.get("devices") or []),
        ulimits=ulimits, sysctls=dict(raw.get("sysctls") or {}),
        read_only=raw.get("read_only"), privileged=raw.get("privileged"), init=raw.get("init"),
        stop_signal=raw.get("stop_signal"),
        stop_grace_period=_opt_duration(raw, "stop_grace_period", where),
        log_driver=logging.get("driver"), log_options=dict(logging.get("options") or {}),
        memory=_size(memory, where / "mem_limit") if memory is not None else None,
        cpus=float(cpus) if cpus is not None else None,
        shm_size=_size(raw["shm_size"], where / "shm_size") if raw.get("shm_size") is not None else None,
        pid=raw.get("pid"),
        secrets=tuple(_file_mount(s, "/run/secrets/") for s in raw.get("secrets") or []),
        configs=tuple(_file_mount(c, "/") for c in raw.get("configs") or []),
        container_name=raw.get("container_name"), profiles=tuple(raw.get("profiles") or ()),
        scale=scale, pull_policy=raw.get("pull_policy"), raw=raw,
    )


def _opt_duration(mapping, key, where):
    value = mapping.get(key)
    return _duration(value, where / key) if value is not None else None


def _file_mount(entry, base):
    target = entry.get("target") or entry["source"]
    return FileMount(source=entry["source"], target=target if target.startswith("/") else base + target)


def _mount(volume, where):
    bind = volume.get("bind") or {}
    tmpfs = volume.get("tmpfs") or {}
    return MountSpec(
        type=volume["type"], target=volume["target"], source=volume.get("source") or "",
        read_only=bool(volume.get("read_only")),
        create_host_path=_boolean(bind.get("create_host_path", True), where / "volumes"),
        selinux=bind.get("selinux") or "", propagation=bind.get("propagation") or "",
        nocopy=bool((volume.get("volume") or {}).get("nocopy")),
        tmpfs_size=_size(tmpfs["size"], where / "volumes") if tmpfs.get("size") is not None else None,
        tmpfs_mode=_integer(tmpfs["mode"], where / "volumes") if tmpfs.get("mode") is not None else None,
    )


def _check_references(model, services, enabled, networks, volumes, secrets, configs, origin):
    for name, service in model.items():
        where = _Where(origin(name), "services.%s" % name)
        for dependency in service.depends_on:
            if dependency.service not in services:
                raise (where / "depends_on").error("depends on undefined service %s" % dependency.service)
            if dependency.service not in model and dependency.required:
                raise (where / "depends_on").error(
                    "depends on service %s, which the active profiles do not enable" % dependency.service)
        for network in service.networks:
            if network.key not in networks:
                raise (where / "networks").error("refers to undefined network %s" % network.key)
        for mount in service.volumes:
            if mount.type == "volume" and mount.source and mount.source not in volumes:
                raise (where / "volumes").error("refers to undefined volume %s" % mount.source)
        for kind, defined, mounts in (("secret", secrets, service.secrets), ("config", configs, service.configs)):
            for mount in mounts:
                if mount.source not in defined:
                    raise (where / (kind + "s")).error("refers to undefined %s %s" % (kind, mount.source))
                if defined[mount.source].external or not defined[mount.source].file:
                    raise (where / (kind + "s")).error(
                        "%s %s: only %ss from a file are supported by kapal.docker" % (kind, mount.source, kind))
        for key in ("network_mode", "pid"):
            value = getattr(service, key)
            if value and value.startswith("service:") and value[len("service:"):] not in model:
                raise (where / key).error("refers to undefined service %s" % value[len("service:"):])


def dependency_order(services, files="project"):
    """Service names with every dependency before its dependents (ties by name); a cycle fails naming it.

    Dependencies are depends_on plus the services named by network_mode/pid ``service:<name>``.
    """
    graph = dict((name, sorted(service_dependencies(service, services))) for name, service in services.items())
    for name in sorted(graph):
        _find_cycle([name], graph, files)
    order = []
    placed = set()
    while len(order) < len(graph):
        ready = sorted(n for n in graph if n not in placed and all(d in placed for d in graph[n]))
        order.append(ready[0])
        placed.add(ready[0])
    return tuple(order)


def service_dependencies(service, services):
    """The names of ``services`` that ``service`` depends on (depends_on, and network_mode/pid ``service:``)."""
    names = set(d.service for d in service.depends_on if d.service in services)
    for value in (service.network_mode, service.pid):
        if value and value.startswith("service:") and value[len("service:"):] in services:
            names.add(value[len("service:"):])
    return names


def _find_cycle(path, graph, files):
    for child in graph[path[-1]]:
        if child in path:
            cycle = path[path.index(child):] + [child]
            raise fail(files, "depends_on", "dependency cycle: %s" % " -> ".join(cycle))
        _find_cycle(path + [child], graph, files)
