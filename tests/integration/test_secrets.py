"""Secrets never leak: the registry password and the TLS client key's contents appear nowhere in
what ansible-playbook prints at -vvv with --diff (results, diffs, errors, warnings, invocation
arguments), for successful runs and for refused ones (wrong password, wrong key)."""

import json
import os
import subprocess
import sys
import uuid

import pytest

from tests.conftest import COLLECTIONS, ROOT
from tests.integration.conftest import quietly
from tests.integration.image_support import Registry

PREFIX = "kapal-it-rel-"
WRONG_PASSWORD = "kapal-wrong-" + uuid.uuid4().hex


def _playbook(path, plays):
    with open(path, "w") as handle:
        json.dump(plays, handle)  # JSON is YAML


def run_playbook(path, extra_vars, tmp_path):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "local"), ANSIBLE_REMOTE_TEMP=str(tmp_path / "remote"),
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_KEEP_REMOTE_FILES="0")
    vars_file = tmp_path / "vars.json"
    vars_file.write_text(json.dumps(extra_vars))
    os.chmod(vars_file, 0o600)
    ansible_playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    return subprocess.run(
        [ansible_playbook, "-i", "localhost,", "-c", "local", "-vvv", "--diff", "-e", "@%s" % vars_file, str(path)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=900, check=False,
    )


def key_lines(path):
    """The lines of a PEM key that are secret (the base64 body, not the BEGIN/END markers)."""
    with open(path) as handle:
        return [line.strip() for line in handle if line.strip() and not line.startswith("-----")]


@pytest.fixture
def secure(testbed, docker_api):
    """A unique repository in the secure registry, with a local image to push there; removed after."""
    registry = Registry(testbed, "secure")
    repository = "%ssec-%s/app" % (PREFIX, uuid.uuid4().hex[:8])
    full = "%s/%s" % (registry.address, repository)
    docker_api.tag(testbed["busybox_image"], full, "1")
    yield full
    for reference in (full + ":1", full + ":2"):
        quietly(docker_api.remove_image, reference)
    registry.forget(repository)


def _registry_tasks(full, password_var, ignore_errors):
    auth = {"username": "kapal", "password": "{{ %s }}" % password_var, "registry_ca_path": "{{ ca }}"}
    common = {"ignore_errors": ignore_errors}
    registry, repository = full.split("/", 1)
    return [
        dict(common, name="push", **{"kapal.docker.image_push": dict(auth, name=full + ":1")}),
        dict(common, name="push under a second tag", **{"kapal.docker.image_push": dict(auth, name=full + ":1", repository=full + ":2")}),
        dict(common, name="pull", **{"kapal.docker.image_pull": dict(auth, name=full + ":2", pull="always")}),
        dict(common, name="search", **{"kapal.docker.image_search": dict(auth, registry=registry, term=PREFIX)}),
        dict(common, name="list tags",
             **{"kapal.docker.image_search": dict(auth, registry=registry, term=repository, list_tags=True)}),
    ]


def test_registry_password_never_appears(testbed, secure, tmp_path):
    password = testbed["registry_password"]
    assert len(password) >= 8
    plays = [dict(hosts="localhost", gather_facts=False, tasks=(
        _registry_tasks(secure, "registry_password", ignore_errors=False)
        + _registry_tasks(secure, "wrong_password", ignore_errors=True)
        + [dict(name="a failure that echoes its arguments", ignore_errors=True,
                **{"kapal.docker.image_pull": dict(name="UPPER", username="kapal", password="{{ registry_password }}")})]
    ))]
    _playbook(tmp_path / "play.json", plays)
    extra_vars = dict(registry_password=password, wrong_password=WRONG_PASSWORD, ca=testbed["ca_cert"])
    proc = run_playbook(tmp_path / "play.json", extra_vars, tmp_path)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    # The runs happened: five successes, five refusals that name the registry, one bad name.
    assert output.count("registry 127.0.0.1:5001: authentication failed for user 'kapal'") >= 5, output[-4000:]
    assert "ok=11 " in output and "failed=0 " in output and "ignored=6 " in output, output[-4000:]
    assert password not in output
    assert WRONG_PASSWORD not in output
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in output or "********" in output


def test_tls_client_key_never_appears(testbed, tmp_path):
    tls = testbed["tls_engine"]
    lines = key_lines(tls["client_key"])
    assert lines
    conn = {"docker_host": tls["docker_host"], "validate_certs": True, "ca_path": tls["ca_path"]}
    plays = [dict(hosts="localhost", gather_facts=False, tasks=[
        dict(name="right key", **{"kapal.docker.engine_info": dict(conn, client_cert=tls["client_cert"],
                                                                   client_key=tls["client_key"])}),
        dict(name="key of another CA", ignore_errors=True,
             **{"kapal.docker.engine_info": dict(conn, client_cert=tls["other_client_cert"],
                                                 client_key=tls["other_client_key"])}),
        dict(name="key given as the certificate", ignore_errors=True,
             **{"kapal.docker.engine_info": dict(conn, client_cert=tls["client_key"], client_key=tls["client_key"])}),
        dict(name="certificate given as the key", ignore_errors=True,
             **{"kapal.docker.engine_info": dict(conn, client_cert=tls["client_cert"], client_key=tls["client_cert"])}),
    ])]
    _playbook(tmp_path / "play.json", plays)
    proc = run_playbook(tmp_path / "play.json", {}, tmp_path)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert "ok=4 " in output and "failed=0 " in output and "ignored=3 " in output, output[-4000:]
    assert "Traceback" not in output, output[-4000:]
    for line in lines + key_lines(tls["other_client_key"]):
        assert line not in output
