# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""THE table of container options: each option's whole story in one row of ``OPTIONS``.

A row says how the option is given (its argument spec), how a task value becomes the normalized
value (``parse``, from ``parsers`` or ``_parse``), how that value is read back from ``docker
inspect`` (``read``), how it goes into the create call (``write``, into an Engine API create body:
Config fields at the top level, ``HostConfig``, ``NetworkingConfig``), what a container made from
a given image holds for it (``expect``, e.g. ``env`` merged over the image's ENV as the engine
merges it), what it holds when the option is not given (``default``) and what a recreate carries
over from the old container (``carry``), how it is compared by default, and which engine update
fields change it live. Below the rows' small readers and writers of the engine's shapes; after the
table, what is derived from it: the argument spec, ``parse_options`` and ``resolve_comparisons``.

Option names follow community.docker's docker_container where the concept is the same; the names of
``docker run`` and Compose are aliases (``dns``, ``extra_hosts``, ``expose``), so that a task ports by
renaming its module.

The modules' argument specs, the documentation check, the diff and the planner all come from
``OPTIONS``. A value of None means "not given, leave it as it is": only given options are compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Optional

from ansible_collections.kapal.docker.plugins.module_utils._container.parsers import (
    HEALTH_KEYS,
    argv,
    capabilities,
    capability,
    check_together,
    health_field,
    host_entry,
    parse_device,
    parse_devices,
    parse_dns_servers,
    parse_etc_hosts,
    parse_exposed_ports,
    parse_healthcheck,
    parse_image,
    parse_mounts,
    parse_network_mode,
    parse_networks,
    parse_pid_mode,
    parse_restart_policy,
    parse_restart_retries,
    parse_shm_size,
    parse_stop_signal,
    parse_tmpfs,
    parse_ulimits,
    sorted_ports,
    split_restart_policy,
    string_map_of,
    words,
)
from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError
from ansible_collections.kapal.docker.plugins.module_utils._parse import (
    Volume,
    env_to_dict,
    env_to_list,
    parse_cpus,
    parse_env_file,
    parse_ports,
    parse_size,
    parse_volumes,
    ports_from_bindings,
    ports_to_bindings,
)

COMPARISONS = ("strict", "ignore", "allow_more_present")
STATES = ("started", "present", "stopped", "absent")
WAIT_STATES = ("running", "healthy")
MOUNT_TYPES = ("bind", "volume", "tmpfs")
MUTUALLY_EXCLUSIVE = (("networks", "network_mode"),)
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
class ApiNeed:
    """What of an option an engine older than Engine API ``api`` cannot do: ``what`` names it as the
    task does (``healthcheck.start_interval``); ``uses(normalized value)`` says whether a value asks
    for it (none: any value of the option does). ``podman``: False where Podman's compatible API does
    not implement it, whatever API version it reports (it takes the field and drops it). The module
    docs of the option say "Needs Docker API ``api`` or later", and "Podman does not implement it"
    where it does not (a unit test holds them to it)."""

    what: str
    api: str
    uses: Optional[Callable[[Any], bool]] = None
    podman: bool = True


