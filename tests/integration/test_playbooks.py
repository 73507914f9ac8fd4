"""The runbook playbooks (site, status, restart, rollout, exec, prune) against the real engine.

Localhost is the only host of an inventory written here, in the group docker_hosts, with two
small busybox httpd services provisioned by site.yml (the engine role leaves the running engine
alone). Every name starts with kapal-it-runbooks-<token>-, the two host ports are claimed
(conftest.claim_port), and everything is removed at the end: another run of this file at the same
time (another checkout) never meets this one.
"""

import json
import os
import re
import subprocess
import sys
import tarfile
import urllib.request
import uuid

import docker.errors
import pytest

from tests.conftest import COLLECTIONS, ROOT
from tests.integration.conftest import claim_port, recap, remove_containers, run_module

pytestmark = pytest.mark.slow  # more than a minute: handed to a worker first (conftest)

TOKEN = uuid.uuid4().hex[:8]
PREFIX = "kapal-it-runbooks-%s-" % TOKEN
WEB, API = PREFIX + "web", PREFIX + "api"
WEB_PORT, API_PORT = claim_port(), claim_port()
IMAGE_REPO = "kapal-it-runbooks-%s/web" % TOKEN
HTTPD = ["httpd", "-f", "-p", "80", "-h", "/var/www"]


def _services():
    # httpd, PID 1, ignores SIGTERM: stop_timeout 1 stops it after 1 s, not 10, on a restart or rollout.
    return [
        {"name": WEB, "image": "kapal-test/busybox:latest",
         "container": {"command": HTTPD, "published_ports": ["%d:80" % WEB_PORT], "stop_timeout": 1},
         "verify": [{"port": WEB_PORT, "body": "kapal test busybox"}]},
        {"name": API, "image": "kapal-test/busybox:latest",
         "container": {"command": HTTPD, "published_ports": ["%d:80" % API_PORT], "stop_timeout": 1,
                       "healthcheck": {"test": ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1/"],
                                       "interval": "1s", "retries": 3}},
         "verify": [{"port": API_PORT, "protocol": "tcp"}]},
    ]


def _page(port):
    return urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=10).read().decode()


def _cleanup(docker_api):
    remove_containers(docker_api, PREFIX)
    for image in docker_api.images(name=IMAGE_REPO):
        docker_api.remove_image(image["Id"], force=True)


@pytest.fixture(scope="module")
def play(tmp_path_factory, docker_api):
    """play(name, *ansible-playbook args, **extra vars): run kapal.docker.<name> on the inventory."""
    tmp = tmp_path_factory.mktemp("books")
    inventory = tmp / "inventory.yml"
    host = {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "engine_sdk": "none",
        "service_workdir": str(tmp / "services"),
        "service_definitions": _services(),
    }
    # books_pair: a second host on the same engine, to see that a failed rollout stops before it.
    second = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inventory.write_text(json.dumps({"all": {"children": {
        "docker_hosts": {"hosts": {"localhost": host}},
        "books_pair": {"hosts": {"localhost": {}, "books-second": second}},
        # A host that never answers (nothing listens on port 1), for the fleet status.
        "books_gone": {"hosts": {"books-gone": {"ansible_host": "127.0.0.1", "ansible_port": 1,
                                                "ansible_connection": "ssh", "ansible_ssh_timeout": 5}}},
    }}}))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")

    def run(name, *args, **extra):
        command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory),
                   "kapal.docker." + name] + list(args)
        if extra:
            command += ["-e", json.dumps(extra)]
        return subprocess.run(command, capture_output=True, text=True, env=env, cwd=str(tmp), check=False, timeout=600)

    _cleanup(docker_api)
    yield run
    _cleanup(docker_api)


@pytest.fixture(scope="module")
def site(play):
    first = play("site")
    assert first.returncode == 0, first.stdout[-5000:] + first.stderr[-2000:]
    return first


def _started_at(docker_api, name):
    return docker_api.inspect_container(name)["State"]["StartedAt"]


def _build(tmp_path, tag, page):
    (tmp_path / tag).mkdir()
    (tmp_path / tag / "index.html").write_text(page)
    result = run_module("image_build", {
        "path": str(tmp_path / tag), "name": IMAGE_REPO, "tag": tag,
        "dockerfile_content": "FROM kapal-test/busybox:latest\nCOPY index.html /var/www/index.html\n",
    })
    assert not result.failed, result
    return "%s:%s" % (IMAGE_REPO, tag)


