# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Compose project applied through the container planner: ``compose_task`` (kapal.docker.compose).

The reader (``load``, ``mapping``) gives the project; here it becomes desired networks, volumes and
containers, and the existing pieces do the rest: ``_networks`` and ``_volumes`` create what is
missing, ``_container.reconcile`` plans and applies the containers, one dependency layer after the
other (a layer's dependencies are running, healthy or completed before it starts), every layer from
the one snapshot the task takes (its containers, images and networks, read once; what a layer waits
for is read again as it waits). Everything is read and checked before the first change, so a bad
file or a refused network changes nothing.

A container whose ``com.docker.compose.config-hash`` label is the service's (made by kapal or by
``docker compose up``) is adopted as it is: only its image and running state are compared.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from ansible_collections.kapal.docker.plugins.module_utils._build import BUILD_HASH_LABEL, build_task
from ansible_collections.kapal.docker.plugins.module_utils._compose.load import load_project
from ansible_collections.kapal.docker.plugins.module_utils._compose.mapping import (
    CONFIG_HASH_LABEL,
    IMAGE_LABEL,
    NETWORK_LABEL,
    ONEOFF_LABEL,
    PROJECT_LABEL,
    SERVICE_LABEL,
    VOLUME_LABEL,
    container_params,
    image_name,
    network_params,
    volume_params,
)
from ansible_collections.kapal.docker.plugins.module_utils._compose.model import ComposeError, service_dependencies
from ansible_collections.kapal.docker.plugins.module_utils._container.apply import ItemResult, discard, poll_interval, wait
from ansible_collections.kapal.docker.plugins.module_utils._container.options import OPTIONS
from ansible_collections.kapal.docker.plugins.module_utils._container.plan import Desired, Plan, diff_of, plan
from ansible_collections.kapal.docker.plugins.module_utils._container.reconcile import (
    Outcome,
    check_engine_api,
    image_reference,
    run_batch,
    snapshot,
)
from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError, PartialFailure
from ansible_collections.kapal.docker.plugins.module_utils._image_transfer import plan_pull
from ansible_collections.kapal.docker.plugins.module_utils._networks import (
    NetworkSpec,
    differences as network_differences,
    ipam_pools,
    network_facts,
    network_task,
)
from ansible_collections.kapal.docker.plugins.module_utils._reference import ImageRef
from ansible_collections.kapal.docker.plugins.module_utils._volumes import VolumePlan, VolumeSpec, volume_facts
from ansible_collections.kapal.docker.plugins.module_utils._volumes import apply as apply_volume

STATES = ("present", "stopped", "restarted", "absent")
PULL_POLICIES = ("missing", "always", "never")
BUILD_POLICIES = ("missing", "always", "never")
# The build policy as kapal.docker.image_build's rebuild (whose never still builds a missing image).
_REBUILD = {"missing": "never", "always": "always"}
RECREATE_POLICIES = ("auto", "always", "never")
# At most this many containers of a layer are reconciled at a time (as the Compose CLI, a layer's
# containers are made and started together).
PARALLEL = 16
# A service's pull_policy as the pull policy of its containers (when the task gives no ``pull``).
_SERVICE_PULL = {"always": "always", "never": "never", "missing": "missing", "if_not_present": "missing"}


def compose_task(engine, params, check_mode):
    """kapal.docker.compose: the project read (nothing changed when it cannot be), then applied."""
    for option, choices in (("state", STATES), ("build", BUILD_POLICIES), ("recreate", RECREATE_POLICIES)):
        if params[option] not in choices:
            raise KapalError("%s: expected one of %s, got %r" % (option, ", ".join(choices), params[option]))
    if params["pull"] is not None and params["pull"] not in PULL_POLICIES:
        raise KapalError("pull: expected one of %s, got %r" % (", ".join(PULL_POLICIES), params["pull"]))
    if params["wait_timeout"] <= 0:
        raise KapalError("wait_timeout: expected a positive number of seconds, got %r" % params["wait_timeout"])
    project = load_project(
        project_src=params["project_src"], files=params["files"], definition=params["definition"],
        project_name=params["project_name"], env_files=params["env_files"], profiles=params["profiles"],
        services=params["services"], environ=dict(os.environ),
    )
    with engine.call("list containers"):
        listing = engine.api.containers(all=True)
    if params["state"] == "absent":
        return _down(engine, project, params, project_containers(listing, project.name), check_mode)
    return _up(engine, project, params, listing, check_mode)


