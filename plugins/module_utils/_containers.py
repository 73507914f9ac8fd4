# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reconcile core of kapal.docker.container and kapal.docker.containers.

Three steps, each separate: ``Desired.from_params`` (task values -> normalized desired state,
no engine), ``plan`` (pure: desired + inspect answers -> what to do and why), and ``apply`` (the
engine calls, none of them in check mode). ``reconcile`` runs a batch of containers from one
engine snapshot with bounded concurrency; the single-container module is the batch of one.
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Optional

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.kapal.docker.plugins.module_utils._container_options import (
    CONTROL_DEFAULTS,
    MUTUALLY_EXCLUSIVE,
    OPTION_BY_NAME,
    OPTIONS,
    anonymous_volumes,
    argument_spec,
    networks_to_connect,
    parse_options,
    parse_pull,
    plain,
    resolve_comparisons,
    same,
)
from ansible_collections.kapal.docker.plugins.module_utils._errors import (
    EngineConflict,
    EngineNotFound,
    KapalError,
    PartialFailure,
    one_line,
)
from ansible_collections.kapal.docker.plugins.module_utils._image_transfer import ensure_image, plan_pull
from ansible_collections.kapal.docker.plugins.module_utils._images import inspect_image
from ansible_collections.kapal.docker.plugins.module_utils._reference import ImageRef

_BUILTIN_NETWORKS = ("bridge", "host", "none", "default")
_LOG_LINES = 10


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


def plan(desired, current, image, comparisons):
    """Pure: compare ``desired`` with ``current`` (inspect or None) made from ``image`` (inspect or None).

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
        if not same(comparisons.get(option.name, option.compare), wanted, actual):
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


# -- the engine side ---------------------------------------------------------------------------

@dataclass
class ItemResult:
    """One container's result; after a failure, ``actions`` and ``changed`` say what was done before it."""

    name: str
    changed: bool = False
    actions: list = field(default_factory=list)
    container: Optional[dict] = None
    diff: dict = field(default_factory=dict)
    error: Optional[str] = None

    def as_dict(self):
        return dict(name=self.name, changed=self.changed, actions=self.actions, container=self.container,
                    diff=self.diff, error=self.error)

    def did(self, action, changed=True):
        self.actions.append(action)
        self.changed = self.changed or changed


class ItemFailed(KapalError):
    """One container failed after its run began: ``item`` is its ItemResult (what was done, the error)."""

    def __init__(self, item):
        super().__init__(item.error)
        self.item = item


def inspect_container(engine, name):
    try:
        with engine.call("inspect container %s" % name):
            return engine.api.inspect_container(name)
    except EngineNotFound:
        return None


def _settled(engine, name, patience=10.0):
    """The inspect answer of a container another client is creating right now: the engine reserves
    the name (a create answers 409) a moment before the container can be inspected."""
    deadline = time.monotonic() + patience
    while True:
        found = inspect_container(engine, name)
        if found is not None or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def snapshot(engine, names, prune_label=None):
    """One container listing, then inspects of the named containers that exist: {name: inspect}.

    With ``prune_label``, also the names of the containers carrying that label that are not named.
    """
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
    current = dict((name, inspect_container(engine, existing[name]) if name in existing else None) for name in names)
    return current, sorted(strays)


def _check_networks(engine, desired):
    names = [n["name"] for n in desired.values.get("networks") or []]
    mode = desired.values.get("network_mode")
    if mode and mode not in _BUILTIN_NETWORKS and not mode.startswith("container:"):
        names.append(mode)
    for network in names:
        try:
            with engine.call("inspect network %s" % network):
                engine.api.inspect_network(network)
        except EngineNotFound:
            option = "network_mode" if network == mode else "networks"
            raise KapalError("%s: no network named %r on Docker Engine at %s" % (option, network, engine.host)) from None


def _resolve_container_refs(engine, desired):
    """``container:<name>`` values (network_mode, pid_mode) -> ``container:<id>``, as the engine stores them."""
    values = dict(desired.values)
    for option in OPTIONS:
        value = values.get(option.name)
        if not option.container_ref or not isinstance(value, str) or not value.startswith("container:"):
            continue
        other = value[len("container:"):]
        found = inspect_container(engine, other)
        if found is None:
            raise KapalError("%s: no container named %r on Docker Engine at %s" % (option.name, other, engine.host))
        values[option.name] = "container:" + found["Id"]
    return replace(desired, values=values)