def test_site_provisions_both_services_and_is_idempotent(site, play):
    assert recap(site.stdout)["changed"] > 0
    assert "kapal test busybox" in _page(WEB_PORT)
    assert "kapal test busybox" in _page(API_PORT)
    second = play("site")
    assert second.returncode == 0, second.stdout[-5000:]
    assert recap(second.stdout)["changed"] == 0, second.stdout[-6000:]


def test_status_lists_both_services_and_changes_nothing(site, play):
    result = play("status", status_service="")
    assert result.returncode == 0, result.stdout[-5000:]
    assert recap(result.stdout)["changed"] == 0
    rows = _status_rows(result.stdout)
    # One table for the fleet: host, name, image, state, health, ports; each port once, with its
    # IPv4 and IPv6 addresses. Then the summary line.
    assert rows[("localhost", WEB)][2:] == ["kapal-test/busybox:latest", "running", "none",
                                            "0.0.0.0:%d,[::]:%d->80/tcp" % (WEB_PORT, WEB_PORT)]
    assert rows[("localhost", API)][3] == "running" and rows[("localhost", API)][4] in ("healthy", "starting")
    assert re.search(r'"hosts: 1, services running: \d+, unhealthy: 0, not running: \d+"', result.stdout), result.stdout[-3000:]


def test_status_of_a_fleet_is_one_table_with_every_host(site, play):
    """Two hosts (the second on the same engine) and one that does not answer: one table, each
    host's rows, and the summary names the silent host."""
    result = play("status", kapal_hosts="books_pair:books-gone")
    assert recap(result.stdout, "books-gone")["unreachable"] == 1, result.stdout[-3000:]
    rows = _status_rows(result.stdout)
    assert rows[("localhost", WEB)][2:4] == rows[("books-second", WEB)][2:4] == ["kapal-test/busybox:latest", "running"]
    assert result.stdout.count("Print the fleet's status table") == 1
    assert re.search(r'"hosts: 2, services running: \d+, unhealthy: 0, not running: \d+, no answer: books-gone"',
                     result.stdout), result.stdout[-3000:]


def _status_rows(stdout):
    """The status table's rows of this file's services, by (host, name)."""
    rows = {}
    for line in stdout.splitlines():
        if PREFIX in line and "|" in line:
            cells = [cell.strip().strip('",') for cell in line.split("|")]
            rows[(cells[0], cells[1])] = cells
    return rows


def test_restart_named_services_changes_started_at_and_check_mode_does_not(site, play, docker_api):
    before = dict((name, _started_at(docker_api, name)) for name in (WEB, API))
    checked = play("restart", "--check", restart_all=True)
    assert checked.returncode == 0, checked.stdout[-5000:]
    assert re.search(r"would restart: .*%s" % WEB, checked.stdout), checked.stdout[-3000:]
    assert dict((name, _started_at(docker_api, name)) for name in (WEB, API)) == before

    result = play("restart", restart_service=[WEB, API])
    assert result.returncode == 0, result.stdout[-5000:]
    assert "restarted: %s, %s" % (API, WEB) in result.stdout
    for name in (WEB, API):
        assert _started_at(docker_api, name) != before[name]
    assert docker_api.inspect_container(API)["State"]["Health"]["Status"] == "healthy"
    assert "kapal test busybox" in _page(WEB_PORT)

    missing = play("restart", restart_service=PREFIX + "nope")
    assert missing.returncode != 0
    assert "no service %snope on localhost" % PREFIX in missing.stdout


def test_exec_returns_the_output_of_each_host(site, play):
    result = play("exec", exec_service=WEB, exec_argv=["cat", "/var/www/index.html"])
    assert result.returncode == 0, result.stdout[-5000:]
    assert "localhost | rc=0 | <h1>kapal test busybox</h1>" in result.stdout

    failing = play("exec", exec_service=WEB, exec_command="ls /nowhere")
    assert failing.returncode != 0
    assert re.search(r"localhost \| rc=[1-9]", failing.stdout), failing.stdout[-3000:]