def project_containers(listing, project_name):
    """{name: listing entry} of the project's containers in ``listing`` (the engine's container
    listing), not ``docker compose run``'s one-offs."""
    found = {}
    for entry in listing:
        labels = entry.get("Labels") or {}
        if labels.get(PROJECT_LABEL) != project_name or labels.get(ONEOFF_LABEL) == "True":
            continue
        name = next((n.lstrip("/") for n in entry.get("Names") or [] if "/" not in n.lstrip("/")), None)
        if name:
            found[name] = entry
    return found


def layers(project, services=None):
    """The services in dependency layers: every service after all it depends on."""
    level = {}
    for name in project.order:
        dependencies = service_dependencies(project.services[name], project.services)
        level[name] = 1 + max([level[d] for d in dependencies], default=-1)
    names = [n for n in project.order if services is None or n in services]
    return [[n for n in names if level[n] == index] for index in range(max(level.values()) + 1) if
            any(level[n] == index for n in names)]


# -- desired containers -------------------------------------------------------------------------------

def _depended_on(project, condition):
    return set(d.service for s in project.services.values() for d in s.depends_on if d.condition == condition)


def desired_containers(engine, project, params):
    """{service: [Desired]}: every replica of every service as the container planner takes it.
    Fails (changing nothing) naming the service."""
    healthy = _depended_on(project, "service_healthy")
    completed = _depended_on(project, "service_completed_successfully")
    result = {}
    for service in project.services.values():
        pull = _pull_policy(engine, project, service, params)
        result[service.name] = []
        for number in range(1, service.scale + 1):
            control = dict(state="stopped" if params["state"] == "stopped" else "started",
                           restart=params["state"] == "restarted", recreate=params["recreate"] == "always",
                           pull=pull, wait=_wait_for(service, params, healthy, completed),
                           wait_timeout=params["wait_timeout"])
            given = container_params(project, service, number)
            try:
                desired = Desired.from_params(dict(given, **control))
            except KapalError as exc:
                raise ComposeError("compose: services.%s: %s" % (service.name, exc)) from None
            result[service.name].append(desired)
    return result


def adopt(project, by_service, existing, recreate, local, images=None):
    """``by_service`` with the existing containers adopted (see ``adopted``), each compared with the
    local image of its service (``local``: {reference: inspect answer} of the images present, as the
    snapshot read them; ``images``: {service: inspect answer} of images still to come), and with the
    label ``com.docker.compose.image`` (see ``with_image_label``)."""
    completed = _depended_on(project, "service_completed_successfully")
    result = {}
    for name, desireds in by_service.items():
        image = (images or {}).get(name)
        if image is None and desireds:
            image = local.get(image_reference(desireds[0]))
        image_id = (image or {}).get("Id")
        result[name] = [adopted(with_image_label(d, image_id), existing.get(d.name), recreate, name in completed, image_id)
                        for d in desireds]
    return result


def with_image_label(desired, image_id):
    """``desired`` with the label ``com.docker.compose.image``: the id of the image it runs, which the
    Compose CLI compares to recreate a container whose image changed (without it, ``docker compose up``
    recreates every container kapal made). Only when that image is known before the container is made:
    the local image (``image_id``) when the container's pull policy keeps it (never; missing, and it is
    there); with pull always, or a missing image to pull, the label is left out."""
    if not image_id or desired.pull == "always":
        return desired
    labels = dict(desired.values.get("labels") or {}, **{IMAGE_LABEL: image_id})
    return replace(desired, values=dict(desired.values, labels=labels))


def _pull_policy(engine, project, service, params):
    """The pull policy of the service's containers (an image to build is never pulled)."""
    if service.build is not None:
        image = image_name(project, service)
        if params["build"] == "never" and engine.inspect("image", image) is None:
            raise ComposeError("compose: services.%s: build: image %s is not present on Docker Engine at %s and build is "
                               "never" % (service.name, image, engine.host))
        return "never"
    if params["pull"] is not None:
        return params["pull"]
    if service.pull_policy is None:
        return "missing"
    if service.pull_policy not in _SERVICE_PULL:
        raise ComposeError("compose: services.%s.pull_policy: %s is not supported by kapal.docker (expected one of %s)"
                           % (service.name, service.pull_policy, ", ".join(_SERVICE_PULL)))
    return _SERVICE_PULL[service.pull_policy]


