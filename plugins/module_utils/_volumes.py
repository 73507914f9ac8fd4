# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Named volumes: facts, what differs from what is wanted, and making it so (``volume_task``, the
task of the module volume).

A volume cannot be changed once made: a difference is either a failure or, when the user's
``recreate`` policy allows it, a remove and create (which loses the volume's data).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ansible_collections.kapal.docker.plugins.module_utils._errors import EngineNotFound, KapalError
from ansible_collections.kapal.docker.plugins.module_utils._parse import string_map

RECREATE_POLICIES = ("never", "options-changed", "always")
# The local driver's rule for volume names (the engine's own check, made before any call so that
# check mode refuses what a real run would).
_LOCAL_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")


@dataclass
class VolumeSpec:
    """The volume wanted: ``None`` for driver_options or labels means "whatever it has"."""

    name: str
    driver: str = "local"
    driver_options: dict | None = None
    labels: dict | None = None
    recreate: str = "never"

    def facts(self):
        return dict(name=self.name, driver=self.driver, driver_options=dict(self.driver_options or {}),
                    labels=dict(self.labels or {}))


@dataclass
class VolumePlan:
    """What to do: ``action`` is one of none, create, recreate, remove."""

    action: str
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)

    @property
    def changed(self):
        return self.action != "none"


def volume_facts(inspect):
    """The comparable facts of a volume, from its inspect answer ({} for no volume)."""
    if inspect is None:
        return {}
    return dict(name=inspect["Name"], driver=inspect.get("Driver"), driver_options=dict(inspect.get("Options") or {}),
                labels=dict(inspect.get("Labels") or {}))


def volume_spec(params):
    """A VolumeSpec from the module's options; values of driver_options and labels become strings."""
    if params["driver"] == "local" and not _LOCAL_NAME.match(params["name"]):
        raise KapalError("name: invalid volume name %r (the local driver wants letters, digits, _ . -, starting with a letter or digit)"
                         % params["name"])
    return VolumeSpec(
        name=params["name"],
        driver=params["driver"],
        driver_options=string_map("driver_options", params["driver_options"]),
        labels=string_map("labels", params["labels"]),
        recreate=params["recreate"],
    )


def differences(current, spec):
    """The options whose wanted value differs from the volume's facts, in option order."""
    wanted = spec.facts()
    names = ["driver"]
    names += [name for name in ("driver_options", "labels") if getattr(spec, name) is not None]
    return [name for name in names if current.get(name) != wanted[name]]


def plan_present(current, spec):
    """The plan for state=present, or a one-line failure when the volume differs and may not be recreated."""
    if not current:
        return VolumePlan("create", {}, spec.facts())
    wanted = _merged(current, spec)
    if spec.recreate == "always":
        return VolumePlan("recreate", current, wanted)
    changed = differences(current, spec)
    if not changed:
        return VolumePlan("none", current, current)
    if spec.recreate == "never":
        option = changed[0]
        raise KapalError(
            "%s: volume %r has %r, not %r, and a volume cannot be changed "
            "(recreate: options-changed replaces it, losing its data)" % (option, spec.name, current[option], wanted[option])
        )
    return VolumePlan("recreate", current, wanted)


def _merged(current, spec):
    """What the volume will be: the wanted options, and the current ones where none are wanted."""
    after = spec.facts()
    for name in ("driver_options", "labels"):
        if getattr(spec, name) is None:
            after[name] = current.get(name, {})
    return after


def volume_users(engine, name):
    """Names of the containers (running or not) that mount the volume."""
    with engine.call("list containers using volume %s" % name):
        summaries = engine.api.containers(all=True, filters={"volume": name})
    return sorted(
        c["Names"][0].lstrip("/") if c.get("Names") else c["Id"][:12]
        for c in summaries
        if any(mount.get("Name") == name for mount in c.get("Mounts") or [])
    )


def refuse_if_used(engine, name, doing):
    users = volume_users(engine, name)
    if users:
        raise KapalError("name: cannot %s volume %r: it is in use by container%s %s"
                         % (doing, name, "s" if len(users) > 1 else "", ", ".join(users)))


def apply(engine, spec, plan, check_mode):
    """Carry out ``plan``, after checking that a volume to remove is unused; nothing more in check mode."""
    if plan.action in ("recreate", "remove"):
        refuse_if_used(engine, spec.name, plan.action)
    if check_mode or plan.action == "none":
        return
    if plan.action in ("recreate", "remove"):
        with engine.call("remove volume %s" % spec.name):
            engine.api.remove_volume(spec.name)
    if plan.action in ("create", "recreate"):
        try:
            with engine.call("create volume %s" % spec.name):
                engine.api.create_volume(spec.name, driver=spec.driver, driver_opts=plan.after["driver_options"] or None,
                                         labels=plan.after["labels"] or None)
        except EngineNotFound as exc:  # the engine's only 404 here: no such driver
            raise KapalError("driver: %r: %s" % (spec.driver, exc)) from None


def volume_task(engine, params, check_mode):
    """The kapal.docker.volume task: the result with the volume's inspect answer (None when there is none).

    In check mode, and when nothing changes, the inspect answer is the volume as it is now.
    """
    inspect = engine.inspect("volume", params["name"])
    current = volume_facts(inspect)
    if params["state"] == "absent":
        spec = VolumeSpec(name=params["name"])
        plan = VolumePlan("remove" if current else "none", current, {})
    else:
        spec = volume_spec(params)
        plan = plan_present(current, spec)
    apply(engine, spec, plan, check_mode)
    if plan.changed and not check_mode:
        inspect = engine.inspect("volume", spec.name)
    return dict(changed=plan.changed, volume=inspect, diff=dict(before=plan.before, after=plan.after))
