# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmarks against the real engine: 20 containers with kapal.docker and with the anchor, community.docker.

Run by ``make bench`` (the venv, the collection link and the test bed are up). Measures, for each
scenario, the wall time and the peak memory of the whole run (ansible-playbook and every process it
starts), ``--repetitions`` times, and reports the median. Nothing here asserts a time.

Scenarios (each: create 20 containers, then the same run again, which must change nothing):
  containers   one kapal.docker.containers task with 20 items
  container    a loop of 20 kapal.docker.container tasks
  anchor       a loop of 20 community.docker.docker_container tasks (a venv of its own, see below)
  sdk          the engine's own cost: the docker SDK creating + starting 20 (then inspecting 20)
  engine_role  the role kapal.docker.engine on a fresh host of each Debian release (tests/testbed/hosts.py),
               over SSH: the first run, from nothing, then a re-run (which must change nothing)
  compose      a 10-service Compose project: one kapal.docker.compose task, one
               community.docker.docker_compose_v2 task (the docker CLI with the test bed's Compose
               plugin) and the bare ``docker compose up -d``; phases cold, re-run, one service changed

community.docker is never a dependency of the collection: it is taken from the ``ansible`` package on
PyPI (``pip download --no-deps``), only ``ansible_collections/community/docker`` is extracted, into a
cache directory outside the checkout ($KAPAL_BENCH_CACHE, default ~/.cache/kapal-docker-bench) with a
venv of ansible-core and the docker SDK. When that cannot be fetched, the results say why and the other
scenarios are still measured.

Writes bench/results/<UTC timestamp>.json and bench/results/latest.md.
"""

from __future__ import annotations

import argparse
import datetime
import glob
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "results")
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
COLLECTIONS = os.path.join(ROOT, ".collections")
CACHE = os.environ.get("KAPAL_BENCH_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "kapal-docker-bench")
TESTBED_FACTS = os.path.join(os.environ.get("KAPAL_TESTBED_DIR", "/var/lib/kapal-testbed"), "testbed.json")

ANSIBLE_PACKAGE = "ansible==12.3.0"
ANCHOR_REQUIREMENTS = ["ansible-core==2.19.14", "docker==7.1.0"]
PREFIX = "kapal-bench-"
SAMPLE_SECONDS = 0.05


# -- measuring one command: wall time, the peak of its largest process, the peak of its whole tree ----

def _children(pid_table, root):
    tree, todo = [root], [root]
    while todo:
        parent = todo.pop()
        for pid, ppid in pid_table.items():
            if ppid == parent:
                tree.append(pid)
                todo.append(pid)
    return tree


def _tree_rss_kib(root):
    """The summed resident memory (KiB) of ``root`` and every descendant, from /proc."""
    table, rss = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            table[int(entry)] = int(fields[1])
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, IndexError, ValueError):
            continue
    return sum(rss.get(pid, 0) for pid in _children(table, root))


def measure(command, env):
    """Run ``command``; returns dict(wall_s, max_rss_mib, tree_rss_mib, rc, output)."""
    with tempfile.TemporaryFile("w+") as output:
        started = time.monotonic()
        proc = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        peak = [0]
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], _tree_rss_kib(proc.pid))
                done.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - started
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read()
    # ru_maxrss of a waited child: the largest single process of its tree (Linux: KiB).
    return dict(wall_s=round(wall, 3), max_rss_mib=round(usage.ru_maxrss / 1024.0, 1),
                tree_rss_mib=round(peak[0] / 1024.0, 1), rc=proc.returncode, output=text)


# -- the engine: clean-up and the SDK baseline -------------------------------------------------------

SDK_SCRIPT = r"""
import json, sys, time
import docker
host, image, count, prefix, mode = sys.argv[1:6]
api = docker.APIClient(base_url=host, version="auto")
started = time.monotonic()
if mode == "create":
    for n in range(int(count)):
        name = "%s%02d" % (prefix, n)
        created = api.create_container(image, ["sleep", "3600"], name=name,
                                       host_config=api.create_host_config(network_mode="none"))
        api.start(created["Id"])
else:
    listing = api.containers(all=True)
    for n in range(int(count)):
        api.inspect_container("%s%02d" % (prefix, n))
print(json.dumps(dict(engine_s=round(time.monotonic() - started, 3))))
"""


def engine_api(host):
    import docker  # the project venv's SDK: bench/run.py runs with .venv/bin/python

    return docker.APIClient(base_url=host, version="auto")


def clean_up(api):
    for entry in api.containers(all=True):
        if any(n.lstrip("/").startswith(PREFIX) for n in entry.get("Names") or []):
            api.remove_container(entry["Id"], force=True)


def count_running(api):
    return len([e for e in api.containers(filters=dict(status="running"))
                if any(n.lstrip("/").startswith(PREFIX) for n in e.get("Names") or [])])


# -- the anchor: community.docker from the ansible package, in a venv of its own ---------------------

def anchor_paths():
    venv = os.path.join(CACHE, "venv-anchors")
    return dict(venv=venv, python=os.path.join(venv, "bin", "python"),
                playbook=os.path.join(venv, "bin", "ansible-playbook"),
                collections=os.path.join(CACHE, "collections"),
                stamp=os.path.join(CACHE, "anchors.json"))


def set_up_anchor(log):
    """The anchor's venv and collections path; returns its facts, or raises RuntimeError(why)."""
    paths = anchor_paths()
    if os.path.exists(paths["stamp"]):
        with open(paths["stamp"]) as handle:
            return json.load(handle)
    os.makedirs(CACHE, exist_ok=True)

    def run(*command):
        log("  $ %s" % " ".join(command))
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError("%s failed: %s" % (" ".join(command[:4]), (proc.stderr or proc.stdout).strip()[-500:]))

    if not os.path.exists(paths["python"]):
        run(sys.executable, "-m", "venv", paths["venv"])
    run(paths["python"], "-m", "pip", "install", "-q", *ANCHOR_REQUIREMENTS)
    download = os.path.join(CACHE, "download")
    run(paths["python"], "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:", "-d", download, ANSIBLE_PACKAGE)
    wheel = next((os.path.join(download, f) for f in sorted(os.listdir(download)) if f.endswith(".whl")), None)
    if wheel is None:
        raise RuntimeError("pip download %s gave no wheel in %s" % (ANSIBLE_PACKAGE, download))
    member_prefix = "ansible_collections/community/docker/"
    shutil.rmtree(paths["collections"], ignore_errors=True)
    with zipfile.ZipFile(wheel) as archive:
        members = [m for m in archive.namelist() if m.startswith(member_prefix)]
        if not members:
            raise RuntimeError("%s holds no %s" % (os.path.basename(wheel), member_prefix))
        archive.extractall(paths["collections"], members)
    with open(os.path.join(paths["collections"], member_prefix, "MANIFEST.json")) as handle:
        version = json.load(handle)["collection_info"]["version"]
    os.unlink(wheel)  # 54 MB: only the extracted collection is kept
    facts = dict(community_docker=version, ansible_package=ANSIBLE_PACKAGE, requirements=ANCHOR_REQUIREMENTS,
                 venv=paths["venv"], collections=paths["collections"])
    with open(paths["stamp"], "w") as handle:
        json.dump(facts, handle, indent=2)
    return facts


