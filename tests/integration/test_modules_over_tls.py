"""Every module against a remote engine: the test bed's second engine, TCP with --tlsverify on
127.0.0.1:2376, reached with validate_certs, the CA and a client certificate.

One walk through the workflow, each step checked on the TLS engine itself (never the local one):
pull from the plain registry, build, inspect, run, exec, volume, network, push, remove.
"""

import os
import shutil
import tempfile
import uuid

import docker.errors
import pytest

from ansible_collections.kapal.docker.plugins.module_utils._engine import Engine, EngineConfig
from tests.integration.conftest import run_module


@pytest.fixture(scope="module")
def tls(testbed):
    return testbed["tls_engine"]


@pytest.fixture(scope="module")
def remote(tls):
    """The SDK's client for the TLS engine (made the collection's way), to check what the modules did there."""
    engine = Engine(EngineConfig.from_options(_engine(tls)))
    yield engine.api
    engine.close()


def _engine(tls):
    return {"docker_host": tls["docker_host"], "validate_certs": True, "ca_path": tls["ca_path"],
            "client_cert": tls["client_cert"], "client_key": tls["client_key"]}


def _run(tls, module, args, check_mode=False):
    result = run_module(module, dict(_engine(tls), **args), check_mode=check_mode)
    assert result.rc == 0, result
    return result


def test_the_workflow_on_a_tls_engine(tls, remote, testbed):
    token = uuid.uuid4().hex[:8]
    prefix = "kapal-it-tls-%s" % token
    source = "%s/kapal-test/busybox:latest" % testbed["plain_registry"]
    built = "%s/web:1" % prefix
    pushed = "%s/%s/web:1" % (testbed["plain_registry"], prefix)
    context = tempfile.mkdtemp(prefix=prefix)
    names = dict(container="%s-web" % prefix, volume="%s-data" % prefix, network="%s-net" % prefix)
    try:
        with open(os.path.join(context, "index.html"), "w") as handle:
            handle.write("<p>%s</p>\n" % token)

        pull = _run(tls, "image_pull", {"name": source})
        assert remote.inspect_image(source)["Id"] == pull["image"]["id"]

        dockerfile = "FROM %s\nCOPY index.html /var/www/index.html\nEXPOSE 80\nCMD [\"httpd\", \"-f\", \"-p\", \"80\", \"-h\", \"/var/www\"]\n" % source
        assert _run(tls, "image_build", {"path": context, "name": built, "dockerfile_content": dockerfile,
                                         "network": "none"})["changed"]
        assert not _run(tls, "image_build", {"path": context, "name": built, "dockerfile_content": dockerfile,
                                             "network": "none"})["changed"]
        info = _run(tls, "image_info", {"name": [built]})
        assert info["exists"] and info["images"][0]["exposed_ports"] == ["80/tcp"]

        assert _run(tls, "volume", {"name": names["volume"]})["changed"]
        assert _run(tls, "network", {"name": names["network"], "internal": True})["changed"]
        spec = {"name": names["container"], "image": built, "networks": [{"name": names["network"]}],
                "volumes": ["%s:/data" % names["volume"]]}
        assert _run(tls, "container", spec, check_mode=True)["changed"]
        assert _run(tls, "container", spec)["changed"]
        assert not _run(tls, "container", spec)["changed"]
        assert remote.inspect_container(names["container"])["State"]["Running"]
        listed = _run(tls, "containers", {"containers": [spec]})
        assert not listed["changed"]

        facts = _run(tls, "container_info", {"name": names["container"]})
        assert facts["exists"] and facts["containers"][0]["Config"]["Image"] == built
        page = _run(tls, "container_exec", {"container": names["container"], "argv": ["cat", "/var/www/index.html"]})
        assert token in page["stdout"]

        push = _run(tls, "image_push", {"name": built, "repository": pushed})
        assert push["changed"] and push["digest"].startswith("sha256:")
        assert not _run(tls, "image_push", {"name": built, "repository": pushed})["changed"]

        engine = _run(tls, "engine_info", {"containers": True})
        assert names["container"] in [c["name"] for c in engine["containers"]]

        assert _run(tls, "container", {"name": names["container"], "state": "absent"})["changed"]
        assert _run(tls, "image_remove", {"name": pushed})["changed"]
        assert _run(tls, "image_remove", {"name": built})["changed"]
        assert not _run(tls, "image_info", {"name": [built]})["exists"]
    finally:
        shutil.rmtree(context, ignore_errors=True)
        for call, name in ((remote.remove_container, names["container"]),):
            try:
                call(name, force=True)
            except docker.errors.APIError:
                pass
        for call, name in ((remote.remove_volume, names["volume"]), (remote.remove_network, names["network"])):
            try:
                call(name)
            except docker.errors.APIError:
                pass
        for image in (pushed, built):
            try:
                remote.remove_image(image, force=True)
            except docker.errors.APIError:
                pass
