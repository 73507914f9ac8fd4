# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers and formatters for the values several modules share: ports, volumes, sizes, CPUs,
durations, string maps (labels, env, options), env files; and ``given_once``, the one check for a
key given more than once.

Every parser takes the option name for its message and raises KapalError naming the option and
the value it refused. Every parsed value is in the normalized form the option table compares. The
parsers that only the container option table uses are in ``_container/parsers.py``.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from dataclasses import dataclass
from decimal import Decimal

from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError

_PORT_NUMBERS = re.compile(r"^\d+(?:-\d+)?$")
_PROTOCOLS = ("tcp", "udp", "sctp")
# As `docker run --memory` reads sizes: binary units whatever the spelling (k, kb, KiB are all 1024).
_SIZE = re.compile(r"^(?P<number>\d+(?:\.\d+)?) ?(?:(?P<unit>[kmgtp])i?)?b?$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4, "p": 1024 ** 5}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)")
_DURATION_UNITS = {"h": 3600 * 10 ** 9, "m": 60 * 10 ** 9, "s": 10 ** 9, "ms": 10 ** 6, "us": 10 ** 3, "ns": 1}
_VOLUME_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
# The mode words `docker run -v` takes, by kind; at most one of each kind. The order of the kinds is
# the order of the normalized mode. Defaults (rw, the bind propagation rprivate, consistent) are
# dropped, and so is rbind, which Podman adds to what it reports: what is left compares equal.
_VOLUME_MODE_KINDS = (
    ("access", ("ro", "rw")),
    ("SELinux label", ("z", "Z")),
    ("propagation", ("rprivate", "private", "rshared", "shared", "rslave", "slave")),
    ("consistency", ("consistent", "cached", "delegated")),
    ("copy", ("nocopy",)),
)
_VOLUME_MODE_DEFAULTS = ("rw", "rprivate", "consistent")
# Words an engine reports that a task cannot give: Docker's rbind; Podman's rbind, nosuid and nodev
# (every volume it mounts, 'rw,rprivate,nosuid,nodev,rbind'; issue #13).
_VOLUME_MODE_REPORTED = ("rbind", "nosuid", "nodev")
# The engine keeps sizes and durations in signed 64-bit integers.
_INT64_MAX = 2 ** 63 - 1


@dataclass(frozen=True, order=True)
class Port:
    """One published port: container port/protocol, bound to host ip:port ('' = any / random)."""

    container_port: int
    protocol: str = "tcp"
    host_ip: str = ""
    host_port: str = ""

    @property
    def key(self):
        return "%d/%s" % (self.container_port, self.protocol)

    def __str__(self):
        if self.host_ip:
            ip = "[%s]" % self.host_ip if ":" in self.host_ip else self.host_ip
            return "%s:%s:%s" % (ip, self.host_port, self.key)
        if self.host_port:
            return "%s:%s" % (self.host_port, self.key)
        return self.key


def _port_range(text, option, value):
    first, _sep, last = text.partition("-")
    low, high = int(first), int(last or first)
    if not 0 < low <= high <= 65535:
        raise KapalError("%s: port out of range 1-65535 in %r" % (option, value))
    return list(range(low, high + 1))


def parse_port(value, option="published_ports"):
    """'[ip:][host_port[-end]:]container_port[-end][/proto]' -> a list of Port (ranges expanded)."""
    text = str(value).strip()
    bad = KapalError(
        "%s: invalid port %r (expected [ip:][host_port:]container_port[/tcp|udp], e.g. 8080:80 or 127.0.0.1:53:53/udp)"
        % (option, value)
    )
    rest, _sep, proto = text.partition("/")
    proto = proto or "tcp"
    ip = ""
    if rest.startswith("["):
        ip, sep, rest = rest[1:].partition("]:")
        if not sep:
            raise bad
        rest = ":" + rest if rest.count(":") == 0 else rest
    parts = rest.split(":")
    if len(parts) == 3 and not ip:
        ip = parts.pop(0)
        if not ip:
            raise bad
    elif len(parts) == 3 or len(parts) > 3:
        raise bad
    host, container = (parts if len(parts) == 2 else ("", parts[0]))
    if proto not in _PROTOCOLS or not _PORT_NUMBERS.match(container) or (host and not _PORT_NUMBERS.match(host)):
        raise bad
    if ip:
        # Never wider than asked: an address that is not one would be published on every interface.
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise KapalError("%s: invalid host IP address %r in %r (expected an IPv4 or IPv6 address, e.g. 127.0.0.1 or [::1])"
                             % (option, ip, value)) from None
    if re.match(r"^0+$", host):
        host = ""  # host port 0: a random free port, as when none is given
    container_ports = _port_range(container, option, value)
    if not host:
        return [Port(p, proto, ip, "") for p in container_ports]
    host_ports = _port_range(host, option, value)
    if len(host_ports) != len(container_ports):
        if len(container_ports) == 1:
            # A host range for one container port: the engine picks a free one from the range.
            return [Port(container_ports[0], proto, ip, host)]
        raise KapalError("%s: host and container port ranges differ in length in %r" % (option, value))
    return [Port(c, proto, ip, str(h)) for c, h in zip(container_ports, host_ports)]