# -- the playbooks ---------------------------------------------------------------------------------

def playbook(kind, host, image, count):
    names = ["%s%02d" % (PREFIX, n) for n in range(count)]
    if kind == "containers":
        task = {"name": "%d containers in one task" % count, "kapal.docker.containers": dict(
            docker_host=host, defaults=dict(image=image, command="sleep 3600", network_mode="none"),
            containers=[dict(name=name) for name in names])}
    else:
        module = "kapal.docker.container" if kind == "container" else "community.docker.docker_container"
        args = dict(name="{{ item }}", image=image, command="sleep 3600", network_mode="none", state="started",
                    docker_host=host)
        task = {"name": "one task per container", module: args, "loop": names}
    play = dict(hosts="localhost", connection="local", gather_facts=False, tasks=[task])
    return json.dumps([play], indent=2)  # JSON is YAML


def changed_count(output):
    for line in output.splitlines():
        if line.startswith("localhost") and "changed=" in line:
            return int(line.split("changed=")[1].split()[0])
    return None


# -- the engine role on fresh hosts ----------------------------------------------------------------

ENGINE_RELEASES = ("12", "13", "14")
ENGINE_GROUP = "bench-engine"
WHEELS = os.path.join(os.environ.get("KAPAL_TESTBED_CACHE", "/var/cache/kapal-testbed"), "wheels")


def engine_role_playbook():
    play = dict(hosts="fresh_hosts", gather_facts=False,
                roles=[{"role": "kapal.docker.engine", "vars": {"engine_sdk_wheels": WHEELS}}])
    return json.dumps([play], indent=2)


def recap(output):
    """(changed, failed) of the one host in an ansible-playbook recap, or (None, None)."""
    for line in output.splitlines():
        if line.startswith("kapal-host-") and "changed=" in line:
            return int(line.split("changed=")[1].split()[0]), int(line.split("failed=")[1].split()[0])
    return None, None


def bench_engine_role(releases, repetitions, env, work, log):
    """For each release: a fresh host, the role's first run and its re-run (``repetitions`` times)."""
    sys.path.insert(0, ROOT)
    from tests.testbed import hosts  # the test bed's fresh hosts; needs root and the test bed

    path = os.path.join(work, "engine_role.yml")
    with open(path, "w") as handle:
        handle.write(engine_role_playbook())
    results = {}
    for release in releases:
        results[release] = dict(first=[], again=[], engine=None)
        for repetition in range(repetitions):
            facts = hosts.up(ENGINE_GROUP, [release], fresh=True, owner="bench")
            try:
                for phase in ("first", "again"):
                    result = measure([os.path.join(VENV_BIN, "ansible-playbook"), "-i", facts["inventory"], path], env)
                    changed, failed = recap(result["output"])
                    entry = dict(wall_s=result["wall_s"], rc=result["rc"], changed=changed, failed=failed)
                    if result["rc"] != 0:
                        entry["error"] = result["output"][-2000:]
                    found = re.search(r"Docker Engine (\S+) \(API (\S+)\)", result["output"])
                    if found:
                        results[release]["engine"] = dict(version=found.group(1), api=found.group(2))
                    results[release][phase].append(entry)
                    log("rep %d engine_role Debian %s %-6s wall %6.1fs  rc %s  changed=%s" % (
                        repetition + 1, release, phase, entry["wall_s"], entry["rc"], changed))
            finally:
                hosts.down(ENGINE_GROUP)
    return results


# -- the service role: its re-run with 1 and with 20 services -----------------------------------------

SERVICE_COUNTS = (1, 20)


def service_role_playbook(host, image, count, workdir):
    services = [dict(name="%ssvc-%02d" % (PREFIX, n), image=image,
                     container=dict(command="sleep 3600", network_mode="none")) for n in range(count)]
    play = dict(hosts="localhost", connection="local", gather_facts=False,
                module_defaults={"group/kapal.docker.docker": dict(docker_host=host)},
                roles=[{"role": "kapal.docker.service",
                        "vars": dict(service_definitions=services, service_workdir=workdir)}])
    return json.dumps([play], indent=2)


def bench_service_role(host, image, repetitions, env, work, api, log):
    """The service role's first run and re-run with 1 and with 20 services (image services: their
    pulls are part of the one containers call). Goal: the re-run with 20 costs at most 3 s more
    than with 1."""
    results = {}
    for count in SERVICE_COUNTS:
        path = os.path.join(work, "service_role_%d.yml" % count)
        with open(path, "w") as handle:
            handle.write(service_role_playbook(host, image, count, os.path.join(work, "services")))
        results[count] = dict(first=[], again=[])
        for repetition in range(repetitions):
            clean_up(api)
            for phase in ("first", "again"):
                result = measure([os.path.join(VENV_BIN, "ansible-playbook"), "-i", "localhost,", path], env)
                entry = dict(wall_s=result["wall_s"], rc=result["rc"], changed=changed_count(result["output"]))
                if result["rc"] != 0:
                    entry["error"] = result["output"][-2000:]
                results[count][phase].append(entry)
                log("rep %d service_role %2d services %-5s wall %6.2fs  rc %s  changed=%s" % (
                    repetition + 1, count, phase, entry["wall_s"], entry["rc"], entry["changed"]))
        clean_up(api)
    return results


# -- a Compose project of 10 services: kapal.docker.compose, docker_compose_v2, docker compose up -d --

