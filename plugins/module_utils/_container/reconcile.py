# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reconcile containers: read what the plan needs from the engine, plan, and apply.

``reconcile`` runs a batch from one engine snapshot (``snapshot``: one listing, an inspect of each
named container that exists, and one of each image and network the batch names), ``parallel`` at a
time, and never raises for one item: each Outcome carries its result and its error. ``run_batch`` is
the same from a snapshot taken before (kapal.docker.compose takes one per task and runs its
dependency layers from it). ``reconcile_one`` is one container: its networks and ``container:<name>``
references checked, its image pulled (predicted, in check mode), the plan made (``plan``) and, unless
in check mode, applied (``apply``). The single-container module is the batch of one. Before anything,
``check_engine_api`` refuses the batch when a container asks for what the engine cannot do (the
option table's ``min_api``: an option newer than the engine's API, or one Podman does not implement).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Optional

from ansible_collections.kapal.docker.plugins.module_utils._container.apply import (
    ItemFailed,
    ItemResult,
    apply,
    remove,
    wait,
)
from ansible_collections.kapal.docker.plugins.module_utils._container.options import OPTIONS, api_needs
from ansible_collections.kapal.docker.plugins.module_utils._container.plan import diff_of, plan, with_carry_over
from ansible_collections.kapal.docker.plugins.module_utils._errors import EngineConflict, KapalError, RegistryUnreachable
from ansible_collections.kapal.docker.plugins.module_utils._image_transfer import ensure_image, plan_pull
from ansible_collections.kapal.docker.plugins.module_utils._parse import given_once
from ansible_collections.kapal.docker.plugins.module_utils._reference import ImageRef

_BUILTIN_NETWORKS = ("bridge", "host", "none", "default")


@dataclass
class Outcome:
    """One item of a batch: its result, and the one-line error that stopped it (None when it did not)."""

    name: str
    result: Optional[ItemResult] = None
    error: Optional[str] = None