def test_rollout_updates_then_rolls_back_a_broken_image(site, play, docker_api, tmp_path):
    good = _build(tmp_path, "v2", "<h1>books web v2</h1>\n")
    broken = _build(tmp_path, "broken", "<h1>oops</h1>\n")
    verify = [{"port": WEB_PORT, "body": "books web v2"}]

    result = play("rollout", rollout_service=WEB, rollout_image=good, rollout_verify=verify)
    assert result.returncode == 0, result.stdout[-5000:]
    assert "books web v2" in _page(WEB_PORT)
    container = docker_api.inspect_container(WEB)
    assert container["Config"]["Image"] == good
    assert container["Config"]["Cmd"] == HTTPD  # the other settings are carried over
    assert container["Config"]["Labels"]["org.kapal.service"] == WEB

    again = play("rollout", rollout_service=WEB, rollout_image=good, rollout_verify=verify)
    assert again.returncode == 0, again.stdout[-5000:]
    assert recap(again.stdout)["changed"] == 0

    failed = play("rollout", rollout_service=WEB, rollout_image=broken, rollout_verify=verify, rollout_verify_retries=2)
    assert failed.returncode != 0
    assert re.search(r"rollout of %s to %s stopped on localhost: .*wanted HTTP 200 with 'books web v2'.*rolled back to %s"
                     % (WEB, re.escape(broken), re.escape(good)), failed.stdout), failed.stdout[-4000:]
    assert "books web v2" in _page(WEB_PORT)
    assert docker_api.inspect_container(WEB)["Config"]["Image"] == good

    # An image whose container cannot run the service (no httpd): rolled back on the first host,
    # and the rollout never reaches the second one.
    crashed = play("rollout", rollout_service=WEB,
                   rollout_image="kapal-test/python:bookworm", rollout_verify=verify, kapal_hosts="books_pair")
    assert crashed.returncode != 0
    assert re.search(r"rollout of %s to kapal-test/python:bookworm stopped on localhost: .*httpd.*rolled back to %s"
                     % (WEB, re.escape(good)), crashed.stdout), crashed.stdout[-4000:]
    assert "[books-second]" not in crashed.stdout, crashed.stdout[-4000:]
    assert "books web v2" in _page(WEB_PORT)
    assert docker_api.inspect_container(WEB)["Config"]["Image"] == good


@pytest.mark.parametrize("extra, batches", [
    ({"rollout_serial": 2}, [["localhost", "books-second"]]),
    ({"rollout_serial": "50%"}, [["localhost"], ["books-second"]]),
    ({"rollout_serial": 2, "rollout_canary": True}, [["localhost"], ["books-second"]]),
], ids=["serial-2", "serial-50-percent", "canary-then-2"])
def test_rollout_batches(site, play, extra, batches):
    """The hosts go in batches of rollout_serial (a number or a percentage), after a canary host
    when asked; each batch runs every task before the next starts."""
    result = play("rollout", "--check", rollout_service=WEB, rollout_image="kapal-test/busybox:latest",
                  kapal_hosts="books_pair", **extra)
    assert result.returncode == 0, result.stdout[-4000:]
    seen = []
    for block in result.stdout.split("TASK [Check the rollout's variables]")[1:]:
        seen.append(sorted(set(re.findall(r"^ok: \[([\w-]+)\]", block.split("TASK [", 1)[0], re.M)),
                           key=["localhost", "books-second"].index))
    assert seen == batches, result.stdout[-4000:]


def test_rollout_check_mode_changes_nothing(site, play, docker_api):
    before = docker_api.inspect_container(WEB)["Id"]
    result = play("rollout", "--check", rollout_service=WEB, rollout_image="kapal-test/python:bookworm")
    assert result.returncode == 0, result.stdout[-5000:]
    assert "would run kapal-test/python:bookworm" in result.stdout
    assert docker_api.inspect_container(WEB)["Id"] == before


def test_prune_check_mode_reports_then_removes_a_stopped_service(site, play, docker_api):
    docker_api.stop(API, timeout=1)
    refused = play("prune", "--check", prune_name=PREFIX)
    assert refused.returncode != 0 and "prune_name: no longer supported" in refused.stdout, refused.stdout[-3000:]

    checked = play("prune", "--check", prune_service=[API, WEB])
    assert checked.returncode == 0, checked.stdout[-5000:]
    assert "would remove containers: %s" % API in checked.stdout
    assert docker_api.containers(all=True, filters={"name": API})

    young = play("prune", prune_service=API, prune_until="1h")
    assert young.returncode == 0 and "removed containers: none" in young.stdout, young.stdout[-5000:]
    assert recap(young.stdout)["changed"] == 0

    result = play("prune", prune_service=API)
    assert result.returncode == 0, result.stdout[-5000:]
    assert "removed containers: %s" % API in result.stdout
    assert not docker_api.containers(all=True, filters={"name": API})
    assert docker_api.containers(filters={"name": WEB})
    again = play("prune", prune_service=API)
    assert recap(again.stdout)["changed"] == 0, again.stdout[-5000:]