def _wait_for(service, params, healthy, completed):
    """What the container is waited for after it is started: healthy for a service_healthy
    dependency and, with ``wait``, for a service with a healthcheck; else running (with ``wait``)."""
    if params["state"] == "stopped" or service.name in completed:
        return None
    has_check = service.healthcheck is not None and service.healthcheck.test != ("NONE",)
    if service.name in healthy or (params["wait"] and has_check):
        return "healthy"
    return "running" if params["wait"] else None


def adopted(desired, entry, recreate, one_shot=False, image_id=None):
    """``desired`` for a container that exists (``entry``, its listing entry): with the service's config
    hash (or ``recreate: never``) only its image (none with never) and running state are compared; a
    one-shot dependency that completed is left as it is. A container of another image than the
    service's local one (``image_id``) is planned from the whole service: a recreate makes it anew
    from the file rather than keep its options."""
    if entry is None or recreate == "always":
        return desired
    labels = entry.get("Labels") or {}
    if recreate == "never":
        values = {}
    elif labels.get(CONFIG_HASH_LABEL) != desired.values["labels"][CONFIG_HASH_LABEL]:
        return desired
    elif image_id and entry.get("ImageID") and entry["ImageID"] != image_id:
        return desired
    else:
        values = dict(image=desired.values["image"])
    done = one_shot and entry.get("State") == "exited" and (entry.get("Status") or "").startswith("Exited (0)")
    return replace(desired, values=values, state="present" if done else desired.state)


# -- images to build ----------------------------------------------------------------------------------

def build_images(engine, project, params, check_mode):
    """Build the images of the services with a build section as the ``build`` policy says (through
    kapal.docker.image_build's task: content-addressed, nothing built in check mode): {service: result}."""
    built = {}
    if params["build"] == "never":
        return built
    for service in project.services.values():
        build = service.build
        if build is None:
            continue
        context = build.context
        if "://" in context or context.startswith(("github.com/", "git@")):
            raise ComposeError("compose: services.%s.build.context: a remote context (%s) is not supported by kapal.docker"
                               % (service.name, context))
        if not context.startswith("/"):
            if not project.working_dir:
                raise ComposeError("compose: services.%s.build.context: a relative context (%s) needs project_src"
                                   % (service.name, context))
            context = os.path.join(project.working_dir, context)
        try:
            built[service.name] = build_task(engine, dict(
                name=image_name(project, service), path=context, dockerfile=build.dockerfile,
                build_args=dict(build.args), target=build.target, labels=dict(build.labels),
                rebuild=_REBUILD[params["build"]]), check_mode)
        except KapalError as exc:
            raise KapalError("compose: services.%s.build: %s" % (service.name, exc)) from None
    return built


# -- networks and volumes -----------------------------------------------------------------------------

def _used(project):
    networks = set(n.key for s in project.services.values() for n in s.networks)
    volumes = set(m.source for s in project.services.values() for m in s.volumes if m.type == "volume" and m.source)
    return sorted(networks), sorted(volumes)


def _check_owner(kind, key, inspect, project, label):
    """An existing network or volume that another project (or another key of this one) owns is refused."""
    labels = inspect.get("Labels") or {}
    for name, wanted in ((PROJECT_LABEL, project.name), (label, key)):
        if labels.get(name) not in (None, wanted):
            raise ComposeError("compose: %ss.%s: %s %s exists with label %s=%s, not %s"
                               % (kind, key, kind, inspect["Name"], name, labels[name], wanted))


