"""kapal.docker.container_exec against the test bed's real engine."""

import os
import time

import pytest

from tests.integration.conftest import quietly, run_module

PREFIX = "kapal-it-ctrd-exec-%d" % os.getpid()


@pytest.fixture
def box(docker_api, testbed):
    name = PREFIX + "-run"
    try:
        docker_api.create_container(testbed["busybox_image"], command=["sleep", "600"], name=name)
        docker_api.start(name)
        yield name
    finally:
        quietly(docker_api.remove_container, name, force=True)


@pytest.fixture
def stopped(docker_api, testbed):
    name = PREFIX + "-stopped"
    try:
        docker_api.create_container(testbed["busybox_image"], command=["true"], name=name)
        yield name
    finally:
        quietly(docker_api.remove_container, name, force=True)


def exists_in(docker_api, container, path):
    result = docker_api.exec_create(container, ["test", "-e", path])
    docker_api.exec_start(result["Id"])
    return docker_api.exec_inspect(result["Id"])["ExitCode"] == 0


def test_stdout_stderr_and_rc(box):
    result = run_module("container_exec", {"container": box, "argv": ["sh", "-c", "echo out1; echo out2; echo err >&2"]})
    assert result.rc == 0, result
    assert result["changed"] is True and result["rc"] == 0
    assert result["stdout"] == "out1\nout2" and result["stdout_lines"] == ["out1", "out2"]
    assert result["stderr"] == "err" and result["stderr_lines"] == ["err"]


def test_command_string_is_split_without_a_shell(box):
    result = run_module("container_exec", {"container": box, "command": "echo 'a  b' $HOME"})
    assert result.rc == 0, result
    assert result["stdout"] == "a  b $HOME"


def test_strip_empty_ends_off_keeps_trailing_newlines(box):
    result = run_module("container_exec", {"container": box, "argv": ["printf", "x\\n\\n"], "strip_empty_ends": False})
    assert result["stdout"] == "x\n\n"


def test_env_chdir_and_user(box):
    result = run_module("container_exec", {
        "container": box, "argv": ["sh", "-c", "echo $GREETING $N; pwd; id -u"],
        "env": {"GREETING": "hello world", "N": 7}, "chdir": "/tmp", "user": "nobody",
    })
    assert result.rc == 0, result
    assert result["stdout_lines"] == ["hello world 7", "/tmp", "65534"]


def test_stdin_is_fed_and_closed(box):
    result = run_module("container_exec", {"container": box, "argv": ["sh", "-c", "wc -l; cat"], "stdin": ""})
    assert result["stdout_lines"] == ["0"]
    result = run_module("container_exec", {"container": box, "argv": ["cat"], "stdin": "line one\nline two\n"})
    assert result.rc == 0, result
    assert result["stdout_lines"] == ["line one", "line two"]


def test_tty_merges_the_streams(box):
    result = run_module("container_exec", {"container": box, "argv": ["sh", "-c", "echo out; echo err >&2; tty"],
                                           "tty": True})
    assert result.rc == 0, result
    assert result["stderr"] == "" and result["stderr_lines"] == []
    assert result["stdout_lines"][:2] == ["out", "err"]
    assert result["stdout_lines"][2].startswith("/dev/pts/")


def test_detach_returns_the_exec_id(box, docker_api):
    marker = "/tmp/detached-%d" % os.getpid()
    result = run_module("container_exec", {"container": box, "argv": ["sh", "-c", "touch %s" % marker], "detach": True})
    assert result.rc == 0, result
    assert result["changed"] is True and "rc" not in result and "stdout" not in result
    state = docker_api.exec_inspect(result["exec_id"])
    assert state["ProcessConfig"]["arguments"] == ["-c", "touch %s" % marker]
    for dummy in range(100):  # wait for the background job; not a timing assert
        if not docker_api.exec_inspect(result["exec_id"])["Running"]:
            break
        time.sleep(0.1)
    assert exists_in(docker_api, box, marker)


def test_creates_guard_through_check_run_and_rerun(box, docker_api):
    args = {"container": box, "argv": ["touch", "made"], "chdir": "/tmp", "creates": "made"}
    result = run_module("container_exec", args, check_mode=True)
    assert result.rc == 0, result
    assert result["changed"] is True and "rc" not in result
    assert not exists_in(docker_api, box, "/tmp/made")
    result = run_module("container_exec", args)
    assert result["changed"] is True and result["rc"] == 0
    assert exists_in(docker_api, box, "/tmp/made")
    for check_mode in (True, False):
        result = run_module("container_exec", args, check_mode=check_mode)
        assert result.rc == 0, result
        assert result["changed"] is False
        assert result["msg"] == "skipped, since /tmp/made exists"


def test_removes_guard(box, docker_api):
    args = {"container": box, "argv": ["rm", "/tmp/doomed"], "removes": "/tmp/doomed"}
    result = run_module("container_exec", args)
    assert result["changed"] is False and result["msg"] == "skipped, since /tmp/doomed does not exist"
    run_module("container_exec", {"container": box, "argv": ["touch", "/tmp/doomed"]})
    result = run_module("container_exec", args, check_mode=True)
    assert result["changed"] is True
    assert exists_in(docker_api, box, "/tmp/doomed")
    result = run_module("container_exec", args)
    assert result["changed"] is True and result["rc"] == 0
    assert not exists_in(docker_api, box, "/tmp/doomed")
    assert run_module("container_exec", args)["changed"] is False


def test_failing_command_fails_with_rc_and_stderr_tail(box):
    result = run_module("container_exec", {"container": box, "argv": ["sh", "-c", "echo a >&2; echo b >&2; echo c >&2; echo last >&2; exit 3"]})
    assert result.failed and result.rc == 1
    assert result["rc"] == 3 and result["changed"] is True
    assert result["msg"] == "sh -c 'echo a >&2; echo b >&2; echo c >&2; echo last >&2; exit 3' exited with rc 3 in container %s: b / c / last" % box
    assert result["stderr_lines"] == ["a", "b", "c", "last"]


def test_missing_program_fails_in_one_line(box):
    result = run_module("container_exec", {"container": box, "argv": ["/no/such/program"]})
    assert result.failed
    assert result["rc"] == 126 or result["rc"] == 127
    assert "\n" not in result["msg"]


def test_missing_container_fails_naming_it():
    name = PREFIX + "-nothere"
    for check_mode in (True, False):
        result = run_module("container_exec", {"container": name, "command": "true"}, check_mode=check_mode)
        assert result.failed
        assert result["msg"] == "container: no such container %r" % name


def test_stopped_container_fails_naming_it(stopped):
    result = run_module("container_exec", {"container": stopped, "command": "true"})
    assert result.failed
    assert result["msg"] == "container: %r is not running (it is created)" % stopped


def test_argv_and_command_are_exclusive_and_one_is_required(box):
    result = run_module("container_exec", {"container": box, "command": "true", "argv": ["true"]})
    assert result.failed and "mutually exclusive" in result["msg"]
    result = run_module("container_exec", {"container": box})
    assert result.failed and "argv, command" in result["msg"]
    result = run_module("container_exec", {"container": box, "command": "cat", "stdin": "x", "detach": True})
    assert result.failed and "mutually exclusive: stdin|detach" in result["msg"]


def test_unbalanced_quote_fails_naming_the_option(box):
    result = run_module("container_exec", {"container": box, "command": "echo 'oops"})
    assert result.failed
    assert result["msg"] == "command: cannot split \"echo 'oops\": No closing quotation"