def parse_ports(values, option="published_ports"):
    """A list of port specs -> the sorted, de-duplicated list of Port."""
    ports = set()
    for value in values:
        ports.update(parse_port(value, option))
    return sorted(ports)


def ports_from_bindings(bindings):
    """HostConfig.PortBindings from inspect -> the sorted list of Port."""
    ports = set()
    for key, binds in (bindings or {}).items():
        number, _sep, proto = key.partition("/")
        for bind in binds or [{}]:
            host_port = bind.get("HostPort") or ""
            host_port = "" if host_port == "0" else host_port  # 0 is a random port, as is none
            ports.add(Port(int(number), proto or "tcp", bind.get("HostIp") or "", host_port))
    return sorted(ports)


def ports_to_bindings(ports):
    """A list of Port -> (ExposedPorts, PortBindings) for the create call."""
    bindings = {}
    for port in ports:
        bindings.setdefault(port.key, []).append(dict(HostIp=port.host_ip, HostPort=port.host_port))
    return dict((key, {}) for key in bindings), bindings


@dataclass(frozen=True, order=True)
class Volume:
    """A volume: bind (source is an absolute host path), named (source is a name) or anonymous (no source).

    ``mode`` is normalized: ``rw`` or ``ro``, then the other mode words that are not defaults, in one
    order (``ro,z``, ``rw,rshared``, ``rw,nocopy``).
    """

    target: str
    source: str = ""
    mode: str = "rw"

    @property
    def anonymous(self):
        return not self.source

    @property
    def is_bind(self):
        return self.source.startswith("/")

    def bind(self):
        """The HostConfig.Binds entry (bind and named volumes only)."""
        words = self.mode.split(",")
        if words[0] == "rw":
            words = words[1:]
        return "%s:%s%s" % (self.source, self.target, ":" + ",".join(words) if words else "")

    def __str__(self):
        return self.target if self.anonymous else self.bind()


def _clean_path(path):
    return "/" + path.strip("/") if path != "/" else path


def _volume_mode(text, option, value, strict=True):
    """'z,ro' -> 'ro,z'; 'rw,rprivate' -> 'rw'. Strict (a task's value): unknown words and two words of
    one kind are refused, as `docker run -v` refuses them. Not strict (what an engine reports): words
    this module does not know are kept, so that they show as a difference, never as a failure."""
    words = [word for word in text.split(",") if word]
    chosen = {}
    unknown = []
    for word in words:
        kind = next((kind for kind, known in _VOLUME_MODE_KINDS if word in known), None)
        if kind is None:
            if strict:
                raise KapalError("%s: invalid mode %r in %r (expected ro or rw, z or Z, a propagation such as rshared, "
                                 "cached, delegated, consistent or nocopy, joined by commas)" % (option, word, value))
            if word not in _VOLUME_MODE_REPORTED:
                unknown.append(word)
            continue
        if kind in chosen and chosen[kind] != word:
            if strict:
                raise KapalError("%s: conflicting %s modes %r and %r in %r" % (option, kind, chosen[kind], word, value))
            unknown.append(word)
            continue
        chosen[kind] = word
    if not words and strict:
        raise KapalError("%s: empty mode in %r" % (option, value))
    normalized = [chosen.get("access", "rw")]
    for kind, _known in _VOLUME_MODE_KINDS[1:]:
        if kind in chosen and chosen[kind] not in _VOLUME_MODE_DEFAULTS:
            normalized.append(chosen[kind])
    return ",".join(normalized + sorted(set(unknown)))


