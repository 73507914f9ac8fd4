# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compose's ``com.docker.compose.config-hash``: SHA-256 of the service as Go's JSON encoder writes it.

The Compose CLI hashes its ServiceConfig struct (build, pull_policy, scale, deploy.replicas,
depends_on and profiles left out) after it has resolved the environment (env_file read into
environment). This file writes the same JSON for the keys kapal reads: the fields in the
struct's order, Go's ``omitempty``, maps with sorted keys, sizes as quoted byte counts, durations
in Go's form (``1m30s``), CPUs as a float32, and Go's HTML-safe string escapes. The field order is
the one of compose-go v2.9 (Compose 2.40); values kapal refuses never reach it.
"""

from __future__ import annotations

import hashlib
import json
import struct

from ansible_collections.kapal.docker.plugins.module_utils._parse import parse_duration, parse_size

# ServiceConfig's JSON fields in struct order (those kapal reads): name -> encoder.
_SERVICE_FIELDS = (
    "cap_add", "cap_drop", "cpus", "command", "configs", "container_name", "deploy", "devices", "dns",
    "dns_search", "domainname", "entrypoint", "environment", "expose", "extra_hosts", "hostname", "healthcheck",
    "image", "init", "labels", "logging", "mem_limit", "network_mode", "networks", "pid", "ports", "privileged",
    "read_only", "restart", "secrets", "shm_size", "stop_grace_period", "stop_signal", "sysctls", "tmpfs",
    "ulimits", "user", "volumes", "working_dir",
)
_ALWAYS = ("command", "entrypoint")  # no omitempty in compose-go: null when not given


def _float32(value):
    return struct.unpack("f", struct.pack("f", float(value)))[0]


def go_float32(value):
    """A float32 as Go's encoding/json writes it (the shortest digits that read back the same)."""
    value = _float32(value)
    if value == int(value) and abs(value) < 1e21:
        return "%d" % value
    for precision in range(1, 18):
        text = "%.*g" % (precision, value)
        if _float32(float(text)) == value:
            break
    if "e" in text:
        mantissa, exponent = text.split("e")
        if -7 < int(exponent) < 21:
            text = format(float(text), "f").rstrip("0").rstrip(".")
        else:
            text = "%se%s%02d" % (mantissa, exponent[0], abs(int(exponent)))
    return text


def go_duration(nanoseconds):
    """Go's time.Duration.String(): 1h0m0s, 1m30s, 1.5s, 500ms, 0s."""
    if nanoseconds == 0:
        return "0s"
    sign = "-" if nanoseconds < 0 else ""
    nanoseconds = abs(nanoseconds)
    if nanoseconds < 10 ** 9:
        for unit, size in (("ms", 10 ** 6), ("\u00b5s", 10 ** 3), ("ns", 1)):
            if nanoseconds >= size:
                whole, rest = divmod(nanoseconds, size)
                digits = len(str(size)) - 1
                fraction = ("%0*d" % (digits, rest)).rstrip("0") if digits else ""
                return "%s%d%s%s" % (sign, whole, "." + fraction if fraction else "", unit)
    seconds, rest = divmod(nanoseconds, 10 ** 9)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    fraction = ("%09d" % rest).rstrip("0")
    text = "%d%ss" % (seconds, "." + fraction if fraction else "")
    if hours:
        return "%s%dh%dm%s" % (sign, hours, minutes, text)
    if minutes:
        return "%s%dm%s" % (sign, minutes, text)
    return sign + text


class _Raw(str):
    """Already encoded JSON (a float32, a quoted size)."""


class _Obj(list):
    """A JSON object as (key, value) pairs in struct order; a struct is emitted even when empty."""


def _size(value):
    return '"%d"' % parse_size(value)


def _duration(value):
    return go_duration(parse_duration(value))


def _obj(pairs):
    """An ordered JSON object from (key, value) pairs with Go's omitempty: None, '', 0, False and empty
    maps and lists are left out; structs (_Obj) and pre-encoded values (_Raw) never are."""
    return _Obj((k, v) for k, v in pairs
                if isinstance(v, (_Obj, _Raw)) or v not in (None, "", 0, False, {}, []))


def _port(port):
    return _obj([("name", port.get("name")), ("mode", port.get("mode")), ("host_ip", port.get("host_ip")),
                 ("target", port.get("target")), ("published", str(port.get("published") or "")),
                 ("protocol", port.get("protocol")), ("app_protocol", port.get("app_protocol"))])


def _volume(volume):
    pairs = [("type", volume.get("type")), ("source", volume.get("source")), ("target", volume.get("target")),
             ("read_only", bool(volume.get("read_only")))]
    if volume.get("bind") is not None:
        bind = volume["bind"]
        pairs.append(("bind", _Obj(_obj([("selinux", bind.get("selinux")), ("propagation", bind.get("propagation")),
                                         ("create_host_path", bool(bind.get("create_host_path")))]))))
    if volume.get("volume") is not None:
        pairs.append(("volume", _Obj(_obj([("nocopy", bool(volume["volume"].get("nocopy")))]))))
    if volume.get("tmpfs") is not None:
        tmpfs = volume["tmpfs"]
        pairs.append(("tmpfs", _Obj(_obj([("size", _Raw(_size(tmpfs["size"])) if tmpfs.get("size") else None),
                                          ("mode", tmpfs.get("mode"))]))))
    return _obj(pairs)


