"""kapal.docker.engine_info against the test bed's real engine."""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

from tests.conftest import COLLECTIONS, ROOT
from tests.integration.conftest import run_module
from tests.integration.events import recorded_events

# Engine events that add or remove one container or one image record (a build step's image comes
# from a container commit). Tags, pushes and inspections change neither count.
COUNTS_UP = {"containers": {("container", "create")},
             "images": {("image", "pull"), ("image", "import"), ("image", "load"), ("container", "commit")}}
COUNTS_DOWN = {"containers": {("container", "destroy")}, "images": {("image", "delete")}}


def _count_range(before, events, what):
    """The values the engine's count of ``what`` can have taken during ``events``, starting at ``before``."""
    moves = [(event.get("Type"), (event.get("Action") or "").split(":")[0]) for event in events]
    return (before - sum(move in COUNTS_DOWN[what] for move in moves),
            before + sum(move in COUNTS_UP[what] for move in moves))


def test_reports_the_real_engine(docker_api, testbed):
    """The counts are the engine's at some moment of the module's run: other tests create and remove
    containers and images all the time, so they are held against the engine's count before the run
    moved by every create/remove event of the run (exactly that count when nothing came or went)."""
    truth = docker_api.version()
    with recorded_events(docker_api) as events:
        info = docker_api.info()
        result = run_module("engine_info", {"docker_host": testbed["docker_host"]})
    assert result.rc == 0, result
    assert result["changed"] is False
    engine = result["engine"]
    assert engine["version"] == truth["Version"]
    assert engine["api_version"] == truth["ApiVersion"]
    assert engine["host"] == testbed["docker_host"]
    assert engine["os_type"] == "linux"
    assert engine["storage_driver"] == info["Driver"]
    low, high = _count_range(info["Images"], events, "images")
    assert low <= engine["images"] <= high, (engine["images"], info["Images"], events)
    low, high = _count_range(info["Containers"], events, "containers")
    assert low <= engine["containers"]["total"] <= high, (engine["containers"], info["Containers"], events)
    assert "containers" not in result and "images" not in result


def test_docker_host_defaults_to_the_environment(testbed):
    result = run_module("engine_info", env={"DOCKER_HOST": testbed["docker_host"]})
    assert result.rc == 0, result
    assert result["engine"]["host"] == testbed["docker_host"]


def test_check_mode_answers_the_same(testbed):
    result = run_module("engine_info", {"docker_host": testbed["docker_host"]}, check_mode=True)
    assert result.rc == 0 and result["changed"] is False
    assert result["engine"]["version"]


def test_listing_sections(docker_api, testbed):
    name = "kapal-it-engine-info-%d" % os.getpid()
    docker_api.create_container(testbed["busybox_image"], command=["true"], name=name)
    try:
        result = run_module(
            "engine_info",
            {"containers": True, "images": True, "volumes": True, "networks": True, "disk_usage": True},
        )
        assert result.rc == 0, result
        assert name in [c["name"] for c in result["containers"]]
        assert any(testbed["busybox_image"] in image["tags"] for image in result["images"])
        assert {"bridge", "host", "none"} <= {n["name"] for n in result["networks"]}
        assert isinstance(result["volumes"], list)
        assert result["disk_usage"]["images"] >= 1
        assert result["engine"]["containers"]["stopped"] >= 1
    finally:
        docker_api.remove_container(name, force=True)


def test_unreachable_tcp_engine_is_one_line_naming_the_address():
    result = run_module("engine_info", {"docker_host": "tcp://127.0.0.1:1", "timeout": 5})
    assert result.rc == 1 and result.failed
    assert result["msg"] == "cannot reach Docker Engine at tcp://127.0.0.1:1: connection refused"
    assert "Traceback" not in result.stderr


def test_missing_socket_is_one_line_naming_the_address():
    result = run_module("engine_info", {"docker_host": "unix:///nonexistent/docker.sock"})
    assert result.failed
    assert result["msg"] == "cannot reach Docker Engine at unix:///nonexistent/docker.sock: no such socket or file"


def test_socket_without_permission(testbed):
    """The engine's socket is closed to other users: run the module as nobody."""
    tmp_path = pathlib.Path(tempfile.mkdtemp(prefix="kapal-it-"))
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {"docker_host": testbed["docker_host"]}}))
    os.chmod(tmp_path, 0o755)
    os.chmod(args_file, 0o644)
    proc = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m",
         "ansible_collections.kapal.docker.plugins.modules.engine_info", str(args_file)],
        capture_output=True, text=True, check=False, env=dict(os.environ, PYTHONPATH=COLLECTIONS, HOME="/tmp"),
    )
    shutil.rmtree(tmp_path)
    result = json.loads(proc.stdout)
    assert result["msg"] == "cannot reach Docker Engine at %s: permission denied" % testbed["docker_host"]


def test_tls_option_naming_a_missing_file():
    result = run_module("engine_info", {"docker_host": "tcp://127.0.0.1:2376", "validate_certs": True,
                                        "ca_path": "/nonexistent/ca.pem"})
    assert result.failed
    assert result["msg"] == "ca_path: no such file: /nonexistent/ca.pem"


def test_client_cert_without_key():
    result = run_module("engine_info", {"docker_host": "tcp://127.0.0.1:2376", "tls": True,
                                        "client_cert": "/etc/hostname"})
    assert result.failed
    assert result["msg"] == "client_cert: client_cert and client_key must be given together"


def test_unsupported_address_scheme():
    result = run_module("engine_info", {"docker_host": "ftp://example.invalid"})
    assert result.failed
    assert result["msg"].startswith("docker_host: unsupported address 'ftp://example.invalid'")


def test_bad_api_version():
    result = run_module("engine_info", {"api_version": "latest"})
    assert result.failed
    assert result["msg"] == "api_version: expected 'auto' or a version such as 1.41, got 'latest'"


def test_pinned_api_version_is_used(testbed):
    result = run_module("engine_info", {"api_version": "1.41"})
    assert result.rc == 0, result


def _ansible(*argv, **kw):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS)
    return subprocess.run(list(argv), capture_output=True, text=True, env=env, cwd=ROOT, check=False, **kw)


def test_ansible_doc_renders():
    proc = _ansible(os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "kapal.docker.engine_info")
    assert proc.returncode == 0, proc.stderr
    assert "docker_host" in proc.stdout and "DOCKER_HOST" in proc.stdout
    assert "RETURN VALUES" in proc.stdout


def test_playbook_with_module_defaults_group(tmp_path, testbed):
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/kapal.docker.docker:
      docker_host: tcp://127.0.0.1:1
  tasks:
    - name: the group default reaches the module
      kapal.docker.engine_info:
      register: bad
      ignore_errors: true
    - name: a task's own option wins
      kapal.docker.engine_info:
        docker_host: %s
      register: good
    - ansible.builtin.assert:
        that:
          - bad is failed
          - "'tcp://127.0.0.1:1' in bad.msg"
          - good.engine.version | length > 0
""" % testbed["docker_host"]
    )
    bindir = os.path.dirname(sys.executable)
    proc = _ansible(os.path.join(bindir, "ansible-playbook"), "-i", "localhost,", "-c", "local",
                    "-e", "ansible_python_interpreter=%s" % sys.executable, str(playbook))
    assert proc.returncode == 0, proc.stdout + proc.stderr
