# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure plan: what a task wants (``Desired``), compared with inspect answers, gives what to do
(``Plan``). No engine here: every function takes inspect answers and returns data, so the planner is
unit-tested from tables.

``Desired.from_params`` turns task values into the normalized desired state; ``plan`` compares it
with the container and its image; ``with_carry_over`` completes a recreate with what it keeps from
the old container (options not given, anonymous volumes) and the create call's body; ``diff_of``
gives diff mode's before and after. ``same`` is the comparison modes' meaning; ``plain`` shows
normalized values as plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

from ansible_collections.kapal.docker.plugins.module_utils._container.options import (
    CONTROL_DEFAULTS,
    MUTUALLY_EXCLUSIVE,
    OPTION_BY_NAME,
    OPTIONS,
    anonymous_volumes,
    parse_options,
    resolve_comparisons,
)
from ansible_collections.kapal.docker.plugins.module_utils._container.parsers import parse_pull
from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError
from ansible_collections.kapal.docker.plugins.module_utils._parse import Duration, Port, Volume
from ansible_collections.kapal.docker.plugins.module_utils._reference import ImageRef


@dataclass(frozen=True)
class Desired:
    """One container as the task wants it; ``values`` holds only the options that were given."""

    name: str
    state: str = "started"
    values: dict = field(default_factory=dict)
    comparisons: dict = field(default_factory=resolve_comparisons)
    pull: str = "missing"
    recreate: bool = False
    restart: bool = False
    wait: Optional[str] = None
    wait_timeout: int = 60

    @classmethod
    def from_params(cls, params):
        """Validated, normalized desired state from module parameters; no engine is asked."""
        control = dict(CONTROL_DEFAULTS)
        control.update((key, value) for key, value in params.items() if value is not None and key in control)
        name = params.get("name")
        if not name:
            raise KapalError("name: a container name is required, got %r" % (name,))
        if control["wait_timeout"] <= 0:
            raise KapalError("wait_timeout: expected a positive number of seconds, got %r" % control["wait_timeout"])
        return cls(
            name=name.lstrip("/"),
            state=control["state"],
            values=parse_options(params),
            comparisons=resolve_comparisons(params.get("comparisons")),
            pull=parse_pull(control["pull"]),
            recreate=bool(control["recreate"]),
            restart=bool(control["restart"]),
            wait=params.get("wait"),
            wait_timeout=control["wait_timeout"],
        )


@dataclass(frozen=True)
class Difference:
    option: str
    before: object
    after: object


@dataclass(frozen=True)
class Plan:
    """What to do: ``action`` is create|recreate|update|start|stop|restart|remove|none; ``then``
    is the running-state step after it (start|stop|restart or None).

    A create or recreate also holds the create call's ``body``; a recreate what it keeps from the old
    container: ``carried`` ({option: value} the task does not give) and ``kept_volumes`` ({container
    path: volume name}, the old container's anonymous volumes). ``fresh``: the old container never
    ran, so nothing is carried over from it.
    """

    action: str
    differences: tuple = ()
    live_updates: dict = field(default_factory=dict)
    then: Optional[str] = None
    fresh: bool = False
    carried: dict = field(default_factory=dict)
    kept_volumes: dict = field(default_factory=dict)
    body: Optional[dict] = None

    @property
    def changed(self):
        return self.action != "none" or self.then is not None

    @property
    def step(self):
        """The running-state step: start|stop|restart or None."""
        return self.then or (self.action if self.action in ("start", "stop", "restart") else None)

    def headline(self):
        """The first entry of ``actions``: 'recreate: image, env changed', 'create', 'start'... (None: nothing)."""
        if self.action not in ("recreate", "update"):
            return None if self.action == "none" else self.action
        reasons = []
        if self.differences:
            reasons.append("%s changed" % ", ".join(d.option for d in self.differences))
        if self.fresh:
            reasons.append("the old container never ran, nothing is kept from it")
        return "%s: %s" % (self.action, "; ".join(reasons or ["forced"]))

    def kept(self):
        """The ``actions`` entries that say what a recreate keeps from the old container."""
        steps = []
        if self.carried:
            steps.append("kept from the old container: %s" % ", ".join(self.carried))
        if self.kept_volumes:
            steps.append("kept the old container's anonymous volumes: %s" % ", ".join(sorted(self.kept_volumes)))
        return steps

    def describe(self):
        """The ``actions`` list of the result, e.g. ['recreate: image, env changed', 'start']."""
        steps = [self.headline()] if self.headline() else []
        steps.extend(self.kept())
        if self.then:
            steps.append(self.then)
        return steps