# Not under PREFIX: the other scenarios' clean-up (by that prefix) would remove its containers under a
# running Compose scenario of another checkout; its own clean-up goes by the project's label.
COMPOSE_PROJECT = "kapal-compose-bench"
COMPOSE_SERVICES = 10
COMPOSE_PHASES = ("cold", "rerun", "changed")
COMPOSE_TOOLS = ("kapal", "anchor", "cli", "startup")
COMPOSE_LABEL = "com.docker.compose.project=%s" % COMPOSE_PROJECT
# A service that stops at once on SIGTERM (busybox sleep as PID 1 would not).
_SERVE = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]


def compose_files(directory, image):
    """compose.yaml and .env of the project: db (a named volume, a healthcheck) and 9 services that
    wait for it healthy, on a network of the project's, each with a value from .env."""
    services = {"db": dict(image="${IMAGE}", command=["sh", "-c", "touch /tmp/ready; " + _SERVE[2]],
                           healthcheck=dict(test=["CMD", "test", "-f", "/tmp/ready"], interval="1s", retries=30),
                           volumes=["data:/data"], networks=["back"], stop_grace_period="2s")}
    for n in range(1, COMPOSE_SERVICES):
        services["app%02d" % n] = dict(
            image="${IMAGE}", command=_SERVE, networks=["back"], stop_grace_period="2s",
            environment=dict(ROLE="app%02d" % n, VERSION="${APP%02d_VERSION:-1}" % n),
            labels={"org.example.tier": "app"}, depends_on=dict(db=dict(condition="service_healthy")))
    with open(os.path.join(directory, "compose.yaml"), "w") as handle:
        json.dump(dict(services=services, networks=dict(back={}), volumes=dict(data={})), handle, indent=2)
    compose_env(directory, image, changed=False)


def compose_env(directory, image, changed):
    """.env; with ``changed``, one service's value differs (that service, and only it, is recreated)."""
    with open(os.path.join(directory, ".env"), "w") as handle:
        handle.write("IMAGE=%s\n%s" % (image, "APP03_VERSION=2\n" if changed else ""))


def compose_playbook(tool, host, directory):
    if tool == "startup":  # a one-task playbook's start-up: the goal's yardstick
        task = {"ansible.builtin.ping": {}}
    elif tool == "kapal":
        task = {"kapal.docker.compose": dict(project_src=directory, project_name=COMPOSE_PROJECT, docker_host=host)}
    else:
        task = {"community.docker.docker_compose_v2": dict(project_src=directory, project_name=COMPOSE_PROJECT,
                                                           state="present", docker_host=host)}
    play = dict(hosts="localhost", connection="local", gather_facts=False, tasks=[dict(task, name="the project, up")])
    return json.dumps([play], indent=2)


def compose_down(api):
    """Remove the project's containers, network and volume (whoever made them)."""
    label = {"label": COMPOSE_LABEL}
    for entry in api.containers(all=True, filters=label):
        api.remove_container(entry["Id"], force=True, v=True)
    for entry in api.networks(filters=label):
        api.remove_network(entry["Id"])
    for entry in api.volumes(filters=label).get("Volumes") or []:
        api.remove_volume(entry["Name"])


def compose_ids(api):
    return dict((entry["Names"][0].lstrip("/"), (entry["Id"], entry["State"]))
                for entry in api.containers(all=True, filters={"label": COMPOSE_LABEL}))


def bench_compose(host, image, testbed, anchor, repetitions, env, work, api, log):
    """For each tool (kapal, the anchor's docker_compose_v2 when it is there, the bare CLI): the
    project from nothing (cold), the same again (rerun), then with one service's value changed.
    Each phase records its wall time, the recap's changed count (playbooks) and how many containers
    were made anew (their id changed), read from the engine."""
    cli = testbed.get("compose_cli") or {}
    if not cli.get("plugin") or not os.path.exists(cli["plugin"]):
        raise RuntimeError("the test bed has no Compose CLI: run tests/testbed/up.sh compose")
    directory = os.path.join(work, "compose-project")
    os.makedirs(directory, exist_ok=True)
    compose_files(directory, image)
    cli_env = dict(os.environ, DOCKER_CONFIG=cli["docker_config"], DOCKER_HOST=host)
    commands = {}
    for tool in COMPOSE_TOOLS:
        if tool == "cli":
            commands[tool] = (["docker", "compose", "--project-name", COMPOSE_PROJECT, "--project-directory", directory,
                               "up", "-d"], cli_env)
            continue
        if tool == "anchor" and anchor is None:
            continue
        path = os.path.join(work, "compose-%s.yml" % tool)
        with open(path, "w") as handle:
            handle.write(compose_playbook(tool, host, directory))
        if tool in ("kapal", "startup"):
            commands[tool] = ([os.path.join(VENV_BIN, "ansible-playbook"), "-i", "localhost,", path], env)
        else:
            paths = anchor_paths()
            commands[tool] = ([paths["playbook"], "-i", "localhost,", path], dict(
                env, ANSIBLE_COLLECTIONS_PATH=paths["collections"], ANSIBLE_PYTHON_INTERPRETER=paths["python"],
                DOCKER_CONFIG=cli["docker_config"],
                PATH=os.path.dirname(paths["playbook"]) + os.pathsep + os.environ["PATH"]))
    results = dict((tool, dict((phase, []) for phase in COMPOSE_PHASES)) for tool in commands)
    try:
        for repetition in range(repetitions):
            for tool, (command, tool_env) in commands.items():
                if tool == "startup":  # the project left as the CLI made it: ping touches nothing
                    for phase in COMPOSE_PHASES:
                        result = measure(command, tool_env)
                        entry = dict((k, result[k]) for k in ("wall_s", "max_rss_mib", "tree_rss_mib", "rc"))
                        results[tool][phase].append(entry)
                        log("rep %d compose %-7s %-7s wall %6.2fs  rc %s" % (
                            repetition + 1, tool, phase, entry["wall_s"], entry["rc"]))
                    continue
                compose_down(api)
                compose_env(directory, image, changed=False)
                before = {}
                for phase in COMPOSE_PHASES:
                    if phase == "changed":
                        compose_env(directory, image, changed=True)
                    result = measure(command, tool_env)
                    after = compose_ids(api)
                    entry = dict((k, result[k]) for k in ("wall_s", "max_rss_mib", "tree_rss_mib", "rc"))
                    entry["changed"] = changed_count(result["output"]) if tool != "cli" else None
                    entry["made"] = sum(1 for name, (cid, _s) in after.items() if before.get(name, (None,))[0] != cid)
                    entry["running"] = sum(1 for _cid, state in after.values() if state == "running")
                    if result["rc"] != 0:
                        entry["error"] = result["output"][-2000:]
                    results[tool][phase].append(entry)
                    before = after
                    log("rep %d compose %-6s %-7s wall %6.2fs  max rss %6.1f MiB  tree rss %6.1f MiB  rc %s  "
                        "changed=%s  made=%d  running=%d" % (
                            repetition + 1, tool, phase, entry["wall_s"], entry["max_rss_mib"], entry["tree_rss_mib"],
                            entry["rc"], entry["changed"], entry["made"], entry["running"]))
    finally:
        compose_down(api)
    return dict(compose_cli=cli.get("version"), services=COMPOSE_SERVICES, results=results)


