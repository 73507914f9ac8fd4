# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module boundary: an AnsibleModule with the engine options, and the one place failures end."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.kapal.docker.plugins.module_utils._engine import (
    DOCKER_IMPORT_ERROR,
    ENGINE_OPTIONS,
    Engine,
    EngineConfig,
)
from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError, PartialFailure


def engine_module(argument_spec, **kwargs):
    """An AnsibleModule whose spec is the module's own options plus the engine options."""
    spec = dict(ENGINE_OPTIONS)
    spec.update(argument_spec)
    module = AnsibleModule(argument_spec=spec, **kwargs)
    if DOCKER_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("docker (the Docker SDK for Python)"), exception=DOCKER_IMPORT_ERROR)
    return module


def run_module(module, task):
    """Connect, run ``task(engine, module.params, module.check_mode)`` for its result dict, and exit;
    failures become one line. Every module ends here, and every task has that one signature.

    A ``diff`` in the result is shown only when the task runs in diff mode. A PartialFailure's result
    (e.g. ``changed`` and what was done before the failure) is returned with its message.
    """
    engine = None
    try:
        engine = Engine(EngineConfig.from_options(module.params))
        result = task(engine, module.params, module.check_mode)
    except PartialFailure as exc:
        module.fail_json(msg=str(exc), **_shown(module, exc.result))
    except KapalError as exc:
        module.fail_json(msg=str(exc))
    else:
        module.exit_json(**_shown(module, result))
    finally:
        if engine is not None:
            engine.close()


def _shown(module, result):
    result = dict(result)
    if not module._diff:  # pylint: disable=protected-access
        result.pop("diff", None)
    return result
