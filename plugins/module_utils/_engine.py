# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connecting to Docker Engine: the shared options, their environment defaults, and the client.

Used by every module and plugin of the collection. Nothing here knows about AnsibleModule:
options arrive as a plain mapping, so the connection and inventory plugins share it too.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import traceback
from dataclasses import dataclass

from ansible_collections.kapal.docker.plugins.module_utils._errors import (
    EngineConflict,
    EngineNotFound,
    EngineUnreachable,
    KapalError,
    api_reason,
    missing_file,
    one_line,
    transport_reason,
)

try:
    import docker
    import docker.errors
    import docker.tls
    import requests.exceptions
    import requests.utils

    DOCKER_IMPORT_ERROR = None
except ImportError:
    docker = None
    DOCKER_IMPORT_ERROR = traceback.format_exc()

DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"
DEFAULT_TIMEOUT = 60
MINIMUM_API_VERSION = "1.41"
_HOST_SCHEMES = ("unix://", "tcp://", "http://", "https://")
_API_VERSION = re.compile(r"^1\.\d+$")
# The first Docker release of each Engine API version newer than the minimum (the API version matrix of
# docs.docker.com/reference/api/engine), for messages and docs that name both.
API_RELEASES = {
    "1.42": "23.0", "1.43": "24.0", "1.44": "25.0", "1.45": "26.0", "1.46": "27.0", "1.47": "27.2",
    "1.48": "28.0", "1.49": "28.1", "1.50": "28.2", "1.51": "28.3",
}

# The engine connection options, as one argument spec; documented once in the doc fragment
# kapal.docker.engine. Environment defaults are applied by EngineConfig.from_options so that
# modules and plugins read them the same way.
ENGINE_OPTIONS = dict(
    docker_host=dict(type="str", aliases=["docker_url"]),
    tls=dict(type="bool"),
    validate_certs=dict(type="bool", aliases=["tls_verify"]),
    ca_path=dict(type="path", aliases=["ca_cert", "tls_ca_cert"]),
    client_cert=dict(type="path", aliases=["tls_client_cert", "cert_path"]),
    client_key=dict(type="path", aliases=["tls_client_key", "key_path"], no_log=False),
    api_version=dict(type="str", aliases=["docker_api_version"]),
    timeout=dict(type="int"),
)


def _env_bool(value):
    return value is not None and value.strip().lower() not in ("", "0", "false", "no", "off")


@dataclass(frozen=True)
class EngineConfig:
    """Where the engine is and how to talk to it; validated, with environment defaults applied."""

    docker_host: str = DEFAULT_DOCKER_HOST
    tls: bool = False
    validate_certs: bool = False
    ca_path: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    api_version: str = "auto"
    timeout: int = DEFAULT_TIMEOUT

    @classmethod
    def from_options(cls, options, environ=None):
        """Build a config from option values (None = not given), then DOCKER_* variables."""
        env = os.environ if environ is None else environ

        def pick(name, variable=None, default=None):
            value = options.get(name)
            if value is None and variable:
                value = env.get(variable) or None
            return default if value is None else value

        validate_certs = options.get("validate_certs")
        if validate_certs is None:
            validate_certs = _env_bool(env.get("DOCKER_TLS_VERIFY"))
        tls = options.get("tls")
        if tls is None:
            tls = _env_bool(env.get("DOCKER_TLS"))
        tls = bool(tls or validate_certs)

        paths = {
            "ca_path": options.get("ca_path"),
            "client_cert": options.get("client_cert"),
            "client_key": options.get("client_key"),
        }
        cert_dir = env.get("DOCKER_CERT_PATH")
        if tls and cert_dir:
            for name, filename in (("ca_path", "ca.pem"), ("client_cert", "cert.pem"), ("client_key", "key.pem")):
                candidate = os.path.join(cert_dir, filename)
                if paths[name] is None and os.path.isfile(candidate):
                    paths[name] = candidate

        timeout = pick("timeout", "DOCKER_TIMEOUT", DEFAULT_TIMEOUT)
        try:
            timeout = int(timeout)
        except (TypeError, ValueError):
            raise KapalError("timeout: expected a number of seconds, got %r" % (timeout,)) from None

        config = cls(
            docker_host=pick("docker_host", "DOCKER_HOST", DEFAULT_DOCKER_HOST),
            tls=tls,
            validate_certs=bool(validate_certs),
            api_version=pick("api_version", "DOCKER_API_VERSION", "auto"),
            timeout=timeout,
            **paths,
        )
        config.validate()
        return config

    def validate(self):
        """Refuse a config that cannot work, naming the option and the value."""
        if not self.docker_host.startswith(_HOST_SCHEMES):
            raise KapalError(
                "docker_host: unsupported address %r (expected unix:///path/to/socket or tcp://host:port)" % self.docker_host
            )
        if self.api_version != "auto" and not _API_VERSION.match(self.api_version):
            raise KapalError("api_version: expected 'auto' or a version such as 1.41, got %r" % self.api_version)
        if self.timeout <= 0:
            raise KapalError("timeout: expected a positive number of seconds, got %r" % self.timeout)
        if bool(self.client_cert) != bool(self.client_key):
            given = "client_cert" if self.client_cert else "client_key"
            raise KapalError("%s: client_cert and client_key must be given together" % given)
        for name in ("ca_path", "client_cert", "client_key"):
            path = getattr(self, name)
            if path is not None and not (os.path.isfile(path) and os.access(path, os.R_OK)):
                raise missing_file(name, path)

    def tls_config(self):
        """The SDK's TLS settings, or False for a plain connection."""
        if not self.tls:
            return False
        client_cert = (self.client_cert, self.client_key) if self.client_cert else None
        return docker.tls.TLSConfig(client_cert=client_cert, ca_cert=self.ca_path, verify=self.validate_certs)