def running(inspect):
    state = (inspect or {}).get("State") or {}
    return bool(state.get("Running")) or bool(state.get("Restarting"))


def never_ran(inspect):
    """A container the engine could not start and that never ran (a port taken, bad log options...):
    it never started (StartedAt is the zero time) and the engine recorded the failed start's error or
    exit code. A container only created (``state: present``) is not one: nothing failed."""
    state = (inspect or {}).get("State") or {}
    started = state.get("StartedAt") or "0001-01-01T00:00:00Z"
    return started.startswith("0001-01-01") and bool(state.get("Error") or state.get("ExitCode"))


def plan(desired, current, image):
    """Pure: compare ``desired`` (under its comparisons) with ``current`` (inspect or None), to be
    made from ``image`` (inspect or None).

    A recreate's carry-over is added by ``with_carry_over``, which needs the old image as well.
    """
    if current is None:
        if desired.state == "absent":
            return Plan("none")
        if "image" not in desired.values:
            raise KapalError("image: required to create container %s, which does not exist, got None" % desired.name)
        return Plan("create", then="start" if desired.state == "started" else None, body=create_body(desired, image))
    if desired.state == "absent":
        return Plan("remove")

    differences = []
    for option in OPTIONS:
        if option.name not in desired.values or option.read is None:
            continue
        wanted = option.expected(desired.values[option.name], image, desired.values, current)
        actual = option.read(current)
        if not same(desired.comparisons.get(option.name, option.compare), wanted, actual):
            differences.append(Difference(option.name, actual, wanted))
    is_running = running(current)
    fresh = never_ran(current)
    # A container that never ran is not started again as it is (it would fail the same way): it is
    # made anew from the task alone.
    needs_recreate = (desired.recreate or (fresh and desired.state == "started")
                      or any(not OPTION_BY_NAME[d.option].updates_live(d.after) for d in differences))
    if needs_recreate:
        keep_running = desired.state == "started" or (desired.state == "present" and is_running)
        return Plan("recreate", tuple(differences), then="start" if keep_running else None, fresh=fresh)

    then = None
    if desired.state == "started" and not is_running:
        then = "start"
    elif desired.state == "stopped" and is_running:
        then = "stop"
    elif desired.restart and desired.state == "started":
        then = "restart"
    if differences:
        return Plan("update", tuple(differences), live_update_body(differences, current), then)
    if then:
        return Plan(then)
    return Plan("none")


def with_carry_over(plan_, desired, current, image, old_image, engine_info=None):
    """Pure: a recreate ``plan_`` completed with its create body and what it keeps from ``current``."""
    carried = carry_over(desired, current, old_image, engine_info)
    body = create_body(desired, image, current, carried)
    kept_volumes = keep_anonymous_volumes(body, current, image)
    return replace(plan_, carried=carried, kept_volumes=kept_volumes, body=body)


def live_update_body(differences, current):
    """The engine's update body for live differences, e.g. {'Memory': ..., 'MemorySwap': ...}."""
    seed = dict(HostConfig=dict(RestartPolicy=dict((current.get("HostConfig") or {}).get("RestartPolicy") or {})))
    fields = []
    for difference in differences:
        option = OPTION_BY_NAME[difference.option]
        option.write(seed, difference.after)
        fields.extend(option.live)
    return dict((name, seed["HostConfig"][name]) for name in fields)