def plan_networks(engine, project):
    """[(params, action)] for the project's networks in use: create, or none (an existing network with
    other options fails: the engine cannot change a network, and kapal does not recreate it)."""
    planned = []
    for key in _used(project)[0]:
        network = project.networks[key]
        params = network_params(project, key)
        inspect = engine.inspect("network", network.name)
        if params is None:
            if inspect is None:
                raise ComposeError("compose: networks.%s: external network %s not found on Docker Engine at %s"
                                   % (key, network.name, engine.host))
            continue
        if inspect is None:
            planned.append((params, "create"))
            continue
        _check_owner("network", key, inspect, project, NETWORK_LABEL)
        spec = NetworkSpec(name=params["name"], driver=params.get("driver"), internal=params["internal"],
                           attachable=params["attachable"], enable_ipv6=params.get("enable_ipv6"),
                           ipam_config=ipam_pools(params.get("ipam_config")))
        changed = network_differences(network_facts(inspect), spec)
        if changed:
            raise ComposeError("compose: networks.%s: network %s exists with another %s; remove the project (state: "
                               "absent) to make it anew" % (key, network.name, ", ".join(changed)))
        planned.append((params, "none"))
    return planned


def plan_volumes(engine, project):
    """[(VolumeSpec, action)] for the project's named volumes in use: create, or none."""
    planned = []
    for key in _used(project)[1]:
        volume = project.volumes[key]
        params = volume_params(project, key)
        inspect = engine.inspect("volume", volume.name)
        if params is None:
            if inspect is None:
                raise ComposeError("compose: volumes.%s: external volume %s not found on Docker Engine at %s"
                                   % (key, volume.name, engine.host))
            continue
        spec = VolumeSpec(name=params["name"], driver=params.get("driver") or "local",
                          driver_options=params.get("driver_options"), labels=params["labels"])
        if inspect is None:
            planned.append((spec, "create"))
            continue
        _check_owner("volume", key, inspect, project, VOLUME_LABEL)
        if inspect.get("Driver") != spec.driver:
            raise ComposeError("compose: volumes.%s: volume %s exists with driver %s, not %s"
                               % (key, volume.name, inspect.get("Driver"), spec.driver))
        planned.append((spec, "none"))
    return planned


def _create_networks(engine, planned, check_mode):
    for params, action in planned:
        if action == "create":
            network_task(engine, dict(params, state="present", force=False, driver=params.get("driver"),
                                      driver_options=params.get("driver_options"), ipam_config=params.get("ipam_config"),
                                      enable_ipv6=params.get("enable_ipv6")), check_mode)


def _create_volumes(engine, planned, check_mode):
    for spec, action in planned:
        if action == "create":
            apply_volume(engine, spec, VolumePlan("create", {}, spec.facts()), check_mode)


# -- up -----------------------------------------------------------------------------------------------

def _up(engine, project, params, listing, check_mode):
    existing = project_containers(listing, project.name)
    by_service = desired_containers(engine, project, params)
    networks = plan_networks(engine, project)
    volumes = plan_volumes(engine, project)
    stale = _stale(project, existing, by_service, params["remove_orphans"])
    check_engine_api(engine, [desired for desireds in by_service.values() for desired in desireds])
    # Everything is read and checked: from here on things change.
    built = build_images(engine, project, params, check_mode)
    _create_networks(engine, networks, check_mode)
    _create_volumes(engine, volumes, check_mode)
    missing = set(p["name"] for p, action in networks if action == "create") if check_mode else set()
    # The task's one snapshot (after the builds, which change images): every layer is planned from it.
    removed = [Desired.from_params(dict(name=name, state="absent")) for name in stale]
    present = [p["name"] for p, _action in networks if p["name"] not in missing]
    taken = snapshot(engine, [d for desireds in by_service.values() for d in desireds] + removed, listing=listing,
                     networks=present)
    # In check mode, a container of an image still to build is predicted against the image to come.
    to_come = dict((name, _to_come(taken.images, image_name(project, project.services[name]), result["build_hash"]))
                   for name, result in built.items() if result["changed"] and check_mode)
    by_service = adopt(project, by_service, existing, params["recreate"], taken.images, to_come)
    rebuilt = dict((d.name, to_come[name]) for name in to_come for d in by_service[name])
    order = layers(project)
    if params["state"] == "stopped":
        order.reverse()  # dependents stop first
    later = [] if check_mode or params["state"] == "stopped" else [
        d for layer in order[1:] for name in layer for d in by_service[name] if _created_ahead(d, taken)]
    outcomes = {}
    failed = None
    ahead = None
    with ThreadPoolExecutor(max_workers=1) as background:
        for index, layer in enumerate(order):
            if params["state"] != "stopped":
                restart_dependents(project, layer, by_service, outcomes)
            desireds = (removed if index == 0 else []) + [d for name in layer for d in by_service[name]]
            created = ahead.result() if ahead is not None and index > 0 else {}
            if failed is not None:
                outcomes.update((d.name, _skipped(engine, d, failed, created.get(d.name))) for d in desireds)
                continue
            done, new = _start_layer(engine, desireds, created, taken, missing, rebuilt, check_mode)
            outcomes.update(done)
            if index == 0 and later:
                # The containers of later layers are made (not started) while the first layer's are
                # waited for, as the Compose CLI makes every container before it starts any.
                ahead = background.submit(_create_ahead, engine, later, taken)
            _wait_new(engine, new, outcomes)
            if not check_mode and params["state"] != "stopped":
                _wait_completed(engine, project, layer, by_service, outcomes, params["wait_timeout"])
            failed = next((name for name in layer if any(outcomes[d.name].error for d in by_service[name])), None)
    result = _up_result(project, by_service, outcomes, stale, networks, volumes, built)
    errors = ["%s: %s" % (o.name, o.error) for o in outcomes.values() if o.error is not None]
    if errors:
        raise PartialFailure("compose: %d of %d containers failed: %s" % (len(errors), len(outcomes), "; ".join(errors)),
                             result)
    return result


