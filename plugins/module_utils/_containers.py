# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reconcile core of kapal.docker.container and kapal.docker.containers.

Three steps, each separate: ``Desired.from_params`` (task values -> normalized desired state,
no engine), ``plan`` (pure: desired + inspect answers -> what to do and why), and ``apply`` (the
engine calls, none of them in check mode). ``reconcile`` runs a batch of containers from one
engine snapshot with bounded concurrency; the single-container module is the batch of one.
"""

from __future__ import annotations

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
    argument_spec,
    networks_to_connect,
    parse_options,
    parse_pull,
    plain,
    resolve_comparisons,
    same,
)
from ansible_collections.kapal.docker.plugins.module_utils._errors import EngineConflict, EngineNotFound, KapalError, one_line
from ansible_collections.kapal.docker.plugins.module_utils._images import ensure_image, inspect_image
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
    is the running-state step after it (start|stop|restart or None)."""

    action: str
    differences: tuple = ()
    live_updates: dict = field(default_factory=dict)
    then: Optional[str] = None

    @property
    def changed(self):
        return self.action != "none" or self.then is not None

    def describe(self):
        """The ``actions`` list of the result, e.g. ['recreate: image, env changed', 'start']."""
        steps = []
        if self.action in ("recreate", "update") and self.differences:
            steps.append("%s: %s changed" % (self.action, ", ".join(d.option for d in self.differences)))
        elif self.action == "recreate":
            steps.append("recreate: forced")
        elif self.action != "none":
            steps.append(self.action)
        if self.then:
            steps.append(self.then)
        return steps


def running(inspect):
    state = (inspect or {}).get("State") or {}
    return bool(state.get("Running")) or bool(state.get("Restarting"))


def plan(desired, current, image, comparisons):
    """Pure: compare ``desired`` with ``current`` (inspect or None) made from ``image`` (inspect or None)."""
    if current is None:
        if desired.state == "absent":
            return Plan("none")
        if "image" not in desired.values:
            raise KapalError("image: required to create container %s, which does not exist, got None" % desired.name)
        return Plan("create", then="start" if desired.state == "started" else None)
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
    needs_recreate = desired.recreate or any(not OPTION_BY_NAME[d.option].updates_live(d.after) for d in differences)
    if needs_recreate:
        keep_running = desired.state == "started" or (desired.state == "present" and is_running)
        return Plan("recreate", tuple(differences), then="start" if keep_running else None)

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


def live_update_body(differences, current):
    """The engine's update body for live differences, e.g. {'Memory': ..., 'MemorySwap': ...}."""
    seed = dict(HostConfig=dict(RestartPolicy=dict((current.get("HostConfig") or {}).get("RestartPolicy") or {})))
    fields = []
    for difference in differences:
        option = OPTION_BY_NAME[difference.option]
        option.write(seed, difference.after)
        fields.extend(option.live)
    return dict((name, seed["HostConfig"][name]) for name in fields)


def create_body(desired, current, image, old_image=None):
    """The create call's body: the given options, and from ``current`` (made from ``old_image``) what
    the task does not give and did not come from that image, so that "not given" means "as it is"."""
    excluded = set()
    for group in MUTUALLY_EXCLUSIVE:
        if any(name in desired.values for name in group):
            excluded.update(group)
    body = dict(HostConfig={})
    for option in OPTIONS:
        if option.write is None:
            continue
        if option.name in desired.values:
            option.write(body, desired.values[option.name])
        elif current is not None and option.name not in excluded:
            carried = option.carried(current, old_image)
            if carried is not None:
                option.write(body, carried)
    if "image" not in desired.values:
        # Not managed: the very image the old container runs, by name when the name still means it.
        same_image = image is not None and image.get("Id") == current.get("Image")
        body["Image"] = current["Config"]["Image"] if same_image else current["Image"]
    return body


def diff_of(desired, current, plan_):
    """before/after for diff mode: the options that differ, and the running state when it changes."""
    before, after = {}, {}
    for difference in plan_.differences:
        before[difference.option] = plain(difference.before)
        after[difference.option] = plain(difference.after)
    if plan_.action == "create":  # what the task asks for, as given (the image by name)
        for name, value in desired.values.items():
            after[name] = plain(value)
    state_before = "absent" if current is None else ("running" if running(current) else "stopped")
    state_after = state_before
    if plan_.action == "remove":
        state_after = "absent"
    elif plan_.action in ("create", "recreate"):
        state_after = "stopped"
    step = plan_.then or (plan_.action if plan_.action in ("start", "stop", "restart") else None)
    if step in ("start", "restart"):
        state_after = "running"
    elif step == "stop":
        state_after = "stopped"
    if state_before != state_after:
        before["state"], after["state"] = state_before, state_after
    return dict(before=before, after=after)


# -- the engine side ---------------------------------------------------------------------------

@dataclass
class ItemResult:
    name: str
    changed: bool = False
    actions: list = field(default_factory=list)
    container: Optional[dict] = None
    diff: dict = field(default_factory=dict)

    def as_dict(self):
        return dict(name=self.name, changed=self.changed, actions=self.actions, container=self.container, diff=self.diff)


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
    """(pulled, image inspect) for the image the container should run."""
    if "image" in desired.values and desired.state != "absent":
        ref = ImageRef.parse(desired.values["image"], "image")
        return ensure_image(engine, ref, desired.pull, check_mode)
    if current is not None:
        return False, inspect_image(engine, current["Image"])
    return False, None