def parse_volume(value, option="volumes", strict=True):
    """'host:/container[:mode]', 'name:/container[:mode]' or '/container' -> Volume.

    ``mode`` is ``docker run -v``'s: ro or rw, z or Z, a propagation (binds), cached, delegated or
    consistent, nocopy (named volumes), joined by commas. A relative host path is refused: a module
    cannot know the playbook's directory.
    """
    text = str(value).strip()
    parts = text.split(":")
    mode = "rw"
    if len(parts) == 3:
        mode = _volume_mode(parts.pop(), option, value, strict)
    if len(parts) == 1 and parts[0].startswith("/"):
        return Volume(target=_clean_path(parts[0]))
    if len(parts) != 2 or not parts[0] or not parts[1]:
        raise KapalError(
            "%s: invalid volume %r (expected /host/path:/container/path[:mode], name:/container/path[:mode] or /container/path)"
            % (option, value)
        )
    source, target = parts
    if not target.startswith("/"):
        raise KapalError("%s: container path %r in %r must be absolute" % (option, target, value))
    if source.startswith((".", "~")) or ("/" in source and not source.startswith("/")):
        example = "'{{ playbook_dir }}/%s'" % (source[2:] if source.startswith("./") else source)
        raise KapalError("%s: host path %r in %r is relative; give an absolute path%s" % (
            option, source, value, "" if source.startswith("~") else ", e.g. " + example))
    if not source.startswith("/") and not _VOLUME_NAME.match(source):
        raise KapalError("%s: %r in %r is neither an absolute host path nor a volume name" % (option, source, value))
    volume = Volume(target=_clean_path(target), source=_clean_path(source) if source.startswith("/") else source, mode=mode)
    words = mode.split(",")
    if strict and volume.is_bind and "nocopy" in words:
        raise KapalError("%s: nocopy is for named volumes, not the bind mount of %s in %r" % (option, source, value))
    if strict and not volume.is_bind and set(words) & set(_VOLUME_MODE_KINDS[2][1]):
        raise KapalError("%s: a propagation mode is for bind mounts, not the volume %s in %r" % (option, source, value))
    return volume


def parse_volumes(values, option="volumes", strict=True):
    volumes = sorted(set(parse_volume(v, option, strict) for v in values))
    given_once(option, [v.target for v in volumes], "container path %r")
    return volumes


def given_once(option, keys, what="%r"):
    """Refuse the first of ``keys`` that is there more than once (a container path, a network, a
    name): '<option>: <what % key> is given more than once'."""
    keys = list(keys)
    for key in keys:
        if keys.count(key) > 1:
            raise KapalError("%s: %s is given more than once" % (option, what % (key,)))