def compose_failed(compose):
    """Runs that failed or did not do what the phase asks (10 made cold, none on the re-run, one when
    one service changed; all 10 running after each)."""
    wanted = dict(cold=COMPOSE_SERVICES, rerun=0, changed=1)
    return sum(1 for phases in (compose or {}).get("results", {}).values() for phase, entries in phases.items()
               for e in entries if e["rc"] != 0 or e.get("made", wanted[phase]) != wanted[phase]
               or e.get("running", COMPOSE_SERVICES) != COMPOSE_SERVICES)


COMPOSE_LABELS = dict(kapal="`kapal.docker.compose`, one task", anchor="`community.docker.docker_compose_v2`, one task",
                      cli="`docker compose up -d` (the bare CLI)",
                      startup="a one-task playbook (`ansible.builtin.ping`): its start-up")


def compose_markdown(compose, anchor):
    results = compose["results"]
    repetitions = len(next(iter(results.values()))["cold"])
    lines = ["## A Compose project of %d services" % compose["services"], "",
             "db (a healthcheck, a named volume) and 9 services waiting for it healthy, on one project network;"
             " Docker Compose %s as the docker CLI's plugin; median of %d:" % (compose["compose_cli"], repetitions), "",
             "| tool | cold | re-run | one service changed | containers made (cold / re-run / changed) |"
             " peak RSS, whole tree |", "|---|---:|---:|---:|---|---:|"]
    for tool in COMPOSE_TOOLS:
        if tool not in results:
            continue

        def wall(phase, tool=tool):
            ok = [e["wall_s"] for e in results[tool][phase] if e["rc"] == 0]
            return "%.2f s" % statistics.median(ok) if ok else "failed"

        made = " / ".join(",".join(str(e["made"]) for e in results[tool][phase]) for phase in COMPOSE_PHASES) \
            if tool != "startup" else ""
        trees = [e["tree_rss_mib"] for phase in COMPOSE_PHASES for e in results[tool][phase] if e["rc"] == 0]
        lines.append("| %s | %s | %s | %s | %s | %s MiB |" % (
            COMPOSE_LABELS[tool], wall("cold"), wall("rerun"), wall("changed"), made,
            round(statistics.median(trees), 1) if trees else "?"))
    lines.append("")

    def median(tool, phase):
        ok = [e["wall_s"] for e in results.get(tool, {}).get(phase, []) if e["rc"] == 0]
        return statistics.median(ok) if ok else None

    goals = []
    for phase in COMPOSE_PHASES:
        ours, theirs, cli, startup = (median(t, phase) for t in ("kapal", "anchor", "cli", "startup"))
        if None in (ours, cli, startup):
            continue
        text = "%s: kapal %.2f s against the CLI + a playbook's start-up %.2f s (%s)" % (
            phase, ours, cli + startup, "met" if ours <= cli + startup else "NOT met")
        if theirs is not None:
            text += ", against docker_compose_v2 %.2f s (%s)" % (theirs, "faster" if ours < theirs else "NOT faster")
        goals.append(text)
    if goals:
        lines += ["Goals (faster than docker_compose_v2 in every phase; within a one-task playbook's start-up of the"
                  " bare CLI): " + "; ".join(goals) + ".", ""]
    if "anchor" not in results:
        lines.append("community.docker: not measured (%s)." % (anchor or {}).get("error", "not set up"))
        lines.append("")
    return lines


# -- site.yml on a fleet: 1 host against 3 -----------------------------------------------------------

FLEET_GROUP = "bench-fleet"
FLEET_SIZES = (1, 3)
FLEET_PORT = 8090       # on each fresh host's own address
FLEET_REGISTRY_PORT = 5000
FLEET_PAGE = "kapal bench fleet page\n"


def _busybox_rootfs():
    cache = os.environ.get("KAPAL_TESTBED_CACHE", "/var/cache/kapal-testbed")
    found = sorted(f for f in os.listdir(cache) if f.startswith("busybox-r") and f.endswith(".tar"))
    if not found:
        raise RuntimeError("no busybox root filesystem in %s: run tests/testbed/up.sh" % cache)
    return os.path.join(cache, found[-1])


def fleet_inventory(facts):
    """The fresh hosts' inventory made a fleet, as README's Fleet section has it: the registry on the
    first host, the busybox base imported and a page image built FROM it once, one web service per host."""
    with open(facts["inventory"]) as handle:
        inventory = json.load(handle)
    names = [host["name"] for host in facts["hosts"]]
    registry = "%s:%d" % (facts["hosts"][0]["address"], FLEET_REGISTRY_PORT)
    image = "%s/kapal-bench/web:1" % registry
    top = inventory["all"]
    top["vars"].update({
        "engine_sdk_wheels": WHEELS,
        "engine_daemon_config": {"insecure-registries": [registry]},
        "site_images": [
            {"name": "%s/kapal/busybox:1" % registry, "import": {"src": _busybox_rootfs()}},
            {"name": image, "build": {"dockerfile_content": "FROM %s/kapal/busybox:1\nCOPY index.html /var/www/index.html\n"
                                      % registry, "files": {"index.html": FLEET_PAGE}}},
        ],
        "service_definitions": [{
            "name": "kapal-bench-web", "image": image,
            "container": {"command": ["httpd", "-f", "-p", "80", "-h", "/var/www"],
                          "published_ports": ["%d:80" % FLEET_PORT], "restart_policy": "always"},
            "verify": [{"port": FLEET_PORT, "body": FLEET_PAGE.strip()}],
        }],
    })
    top["children"].update({
        "docker_hosts": {"hosts": dict((name, {}) for name in names)},
        "registry_hosts": {"hosts": {names[0]: {}}, "vars": {"registry_listen": "0.0.0.0:%d" % FLEET_REGISTRY_PORT}},
    })
    return inventory


