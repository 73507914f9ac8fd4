"""Registries as the engine sees them: a plain-HTTP registry on a non-loopback address that the engine
trusts (an insecure CIDR of its own configuration) works for push, pull and search exactly as
`docker pull` does on that host; a TLS registry that demands a client certificate works with the CA
and client certificate in /etc/docker/certs.d/<host:port>/, as the engine finds them; and when the
module's host cannot reach the registry, the engine is asked instead.

The engine and the registry are this file's throw-away daemons (tests/integration/own_engine.py):
a dockerd started with ``--insecure-registry <its bridge's subnet>``, as a user's daemon.json
``insecure-registries`` would have it, and a docker-registry speaking plain HTTP on the host's
address on that bridge (172.31.<n>.1, claimed), never on 127.0.0.0/8.
"""

import ipaddress
import os
import shutil
import subprocess
import tempfile
import uuid

import docker.errors
import pytest
import requests

from tests.integration.conftest import claim_port, quietly, run_module
from tests.integration.own_engine import OwnEngine, OwnRegistry, claim_subnet_octet, make_certificates

pytestmark = pytest.mark.slow  # a dockerd of its own: handed to a worker first (conftest)

PREFIX = "kapal-it-trust-"


@pytest.fixture(scope="module")
def trusted(docker_api, testbed):
    """(engine, registry address, repository): an engine trusting the registry over plain HTTP, which holds nothing yet."""
    engine = OwnEngine(extra_args=["--insecure-registry", "{subnet}"])
    registry = None
    try:
        engine.start()
        client = engine.api()
        client.load_image(b"".join(docker_api.get_image(testbed["busybox_image"])))
        client.close()
        registry = OwnRegistry("%s:%d" % (engine.bridge_ip, claim_port()), prefix=PREFIX + "registry-")
        registry.start()
        yield engine, registry.address, "%s%s/busybox" % (PREFIX, uuid.uuid4().hex[:8])
    finally:
        if registry is not None:
            registry.destroy()
        engine.destroy()


def _on(engine, **args):
    return dict(args, docker_host=engine.host)


def _idempotent(module, args):
    """check mode -> real run -> check mode -> real run: changed, changed, unchanged, unchanged."""
    results = []
    for check_mode, changed in ((True, True), (False, True), (True, False), (False, False)):
        result = run_module(module, args, check_mode=check_mode, diff=True)
        assert result.rc == 0 and result["changed"] is changed, (check_mode, result)
        assert "registry_unreachable" not in result, result
        results.append(result)
    return results


def test_push_pull_and_search_over_plain_http(trusted, testbed):
    engine, registry, repository = trusted
    host = registry.split(":")[0]
    assert not ipaddress.ip_address(host).is_loopback
    facts = run_module("engine_info", _on(engine))
    assert facts.rc == 0 and engine.subnet in facts["engine"]["insecure_registries"], facts

    reference = "%s/%s:1" % (registry, repository)
    pushed = _idempotent("image_push", _on(engine, name=testbed["busybox_image"], repository=reference))
    assert pushed[1]["digest"].startswith("sha256:") and pushed[3]["digest"] == pushed[1]["digest"]

    api = engine.api()
    try:
        api.remove_image(reference)  # the tag only: the image stays, as busybox
        pulled = _idempotent("image_pull", _on(engine, name=reference, pull="always"))
        assert pulled[0]["diff"]["after"]["repo_digests"] == ["%s/%s@%s" % (registry, repository, pushed[1]["digest"])]
        assert api.inspect_image(reference)["Id"] == pulled[1]["image"]["id"]
    finally:
        api.close()

    found = run_module("image_search", _on(engine, registry=registry, term=repository, list_tags=True))
    assert found.rc == 0, found
    assert [(r["name"], r["tags"]) for r in found["results"]] == [("%s/%s" % (registry, repository), ["1"])]