class Pulls:
    """The images a batch made sure of, each once: the items of one image (and pull policy) wait for
    the first of them, which pulls it when it must, and take its answer (the image, or the error)
    rather than pull it again. Shared by the copies of a Snapshot (compose's layers and the
    containers it makes ahead)."""

    def __init__(self):
        self._guard = threading.Lock()
        self._locks = {}
        self._done = {}

    def ensure(self, key, make_sure):
        """(pulled, image inspect): ``make_sure()``'s answer for the first caller of ``key``, and
        (False, the same image) for the others (its error raised again for them)."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._done:
                try:
                    self._done[key] = (None, make_sure())
                except KapalError as exc:
                    self._done[key] = (exc, None)
                    raise
                return self._done[key][1]
            failure, answer = self._done[key]
        if failure is not None:
            raise failure.with_traceback(None)
        return False, answer[1]


@dataclass
class Snapshot:
    """The engine's state a batch is planned from, read once before anything is done.

    ``containers``: {name: inspect answer, None when there is no such container} for every container
    of the batch; ``images``: {reference: inspect answer} of the batch's images that are present;
    ``networks``: the names of the batch's networks that exist; ``strays``: with a prune label, the
    containers that carry it and are not in the batch; ``pulls``: the images made sure of (see Pulls).
    """

    containers: dict
    images: dict = field(default_factory=dict)
    networks: frozenset = frozenset()
    strays: list = field(default_factory=list)
    pulls: Pulls = field(default_factory=Pulls)


def reconcile(engine, desireds, check_mode=False, parallel=4, prune_label=None):
    """Reconcile every desired container from one snapshot, ``parallel`` at a time; never raises
    for one item: each Outcome carries its result (after a failure: what was done) and its error,
    in the order given (strays last)."""
    given_once("containers", [d.name for d in desireds], "the name %r")
    check_engine_api(engine, desireds)
    return run_batch(engine, desireds, snapshot(engine, desireds, prune_label), check_mode, parallel, prune_label)


def run_batch(engine, desireds, taken, check_mode=False, parallel=4, prune_label=None):
    """Reconcile ``desireds`` from ``taken`` (a Snapshot that holds each of them), ``parallel`` at a
    time, and the snapshot's strays with them (removed: they carry ``prune_label``). What the plan
    needs beyond the snapshot (the container a ``container:<name>`` option names, the image a
    recreate leaves) is read when the item runs. Never raises for one item."""
    def run(job):
        kind, item = job
        name = item if kind == "prune" else item.name
        try:
            if kind == "prune":
                return Outcome(name, prune_one(engine, item, prune_label, check_mode))
            try:
                return Outcome(name, reconcile_one(engine, item, taken.containers[name], check_mode, taken))
            except EngineConflict:
                # Another run changed this container since the snapshot (the engine answered 409,
                # e.g. the name is already in use): plan once more from the engine's state now.
                return Outcome(name, reconcile_one(engine, item, _settled(engine, name), check_mode, taken))
        except ItemFailed as exc:
            return Outcome(name, exc.item, exc.item.error)
        except KapalError as exc:
            return Outcome(name, ItemResult(name, container=taken.containers.get(name), error=str(exc)), str(exc))

    jobs = [("item", d) for d in desireds] + [("prune", name) for name in taken.strays]
    if len(jobs) <= 1 or parallel <= 1:
        return [run(job) for job in jobs]
    with ThreadPoolExecutor(max_workers=min(parallel, len(jobs))) as pool:
        return list(pool.map(run, jobs))


def check_engine_api(engine, desireds):
    """Fail before anything is done (in check mode too: the plan could not be applied) when a container
    asks for what the engine cannot do (an option newer than its API version, or one Podman does not
    implement): one line naming the option, the container when there are several, the engine and its
    version."""
    for desired in desireds:
        if desired.state == "absent":
            continue
        for need in api_needs(desired.values):
            what = need.what if len(desireds) == 1 else "%s (container %s)" % (need.what, desired.name)
            engine.require_api(what, need.api, need.podman)


def reconcile_one(engine, desired, current, check_mode=False, taken=None):
    """Plan and (unless check mode) apply one container; its ItemResult. A failure once something
    was done raises ItemFailed, whose item says what was done. ``taken``: the batch's Snapshot, for
    the images and networks it read (without it, they are read here)."""
    taken = taken or Snapshot({})
    if desired.state != "absent":
        _check_networks(engine, desired, taken.networks)
        desired = _resolve_container_refs(engine, desired)
    pulled, image = _image_of(engine, desired, current, check_mode, taken.images, taken.pulls)
    plan_ = plan(desired, current, image)
    if plan_.action == "recreate":
        old_image = image if image is not None and image.get("Id") == current["Image"] else engine.inspect("image", current["Image"])
        plan_ = with_carry_over(plan_, desired, current, image, old_image, engine.info())
    pull = ["pull: %s" % desired.values["image"]] if pulled else []
    planned = ItemResult(desired.name, changed=plan_.changed or pulled, actions=pull + plan_.describe(),
                         diff=diff_of(desired, current, plan_), container=current)
    if check_mode:
        return planned
    done = ItemResult(desired.name, changed=pulled, actions=list(pull))
    waited = None
    try:
        container_id = apply(engine, desired, current, plan_, done) if plan_.changed else (current or {}).get("Id")
        if desired.wait and desired.state == "started" and container_id and plan_.action != "recreate":
            waited = wait(engine, desired, container_id)
    except KapalError as exc:
        if isinstance(exc, EngineConflict) and done.actions == pull:
            raise  # nothing done yet: reconcile plans again from the engine's state now
        if isinstance(exc, ItemFailed):
            done = exc.item
        else:
            done.error = str(exc)
        raise ItemFailed(_settle_failed(engine, done)) from None
    if waited is not None:
        planned.container = waited
    elif plan_.changed:
        planned.container = engine.inspect("container", container_id) if container_id else None
    return planned  # unchanged: the container as the snapshot read it


def prune_one(engine, name, label, check_mode=False):
    result = ItemResult(name, changed=True, actions=["remove: not in the list, carries the label %s" % label],
                        diff=dict(before=dict(state="present"), after=dict(state="absent")))
    if not check_mode:
        remove(engine, name, name)
    return result


def snapshot(engine, desireds, prune_label=None, listing=None, networks=()):
    """The batch's Snapshot: one container listing (``listing``: one the caller made, of every
    container), then an inspect of each named container that exists, of each image the batch names
    and of each network it names (but ``networks``: names the caller knows to exist).

    With ``prune_label``, also the names of the containers carrying that label that are not named.
    """
    names = [d.name for d in desireds]
    if listing is None:
        with engine.call("list containers"):
            listing = engine.api.containers(all=True)
    existing = {}
    strays = []
    ids = {}
    wanted = set(names)
    for entry in listing:
        entry_names = [n.lstrip("/") for n in entry.get("Names") or []]
        name = next((n for n in entry_names if "/" not in n), None)
        ids[entry["Id"]] = name
        if name in wanted:
            existing[name] = entry["Id"]
        elif prune_label and prune_label in (entry.get("Labels") or {}):
            strays.append(name)
    for name in sorted(wanted - set(existing)):
        # An id given as a name would plan a new container named after it (or, with state
        # absent, nothing at all): refuse it, naming the container it belongs to.
        owner = next((owner for cid, owner in ids.items() if len(name) >= 12 and cid.startswith(name)), None)
        if owner is not None:
            raise KapalError("name: %r is the id of container %r; give the container's name" % (name, owner))
    current = dict((name, engine.inspect("container", existing[name]) if name in existing else None) for name in names)
    images = {}
    for reference in sorted(set(image_reference(d) for d in desireds) - {None}):
        found = engine.inspect("image", reference)
        if found is not None:
            images[reference] = found
    known = set(networks)
    for network in sorted(set(n for d in desireds for n in _network_names(d)) - known):
        if engine.inspect("network", network) is not None:
            known.add(network)
    return Snapshot(current, images, frozenset(known), sorted(strays))


def image_reference(desired):
    """The reference the container's image is pulled and inspected by; None without one (or a bad
    one: the item fails on it, naming it, when it runs)."""
    if desired.state == "absent" or "image" not in desired.values:
        return None
    try:
        return ImageRef.parse(desired.values["image"], "image").pull_reference
    except KapalError:
        return None


def _network_names(desired):
    """The networks the container joins: its networks, and a network_mode naming a network."""
    if desired.state == "absent":
        return []
    names = [n["name"] for n in desired.values.get("networks") or []]
    mode = desired.values.get("network_mode")
    if mode and mode not in _BUILTIN_NETWORKS and not mode.startswith("container:"):
        names.append(mode)
    return names


def _settled(engine, name, patience=10.0):
    """The inspect answer of a container another client is creating right now: the engine reserves
    the name (a create answers 409) a moment before the container can be inspected."""
    deadline = time.monotonic() + patience
    while True:
        found = engine.inspect("container", name)
        if found is not None or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _settle_failed(engine, item):
    """A failed item's result: the container as it is now (None when there is none), no diff."""
    try:
        item.container = engine.inspect("container", item.name)
    except KapalError:
        item.container = None
    item.diff = {}
    return item


