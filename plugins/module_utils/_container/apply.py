# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine side of one plan: ``apply`` carries it out and records each step in an ItemResult.

Create (a container that cannot start is removed again), the safe recreate (the old container is
kept, stopped and renamed aside, until its successor runs; rolled back when the successor cannot
start), the live update, the start/stop/restart step, removal, and ``wait`` (running or healthy).
Nothing here is called in check mode. A failure once something was done raises ItemFailed, whose
item says what was done and how it was undone.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Optional

from ansible_collections.kapal.docker.plugins.module_utils._container.options import networks_to_connect
from ansible_collections.kapal.docker.plugins.module_utils._container.plan import running
from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError, one_line


_LOG_LINES = 10


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


def apply(engine, desired, current, plan_, result):
    """Carry out ``plan_``, recording each step done in ``result``; returns the container's id
    afterwards (None when removed). A failure raises ItemFailed with what was done before it."""
    container_id = current["Id"] if current else None
    if plan_.action == "remove":
        remove(engine, desired.name, container_id)
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
                discard(engine, desired.name, container_id)
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
        discard(engine, name, created["Id"])
        raise
    return created["Id"]


def remove(engine, name, container_id):
    """Remove a container; its anonymous volumes stay (``v=False``), as with ``state: absent``."""
    with engine.call("remove container %s" % name):
        engine.api.remove_container(container_id, force=True, v=False)


def discard(engine, name, container_id):
    """Remove a container this run created and that never served (with the new anonymous volumes it
    brought; volumes kept from an older container are mounted by name and stay)."""
    with engine.call("remove container %s" % name):
        engine.api.remove_container(container_id, force=True, v=True)


def _step(engine, step, name, container_id):
    calls = dict(start=engine.api.start, stop=engine.api.stop, restart=engine.api.restart)
    with engine.call("%s container %s" % (step, name)):
        calls[step](container_id)


def _update(engine, desired, container_id, body):
    # The SDK's update_container() knows no NanoCpus: post the Engine API's update body as it is.
    engine.request("update container %s" % desired.name, "POST", "/containers/{0}/update", container_id, body=body)


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
                wait(engine, desired, new_id)
    except KapalError as exc:
        _roll_back(engine, desired, current, new_id, aside if moved else None, stopped, exc, result)
    for step in plan_.describe():
        result.did(step)
    try:
        remove(engine, aside, current["Id"])
    except KapalError as exc:
        result.error = "%s; the new container runs, the old one is left stopped as %s" % (exc, aside)
        raise ItemFailed(result) from None
    return new_id


def _roll_back(engine, desired, current, new_id, aside, stopped, exc, result):
    """After a failed recreate: remove the new container, give the old one its name back (from
    ``aside``, None when it still has it) and start it again if it was ``stopped``. Raises ItemFailed
    saying how it ended."""
    try:
        discard(engine, desired.name, new_id)
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


def wait(engine, desired, container_id):
    """Wait until the container is running (and still running a second later) or healthy."""
    begun = time.monotonic()
    deadline = begun + desired.wait_timeout
    started_at = None
    while True:
        inspect = engine.inspect("container", container_id) or {}
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
        time.sleep(1 if desired.wait == "running" else poll_interval(time.monotonic() - begun))


def poll_interval(elapsed):
    """Seconds between two reads of a container waited for (healthy, completed), ``elapsed`` seconds
    into the wait: often at first, when a dependency's first health check is due (a run waits on it
    before it starts what depends on it), then less and less, up to every half second."""
    return min(0.5, 0.1 + elapsed / 20.0)


def _last_logs(engine, container_id):
    try:
        with engine.call("read logs"):
            text = engine.api.logs(container_id, tail=_LOG_LINES)
    except KapalError:
        return "(no logs)"
    lines = [line.strip() for line in text.decode("utf-8", "replace").splitlines() if line.strip()]
    return " | ".join(lines) if lines else "(no output)"


def _health_output(health):
    log = (health or {}).get("Log") or []
    return one_line(log[-1].get("Output") or "(no output)") if log else "(no health check has run yet)"