class Engine:
    """A connection to one Docker Engine. ``api`` is the SDK's low-level client.

    Every call that reaches the engine goes through ``call()``, the one place where SDK and
    transport errors become messages that name the engine address and what was asked.
    """

    def __init__(self, config):
        self.config = config
        self._api = None
        self._info = None
        self._version = None
        self._info_lock = threading.Lock()

    @property
    def host(self):
        return self.config.docker_host

    @property
    def api(self):
        if self._api is None:
            with self.call("connect"):
                self._api = _client(self.config)
        return self._api

    @contextlib.contextmanager
    def call(self, action):
        """Run engine calls for ``action`` (a short phrase such as "inspect container web")."""
        try:
            yield
        except KapalError:
            raise
        except docker.errors.APIError as exc:
            status = exc.status_code
            reason = api_reason(exc)
            if status == 404:
                raise EngineNotFound("%s: %s" % (action, reason)) from None
            if status == 409:
                raise EngineConflict("%s: %s" % (action, reason)) from None
            raise KapalError(
                "%s failed on Docker Engine at %s: %s (HTTP %s)" % (action, self.host, reason, status)
            ) from None
        except (requests.exceptions.Timeout, TimeoutError):
            raise KapalError(
                "%s timed out after %ss on Docker Engine at %s (raise the timeout option if the engine is slow)"
                % (action, self.config.timeout, self.host)
            ) from None
        except (requests.exceptions.ConnectionError, OSError) as exc:
            raise EngineUnreachable("cannot reach Docker Engine at %s: %s" % (self.host, transport_reason(exc))) from None
        except docker.errors.DockerException as exc:
            if not self.config.tls and _http_status(exc) == 400:
                raise EngineUnreachable(
                    "cannot reach Docker Engine at %s: it refused plain HTTP (HTTP 400), it probably expects TLS: set tls or validate_certs"
                    % self.host
                ) from None
            if _wraps_transport_error(exc):
                raise EngineUnreachable("cannot reach Docker Engine at %s: %s" % (self.host, transport_reason(exc))) from None
            raise KapalError("%s on Docker Engine at %s: %s" % (action, self.host, one_line(exc))) from None

    def info(self):
        """The engine's ``docker info`` answer, asked once per Engine (that is, once per task)."""
        with self._info_lock:
            if self._info is None:
                with self.call("read engine info"):
                    self._info = self.api.info()
            return self._info

    def version(self):
        """The engine's ``docker version`` answer, asked once per Engine."""
        with self._info_lock:
            if self._version is None:
                with self.call("read engine version"):
                    self._version = self.api.version()
            return self._version

    def require_api(self, what, api, podman=True):
        """Refuse ``what`` (an option, as the task names it) unless the calls of this task reach the
        engine at Engine API ``api`` or later (the engine's own version, or ``api_version`` when given)
        and, with ``podman`` false, the engine is not Podman, whose compatible API does not implement
        it. The one-line message names the option, the engine and its version."""
        used = self.api.api_version
        new_enough = api_at_least(used, api)
        if new_enough and podman:
            return
        version = self.version()
        is_podman = any("podman" in (c.get("Name") or "").lower() for c in version.get("Components") or [])
        if new_enough and not is_podman:
            return
        engine_api = version.get("ApiVersion") or used
        pinned = "" if engine_api == used else ", used at API %s as api_version says" % used
        engine = "the engine at %s is %s %s (API %s%s)" % (
            self.host, "Podman" if is_podman else "Docker", version.get("Version"), engine_api, pinned)
        if not new_enough:
            raise KapalError("%s needs Docker API %s or later (Docker %s); %s" % (what, api, API_RELEASES.get(api, "?"), engine))
        raise KapalError("%s is not implemented by Podman's Docker-compatible API (it takes it and drops it); %s" % (what, engine))

    # The kinds of object ``inspect`` knows, with the SDK call that inspects one.
    _INSPECT = dict(container="inspect_container", image="inspect_image", network="inspect_network",
                    volume="inspect_volume")

    def inspect(self, kind, name):
        """The engine's inspect answer for a container, image, network or volume; None when there is none."""
        try:
            with self.call("inspect %s %s" % (kind, name)):
                return getattr(self.api, self._INSPECT[kind])(str(name))
        except EngineNotFound:
            return None

    def request(self, action, method, path, *args, params=None, body=None, headers=None, stream=False):
        """A raw Engine API request, for what the SDK's public calls cannot say (an update body with
        NanoCpus, an exec start whose early output must not be lost, a HEAD of a container path).

        ``path`` is formatted with ``args`` (quoted) as the SDK formats it: ``("/containers/{0}/update",
        container_id)``; ``body`` is sent as JSON. Returns the response; an HTTP error answer raises
        through ``call(action)`` like any other engine call (404: EngineNotFound, 409: EngineConflict).
        """
        with self.call(action):
            api = self.api
            headers = dict(headers or {})
            data = None
            if body is not None:
                headers["Content-Type"] = "application/json"
                data = json.dumps(body)
            response = api.request(method, api._url(path, *args), params=params, data=data,  # pylint: disable=protected-access
                                   headers=headers, stream=stream, timeout=self.config.timeout)
            api._raise_for_status(response)  # pylint: disable=protected-access
            return response

    def close(self):
        if self._api is not None:
            self._api.close()
            self._api = None