@dataclass(frozen=True)
class Option:
    """One container option; ``parse``, ``read``, ``expect`` and ``default`` agree on one normalized form.

    - ``spec``: its argument spec entry (the module's and every ``containers`` item's).
    - ``parse(task value)`` -> the normalized value (KapalError naming the option on bad input).
    - ``read(container inspect)`` -> the container's value; ``write(create body, value)``. An option
      without ``read`` is never compared (``env_file``); one without ``write`` is never carried.
    - ``expect(value, Context)`` -> what a container made for the task holds, e.g. with the image's
      part merged in (none: the value itself).
    - ``default(Context)`` -> what a container holds when the option is not given, from the Context's
      image (on a recreate: the old container's image), the task's values and the current container;
      None: unknown. ``engine_default``: the ``docker info`` field holding the engine's own default
      when ``default`` gives none (e.g. ``LoggingDriver``).
    - ``carry``: how a recreate that is not given the option keeps the old container's value, measured
      against the default: ``difference`` (list items and dictionary keys the default does not hold; a
      scalar unless it equals the default), ``whole`` (the whole value unless it is empty or equals
      the default) or ``never``. With the default unknown, the whole value is kept.
    - ``compare``: the comparison mode unless ``comparisons`` says otherwise.
    - ``live``: the engine update fields that change it in place; ``live_if(value)``: whether the
      engine can change it in place to that value (none: always).
    - ``merge_into``: the parsed value is merged under that option's (env_file under env).
    - ``container_ref``: a value ``container:<name>`` names another container, which the engine stores
      as ``container:<id>`` (resolved against the engine before planning).
    - ``podman_reports``: False where Podman's compatible API does not report what it was given
      (log options, sysctls, dropped capabilities, device permissions, the domain name, mounts): on a
      Podman container what it reports is what is expected, so the task stays idempotent there, and a
      change of that option alone is not seen (issue #13).
    - ``min_api``: the ApiNeeds of its parts that need an Engine API newer than the collection's
      minimum (1.41): a task that gives one fails before anything is done on an older engine.
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
    default: Optional[Callable[[Context], Any]] = None
    carry: str = "difference"
    engine_default: Optional[str] = None
    merge_into: Optional[str] = None
    container_ref: bool = False
    podman_reports: bool = True
    min_api: tuple = ()

    def expected(self, value, image, values=None, current=None):
        """What a container created with ``value`` from ``image`` (an inspect answer) holds, the task
        giving ``values`` for the container ``current`` (None: a new one)."""
        if not self.podman_reports and made_by_podman(current):
            return self.read(current)
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


# -- small readers and writers of the create body and the inspect answer ---------------------------

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


# -- what engines report differently (issue #13) ---------------------------------------------------
#
# Podman's Docker-compatible API reports a container in Docker's shape, with Podman's own defaults
# filled in (environment, ulimits, healthcheck timeout, stop signal...) and some fields in its own
# spelling. The readers below read both; what Podman fills in that the task did not give is the
# engine's, not the user's: it is expected where the task gives the option and not carried over by
# a recreate where it does not. Each case is pinned by tests/unit/plugins/module_utils/
# test_engine_quirks.py with the engine's real inspect answer.

# What Podman puts into the environment that neither the image nor the task set.
_PODMAN_ENV = ("container", "HOSTNAME", "HOME", "TERM", "PATH")
# The annotations Podman (5.8) gives every container (from its stop signal and timeout).
_PODMAN_ANNOTATIONS = ("io.container.manager", "org.opencontainers.image.stopSignal", "org.systemd.property.KillSignal",
                       "org.systemd.property.TimeoutStopUSec")
# The mount options Podman reports for every volume and tmpfs that `docker run` cannot be given.
_PODMAN_TMPFS_OPTIONS = ("rw", "rprivate", "nosuid", "nodev", "tmpcopyup")
_PODMAN_DEFAULT_NETWORK = "podman"
# Podman's /dev/shm without shm_size (62.5 MiB; Docker: 64 MiB) and its stop timeouts (4.3 reports 0).
_PODMAN_SHM_SIZE = 65536000
_PODMAN_STOP_TIMEOUTS = (0, 10)
# Docker's and Podman's healthcheck defaults: an engine may report them (Podman's timeout) or not.
_HEALTH_DEFAULTS = dict(Interval=30 * 10 ** 9, Timeout=30 * 10 ** 9, Retries=3, StartPeriod=0)


def made_by_podman(inspect):
    """Is ``inspect`` (a container's inspect answer, or None) Podman's? Its compatible API names the
    runtime ``oci`` (Docker: the runtime's own name, runc) and sets container=podman in the environment."""
    if not inspect:
        return False
    return _host(inspect, "Runtime") == "oci" or "container=podman" in (_cfg(inspect, "Env") or [])


def _podman_fills(context, option, names):
    """{key: value} that Podman filled into the current container's ``option`` (a dict by key, read by
    the option's reader) for the ``names`` the task does not give; {} for other engines."""
    if not made_by_podman(context.current):
        return {}
    given = context.values.get(option) or {}
    actual = OPTION_BY_NAME[option].read(context.current)
    return dict((key, value) for key, value in actual.items() if key in names and key not in given)


# -- command and mounts ----------------------------------------------------------------------------

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


# -- volumes: binds and named volumes in HostConfig.Binds, anonymous ones in Config.Volumes --------

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


def _default_env(context):
    """The image's environment, with what Podman adds to it (container=podman, HOSTNAME, HOME...)."""
    env = _podman_fills(context, "env", _PODMAN_ENV)
    env.update(env_to_dict(_image_cfg(context.image, "Env")))
    return env


# -- ports -----------------------------------------------------------------------------------------

def _podman_any_address(ports, inspect):
    """Podman 5 reports a port published on every address ('') as bound to 0.0.0.0 (Podman 4 and
    Docker: ''): on Podman the two are one."""
    if not made_by_podman(inspect):
        return list(ports)
    return sorted(replace(port, host_ip="") if port.host_ip == "0.0.0.0" else port for port in ports)


def _read_ports(inspect):
    return _podman_any_address(ports_from_bindings(_host(inspect, "PortBindings")), inspect)


def _write_ports(body, ports):
    exposed, bindings = ports_to_bindings(ports)
    body.setdefault("ExposedPorts", {}).update(exposed)
    _set_host(body, "PortBindings", bindings)


# -- healthcheck -----------------------------------------------------------------------------------

def _health_field(key, value):
    """A field at the engines' default (30s, 30s, 3 retries, no start period) is the same as none:
    Podman reports its timeout where Docker reports nothing."""
    return health_field(key, None if value == _HEALTH_DEFAULTS.get(key) else value)


def _read_healthcheck(inspect):
    health = _cfg(inspect, "Healthcheck") or {}
    return dict((key, _health_field(key, health.get(key))) for key in HEALTH_KEYS)


def _expect_healthcheck(value, image):
    base = _image_cfg(image, "Healthcheck") or {}
    if value["Test"] == ["NONE"]:
        return dict(value)
    return dict((key, _health_field(key, value[key] or base.get(key))) for key in HEALTH_KEYS)


def _write_healthcheck(body, value):
    body["Healthcheck"] = dict((key, item if key == "Test" else int(item)) for key, item in value.items() if item)


# -- networks: the first one goes into the create call, the others are connected after -------------

def _engine_aliases(inspect):
    """The names Docker adds to a container's aliases on a user network by itself: its short id and its
    hostname (20.10 stores them in the endpoint's Aliases; 26 reports them in DNSNames instead, and keeps
    them in the Aliases of the containers an older engine made). They are the engine's, never the task's."""
    return set(name for name in ((inspect.get("Id") or "")[:12], _cfg(inspect, "Hostname")) if name)


def _read_networks(inspect):
    mode = _host(inspect, "NetworkMode") or ""
    if mode in _BUILTIN_NETWORK_MODES or mode.startswith("container:"):
        return []
    added = _engine_aliases(inspect)
    networks = []
    for name, endpoint in sorted(((inspect.get("NetworkSettings") or {}).get("Networks") or {}).items()):
        endpoint = endpoint or {}
        networks.append(dict(
            name=name,
            aliases=sorted(a for a in endpoint.get("Aliases") or [] if a not in added),
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


def _expect_networks(networks, current):
    """A task's alias that is the container's hostname is there whether given or not: not compared."""
    added = _engine_aliases(current or {})
    return [dict(network, aliases=[a for a in network["aliases"] if a not in added]) for network in networks]


def _default_networks(context):
    """The engine's default network: bridge (Podman's is named podman)."""
    name = _PODMAN_DEFAULT_NETWORK if made_by_podman(context.current) else "bridge"
    return [dict(name=name, aliases=[], ipv4_address=None)]


def networks_to_connect(networks):
    """(name, endpoint config) for every network after the first: connected after the create call."""
    return [(network["name"], _endpoint(network)) for network in (networks or [])[1:]]


# -- restart policy, resources, logging ------------------------------------------------------------

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


def _read_network_mode(inspect):
    """Podman reports NetworkMode bridge for a container on a network of its own: its one network."""
    mode = _host(inspect, "NetworkMode")
    if mode in (None, "", "default"):
        return "bridge"
    networks = list(((inspect.get("NetworkSettings") or {}).get("Networks") or {}))
    if mode == "bridge" and made_by_podman(inspect) and len(networks) == 1 and networks[0] != _PODMAN_DEFAULT_NETWORK:
        return networks[0]
    return mode


def _read_hostname(inspect):
    """The host name the container was given; None when it is the engine's (its short id, or the host's)."""
    hostname = _cfg(inspect, "Hostname")
    if hostname == (inspect.get("Id") or "")[:12] or _host(inspect, "NetworkMode") == "host":
        return None
    return hostname


def _default_stop_timeout(context):
    """Docker reports no stop timeout where none was given; Podman its default, 10 (4.3: 0)."""
    timeout = _cfg(context.current or {}, "StopTimeout")
    return timeout if made_by_podman(context.current) and timeout in _PODMAN_STOP_TIMEOUTS else None


def _signal(value):
    """A stop signal as the engine reports it (Podman: a number, '10') -> its name; None for none."""
    return parse_stop_signal(value) if value else None


def _default_stop_signal(context):
    """The image's stop signal; where it sets none, Docker reports none and Podman SIGTERM (15)."""
    image = _signal(_image_cfg(context.image, "StopSignal"))
    return image or ("SIGTERM" if made_by_podman(context.current) else None)


# -- privileges and kernel resources: capabilities, devices, ulimits, tmpfs, pid mode --------------

_DEFAULT_SHM_SIZE = 64 * 1024 ** 2  # what the engine gives a container that asks for no size


def _read_capabilities(key):
    return lambda i: sorted(set(capability(key, value) for value in _host(i, key) or []))


def _read_devices(inspect):
    devices = []
    for device in _host(inspect, "Devices") or []:
        host = device.get("PathOnHost") or ""
        container = device.get("PathInContainer") or host
        devices.append(parse_device("%s:%s:%s" % (host, container, device.get("CgroupPermissions") or "rwm")))
    return sorted(devices)


def _write_devices(body, devices):
    _set_host(body, "Devices", [dict(zip(("PathOnHost", "PathInContainer", "CgroupPermissions"), d.split(":")))
                                for d in devices])


def _ulimit_name(name):
    """Podman names a ulimit RLIMIT_NOFILE (and refuses that name in a create call); Docker: nofile."""
    name = (name or "").lower()
    return name[len("rlimit_"):] if name.startswith("rlimit_") else name


def _read_ulimits(inspect):
    return sorted("%s:%d:%d" % (_ulimit_name(u.get("Name")), u.get("Soft") or 0, u.get("Hard") or 0)
                  for u in _host(inspect, "Ulimits") or [])


def _expect_ulimits(value, context):
    """The ulimits given, and the ones Podman set from its defaults (containers.conf) for the others."""
    given = set(ulimit.split(":")[0] for ulimit in value)
    filled = [u for u in _read_ulimits(context.current) if u.split(":")[0] not in given] \
        if made_by_podman(context.current) else []
    return sorted(list(value) + filled)


def _write_ulimits(body, ulimits):
    entries = []
    for ulimit in ulimits:
        name, soft, hard = ulimit.split(":")
        entries.append(dict(Name=name, Soft=int(soft), Hard=int(hard)))
    _set_host(body, "Ulimits", entries)


def _podman_tmpfs(tmpfs, inspect):
    """Podman adds its mount options (rw,rprivate,nosuid,nodev,tmpcopyup) to every tmpfs: on Podman,
    those are left out of what is given and of what it reports."""
    if not made_by_podman(inspect):
        return dict(tmpfs)
    return dict((path, ",".join(o for o in options.split(",") if o and o not in _PODMAN_TMPFS_OPTIONS))
                for path, options in tmpfs.items())


def _read_tmpfs(inspect):
    return _podman_tmpfs(_host(inspect, "Tmpfs") or {}, inspect)


# -- exposed ports, retry counts -------------------------------------------------------------------

def _image_exposed(image):
    return set(_image_cfg(image, "ExposedPorts") or {})


def _expect_exposed_ports(value, context):
    """The ports given, the image's EXPOSEd ones and every published one (given, or carried over)."""
    published = context.values.get("published_ports")
    if published is None:
        published = ports_from_bindings(_host(context.current or {}, "PortBindings"))
    return sorted_ports(set(value) | _image_exposed(context.image) | set(port.key for port in published))


def _default_retries(context):
    """A retry count belongs to on-failure: a task that sets another policy keeps none (0 is written)."""
    if context.values.get("restart_policy", "on-failure") != "on-failure":
        return (_host(context.current or {}, "RestartPolicy") or {}).get("MaximumRetryCount") or 0
    return 0


def _default_exposed_ports(context):
    """What the old container exposes without exposed_ports: its image's and its published ports."""
    return sorted_ports(_image_exposed(context.image) | set(
        port.key for port in ports_from_bindings(_host(context.current or {}, "PortBindings"))))


OPTIONS = (
    Option(
        "image", dict(type="str"), parse=parse_image,
        read=lambda i: i.get("Image"),
        write=lambda body, value: _set_cfg(body, "Image", value), carry="never",
        expect=lambda value, context: context.image.get("Id") or "%s (not present yet)" % value,
    ),
    Option(
        "command", dict(type="raw"), parse=argv("command"),
        read=lambda i: _cfg(i, "Cmd") or [],
        write=lambda body, value: _set_cfg(body, "Cmd", value),
        expect=_expect_command,
        default=lambda context: _image_cfg(context.image, "Cmd") or [],
    ),
    Option(
        "entrypoint", dict(type="raw"), parse=argv("entrypoint"),
        read=lambda i: _cfg(i, "Entrypoint"),
        write=lambda body, value: _set_cfg(body, "Entrypoint", value),
        default=lambda context: _image_cfg(context.image, "Entrypoint") or ([] if made_by_podman(context.current) else None),
    ),
    Option(
        "env", dict(type="dict"), parse=string_map_of("env"),
        read=lambda i: env_to_dict(_cfg(i, "Env")),
        write=lambda body, value: _set_cfg(body, "Env", env_to_list(value)),
        expect=lambda value, context: dict(_default_env(context), **value),
        default=_default_env,
    ),
    Option(
        "env_file", dict(type="path"), parse=parse_env_file, read=None, write=None, merge_into="env",
    ),
    Option(
        "published_ports", dict(type="list", elements="str", aliases=["ports"]), parse=parse_ports,
        read=_read_ports, write=_write_ports, default=lambda context: [],
        expect=lambda value, context: _podman_any_address(value, context.current),
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
        )), parse=parse_mounts, read=_read_mounts, write=_write_mounts,
        default=lambda context: [],
        podman_reports=False,
    ),
    Option(
        "labels", dict(type="dict"), parse=string_map_of("labels"),
        read=lambda i: dict(_cfg(i, "Labels") or {}),
        write=lambda body, value: _set_cfg(body, "Labels", dict(value)),
        expect=lambda value, context: dict(_image_cfg(context.image, "Labels") or {}, **value),
        default=lambda context: dict(_image_cfg(context.image, "Labels") or {}),
    ),
    Option(
        "annotations", dict(type="dict"), parse=string_map_of("annotations"),
        read=lambda i: dict(_host(i, "Annotations") or {}),
        write=lambda body, value: _set_host(body, "Annotations", dict(value)),
        expect=lambda value, context: dict(_podman_fills(context, "annotations", _PODMAN_ANNOTATIONS), **value),
        default=lambda context: _podman_fills(context, "annotations", _PODMAN_ANNOTATIONS),
        min_api=(ApiNeed("annotations", "1.43"),),
    ),
    Option(
        "restart_policy", dict(type="str"), parse=parse_restart_policy,
        read=lambda i: (_host(i, "RestartPolicy") or {}).get("Name") or "no",
        write=_write_restart("Name"), live=("RestartPolicy",), default=lambda context: "no",
    ),
    Option(
        "restart_retries", dict(type="int"), parse=parse_restart_retries,
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
            start_interval=dict(type="str"),
        )), parse=parse_healthcheck, read=_read_healthcheck, write=_write_healthcheck,
        expect=lambda value, context: _expect_healthcheck(value, context.image),
        default=lambda context: _read_healthcheck(context.image),
        # Podman 5.8 reports API 1.44 and drops StartInterval from the create call.
        min_api=(ApiNeed("healthcheck.start_interval", "1.44", lambda value: bool(value.get("StartInterval")), podman=False),),
    ),
    Option(
        "networks", dict(type="list", elements="dict", options=dict(
            name=dict(type="str", required=True),
            aliases=dict(type="list", elements="str"),
            ipv4_address=dict(type="str"),
        )), parse=parse_networks, read=_read_networks, write=_write_networks,
        expect=lambda value, context: _expect_networks(value, context.current),
        default=_default_networks, carry="whole",
    ),
    Option(
        "network_mode", dict(type="str"), parse=parse_network_mode, read=_read_network_mode,
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
        default=lambda context: _image_cfg(context.image, "WorkingDir") or ("/" if made_by_podman(context.current) else ""),
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
        "log_options", dict(type="dict"), parse=string_map_of("log_options"),
        read=_read_log_options, write=_write_log_options, default=lambda context: {}, podman_reports=False,
    ),
    Option(
        "stop_signal", dict(type="str"), parse=parse_stop_signal,
        read=lambda i: _signal(_cfg(i, "StopSignal")),
        write=lambda body, value: _set_cfg(body, "StopSignal", value),
        default=_default_stop_signal,
    ),
    Option(
        "stop_timeout", dict(type="int"), parse=int,
        read=lambda i: _cfg(i, "StopTimeout"),
        write=lambda body, value: _set_cfg(body, "StopTimeout", value),
        default=_default_stop_timeout,
    ),
    Option(
        "privileged", dict(type="bool"), parse=bool,
        read=lambda i: bool(_host(i, "Privileged")),
        write=lambda body, value: _set_host(body, "Privileged", value), default=lambda context: False,
    ),
    Option(
        "capabilities", dict(type="list", elements="str"), parse=capabilities("capabilities"),
        read=_read_capabilities("CapAdd"),
        write=lambda body, value: _set_host(body, "CapAdd", list(value)), default=lambda context: [],
    ),
    Option(
        "cap_drop", dict(type="list", elements="str"), parse=capabilities("cap_drop"),
        read=_read_capabilities("CapDrop"),
        write=lambda body, value: _set_host(body, "CapDrop", list(value)), default=lambda context: [],
        podman_reports=False,
    ),
    Option(
        "devices", dict(type="list", elements="str"), parse=parse_devices,
        read=_read_devices, write=_write_devices, default=lambda context: [],
        podman_reports=False,
    ),
    Option(
        "ulimits", dict(type="list", elements="str"), parse=parse_ulimits,
        read=_read_ulimits, write=_write_ulimits, default=lambda context: [], expect=_expect_ulimits,
    ),
    Option(
        "tmpfs", dict(type="list", elements="str"), parse=parse_tmpfs,
        read=_read_tmpfs, expect=lambda value, context: _podman_tmpfs(value, context.current),
        write=lambda body, value: _set_host(body, "Tmpfs", dict(value)), default=lambda context: {},
    ),
    Option(
        "read_only", dict(type="bool"), parse=bool,
        read=lambda i: bool(_host(i, "ReadonlyRootfs")),
        write=lambda body, value: _set_host(body, "ReadonlyRootfs", value), default=lambda context: False,
    ),
    Option(
        "sysctls", dict(type="dict"), parse=string_map_of("sysctls"),
        read=lambda i: dict(_host(i, "Sysctls") or {}),
        write=lambda body, value: _set_host(body, "Sysctls", dict(value)), default=lambda context: {},
        podman_reports=False,
    ),
    Option(
        "pid_mode", dict(type="str"), parse=parse_pid_mode,
        read=lambda i: "" if _host(i, "PidMode") in (None, "private") else _host(i, "PidMode"),
        write=lambda body, value: _set_host(body, "PidMode", value), default=lambda context: "",
        container_ref=True,
    ),
    Option(
        "shm_size", dict(type="str"), parse=parse_shm_size,
        read=lambda i: _host(i, "ShmSize") or _DEFAULT_SHM_SIZE,
        write=lambda body, value: _set_host(body, "ShmSize", value),
        default=lambda context: _PODMAN_SHM_SIZE if made_by_podman(context.current) else _DEFAULT_SHM_SIZE,
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
        podman_reports=False,
    ),
    Option(
        "dns_servers", dict(type="list", elements="str", aliases=["dns"]), parse=parse_dns_servers,
        read=lambda i: list(_host(i, "Dns") or []),
        write=lambda body, value: _set_host(body, "Dns", list(value)), default=lambda context: [],
    ),
    Option(
        "dns_search_domains", dict(type="list", elements="str", aliases=["dns_search"]),
        parse=words("dns_search_domains"),
        read=lambda i: list(_host(i, "DnsSearch") or []),
        write=lambda body, value: _set_host(body, "DnsSearch", list(value)), default=lambda context: [],
    ),
    Option(
        "dns_opts", dict(type="list", elements="str", aliases=["dns_option", "dns_opt"]), parse=words("dns_opts"),
        read=lambda i: list(_host(i, "DnsOptions") or []),
        write=lambda body, value: _set_host(body, "DnsOptions", list(value)), default=lambda context: [],
    ),
    Option(
        "etc_hosts", dict(type="raw", aliases=["extra_hosts"]), parse=parse_etc_hosts,
        read=lambda i: sorted(set(host_entry("etc_hosts", entry, strict=False) for entry in _host(i, "ExtraHosts") or [])),
        write=lambda body, value: _set_host(body, "ExtraHosts", list(value)), default=lambda context: [],
    ),
    Option(
        "exposed_ports", dict(type="list", elements="str", aliases=["exposed", "expose"]), parse=parse_exposed_ports,
        read=lambda i: sorted_ports(_cfg(i, "ExposedPorts") or {}),
        write=lambda body, value: body.setdefault("ExposedPorts", {}).update((key, {}) for key in value),
        expect=_expect_exposed_ports, default=_default_exposed_ports,
    ),
)

OPTION_BY_NAME = dict((option.name, option) for option in OPTIONS)
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


def parse_options(params):
    """Task values (None = not given) -> {name: normalized value} for the given options only."""
    params = split_restart_policy(params)
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
    check_together(values, params)
    return values


def api_needs(values):
    """The ApiNeeds that the normalized ``values`` (of the given options) ask for: beyond the
    collection's minimum API, or not on Podman; in the table's order."""
    return [need for option in OPTIONS if option.name in values for need in option.min_api
            if need.uses is None or need.uses(values[option.name])]


def resolve_comparisons(given=None):
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