def _image_of(engine, desired, current, check_mode):
    """(pulled, image inspect) for the image the container should run.

    In check mode nothing is pulled: when a pull would bring another image, the answer is the local
    image under the id the registry names (the id is what a container is compared by), so that the
    recreate the pull causes is predicted. Without a given image: the image the container runs.
    """
    if "image" in desired.values and desired.state != "absent":
        ref = ImageRef.parse(desired.values["image"], "image")
        if not check_mode:
            present = ensure_image(engine, ref, desired.pull)
            return present.changed, present.after
        pull_plan = plan_pull(engine, ref, desired.pull)
        if pull_plan.changed and pull_plan.before is not None:
            new_id = (pull_plan.remote and pull_plan.remote.config_digest) or "%s (after the pull)" % ref.pull_reference
            return True, dict(pull_plan.before, Id=new_id)
        return pull_plan.changed, pull_plan.before
    if current is not None:
        return False, inspect_image(engine, current["Image"])
    return False, None


class _EngineInfo:
    """The engine's ``docker info`` answer, asked once per task and only when a recreate needs it."""

    def __init__(self, engine):
        self._engine = engine
        self._lock = threading.Lock()
        self._info = None

    def get(self):
        with self._lock:
            if self._info is None:
                with self._engine.call("read engine info"):
                    self._info = self._engine.api.info()
            return self._info


def _create(engine, desired, name, body):
    with engine.call("create container %s" % desired.name):
        created = engine.api.create_container_from_config(body, name)
    try:
        for network, endpoint in networks_to_connect(desired.values.get("networks")):
            with engine.call("connect container %s to network %s" % (desired.name, network)):
                engine.api.connect_container_to_network(
                    created["Id"], network, aliases=endpoint.get("Aliases"),
                    ipv4_address=(endpoint.get("IPAMConfig") or {}).get("IPv4Address"),
                )
    except KapalError:
        _discard(engine, name, created["Id"])
        raise
    return created["Id"]


def _remove(engine, name, container_id):
    """Remove a container; its anonymous volumes stay (``v=False``), as with ``state: absent``."""
    with engine.call("remove container %s" % name):
        engine.api.remove_container(container_id, force=True, v=False)


def _discard(engine, name, container_id):
    """Remove a container this run created and that never served (with the new anonymous volumes it
    brought; volumes kept from an older container are mounted by name and stay)."""
    with engine.call("remove container %s" % name):
        engine.api.remove_container(container_id, force=True, v=True)


def _step(engine, step, name, container_id):
    calls = dict(start=engine.api.start, stop=engine.api.stop, restart=engine.api.restart)
    with engine.call("%s container %s" % (step, name)):
        calls[step](container_id)


def _recreate(engine, desired, current, plan_, result):
    """Replace ``current`` and keep it until its successor runs.

    The new container is created under a temporary name; the old one is stopped (it may hold the
    host ports) and renamed aside; the new one takes the name and is started (and waited for, with
    ``wait``); only then is the old one removed. When the new one cannot start, it is removed, the
    old one gets its name back and runs again if it ran: nothing is lost for nothing.
    """
    token = uuid.uuid4().hex[:8]
    new_id = _create(engine, desired, "%s-kapal-%s" % (desired.name, token), plan_.body)
    aside = "%s-kapal-old-%s" % (desired.name, token)
    stopped = moved = False
    try:
        if running(current):
            _step(engine, "stop", desired.name, current["Id"])
            stopped = True
        with engine.call("rename container %s to %s" % (desired.name, aside)):
            engine.api.rename(current["Id"], aside)
        moved = True
        with engine.call("rename container %s to %s" % (new_id[:12], desired.name)):
            engine.api.rename(new_id, desired.name)
        if plan_.then:
            _step(engine, plan_.then, desired.name, new_id)
            if desired.wait and desired.state == "started":
                _wait(engine, desired, new_id)
    except KapalError as exc:
        _roll_back(engine, desired, current, new_id, aside if moved else None, stopped, exc, result)
    result.did(plan_.headline())
    for step in plan_.kept():
        result.did(step)
    if plan_.then:
        result.did(plan_.then)
    try:
        _remove(engine, aside, current["Id"])
    except KapalError as exc:
        result.error = "%s; the new container runs, the old one is left stopped as %s" % (exc, aside)
        raise ItemFailed(result) from None
    return new_id