def test_a_registry_the_module_cannot_reach_is_asked_through_the_engine(trusted, testbed):
    """The module's host reaches registries only through a proxy that is down; the engine reaches it directly."""
    engine, registry, repository = trusted
    dead_proxy = "http://127.0.0.1:%d" % claim_port()
    cut_off = dict(HTTP_PROXY=dead_proxy, HTTPS_PROXY=dead_proxy, http_proxy=dead_proxy, https_proxy=dead_proxy,
                   NO_PROXY="", no_proxy="")
    reference = "%s/%s:2" % (registry, repository)
    pushed = run_module("image_push", _on(engine, name=testbed["busybox_image"], repository=reference))
    assert pushed.rc == 0 and pushed["changed"] is True, pushed

    api = engine.api()
    try:
        for check_mode in (True, False):
            same = run_module("image_pull", _on(engine, name=reference, pull="always"), check_mode=check_mode,
                              env=cut_off)
            assert same.rc == 0 and same["changed"] is False, same
            assert same["digest"] == pushed["digest"]
            note = same["registry_unreachable"]
            assert note.startswith("cannot reach registry %s: " % registry) and "from the module's host" in note, note
            assert note.endswith("Docker Engine at %s asked it instead" % engine.host), note
        again = run_module("image_push", _on(engine, name=testbed["busybox_image"], repository=reference),
                           check_mode=True, env=cut_off)
        assert again.rc == 0 and again["changed"] is False and "registry_unreachable" in again, again

        api.remove_image(reference)
        check = run_module("image_pull", _on(engine, name=reference), check_mode=True, env=cut_off)
        assert check.rc == 0 and check["changed"] is True and "registry_unreachable" in check, check
        with pytest.raises(docker.errors.ImageNotFound):
            api.inspect_image(reference)
        real = run_module("image_pull", _on(engine, name=reference), env=cut_off)
        assert real.rc == 0 and real["changed"] is True, real
        assert api.inspect_image(reference)["Id"] == real["image"]["id"]

        missing = run_module("image_pull", _on(engine, name="%s/%s:9" % (registry, repository)), env=cut_off)
        assert missing.failed and missing["msg"] == "image %s/%s:9 not found in registry %s" % (
            registry, repository, registry), missing
    finally:
        quietly(api.remove_image, reference)
        api.close()


CERTS_D = "/etc/docker/certs.d"


@pytest.fixture(scope="module")
def verified(trusted):
    """(engine, registry address, certificates): a TLS registry demanding a client certificate, on an address of
    the engine's bridge outside its insecure CIDR, with its CA and the client certificate in certs.d."""
    engine = trusted[0]
    ip = "172.31.%d.1" % claim_subnet_octet()
    address = "%s:%d" % (ip, claim_port())
    work = tempfile.mkdtemp(prefix=PREFIX + "tls-")
    folder = os.path.join(CERTS_D, address)
    registry = None
    subprocess.run(["ip", "addr", "add", ip + "/32", "dev", engine.bridge], check=True)
    try:
        certs = make_certificates(work, ip)
        os.makedirs(folder)
        for source, name in (("ca", "ca.crt"), ("client_cert", "client.cert"), ("client_key", "client.key")):
            shutil.copy(certs[source], os.path.join(folder, name))
        registry = OwnRegistry(address, prefix=PREFIX + "tls-registry-",
                               tls=dict(cert=certs["cert"], key=certs["key"], client_ca=certs["ca"]),
                               probe=dict(verify=certs["ca"], cert=(certs["client_cert"], certs["client_key"])))
        registry.start()
        yield engine, address, certs
    finally:
        if registry is not None:
            registry.destroy()
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
        subprocess.run(["ip", "addr", "del", ip + "/32", "dev", engine.bridge], capture_output=True, check=False)


def test_a_registry_verified_with_the_certs_d_ca_and_client_certificate(verified, testbed):
    engine, registry, certs = verified
    facts = run_module("engine_info", _on(engine))
    assert facts.rc == 0 and registry not in facts["engine"]["insecure_registries"], facts
    # The registry refuses a client without the certificate: the modules present the one in certs.d.
    with pytest.raises(requests.exceptions.RequestException):
        requests.get("https://%s/v2/" % registry, verify=certs["ca"], timeout=10)

    repository = "%s%s/busybox" % (PREFIX, uuid.uuid4().hex[:8])
    reference = "%s/%s:1" % (registry, repository)
    pushed = _idempotent("image_push", _on(engine, name=testbed["busybox_image"], repository=reference))
    api = engine.api()
    try:
        api.remove_image(reference)
        pulled = _idempotent("image_pull", _on(engine, name=reference, pull="always"))
        assert pulled[1]["digest"] == pushed[1]["digest"]
        assert api.inspect_image(reference)["Id"] == pulled[1]["image"]["id"]
    finally:
        quietly(api.remove_image, reference)
        api.close()
    found = run_module("image_search", _on(engine, registry=registry, term=repository, list_tags=True))
    assert found.rc == 0 and [r["tags"] for r in found["results"]] == [["1"]], found