def _start_layer(engine, desireds, created, taken, missing, rebuilt, check_mode):
    """A layer's containers reconciled together (those made ahead, ``created``: {name: Outcome}, started),
    but not waited for when this run makes them: ({name: Outcome}, [the Desired to wait for once the
    layer's containers are all started]). One made ahead that failed keeps its Outcome."""
    pending = [d for d in desireds if d.name not in created or created[d.name].error is None]
    by_name = dict((d.name, d) for d in pending)
    new = [d for d in pending if d.wait and d.state == "started" and not check_mode
           and (taken.containers.get(d.name) is None or d.name in created)]
    waited = set(d.name for d in new)
    batch = [replace(d, wait=None) if d.name in waited else d for d in pending]
    outcomes = {}
    for outcome in _run_layer(engine, batch, _with_created(taken, created), missing, rebuilt, check_mode):
        made = created.get(outcome.name)
        outcomes[outcome.name] = outcome if made is None else _started_ahead(engine, by_name[outcome.name], made, outcome)
    outcomes.update((d.name, created[d.name]) for d in desireds if d.name not in by_name)
    return outcomes, new


def _created_ahead(desired, taken):
    """Whether the container is made ahead of its layer: one to create and start (not one that names
    another container, ``container:<name>``, which may be made in an earlier layer)."""
    if desired.state != "started" or taken.containers.get(desired.name) is not None:
        return False
    return not any(option.container_ref and str(desired.values.get(option.name) or "").startswith("container:")
                   for option in OPTIONS)


def _create_ahead(engine, desireds, taken):
    """{name: Outcome} of making ``desireds`` without starting them (their images pulled, if need be)."""
    made = run_batch(engine, [replace(d, state="present", wait=None, restart=False) for d in desireds], taken,
                     parallel=PARALLEL)
    return dict((outcome.name, outcome) for outcome in made)


def _with_created(taken, created):
    """The task's snapshot with the containers this run made ahead, as they were made."""
    if not created:
        return taken
    containers = dict(taken.containers)
    containers.update((name, outcome.result.container) for name, outcome in created.items() if outcome.error is None)
    return replace(taken, containers=containers)


def _pulled(item):
    return any(action.startswith("pull: ") for action in item.actions)


def _started_ahead(engine, desired, made, started):
    """The Outcome of a container made ahead (``made``) and started in its layer (``started``): what
    both did, as the create and start of one run. One that cannot start is removed again, as a create
    removes it (the next run would meet it)."""
    done = started.result or ItemResult(started.name)
    item = ItemResult(started.name, changed=True, actions=made.result.actions + done.actions, container=done.container)
    if started.error is None:
        item.diff = diff_of(desired, None, Plan("create", then="start"))
        return Outcome(started.name, item)
    item.error = started.error
    if "start" not in done.actions and made.result.container:
        try:
            discard(engine, started.name, made.result.container["Id"])
            item.did("remove: the new container could not start", changed=False)
            item.changed, item.container = _pulled(item), None
            item.error += "; the new container was removed"
        except KapalError as exc:
            item.error += "; removing it failed too: %s" % exc
    return Outcome(started.name, item, item.error)