def recaps(output):
    """{host: (changed, failed + unreachable)} from an ansible-playbook recap."""
    found = re.findall(r"(?m)^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", output)
    return dict((host, (int(changed), int(unreachable) + int(failed))) for host, changed, unreachable, failed in found)


def bench_fleet_site(release, repetitions, env, work, log):
    """kapal.docker.site on fresh fleets of 1 and of 3 hosts (all Debian ``release``): the cold run, from
    nothing, then the re-run (which must change nothing). Goal: 3 hosts take at most 1.5 times 1 host."""
    sys.path.insert(0, ROOT)
    from tests.testbed import hosts  # the test bed's fresh hosts; needs root and the test bed

    env = dict(env)
    env.pop("ANSIBLE_PYTHON_INTERPRETER", None)  # the hosts' python (the engine role's), not the venv's
    results = {}
    for size in FLEET_SIZES:
        results[size] = dict(first=[], again=[])
        for repetition in range(repetitions):
            facts = hosts.up(FLEET_GROUP, [release], count=size, fresh=True, owner="bench")
            try:
                path = os.path.join(work, "fleet-%d.yml" % size)
                with open(path, "w") as handle:
                    json.dump(fleet_inventory(facts), handle)
                for phase in ("first", "again"):
                    result = measure([os.path.join(VENV_BIN, "ansible-playbook"), "-i", path, "kapal.docker.site"], env)
                    found = recaps(result["output"])
                    entry = dict(wall_s=result["wall_s"], rc=result["rc"], hosts=len(found),
                                 changed=sum(changed for changed, _failed in found.values()))
                    if result["rc"] != 0 or len(found) != size:
                        entry["error"] = result["output"][-2000:]
                    results[size][phase].append(entry)
                    log("rep %d fleet_site %d host(s) %-5s wall %6.1fs  rc %s  changed=%s" % (
                        repetition + 1, size, phase, entry["wall_s"], entry["rc"], entry["changed"]))
            finally:
                hosts.down(FLEET_GROUP)
    return dict(release=release, sizes=results)


# -- a rollout across a fleet of fresh hosts: the downtime of each host ------------------------------

ROLLOUT_RELEASES = ("12", "13", "14")
ROLLOUT_GROUP = "bench-rollout"
ROLLOUT_PORT = 8090
ROLLOUT_SERVICE = PREFIX + "rollout-web"
ROLLOUT_SDK_PYTHON = "/opt/kapal-docker/sdk/bin/python"  # the engine role's SDK venv (Debian 12)


def rollout_page(version):
    return "kapal bench fleet page, version %s\n" % version


def rollout_inventory(facts, registry, rootfs):
    """The fresh hosts' inventory with a registry on the first Debian 13 host, the page image in two
    versions (built there once, pushed) and the page service on every host."""
    with open(facts["inventory"]) as handle:
        inventory = json.load(handle)
    top, names = inventory["all"], [host["name"] for host in facts["hosts"]]
    registry_host = next(host["name"] for host in facts["hosts"] if host["release"] == "13")
    web = "%s/kapal-bench/web:%%s" % registry
    top["vars"].update({
        "ansible_python_interpreter": "auto_silent",
        "ansible_interpreter_python_fallback": [ROLLOUT_SDK_PYTHON, "/usr/bin/python3"],
        "engine_sdk_wheels": WHEELS,
        "engine_daemon_config": {"insecure-registries": [registry]},
        "site_images": [{"name": "%s/kapal-bench/busybox:1" % registry, "import": {"src": rootfs}}] + [
            {"name": web % version,
             "build": {"dockerfile_content": "FROM %s/kapal-bench/busybox:1\nCOPY index.html /var/www/index.html\n" % registry,
                       "files": {"index.html": rollout_page(version)}}} for version in ("1", "2")],
    })
    for name in names:
        top["hosts"][name]["service_definitions"] = [{
            "name": ROLLOUT_SERVICE, "image": web % "1",
            # busybox httpd (PID 1) ignores SIGTERM: stop_timeout 1, as a service that stops on it would.
            "container": {"command": ["httpd", "-f", "-p", "80", "-h", "/var/www"], "published_ports": ["%d:80" % ROLLOUT_PORT],
                          "restart_policy": "always", "stop_timeout": 1},
            "verify": [{"port": ROLLOUT_PORT}],
        }]
    top["children"].update({
        "docker_hosts": {"hosts": dict((name, {}) for name in names)},
        "registry_hosts": {"hosts": {registry_host: {}}, "vars": {"registry_listen": "0.0.0.0:5000"}},
    })
    return inventory, web


