# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The container modules' entries: ``<verb>_task(engine, params, check_mode)`` returns the module's
result, diff included (``run_module`` shows it in diff mode only).

``container_task`` (kapal.docker.container: the batch of one), ``containers_task``
(kapal.docker.containers: every item validated as a container's options by ``desired_list``, under
``defaults``) and ``container_info_task`` (kapal.docker.container_info). A failure that comes with
results (what was done before it, every item's result) raises PartialFailure.
"""

from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.kapal.docker.plugins.module_utils._container.apply import ItemResult
from ansible_collections.kapal.docker.plugins.module_utils._container.facts import container_facts
from ansible_collections.kapal.docker.plugins.module_utils._container.options import MUTUALLY_EXCLUSIVE, argument_spec
from ansible_collections.kapal.docker.plugins.module_utils._container.plan import Desired
from ansible_collections.kapal.docker.plugins.module_utils._container.reconcile import reconcile
from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError, PartialFailure, one_line


def container_task(engine, params, check_mode):
    """kapal.docker.container: one container as desired state."""
    outcome = reconcile(engine, [Desired.from_params(params)], check_mode=check_mode)[0]
    return task_result(outcome)


def containers_task(engine, params, check_mode):
    """kapal.docker.containers: many containers from one snapshot, ``parallel`` at a time."""
    if params["parallel"] < 1:
        raise KapalError("parallel: expected a positive number, got %r" % params["parallel"])
    desireds = desired_list(params["containers"], params["defaults"])
    outcomes = reconcile(engine, desireds, check_mode=check_mode, parallel=params["parallel"],
                         prune_label=params["prune_label"])
    return batch_result(outcomes)


def container_info_task(engine, params, check_mode):
    """kapal.docker.container_info: the named containers, or a listing; changes nothing."""
    containers, exists = container_facts(engine, names=params["name"], list_all=params["all"], filters=params["filters"])
    return dict(changed=False, exists=exists, containers=containers)


def desired_list(items, defaults=None):
    """The ``containers`` list of kapal.docker.containers: every item validated against the spec
    that the table generates for one container, with ``defaults`` under it; no engine is asked."""
    exclusive = [list(group) for group in MUTUALLY_EXCLUSIVE]
    item_spec = argument_spec(defaults=False)
    _refuse_unsupported(item_spec, items, dict(defaults or {}))
    defaults_spec = dict(item_spec, name=dict(type="str"))
    base = _validated(ArgumentSpecValidator(defaults_spec, mutually_exclusive=exclusive), dict(defaults or {}), "defaults")
    base.pop("name", None)
    validator = ArgumentSpecValidator(item_spec, mutually_exclusive=exclusive)
    desireds = []
    for index, item in enumerate(items):
        where = _where(item, index)
        own = _validated(validator, item, where)
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


def _validated(validator, params, where):
    """``params`` as ``validator`` checks and converts them (options not given left out); its first
    complaint fails naming ``where``. Unsupported options were refused before (_refuse_unsupported)."""
    outcome = validator.validate(dict((key, value) for key, value in params.items() if value is not None))
    if outcome.error_messages:
        raise KapalError("containers: %s: %s" % (where, one_line(outcome.error_messages[0])))
    return dict((key, value) for key, value in outcome.validated_parameters.items() if value is not None)


def _where(item, index):
    return "item %s" % (item.get("name") or "#%d" % (index + 1))


def task_result(outcome):
    """The module result of one Outcome, its diff included; its error becomes the task's one-line
    failure, reported with ``changed`` and the actions done before it."""
    item = outcome.result or ItemResult(outcome.name)
    result = dict(changed=item.changed, actions=item.actions, container=item.container)
    if outcome.error is not None:
        raise PartialFailure(outcome.error, result)
    return dict(result, diff=item.diff)


def batch_result(outcomes):
    """The result of kapal.docker.containers, a diff per item included. The items' errors, after all
    ran, become one line, reported with ``changed`` and every item's result (its ``error`` says why
    it failed)."""
    items = [(o.result or ItemResult(o.name)).as_dict() for o in outcomes]
    for item, outcome in zip(items, outcomes):
        item["error"] = outcome.error
    result = dict(changed=any(item["changed"] for item in items), containers=items,
                  diff=[dict(item["diff"], before_header=item["name"], after_header=item["name"]) for item in items])
    errors = ["%s: %s" % (o.name, o.error) for o in outcomes if o.error is not None]
    if errors:
        raise PartialFailure("containers: %d of %d failed: %s" % (len(errors), len(outcomes), "; ".join(errors)), result)
    return result