def _skipped(engine, desired, failed, made=None):
    """The Outcome of a container whose layer does not run (service ``failed`` failed before it); one
    made ahead (``made``) is removed again."""
    if made is not None and made.error is not None:
        return made
    reason = "skipped: service %s failed before it" % failed
    item = ItemResult(desired.name, error=reason)
    if made is not None and made.result.container:
        item.actions = list(made.result.actions)
        try:
            discard(engine, desired.name, made.result.container["Id"])
            item.did("remove: made ahead, not started", changed=False)
        except KapalError as exc:
            item.error = reason = "%s; the container made ahead is left: %s" % (reason, exc)
            item.container = made.result.container
        item.changed = _pulled(item) or item.container is not None
    return Outcome(desired.name, item, reason)


def _renewed(outcome):
    """Whether this run created, recreated or restarted the container (or would, in check mode)."""
    if outcome is None or outcome.error is not None or outcome.result is None:
        return False
    return any(action.split(":")[0] in ("create", "recreate", "restart") for action in outcome.result.actions)


def restart_dependents(project, layer, by_service, outcomes):
    """depends_on with ``restart: true``, as Compose does it: a service of ``layer`` whose dependency's
    container was created, recreated or restarted by this run is restarted after it (``by_service``
    updated; a container that is itself made anew needs no restart)."""
    for name in layer:
        dependencies = [d.service for d in project.services[name].depends_on if d.restart]
        if any(_renewed(outcomes.get(desired.name)) for dependency in dependencies
               for desired in by_service.get(dependency, [])):
            by_service[name] = [replace(desired, restart=True) for desired in by_service[name]]


def _stale(project, existing, by_service, remove_orphans):
    """Containers to remove: replicas beyond a service's scale, and with ``remove_orphans`` the
    containers of services the files do not define (any more)."""
    wanted = set(d.name for items in by_service.values() for d in items)
    defined = set(project.services) | set(project.disabled)
    stale = []
    for name, entry in sorted(existing.items()):
        service = (entry.get("Labels") or {}).get(SERVICE_LABEL)
        if name in wanted:
            continue
        if service in project.services or (remove_orphans and service not in defined):
            stale.append(name)
    return stale


def _run_layer(engine, desireds, taken, missing_networks, rebuilt, check_mode):
    """Reconcile one layer from the task's snapshot (``taken``), its containers together. In check mode
    a container on a network still to be created (or sharing the namespace of a container still to be
    created), or of an image still to be built (``rebuilt``: {container: the image to come}), is
    predicted here."""
    predicted = [d for d in desireds
                 if check_mode and (d.name in rebuilt or _waits_on_missing(engine, d, missing_networks))]
    rest = [d for d in desireds if d not in predicted]
    outcomes = run_batch(engine, rest, taken, check_mode=check_mode, parallel=PARALLEL) if rest else []
    return outcomes + [_predicted(engine, d, taken, rebuilt.get(d.name)) for d in predicted]


def _to_come(local, image, build_hash):
    """The inspect answer of an image a build will make anew (``local``: the images the snapshot
    read): its id is not known before the build, its build hash label is."""
    before = local.get(ImageRef.parse(image, "image").pull_reference) or {}
    config = dict(before.get("Config") or {})
    config["Labels"] = dict(config.get("Labels") or {}, **{BUILD_HASH_LABEL: build_hash})
    return dict(before, Id="%s (after the build)" % image, Config=config)


def _waits_on_missing(engine, desired, missing_networks):
    if any(n["name"] in missing_networks for n in desired.values.get("networks") or []):
        return True
    for option in ("network_mode", "pid_mode"):
        value = desired.values.get(option) or ""
        if value.startswith("container:") and engine.inspect("container", value[len("container:"):]) is None:
            return True
    return False