def carry_over(desired, current, old_image, engine_info=None):
    """What a recreate keeps from ``current`` so that "not given" means "as it is": {option: value}
    for the options the task does not give, without what came from ``old_image`` (the old container's
    image) or the engine's defaults (``engine_info``). Nothing from a container that never ran. Of
    options that exclude each other (networks, network_mode) only the first that has a value."""
    if current is None or never_ran(current):
        return {}
    carried = {}
    for option in OPTIONS:
        if option.name not in desired.values:
            value = option.carried(current, old_image, engine_info, desired.values)
            if value is not None:
                carried[option.name] = value
    for group in MUTUALLY_EXCLUSIVE:
        given = [name for name in group if name in desired.values]
        kept = [name for name in group if name in carried]
        for name in kept[1:] if not given else kept:
            del carried[name]
    return carried


def create_body(desired, image, current=None, carried=None):
    """The create call's body: the given options, and ``carried`` (see carry_over) for the others.

    Without a given image, the new container runs the very image ``current`` runs (``image``): by
    the name it was made with while that name still means it, else by id.
    """
    values = dict(carried or {})
    values.update(desired.values)
    body = dict(HostConfig={})
    for option in OPTIONS:
        if option.write is not None and option.name in values:
            option.write(body, values[option.name])
    if "image" not in desired.values and current is not None:
        name = current["Config"].get("Image")
        same_image = image is not None and image.get("Id") == current.get("Image") and _names(name, image)
        body["Image"] = name if same_image else current["Image"]
    return body


def _names(reference, image):
    """Does the image reference ``reference`` still mean ``image`` (an inspect answer: its tags and digests)?"""
    def canonical(text):
        try:
            return ImageRef.parse(text).pull_reference
        except KapalError:
            return None
    wanted = canonical(reference or "")
    return wanted is not None and any(canonical(known) == wanted
                                      for known in (image.get("RepoTags") or []) + (image.get("RepoDigests") or []))


def keep_anonymous_volumes(body, current, image):
    """Mount ``current``'s anonymous volumes into the new container at the same paths, as Compose does:
    where the new container would get a new anonymous volume (its ``volumes``, ``mounts`` or the image's
    VOLUME), it gets the old one by name instead. Changes ``body``; returns {container path: volume}."""
    old = anonymous_volumes(current)
    host = body.setdefault("HostConfig", {})
    kept = {}
    for mount in host.get("Mounts") or []:
        if mount.get("Type") == "volume" and not mount.get("Source") and mount.get("Target") in old:
            mount["Source"] = kept[mount["Target"]] = old[mount["Target"]]
    bound = set(mount.get("Target") for mount in host.get("Mounts") or [])
    bound.update(bind.split(":")[1] for bind in host.get("Binds") or [] if ":" in bind)
    bound.update(host.get("Tmpfs") or {})
    wanted = set(body.get("Volumes") or {}) | set(((image or {}).get("Config") or {}).get("Volumes") or {})
    for target in sorted(wanted - bound):
        if target in old:
            kept[target] = old[target]
            host.setdefault("Binds", []).append("%s:%s" % (old[target], target))
    return kept


def diff_of(desired, current, plan_):
    """before/after for diff mode: the options that differ, and the running state when it changes;
    after a recreate, also what it keeps from the old container."""
    before, after = {}, {}
    for difference in plan_.differences:
        before[difference.option] = plain(difference.before)
        after[difference.option] = plain(difference.after)
    if plan_.action == "create":  # what the task asks for, as given (the image by name)
        for name, value in desired.values.items():
            after[name] = plain(value)
    if plan_.carried:
        after["kept_from_old_container"] = dict((name, plain(value)) for name, value in plan_.carried.items())
    if plan_.kept_volumes:
        after["kept_anonymous_volumes"] = sorted(plan_.kept_volumes)
    state_before = "absent" if current is None else ("running" if running(current) else "stopped")
    state_after = state_before
    if plan_.action == "remove":
        state_after = "absent"
    elif plan_.action in ("create", "recreate"):
        state_after = "stopped"
    if plan_.step in ("start", "restart"):
        state_after = "running"
    elif plan_.step == "stop":
        state_after = "stopped"
    if state_before != state_after:
        before["state"], after["state"] = state_before, state_after
    return dict(before=before, after=after)


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
