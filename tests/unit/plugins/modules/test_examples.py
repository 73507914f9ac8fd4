"""Every module's EXAMPLES are YAML tasks whose kapal.docker tasks validate against that module's spec.

A module's argument spec is built inside its main(), so it is captured there: main() runs with the
module's ``engine_module`` replaced by a stand-in that records what it was given and stops. The
engine options that engine_module adds are added here the same way. Templated values
("{{ ... }}") are only known at run time, so they satisfy any type and any choice.
"""

from __future__ import annotations

import copy
import importlib
import os

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.kapal.docker.plugins.module_utils._container.tasks import desired_list
from ansible_collections.kapal.docker.plugins.module_utils._engine import ENGINE_OPTIONS
from tests.conftest import ROOT

MODULES_DIR = os.path.join(ROOT, "plugins", "modules")
MODULES = sorted(name[:-3] for name in os.listdir(MODULES_DIR) if name.endswith(".py") and not name.startswith("_"))
PREFIX = "kapal.docker."
ACTION_GROUP = "group/kapal.docker.docker"

# Modules whose EXAMPLES are known not to validate. Each entry names its issue; remove it once fixed
# (strict xfail: a fixed module whose mark stays fails the run).
KNOWN_BAD = {}

# Task keywords that hold more tasks.
NESTED = ("block", "rescue", "always")


class _Captured(Exception):
    def __init__(self, argument_spec, kwargs):
        super().__init__("captured")
        self.argument_spec = argument_spec
        self.kwargs = kwargs


def _capture(argument_spec, **kwargs):
    raise _Captured(argument_spec, kwargs)


def module_spec(name, monkeypatch):
    """(argument spec with the engine options, AnsibleModule keyword arguments) of module ``name``."""
    module = importlib.import_module("ansible_collections.kapal.docker.plugins.modules.%s" % name)
    monkeypatch.setattr(module, "engine_module", _capture)
    try:
        module.main()
    except _Captured as captured:
        spec = dict(ENGINE_OPTIONS)
        spec.update(captured.argument_spec)
        return spec, captured.kwargs
    raise AssertionError("%s: main() did not build its module through engine_module" % name)


def is_templated(value):
    return isinstance(value, str) and "{{" in value


def loosen(spec, params):
    """A copy of ``spec`` where every option given a templated value accepts anything (type raw)."""
    spec = copy.deepcopy(spec)
    _loosen(spec, params)
    return spec


def _option(spec, key):
    if key in spec:
        return spec[key]
    for entry in spec.values():
        if key in entry.get("aliases", ()):
            return entry
    return None


def _loosen(spec, params):
    if not isinstance(params, dict):
        return
    for key, value in params.items():
        entry = _option(spec, key)
        if entry is None:
            continue
        if is_templated(value):
            entry["type"] = "raw"
            for constraint in ("choices", "elements", "options"):
                entry.pop(constraint, None)
        elif entry.get("options"):
            for item in value if isinstance(value, list) else [value]:
                if is_templated(item):
                    entry["type"] = "raw"
                    for constraint in ("choices", "elements", "options"):
                        entry.pop(constraint, None)
                    break
                _loosen(entry["options"], item)
        elif isinstance(value, list) and any(is_templated(item) for item in value):
            entry.pop("elements", None)
            entry.pop("choices", None)