def _healthcheck(health):
    return _Obj(_obj([
        ("test", health.get("test")),
        ("timeout", _duration(health["timeout"]) if health.get("timeout") is not None else None),
        ("interval", _duration(health["interval"]) if health.get("interval") is not None else None),
        ("retries", _Raw(str(health["retries"])) if health.get("retries") is not None else None),
        ("start_period", _duration(health["start_period"]) if health.get("start_period") is not None else None),
        ("disable", bool(health.get("disable"))),
    ]))


def _deploy(deploy):
    resources = deploy.get("resources") or {}
    limits = resources.get("limits")
    resource_pairs = []
    if limits is not None:
        resource_pairs.append(("limits", _Obj(_obj([
            ("cpus", _Raw(go_float32(limits["cpus"])) if limits.get("cpus") and float(limits["cpus"]) else None),
            ("memory", _Raw(_size(limits["memory"])) if limits.get("memory") and parse_size(limits["memory"]) else None),
        ]))))
    pairs = [("mode", deploy.get("mode")), ("resources", _Obj(resource_pairs))]
    policy = deploy.get("restart_policy")
    if policy is not None:
        attempts = policy.get("max_attempts")
        pairs.append(("restart_policy", _Obj(_obj([
            ("condition", policy.get("condition")),
            ("max_attempts", _Raw(str(int(attempts))) if attempts is not None else None)]))))
    pairs.append(("placement", _Obj([])))
    return _Obj(_obj(pairs))


def _network(config):
    if config is None:
        return None
    return _Obj(_obj([("aliases", config.get("aliases")), ("ipv4_address", config.get("ipv4_address")),
                      ("priority", config.get("priority"))]))


def _ulimit(value):
    if isinstance(value, dict):
        return _Obj(_obj([("soft", value.get("soft")), ("hard", value.get("hard"))]))
    return value


def _file_mount(entry):
    return _obj([("source", entry.get("source")), ("target", entry.get("target"))])


def _extra_hosts(pairs):
    return sorted(pairs)


_ENCODERS = dict(
    cpus=lambda v: _Raw(go_float32(v)) if float(v) else None,
    command=lambda v: v,
    entrypoint=lambda v: v,
    configs=lambda v: [_file_mount(c) for c in v],
    secrets=lambda v: [_file_mount(c) for c in v],
    deploy=_deploy,
    devices=lambda v: [_obj([("source", d["source"]), ("target", d["target"]), ("permissions", d["permissions"])])
                       for d in v],
    extra_hosts=_extra_hosts,
    healthcheck=_healthcheck,
    init=lambda v: _Raw("true" if v else "false"),
    logging=lambda v: _Obj(_obj([("driver", v.get("driver")), ("options", v.get("options"))])),
    mem_limit=lambda v: _Raw(_size(v)) if parse_size(v) else None,
    shm_size=lambda v: _Raw(_size(v)) if parse_size(v) else None,
    networks=lambda v: dict((k, _network(c)) for k, c in v.items()),
    ports=lambda v: [_port(p) for p in v],
    volumes=lambda v: [_volume(x) for x in v],
    stop_grace_period=_duration,
    ulimits=lambda v: dict((k, _ulimit(x)) for k, x in v.items()),
)


def service_json(raw):
    """The JSON text the Compose CLI hashes for a service (``raw``: Service.raw)."""
    pairs = []
    for name in _SERVICE_FIELDS:
        value = raw.get(name)
        if value is None and name not in _ALWAYS:
            continue
        encoder = _ENCODERS.get(name)
        if encoder is not None and value is not None:
            value = encoder(value)
        pairs.append((name, value))
    kept = set(k for k, _v in _obj(pairs)) | set(_ALWAYS)
    return _encode(_Obj((k, v) for k, v in pairs if k in kept))


def _encode(value):
    if isinstance(value, _Raw):
        return str(value)
    if isinstance(value, _Obj):
        return "{%s}" % ",".join("%s:%s" % (_string(k), _encode(v)) for k, v in value)
    if isinstance(value, dict):
        return "{%s}" % ",".join("%s:%s" % (_string(k), _encode(value[k])) for k in sorted(value))
    if isinstance(value, (list, tuple)):
        return "[%s]" % ",".join(_encode(item) for item in value)
    if isinstance(value, str):
        return _string(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def _string(text):
    """A JSON string as Go writes it: <, > and & escaped, U+2028/2029 escaped, UTF-8 kept."""
    encoded = json.dumps(text, ensure_ascii=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        encoded = encoded.replace(char, escape)
    return encoded


def service_hash(service):
    """com.docker.compose.config-hash of a Service (its ``raw`` canonical definition)."""
    return hashlib.sha256(service_json(service.raw).encode("utf-8")).hexdigest()