def _predicted(engine, desired, taken, image=None):
    """Check mode's plan for a container whose network or namespace container does not exist yet, or
    whose ``image`` a build makes anew (``taken``: the task's snapshot)."""
    current = taken.containers.get(desired.name)
    pulled = False
    if image is None and "image" in desired.values:
        try:
            pull_plan = plan_pull(engine, ImageRef.parse(desired.values["image"], "image"), desired.pull,
                                  local=taken.images.get(image_reference(desired)))
        except KapalError as exc:
            return Outcome(desired.name, ItemResult(desired.name, container=current, error=str(exc)), str(exc))
        image, pulled = pull_plan.before, pull_plan.changed
    plan_ = plan(desired, current, image)
    actions = (["pull: %s" % desired.values["image"]] if pulled else []) + plan_.describe()
    return Outcome(desired.name, ItemResult(desired.name, changed=plan_.changed or pulled, actions=actions,
                                            diff=diff_of(desired, current, plan_), container=current))


def _wait_new(engine, desireds, outcomes):
    """The waits (running, healthy) of containers this run made, put off until their layer's containers
    are all started: each as reconcile waits for it (a failure is the item's, with the container as it
    is then), together."""
    def one(desired):
        outcome = outcomes[desired.name]
        item = outcome.result
        if outcome.error is not None or item is None or not item.container:
            return
        try:
            item.container = wait(engine, desired, item.container["Id"])
        except KapalError as exc:
            outcome.error = item.error = str(exc)
            item.diff = {}
            try:
                item.container = engine.inspect("container", desired.name)
            except KapalError:
                item.container = None

    if desireds:
        with ThreadPoolExecutor(max_workers=min(PARALLEL, len(desireds))) as pool:
            list(pool.map(one, desireds))


def _wait_completed(engine, project, layer, by_service, outcomes, timeout):
    """The layer's service_completed_successfully dependencies: wait until they exited, with code 0."""
    for name in layer:
        if not any(d.condition == "service_completed_successfully" and d.service == name
                   for s in project.services.values() for d in s.depends_on):
            continue
        for desired in by_service[name]:
            outcome = outcomes[desired.name]
            if outcome.error is None and desired.state == "started":
                try:
                    outcome.result.container = wait_completed(engine, desired.name, timeout)
                except KapalError as exc:
                    outcome.error = outcome.result.error = str(exc)


def wait_completed(engine, name, timeout):
    """Wait until the container exited (its inspect answer then); fail unless its exit code is 0."""
    started = time.monotonic()
    while True:
        inspect = engine.inspect("container", name) or {}
        state = inspect.get("State") or {}
        if not state.get("Running") and not state.get("Restarting"):
            if state.get("ExitCode") == 0:
                return inspect
            raise KapalError("wait: container %s did not complete successfully: it exited with code %s"
                             % (name, state.get("ExitCode")))
        elapsed = time.monotonic() - started
        if elapsed >= timeout:
            raise KapalError("wait: container %s has not completed after %ss" % (name, timeout))
        time.sleep(poll_interval(elapsed))


# -- down ---------------------------------------------------------------------------------------------

def _down(engine, project, params, existing, check_mode):
    """Remove the project's containers (dependents first), then its networks, and with
    ``remove_volumes`` its named volumes and the containers' anonymous volumes."""
    selected = set(project.services) if params["services"] else set(project.services) | set(project.disabled)
    order = [n for layer in reversed(layers(project)) for n in layer]
    rank = dict((name, index) for index, name in enumerate(order))

    def doomed(entry):
        service = (entry.get("Labels") or {}).get(SERVICE_LABEL)
        if service in selected:
            return True
        return params["remove_orphans"] and not params["services"] and service not in project.disabled

    names = sorted((n for n, e in existing.items() if doomed(e)),
                   key=lambda n: (rank.get(_service_of(existing[n]), -1), n))
    containers = []
    for name in names:
        entry = existing[name]
        item = ItemResult(name, changed=True, actions=["remove"],
                          diff=dict(before=dict(state=entry.get("State")), after=dict(state="absent")))
        if not check_mode:
            if entry.get("State") == "running":
                with engine.call("stop container %s" % name):
                    engine.api.stop(entry["Id"])
            with engine.call("remove container %s" % name):
                engine.api.remove_container(entry["Id"], force=True, v=params["remove_volumes"])
        containers.append(item.as_dict())
    networks, volumes = [], []
    if not params["services"]:
        networks = _remove_owned(engine, project, "network", [n.name for n in project.networks.values() if not n.external],
                                 check_mode)
        if params["remove_volumes"]:
            volumes = _remove_owned(engine, project, "volume", [v.name for v in project.volumes.values() if not v.external],
                                    check_mode)
    services = dict((name, dict(changed=any(_service_of(existing[c["name"]]) == name for c in containers),
                                containers=[], state="absent", image=image_name(project, service), published_ports=[]))
                    for name, service in project.services.items())
    diff = [dict(c["diff"], before_header=c["name"], after_header=c["name"]) for c in containers]
    diff += [dict(before=dict(state="present"), after=dict(state="absent"), before_header=n["name"],
                  after_header=n["name"]) for n in networks + volumes]
    return dict(changed=bool(containers or networks or volumes), project=project.name, services=services,
                containers=containers, networks=networks, volumes=volumes, project_warnings=list(project.warnings), diff=diff)