def _create(engine, desired, name, body):
    with engine.call("create container %s" % desired.name):
        created = engine.api.create_container_from_config(body, name)
    for network, endpoint in networks_to_connect(desired.values.get("networks")):
        with engine.call("connect container %s to network %s" % (desired.name, network)):
            engine.api.connect_container_to_network(
                created["Id"], network, aliases=endpoint.get("Aliases"),
                ipv4_address=(endpoint.get("IPAMConfig") or {}).get("IPv4Address"),
            )
    return created["Id"]


def _remove(engine, name, container_id):
    with engine.call("remove container %s" % name):
        engine.api.remove_container(container_id, force=True, v=False)


def _recreate(engine, desired, current, body):
    """Create the new container beside the old one; only then replace the old one (volumes stay)."""
    temporary = "%s-kapal-%s" % (desired.name, uuid.uuid4().hex[:8])
    new_id = _create(engine, desired, temporary, body)
    try:
        if running(current):
            with engine.call("stop container %s" % desired.name):
                engine.api.stop(current["Id"])
        _remove(engine, desired.name, current["Id"])
    except KapalError:
        _remove(engine, temporary, new_id)
        raise
    with engine.call("rename container %s to %s" % (temporary, desired.name)):
        engine.api.rename(new_id, desired.name)
    return new_id


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


def apply(engine, desired, current, image, plan_):
    """Carry out ``plan_``; returns the container's inspect answer afterwards (None when removed)."""
    container_id = current["Id"] if current else None
    if plan_.action == "remove":
        _remove(engine, desired.name, container_id)
        return None
    if plan_.action == "create":
        container_id = _create(engine, desired, desired.name, create_body(desired, None, image))
    elif plan_.action == "recreate":
        old_image = inspect_image(engine, current["Image"])
        container_id = _recreate(engine, desired, current, create_body(desired, current, image, old_image))
    elif plan_.action == "update":
        _update(engine, desired, container_id, plan_.live_updates)
    step = plan_.then or (plan_.action if plan_.action in ("start", "stop", "restart") else None)
    if step:
        calls = dict(start=engine.api.start, stop=engine.api.stop, restart=engine.api.restart)
        with engine.call("%s container %s" % (step, desired.name)):
            calls[step](container_id)
    return inspect_container(engine, container_id)


def reconcile_one(engine, desired, current, check_mode=False):
    """Plan and (unless check mode) apply one container; the result for the module."""
    if desired.state != "absent":
        _check_networks(engine, desired)
        desired = _resolve_container_refs(engine, desired)
    pulled, image = _image_of(engine, desired, current, check_mode)
    plan_ = plan(desired, current, image, desired.comparisons)
    result = ItemResult(desired.name, changed=plan_.changed or pulled, actions=plan_.describe(),
                        diff=diff_of(desired, current, plan_))
    if pulled:
        result.actions.insert(0, "pull: %s" % desired.values["image"])
    if check_mode:
        result.container = current
        return result
    result.container = apply(engine, desired, current, image, plan_) if plan_.changed else current
    if desired.wait and desired.state == "started" and result.container is not None:
        result.container = _wait(engine, desired, result.container["Id"])
    return result


def prune_one(engine, name, label, check_mode=False):
    result = ItemResult(name, changed=True, actions=["remove: not in the list, carries the label %s" % label],
                        diff=dict(before=dict(state="present"), after=dict(state="absent")))
    if not check_mode:
        _remove(engine, name, name)
    return result


@dataclass
class Outcome:
    """One item of a batch: its result, or the one-line error that stopped it."""

    name: str
    result: Optional[ItemResult] = None
    error: Optional[str] = None


def reconcile(engine, desireds, check_mode=False, parallel=4, prune_label=None):
    """Reconcile every desired container from one snapshot, ``parallel`` at a time; never raises
    for one item: each Outcome carries its result or its error, in the order given (strays last)."""
    names = [d.name for d in desireds]
    for name in names:
        if names.count(name) > 1:
            raise KapalError("containers: the name %r is given more than once" % name)
    current, strays = snapshot(engine, names, prune_label)

    def run(job):
        kind, item = job
        try:
            if kind == "prune":
                return Outcome(item, prune_one(engine, item, prune_label, check_mode))
            try:
                return Outcome(item.name, reconcile_one(engine, item, current[item.name], check_mode))
            except EngineConflict:
                # Another run changed this container since the snapshot (the engine answered 409,
                # e.g. the name is already in use): plan once more from the engine's state now.
                return Outcome(item.name, reconcile_one(engine, item, _settled(engine, item.name), check_mode))
        except KapalError as exc:
            return Outcome(item if kind == "prune" else item.name, error=str(exc))

    jobs = [("item", d) for d in desireds] + [("prune", name) for name in strays]
    if len(jobs) == 1:
        return [run(jobs[0])]
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        return list(pool.map(run, jobs))


def task_result(outcome, diff=False):
    """The module result of one Outcome; its error becomes the task's one-line failure."""
    if outcome.error is not None:
        raise KapalError(outcome.error)
    item = outcome.result
    result = dict(changed=item.changed, actions=item.actions, container=item.container)
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
    """The result of kapal.docker.containers; the items' errors, after all ran, become one line."""
    errors = ["%s: %s" % (o.name, o.error) for o in outcomes if o.error is not None]
    if errors:
        raise KapalError("containers: %d of %d failed: %s" % (len(errors), len(outcomes), "; ".join(errors)))
    items = [o.result.as_dict() for o in outcomes]
    result = dict(changed=any(item["changed"] for item in items), containers=items)
    if diff:
        result["diff"] = [dict(item["diff"], before_header=item["name"], after_header=item["name"]) for item in items]
    return result
