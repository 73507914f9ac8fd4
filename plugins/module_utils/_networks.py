# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Networks: facts, what differs from what is wanted, and making it so (``network_task``, the task
of the module network).

The engine cannot change a network: any difference means removing and creating it again,
which needs its containers disconnected first and reconnected after (only with ``force``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError
from ansible_collections.kapal.docker.plugins.module_utils._parse import string_map

try:
    from docker.types import IPAMConfig, IPAMPool
except ImportError:  # reported by engine_module through missing_required_lib
    IPAMConfig = IPAMPool = None

# The options compared with an existing network, in the order differences are named.
COMPARED = ("driver", "driver_options", "labels", "ipam_config", "internal", "attachable", "enable_ipv6")


@dataclass
class NetworkSpec:
    """The network wanted; ``None`` for an option means "whatever it has" (or the engine's default)."""

    name: str
    driver: str | None = None
    driver_options: dict | None = None
    labels: dict | None = None
    ipam_config: list | None = None
    internal: bool | None = None
    attachable: bool | None = None
    enable_ipv6: bool | None = None
    force: bool = False


@dataclass
class NetworkPlan:
    """What to do: ``action`` is one of none, create, recreate, remove; ``reasons`` the options that differ."""

    action: str
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    reasons: list = field(default_factory=list)

    @property
    def changed(self):
        return self.action != "none"


def network_facts(inspect):
    """The comparable facts of a network, from its inspect answer ({} for no network)."""
    if inspect is None:
        return {}
    pools = (inspect.get("IPAM") or {}).get("Config") or []
    return dict(
        name=inspect["Name"],
        driver=inspect.get("Driver"),
        driver_options=dict(inspect.get("Options") or {}),
        labels=dict(inspect.get("Labels") or {}),
        ipam_config=sorted(
            (dict(subnet=p.get("Subnet"), gateway=p.get("Gateway") or None, iprange=p.get("IPRange") or None) for p in pools),
            key=lambda p: p["subnet"] or "",
        ),
        internal=bool(inspect.get("Internal")),
        attachable=bool(inspect.get("Attachable")),
        enable_ipv6=bool(inspect.get("EnableIPv6")),
    )


def _network(value, what):
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError:
        try:
            loose = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise KapalError("ipam_config: invalid %s %r (expected a CIDR such as 10.10.0.0/24)" % (what, value)) from None
        raise KapalError("ipam_config: %s %r has host bits set (did you mean %s?)" % (what, value, loose)) from None


def ipam_pools(entries):
    """The ipam_config entries, validated and in a canonical form (sorted by subnet); none is the engine's choice."""
    if not entries:
        return None
    pools = []
    for entry in entries:
        subnet = _network(entry["subnet"], "subnet")
        pool = dict(subnet=str(subnet), gateway=None, iprange=None)
        if entry.get("iprange"):
            iprange = _network(entry["iprange"], "iprange")
            if iprange.version != subnet.version or not iprange.subnet_of(subnet):
                raise KapalError("ipam_config: iprange %r is not inside subnet %s" % (entry["iprange"], subnet))
            pool["iprange"] = str(iprange)
        if entry.get("gateway"):
            try:
                gateway = ipaddress.ip_address(entry["gateway"])
            except ValueError:
                raise KapalError("ipam_config: invalid gateway %r (expected an IP address)" % entry["gateway"]) from None
            if gateway not in subnet:
                raise KapalError("ipam_config: gateway %r is not inside subnet %s" % (entry["gateway"], subnet))
            pool["gateway"] = str(gateway)
        pools.append(pool)
    return sorted(pools, key=lambda p: p["subnet"])


def network_spec(params):
    """A NetworkSpec from the module's options, validated."""
    return NetworkSpec(
        name=params["name"],
        driver=params["driver"],
        driver_options=string_map("driver_options", params["driver_options"]),
        labels=string_map("labels", params["labels"]),
        ipam_config=ipam_pools(params["ipam_config"]),
        internal=params["internal"],
        attachable=params["attachable"],
        enable_ipv6=params["enable_ipv6"],
        force=params["force"],
    )


def _ipam_matches(current, wanted):
    """Same subnets and ranges; a gateway is compared only where one is wanted."""
    if len(current) != len(wanted):
        return False
    for have, want in zip(current, wanted):
        if (have["subnet"], have["iprange"]) != (want["subnet"], want["iprange"]):
            return False
        if want["gateway"] and have["gateway"] != want["gateway"]:
            return False
    return True


def differences(current, spec):
    """The options given in ``spec`` whose value differs from the network's facts."""
    changed = []
    for name in COMPARED:
        wanted = getattr(spec, name)
        if wanted is None:
            continue
        same = _ipam_matches(current[name], wanted) if name == "ipam_config" else current[name] == wanted
        if not same:
            changed.append(name)
    return changed


def wanted_facts(current, spec):
    """What the network will be: the given options, else the current network's, else the engine's defaults."""
    defaults = dict(driver="bridge", driver_options={}, labels={}, ipam_config=[], internal=False, attachable=False,
                    enable_ipv6=False)
    after = dict(name=spec.name)
    for name in COMPARED:
        wanted = getattr(spec, name)
        after[name] = wanted if wanted is not None else current.get(name, defaults[name])
    return after


def plan(current, spec, state):
    """The plan for ``state``: create, recreate (with the options that differ), remove, or none."""
    if state == "absent":
        return NetworkPlan("remove" if current else "none", current, {})
    if not current:
        return NetworkPlan("create", {}, wanted_facts({}, spec))
    reasons = differences(current, spec)
    if not reasons:
        return NetworkPlan("none", current, current)
    return NetworkPlan("recreate", current, wanted_facts(current, spec), reasons)


@dataclass
class Endpoint:
    """A container's connection to the network, enough to make it again."""

    container: str
    name: str
    aliases: list
    ipv4_address: str | None
    ipv6_address: str | None


def attached(engine, inspect):
    """The endpoints of every container (running or not) connected to the network, by container name."""
    with engine.call("list containers on network %s" % inspect["Name"]):
        # By name as well as id: a container never started has no network id on its endpoint yet.
        summaries = engine.api.containers(all=True, filters={"network": [inspect["Name"], inspect["Id"]]})
    endpoints = []
    for summary in summaries:
        container = engine.inspect("container", summary["Id"])
        settings = (((container or {}).get("NetworkSettings") or {}).get("Networks") or {}).get(inspect["Name"])
        if settings is None:  # removed, or disconnected, since the listing
            continue
        ipam = settings.get("IPAMConfig") or {}
        endpoints.append(Endpoint(
            container=container["Id"],
            name=container["Name"].lstrip("/"),
            aliases=[a for a in settings.get("Aliases") or [] if a != container["Id"][:12]],
            ipv4_address=ipam.get("IPv4Address") or None,
            ipv6_address=ipam.get("IPv6Address") or None,
        ))
    return sorted(endpoints, key=lambda e: e.name)


def _attached_phrase(endpoints):
    names = ", ".join(e.name for e in endpoints)
    return ("containers %s are attached" if len(endpoints) > 1 else "container %s is attached") % names


def refuse_unless_forced(spec, todo, endpoints):
    """A one-line failure when attached containers stand in the way and ``force`` is off."""
    if not endpoints or spec.force:
        return
    if todo.action == "remove":
        raise KapalError("name: cannot remove network %r: %s (force: true disconnects them first)"
                         % (spec.name, _attached_phrase(endpoints)))
    raise KapalError(
        "%s: network %r must be recreated to change %s, but %s (force: true disconnects, recreates and reconnects them)"
        % (todo.reasons[0], spec.name, ", ".join(todo.reasons), _attached_phrase(endpoints))
    )


def _create(engine, after):
    ipam = None
    if after["ipam_config"]:
        ipam = IPAMConfig(pool_configs=[IPAMPool(subnet=p["subnet"], gateway=p["gateway"], iprange=p["iprange"])
                                        for p in after["ipam_config"]])
    with engine.call("create network %s" % after["name"]):
        engine.api.create_network(
            after["name"], driver=after["driver"], options=after["driver_options"] or None, ipam=ipam,
            internal=after["internal"], labels=after["labels"] or None, enable_ipv6=after["enable_ipv6"],
            attachable=after["attachable"] or None,
        )


def _remove(engine, inspect, endpoints):
    for endpoint in endpoints:
        with engine.call("disconnect container %s from network %s" % (endpoint.name, inspect["Name"])):
            engine.api.disconnect_container_from_network(endpoint.container, inspect["Id"], force=True)
    with engine.call("remove network %s" % inspect["Name"]):
        engine.api.remove_network(inspect["Id"])


def _reconnect(engine, name, endpoints):
    for endpoint in endpoints:
        with engine.call("reconnect container %s to network %s" % (endpoint.name, name)):
            engine.api.connect_container_to_network(
                endpoint.container, name, aliases=endpoint.aliases or None,
                ipv4_address=endpoint.ipv4_address, ipv6_address=endpoint.ipv6_address,
            )


def network_task(engine, params, check_mode):
    """The kapal.docker.network task: the result with the network's inspect answer (None when there is none).

    In check mode, and when nothing changes, the inspect answer is the network as it is now.
    """
    spec = network_spec(params) if params["state"] == "present" else NetworkSpec(params["name"], force=params["force"])
    inspect = engine.inspect("network", spec.name)
    todo = plan(network_facts(inspect), spec, params["state"])
    endpoints = attached(engine, inspect) if todo.action in ("recreate", "remove") else []
    refuse_unless_forced(spec, todo, endpoints)
    if todo.changed and not check_mode:
        if todo.action in ("recreate", "remove"):
            _remove(engine, inspect, endpoints)
        if todo.action in ("create", "recreate"):
            _create(engine, todo.after)
            _reconnect(engine, spec.name, endpoints)
        inspect = engine.inspect("network", spec.name)
    return dict(changed=todo.changed, network=inspect, diff=dict(before=todo.before, after=todo.after))