def parse_size(value, option="memory"):
    """'512m', '1g', '1.5G', '1GiB', '64mb', '1024' (bytes) -> bytes as an int (every unit is binary)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise KapalError("%s: expected a size such as 512m or 1g, got %r" % (option, value))
        return value
    match = _SIZE.match(str(value).strip())
    if not match:
        raise KapalError("%s: expected a size such as 512m or 1g, got %r" % (option, value))
    size = int(Decimal(match.group("number")) * _SIZE_UNITS[(match.group("unit") or "").lower()])
    if size > _INT64_MAX:
        raise KapalError("%s: size %r is too large" % (option, value))
    return size


def format_size(size):
    """Bytes -> the shortest exact form: 536870912 -> '512m'."""
    if size is None:
        return None
    for unit in ("t", "g", "m", "k"):
        factor = _SIZE_UNITS[unit]
        if size and size % factor == 0:
            return "%d%s" % (size // factor, unit)
    return str(size)


def parse_cpus(value, option="cpus"):
    """'1.5' or 1.5 -> NanoCpus (1500000000); 0 is no limit."""
    try:
        cpus = float(value)
    except (TypeError, ValueError):
        cpus = -1.0
    if not 0 <= cpus < 2 ** 32 or isinstance(value, bool):
        raise KapalError("%s: expected a number of CPUs such as 0.5 or 2 (0 for no limit), got %r" % (option, value))
    nano = int(round(cpus * 10 ** 9))
    if nano == 0 and cpus > 0:  # 0 NanoCpus is "no limit": never what a tiny positive number meant
        raise KapalError("%s: %r is too small a number of CPUs" % (option, value))
    return nano


def parse_duration(value, option="duration"):
    """'30s', '1m30s', '500ms', 90 (seconds) -> nanoseconds as an int."""
    bad = KapalError("%s: expected a duration such as 30s or 1m30s, got %r" % (option, value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0 or (isinstance(value, float) and not math.isfinite(value)):
            raise bad
        nanoseconds = int(Decimal(value) * 10 ** 9) if isinstance(value, int) else int(Decimal(repr(value)) * 10 ** 9)
    else:
        text = str(value).strip()
        if re.match(r"^\d+(?:\.\d+)?$", text):
            nanoseconds = int(Decimal(text) * 10 ** 9)
        else:
            parts = _DURATION_PART.findall(text)
            if not text or "".join(n + u for n, u in parts) != text:
                raise bad
            # Decimal, not float: '0.000977537s' is exactly 977537 nanoseconds.
            nanoseconds = int(sum(Decimal(number) * _DURATION_UNITS[unit] for number, unit in parts))
    if nanoseconds > _INT64_MAX:
        raise KapalError("%s: duration %r is too long" % (option, value))
    return nanoseconds


def format_duration(nanoseconds):
    """Nanoseconds -> '1m30s' (the Go form, for people)."""
    if not nanoseconds:
        return "0s"
    seconds, rest = divmod(int(nanoseconds), 10 ** 9)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    text = ("%dh" % hours if hours else "") + ("%dm" % minutes if minutes else "")
    if seconds or rest:
        text += ("%d" % seconds + (".%09d" % rest).rstrip("0") if rest else "%d" % seconds) + "s"
    return text


class Duration(int):
    """Nanoseconds that show as Go writes durations ('10s', '1m30s'): what diffs and results show.

    An int: it compares, hashes and serializes as the number the engine keeps.
    """

    def __str__(self):
        return format_duration(self)

    __repr__ = __str__


def string_value(option, key, value):
    """One value of a string map (env, labels, log options, sysctls, driver options, build args).

    The one rule for every map the engine keeps as strings: a string stays as it is; a boolean
    becomes ``true`` or ``false`` (as YAML spells it, whatever Python's ``str`` says); an integer
    or a float becomes its decimal text (``3``, ``0.5``); None (a key with no value) is refused, as
    is a list or a dictionary: write ``''`` for an empty value.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    if value is None:
        raise KapalError("%s: %s has no value (write '' for an empty value)" % (option, map_key(key)))
    raise KapalError("%s: value of %s must be a string, number or boolean, got %r" % (option, map_key(key), value))


def string_map(option, mapping):
    """A task's dictionary as the engine's string map (see ``string_value``); None stays None."""
    if mapping is None:
        return None
    if not isinstance(mapping, dict):
        raise KapalError("%s: expected a dictionary, got %r" % (option, mapping))
    return dict((str(key), string_value(option, key, value)) for key, value in mapping.items())


def map_key(key):
    """A dict key for a message: as it is when it is plain, quoted when it holds spaces or control characters."""
    text = str(key)
    return text if text and text.isprintable() and not any(c.isspace() for c in text) else repr(text)


def parse_env_file(path, option="env_file", environ=None):
    """A file of environment variables, read as `docker run --env-file` reads it -> dict.

    Leading white space of a line is dropped; blank lines and lines starting with # are skipped.
    ``NAME=value`` keeps the value exactly (trailing spaces too, only a line's final CR goes); a bare
    ``NAME`` takes the value from the environment this runs in (``environ``, by default the module's
    own), and is skipped when that has no such variable. A name with white space in it is refused.
    """
    environ = os.environ if environ is None else environ
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise KapalError("%s: cannot read %s: %s" % (option, path, (exc.strerror or str(exc)).lower())) from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    env = {}
    for number, raw in enumerate(data.split(b"\n"), 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise KapalError("%s: line %d of %s is not UTF-8" % (option, number, path)) from None
        line = line[:-1] if line.endswith("\r") else line
        line = line.lstrip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not name:
            raise KapalError("%s: line %d of %s has no variable name: %r" % (option, number, path, line))
        if any(c.isspace() for c in name):
            raise KapalError("%s: variable name %r on line %d of %s contains white space" % (option, name, number, path))
        if sep:
            env[name] = value
        elif name in environ:
            env[name] = environ[name]
    return env


def env_to_dict(env_list):
    """Config.Env (['K=v', ...]) -> dict."""
    result = {}
    for item in env_list or []:
        key, _sep, value = item.partition("=")
        result[key] = value
    return result


def env_to_list(env):
    return ["%s=%s" % (key, value) for key, value in sorted(env.items())]
