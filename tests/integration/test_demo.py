"""The main job: playbooks/demo.yml converges on this machine, answers on its port, and a second run changes nothing."""

import os
import re
import subprocess
import sys
import urllib.request

import pytest

from tests.conftest import COLLECTIONS, ROOT
from tests.integration.browser import Browser, visible_text
from tests.integration.conftest import recap
from tests.integration.events import mutating, recorded_events

pytestmark = pytest.mark.slow  # more than a minute: handed to a worker first (conftest)


def _play():
    bindir = os.path.dirname(sys.executable)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    return subprocess.run(
        [os.path.join(bindir, "ansible-playbook"), "-i", "localhost,", "-c", "local",
         "-e", "ansible_python_interpreter=%s" % sys.executable, os.path.join(ROOT, "playbooks", "demo.yml")],
        capture_output=True, text=True, env=env, cwd=ROOT, check=False, timeout=900,
    )


@pytest.fixture(scope="module")
def first():
    """The demo's first run in this session (both tests start from the converged demo)."""
    run = _play()
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    return run


def test_demo_converges_serves_and_is_idempotent(first, tmp_path):
    page = urllib.request.urlopen("http://127.0.0.1:8080/", timeout=10).read().decode()
    assert "Hello from kapal.docker" in page
    # The tutorial's last step, as its reader does it: the URL the demo prints, opened in a browser.
    url = re.search(r"Open (http://\S+/)", first.stdout)
    assert url and url.group(1) == "http://127.0.0.1:8080/", first.stdout[-3000:]
    browser = Browser(str(tmp_path / "chromium-profile"), os.path.join(ROOT, "tests", "output", "demo"))
    dom = browser.load(url.group(1), "demo-page.png", min_bytes=2000)
    assert "<h1>Hello from kapal.docker</h1>" in dom
    assert "Built from a Dockerfile, pushed to 127.0.0.1:5080, run by Ansible." in visible_text(dom)
    second = _play()
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-2000:]
    assert recap(second.stdout)["changed"] == 0, second.stdout[-6000:]
    assert "kapal-demo-web | 127.0.0.1:5080/kapal-demo/web:1.0 | running | 0.0.0.0:8080->80/tcp" in second.stdout


def test_roles_in_check_mode_write_nothing(first, docker_api):
    """The demo's roles and tasks (engine, registry, service) in check mode, with a change a real
    run would make (another published port): changes predicted, no mutating engine event. The demo
    has converged (``first``), so the check run differs only by the port."""
    bindir = os.path.dirname(sys.executable)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1")
    with recorded_events(docker_api) as events:
        check = subprocess.run(
            [os.path.join(bindir, "ansible-playbook"), "-i", "localhost,", "-c", "local", "--check", "--diff",
             "-e", "ansible_python_interpreter=%s" % sys.executable, "-e", "demo_port=18089",
             os.path.join(ROOT, "playbooks", "demo.yml")],
            capture_output=True, text=True, env=env, cwd=ROOT, check=False, timeout=900,
        )
    assert check.returncode == 0, check.stdout[-4000:] + check.stderr[-2000:]
    assert recap(check.stdout)["changed"] >= 1, check.stdout[-4000:]
    assert [event for event in mutating(events) if "kapal-demo" in event] == []
    assert docker_api.inspect_container("kapal-demo-web")["HostConfig"]["PortBindings"]["80/tcp"][0]["HostPort"] == "8080"