def _service_of(entry):
    return (entry.get("Labels") or {}).get(SERVICE_LABEL)


def _remove_owned(engine, project, kind, names, check_mode):
    """Remove the networks or volumes of ``names`` that exist and carry this project's label."""
    removed = []
    for name in sorted(set(names)):
        inspect = engine.inspect(kind, name)
        if inspect is None or (inspect.get("Labels") or {}).get(PROJECT_LABEL) != project.name:
            continue
        if not check_mode:
            if kind == "network":
                network_task(engine, dict(name=name, state="absent", force=False), False)
            else:
                apply_volume(engine, VolumeSpec(name=name), VolumePlan("remove", volume_facts(inspect), {}), False)
        removed.append(dict(name=name, action="remove"))
    return removed


# -- results ------------------------------------------------------------------------------------------

def published_ports(inspect):
    """The container's published ports as ``docker ps`` shows them: ``0.0.0.0:8080->80/tcp``."""
    ports = ((inspect or {}).get("NetworkSettings") or {}).get("Ports") or {}
    shown = []
    for port, bindings in sorted(ports.items()):
        for binding in bindings or []:
            shown.append("%s:%s->%s" % (binding.get("HostIp") or "0.0.0.0", binding.get("HostPort"), port))
    return shown


def _state(containers):
    states = sorted(set(((c or {}).get("State") or {}).get("Status") or "absent" for c in containers))
    if not states:
        return "absent"
    return states[0] if len(states) == 1 else "mixed"


def _up_result(project, by_service, outcomes, stale, networks, volumes, built):
    items = []
    services = {}
    diff = []
    for name, desireds in by_service.items():
        results = [outcomes[d.name].result or ItemResult(d.name) for d in desireds]
        for item, desired in zip(results, desireds):
            item_dict = item.as_dict()
            item_dict["error"] = outcomes[desired.name].error
            items.append(item_dict)
            diff.append(dict(item.diff, before_header="%s (service %s)" % (item.name, name),
                             after_header="%s (service %s)" % (item.name, name)))
        inspects = [item.container for item in results if item.container]
        services[name] = dict(
            changed=any(item.changed for item in results),
            containers=[d.name for d in desireds],
            state=_state(inspects),
            image=image_name(project, project.services[name]),
            published_ports=[port for inspect in inspects for port in published_ports(inspect)],
        )
    for name in stale:
        item = outcomes[name].result or ItemResult(name)
        items.append(dict(item.as_dict(), error=outcomes[name].error))
        diff.append(dict(item.diff, before_header=name, after_header=name))
    network_results = [dict(name=p["name"], action=action) for p, action in networks]
    volume_results = [dict(name=s.name, action=action) for s, action in volumes]
    for entry in network_results + volume_results:
        if entry["action"] == "create":
            diff.insert(0, dict(before=dict(state="absent"), after=dict(state="present"),
                                before_header=entry["name"], after_header=entry["name"]))
    images = []
    for name, build in built.items():
        images.append(dict(service=name, image=image_name(project, project.services[name]), built=build["built"],
                           changed=build["changed"]))
        if build["changed"]:
            header = "image %s (service %s)" % (images[-1]["image"], name)
            diff.insert(0, dict(build["diff"], before_header=header, after_header=header))
    changed = (any(item["changed"] for item in items) or any(e["action"] != "none" for e in network_results + volume_results)
               or any(image["changed"] for image in images))
    return dict(changed=changed, project=project.name, services=services, containers=items, networks=network_results,
                volumes=volume_results, images=images, project_warnings=list(project.warnings), diff=diff)