def bench_fleet_rollout(repetitions, env, work, log):
    """site on a fleet of fresh hosts (Debian 12, 13, 14), then rollouts of the page service, one host
    at a time, from version 1 to 2 and back, ``repetitions`` times each, while a probe on this machine
    fetches every host's page every 0.1 s (each request bounded by 0.5 s): per host, the longest time
    without an answer (from the last answer before to the first after), and whether the hosts outside
    the one being updated answered throughout."""
    sys.path.insert(0, ROOT)
    from tests.testbed import hosts  # the test bed's fresh hosts; needs root and the test bed
    from tests.integration.probe import Probe

    rootfs = sorted(glob.glob(os.path.join(os.environ.get("KAPAL_TESTBED_CACHE", "/var/cache/kapal-testbed"),
                                           "busybox-r*.tar")))
    if not rootfs:
        return dict(error="no busybox root filesystem in the test bed's cache: run tests/testbed/up.sh")
    env = dict(env)
    env.pop("ANSIBLE_PYTHON_INTERPRETER", None)  # the inventory's, on the hosts
    playbook_bin = os.path.join(VENV_BIN, "ansible-playbook")
    facts = hosts.up(ROLLOUT_GROUP, list(ROLLOUT_RELEASES), fresh=True, owner="bench")
    try:
        registry = "%s:5000" % next(host["address"] for host in facts["hosts"] if host["release"] == "13")
        inventory, web = rollout_inventory(facts, registry, rootfs[-1])
        path = os.path.join(work, "fleet.yml")
        with open(path, "w") as handle:
            json.dump(inventory, handle)
        site = measure([playbook_bin, "-i", path, "kapal.docker.site"], env)
        log("fleet_rollout site on %d fresh hosts: wall %.1fs  rc %s" % (len(facts["hosts"]), site["wall_s"], site["rc"]))
        results = dict(hosts=[dict(name=h["name"], release=h["release"]) for h in facts["hosts"]],
                       site=dict(wall_s=site["wall_s"], rc=site["rc"]), rollouts=[],
                       probe=dict(interval_s=0.1, timeout_s=0.5))
        if site["rc"] != 0:
            results["error"] = site["output"][-2000:]
            return results
        names = [host["name"] for host in facts["hosts"]]
        urls = dict((host["name"], "http://%s:%d/" % (host["address"], ROLLOUT_PORT)) for host in facts["hosts"])
        for repetition in range(repetitions):
            for version in ("2", "1"):
                extra = dict(rollout_service=ROLLOUT_SERVICE, rollout_image=web % version, rollout_serial=1,
                             rollout_verify=[{"port": ROLLOUT_PORT, "body": rollout_page(version).strip()}])
                with Probe(urls, interval=0.1, timeout=0.5, max_seconds=300) as probe:
                    result = measure([playbook_bin, "-i", path, "kapal.docker.rollout", "-e", json.dumps(extra)], env)
                phases = probe.phases([[name] for name in names], lambda text, version=version: text.strip() == rollout_page(version).strip())
                entry = dict(version=version, wall_s=result["wall_s"], rc=result["rc"],
                             downtime_s=dict((name, probe.downtime(name)) for name in names),
                             outages=dict((name, probe.outages(name)) for name in names),
                             rounds=len(probe.rounds), requests=probe.requests, bounded=probe.bounded,
                             others_answered=all(index is not None for _at, index, _answers in phases))
                if result["rc"] != 0:
                    entry["error"] = result["output"][-2000:]
                results["rollouts"].append(entry)
                log("rep %d fleet_rollout to version %s  wall %6.1fs  rc %s  downtime %s  others answered: %s" % (
                    repetition + 1, version, entry["wall_s"], entry["rc"],
                    " ".join("%s=%ss" % (n.rsplit("-", 2)[-2], entry["downtime_s"][n]) for n in names),
                    entry["others_answered"]))
        return results
    finally:
        hosts.down(ROLLOUT_GROUP)


def fleet_rollout_markdown(fleet):
    lines = ["## A rollout across a fleet: the downtime of each host", ""]
    if fleet.get("error") and not fleet.get("rollouts"):
        return lines + ["Not measured: %s" % (fleet["error"].strip().splitlines() or ["?"])[-1], ""]
    rollouts = [r for r in fleet["rollouts"] if r["rc"] == 0]
    lines += ["kapal.docker.rollout, rollout_serial 1, on %d fresh hosts (site first: %.1f s); a probe on the controller"
              " fetches every host's page every %s s (each request bounded by %s s). Downtime: from the last answer"
              " before to the first answer after (an upper bound, to one interval); %d rollouts."
              % (len(fleet["hosts"]), fleet["site"]["wall_s"], fleet["probe"]["interval_s"], fleet["probe"]["timeout_s"],
                 len(rollouts)), "",
              "| host | release | downtime, median | downtime, max |", "|---|---|---:|---:|"]
    for host in fleet["hosts"]:
        values = [r["downtime_s"][host["name"]] for r in rollouts if r["downtime_s"][host["name"]] is not None]
        lines.append("| %s | Debian %s | %s | %s |" % (
            host["name"], host["release"], "%.2f s" % statistics.median(values) if values else "?",
            "%.2f s" % max(values) if values else "?"))
    walls = [r["wall_s"] for r in rollouts]
    lines += ["", "Rollout of the 3 hosts, median wall time: %s; the other hosts answered throughout: %s." % (
        "%.1f s" % statistics.median(walls) if walls else "?",
        "yes" if rollouts and all(r["others_answered"] for r in rollouts) else "NO"), ""]
    return lines


# -- the run -----------------------------------------------------------------------------------------

