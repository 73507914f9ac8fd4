"""The engine options against the test bed's second engine: TCP with --tlsverify on 127.0.0.1:2376."""

import pytest

from tests.integration.conftest import run_module


@pytest.fixture(scope="module")
def tls(testbed):
    return testbed["tls_engine"]


def _args(tls, **overrides):
    args = {"docker_host": tls["docker_host"], "validate_certs": True, "ca_path": tls["ca_path"],
            "client_cert": tls["client_cert"], "client_key": tls["client_key"]}
    args.update(overrides)
    return {k: v for k, v in args.items() if v is not None}


def test_verified_tls_with_client_certificate(tls):
    result = run_module("engine_info", _args(tls))
    assert result.rc == 0, result
    assert result["engine"]["host"] == tls["docker_host"]
    assert result["engine"]["api_version"]


def test_environment_variables_configure_tls(tls, tmp_path):
    for src, name in ((tls["ca_path"], "ca.pem"), (tls["client_cert"], "cert.pem"), (tls["client_key"], "key.pem")):
        (tmp_path / name).write_bytes(open(src, "rb").read())
    env = {"DOCKER_HOST": tls["docker_host"], "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": str(tmp_path)}
    result = run_module("engine_info", {}, env=env)
    assert result.rc == 0, result
    assert result["engine"]["host"] == tls["docker_host"]


def test_tls_without_verification_still_needs_a_client_certificate(tls):
    result = run_module("engine_info", _args(tls, validate_certs=False, ca_path=None) | {"tls": True})
    assert result.rc == 0, result


def test_wrong_ca_fails_the_handshake(tls):
    result = run_module("engine_info", _args(tls, ca_path=tls["other_ca_path"]))
    assert result.failed
    assert result["msg"] == ("cannot reach Docker Engine at tcp://127.0.0.1:2376: TLS handshake failed: "
                             "unable to get local issuer certificate (check ca_path)")


def test_client_certificate_from_another_ca_is_refused(tls):
    result = run_module("engine_info", _args(tls, client_cert=tls["other_client_cert"], client_key=tls["other_client_key"]))
    assert result.failed
    assert result["msg"].startswith("cannot reach Docker Engine at tcp://127.0.0.1:2376: TLS handshake failed: "
                                    "the engine refused the client certificate")
    assert result["msg"].endswith("check client_cert and client_key)")


def test_missing_client_certificate_is_refused(tls):
    result = run_module("engine_info", _args(tls, client_cert=None, client_key=None))
    assert result.failed
    assert result["msg"].startswith("cannot reach Docker Engine at tcp://127.0.0.1:2376: TLS handshake failed: "
                                    "the engine refused the client certificate")


def test_plain_tcp_against_a_tls_engine(tls):
    result = run_module("engine_info", {"docker_host": tls["docker_host"]})
    assert result.failed
    assert result["msg"] == ("cannot reach Docker Engine at tcp://127.0.0.1:2376: it refused plain HTTP (HTTP 400), "
                             "it probably expects TLS: set tls or validate_certs")


def test_client_key_contents_never_appear(tls):
    key = open(tls["client_key"]).read()
    result = run_module("engine_info", _args(tls, ca_path=tls["other_ca_path"]))
    body = repr(dict(result)) + result.stderr
    assert "PRIVATE KEY" not in body and key.splitlines()[1] not in body
