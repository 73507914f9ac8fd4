# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small client for the registry HTTP API v2 (distribution): catalog, tags and manifests.

The image modules ask a registry what it holds without pulling or pushing anything, so that
check mode can predict truthfully. Errors are KapalError messages naming the registry and what
failed; the password never appears in any message.
"""

from __future__ import annotations

import ipaddress
import os
import re
import traceback
from dataclasses import dataclass, field
from urllib.parse import urljoin

from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError, missing_file, one_line, transport_reason
from ansible_collections.kapal.docker.plugins.module_utils._reference import DEFAULT_REGISTRY, is_docker_hub

try:
    import requests
    import requests.exceptions

    REQUESTS_IMPORT_ERROR = None
except ImportError:
    requests = None
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

DOCKER_HUB_API = "registry-1.docker.io"
DEFAULT_TIMEOUT = 30
# Where the engine looks for a registry's CA certificate; used when registry_ca_path is not given.
ENGINE_CERTS_DIR = "/etc/docker/certs.d"

MEDIA_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MEDIA_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MEDIA_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MANIFEST_ACCEPT = ", ".join((MEDIA_MANIFEST_LIST, MEDIA_MANIFEST, MEDIA_OCI_INDEX, MEDIA_OCI_MANIFEST))
INDEX_TYPES = (MEDIA_MANIFEST_LIST, MEDIA_OCI_INDEX)

# The registry options, as one argument spec; documented once in the doc fragment kapal.docker.registry.
REGISTRY_OPTIONS = dict(
    username=dict(type="str"),
    password=dict(type="str", no_log=True),
    registry_validate_certs=dict(type="bool", default=True),
    registry_ca_path=dict(type="path"),
)

_CHALLENGE = re.compile(r'([a-zA-Z_]+)\s*=\s*(?:"([^"]*)"|([^\s,]*))')
_NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


@dataclass(frozen=True)
class Manifest:
    """What a registry holds under a tag or digest.

    ``digest`` is the Docker-Content-Digest (of the index when the reference names one);
    ``config_digest`` is the image config digest, the same as the local image id, for the
    platform that was asked for (None when an index holds no manifest for it).
    """

    digest: str
    media_type: str
    config_digest: str | None = None
    platforms: tuple = field(default_factory=tuple)


def api_host(registry):
    """The host to talk to for a registry name (Docker Hub's API lives on another host)."""
    return DOCKER_HUB_API if is_docker_hub(registry) else registry


def is_loopback(registry):
    """True for localhost and 127.0.0.0/8 (with or without a port): registries the engine reaches over plain HTTP."""
    host = registry
    if host.startswith("["):
        host = host[1:host.index("]")] if "]" in host else host
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_challenge(header):
    """Split a WWW-Authenticate header into (scheme, params): ('bearer', {'realm': ..., 'scope': ...})."""
    if not header:
        return None, {}
    scheme, rest = (header.strip().split(" ", 1) + [""])[:2]
    params = {key.lower(): quoted if quoted else bare for key, quoted, bare in _CHALLENGE.findall(rest)}
    return scheme.lower(), params


def next_link(response, base_url):
    """The URL of the next page from a Link header, or None on the last page."""
    match = _NEXT_LINK.search(response.headers.get("Link", ""))
    return urljoin(base_url, match.group(1)) if match else None


def parse_platform(text):
    """'linux/arm64/v8' -> dict(os='linux', architecture='arm64', variant='v8'); None stays None."""
    if not text:
        return None
    parts = text.split("/")
    if len(parts) < 2 or len(parts) > 3 or not all(parts):
        raise KapalError("platform: expected os/architecture[/variant] such as linux/amd64, got %r" % text)
    return dict(os=parts[0], architecture=parts[1], variant=parts[2] if len(parts) == 3 else None)


def _platform_text(entry):
    plat = entry.get("platform") or {}
    text = "%s/%s" % (plat.get("os"), plat.get("architecture"))
    return text + ("/" + plat["variant"] if plat.get("variant") else "")


def pick_platform(manifests, platform):
    """The index entry for ``platform`` (a parse_platform dict); variant only matters when asked for."""
    for entry in manifests:
        plat = entry.get("platform") or {}
        if plat.get("os") != platform["os"] or plat.get("architecture") != platform["architecture"]:
            continue
        if platform.get("variant") and plat.get("variant") != platform["variant"]:
            continue
        return entry
    return None


class RegistryClient:
    """Talks to one registry. ``registry`` is a host[:port] as in an image reference (None: Docker Hub)."""

    def __init__(self, registry=None, username=None, password=None, validate_certs=True, ca_path=None,
                 timeout=DEFAULT_TIMEOUT, session=None):
        if requests is None:
            raise KapalError("the Python library requests is needed to talk to registries: %s" % REQUESTS_IMPORT_ERROR)
        self.registry = registry or DEFAULT_REGISTRY
        self.host = api_host(registry)
        self.username = username or None
        self._password = password or ""
        self.timeout = timeout
        if ca_path is not None and not (os.path.isfile(ca_path) and os.access(ca_path, os.R_OK)):
            raise missing_file("registry_ca_path", ca_path)
        if ca_path is None:
            engine_ca = os.path.join(ENGINE_CERTS_DIR, self.registry, "ca.crt")
            ca_path = engine_ca if os.path.isfile(engine_ca) else None
        self.session = session or requests.Session()
        # Passed with every request: a session-wide setting would lose to REQUESTS_CA_BUNDLE.
        self.verify = (ca_path or True) if validate_certs else False
        self.session.headers["User-Agent"] = "kapal.docker"
        self._base = None
        self._tokens = {}
        self._basic = False

    # -- transport -------------------------------------------------------------------------------

    @property
    def base_url(self):
        """https://host, or http://host for a loopback registry that does not speak TLS."""
        if self._base is None:
            self._base = self._discover()
        return self._base

    def _discover(self):
        https = "https://%s" % self.host
        try:
            self.session.get(https + "/v2/", timeout=self.timeout, verify=self.verify)
            return https
        except requests.exceptions.RequestException as exc:
            if not is_loopback(self.host):
                raise self._unreachable(exc) from None
            https_error = exc
        http = "http://%s" % self.host
        try:
            answer = self.session.get(http + "/v2/", timeout=self.timeout, verify=self.verify)
        except requests.exceptions.RequestException:
            raise self._unreachable(https_error) from None
        if answer.status_code not in (200, 401) or "Docker-Distribution-Api-Version" not in answer.headers:
            raise self._unreachable(https_error) from None
        return http

    def _unreachable(self, exc):
        return KapalError("cannot reach registry %s: %s" % (self.registry, reason(exc)))

    def _fail(self, what, response):
        return KapalError("registry %s: %s failed: %s (HTTP %s)" % (self.registry, what, _error_text(response), response.status_code))

    def request(self, method, path_or_url, what, headers=None, params=None):
        """One request, authenticating on a 401 challenge; returns the response (any status but 401)."""
        url = path_or_url if path_or_url.startswith(("http://", "https://")) else self.base_url + path_or_url
        headers = dict(headers or {})
        response = self._send(method, url, headers, params)
        if response.status_code == 401:
            scheme, challenge = parse_challenge(response.headers.get("WWW-Authenticate"))
            if scheme == "basic":
                if not self.username:
                    raise KapalError("registry %s: %s needs credentials: set username and password" % (self.registry, what))
                self._basic = True
            elif scheme == "bearer":
                headers["Authorization"] = "Bearer " + self._token(challenge, what)
            else:
                raise self._fail(what, response)
            response = self._send(method, url, headers, params)
            if response.status_code == 401:
                raise self._denied(what)
        return response

    def _send(self, method, url, headers, params):
        auth = (self.username, self._password) if self._basic else None
        try:
            return self.session.request(method, url, headers=headers, params=params, auth=auth, timeout=self.timeout,
                                        verify=self.verify)
        except requests.exceptions.RequestException as exc:
            raise self._unreachable(exc) from None

    def _denied(self, what):
        if self.username:
            return KapalError("registry %s: authentication failed for user %r (HTTP 401)" % (self.registry, self.username))
        return KapalError("registry %s: %s needs credentials: set username and password (HTTP 401)" % (self.registry, what))

    def _token(self, challenge, what):
        realm = challenge.get("realm")
        if not realm:
            raise KapalError("registry %s: %s: the registry asked for a token but named no realm" % (self.registry, what))
        key = (realm, challenge.get("service"), challenge.get("scope"))
        if key not in self._tokens:
            params = dict((name, challenge[name]) for name in ("service", "scope") if challenge.get(name))
            auth = (self.username, self._password) if self.username else None
            try:
                answer = self.session.get(realm, params=params, auth=auth, timeout=self.timeout, verify=self.verify)
            except requests.exceptions.RequestException as exc:
                raise KapalError("cannot reach the token service of registry %s: %s" % (self.registry, reason(exc))) from None
            if answer.status_code in (401, 403):
                raise self._denied(what)
            if answer.status_code != 200:
                raise self._fail("token request for %s" % what, answer)
            try:
                body = answer.json()
            except ValueError:
                body = {}
            token = body.get("token") or body.get("access_token")
            if not token:
                raise KapalError("registry %s: the token service answered without a token" % self.registry)
            self._tokens[key] = token
        return self._tokens[key]

    def _json(self, response, what):
        """The JSON object a successful answer carries; anything else fails naming ``what``."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise KapalError("registry %s: %s: the answer is not a JSON object" % (self.registry, what))
        return body

    def _pages(self, path, key, what, page_size):
        """Every item of a paginated list; None when the first page is a 404 (no such repository)."""
        items, url, params = [], self.base_url + path, dict(n=page_size)
        while url:
            response = self.request("GET", url, what, params=params)
            if response.status_code == 404 and not items:
                return None
            if response.status_code != 200:
                raise self._fail(what, response)
            items.extend(self._json(response, what).get(key) or [])
            url, params = next_link(response, self.base_url), None
        return items

    # -- API -------------------------------------------------------------------------------------

    def ping(self):
        """Check that the registry answers /v2/ and accepts the credentials."""
        response = self.request("GET", "/v2/", "ping")
        if response.status_code != 200:
            raise self._fail("ping", response)

    def catalog(self, page_size=100):
        """Every repository name, following Link pagination."""
        repositories = self._pages("/v2/_catalog", "repositories", "list repositories", page_size)
        if repositories is None:
            raise KapalError("registry %s: this registry does not offer a catalog (/v2/_catalog answered 404)" % self.registry)
        return repositories

    def tags(self, repository, page_size=100):
        """Every tag of a repository (empty when the repository is unknown)."""
        return self._pages("/v2/%s/tags/list" % repository, "tags", "list tags of %s" % repository, page_size) or []

    def manifest(self, repository, reference, platform=None):
        """The Manifest for repository:reference (tag or digest), or None when the registry has none.

        For an index, ``platform`` (a parse_platform dict) picks the image whose config digest is
        returned; without it, config_digest is None for an index.
        """
        what = "read manifest %s:%s" % (repository, reference)
        response = self.request("GET", "/v2/%s/manifests/%s" % (repository, reference), what,
                                headers={"Accept": MANIFEST_ACCEPT})
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._fail(what, response)
        body = self._json(response, what)
        media_type = body.get("mediaType") or response.headers.get("Content-Type", "").split(";")[0]
        digest = response.headers.get("Docker-Content-Digest") or (reference if ":" in reference else None)
        if media_type in INDEX_TYPES or "manifests" in body:
            entries = body.get("manifests") or []
            platforms = tuple(_platform_text(entry) for entry in entries)
            config = None
            entry = pick_platform(entries, platform) if platform else None
            if entry is not None:
                inner = self.manifest(repository, entry["digest"])
                config = inner.config_digest if inner else None
            return Manifest(digest=digest, media_type=media_type, config_digest=config, platforms=platforms)
        config = (body.get("config") or {}).get("digest")
        return Manifest(digest=digest, media_type=media_type, config_digest=config)

    def manifest_digest(self, repository, reference):
        """Only the Docker-Content-Digest, from a HEAD request; None when there is no such manifest."""
        what = "read manifest %s:%s" % (repository, reference)
        response = self.request("HEAD", "/v2/%s/manifests/%s" % (repository, reference), what,
                                headers={"Accept": MANIFEST_ACCEPT})
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._fail(what, response)
        return response.headers.get("Docker-Content-Digest")

    def close(self):
        self.session.close()


def reason(exc):
    """Why a request failed; TLS failures first (an SSL error's errno would read as 'permission denied')."""
    cur, seen = exc, set()
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if "SSL" in type(cur).__name__ or "CERTIFICATE" in str(cur):
            text = str(cur)
            match = re.search(r"\[SSL[^\]]*\]\s*([^(']+)", text)
            return "TLS handshake failed: %s" % one_line(match.group(1) if match else text).rstrip(" (")
        nested = [a for a in getattr(cur, "args", ()) if isinstance(a, BaseException)]
        cur = getattr(cur, "reason", None) if isinstance(getattr(cur, "reason", None), BaseException) else (
            nested[0] if nested else (cur.__cause__ or cur.__context__))
    return transport_reason(exc)


def _error_text(response):
    """The registry's own error text ({"errors": [{"code", "message"}]}), else the HTTP reason."""
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        errors = []
    texts = [e.get("message") or e.get("code") for e in errors if isinstance(e, dict)]
    return one_line("; ".join(t for t in texts if t) or response.reason or "no reason given")


def registry_client(registry, params):
    """A RegistryClient from module params (username, password, registry_validate_certs, registry_ca_path)."""
    if params.get("password") and not params.get("username"):
        raise KapalError("password: given without username")
    return RegistryClient(
        registry,
        username=params.get("username"),
        password=params.get("password"),
        validate_certs=params.get("registry_validate_certs", True),
        ca_path=params.get("registry_ca_path"),
    )