def version_of(python, module):
    proc = subprocess.run([python, "-c", "from %s import __version__; print(__version__)" % module],
                          capture_output=True, text=True, check=False)
    return proc.stdout.strip() or None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--scenarios", default="sdk,containers,container,anchor,service_role,engine_role,compose,fleet_site,fleet_rollout")
    parser.add_argument("--engine-releases", default=",".join(ENGINE_RELEASES))
    parser.add_argument("--engine-repetitions", type=int, default=1,
                        help="fresh hosts per release for engine_role (each takes minutes)")
    parser.add_argument("--fleet-release", default="13", help="the Debian release of fleet_site's hosts")
    parser.add_argument("--fleet-repetitions", type=int, default=1,
                        help="fresh fleets of each size for fleet_site (each takes minutes)")
    args = parser.parse_args()
    scenarios = args.scenarios.split(",")

    def log(text):
        print(text, flush=True)

    with open(TESTBED_FACTS) as handle:
        testbed = json.load(handle)
    host, image = testbed["docker_host"], testbed["busybox_image"]
    api = engine_api(host)
    os.makedirs(RESULTS, exist_ok=True)

    anchor, anchor_error = None, None
    if "anchor" in scenarios or "compose" in scenarios:
        log("setting up the anchor (community.docker from %s) in %s" % (ANSIBLE_PACKAGE, CACHE))
        try:
            anchor = set_up_anchor(log)
        except (RuntimeError, OSError) as exc:
            anchor_error = str(exc)
            log("  anchor unavailable: %s" % anchor_error)

    ours_env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_PYTHON_INTERPRETER=os.path.join(VENV_BIN, "python"),
                    ANSIBLE_NOCOLOR="1", ANSIBLE_HOST_KEY_CHECKING="false", PATH=VENV_BIN + os.pathsep + os.environ["PATH"])
    commands = {}
    sdk = [os.path.join(VENV_BIN, "python"), "-c", SDK_SCRIPT, host, image, str(args.count), PREFIX]
    if "sdk" in scenarios:
        commands["sdk"] = ((sdk + ["create"], sdk + ["inspect"]), dict(os.environ))
    work = tempfile.mkdtemp(prefix="kapal-bench-")
    for kind in ("containers", "container", "anchor"):
        if kind not in scenarios or (kind == "anchor" and anchor is None):
            continue
        path = os.path.join(work, "%s.yml" % kind)
        with open(path, "w") as handle:
            handle.write(playbook(kind, host, image, args.count))
        if kind == "anchor":
            paths = anchor_paths()
            env = dict(ours_env, ANSIBLE_COLLECTIONS_PATH=paths["collections"], ANSIBLE_PYTHON_INTERPRETER=paths["python"],
                       PATH=os.path.dirname(paths["playbook"]) + os.pathsep + os.environ["PATH"])
            commands[kind] = ([paths["playbook"], "-i", "localhost,", path], env)
        else:
            commands[kind] = ([os.path.join(VENV_BIN, "ansible-playbook"), "-i", "localhost,", path], ours_env)

    runs = dict((kind, dict(create=[], idempotent=[])) for kind in commands)
    try:
        for repetition in range(args.repetitions):
            for kind, (command, env) in commands.items():
                clean_up(api)
                for phase in ("create", "idempotent"):
                    this = command[0 if phase == "create" else 1] if kind == "sdk" else command
                    result = measure(this, env)
                    entry = dict((k, result[k]) for k in ("wall_s", "max_rss_mib", "tree_rss_mib", "rc"))
                    if kind == "sdk":
                        entry["engine_s"] = json.loads(result["output"].strip().splitlines()[-1])["engine_s"] if result["rc"] == 0 else None
                    else:
                        entry["changed"] = changed_count(result["output"])
                    entry["running_after"] = count_running(api)
                    if result["rc"] != 0:
                        entry["error"] = result["output"][-2000:]
                    runs[kind][phase].append(entry)
                    log("rep %d %-10s %-10s wall %6.2fs  max rss %6.1f MiB  tree rss %6.1f MiB  rc %s%s" % (
                        repetition + 1, kind, phase, entry["wall_s"], entry["max_rss_mib"], entry["tree_rss_mib"],
                        entry["rc"], "" if kind == "sdk" else "  changed=%s" % entry["changed"]))
        clean_up(api)
        service_role = None
        if "service_role" in scenarios:
            service_role = bench_service_role(host, image, args.repetitions, ours_env, work, api, log)
        compose = None
        if "compose" in scenarios:
            compose = bench_compose(host, image, testbed, anchor, args.repetitions, ours_env, work, api, log)
        engine_role = None
        if "engine_role" in scenarios:
            engine_role = bench_engine_role(args.engine_releases.split(","), args.engine_repetitions, ours_env, work, log)
        fleet_site = None
        if "fleet_site" in scenarios:
            fleet_site = bench_fleet_site(args.fleet_release, args.fleet_repetitions, ours_env, work, log)
        fleet_rollout = None
        if "fleet_rollout" in scenarios:
            fleet_rollout = bench_fleet_rollout(args.repetitions, ours_env, work, log)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    summary = {}
    for kind, phases in runs.items():
        summary[kind] = {}
        for phase, entries in phases.items():
            ok = [e for e in entries if e["rc"] == 0]
            summary[kind][phase] = dict(
                median_wall_s=round(statistics.median(e["wall_s"] for e in ok), 2) if ok else None,
                median_max_rss_mib=round(statistics.median(e["max_rss_mib"] for e in ok), 1) if ok else None,
                median_tree_rss_mib=round(statistics.median(e["tree_rss_mib"] for e in ok), 1) if ok else None,
                failed_runs=len(entries) - len(ok),
            )
            if kind == "sdk" and ok:
                summary[kind][phase]["median_engine_s"] = round(statistics.median(e["engine_s"] for e in ok), 2)

    engine = api.version()
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    report = dict(
        timestamp=stamp, count=args.count, repetitions=args.repetitions,
        machine=dict(cpus=os.cpu_count(), python=platform.python_version(), kernel=platform.release()),
        engine=dict(version=engine.get("Version"), api=engine.get("ApiVersion"), host=host),
        ours=dict(ansible_core=version_of(os.path.join(VENV_BIN, "python"), "ansible.release"),
                  docker_sdk=version_of(os.path.join(VENV_BIN, "python"), "docker")),
        anchor=anchor if anchor is not None else dict(error=anchor_error or "not measured"),
        summary=summary, runs=runs, service_role=service_role, engine_role=engine_role, compose=compose,
        fleet_site=fleet_site, fleet_rollout=fleet_rollout,
    )
    path = os.path.join(RESULTS, "%s.json" % stamp)
    with open(path, "w") as handle:
        json.dump(report, handle, indent=2)
    with open(os.path.join(RESULTS, "latest.md"), "w") as handle:
        handle.write(markdown(report))
    log("\n" + markdown(report))
    log("results: %s" % path)
    failed = sum(s["failed_runs"] for phases in summary.values() for s in phases.values())
    for role in (engine_role, service_role):
        failed += sum(1 for r in (role or {}).values() for phase in ("first", "again") for e in r[phase]
                      if e["rc"] != 0 or (phase == "again" and e["changed"] != 0))
    failed += compose_failed(compose)
    failed += sum(1 for r in ((fleet_site or {}).get("sizes") or {}).values() for phase in ("first", "again")
                  for e in r[phase] if "error" in e or (phase == "again" and e["changed"] != 0))
    if fleet_rollout is not None:
        failed += int(bool(fleet_rollout.get("error"))) + sum(
            1 for r in fleet_rollout.get("rollouts", []) if r["rc"] != 0 or not r["others_answered"])
    return 1 if failed else 0


LABELS = dict(sdk="engine only: docker SDK, sequential", containers="kapal.docker.containers, one task",
              container="kapal.docker.container, loop of %d", anchor="community.docker.docker_container, loop of %d")


def markdown(report):
    lines = ["# kapal.docker bench, %s" % report["timestamp"], ""]
    if report["summary"]:
        lines += containers_markdown(report)
    if report.get("service_role"):
        lines += service_role_markdown(report["service_role"])
    if report.get("engine_role"):
        lines += engine_role_markdown(report["engine_role"])
    if report.get("compose"):
        lines += compose_markdown(report["compose"], report["anchor"])
    if report.get("fleet_site"):
        lines += fleet_site_markdown(report["fleet_site"])
    if report.get("fleet_rollout"):
        lines += fleet_rollout_markdown(report["fleet_rollout"])
    return "\n".join(lines) + "\n"


