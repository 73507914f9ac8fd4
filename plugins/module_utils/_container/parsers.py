# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The parsers of the option table's rows that only containers use: a task's value -> the option's
normalized value, or a KapalError naming the option and the value it refused.

Commands, mounts, the healthcheck, networks, the restart policy, capabilities, devices, ulimits,
tmpfs, PID mode, DNS and /etc/hosts entries, exposed ports, and the control option ``pull``; and
the rules across options (``on-failure:3``, what the engine refuses together). Values that other
modules share (ports, volumes, sizes, durations, string maps, env files) are parsed in ``_parse``.
A few of these also normalize what the engine reports (``capability``, ``parse_device``,
``host_entry``, ``health_field``), so that both sides compare in one form.
"""

from __future__ import annotations

import ipaddress
import re
import shlex

from ansible.module_utils.parsing.convert_bool import BOOLEANS_FALSE, BOOLEANS_TRUE

from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError
from ansible_collections.kapal.docker.plugins.module_utils._image_transfer import PULL_POLICIES
from ansible_collections.kapal.docker.plugins.module_utils._parse import (
    Duration,
    given_once,
    parse_duration,
    parse_port,
    parse_size,
    string_map,
)
from ansible_collections.kapal.docker.plugins.module_utils._reference import ImageRef

RESTART_POLICIES = ("no", "on-failure", "always", "unless-stopped")
HEALTH_KEYS = ("Test", "Interval", "Timeout", "Retries", "StartPeriod", "StartInterval")
_HEALTH_DURATIONS = ("Interval", "Timeout", "StartPeriod", "StartInterval")
_RESTART_POLICY = re.compile(r"^(?P<name>[a-z-]+)(?::(?P<retries>\d+))?$")
_CAPABILITY = re.compile(r"^[A-Z][A-Z0-9_]*$")
_ULIMIT_NAME = re.compile(r"^[a-z]+$")


# -- command, image, maps, mounts ------------------------------------------------------------------

def argv(option):
    """A command as a string (split as a shell would) or a list -> the argument list."""
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


def string_map_of(option):
    """The parser of a map option: see _parse.string_map."""
    return lambda value: string_map(option, value)


def parse_image(value):
    ImageRef.parse(value, "image")
    return value


def parse_mounts(values):
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


# -- healthcheck, networks, restart policy ---------------------------------------------------------

def health_field(key, value):
    """One healthcheck field in its normalized form: durations as Duration (shown as '10s'), 0 for unset."""
    if key == "Test":
        return list(value) if value else None
    return Duration(value or 0) if key in _HEALTH_DURATIONS else (value or 0)


def parse_healthcheck(value):
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
    for key, name in (("Interval", "interval"), ("Timeout", "timeout"), ("StartPeriod", "start_period"),
                      ("StartInterval", "start_interval")):
        given = value.get(name)
        result[key] = health_field(key, parse_duration(given, "healthcheck.%s" % name) if given is not None else 0)
    result["Retries"] = value.get("retries") or 0
    return result


def parse_networks(values):
    networks = []
    for item in values:
        if not item.get("name"):
            raise KapalError("networks: every network needs a name, got %r" % (item,))
        networks.append(dict(name=item["name"], aliases=sorted(item.get("aliases") or []),
                             ipv4_address=item.get("ipv4_address") or None))
    given_once("networks", [n["name"] for n in networks], "network %r")
    return networks


def parse_restart_policy(value):
    """'no', 'on-failure', 'always', 'unless-stopped' ('on-failure:3' is split by split_restart_policy)."""
    text = str(value)
    if text.lower() in ("false", "no"):  # YAML's unquoted no arrives as a boolean
        return "no"
    if text not in RESTART_POLICIES:
        raise KapalError("restart_policy: expected no, on-failure[:max-retries], always or unless-stopped, got %r" % (value,))
    return text


def parse_restart_retries(value):
    retries = int(value)
    if retries < 0:
        raise KapalError("restart_retries: expected a number of restarts, 0 or more, got %r" % (value,))
    return retries


def split_restart_policy(params):
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


def check_together(values, params):
    """Options the engine refuses in some combinations: refused before anything is asked."""
    retries, policy = values.get("restart_retries"), values.get("restart_policy")
    if retries and policy != "on-failure":
        raise KapalError("restart_retries: %d needs restart_policy on-failure, got %s" % (
            retries, "no restart_policy" if policy is None else repr(params.get("restart_policy"))))
    if values.get("auto_remove") and policy not in (None, "no"):
        raise KapalError("auto_remove: cannot be used with restart_policy %r (the engine removes the container when it "
                         "stops)" % (params.get("restart_policy"),))


# -- network mode, stop signal, privileges and kernel resources ------------------------------------

def parse_network_mode(value):
    """'default' is the engine's name for its default network, bridge, which is what it reports."""
    value = str(value)
    return "bridge" if value == "default" else value


# Linux's signal numbers (x86, arm): an engine may report a stop signal by number (Podman: 10, 15).
_SIGNAL_NAMES = dict(enumerate((
    "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1",
    "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP",
    "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",
    "SIGIO", "SIGPWR", "SIGSYS"), start=1))