# --- restart needs a name or restart_all; the service role's rollback (names fixrb-, ports 18320-18321) ---

FIXRB = "fixrb-"
FIXRB_IMAGE = "fixrb/web"
FIXRB_LABEL = "fixrb.test=rollback"


def _fatal_lines(output):
    return [line for line in output.splitlines() if line.startswith("fatal:")]


@pytest.fixture
def fixrb(docker_api):
    """Removes the fixrb- containers and the fixrb images (every build of them carries FIXRB_LABEL)."""
    def cleanup():
        for container in docker_api.containers(all=True, filters={"name": FIXRB}):
            if container["Names"][0].startswith("/" + FIXRB):
                docker_api.remove_container(container["Id"], force=True)
        ids = [i["Id"] for i in docker_api.images(filters={"label": FIXRB_LABEL})]
        ids += [i["Id"] for i in docker_api.images(name=FIXRB_IMAGE)]
        for image_id in dict.fromkeys(ids):
            try:
                docker_api.remove_image(image_id, force=True)
            except docker.errors.NotFound:
                pass

    cleanup()
    yield
    cleanup()


def test_restart_without_a_service_or_restart_all_restarts_nothing(site, play, docker_api):
    before = _started_at(docker_api, WEB)  # (the prune test may have removed API already)
    for args, extra in (({}, ""), ({"restart_service": WEB, "restart_all": True}, ", not both")):
        result = play("restart", **args)
        assert result.returncode != 0, result.stdout[-3000:]
        fatal = _fatal_lines(result.stdout)
        assert len(fatal) == 1, result.stdout[-3000:]
        assert ("restart: set restart_service (a service name or a list of them) to restart those services, "
                "or restart_all=true to restart every running service%s\"" % extra) in fatal[0], fatal
    assert _started_at(docker_api, WEB) == before


def test_restart_of_a_container_that_is_not_a_service_says_so(play, docker_api, testbed, fixrb):
    plain = FIXRB + "plain"
    docker_api.create_container(testbed["busybox_image"], command=["sleep", "3600"], name=plain,
                                host_config=docker_api.create_host_config(network_mode="none"))
    docker_api.start(plain)
    before = _started_at(docker_api, plain)

    result = play("restart", restart_service=plain)
    assert result.returncode != 0
    assert ("restart: %s exists but is not a kapal service (no org.kapal.service label) on localhost" % plain
            in result.stdout), result.stdout[-3000:]
    both = play("restart", restart_service=[plain, FIXRB + "nope"])
    assert ("restart: no service %snope; %s exists but is not a kapal service (no org.kapal.service label) on localhost"
            % (FIXRB, plain)) in both.stdout, both.stdout[-3000:]
    assert _started_at(docker_api, plain) == before


def _fixrb_services(page, env):
    return [
        {"name": FIXRB + "good", "image": "kapal-test/busybox:latest",
         "container": {"command": HTTPD, "published_ports": ["127.0.0.1:18320:80"], "env": {"FIXRB": env},
                       "stop_timeout": 1},
         "verify": [{"port": 18320, "body": "kapal test busybox"}]},
        {"name": FIXRB + "web",
         "build": {"name": FIXRB_IMAGE, "tag": "1", "files": {"index.html": page},
                   "dockerfile_content": "FROM kapal-test/busybox:latest\nLABEL %s\nCOPY index.html /www/index.html\n"
                                         "CMD [\"httpd\", \"-f\", \"-p\", \"80\", \"-h\", \"/www\"]\n" % FIXRB_LABEL},
         "container": {"published_ports": ["127.0.0.1:18321:80"], "stop_timeout": 1},
         "verify": [{"port": 18321, "body": "fixrb v1"}, {"port": 18321, "protocol": "tcp"}]},
    ]