def _roll_back(engine, desired, current, new_id, aside, stopped, exc, result):
    """After a failed recreate: remove the new container, give the old one its name back (from
    ``aside``, None when it still has it) and start it again if it was ``stopped``. Raises ItemFailed
    saying how it ended."""
    try:
        _discard(engine, desired.name, new_id)
        if aside is not None:
            with engine.call("rename container %s to %s" % (aside, desired.name)):
                engine.api.rename(current["Id"], desired.name)
        if stopped:
            _step(engine, "start", desired.name, current["Id"])
    except KapalError as undo:
        result.did("rolled back in part: %s" % undo)
        result.error = "%s; rolling back failed too: %s; the old container is %s" % (exc, undo, aside or desired.name)
        raise ItemFailed(result) from None
    again = "runs again" if stopped else "is back as it was"
    result.did("rolled back: the new container could not start and was removed; the old one %s" % again, changed=stopped)
    result.error = "%s; the new container was removed and the old one %s" % (exc, again)
    raise ItemFailed(result) from None


def _update(engine, desired, container_id, body):
    with engine.call("update container %s" % desired.name):
        # The SDK's update_container() knows no NanoCpus: post the Engine API's update body as it is.
        response = engine.api._post_json(engine.api._url("/containers/{0}/update", container_id), data=body)
        engine.api._raise_for_status(response)


def _last_logs(engine, container_id):
    try:
        with engine.call("read logs"):
            text = engine.api.logs(container_id, tail=_LOG_LINES)
    except KapalError:
        return "(no logs)"
    lines = [line.strip() for line in text.decode("utf-8", "replace").splitlines() if line.strip()]
    return " | ".join(lines) if lines else "(no output)"


def _wait(engine, desired, container_id):
    """Wait until the container is running (and still running a second later) or healthy."""
    deadline = time.monotonic() + desired.wait_timeout
    started_at = None
    while True:
        inspect = inspect_container(engine, container_id) or {}
        state = inspect.get("State") or {}
        if not state.get("Running") and not state.get("Restarting"):
            raise KapalError(one_line("wait: container %s is not %s: it exited with code %s; last log lines: %s" % (
                desired.name, desired.wait, state.get("ExitCode"), _last_logs(engine, container_id))))
        health = state.get("Health")
        if desired.wait == "running" and state.get("Running") and not state.get("Restarting"):
            if started_at == state.get("StartedAt"):
                return inspect
            started_at = state.get("StartedAt")
        elif desired.wait == "healthy":
            if health is None:
                raise KapalError("wait: container %s has no healthcheck, so it cannot become healthy" % desired.name)
            if health.get("Status") == "healthy":
                return inspect
            if health.get("Status") == "unhealthy":
                raise KapalError(one_line("wait: container %s is unhealthy; last health check output: %s" % (
                    desired.name, _health_output(health))))
        if time.monotonic() >= deadline:
            detail = _health_output(health) if desired.wait == "healthy" and health else _last_logs(engine, container_id)
            raise KapalError(one_line("wait: container %s is not %s after %ss; last %s: %s" % (
                desired.name, desired.wait, desired.wait_timeout,
                "health check output" if desired.wait == "healthy" else "log lines", detail)))
        time.sleep(1 if desired.wait == "running" else 0.5)


def _health_output(health):
    log = (health or {}).get("Log") or []
    return one_line(log[-1].get("Output") or "(no output)") if log else "(no health check has run yet)"


def apply(engine, desired, current, plan_, result):
    """Carry out ``plan_``, recording each step done in ``result``; returns the container's id
    afterwards (None when removed). A failure raises ItemFailed with what was done before it."""
    container_id = current["Id"] if current else None
    if plan_.action == "remove":
        _remove(engine, desired.name, container_id)
        result.did("remove")
        return None
    if plan_.action == "recreate":
        return _recreate(engine, desired, current, plan_, result)
    if plan_.action == "create":
        changed_before = result.changed
        container_id = _create(engine, desired, desired.name, plan_.body)
        result.did("create")
        if plan_.then == "start":
            try:
                _step(engine, "start", desired.name, container_id)
            except KapalError as exc:
                # Never leave a container that cannot start behind: the next run would meet it.
                _discard(engine, desired.name, container_id)
                result.did("remove: the new container could not start", changed=False)
                result.changed = changed_before  # created and removed: as it was
                result.error = "%s; the new container was removed" % exc
                raise ItemFailed(result) from None
            result.did("start")
        return container_id
    if plan_.action == "update":
        _update(engine, desired, container_id, plan_.live_updates)
        result.did(plan_.headline())
    if plan_.step:
        _step(engine, plan_.step, desired.name, container_id)
        result.did(plan_.step)
    return container_id


