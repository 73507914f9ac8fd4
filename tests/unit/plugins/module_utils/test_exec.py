"""container_exec's logic: argv, paths for the guards, the environment, and failure messages."""

import pytest

from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError
from ansible_collections.kapal.docker.plugins.module_utils._exec import (
    ExecRequest,
    _environment,
    command_argv,
    container_path,
    failure_message,
    run_exec,
    running_container,
)


@pytest.mark.parametrize("argv, command, expected", [
    (["echo", "a b"], None, ["echo", "a b"]),
    (["sleep", 5], None, ["sleep", "5"]),
    (None, "echo 'a  b' $HOME", ["echo", "a  b", "$HOME"]),
    (None, 'sh -c "exit 3"', ["sh", "-c", "exit 3"]),
])
def test_command_argv(argv, command, expected):
    assert command_argv(argv, command) == expected


@pytest.mark.parametrize("argv, command, message", [
    (None, "echo 'oops", "command: cannot split \"echo 'oops\": No closing quotation"),
    (None, "   ", "command: nothing to run in '   '"),
    ([], None, "argv: expected a non-empty list, got []"),
])
def test_bad_commands(argv, command, message):
    with pytest.raises(KapalError) as err:
        command_argv(argv, command)
    assert str(err.value) == message


@pytest.mark.parametrize("path, chdir, workdir, expected", [
    ("/etc/passwd", "/tmp", "/srv", "/etc/passwd"),
    ("made", "/tmp", "/srv", "/tmp/made"),
    ("made", None, "/srv", "/srv/made"),
    ("made", None, "", "/made"),
    ("../x/./y", "/tmp/a", None, "/tmp/x/y"),
])
def test_container_path(path, chdir, workdir, expected):
    assert container_path(path, chdir, {"Config": {"WorkingDir": workdir}}) == expected


def test_environment():
    assert _environment({}) is None
    assert _environment({"B": 2, "A": "x y", "C": None}) == ["A=x y", "B=2", "C="]


@pytest.mark.parametrize("result, tail", [
    ({"rc": 3, "stderr_lines": ["a", "b", "", "c", "d"]}, "b / c / d"),
    ({"rc": 1, "stderr_lines": [], "stdout_lines": ["only stdout"]}, "only stdout"),
    ({"rc": 2, "stderr_lines": [], "stdout_lines": []}, "(no output)"),
    ({"rc": 4, "stderr_lines": ["x" * 400]}, "..." + "x" * 300),
])
def test_failure_message(result, tail):
    message = failure_message("web", ["sh", "-c", "exit 3"], result)
    assert message == "sh -c 'exit 3' exited with rc %s in container web: %s" % (result["rc"], tail)


@pytest.mark.parametrize("state, message", [
    (None, "container: no such container 'web'"),
    ({"Status": "exited", "Running": False}, "container: 'web' is not running (it is exited)"),
    ({"Status": "paused", "Running": True, "Paused": True}, "container: 'web' is paused, so nothing can run in it"),
])
def test_running_container_refuses(state, message):
    class Engine:
        def inspect(self, kind, name):
            assert (kind, name) == ("container", "web")
            return None if state is None else {"State": state}

    with pytest.raises(KapalError) as err:
        running_container(Engine(), "web")
    assert str(err.value) == message


def test_stdin_is_refused_over_tls_before_anything_runs():
    class Config:
        tls = True

    class TlsEngine:
        config = Config()
        host = "tcp://docker1:2376"

        @property
        def api(self):
            raise AssertionError("no engine call may happen")

    with pytest.raises(KapalError) as err:
        run_exec(TlsEngine(), "0123456789abcdef", ExecRequest(argv=["cat"], stdin="x"))
    assert str(err.value) == "stdin: feeding stdin needs a half-closed connection, which TLS to tcp://docker1:2376 cannot do"