def test_service_rollback_keeps_the_image_name_and_names_only_the_failed_service(play, docker_api, tmp_path, fixrb):
    common = dict(site_engine=False, service_workdir=str(tmp_path / "services"), service_verify_retries=2)
    first = play("site", service_definitions=_fixrb_services("<h1>fixrb v1</h1>\n", "1"), **common)
    assert first.returncode == 0, first.stdout[-5000:]
    v1 = docker_api.inspect_container(FIXRB + "web")["Image"]
    good_before = docker_api.inspect_container(FIXRB + "good")["Id"]

    # The web page breaks (its check fails) while the other service changes and passes.
    broken = play("site", service_definitions=_fixrb_services("<h1>oops</h1>\n", "2"), **common)
    assert broken.returncode != 0
    fatal = _fatal_lines(broken.stdout)
    assert len(fatal) == 1, broken.stdout[-5000:]  # printed once
    assert ("service: fixrb-web did not answer as expected on http://127.0.0.1:18321/: wanted HTTP 200 with 'fixrb v1', "
            "got HTTP 200 with body '<h1>oops</h1>' after 2 tries; rolled back fixrb-web to the previous image fixrb/web:1\"") \
        in fatal[0], fatal[0]
    assert FIXRB + "good" not in fatal[0]

    # The previous image runs under the user's name, and the name points at it again.
    web = docker_api.inspect_container(FIXRB + "web")
    assert web["Config"]["Image"] == FIXRB_IMAGE + ":1" and web["Image"] == v1 and web["State"]["Running"]
    assert docker_api.inspect_image(FIXRB_IMAGE + ":1")["Id"] == v1
    assert "fixrb v1" in _page(18321)
    # The service that passed keeps its update.
    good = docker_api.inspect_container(FIXRB + "good")
    assert good["Id"] != good_before and "FIXRB=2" in good["Config"]["Env"]


def _fixrb_build(tmp_path, page):
    context = tmp_path / ("ctx-%d" % len(list(tmp_path.iterdir())))
    context.mkdir()
    (context / "index.html").write_text(page)
    result = run_module("image_build", {
        "path": str(context), "name": FIXRB_IMAGE, "tag": "1",
        "dockerfile_content": "FROM kapal-test/busybox:latest\nLABEL %s\nCOPY index.html /www/index.html\n" % FIXRB_LABEL,
    })
    assert not result.failed, result
    return result["image"]["id"]


def test_rollout_of_a_rebuilt_name_rolls_back_under_that_name(play, docker_api, tmp_path, fixrb):
    roll = FIXRB + "roll"
    v1 = _fixrb_build(tmp_path, "<h1>roll v1</h1>\n")
    started = run_module("container", {
        "name": roll, "image": FIXRB_IMAGE + ":1", "command": ["httpd", "-f", "-p", "80", "-h", "/www"],
        "published_ports": ["127.0.0.1:18322:80"], "labels": {"org.kapal.service": roll}, "state": "started"})
    assert not started.failed, started
    assert _fixrb_build(tmp_path, "<h1>oops</h1>\n") != v1  # the name now means the broken build

    result = play("rollout", rollout_service=roll, rollout_image=FIXRB_IMAGE + ":1",
                  rollout_verify=[{"port": 18322, "body": "roll v1"}], rollout_verify_retries=2)
    assert result.returncode != 0
    assert re.search(r"rollout of %s to %s:1 stopped on localhost: .*wanted HTTP 200 with 'roll v1', got HTTP 200 with body '<h1>oops</h1>' after 2 tries"
                     r"; rolled back to %s:1" % (roll, FIXRB_IMAGE, FIXRB_IMAGE), result.stdout), result.stdout[-4000:]
    container = docker_api.inspect_container(roll)
    assert container["Config"]["Image"] == FIXRB_IMAGE + ":1" and container["Image"] == v1
    assert docker_api.inspect_image(FIXRB_IMAGE + ":1")["Id"] == v1
    assert "roll v1" in _page(18322)


# --- the README's quick start, from the built artifact (names fixrb-qs-, ports 18330-18331) ---

def _readme_files():
    """The quick start's files: the README's yaml blocks whose first line is `# quickstart/<name>`."""
    with open(os.path.join(ROOT, "README.md")) as handle:
        readme = handle.read()
    files = {}
    for block in re.findall(r"```yaml\n(.*?)```", readme, re.S):
        first, body = (block.split("\n", 1) + [""])[:2]
        if first.startswith("# quickstart/"):
            files[first[len("# quickstart/"):]] = body
    return files


