# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pruning: containers, images, networks, volumes and build cache, with the engine's filters.

A real run asks the engine's own prune endpoints and reports what they removed. Check mode must
say exactly what those would remove without removing anything, so it computes it from listings,
applying the same rules the engine applies (moby's daemon/prune.go, daemon/images/image_prune.go,
volume/service, and BuildKit's cache manager for the build cache):

* containers: every container that is not running (paused and restarting count as running);
* images: dangling images (no tag; a digest alone does not count), or with ``dangling: false``
  every image, minus those a container uses, with the parents each removal leaves unused;
* networks: every network without a running container, except the predefined ones;
* volumes: every unused volume of the ``local`` driver without driver options; from API 1.42 on
  only anonymous ones unless the filter ``all`` is true;
* build cache: every record not in use whose children are all removed too; without ``all``, not
  the internal and frontend records nor those shared with images.

Each with the filters ``until`` (created before: a duration such as ``24h`` back from the engine's
clock, or a timestamp), ``label`` and ``label!`` (``key`` or ``key=value``; all ``label`` filters
must match, and an object is kept when it matches every ``label!`` filter).
"""

from __future__ import annotations

import calendar
import json
import re
import time

from ansible.module_utils.common.text.formatters import human_to_bytes

from ansible_collections.kapal.docker.plugins.module_utils._engine import api_at_least
from ansible_collections.kapal.docker.plugins.module_utils._errors import EngineConflict, KapalError, PartialFailure, one_line

KINDS = ("containers", "images", "networks", "volumes", "builder_cache")
ACCEPTED_FILTERS = dict(
    containers=("until", "label", "label!"),
    images=("dangling", "until", "label", "label!"),
    networks=("until", "label", "label!"),
    volumes=("label", "label!", "all"),
    builder_cache=("until", "id", "type"),
)
BUILD_RECORD_TYPES = ("regular", "internal", "frontend", "source.local", "source.git.checkout", "exec.cachemount")
PREDEFINED_NETWORKS = ("bridge", "host", "none", "default", "ingress")
ANONYMOUS_VOLUME_LABEL = "com.docker.volume.anonymous"
RUNNING_STATES = ("running", "paused", "restarting")
PRUNE_RETRIES = 20
PRUNE_RETRY_DELAY = 0.5

_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1, "us": 10 ** 3, "µs": 10 ** 3, "μs": 10 ** 3, "ms": 10 ** 6, "s": 10 ** 9, "m": 60 * 10 ** 9,
                   "h": 3600 * 10 ** 9}
_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt](\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?"
    r"([Zz]|[+-]\d{2}:\d{2})?$"
)
_UNIX = re.compile(r"^(\d+)(?:\.(\d{1,9}))?$")
_BOOL = {"1": True, "true": True, "0": False, "false": False}


# --- filters --------------------------------------------------------------------------------------

def normalize_filters(kind, filters):
    """``filters`` (a dict of string, number, bool, list, or for labels a dict) as {name: [strings]}.

    Unknown filters, empty label keys and values that are not one single value where one is
    expected fail in one line naming ``<kind>_filters``.
    """
    option = "%s_filters" % kind
    result = {}
    for name, value in (filters or {}).items():
        if name not in ACCEPTED_FILTERS[kind]:
            raise KapalError("%s: unsupported filter %r (expected one of %s)" % (option, name, ", ".join(ACCEPTED_FILTERS[kind])))
        if isinstance(value, dict) and name in ("label", "label!"):
            values = ["%s=%s" % (k, v) if v is not None else str(k) for k, v in value.items()]
        else:
            values = value if isinstance(value, list) else [value]
        texts = []
        for item in values:
            if isinstance(item, bool):
                item = "true" if item else "false"
            if not isinstance(item, (str, int, float)) or str(item) == "":
                raise KapalError("%s: %s expects a string or a list of strings, got %r" % (option, name, value))
            texts.append(str(item))
        if name in ("label", "label!"):
            for text in texts:
                if not text.split("=", 1)[0]:
                    raise KapalError("%s: %s expects key or key=value, got %r" % (option, name, text))
        elif len(texts) != 1:
            raise KapalError("%s: %s expects one value, got %r" % (option, name, value))
        if name in ("dangling", "all") and texts[0].lower() not in _BOOL:
            raise KapalError("%s: %s expects true or false, got %r" % (option, name, value))
        result[name] = texts
    return result


def filter_bool(filters, name, default):
    values = filters.get(name)
    return _BOOL[values[0].lower()] if values else default


def match_kv_list(wanted, labels):
    """Whether every ``key`` / ``key=value`` of ``wanted`` is in ``labels`` (the engine's MatchKVList)."""
    if not wanted:
        return True
    labels = labels or {}
    if not labels:
        return False
    for text in wanted:
        key, sep, value = text.partition("=")
        if key not in labels or (sep and labels[key] != value):
            return False
    return True


def match_labels(filters, labels):
    """The engine's prune label rule: every ``label`` matches, and not every ``label!`` matches."""
    if not match_kv_list(filters.get("label"), labels):
        return False
    if filters.get("label!") and match_kv_list(filters["label!"], labels):
        return False
    return True


# --- time -----------------------------------------------------------------------------------------

def parse_duration(text):
    """A Go duration (``90m``, ``1h30m``, ``-2s``, ``1.5h``) in nanoseconds; None if ``text`` is not one."""
    sign, rest = 1, text
    if rest[:1] in "+-" and rest[:1]:
        sign, rest = (-1 if rest[0] == "-" else 1), rest[1:]
    if not rest or text == "0":
        return None
    position, total = 0, 0
    for match in _DURATION_PART.finditer(rest):
        if match.start() != position:
            return None
        number, unit = match.groups()
        whole, _dot, fraction = number.partition(".")
        scale = _DURATION_UNITS[unit]
        total += int(whole or "0") * scale + (int(fraction) * scale // 10 ** len(fraction) if fraction else 0)
        position = match.end()
    if position != len(rest):
        return None
    return sign * total


def _zone_seconds(zone, default):
    if not zone:
        return default
    if zone in ("Z", "z"):
        return 0
    sign = -1 if zone[0] == "-" else 1
    return sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)


def parse_time_ns(text, local_offset=0):
    """An RFC 3339 time (a date, or with hours, minutes, seconds, fraction, zone; without a zone in
    ``local_offset`` seconds east of UTC) in nanoseconds since the epoch; None if it is not one."""
    match = _TIMESTAMP.match(text or "")
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        seconds = calendar.timegm((int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), 0, 0, 0))
    except (ValueError, OverflowError):
        return None
    if not (1 <= int(month) <= 12 and 1 <= int(day) <= 31 and int(hour or 0) < 24 and int(minute or 0) < 60 and int(second or 0) < 61):
        return None
    seconds -= _zone_seconds(zone, local_offset)
    return seconds * 10 ** 9 + (int(fraction.ljust(9, "0")) if fraction else 0)


def engine_clock(engine):
    """(now in ns, the engine's local zone in seconds east of UTC) from the engine's SystemTime."""
    with engine.call("read engine clock"):
        system_time = engine.api.info().get("SystemTime") or ""
    now = parse_time_ns(system_time)
    if now is None:
        return int(time.time() * 10 ** 9), 0
    zone = _TIMESTAMP.match(system_time).group(8)
    return now, _zone_seconds(zone, 0)


def until_cutoff(option, text, clock, durations_only=False):
    """The cut-off time (ns) of an ``until`` filter: objects created after it are kept.

    ``clock`` is (now ns, zone offset). A duration counts back from now, to the whole second as the
    engine does; a timestamp is a date/time (RFC 3339) or seconds since the epoch.
    """
    now, offset = clock
    duration = parse_duration(text)
    if duration is not None:
        return ((now - duration) // 10 ** 9) * 10 ** 9
    if durations_only:
        raise KapalError("%s: until expects a duration such as 24h or 90m, got %r" % (option, text))
    stamp = parse_time_ns(text, offset)
    if stamp is not None:
        return stamp
    match = _UNIX.match(text)
    if match and "-" not in text:
        return int(match.group(1)) * 10 ** 9 + int((match.group(2) or "0").ljust(9, "0"))
    raise KapalError("%s: until expects a duration such as 24h, a date/time such as 2026-01-31T12:00:00Z or "
                     "seconds since the epoch, got %r" % (option, text))


def created_before(created, cutoff):
    """The engine's ``until`` rule: kept when created after the cut-off (or with no creation time)."""
    if cutoff is None:
        return True
    stamp = parse_time_ns(created) if isinstance(created, str) else None
    return stamp is not None and stamp <= cutoff


# --- containers -----------------------------------------------------------------------------------

def plan_containers(containers, filters, cutoff):
    """The containers a prune removes, from list entries (with ``Created`` as inspect gives it)."""
    selected = []
    for container in containers:
        if container.get("State") in RUNNING_STATES:
            continue
        if not match_labels(filters, container.get("Labels")):
            continue
        if not created_before(container.get("CreatedAt"), cutoff):
            continue
        selected.append(container)
    return selected


def _container_name(entry):
    names = entry.get("Names") or []
    return names[0].lstrip("/") if names else entry["Id"][:12]


# --- images ---------------------------------------------------------------------------------------

def _normalized(ref):
    """A reference as the engine's reference store sorts it (docker.io/library/name:tag)."""
    name = ref.split("@", 1)[0]
    name = name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name
    first = name.split("/", 1)[0]
    if "/" not in name or not ("." in first or ":" in first or first == "localhost"):
        prefix = "docker.io/" if "/" in name else "docker.io/library/"
        return prefix + ref
    return ref


def _repo_name(ref):
    """The repository of a tag or digest reference (``name`` of ``name:tag`` / ``name@sha256:...``)."""
    name = ref.split("@", 1)[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    return _normalized(name)


def _is_digest(ref):
    return "@" in ref


class ImageModel:
    """The engine's images and what uses them, for replaying an image prune without removing anything."""

    def __init__(self, images, containers):
        self.parent = {}
        self.refs = {}
        self.labels = {}
        self.created = {}
        self.children = {}
        for image in images:
            image_id = image["Id"]
            self.parent[image_id] = image.get("ParentId") or None
            tags = [t for t in image.get("RepoTags") or [] if t != "<none>:<none>"]
            digests = [d for d in image.get("RepoDigests") or [] if d != "<none>@<none>"]
            self.refs[image_id] = sorted(tags + digests, key=_normalized)
            self.labels[image_id] = image.get("Labels") or {}
            self.created[image_id] = image.get("CreatedAt")
            self.children.setdefault(image_id, set())
        for image_id, parent in self.parent.items():
            if parent in self.children:
                self.children[parent].add(image_id)
        self.used = set(c.get("ImageID") for c in containers)
        self.deleted = []
        self.untagged = []

    def _single_reference(self, refs):
        """The engine's isSingleReference: every reference in one repository, at most one tag."""
        if len(refs) <= 1:
            return len(refs) == 1
        tags = [r for r in refs if not _is_digest(r)]
        if len(tags) > 1:
            return False
        repos = set(_repo_name(r) for r in refs if _is_digest(r))
        single = tags[0] if tags else refs[0]
        return len(repos) == 1 and _repo_name(single) in repos

    def _untag(self, image_id, ref):
        self.refs[image_id].remove(ref)
        self.untagged.append(ref)

    def delete_by_ref(self, image_id, ref):
        refs = self.refs[image_id]
        if ref not in refs:
            return  # removed with an earlier reference of the same repository
        if self._single_reference(refs) and image_id in self.used:
            return  # conflict: a container uses the image through its only reference
        self._untag(image_id, ref)
        if not _is_digest(ref):
            name = _repo_name(ref)
            if not any(not _is_digest(r) and _repo_name(r) == name for r in self.refs[image_id]):
                for other in [r for r in self.refs[image_id] if _is_digest(r) and _repo_name(r) == name]:
                    self._untag(image_id, other)
        if not self.refs[image_id]:
            self._delete(image_id)

    def _delete(self, image_id):
        """Delete an image without references unless something holds it, then its unused parents."""
        while image_id is not None:
            if self.children[image_id] or self.refs[image_id] or image_id in self.used:
                return
            self.deleted.append(image_id)
            parent = self.parent[image_id]
            if parent in self.children:
                self.children[parent].discard(image_id)
            image_id = parent if parent in self.children else None

    def prune(self, filters, cutoff):
        """Replay the engine's image prune; returns (deleted image ids, untagged references)."""
        dangling_only = filter_bool(filters, "dangling", True)
        candidates = [i for i in self.parent if not (dangling_only and self.children[i])]
        top = []
        for image_id in sorted(candidates):
            if not self.refs[image_id] and self.children[image_id]:
                continue
            if cutoff is not None and not created_before(self.created[image_id], cutoff):
                continue
            if not match_labels(filters, self.labels[image_id]):
                continue
            top.append(image_id)
        for image_id in top:
            refs = list(self.refs[image_id])
            if refs:
                if dangling_only and any(not _is_digest(r) for r in refs):
                    continue
                for ref in refs:
                    self.delete_by_ref(image_id, ref)
            else:
                self._delete(image_id)
        return sorted(self.deleted), sorted(self.untagged)


# --- build cache ----------------------------------------------------------------------------------

def _record_parents(record):
    parents = record.get("Parents")
    if parents is None:
        parents = [record["Parent"]] if record.get("Parent") else []
    return parents


def _gc_order(records):
    """BuildKit's order of removal when keeping storage: least recently and least often used first."""
    by_last = sorted(records, key=lambda r: (r.get("_last") is not None, r.get("_last") or 0))
    last_index, newest, index_of_last = 0, None, {}
    for record in by_last:
        if record.get("_last") is not None and (newest is None or record["_last"] > newest):
            newest = record["_last"]
            last_index += 1
        index_of_last[record["ID"]] = last_index
    by_count = sorted(records, key=lambda r: r.get("UsageCount") or 0)
    count_index, count, index_of_count = 0, 0, {}
    for record in by_count:
        if (record.get("UsageCount") or 0) != count:
            count = record.get("UsageCount") or 0
            count_index += 1
        index_of_count[record["ID"]] = count_index

    def score(record):
        first = index_of_last[record["ID"]] / float(last_index) if last_index else 0.0
        second = index_of_count[record["ID"]] / float(count_index) if count_index else 0.0
        return first + second
    return sorted(records, key=score)


def plan_build_cache(records, filters, cutoff, prune_all=False, keep_bytes=0):
    """The build cache records a prune removes, from ``/system/df``'s BuildCache entries."""
    records = [dict(r, _last=parse_time_ns(r.get("LastUsedAt")) if r.get("LastUsedAt") else None) for r in records or []]
    children = {}
    for record in records:
        for parent in _record_parents(record):
            children.setdefault(parent, set()).add(record["ID"])
    id_pattern = filters.get("id", [None])[0]
    record_type = filters.get("type", [None])[0]

    def eligible(record):
        if record.get("InUse"):
            return False
        if not prune_all and (record.get("Type") in ("internal", "frontend") or record.get("Shared")):
            return False
        if cutoff is not None and record["_last"] is not None and record["_last"] > cutoff:
            return False
        if id_pattern is not None and not re.search(id_pattern, record["ID"]):
            return False
        if record_type is not None and (record.get("Type") or "regular") != record_type:
            return False
        return True

    candidates = [r for r in records if eligible(r)]
    total = sum(r.get("Size") or 0 for r in records if not r.get("Shared")) if keep_bytes else 0
    removed = []
    while True:
        if keep_bytes and total < keep_bytes:
            break
        gone = set(removed)
        ready = [r for r in candidates if r["ID"] not in gone and children.get(r["ID"], set()) <= gone]
        if not ready:
            break
        if keep_bytes:
            ready = _gc_order(ready)[:1]
            total -= ready[0].get("Size") or 0
        removed.extend(r["ID"] for r in ready)
    return removed


# --- gathering what the engine holds ---------------------------------------------------------------

def _with_created(engine, entries, kind, cutoff):
    """Add each entry's creation time as inspect gives it (nanoseconds), only when ``until`` needs it."""
    if cutoff is None:
        return entries
    result = []
    for entry in entries:
        inspect = engine.inspect(kind, entry["Id"])
        if inspect is not None:
            result.append(dict(entry, CreatedAt=inspect.get("Created")))
    return result


def _call_prune(engine, what, path, params):
    """POST a prune endpoint; an engine busy with another prune is asked again for a while."""
    for attempt in range(PRUNE_RETRIES):
        try:
            return engine.request("prune %s" % what, "POST", path, params=params).json()
        except EngineConflict as exc:
            if "prune operation is already running" not in str(exc) or attempt == PRUNE_RETRIES - 1:
                raise KapalError("prune %s failed on Docker Engine at %s: %s" % (what, engine.host, str(exc).split(": ", 1)[-1])) from None
            time.sleep(PRUNE_RETRY_DELAY)
    return None  # not reached


def _filters_param(filters):
    return {"filters": json.dumps(filters)} if filters else {}


def prune_containers(engine, filters, clock, check_mode):
    cutoff = until_cutoff("containers_filters", filters["until"][0], clock) if filters.get("until") else None
    with engine.call("list containers"):
        entries = engine.api.containers(all=True)
    names = dict((e["Id"], _container_name(e)) for e in entries)
    stopped = [e for e in entries if e.get("State") not in RUNNING_STATES and match_labels(filters, e.get("Labels"))]
    planned = [e["Id"] for e in plan_containers(_with_created(engine, stopped, "container", cutoff), filters, cutoff)]
    if check_mode:
        removed, space = planned, None
    else:
        answer = _call_prune(engine, "containers", "/containers/prune", _filters_param(filters))
        removed, space = answer.get("ContainersDeleted") or [], answer.get("SpaceReclaimed") or 0
    return dict(containers=sorted(removed), container_names=sorted(names.get(i, i[:12]) for i in removed),
                containers_space_reclaimed=space), [names.get(i, i[:12]) for i in planned], [names.get(i, i[:12]) for i in removed]


def prune_images(engine, filters, clock, check_mode, gone=()):
    """Prune images; ``gone`` are the containers check mode predicts the container prune removes."""
    cutoff = until_cutoff("images_filters", filters["until"][0], clock) if filters.get("until") else None
    with engine.call("list images"):
        images = engine.api.images(all=True)
    with engine.call("list containers"):
        containers = [c for c in engine.api.containers(all=True) if c["Id"] not in gone]
    if cutoff is not None:
        images = [dict(i, CreatedAt=(engine.inspect("image", i["Id"]) or {}).get("Created")) for i in images]
    known = set(i["Id"] for i in images)
    planned, planned_untagged = ImageModel(images, containers).prune(filters, cutoff)
    if check_mode:
        removed, untagged, space = planned, planned_untagged, None
    else:
        answer = _call_prune(engine, "images", "/images/prune", _filters_param(filters))
        records = answer.get("ImagesDeleted") or []
        removed = sorted(r["Deleted"] for r in records if r.get("Deleted") in known)
        untagged = sorted(r["Untagged"] for r in records if r.get("Untagged"))
        space = answer.get("SpaceReclaimed") or 0
    return dict(images=removed, images_untagged=untagged, images_space_reclaimed=space), planned, removed


def prune_networks(engine, filters, clock, check_mode):
    cutoff = until_cutoff("networks_filters", filters["until"][0], clock) if filters.get("until") else None
    with engine.call("list networks"):
        networks = engine.api.networks()
    planned = []
    for network in networks:
        if network.get("Name") in PREDEFINED_NETWORKS or network.get("Scope") == "swarm" or network.get("ConfigOnly"):
            continue
        if not created_before(network.get("Created"), cutoff) or not match_labels(filters, network.get("Labels")):
            continue
        inspect = engine.inspect("network", network["Id"])
        if inspect is None or inspect.get("Containers") or inspect.get("Ingress"):
            continue
        planned.append(network["Name"])
    if check_mode:
        removed = planned
    else:
        answer = _call_prune(engine, "networks", "/networks/prune", _filters_param(filters))
        removed = answer.get("NetworksDeleted") or []
    return dict(networks=sorted(removed)), sorted(planned), sorted(removed)


def prune_volumes(engine, filters, clock, check_mode, gone=()):
    """Prune volumes; ``gone`` are the containers check mode predicts the container prune removes."""
    del clock
    anonymous_only = api_at_least(engine.api.api_version, "1.42")
    if filters.get("all") and not anonymous_only:
        raise KapalError("volumes_filters: all needs Docker Engine API 1.42 or newer; the engine at %s speaks %s, "
                         "where every unused volume is pruned" % (engine.host, engine.api.api_version))
    effective = dict(filters)
    if anonymous_only and not filter_bool(filters, "all", False):
        effective["label"] = list(filters.get("label", [])) + [ANONYMOUS_VOLUME_LABEL]
    with engine.call("list volumes"):
        volumes = (engine.api.volumes(filters={"dangling": True}) or {}).get("Volumes") or []
    if gone:
        volumes += _freed_volumes(engine, volumes, gone)
    planned = sorted(v["Name"] for v in volumes
                     if v.get("Driver") == "local" and not v.get("Options") and match_labels(effective, v.get("Labels")))
    if check_mode:
        removed, space = planned, None
    else:
        answer = _call_prune(engine, "volumes", "/volumes/prune", _filters_param(filters))
        removed, space = sorted(answer.get("VolumesDeleted") or []), answer.get("SpaceReclaimed") or 0
    return dict(volumes=removed, volumes_space_reclaimed=space), planned, removed


def _freed_volumes(engine, unused, gone):
    """The volumes that only containers in ``gone`` use: unused once those are removed."""
    with engine.call("list containers"):
        containers = engine.api.containers(all=True)
    users = {}
    for container in containers:
        for mount in container.get("Mounts") or []:
            if mount.get("Type") == "volume" and mount.get("Name"):
                users.setdefault(mount["Name"], set()).add(container["Id"])
    freed = set(name for name, ids in users.items() if ids <= set(gone))
    known = set(v["Name"] for v in unused)
    with engine.call("list volumes"):
        volumes = (engine.api.volumes() or {}).get("Volumes") or []
    return [v for v in volumes if v["Name"] in freed and v["Name"] not in known]


def prune_build_cache(engine, filters, clock, check_mode, prune_all=False, keep_storage=None):
    cutoff = until_cutoff("builder_cache_filters", filters["until"][0], clock, durations_only=True) if filters.get("until") else None
    if filters.get("type") and filters["type"][0] not in BUILD_RECORD_TYPES:
        raise KapalError("builder_cache_filters: type expects one of %s, got %r" % (", ".join(BUILD_RECORD_TYPES), filters["type"][0]))
    if filters.get("id"):
        try:
            re.compile(filters["id"][0])
        except re.error as exc:
            raise KapalError("builder_cache_filters: id expects a regular expression, got %r (%s)" % (filters["id"][0], exc)) from None
    keep_bytes = 0
    if keep_storage is not None:
        try:
            keep_bytes = human_to_bytes(keep_storage)
        except (ValueError, TypeError):
            raise KapalError("builder_cache_keep_storage: expected a size such as 10G or 512M, got %r" % keep_storage) from None
    records = engine.request("read disk usage", "GET", "/system/df").json().get("BuildCache") or []
    planned = sorted(plan_build_cache(records, filters, cutoff, prune_all, keep_bytes))
    if check_mode:
        removed, space = planned, None
    else:
        params = _filters_param(filters)
        if prune_all:
            params["all"] = "1"
        if keep_bytes:
            params["keep-storage"] = str(keep_bytes)
        answer = _call_prune(engine, "build cache", "/build/prune", params)
        removed, space = sorted(answer.get("CachesDeleted") or []), answer.get("SpaceReclaimed") or 0
    return dict(builder_cache_caches_deleted=removed, builder_cache_space_reclaimed=space), planned, removed


# --- the task ---------------------------------------------------------------------------------------

def prune_task(engine, params, check_mode):
    """The kapal.docker.prune task: prune each kind asked for; ``changed`` when anything was removed."""
    asked = [kind for kind in KINDS if params.get(kind)]
    filters = dict((kind, normalize_filters(kind, params.get("%s_filters" % kind))) for kind in KINDS)
    for kind in KINDS:
        if params.get("%s_filters" % kind) and kind not in asked:
            raise KapalError("%s_filters: given, but %s is not true" % (kind, kind))
    if params.get("builder_cache_keep_storage") is not None and "builder_cache" not in asked:
        raise KapalError("builder_cache_keep_storage: given, but builder_cache is not true")
    clock = engine_clock(engine) if any(filters[k].get("until") for k in asked) else (None, 0)
    result, before, after = dict(changed=False), {}, {}
    gone = ()
    for kind in asked:
        try:
            if kind == "containers":
                found, planned, removed = prune_containers(engine, filters[kind], clock, check_mode)
                gone = set(found["containers"]) if check_mode else ()
            elif kind == "images":
                found, planned, removed = prune_images(engine, filters[kind], clock, check_mode, gone)
            elif kind == "networks":
                found, planned, removed = prune_networks(engine, filters[kind], clock, check_mode)
            elif kind == "volumes":
                found, planned, removed = prune_volumes(engine, filters[kind], clock, check_mode, gone)
            else:
                found, planned, removed = prune_build_cache(engine, filters[kind], clock, check_mode,
                                                            params.get("builder_cache_all"), params.get("builder_cache_keep_storage"))
        except KapalError as exc:
            if result["changed"]:
                raise PartialFailure(one_line(exc), dict(result, diff=dict(before=before, after=after))) from None
            raise
        result.update(found)
        result["changed"] = result["changed"] or bool(removed) or bool(found.get("images_untagged"))
        before[kind] = sorted(set(planned) | set(removed))
        after[kind] = sorted(set(before[kind]) - set(removed))
    result["diff"] = dict(before=before, after=after)
    return result
