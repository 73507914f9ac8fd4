# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engines of the test bed: every engine kapal.docker is tested against (issue #13).

  docker-20.10   this machine's engine (the test bed's, tests/testbed/up.sh)
  podman-4.3     Podman of this machine, its Docker-compatible API on unix:///run/kapal-podman.sock
  docker-26.1    Docker Engine on a fresh Debian 13 host, installed by the role kapal.docker.engine,
  docker-28.5    ... and on a fresh Debian 14 host; both reached over TLS (tcp://HOST:2376) with the
                 client certificate the role made
  podman-5.4     Podman's API service on a fresh Debian 13 host, and on a fresh Debian 14 host:
  podman-5.8     plain TCP (tcp://HOST:8888) on the host's address on the test bed's network, which only
                 this machine and the fresh hosts reach

The modules run on this machine (the controller) against each engine's address. The fresh hosts are the
group ``engines`` of tests/testbed/hosts.py (two Debian 13 and two Debian 14 hosts); the play
tests/testbed/engines.yml installs their engines. They stay up between test sessions (``down`` removes
them), like the rest of the test bed; a session reuses them when every engine answers.

Images: every engine holds the test bed's kapal-test/busybox:latest and kapal-test/python:bookworm,
pulled from a registry of the test bed and tagged under those names, and the registry holds two more
for pull tests (kapal-test/pull:one and :two, busybox with a label: images of their own). The engines of
this machine pull from the plain registry on 127.0.0.1:5000 (Podman is told it is plain HTTP in
registries.conf); those of the fresh hosts from a read-only view of the same storage served over TLS on
the hosts' network gateway (10.213.0.1:5001), with a certificate of the test bed's CA, which they trust
as a user's engine trusts a private registry (certs.d). No public registry is involved.

Facts: $STATE/engines.json, a list of {name, kind (docker|podman), docker_host, tls, ca_path, client_cert,
client_key, version, api_version, registry (the registry that engine pulls from), registry_ca_path (its CA,
None for plain HTTP), local, address}.

Command line (root; the test bed must be up; the Python that has the Docker SDK and Ansible, e.g. .venv's):
  python tests/testbed/engines.py up [--only NAME ...]   start (or reuse) the engines; prints their facts
  python tests/testbed/engines.py down                   remove the fresh hosts and stop the local Podman service
  python tests/testbed/engines.py list                   the engines and whether they answer

From Python (tests): ``engines.up()`` returns the facts; every step takes a lock, so the xdist workers of a
session can ask at once: the first brings them up, the others wait and reuse them.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

from tests.testbed import hosts  # noqa: E402  (the test bed's fresh hosts)

STATE = hosts.STATE
CACHE = hosts.CACHE
FACTS = os.path.join(STATE, "engines.json")
TLS_DIR = os.path.join(STATE, "engines", "tls")
GROUP = "engines"
OWNER = "testbed-engines"
PLAIN_REGISTRY = "127.0.0.1:5000"
HOSTS_REGISTRY_PORT = 5001
PODMAN_PORT = 8888
PODMAN_SOCKET = "/run/kapal-podman.sock"
PODMAN_PID = os.path.join(STATE, "podman", "service.pid")
PODMAN_LOG = os.path.join(STATE, "podman", "service.log")
PLAYBOOK = os.path.join(HERE, "engines.yml")
IMAGES = ("kapal-test/busybox:latest", "kapal-test/python:bookworm")
# Images only in the registry, for pull tests: each one its own image (busybox and a label).
PULL_IMAGES = ("kapal-test/pull:one", "kapal-test/pull:two")
START_TIMEOUT = 60

# Podman's containers.conf for the test bed's machines: none of them has CAP_SYS_RESOURCE, so the
# default ulimits (raised to the maximum otherwise) stay under the engine's own limits (soft = hard:
# Podman 4.3's API swaps the two of a default ulimit); containers in containers have neither systemd's
# cgroup manager nor journald; the machine's cgroup v1 hierarchy has read-only controllers (hugetlb,
# net_cls, perf_event), where crun 1.28 (Debian 14) fails to start any container and runc does not.
PODMAN_CONTAINERS_CONF = """# kapal test bed (tests/testbed/engines.py)
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
"""


class Spec:
    def __init__(self, name, kind, release=None, index=None):
        self.name = name
        self.kind = kind
        self.release = release    # None: this machine
        self.index = index        # which fresh host of the release


SPECS = (
    Spec("docker-20.10", "docker"),
    Spec("docker-26.1", "docker", "13", 1),
    Spec("docker-28.5", "docker", "14", 1),
    Spec("podman-4.3", "podman"),
    Spec("podman-5.4", "podman", "13", 2),
    Spec("podman-5.8", "podman", "14", 2),
)
NAMES = tuple(spec.name for spec in SPECS)


def log(text):
    print("[engines] %s" % text, file=sys.stderr, flush=True)


class EngineError(Exception):
    """A step of the engines failed; the message says which and why."""


# -- talking to an engine -----------------------------------------------------------------------

def client(facts, timeout=60):
    """The SDK's low-level client for one engine's facts."""
    import docker
    import docker.tls

    tls = False
    if facts.get("tls"):
        tls = docker.tls.TLSConfig(client_cert=(facts["client_cert"], facts["client_key"]), ca_cert=facts["ca_path"],
                                   verify=True)
    api = docker.APIClient(base_url=facts["docker_host"], tls=tls, version="1.41", timeout=timeout)
    # requests would let REQUESTS_CA_BUNDLE override the engine's CA (as the collection's _engine.py says).
    api.trust_env = False
    api._version = api._retrieve_server_version()  # pylint: disable=protected-access
    return api


def _answers(facts):
    try:
        api = client(facts, timeout=10)
        try:
            return api.version()
        finally:
            api.close()
    except Exception:  # noqa: BLE001 (any failure means: does not answer)
        return None


def _wait(facts, what):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        version = _answers(facts)
        if version:
            return version
        time.sleep(0.5)
    raise EngineError("%s did not answer at %s within %d s" % (what, facts["docker_host"], START_TIMEOUT))


# -- this machine's engines -----------------------------------------------------------------------

def _testbed():
    path = os.path.join(STATE, "testbed.json")
    if not os.path.exists(path):
        raise EngineError("the test bed is not up (%s is missing): run tests/testbed/up.sh" % path)
    with open(path) as handle:
        return json.load(handle)


def _write_if_changed(path, text):
    try:
        with open(path) as handle:
            if handle.read() == text:
                return False
    except OSError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as handle:
        handle.write(text)
    os.rename(path + ".tmp", path)
    return True


def _registries_conf(registry):
    return '# kapal test bed (tests/testbed/engines.py)\n[[registry]]\nlocation = "%s"\ninsecure = true\n' % registry


def _stop_local_podman():
    try:
        with open(PODMAN_PID) as handle:
            pid = int(handle.read().strip())
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, signal.SIGTERM)
        for _attempt in range(40):
            os.kill(pid, 0)
            time.sleep(0.25)
    except ProcessLookupError:
        pass
    os.unlink(PODMAN_PID)


def _cwd_gone(pidfile):
    """Whether the process of ``pidfile`` runs in a directory that was removed (started from a checkout
    that is gone: Podman's conmon then fails every container start with "Failed to get working directory")."""
    try:
        with open(pidfile) as handle:
            return os.readlink("/proc/%d/cwd" % int(handle.read().strip())).endswith(" (deleted)")
    except (OSError, ValueError):
        return False


def _local_podman():
    """Podman's API service on this machine (apt's podman; tests/testbed/up.sh installs it)."""
    facts = dict(name="podman-4.3", kind="podman", docker_host="unix://" + PODMAN_SOCKET, tls=False,
                 registry=PLAIN_REGISTRY, registry_ca_path=None, local=True, address=None)
    if not os.path.exists("/usr/bin/podman"):
        raise EngineError("podman is not installed: run tests/testbed/up.sh packages")
    changed = _write_if_changed("/etc/containers/containers.conf", PODMAN_CONTAINERS_CONF)
    changed = _write_if_changed("/etc/containers/registries.conf.d/50-kapal-testbed.conf",
                                _registries_conf(PLAIN_REGISTRY)) or changed
    if changed or _cwd_gone(PODMAN_PID):
        _stop_local_podman()
    if _answers(facts):
        return facts
    log("starting podman system service on %s" % facts["docker_host"])
    os.makedirs(os.path.dirname(PODMAN_PID), exist_ok=True)
    with open(PODMAN_LOG, "a") as out:
        # From /: a service whose working directory is gone (a checkout removed) cannot start containers.
        proc = subprocess.Popen(["podman", "system", "service", "--time=0", facts["docker_host"]], stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, cwd="/")
    with open(PODMAN_PID, "w") as handle:
        handle.write("%d\n" % proc.pid)
    _wait(facts, "podman system service")
    return facts


# -- the fresh hosts' engines -----------------------------------------------------------------------

def _hosts_registry(gateway):
    """A read-only view of the plain registry's storage on the hosts' network gateway, over TLS."""
    address = "%s:%d" % (gateway, HOSTS_REGISTRY_PORT)
    base = os.path.join(STATE, "registry-hosts")
    tls = os.path.join(STATE, "tls")
    cert, key = os.path.join(base, "server.crt"), os.path.join(base, "server.key")
    if not os.path.exists(cert):
        os.makedirs(base, exist_ok=True)
        with open(os.path.join(base, "server.ext"), "w") as handle:
            handle.write("subjectAltName=IP:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n" % gateway)
        for argv in (["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=%s" % gateway, "-keyout", key,
                      "-out", os.path.join(base, "server.csr")],
                     ["openssl", "x509", "-req", "-in", os.path.join(base, "server.csr"), "-CA", os.path.join(tls, "ca.crt"),
                      "-CAkey", os.path.join(tls, "ca.key"), "-CAcreateserial", "-days", "3650",
                      "-extfile", os.path.join(base, "server.ext"), "-out", cert]):
            subprocess.run(argv, check=True, capture_output=True)
    with open(os.path.join(STATE, "registry-plain", "config.yml")) as handle:
        plain = handle.read()
    storage = plain.split("rootdirectory:", 1)[1].split("\n", 1)[0].strip()
    config = ("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\n"
              "  maintenance:\n    readonly:\n      enabled: true\nhttp:\n  addr: %s\n  tls:\n    certificate: %s\n"
              "    key: %s\n" % (storage, address, cert, key))
    changed = _write_if_changed(os.path.join(base, "config.yml"), config)
    url = "https://%s/v2/" % address
    if not changed and _https_ok(url):
        return address
    pidfile = os.path.join(base, "pid")
    if os.path.exists(pidfile):
        with open(pidfile) as handle:
            try:
                os.kill(int(handle.read().strip()), signal.SIGTERM)
                time.sleep(1)
            except (ValueError, ProcessLookupError):
                pass
    log("starting the read-only registry view on %s" % address)
    with open(os.path.join(base, "log"), "a") as out:
        proc = subprocess.Popen(["/usr/bin/docker-registry", "serve", os.path.join(base, "config.yml")], stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, cwd="/")
    with open(pidfile, "w") as handle:
        handle.write("%d\n" % proc.pid)
    for _attempt in range(60):
        if _https_ok(url):
            return address
        time.sleep(0.5)
    raise EngineError("the registry view did not answer on %s (log: %s/log)" % (address, base))


def _https_ok(url):
    import ssl
    import urllib.request

    context = ssl.create_default_context(cafile=os.path.join(STATE, "tls", "ca.crt"))
    try:
        with urllib.request.urlopen(url, timeout=5, context=context) as response:
            return response.status == 200
    except OSError:
        return False


def _host_of(group_facts, spec):
    name = hosts.host_name(group_facts["group"], spec.release, spec.index)
    return next(h for h in group_facts["hosts"] if h["name"] == name)


def _remote_facts(group_facts, spec, registry):
    address = _host_of(group_facts, spec)["address"]
    facts = dict(name=spec.name, kind=spec.kind, registry=registry, registry_ca_path=os.path.join(STATE, "tls", "ca.crt"),
                 local=False, address=address, host=_host_of(group_facts, spec)["name"])
    if spec.kind == "docker":
        client_dir = os.path.join(TLS_DIR, "client")
        facts.update(docker_host="tcp://%s:2376" % address, tls=True, ca_path=os.path.join(client_dir, "ca.pem"),
                     client_cert=os.path.join(client_dir, "cert.pem"), client_key=os.path.join(client_dir, "key.pem"))
    else:
        facts.update(docker_host="tcp://%s:%d" % (address, PODMAN_PORT), tls=False)
    return facts


def _inventory(group_facts, registry):
    inventory = hosts.inventory(group_facts)
    children = inventory["all"]["children"]
    for spec in SPECS:
        if spec.release:
            group = "%s_engines" % spec.kind
            children.setdefault(group, dict(hosts={}))["hosts"][_host_of(group_facts, spec)["name"]] = {}
    inventory["all"]["vars"].update(engines_registry=registry, engines_registry_ca=os.path.join(STATE, "tls", "ca.crt"),
                                    engines_tls_dir=TLS_DIR, engines_podman_port=PODMAN_PORT,
                                    engines_podman_containers_conf=PODMAN_CONTAINERS_CONF)
    return inventory


def _run_play(group_facts, registry):
    bindir = os.path.dirname(sys.executable)
    playbook_cmd = os.path.join(bindir, "ansible-playbook")
    if not os.path.exists(playbook_cmd):
        raise EngineError("ansible-playbook is not next to %s: run engines.py with the venv's Python" % sys.executable)
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as handle:
        json.dump(_inventory(group_facts, registry), handle)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections"), ANSIBLE_HOST_KEY_CHECKING="false",
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    env.pop("ANSIBLE_PYTHON_INTERPRETER", None)  # the hosts' own python3 (the inventory says so)
    logfile = os.path.join(STATE, "engines", "play.log")
    os.makedirs(os.path.dirname(logfile), exist_ok=True)
    started = time.monotonic()
    log("installing the fresh hosts' engines (ansible-playbook %s, log %s)" % (os.path.relpath(PLAYBOOK, ROOT), logfile))
    try:
        with open(logfile, "w") as out:
            proc = subprocess.run([playbook_cmd, "-i", handle.name, PLAYBOOK], stdout=out, stderr=subprocess.STDOUT,
                                  env=env, timeout=1200, check=False)
    finally:
        os.unlink(handle.name)
    if proc.returncode != 0:
        with open(logfile) as out:
            tail = out.read()[-3000:]
        raise EngineError("the engines play failed (log: %s):\n%s" % (logfile, tail))
    log("the fresh hosts' engines are up in %.0f s" % (time.monotonic() - started))


# -- images ------------------------------------------------------------------------------------------

def _ensure_in_registry(testbed):
    """The test bed's images in its plain registry (up.sh pushes busybox), and the pull tests' images."""
    import docker

    api = docker.APIClient(base_url=testbed["docker_host"], version="auto")
    try:
        for image in IMAGES + PULL_IMAGES:
            try:
                api.inspect_distribution("%s/%s" % (PLAIN_REGISTRY, image))
                continue
            except docker.errors.APIError:
                pass
            log("pushing %s to %s" % (image, PLAIN_REGISTRY))
            repository, tag = image.rsplit(":", 1)
            if image in PULL_IMAGES:
                dockerfile = "FROM %s\nLABEL org.kapal.testbed.pull=%s\n" % (IMAGES[0], tag)
                for line in api.build(fileobj=io.BytesIO(dockerfile.encode()), tag=image, rm=True, decode=True):
                    if "error" in line:
                        raise EngineError("build %s: %s" % (image, line["error"]))
            api.tag(image, "%s/%s" % (PLAIN_REGISTRY, repository), tag)
            for line in api.push("%s/%s" % (PLAIN_REGISTRY, repository), tag, stream=True, decode=True):
                if "error" in line:
                    raise EngineError("push %s: %s" % (image, line["error"]))
            if image in PULL_IMAGES:
                api.remove_image(image)
                api.remove_image("%s/%s" % (PLAIN_REGISTRY, image))
    finally:
        api.close()


def _ensure_images(facts):
    """The test bed's images in the engine, under their test bed names, pulled from its registry."""
    import docker

    api = client(facts, timeout=600)
    try:
        for image in IMAGES:
            repository, tag = image.rsplit(":", 1)
            source = "%s/%s" % (facts["registry"], repository)
            try:
                have = api.inspect_image(image)["Id"]
            except docker.errors.NotFound:
                have = None
            if have is not None:
                continue
            log("%s: pulling %s:%s" % (facts["name"], source, tag))
            for line in api.pull(source, tag, stream=True, decode=True):
                if "error" in line:
                    raise EngineError("%s: pull %s:%s: %s" % (facts["name"], source, tag, line["error"]))
            api.tag("%s:%s" % (source, tag), repository, tag)
    finally:
        api.close()


# -- all of them --------------------------------------------------------------------------------------

def _describe(facts, version):
    podman = [c for c in version.get("Components") or [] if "podman" in (c.get("Name") or "").lower()]
    return dict(facts, version=(podman[0]["Version"] if podman else version.get("Version")),
                api_version=version.get("ApiVersion"), min_api_version=version.get("MinAPIVersion"))


def read_facts():
    try:
        with open(FACTS) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def _all_answer(engines):
    return [e["name"] for e in engines] == list(NAMES) and all(_answers(e) for e in engines)


def up(only=None, refresh=False):
    """Bring up (or reuse) the engines; returns their facts (a list, in NAMES order; ``only`` keeps those).

    ``refresh`` runs every step (the play included) even when every engine answers.
    """
    with hosts.locked("engines"):
        current = read_facts()
        if refresh or current is None or _cwd_gone(PODMAN_PID) or not _all_answer(current):
            current = _up(refresh)
            hosts._write_json(FACTS, current)
    return [e for e in current if only is None or e["name"] in only]


def _up(refresh=False):
    started = time.monotonic()
    testbed = _testbed()
    _ensure_in_registry(testbed)
    local_docker = dict(name="docker-20.10", kind="docker", docker_host=testbed["docker_host"], tls=False,
                        registry=PLAIN_REGISTRY, registry_ca_path=None, local=True, address=None)
    local_podman = _local_podman()
    group_facts = hosts.up(GROUP, sorted(set(s.release for s in SPECS if s.release)), count=2, owner=OWNER)
    registry = _hosts_registry(group_facts["gateway"])
    remote = dict((s.name, _remote_facts(group_facts, s, registry)) for s in SPECS if s.release)
    if refresh or not all(_answers(facts) for facts in remote.values()):
        _run_play(group_facts, registry)
    by_name = dict(remote, **{"docker-20.10": local_docker, "podman-4.3": local_podman})
    engines = []
    for name in NAMES:
        facts = by_name[name]
        version = _wait(facts, name)
        _ensure_images(facts)
        engines.append(_describe(facts, version))
    log("engines up in %.0f s: %s" % (time.monotonic() - started, ", ".join(
        "%s (%s, API %s)" % (e["name"], e["version"], e["api_version"]) for e in engines)))
    return engines


def down():
    with hosts.locked("engines"):
        hosts.down(GROUP)
        _stop_local_podman()
        if os.path.exists(FACTS):
            os.unlink(FACTS)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("up", help="start (or reuse) the engines; prints their facts")
    start.add_argument("--only", nargs="+", choices=NAMES)
    start.add_argument("--refresh", action="store_true", help="run every step, the play included")
    sub.add_parser("down", help="remove the fresh hosts' engines and stop the local Podman service")
    sub.add_parser("list", help="the engines and whether they answer")
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            print(json.dumps(up(args.only, args.refresh), indent=2))
        elif args.command == "down":
            down()
        else:
            for facts in read_facts() or []:
                print("%-13s %-8s %-34s %s" % (facts["name"], facts["version"], facts["docker_host"],
                                               "answers" if _answers(facts) else "DOES NOT ANSWER"))
    except (EngineError, hosts.HostError) as exc:
        print("[engines] ERROR: %s" % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