def reconcile_one(engine, desired, current, check_mode=False, engine_info=None):
    """Plan and (unless check mode) apply one container; its ItemResult. A failure once something
    was done raises ItemFailed, whose item says what was done."""
    if desired.state != "absent":
        _check_networks(engine, desired)
        desired = _resolve_container_refs(engine, desired)
    pulled, image = _image_of(engine, desired, current, check_mode)
    plan_ = plan(desired, current, image, desired.comparisons)
    if plan_.action == "recreate":
        old_image = image if image is not None and image.get("Id") == current["Image"] else inspect_image(engine, current["Image"])
        plan_ = with_carry_over(plan_, desired, current, image, old_image, (engine_info or _EngineInfo(engine)).get())
    pull = ["pull: %s" % desired.values["image"]] if pulled else []
    planned = ItemResult(desired.name, changed=plan_.changed or pulled, actions=pull + plan_.describe(),
                         diff=diff_of(desired, current, plan_), container=current)
    if check_mode:
        return planned
    done = ItemResult(desired.name, changed=pulled, actions=list(pull))
    try:
        container_id = apply(engine, desired, current, plan_, done) if plan_.changed else (current or {}).get("Id")
        if desired.wait and desired.state == "started" and container_id and plan_.action != "recreate":
            _wait(engine, desired, container_id)
    except KapalError as exc:
        if isinstance(exc, EngineConflict) and done.actions == pull:
            raise  # nothing done yet: reconcile plans again from the engine's state now
        if isinstance(exc, ItemFailed):
            done = exc.item
        else:
            done.error = str(exc)
        raise ItemFailed(_settle_failed(engine, done)) from None
    planned.container = inspect_container(engine, container_id) if container_id else None
    return planned


def _settle_failed(engine, item):
    """A failed item's result: the container as it is now (None when there is none), no diff."""
    try:
        item.container = inspect_container(engine, item.name)
    except KapalError:
        item.container = None
    item.diff = {}
    return item


def prune_one(engine, name, label, check_mode=False):
    result = ItemResult(name, changed=True, actions=["remove: not in the list, carries the label %s" % label],
                        diff=dict(before=dict(state="present"), after=dict(state="absent")))
    if not check_mode:
        _remove(engine, name, name)
    return result


@dataclass
class Outcome:
    """One item of a batch: its result, and the one-line error that stopped it (None when it did not)."""

    name: str
    result: Optional[ItemResult] = None
    error: Optional[str] = None


def reconcile(engine, desireds, check_mode=False, parallel=4, prune_label=None):
    """Reconcile every desired container from one snapshot, ``parallel`` at a time; never raises
    for one item: each Outcome carries its result (after a failure: what was done) and its error,
    in the order given (strays last)."""
    names = [d.name for d in desireds]
    for name in names:
        if names.count(name) > 1:
            raise KapalError("containers: the name %r is given more than once" % name)
    current, strays = snapshot(engine, names, prune_label)
    engine_info = _EngineInfo(engine)

    def run(job):
        kind, item = job
        name = item if kind == "prune" else item.name
        try:
            if kind == "prune":
                return Outcome(name, prune_one(engine, item, prune_label, check_mode))
            try:
                return Outcome(name, reconcile_one(engine, item, current[name], check_mode, engine_info))
            except EngineConflict:
                # Another run changed this container since the snapshot (the engine answered 409,
                # e.g. the name is already in use): plan once more from the engine's state now.
                return Outcome(name, reconcile_one(engine, item, _settled(engine, name), check_mode, engine_info))
        except ItemFailed as exc:
            return Outcome(name, exc.item, exc.item.error)
        except KapalError as exc:
            return Outcome(name, ItemResult(name, container=current.get(name), error=str(exc)), str(exc))

    jobs = [("item", d) for d in desireds] + [("prune", name) for name in strays]
    if len(jobs) == 1:
        return [run(jobs[0])]
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        return list(pool.map(run, jobs))