def api_at_least(version, minimum):
    """Is the Engine API ``version`` (such as '1.41') ``minimum`` or later?"""
    def number(text):
        return tuple(int(part) for part in str(text).split("."))
    return number(version) >= number(minimum)


def _client(config):
    """The SDK client for ``config``. The API version is asked of the engine only for ``auto``."""
    tls = config.tls_config()
    auto = config.api_version == "auto"
    # With "auto" the SDK would ask the engine inside its constructor, before the fix below.
    api = docker.APIClient(base_url=config.docker_host, version=MINIMUM_API_VERSION if auto else config.api_version,
                           timeout=config.timeout, tls=tls)
    if tls:
        # requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override a session's own verify setting,
        # so ca_path (or validate_certs=false) would be silently ignored on hosts that set them.
        # Stop reading the environment, but keep its proxy settings for this address.
        api.trust_env = False
        api.proxies = requests.utils.get_environ_proxies(api.base_url)
    if auto:
        api._version = api._retrieve_server_version()  # pylint: disable=protected-access
    return api


def _http_status(exc):
    response = getattr(exc.__cause__, "response", None)
    return getattr(response, "status_code", None)


def _wraps_transport_error(exc):
    """True when an SDK error wraps a failure to connect (not an HTTP answer, which is also an OSError)."""
    for inner in (exc.__cause__, exc.__context__):
        if isinstance(inner, (requests.exceptions.ConnectionError, OSError)) and not isinstance(inner, requests.exceptions.HTTPError):
            return True
    return False
