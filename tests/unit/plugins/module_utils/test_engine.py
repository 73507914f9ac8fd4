"""EngineConfig: option values, DOCKER_* environment defaults, and validation."""

import pytest

from ansible_collections.kapal.docker.plugins.module_utils._engine import (
    DEFAULT_DOCKER_HOST,
    Engine,
    EngineConfig,
)
from ansible_collections.kapal.docker.plugins.module_utils._errors import (
    EngineConflict,
    EngineNotFound,
    EngineUnreachable,
    KapalError,
)

import docker.errors
import requests


def config(options=None, **environ):
    return EngineConfig.from_options(options or {}, environ=environ)


def test_defaults_without_options_or_environment():
    c = config()
    assert c.docker_host == DEFAULT_DOCKER_HOST
    assert (c.tls, c.validate_certs, c.api_version, c.timeout) == (False, False, "auto", 60)
    assert c.tls_config() is False


def test_environment_fills_what_options_leave_unset():
    c = config(DOCKER_HOST="tcp://10.0.0.1:2375", DOCKER_API_VERSION="1.41", DOCKER_TIMEOUT="7")
    assert (c.docker_host, c.api_version, c.timeout) == ("tcp://10.0.0.1:2375", "1.41", 7)


def test_options_win_over_environment():
    c = config({"docker_host": "unix:///run/d.sock", "timeout": 3}, DOCKER_HOST="tcp://x:1", DOCKER_TIMEOUT="9")
    assert (c.docker_host, c.timeout) == ("unix:///run/d.sock", 3)


@pytest.mark.parametrize("value, expected", [("1", True), ("yes", True), ("0", False), ("", False), ("false", False)])
def test_tls_verify_environment(value, expected):
    c = config(DOCKER_TLS_VERIFY=value)
    assert c.validate_certs is expected and c.tls is expected


def test_validate_certs_implies_tls():
    assert config({"validate_certs": True}).tls is True


def test_cert_path_directory_supplies_tls_files(tmp_path):
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tmp_path / name).write_text("x")
    c = config(DOCKER_TLS_VERIFY="1", DOCKER_CERT_PATH=str(tmp_path))
    assert c.ca_path == str(tmp_path / "ca.pem")
    assert (c.client_cert, c.client_key) == (str(tmp_path / "cert.pem"), str(tmp_path / "key.pem"))


def test_cert_path_ignored_without_tls(tmp_path):
    (tmp_path / "ca.pem").write_text("x")
    assert config(DOCKER_CERT_PATH=str(tmp_path)).ca_path is None


@pytest.mark.parametrize(
    "options, message",
    [
        ({"docker_host": "ssh://x"}, "docker_host: unsupported address 'ssh://x'"),
        ({"docker_host": "/var/run/docker.sock"}, "docker_host: unsupported address '/var/run/docker.sock'"),
        ({"api_version": "v1"}, "api_version: expected 'auto' or a version such as 1.41, got 'v1'"),
        ({"timeout": 0}, "timeout: expected a positive number of seconds, got 0"),
        ({"timeout": "soon"}, "timeout: expected a number of seconds, got 'soon'"),
        ({"tls": True, "client_key": "/etc/hostname"}, "client_key: client_cert and client_key must be given together"),
        ({"tls": True, "ca_path": "/nonexistent/ca.pem"}, "ca_path: no such file: /nonexistent/ca.pem"),
        ({"tls": True, "client_cert": "/nope/c.pem", "client_key": "/etc/hostname"}, "client_cert: no such file: /nope/c.pem"),
    ],
)
def test_bad_options_are_named(options, message):
    with pytest.raises(KapalError) as err:
        config(options)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_unreadable_file_is_named(tmp_path):
    directory = tmp_path / "dir.pem"
    directory.mkdir()
    with pytest.raises(KapalError, match="^ca_path: cannot read file: "):
        config({"ca_path": str(directory)})


class _Response:
    def __init__(self, status, reason="Bad"):
        self.status_code = status
        self.reason = reason


def _api_error(status, explanation):
    return docker.errors.APIError("500 Server Error for http+docker://localhost/v1.41/x", _Response(status), explanation)


def _engine():
    return Engine(EngineConfig(docker_host="unix:///var/run/docker.sock"))


@pytest.mark.parametrize(
    "exc, kind, message",
    [
        (_api_error(404, "No such container: web"), EngineNotFound, "inspect container web: No such container: web"),
        (_api_error(409, "Conflict. The name is in use"), EngineConflict, "inspect container web: Conflict. The name is in use"),
        (_api_error(500, "driver failed\nprogramming"), KapalError,
         "inspect container web failed on Docker Engine at unix:///var/run/docker.sock: driver failed programming (HTTP 500)"),
        (requests.exceptions.ConnectionError(ConnectionRefusedError(111, "Connection refused")), EngineUnreachable,
         "cannot reach Docker Engine at unix:///var/run/docker.sock: connection refused"),
        (PermissionError(13, "Permission denied"), EngineUnreachable,
         "cannot reach Docker Engine at unix:///var/run/docker.sock: permission denied"),
        (requests.exceptions.ReadTimeout("read timed out"), KapalError,
         "inspect container web timed out after 60s on Docker Engine at unix:///var/run/docker.sock"),
    ],
)
def test_engine_errors_become_one_line(exc, kind, message):
    with pytest.raises(kind) as err:
        with _engine().call("inspect container web"):
            raise exc
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_sdk_error_wrapping_a_transport_error_is_unreachable():
    def fetch():
        try:
            raise requests.exceptions.ConnectionError(FileNotFoundError(2, "No such file or directory"))
        except requests.exceptions.ConnectionError as inner:
            raise docker.errors.DockerException("Error while fetching server API version: boom") from inner

    with pytest.raises(EngineUnreachable) as err:
        with _engine().call("connect"):
            fetch()
    assert str(err.value) == "cannot reach Docker Engine at unix:///var/run/docker.sock: no such socket or file"


def test_other_sdk_errors_name_action_and_engine():
    with pytest.raises(KapalError) as err:
        with _engine().call("pull image x"):
            raise docker.errors.DockerException("something odd")
    assert str(err.value) == "pull image x on Docker Engine at unix:///var/run/docker.sock: something odd"


def test_engine_info_is_asked_once_per_engine():
    class Api:
        asked = 0

        def info(self):
            Api.asked += 1
            return {"RegistryConfig": {"InsecureRegistryCIDRs": ["127.0.0.0/8"]}}

    engine = _engine()
    engine._api = Api()
    assert engine.info() is engine.info()
    assert Api.asked == 1
