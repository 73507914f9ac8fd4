# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fresh hosts: Debian 12, 13 and 14 machines of the test bed, as containers on its engine.

A fresh host is what a user's new server is: Debian with python3, openssh-server and sudo, and no
Docker. It runs as a container of the test bed's engine without --privileged (these machines cannot
run privileged containers): every capability but SYS_RESOURCE, seccomp, AppArmor and the masked
/proc paths lifted, /sys/fs/cgroup bind-mounted read-write, tmpfs on /run, /run/lock and /tmp, and
volumes on /var/lib/docker, /var/lib/containerd and /var/lib/containers (Podman's) so an engine installed on it
can store images (overlayfs does not stack on the container's own overlay root).
Debian 12 and 13 boot systemd as PID 1; Debian 14's systemd does not boot on cgroup v1, so its hosts
run without one (PID 1 is docker-init, then sshd).

A host with Docker Engine's packages already installed (``engine=True``) is for tests that are not
about installing the engine from nothing: it runs ``kapal-test/host:debian<N>-engine``, the fresh
host's image with the packages the role kapal.docker.engine installs with its defaults on that
release (``Release.engine_packages``; apt, no recommends) and nothing else: the seed's engine never ran
(no service starts while the packages install), and there is no daemon.json, no SSH host key, no
journal, an empty machine id and no apt lists; /var/lib/docker and /var/lib/containerd are volumes of
each host, so every host's engine starts with nothing. On Debian 12 and 13 docker.service is enabled, so the engine starts at boot and the role
only converges its configuration; on Debian 14 nothing starts it until the role does. The image is
made once per machine from a seed host (group ``seed-<N>``) and rebuilt when RECIPE, the package
list or the seed's script changes (the label org.kapal.testbed.engine); the facts say ``engine_preinstalled``.

Hosts come in named groups. Each host has its own address on the network the test bed creates
(``kapal-hosts``, 10.213.0.0/24 unless KAPAL_HOSTS_SUBNET says otherwise), answers SSH for ``root``
and for ``kapal`` (passwordless sudo) with a key the test bed generates, and can also be reached
through the kapal.docker.docker connection by its container name. Starting a group writes:

  $STATE/hosts/<group>.json    facts for tests (addresses, releases, key, network)
  $STATE/hosts/<group>.yml     an Ansible inventory (SSH; set ansible_connection=kapal.docker.docker
                               to go through the engine instead)

Command line (root; the test bed must be up): python3 tests/testbed/hosts.py COMMAND

  images [--release 12 13 14] [--engine]                  build the images when missing (cached)
  up GROUP [--release R ...] [--count N] [--fresh] [--owner O] [--engine]
                                                          start N hosts of each release (reuses a running group);
                                                          --engine: with Docker Engine's packages installed
  down GROUP [--owner O] | down --all                     remove a group (or every fresh host)
  list                                                    the groups and their hosts

From Python (tests): ``hosts.up("name", ["13"], count=2)`` returns the same facts as the JSON file;
``hosts.down("name")`` removes the group; ``hosts.start_again(name)`` starts a stopped host again and
waits until it has booted. Every step takes a lock, so several processes (pytest-xdist
workers, molecule, make) can ask for the same group at once: the first starts it, the others reuse it.

The images are built once with debootstrap from the Debian mirror and cached as root filesystem
tarballs in $CACHE (KAPAL_TESTBED_CACHE, default /var/cache/kapal-testbed); they are rebuilt only
when missing or when RECIPE changes. The mirror's name (deb.debian.org) is resolved on this machine
and given to every host as an extra hosts entry: containers here do not resolve it themselves.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import ipaddress
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

STATE = os.environ.get("KAPAL_TESTBED_DIR", "/var/lib/kapal-testbed")
CACHE = os.environ.get("KAPAL_TESTBED_CACHE", "/var/cache/kapal-testbed")
HOSTS_DIR = os.path.join(STATE, "hosts")
SSH_KEY = os.path.join(HOSTS_DIR, "id_ed25519")
NETWORK = os.environ.get("KAPAL_HOSTS_NETWORK", "kapal-hosts")
SUBNET = os.environ.get("KAPAL_HOSTS_SUBNET", "10.213.0.0/24")
MIRROR_NAME = "deb.debian.org"
MIRROR = "http://%s/debian" % MIRROR_NAME
PREFIX = "kapal-host-"
LABEL = "org.kapal.testbed.host"
USER = "kapal"
# Bump when the image recipe below changes: cached tarballs and images are then rebuilt.
RECIPE = 1
BOOT_TIMEOUT = 120

COMMON_PACKAGES = ["python3", "openssh-server", "sudo", "iproute2", "procps"]
# What roles/engine installs with its defaults (engine_package_source distribution, engine_sdk auto), per
# release: engine_packages_distribution, docker-cli where docker.io no longer carries the CLI, and the
# SDK (python3-docker where it is 7 or newer, else what its pip install needs). apparmor too when the
# kernel has it enabled: these machines' kernels do not. tests/unit/testbed/test_hosts.py holds this
# against the role's defaults and vars.
ENGINE_PACKAGES = ["docker.io", "ca-certificates", "xz-utils"]
ENGINE_SDK_PIP_PACKAGES = ["python3-venv", "python3-packaging", "python3-requests", "python3-urllib3"]


class Release:
    def __init__(self, number, codename, suite, systemd, docker_cli_apart=True, sdk_package=True):
        self.number = number
        self.codename = codename
        self.suite = suite            # the debootstrap suite (Debian 14 is the mirror's `testing`)
        self.systemd = systemd        # systemd as PID 1 (it does not boot on cgroup v1 from Debian 14 on)
        self.docker_cli_apart = docker_cli_apart  # the docker CLI is the package docker-cli, not in docker.io
        self.sdk_package = sdk_package  # python3-docker is 7 or newer (the engine role's SDK comes from apt)

    @property
    def image(self):
        return "kapal-test/host:debian%s" % self.number

    @property
    def engine_image(self):
        return "kapal-test/host:debian%s-engine" % self.number

    @property
    def engine_packages(self):
        """The apt packages the role kapal.docker.engine installs on this release, by its defaults."""
        return (ENGINE_PACKAGES + (["docker-cli"] if self.docker_cli_apart else [])
                + (["python3-docker"] if self.sdk_package else ENGINE_SDK_PIP_PACKAGES))

    @property
    def engine_key(self):
        """What the engine image is made from (its label org.kapal.testbed.engine): RECIPE, the package list
        and the script that installs them."""
        made_from = "\n".join(self.engine_packages + [ENGINE_SEED_SCRIPT])
        return "r%d-%s" % (RECIPE, hashlib.sha256(made_from.encode()).hexdigest()[:12])

    @property
    def tarball(self):
        return os.path.join(CACHE, "host-%s-r%d.tar" % (self.codename, RECIPE))

    @property
    def packages(self):
        return COMMON_PACKAGES + (["systemd", "systemd-sysv"] if self.systemd else [])


RELEASES = {
    "12": Release("12", "bookworm", "bookworm", systemd=True, docker_cli_apart=False, sdk_package=False),
    "13": Release("13", "trixie", "trixie", systemd=True),
    "14": Release("14", "forky", "testing", systemd=False),
}


class HostError(Exception):
    """A step of the fresh hosts failed; the message says which and why."""


def log(text):
    print("[hosts] %s" % text, file=sys.stderr, flush=True)


def docker(*args, check=True, capture=True, timeout=600):
    proc = subprocess.run(["docker"] + list(args), capture_output=capture, text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise HostError("docker %s failed: %s" % (" ".join(args[:3]), (proc.stderr or proc.stdout or "").strip()[-800:]))
    return proc


@contextlib.contextmanager
def locked(name):
    """An exclusive lock (a file in HOSTS_DIR) held by this process until the block ends."""
    os.makedirs(HOSTS_DIR, exist_ok=True)
    with open(os.path.join(HOSTS_DIR, ".lock-%s" % name), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# -- images ------------------------------------------------------------------------------------

KEYGEN_UNIT = """[Unit]
Description=Generate this host's SSH host keys (the image carries none)
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
"""

# PID 1 of a host without systemd is docker-init (docker run --init); this is its only child.
PLAIN_INIT = """#!/bin/sh
# A fresh host without systemd: host keys of its own, then sshd in the foreground.
ssh-keygen -A >/dev/null
mkdir -p /run/sshd
exec /usr/sbin/sshd -D -e
"""


def _chroot(root, *command):
    proc = subprocess.run(["chroot", root] + list(command), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise HostError("chroot %s failed: %s" % (" ".join(command), (proc.stderr or proc.stdout).strip()[-500:]))


def _write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)
    os.chmod(path, mode)


def _make_rootfs(release, root):
    """debootstrap the release into ``root`` and turn it into a fresh host's file system."""
    log("debootstrap %s (%s) from %s (about a minute, once per recipe)" % (release.suite, release.codename, MIRROR))
    logfile = os.path.join(CACHE, "debootstrap-%s.log" % release.codename)
    with open(logfile, "w") as handle:
        proc = subprocess.run(["debootstrap", "--variant=minbase", "--include=" + ",".join(release.packages),
                               release.suite, root, MIRROR], stdout=handle, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        with open(logfile) as handle:
            tail = handle.read()[-1500:]
        raise HostError("debootstrap %s failed (log: %s):\n%s" % (release.suite, logfile, tail))
    if release.suite == "testing":
        # The mirror's testing snapshot is past its Valid-Until date; apt would refuse it.
        _write(os.path.join(root, "etc/apt/apt.conf.d/99kapal-testbed"),
               "# kapal test bed: the mirror's testing snapshot is older than its Valid-Until date.\n"
               'Acquire::Check-Valid-Until "false";\n')
    _write(os.path.join(root, "etc/apt/sources.list"), "deb %s %s main\n" % (MIRROR, release.suite))
    # The user a playbook logs in as, with sudo; root may log in with the key too.
    _chroot(root, "useradd", "--create-home", "--shell", "/bin/bash", "--uid", "1000", USER)
    _write(os.path.join(root, "etc/sudoers.d/kapal"), "%s ALL=(ALL) NOPASSWD: ALL\n" % USER, 0o440)
    for home, owner in (("root", "0:0"), ("home/%s" % USER, "1000:1000")):
        os.makedirs(os.path.join(root, home, ".ssh"), mode=0o700, exist_ok=True)
        _chroot(root, "chown", owner, "/%s/.ssh" % home)
    # Every host makes its own host keys and machine id at its first boot.
    for name in os.listdir(os.path.join(root, "etc/ssh")):
        if name.startswith("ssh_host_"):
            os.unlink(os.path.join(root, "etc/ssh", name))
    _write(os.path.join(root, "etc/machine-id"), "")
    if release.systemd:
        _write(os.path.join(root, "etc/systemd/system/kapal-ssh-keygen.service"), KEYGEN_UNIT)
        _chroot(root, "systemctl", "enable", "kapal-ssh-keygen.service", "ssh.service")
        # A container loads no kernel modules: the unit would only fail and degrade the boot.
        _chroot(root, "systemctl", "mask", "systemd-modules-load.service")
    else:
        _write(os.path.join(root, "usr/local/sbin/kapal-host-init"), PLAIN_INIT, 0o755)
    for path in ("usr/share/doc", "usr/share/man", "usr/share/info", "var/lib/apt/lists", "var/cache/apt/archives"):
        for entry in os.listdir(os.path.join(root, path)) if os.path.isdir(os.path.join(root, path)) else []:
            full = os.path.join(root, path, entry)
            if os.path.isdir(full) and not os.path.islink(full) and entry not in ("partial", "lock"):
                shutil.rmtree(full)
            elif os.path.isfile(full) and entry != "lock":
                os.unlink(full)
    for name in os.listdir(os.path.join(root, "var/cache/apt")):
        if name.endswith(".bin"):
            os.unlink(os.path.join(root, "var/cache/apt", name))


def _image_label(image, label):
    """The value of one of the image's labels; None when the image is missing."""
    proc = docker("image", "inspect", "-f", '{{ index .Config.Labels "%s" }}' % label, image, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def _image_recipe(release):
    return _image_label(release.image, "org.kapal.testbed.recipe")


def _image_changes(release):
    """The image's labels, ENV and CMD (``docker import --change``)."""
    changes = ["LABEL org.kapal.testbed.recipe=%d" % RECIPE, "LABEL org.kapal.testbed.release=%s" % release.number]
    if release.systemd:
        return changes + ["ENV container=docker", 'CMD ["/sbin/init"]']
    return changes + ['CMD ["/usr/local/sbin/kapal-host-init"]']


def build_image(release):
    """The release's image, from the cached tarball (debootstrapped when it is missing)."""
    with locked("image-%s" % release.number):
        if _image_recipe(release) == str(RECIPE):
            return release.image
        os.makedirs(CACHE, exist_ok=True)
        if not os.path.exists(release.tarball):
            root = tempfile.mkdtemp(prefix="kapal-host-%s-" % release.codename, dir=CACHE)
            try:
                started = time.monotonic()
                _make_rootfs(release, root)
                subprocess.run(["tar", "--numeric-owner", "-C", root, "-cf", release.tarball + ".tmp", "."], check=True)
                os.rename(release.tarball + ".tmp", release.tarball)
                log("%s: root filesystem made in %.0f s" % (release.tarball, time.monotonic() - started))
            finally:
                shutil.rmtree(root, ignore_errors=True)
        args = ["import"]
        for change in _image_changes(release):
            args += ["--change", change]
        docker(*(args + [release.tarball, release.image]))
        log("image %s imported" % release.image)
        return release.image


# -- the network, the key, the mirror -------------------------------------------------------------

def ensure_network():
    with locked("network"):
        proc = docker("network", "inspect", "-f", "{{ range .IPAM.Config }}{{ .Subnet }}{{ end }}", NETWORK, check=False)
        if proc.returncode == 0:
            if proc.stdout.strip() != SUBNET:
                raise HostError("network %s exists with subnet %s, not %s (KAPAL_HOSTS_SUBNET): remove it with "
                                "`hosts.py down --all`" % (NETWORK, proc.stdout.strip(), SUBNET))
            return
        gateway = str(next(ipaddress.ip_network(SUBNET).hosts()))
        docker("network", "create", "--driver", "bridge", "--subnet", SUBNET, "--gateway", gateway,
               "--label", LABEL + "=network", NETWORK)


def ensure_key():
    with locked("key"):
        if not os.path.exists(SSH_KEY):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kapal-testbed", "-f", SSH_KEY],
                           check=True)
        return SSH_KEY


def mirror_address():
    """This machine's resolution of the mirror's name, or None when it does not resolve."""
    try:
        return socket.gethostbyname(MIRROR_NAME)
    except OSError:
        return None


# -- hosts -------------------------------------------------------------------------------------

def _facts_path(group):
    return os.path.join(HOSTS_DIR, "%s.json" % group)


def _inventory_path(group):
    return os.path.join(HOSTS_DIR, "%s.yml" % group)


def _check_group_name(group):
    if not re.match(r"^[a-z0-9][a-z0-9-]{0,30}$", group):
        raise HostError("group %r: use 1-31 lower-case letters, digits and dashes" % group)


def host_name(group, release, index):
    return "%s%s-d%s-%d" % (PREFIX, group, release, index)


def _run_args(name, group, release, key, mirror, engine=False):
    args = ["run", "--detach", "--name", name, "--hostname", name, "--network", NETWORK,
            "--label", "%s=%s" % (LABEL, group), "--label", "org.kapal.testbed.release=%s" % release.number,
            "--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE",
            "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
            # Docker 26 and newer inside must write /proc/sys.
            "--security-opt", "systempaths=unconfined",
            # A server has ::1 even without IPv6 outside: engines on it publish ports on [::1].
            "--sysctl", "net.ipv6.conf.lo.disable_ipv6=0",
            "--volume", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
            "--tmpfs", "/run:rw,exec,mode=755", "--tmpfs", "/run/lock:rw,mode=1777", "--tmpfs", "/tmp:rw,exec,mode=1777",
            "--volume", "%s-docker:/var/lib/docker" % name, "--volume", "%s-containerd:/var/lib/containerd" % name,
            "--volume", "%s-containers:/var/lib/containers" % name,
            "--volume", "%s.pub:/root/.ssh/authorized_keys:ro" % key,
            "--volume", "%s.pub:/home/%s/.ssh/authorized_keys:ro" % (key, USER)]
    if mirror:
        args += ["--add-host", "%s:%s" % (MIRROR_NAME, mirror)]
    # systemd stops on SIGRTMIN+3 (docker import cannot record a stop signal in the image).
    args += ["--stop-signal", "SIGRTMIN+3"] if release.systemd else ["--init"]
    return args + [release.engine_image if engine else release.image]


def _address(name):
    proc = docker("inspect", "-f", '{{ (index .NetworkSettings.Networks "%s").IPAddress }}' % NETWORK, name)
    return proc.stdout.strip()


def _exec(name, *command, timeout=30):
    return docker("exec", name, *command, check=False, timeout=timeout)


def _wait_until_up(name, release, address):
    """Until the host has booted (systemd: running or degraded) and sshd answers on its address."""
    deadline = time.monotonic() + BOOT_TIMEOUT
    state = None
    while time.monotonic() < deadline:
        running = docker("inspect", "-f", "{{ .State.Running }}", name, check=False).stdout.strip()
        if running != "true":
            logs = docker("logs", "--tail", "20", name, check=False)
            raise HostError("host %s stopped while booting:\n%s%s" % (name, logs.stdout, logs.stderr))
        if release.systemd:
            state = _exec(name, "systemctl", "is-system-running").stdout.strip()
            booted = state in ("running", "degraded")
        else:
            booted = True
        if booted and _ssh_banner(address):
            return state
        time.sleep(0.5)
    raise HostError("host %s (%s) did not come up within %d s (systemd: %s)" % (name, address, BOOT_TIMEOUT, state))


def _ssh_banner(address):
    try:
        with socket.create_connection((address, 22), timeout=2) as conn:
            conn.settimeout(2)
            return conn.recv(64).startswith(b"SSH-")
    except OSError:
        return False


def start_again(name):
    """Start a stopped host again and wait until it has booted; returns its address (it may be a new one)."""
    docker("start", name)
    number = docker("inspect", "-f", '{{ index .Config.Labels "org.kapal.testbed.release" }}', name).stdout.strip()
    address = _address(name)
    _wait_until_up(name, RELEASES[number], address)
    return address


# -- the engine image: a fresh host with Docker Engine's packages installed ------------------------

# Run in the seed host (a host of the release's plain image) with the packages as arguments. No
# service starts while they install (policy-rc.d): the seed's engine never runs, and what is left of
# the seed's own life (host keys, machine id, package lists) goes, so that each host makes its own.
ENGINE_SEED_SCRIPT = """set -e
printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
rm -f /usr/sbin/policy-rc.d
if [ -d /run/systemd/system ]; then
    systemctl stop docker.service docker.socket containerd.service
    # The seed's journal is no host's: journald stops for the rest of the seed's life.
    systemctl stop systemd-journald.socket systemd-journald-dev-log.socket systemd-journald-audit.socket \\
        systemd-journald.service
fi
rm -rf /var/log/journal/*
rm -f /etc/ssh/ssh_host_* /etc/docker/key.json
: > /etc/machine-id
apt-get clean
rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* /usr/share/info/*
"""


def seed_group(release):
    return "seed-%s" % release.number


def _commit_changes(release):
    """``docker commit --change``: the plain image's labels, ENV and CMD, and the engine image's key.

    The seed's own label (its group) is no host's: it is emptied (every host sets its group itself).
    The commit keeps the seed's --stop-signal (SIGRTMIN+3 under systemd: commit cannot change it); hosts
    are started with the same one in any case, so they stop as plain hosts do.
    """
    return _image_changes(release) + ["LABEL org.kapal.testbed.engine=%s" % release.engine_key, "LABEL %s=" % LABEL]


def build_engine_image(release):
    """The release's image with Docker Engine's packages installed (see the module's docstring)."""
    build_image(release)
    with locked("engine-image-%s" % release.number):
        if _image_label(release.engine_image, "org.kapal.testbed.engine") == release.engine_key:
            return release.engine_image
        old = docker("image", "inspect", "-f", "{{ .Id }}", release.engine_image, check=False).stdout.strip()
        ensure_network()
        key = ensure_key()
        name = host_name(seed_group(release), release.number, 1)
        _remove_host(name)  # a seed left by a build that died
        started = time.monotonic()
        log("%s: installing %s in a seed host (once per key: %s)"
            % (release.engine_image, " ".join(release.engine_packages), release.engine_key))
        try:
            docker(*_run_args(name, seed_group(release), release, key, mirror_address()))
            _wait_until_up(name, release, _address(name))
            proc = docker("exec", name, "sh", "-c", ENGINE_SEED_SCRIPT, "seed", *release.engine_packages,
                          check=False, timeout=1200)
            if proc.returncode != 0:
                raise HostError("installing the engine's packages in %s failed:\n%s"
                                % (name, (proc.stdout + proc.stderr)[-2000:]))
            docker("stop", name, timeout=180)
            args = ["commit"]
            for change in _commit_changes(release):
                args += ["--change", change]
            docker(*(args + [name, release.engine_image]))
        finally:
            _remove_host(name)
        if old:
            docker("rmi", old, check=False)  # the image of an older key (kept while a host still runs it)
        log("image %s made in %.0f s" % (release.engine_image, time.monotonic() - started))
        return release.engine_image


def _host_facts(name, group, release, address, systemd_state, engine=False):
    return dict(name=name, group=group, address=address, release=release.number, codename=release.codename,
                systemd=release.systemd, systemd_state=systemd_state,
                image=release.engine_image if engine else release.image, engine_preinstalled=engine,
                container=name, ssh_user=USER, ssh_port=22)


def _group_facts(group, owner, hosts, engine=False):
    return dict(group=group, owner=owner, engine_preinstalled=engine, network=NETWORK, subnet=SUBNET,
                gateway=str(next(ipaddress.ip_network(SUBNET).hosts())), ssh_key=SSH_KEY, ssh_user=USER,
                docker_host="unix:///var/run/docker.sock", facts=_facts_path(group), inventory=_inventory_path(group),
                hosts=hosts)


def inventory(facts):
    """An Ansible inventory (a dict, YAML-ready) for the group: SSH as `kapal` with sudo.

    Groups: ``fresh_hosts`` (all), ``debian<N>`` per release, ``systemd_hosts`` and ``plain_hosts``.
    ``ansible_docker_container`` and ``ansible_docker_docker_host`` are set too, so the same inventory
    runs through the kapal.docker.docker connection with ``-e ansible_connection=kapal.docker.docker``.
    """
    hosts, children = {}, {}
    for host in facts["hosts"]:
        hosts[host["name"]] = dict(ansible_host=host["address"], fresh_host_release=host["release"],
                                   fresh_host_systemd=host["systemd"], ansible_docker_container=host["container"])
        for child in ("debian%s" % host["release"], "systemd_hosts" if host["systemd"] else "plain_hosts"):
            children.setdefault(child, dict(hosts={}))["hosts"][host["name"]] = {}
    return dict(all=dict(
        hosts=hosts,
        vars=dict(ansible_user=facts["ssh_user"], ansible_become=True,
                  ansible_ssh_private_key_file=facts["ssh_key"], ansible_python_interpreter="/usr/bin/python3",
                  ansible_pipelining=True,
                  ansible_ssh_common_args="-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
                  ansible_docker_docker_host=facts["docker_host"]),
        children=dict(fresh_hosts=dict(children=children)),
    ))


def _write_json(path, data):
    with open(path + ".tmp", "w") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.rename(path + ".tmp", path)


def _write_group(facts):
    _write_json(facts["facts"], facts)
    # JSON is YAML: the inventory plugin `yaml` reads it (the file ends in .yml for it).
    _write_json(facts["inventory"], inventory(facts))


def read_group(group):
    """The facts of a running group, or None."""
    try:
        with open(_facts_path(group)) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def _container_state(name):
    proc = docker("inspect", "-f", "{{ .State.Running }} {{ .Image }}", name, check=False)
    if proc.returncode != 0:
        return None, None
    running, image = proc.stdout.split()
    return running == "true", image


def _image_id(image):
    return docker("image", "inspect", "-f", "{{ .Id }}", image).stdout.strip()


def _owner_gone(owner):
    """Whether ``owner`` is a pytest session (``pytest-<pid>``) that is no longer running."""
    match = re.match(r"^pytest-(\d+)$", owner or "")
    if not match:
        return False
    try:
        os.kill(int(match.group(1)), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def up(group, releases=("13",), count=1, fresh=False, owner="cli", engine=False):
    """Start (or reuse) ``count`` hosts of each release in ``releases`` as ``group``; returns its facts.

    A group that is already up with the same hosts on the current images is reused as it is (hosts keep
    what earlier users installed on them); ``fresh`` removes it first. The owner is recorded: ``down``
    with an owner removes only a group that owner started. ``engine``: the hosts run the engine image
    (Docker Engine's packages installed, see the module's docstring).
    """
    _check_group_name(group)
    wanted = []
    for number in releases:
        if str(number) not in RELEASES:
            raise HostError("release %r: fresh hosts are Debian %s" % (number, ", ".join(sorted(RELEASES))))
        wanted += [(RELEASES[str(number)], index) for index in range(1, count + 1)]
    for release in dict((r.number, r) for r, _i in wanted).values():
        (build_engine_image if engine else build_image)(release)
    ensure_network()
    key = ensure_key()
    with locked("group-%s" % group):
        if fresh:
            _remove_group(group)
        old = read_group(group) or {}
        old_hosts = dict((h["name"], h) for h in old.get("hosts", []))
        mirror = mirror_address()
        hosts, started = [], []
        for release, index in wanted:
            name = host_name(group, release.number, index)
            running, image = _container_state(name)
            if running and image == _image_id(release.engine_image if engine else release.image) and name in old_hosts:
                hosts.append(old_hosts[name])
                continue
            if running is not None:
                _remove_host(name)
            docker(*_run_args(name, group, release, key, mirror, engine))
            started.append((name, release))
            hosts.append(None)
        for position, (release, index) in enumerate(wanted):
            if hosts[position] is None:
                name = host_name(group, release.number, index)
                address = _address(name)
                hosts[position] = _host_facts(name, group, release, address, _wait_until_up(name, release, address),
                                              engine)
        # Hosts of the group that are no longer wanted go.
        for name in set(old_hosts) - set(h["name"] for h in hosts):
            _remove_host(name)
        facts = _group_facts(group, old.get("owner", owner), hosts, engine)
        _write_group(facts)
        if started:
            log("group %s: started %s" % (group, ", ".join("%s (Debian %s)" % (n, r.number) for n, r in started)))
        return facts


def _remove_host(name):
    docker("rm", "--force", "--volumes", name, check=False)
    for suffix in ("docker", "containerd", "containers"):
        docker("volume", "rm", "--force", "%s-%s" % (name, suffix), check=False)


def _group_containers(group):
    proc = docker("ps", "--all", "--filter", "label=%s=%s" % (LABEL, group), "--format", "{{ .Names }}")
    return [line for line in proc.stdout.split() if line]


def _remove_group(group):
    names = set(_group_containers(group)) | set(h["name"] for h in (read_group(group) or {}).get("hosts", []))
    for name in sorted(names):
        _remove_host(name)
    for path in (_facts_path(group), _inventory_path(group)):
        if os.path.exists(path):
            os.unlink(path)
    return sorted(names)


def down(group, owner=None):
    """Remove the group's hosts, their volumes and files; with ``owner``, only when that owner started it."""
    _check_group_name(group)
    with locked("group-%s" % group):
        facts = read_group(group)
        if owner is not None and facts is not None and facts.get("owner") != owner:
            return []
        removed = _remove_group(group)
    if removed:
        log("group %s: removed %s" % (group, ", ".join(removed)))
    return removed


def groups():
    """Names of the groups that have a facts file or a container."""
    names = set()
    if os.path.isdir(HOSTS_DIR):
        names |= set(f[:-5] for f in os.listdir(HOSTS_DIR) if f.endswith(".json") and not f.startswith("."))
    proc = docker("ps", "--all", "--filter", "label=%s" % LABEL, "--format", '{{ .Label "%s" }}' % LABEL, check=False)
    names |= set(line for line in proc.stdout.split() if line and line != "network")
    return sorted(names)


def down_owned(owner):
    """Remove every group ``owner`` started (a pytest session's end)."""
    for group in groups():
        facts = read_group(group)
        if facts is not None and facts.get("owner") == owner:
            down(group, owner=owner)


def reap():
    """Remove the groups of pytest sessions that died before they could remove them."""
    for group in groups():
        facts = read_group(group)
        if facts is not None and _owner_gone(facts.get("owner")):
            down(group, owner=facts["owner"])


def down_all():
    for group in groups():
        down(group)
    with locked("network"):
        docker("network", "rm", NETWORK, check=False)


# -- the command line --------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    images = sub.add_parser("images", help="build the host images when missing")
    images.add_argument("--release", nargs="+", default=sorted(RELEASES))
    images.add_argument("--engine", action="store_true", help="also the images with Docker Engine's packages")
    start = sub.add_parser("up", help="start (or reuse) a group of hosts; prints its facts")
    start.add_argument("group")
    start.add_argument("--release", nargs="+", default=["13"])
    start.add_argument("--count", type=int, default=1)
    start.add_argument("--fresh", action="store_true", help="remove the group first")
    start.add_argument("--owner", default="cli")
    start.add_argument("--engine", action="store_true", help="hosts with Docker Engine's packages installed")
    stop = sub.add_parser("down", help="remove a group, or every fresh host")
    stop.add_argument("group", nargs="?")
    stop.add_argument("--owner")
    stop.add_argument("--all", action="store_true")
    sub.add_parser("list", help="the groups and their hosts")
    args = parser.parse_args(argv)
    try:
        if args.command == "images":
            for number in args.release:
                (build_engine_image if args.engine else build_image)(RELEASES[number])
        elif args.command == "up":
            print(json.dumps(up(args.group, args.release, args.count, fresh=args.fresh, owner=args.owner,
                                engine=args.engine), indent=2))
        elif args.command == "down":
            if args.all:
                down_all()
            elif args.group:
                down(args.group, owner=args.owner)
            else:
                parser.error("down: name a group, or --all")
        else:
            for group in groups():
                facts = read_group(group) or dict(hosts=[], owner="?")
                print("%s (owner %s): %s" % (group, facts["owner"], ", ".join(
                    "%s %s Debian %s" % (h["name"], h["address"], h["release"]) for h in facts["hosts"]) or "no facts"))
    except HostError as exc:
        print("[hosts] ERROR: %s" % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