def _check_networks(engine, desired, known=frozenset()):
    """Every network the container joins exists (``known``: names the snapshot found)."""
    mode = desired.values.get("network_mode")
    for network in _network_names(desired):
        if network not in known and engine.inspect("network", network) is None:
            option = "network_mode" if network == mode else "networks"
            raise KapalError("%s: no network named %r on Docker Engine at %s" % (option, network, engine.host))


def _resolve_container_refs(engine, desired):
    """``container:<name>`` values (network_mode, pid_mode) -> ``container:<id>``, as the engine stores them."""
    values = dict(desired.values)
    for option in OPTIONS:
        value = values.get(option.name)
        if not option.container_ref or not isinstance(value, str) or not value.startswith("container:"):
            continue
        other = value[len("container:"):]
        found = engine.inspect("container", other)
        if found is None:
            raise KapalError("%s: no container named %r on Docker Engine at %s" % (option.name, other, engine.host))
        values[option.name] = "container:" + found["Id"]
    return replace(desired, values=values)


def _image_of(engine, desired, current, check_mode, images=None, pulls=None):
    """(pulled, image inspect) for the image the container should run (``images``: {reference:
    inspect answer} the snapshot read; ``pulls``: the batch's Pulls, so that an image is pulled once).

    In check mode nothing is pulled: when a pull would bring another image, the answer is the local
    image under the id the registry names (the id is what a container is compared by), so that the
    recreate the pull causes is predicted. Without a given image: the image the container runs.
    """
    if "image" in desired.values and desired.state != "absent":
        ref = ImageRef.parse(desired.values["image"], "image")
        local = (images or {}).get(ref.pull_reference)
        try:
            if not check_mode:
                def make_sure():
                    present = ensure_image(engine, ref, desired.pull, local=local)
                    return present.changed, present.after
                return (pulls or Pulls()).ensure((ref.pull_reference, desired.pull), make_sure)
            pull_plan = plan_pull(engine, ref, desired.pull, local=local)
        except RegistryUnreachable as exc:
            # The registry's message names the registry, not the image: the item is a container.
            raise RegistryUnreachable("image %s: %s" % (ref.pull_reference, exc)) from None
        if pull_plan.changed and pull_plan.before is not None:
            new_id = (pull_plan.remote and pull_plan.remote.config_digest) or "%s (after the pull)" % ref.pull_reference
            return True, dict(pull_plan.before, Id=new_id)
        return pull_plan.changed, pull_plan.before
    if current is not None:
        return False, engine.inspect("image", current["Image"])
    return False, None