def service_role_markdown(service_role):
    def median(entries):
        ok = [e["wall_s"] for e in entries if e["rc"] == 0]
        return round(statistics.median(ok), 2) if ok else None

    lines = ["## The service role: first run and re-run by number of services", "",
             "| services | first run (s) | re-run (s) | re-run changed |", "|---|---|---|---|"]
    medians = {}
    for count, phases in sorted(service_role.items(), key=lambda item: int(item[0])):
        medians[int(count)] = median(phases["again"])
        again = ",".join(str(e["changed"]) for e in phases["again"])
        lines.append("| %s | %s | %s | %s |" % (count, median(phases["first"]), medians[int(count)], again))
    low, high = min(medians), max(medians)
    if medians[low] is not None and medians[high] is not None:
        extra = round(medians[high] - medians[low], 2)
        lines += ["", "Re-run with %d services costs %s s more than with %d (goal: at most 3 s): %s." % (
            high, extra, low, "met" if extra <= 3 else "NOT met")]
    return lines + [""]


def containers_markdown(report):
    count = report["count"]
    lines = [
        "%d busybox containers (`sleep 3600`, network_mode none); median of %d runs; Docker Engine %s (API %s); %s CPUs."
        % (count, report["repetitions"], report["engine"]["version"], report["engine"]["api"], report["machine"]["cpus"]),
        "",
        "| scenario | create %d: wall | idempotent re-run: wall | peak RSS, largest process | peak RSS, whole tree |" % count,
        "|---|---:|---:|---:|---:|",
    ]
    for kind in ("sdk", "containers", "container", "anchor"):
        if kind not in report["summary"]:
            continue
        create, again = report["summary"][kind]["create"], report["summary"][kind]["idempotent"]

        def seconds(phase):
            text = "%.2f s" % phase["median_wall_s"] if phase["median_wall_s"] is not None else "failed"
            if phase.get("median_engine_s") is not None:
                text += " (%.2f s in the engine)" % phase["median_engine_s"]
            return text

        rss = "%s / %s MiB" % (create["median_max_rss_mib"], again["median_max_rss_mib"])
        tree = "%s / %s MiB" % (create["median_tree_rss_mib"], again["median_tree_rss_mib"])
        label = LABELS[kind] % count if "%d" in LABELS[kind] else LABELS[kind]
        lines.append("| %s | %s | %s | %s | %s |" % (label, seconds(create), seconds(again), rss, tree))
    lines.append("")
    anchor = report["anchor"]
    if "error" in anchor:
        lines.append("community.docker: not measured (%s)." % anchor["error"])
    else:
        lines.append("community.docker %s (from %s), ansible-core %s, docker SDK %s; kapal.docker on ansible-core %s, docker SDK %s."
                     % (anchor["community_docker"], anchor["ansible_package"], anchor["requirements"][0].split("==")[1],
                        anchor["requirements"][1].split("==")[1], report["ours"]["ansible_core"], report["ours"]["docker_sdk"]))
    lines.append("RSS columns: create / idempotent re-run. \"sdk\" wall time includes the Python start-up and SDK import;"
                 " the time in parentheses is the engine calls alone (the idempotent row: one list + %d inspects)." % count)
    lines.append("")
    return lines


def engine_role_markdown(engine_role):
    repetitions = len(next(iter(engine_role.values()))["first"])
    lines = ["The role kapal.docker.engine with its defaults on a fresh host of each release (tests/testbed/hosts.py),"
             " over SSH, %d CPUs; median of %d:" % (os.cpu_count(), repetitions), "",
             "| release | engine | first run, from nothing | re-run | changed (first / re-run) |",
             "|---|---|---:|---:|---|"]
    for release, result in engine_role.items():
        def wall(phase, result=result):
            ok = [e["wall_s"] for e in result[phase] if e["rc"] == 0]
            return "%.1f s" % statistics.median(ok) if ok else "failed"
        engine = result["engine"] or {}
        lines.append("| Debian %s | %s (API %s) | %s | %s | %s / %s |" % (
            release, engine.get("version", "?"), engine.get("api", "?"), wall("first"), wall("again"),
            ",".join(str(e["changed"]) for e in result["first"]), ",".join(str(e["changed"]) for e in result["again"])))
    lines.append("")
    return lines


FLEET_GOAL = 1.5


def fleet_site_markdown(fleet_site):
    def median(entries):
        ok = [e["wall_s"] for e in entries if "error" not in e]
        return round(statistics.median(ok), 1) if ok else None

    sizes = dict((int(size), phases) for size, phases in fleet_site["sizes"].items())
    repetitions = len(next(iter(sizes.values()))["first"])
    lines = ["## kapal.docker.site on a fleet: 1 host against 3", "",
             "Fresh Debian %s hosts (tests/testbed/hosts.py) over SSH, the registry on the first, the images made once;"
             " %d CPUs; median of %d:" % (fleet_site["release"], os.cpu_count(), repetitions), "",
             "| hosts | cold run, from nothing (s) | re-run (s) | changed (cold / re-run) |", "|---|---:|---:|---|"]
    medians = {}
    for size, phases in sorted(sizes.items()):
        medians[size] = dict((phase, median(phases[phase])) for phase in ("first", "again"))
        lines.append("| %d | %s | %s | %s / %s |" % (
            size, medians[size]["first"], medians[size]["again"], ",".join(str(e["changed"]) for e in phases["first"]),
            ",".join(str(e["changed"]) for e in phases["again"])))
    low, high = min(medians), max(medians)
    lines.append("")
    for phase, label in (("first", "cold run"), ("again", "re-run")):
        if medians[low][phase] and medians[high][phase]:
            ratio = round(medians[high][phase] / medians[low][phase], 2)
            lines.append("%s: %d hosts take %sx the time of %d (goal: at most %sx): %s." % (
                label.capitalize(), high, ratio, low, FLEET_GOAL, "met" if ratio <= FLEET_GOAL else "NOT met"))
    return lines + [""]


if __name__ == "__main__":
    sys.exit(main())