def parse_stop_signal(value):
    """'usr1', 'SIGUSR1' or 10 -> 'SIGUSR1' (a number without a name, e.g. a real-time signal, stays a number)."""
    value = str(value).strip().upper()
    if value.isdigit():
        return _SIGNAL_NAMES.get(int(value), value)
    return value if value.startswith("SIG") else "SIG" + value


def capability(option, value):
    name = str(value).strip().upper()
    if name != "ALL" and not name.startswith("CAP_"):
        name = "CAP_" + name
    if not _CAPABILITY.match(name):
        raise KapalError("%s: invalid capability %r (expected a name such as NET_ADMIN or ALL)" % (option, value))
    return name


def capabilities(option):
    """['net_admin', 'CAP_SYS_TIME'] -> ['CAP_NET_ADMIN', 'CAP_SYS_TIME']: one spelling, sorted, no duplicates."""
    def parse(values):
        return sorted(set(capability(option, value) for value in values))
    return parse


def parse_device(value):
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


def parse_devices(values):
    devices = [parse_device(value) for value in values]
    given_once("devices", [device.split(":")[1] for device in devices], "container path %r")
    return sorted(devices)


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


def parse_ulimits(values):
    ulimits = [_parse_ulimit(value) for value in values]
    given_once("ulimits", [ulimit.split(":")[0] for ulimit in ulimits], "%s")
    return sorted(ulimits)


def parse_tmpfs(values):
    """['/run', '/tmp:size=64m,mode=1777'] -> {'/run': '', '/tmp': 'size=64m,mode=1777'}."""
    entries = [str(value).partition(":")[::2] for value in values]
    for (path, _options), value in zip(entries, values):
        if not path.startswith("/"):
            raise KapalError("tmpfs: invalid tmpfs %r (expected /container/path[:options])" % (value,))
    given_once("tmpfs", [path for path, _options in entries], "container path %r")
    return dict(entries)


def parse_pid_mode(value):
    value = str(value)
    if value not in ("", "host") and not (value.startswith("container:") and len(value) > len("container:")):
        raise KapalError("pid_mode: invalid PID mode %r (expected host or container:<name|id>)" % (value,))
    return value


def parse_shm_size(value):
    size = parse_size(value, "shm_size")
    if not size:
        raise KapalError("shm_size: expected a size above 0 such as 64m or 1g, got %r" % (value,))
    return size


# -- DNS, /etc/hosts, exposed ports, pull ----------------------------------------------------------

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


def parse_dns_servers(values):
    return [_ip_address("dns_servers", value) for value in values]


def words(option):
    """A list of plain words (DNS search domains, resolver options): as given, in order."""
    def parse(values):
        words = [str(value).strip() for value in values]
        for word, value in zip(words, values):
            if not word or any(c.isspace() for c in word):
                raise KapalError("%s: invalid entry %r (expected one word, no white space)" % (option, value))
        return words
    return parse


def host_entry(option, value, strict=True):
    """'name:ip' or 'name=ip' -> 'name:ip' (IPv6 addresses keep their colons)."""
    text = str(value).strip()
    name, sep, ip = text.partition("=") if "=" in text else text.partition(":")
    if not strict:
        return "%s:%s" % (name, ip[1:-1] if ip.startswith("[") and ip.endswith("]") else ip)
    if not sep or not name or any(c.isspace() for c in name):
        raise KapalError("%s: invalid host entry %r (expected name:ip, e.g. db.local:10.0.0.5)" % (option, value))
    return "%s:%s" % (name, _ip_address(option, ip, also=("host-gateway",)))


def parse_etc_hosts(value):
    """{name: ip} or ['name:ip', ...] -> the sorted list of 'name:ip' (as HostConfig.ExtraHosts holds them)."""
    if isinstance(value, dict):
        entries = []
        for name, ip in value.items():
            if not isinstance(ip, (str, int)) or isinstance(ip, bool):
                raise KapalError("etc_hosts: the address of %s must be an IP address, got %r" % (name, ip))
            entries.append(host_entry("etc_hosts", "%s:%s" % (name, ip)))
    elif isinstance(value, (list, tuple)):
        entries = [host_entry("etc_hosts", item) for item in value]
    else:
        raise KapalError("etc_hosts: expected a dictionary of name: ip or a list of name:ip, got %r" % (value,))
    return sorted(set(entries))


def parse_exposed_ports(values):
    """['80', '53/udp', '9000-9001'] -> ['53/udp', '80/tcp', '9000/tcp', '9001/tcp'] (sorted by port)."""
    keys = set()
    for value in values:
        if ":" in str(value):
            raise KapalError("exposed_ports: invalid port %r (expected port[-end][/tcp|udp|sctp]; publish with "
                             "published_ports)" % (value,))
        keys.update(port.key for port in parse_port(value, "exposed_ports"))
    return sorted_ports(keys)


def sorted_ports(keys):
    return sorted(keys, key=lambda key: (int(key.split("/")[0]), key))


def parse_pull(value):
    """The ``pull`` option: missing|always|never, or community.docker's true (always) and false (missing)."""
    if isinstance(value, str) and value in PULL_POLICIES:
        return value
    if value in BOOLEANS_TRUE:
        return "always"
    if value in BOOLEANS_FALSE:
        return "missing"
    raise KapalError("pull: expected missing, always, never, true (always) or false (missing), got %r" % (value,))