def contains_template(value):
    if isinstance(value, dict):
        return any(contains_template(k) or contains_template(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_template(item) for item in value)
    return is_templated(value)


def tasks_of(tasks):
    """Every task of a task list, blocks included, as (task, module_defaults in force)."""
    found = []

    def walk(items, defaults):
        for task in items:
            assert isinstance(task, dict), "a task must be a mapping, got %r" % (task,)
            here = dict(defaults)
            here.update(task.get("module_defaults") or {})
            nested = [key for key in NESTED if key in task]
            if nested:
                for key in nested:
                    walk(task[key] or [], here)
            else:
                found.append((task, here))

    walk(tasks, {})
    return found


def validation_errors(spec, kwargs, params):
    validator = ArgumentSpecValidator(
        loosen(spec, params),
        mutually_exclusive=kwargs.get("mutually_exclusive"),
        required_together=kwargs.get("required_together"),
        required_one_of=kwargs.get("required_one_of"),
        required_if=kwargs.get("required_if"),
        required_by=kwargs.get("required_by"),
    )
    return validator.validate(params).error_messages


def module_items_errors(name, params):
    """Checks a module makes of its list items beyond the argument spec, run without an engine."""
    if name == "containers" and not contains_template(params):
        try:
            desired_list(params["containers"], params.get("defaults"))
        except Exception as exc:  # pylint: disable=broad-exception-caught
            return [str(exc)]
    return []


def examples_of(name):
    module = importlib.import_module("ansible_collections.kapal.docker.plugins.modules.%s" % name)
    return yaml.safe_load(module.EXAMPLES)


def _marked(name):
    if name in KNOWN_BAD:
        return pytest.param(name, marks=pytest.mark.xfail(reason=KNOWN_BAD[name], strict=True))
    return name


@pytest.mark.parametrize("name", [_marked(name) for name in MODULES])
def test_examples_validate_against_the_argument_spec(name, monkeypatch):
    examples = examples_of(name)
    assert isinstance(examples, list) and examples, "%s: EXAMPLES must be a non-empty YAML list of tasks" % name
    specs = {}
    failures = []
    used_self = False
    for task, defaults in tasks_of(examples):
        for key, args in task.items():
            if not key.startswith(PREFIX):
                continue
            target = key[len(PREFIX):]
            assert target in MODULES, "%s: task %r uses %s, which is not a module of the collection" % (
                name, task.get("name"), key)
            used_self = used_self or target == name
            if target not in specs:
                specs[target] = module_spec(target, monkeypatch)
            spec, kwargs = specs[target]
            params = dict(defaults.get(ACTION_GROUP) or {})
            params.update(defaults.get(key) or {})
            if args is None:
                args = {}
            if is_templated(args):
                continue
            assert isinstance(args, dict), "%s: task %r: arguments of %s must be a mapping" % (name, task.get("name"), key)
            params.update(args)
            errors = validation_errors(spec, kwargs, params) + module_items_errors(target, params)
            failures.extend("task %r (%s): %s" % (task.get("name"), key, error) for error in errors)
    assert used_self, "%s: no example task uses kapal.docker.%s" % (name, name)
    assert not failures, "%s EXAMPLES:\n  " % name + "\n  ".join(failures)


def test_engine_options_set_through_the_action_group_are_engine_options():
    for name in MODULES:
        for _task, defaults in tasks_of(examples_of(name)):
            unknown = set(defaults.get(ACTION_GROUP) or {}) - set(ENGINE_OPTIONS)
            for entry in ENGINE_OPTIONS.values():
                unknown -= set(entry.get("aliases", ()))
            assert not unknown, "%s: module_defaults for %s sets %s, not an engine option" % (
                name, ACTION_GROUP, sorted(unknown))


# The checker itself: a wrong example must be caught, a templated value must pass.

def test_checker_catches_an_unknown_option(monkeypatch):
    spec, kwargs = module_spec("volume", monkeypatch)
    errors = validation_errors(spec, kwargs, dict(name="data", size="1g"))
    assert any("size" in error for error in errors)


def test_checker_catches_a_wrong_type_and_choice(monkeypatch):
    spec, kwargs = module_spec("image_search", monkeypatch)
    assert validation_errors(spec, kwargs, dict(term="redis", limit="many"))
    spec, kwargs = module_spec("volume", monkeypatch)
    assert validation_errors(spec, kwargs, dict(name="data", state="gone"))


def test_checker_catches_a_missing_required_option_and_exclusive_options(monkeypatch):
    spec, kwargs = module_spec("container_exec", monkeypatch)
    assert validation_errors(spec, kwargs, dict(command="ls"))
    assert validation_errors(spec, kwargs, dict(container="web", command="ls", argv=["ls"]))


def test_checker_lets_a_templated_value_satisfy_any_type(monkeypatch):
    spec, kwargs = module_spec("image_search", monkeypatch)
    assert not validation_errors(spec, kwargs, dict(term="redis", limit="{{ n }}", list_tags="{{ flag }}"))
    spec, kwargs = module_spec("network", monkeypatch)
    assert not validation_errors(spec, kwargs, dict(name="n", ipam_config=[dict(subnet="{{ net }}")]))
    assert not validation_errors(spec, kwargs, dict(name="n", ipam_config="{{ ipam }}"))
    assert validation_errors(spec, kwargs, dict(name="n", ipam_config=[dict(gateway="10.0.0.1")]))


def test_checker_validates_the_items_of_containers(monkeypatch):
    spec, kwargs = module_spec("containers", monkeypatch)
    params = dict(containers=[dict(name="a", image="busybox", no_such_option=1)])
    assert not validation_errors(spec, kwargs, params)
    assert module_items_errors("containers", params)
