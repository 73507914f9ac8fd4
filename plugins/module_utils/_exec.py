# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Commands in running containers (``docker exec``): guards, the run itself, and its result;
``exec_task`` is the task of the module container_exec.

The exec stream itself is read by _exec_session.ExecSession, shared with the connection plugin.
"""

from __future__ import annotations

import posixpath
import shlex
from dataclasses import dataclass, field

from ansible.module_utils.common.text.converters import to_bytes, to_text

from ansible_collections.kapal.docker.plugins.module_utils._errors import EngineNotFound, KapalError, PartialFailure, one_line
from ansible_collections.kapal.docker.plugins.module_utils._exec_session import ExecSession

_TAIL_LINES = 3
_TAIL_CHARS = 300


@dataclass
class ExecRequest:
    """What to run, and how: the options of kapal.docker.container_exec."""

    argv: list
    chdir: str | None = None
    env: dict = field(default_factory=dict)
    user: str | None = None
    stdin: str | None = None
    tty: bool = False
    detach: bool = False
    strip_empty_ends: bool = True


def command_argv(argv=None, command=None):
    """The argument vector from ``argv`` or from ``command`` split like a shell would (no expansion)."""
    if command is not None:
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise KapalError("command: cannot split %r: %s" % (command, exc)) from None
        if not argv:
            raise KapalError("command: nothing to run in %r" % command)
        return argv
    if not argv:
        raise KapalError("argv: expected a non-empty list, got %r" % (argv,))
    return [str(arg) for arg in argv]


def running_container(engine, name):
    """The inspect answer of the container ``name``, which must exist and be running."""
    inspect = engine.inspect("container", name)
    if inspect is None:
        raise KapalError("container: no such container %r" % name)
    state = inspect.get("State") or {}
    if state.get("Paused"):
        raise KapalError("container: %r is paused, so nothing can run in it" % name)
    if not state.get("Running"):
        raise KapalError("container: %r is not running (it is %s)" % (name, state.get("Status", "stopped")))
    return inspect


def path_exists(engine, container_id, path):
    """Whether ``path`` exists inside the container: a stat through HEAD /containers/{id}/archive."""
    try:
        engine.request("stat %s in container %s" % (path, container_id[:12]), "HEAD", "/containers/{0}/archive",
                       container_id, params={"path": path}).close()
    except EngineNotFound:
        return False
    return True


def container_path(path, chdir, inspect):
    """``path`` made absolute against ``chdir``, else the container's working directory."""
    base = chdir or (inspect.get("Config") or {}).get("WorkingDir") or "/"
    return posixpath.normpath(posixpath.join(base, path))


def skip_reason(engine, inspect, creates=None, removes=None, chdir=None):
    """Why the command must not run (the guards of ansible.builtin.command), or None to run it."""
    if creates:
        path = container_path(creates, chdir, inspect)
        if path_exists(engine, inspect["Id"], path):
            return "skipped, since %s exists" % path
    if removes:
        path = container_path(removes, chdir, inspect)
        if not path_exists(engine, inspect["Id"], path):
            return "skipped, since %s does not exist" % path
    return None


def run_exec(engine, container_id, request):
    """Run ``request`` in the container; the result fields of kapal.docker.container_exec."""
    action = "exec %s in container %s" % (shlex.join(request.argv), container_id[:12])
    if request.stdin is not None and engine.config.tls:
        raise KapalError("stdin: feeding stdin needs a half-closed connection, which TLS to %s cannot do" % engine.host)
    if request.detach:
        with engine.call(action):
            exec_id = engine.api.exec_create(
                container_id, request.argv, tty=request.tty, user=request.user or "",
                environment=_environment(request.env), workdir=request.chdir,
            )["Id"]
            engine.api.exec_start(exec_id, detach=True, tty=request.tty)
        return dict(exec_id=exec_id)
    stdout, stderr = bytearray(), bytearray()
    with ExecSession(engine, container_id, request.argv, user=request.user or "", workdir=request.chdir,
                     environment=_environment(request.env), stdin=request.stdin is not None, tty=request.tty) as session:
        if request.stdin is not None:
            session.write(to_bytes(request.stdin))
            session.close_stdin()
        session.read_all(stdout, stderr)  # a command may run as long as it needs, like docker exec
        rc = session.exit_code()
    result = dict(rc=rc)
    for output, name in ((stdout, "stdout"), (stderr, "stderr")):
        text = to_text(bytes(output), errors="surrogate_or_replace")
        if request.strip_empty_ends:
            text = text.rstrip("\r\n")
        result[name] = text
        result[name + "_lines"] = text.splitlines()
    return result


def _environment(env):
    """``env`` as the engine wants it: KEY=value strings (None for nothing to add)."""
    if not env:
        return None
    return ["%s=%s" % (key, "" if value is None else value) for key, value in sorted(env.items())]


def failure_message(container, argv, result):
    """One line for a command that exited non-zero: the rc and the last lines of what it said."""
    lines = [line for line in (result.get("stderr_lines") or result.get("stdout_lines") or []) if line.strip()]
    tail = one_line(" / ".join(lines[-_TAIL_LINES:]))
    if len(tail) > _TAIL_CHARS:
        tail = "..." + tail[-_TAIL_CHARS:]
    return "%s exited with rc %s in container %s: %s" % (shlex.join(argv), result.get("rc"), container, tail or "(no output)")


def exec_task(engine, params, check_mode):
    """The kapal.docker.container_exec task: run the command unless a guard says not to; a non-zero rc fails."""
    argv = command_argv(params["argv"], params["command"])
    inspect = running_container(engine, params["container"])
    reason = skip_reason(engine, inspect, creates=params["creates"], removes=params["removes"], chdir=params["chdir"])
    if reason:
        return dict(changed=False, msg=reason, rc=0, stdout=reason, stdout_lines=[reason], stderr="", stderr_lines=[])
    if check_mode:
        return dict(changed=True)
    request = ExecRequest(argv=argv, chdir=params["chdir"], env=params["env"] or {}, user=params["user"],
                          stdin=params["stdin"], tty=params["tty"], detach=params["detach"],
                          strip_empty_ends=params["strip_empty_ends"])
    result = run_exec(engine, inspect["Id"], request)
    if result.get("rc"):
        raise PartialFailure(failure_message(params["container"], argv, result), dict(changed=True, **result))
    return dict(changed=True, **result)