@pytest.fixture
def quickstart(tmp_path, docker_api):
    def cleanup():
        for container in docker_api.containers(all=True, filters={"name": "fixrb-qs-"}):
            docker_api.remove_container(container["Id"], force=True)
        for image in docker_api.images(filters={"reference": ["fixrb-qs/*"]}):
            try:
                docker_api.remove_image(image["Id"], force=True)
            except docker.errors.NotFound:
                pass

    cleanup()
    files = _readme_files()
    assert sorted(files) == ["container.yml", "image.yml", "inventory.yml", "service.yml"]
    for name, text in files.items():
        text = text.replace("/tmp/kapal-quickstart", str(tmp_path / "made"))
        (tmp_path / name).write_text(text.replace("quickstart-", "fixrb-qs-").replace("quickstart/", "fixrb-qs/"))
    yield tmp_path
    cleanup()


def test_readme_quick_start_from_the_built_artifact(quickstart, docker_api, testbed):
    galaxy = os.path.join(os.path.dirname(sys.executable), "ansible-galaxy")
    collections = quickstart / "collections"
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    env.pop("ANSIBLE_PYTHON_INTERPRETER", None)  # the inventory says which Python

    def galaxy_run(*args):
        done = subprocess.run([galaxy, "collection"] + list(args), capture_output=True, text=True, env=env, cwd=ROOT,
                              check=False, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr

    galaxy_run("build", "--output-path", str(quickstart))
    (artifact,) = quickstart.glob("kapal-docker-*.tar.gz")
    with tarfile.open(artifact) as archive:
        tops = set(member.name.split("/")[0] for member in archive.getmembers())
    # What a user installs: the collection, not this checkout's venvs, caches or test output.
    assert tops <= {"MANIFEST.json", "FILES.json", "README.md", "COPYING", ".ansible-lint", ".gitignore", "CHANGELOG.md", "CHANGELOG.rst", "Makefile",
                    "pytest.ini", "bench", "changelogs", "docs", "meta", "playbooks", "plugins", "requirements", "roles",
                    "tests"}, tops
    galaxy_run("install", "-p", str(collections), str(artifact))
    assert not os.path.islink(collections / "ansible_collections" / "kapal" / "docker")
    # ansible-doc -l of the installed artifact lists every plugin of the collection.
    for kind, folder in (("module", "modules"), ("connection", "connection"), ("inventory", "inventory")):
        listed = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "-t", kind, "-l", "kapal.docker"],
                                capture_output=True, text=True, env=env, cwd=str(quickstart), check=False, timeout=300)
        assert listed.returncode == 0, listed.stdout + listed.stderr
        names = sorted(re.findall(r"^kapal\.docker\.(\w+)\s", listed.stdout, re.M))
        assert names == sorted(name[:-3] for name in os.listdir(os.path.join(ROOT, "plugins", folder))
                               if name.endswith(".py") and name != "__init__.py"), (kind, listed.stdout)

    def run(*args):
        command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "inventory.yml"] + list(args) + [
            "-e", json.dumps({"base_image": testbed["busybox_image"], "hello_port": 18330, "web_port": 18331})]
        return subprocess.run(command, capture_output=True, text=True, env=env, cwd=str(quickstart), check=False, timeout=900)

    first = run("container.yml", "image.yml", "service.yml")
    assert first.returncode == 0, first.stdout[-5000:] + first.stderr[-2000:]
    assert "Hello from kapal.docker.container" in _page(18330)
    assert "Hello from the service role" in _page(18331)
    assert docker_api.inspect_image("fixrb-qs/web:1.0")["Config"]["ExposedPorts"] == {"80/tcp": {}}
    again = run("container.yml", "image.yml", "service.yml")
    assert again.returncode == 0, again.stdout[-5000:]
    assert recap(again.stdout)["changed"] == 0, again.stdout[-5000:]
    status = run("kapal.docker.status")
    assert re.search(r"localhost +\| fixrb-qs-web +\| fixrb-qs/service:1.0 +\| running +\| none +\| 127.0.0.1:18331->80/tcp",
                     status.stdout), status.stdout
