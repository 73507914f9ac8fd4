"""Throw-away daemons for the tests that cannot share the test bed's: a dockerd of their own (to stop
it, or to configure it as a user would: insecure registries) and a docker-registry of their own.

Not a test file: test_faults.py and test_registry_trust.py import from here (tests/README.md, rule 7).
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import requests

from tests.integration.conftest import claim


def wait_for(probe, what, seconds=60):
    for _attempt in range(seconds * 4):
        if probe():
            return
        time.sleep(0.25)
    raise AssertionError("%s did not happen within %ds" % (what, seconds))


def _subnet_is_free(octet):
    addresses = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, check=True).stdout
    return " 172.31.%d." % octet not in addresses


def claim_subnet_octet():
    """An octet n whose 172.31.n.0/24 is on no interface of this machine, claimed (conftest.claim) for this process."""
    return claim("rel-engine-subnet", range(200, 255), _subnet_is_free)


class OwnEngine:
    """A throw-away dockerd: vfs storage, its own bridge, no iptables; started and stopped by pid.

    The bridge's subnet 172.31.<octet>.0/24 is claimed (conftest.claim) and names the bridge and the
    containerd namespaces, so two of these engines never share one. ``bridge_ip`` is the host's
    address on that bridge (a non-loopback address of this machine); ``extra_args`` go to dockerd
    as they are (``{subnet}`` is replaced by the bridge's subnet)."""

    def __init__(self, extra_args=()):
        octet = claim_subnet_octet()
        self.bridge, self.bridge_addr = "kapal-rel-%d" % octet, "172.31.%d.1/24" % octet
        self.bridge_ip, self.subnet = "172.31.%d.1" % octet, "172.31.%d.0/24" % octet
        self.namespace = "kapal-rel-%d" % octet
        self.extra_args = [arg.replace("{subnet}", self.subnet) for arg in extra_args]
        self.root = tempfile.mkdtemp(prefix="kapal-rel-engine-")
        self.socket = "/tmp/kapal-rel-%s.sock" % uuid.uuid4().hex[:8]
        self.host = "unix://" + self.socket
        self.pidfile = os.path.join(self.root, "pid")
        self.proc = None

    def add_bridge(self):
        if subprocess.run(["ip", "link", "show", self.bridge], capture_output=True, check=False).returncode != 0:
            subprocess.run(["ip", "link", "add", self.bridge, "type", "bridge"], check=True)
            subprocess.run(["ip", "addr", "add", self.bridge_addr, "dev", self.bridge], check=True)
            subprocess.run(["ip", "link", "set", self.bridge, "up"], check=True)

    def start(self):
        self.add_bridge()
        log = open(os.path.join(self.root, "log"), "a")  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen(
            ["/usr/sbin/dockerd", "--data-root", os.path.join(self.root, "data"),
             "--exec-root", os.path.join(self.root, "exec"), "--pidfile", self.pidfile, "--host", self.host,
             "--bridge", self.bridge, "--iptables=false", "--ip-masq=false", "--storage-driver", "vfs",
             "--containerd-namespace", self.namespace, "--containerd-plugins-namespace", self.namespace + "-p"]
            + self.extra_args,
            stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log.close()
        wait_for(self.answers, "the throw-away engine answering")

    def answers(self):
        import docker
        try:
            client = docker.APIClient(base_url=self.host, version="auto", timeout=5)
        except Exception:  # pylint: disable=broad-except
            return False
        try:
            return client.ping()
        except Exception:  # pylint: disable=broad-except
            return False
        finally:
            client.close()

    def api(self):
        import docker
        return docker.APIClient(base_url=self.host, version="auto", timeout=120)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=120)
        self.proc = None

    def destroy(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                client = self.api()
                for entry in client.containers(all=True):
                    client.remove_container(entry["Id"], force=True, v=True)
                client.close()
            except Exception:  # pylint: disable=broad-except
                pass
        self.stop()
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True, check=False)
        # vfs layers and the exec root hold mounts only while the daemon runs; it is stopped now.
        subprocess.run(["umount", "-R", os.path.join(self.root, "exec")], capture_output=True, check=False)
        shutil.rmtree(self.root, ignore_errors=True)
        if os.path.exists(self.socket):
            os.unlink(self.socket)


class OwnRegistry:
    """A throw-away docker-registry listening on ``address`` (host:port); started and stopped by pid.

    Plain HTTP, or with ``tls`` (a dict of PEM paths: ``cert``, ``key``, and ``client_ca`` to demand a
    client certificate signed by it) HTTPS; ``probe`` (requests' verify and cert) is how it is asked
    whether it answers."""

    def __init__(self, address, prefix="kapal-it-registry-", tls=None, probe=None):
        self.address = address
        self.root = tempfile.mkdtemp(prefix=prefix)
        self.tls = tls
        self.probe = probe or {}
        self.proc = None

    def start(self):
        config = os.path.join(self.root, "config.yml")
        with open(config, "w") as handle:
            handle.write("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s/data\n"
                         "http:\n  addr: %s\n" % (self.root, self.address))
            if self.tls:
                handle.write("  tls:\n    certificate: %s\n    key: %s\n" % (self.tls["cert"], self.tls["key"]))
                if self.tls.get("client_ca"):
                    handle.write("    clientcas:\n      - %s\n" % self.tls["client_ca"])
        self.proc = subprocess.Popen(["/usr/bin/docker-registry", "serve", config], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for(self.answers, "the throw-away registry answering")

    def answers(self):
        scheme = "https" if self.tls else "http"
        try:
            return requests.get("%s://%s/v2/" % (scheme, self.address), timeout=2, **self.probe).status_code == 200
        except requests.RequestException:
            return False

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self.proc = None

    def destroy(self):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def make_certificates(folder, server_ip):
    """A CA, a server certificate for ``server_ip`` and a client certificate, with openssl, in ``folder``:
    a dict of their paths (ca, ca_key, cert, key, client_cert, client_key)."""
    def path(name):
        return os.path.join(folder, name)

    def run(*args):
        subprocess.run(["openssl"] + list(args), check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("ca.key"), "-out", path("ca.crt"),
        "-days", "2", "-subj", "/CN=kapal-it throw-away CA")
    for name, subject, extension in (("server", "/CN=%s" % server_ip, "subjectAltName=IP:%s" % server_ip),
                                     ("client", "/CN=kapal-it client", "extendedKeyUsage=clientAuth")):
        with open(path(name + ".ext"), "w") as handle:
            handle.write(extension + "\n")
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", path(name + ".key"), "-out", path(name + ".csr"),
            "-subj", subject)
        run("x509", "-req", "-in", path(name + ".csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"),
            "-CAcreateserial", "-out", path(name + ".crt"), "-days", "2", "-extfile", path(name + ".ext"))
    return dict(ca=path("ca.crt"), ca_key=path("ca.key"), cert=path("server.crt"), key=path("server.key"),
                client_cert=path("client.crt"), client_key=path("client.key"))