def task_result(outcome, diff=False):
    """The module result of one Outcome; its error becomes the task's one-line failure, reported
    with ``changed`` and the actions done before it."""
    item = outcome.result or ItemResult(outcome.name)
    result = dict(changed=item.changed, actions=item.actions, container=item.container)
    if outcome.error is not None:
        raise PartialFailure(outcome.error, result)
    if diff:
        result["diff"] = item.diff
    return result


def _validated(validator, spec, params, where):
    known = set(spec)
    for entry in spec.values():
        known.update(entry.get("aliases") or [])
    unknown = sorted(set(params) - known)
    if unknown:
        raise KapalError("containers: %s: unsupported option %s (an item takes the options of kapal.docker.container)"
                         % (where, ", ".join(unknown)))
    outcome = validator.validate(dict((key, value) for key, value in params.items() if value is not None))
    if outcome.error_messages:
        raise KapalError("containers: %s: %s" % (where, one_line(outcome.error_messages[0])))
    return dict((key, value) for key, value in outcome.validated_parameters.items() if value is not None)


def _where(item, index):
    return "item %s" % (item.get("name") or "#%d" % (index + 1))


def _refuse_unsupported(spec, items, defaults):
    """The options of ``defaults`` and of every item that a container does not take, in one message."""
    if defaults.get("name") is not None:
        raise KapalError("containers: defaults: name is given per item, not as a default, got %r" % (defaults["name"],))
    known = set(spec)
    for entry in spec.values():
        known.update(entry.get("aliases") or [])
    found = []
    for where, params in [("defaults", defaults)] + [(_where(item, index), item) for index, item in enumerate(items)]:
        unknown = sorted(set(params) - known)
        if unknown:
            found.append("%s: unsupported option%s %s" % (where, "s" if len(unknown) > 1 else "", ", ".join(unknown)))
    if found:
        raise KapalError("containers: %s (an item takes the options of kapal.docker.container)" % "; ".join(found))


def desired_list(items, defaults=None):
    """The ``containers`` list of kapal.docker.containers: every item validated against the spec
    that the table generates for one container, with ``defaults`` under it; no engine is asked."""
    exclusive = [list(group) for group in MUTUALLY_EXCLUSIVE]
    item_spec = argument_spec(defaults=False)
    _refuse_unsupported(item_spec, items, dict(defaults or {}))
    defaults_spec = dict(item_spec, name=dict(type="str"))
    base = _validated(ArgumentSpecValidator(defaults_spec, mutually_exclusive=exclusive), defaults_spec,
                      dict(defaults or {}), "defaults")
    base.pop("name", None)
    validator = ArgumentSpecValidator(item_spec, mutually_exclusive=exclusive)
    desireds = []
    for index, item in enumerate(items):
        where = _where(item, index)
        own = _validated(validator, item_spec, item, where)
        params = dict(base)
        for group in MUTUALLY_EXCLUSIVE:  # an item's networks replace the defaults' network_mode, and so on
            if any(name in own for name in group):
                for name in group:
                    params.pop(name, None)
        params.update(own)
        try:
            desireds.append(Desired.from_params(params))
        except KapalError as exc:
            raise KapalError("containers: %s: %s" % (where, exc)) from None
    return desireds


def batch_result(outcomes, diff=False):
    """The result of kapal.docker.containers. The items' errors, after all ran, become one line,
    reported with ``changed`` and every item's result (its ``error`` says why it failed)."""
    items = [(o.result or ItemResult(o.name)).as_dict() for o in outcomes]
    for item, outcome in zip(items, outcomes):
        item["error"] = outcome.error
    result = dict(changed=any(item["changed"] for item in items), containers=items)
    if diff:
        result["diff"] = [dict(item["diff"], before_header=item["name"], after_header=item["name"]) for item in items]
    errors = ["%s: %s" % (o.name, o.error) for o in outcomes if o.error is not None]
    if errors:
        raise PartialFailure("containers: %d of %d failed: %s" % (len(errors), len(outcomes), "; ".join(errors)), result)
    return result
