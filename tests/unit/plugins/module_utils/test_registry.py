"""The registry v2 client: challenges, pagination, manifests and messages, against a scripted HTTP session."""

import json

import pytest
import requests

from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError
from ansible_collections.kapal.docker.plugins.module_utils._registry import (
    MEDIA_MANIFEST,
    MEDIA_OCI_INDEX,
    RegistryClient,
    api_host,
    is_loopback,
    next_link,
    parse_challenge,
    parse_platform,
    pick_platform,
)

SECRET = "s3cret-pw"


class FakeResponse:
    def __init__(self, status=200, body=None, headers=None, reason="OK"):
        self.status_code = status
        self._body = body
        self.headers = requests.structures.CaseInsensitiveDict(headers or {})
        self.reason = reason

    def json(self):
        if self._body is None:
            raise ValueError("no body")
        return json.loads(json.dumps(self._body))


class FakeSession:
    """Answers requests with ``handler(method, url, params, headers, auth)``; records every call."""

    def __init__(self, handler):
        self.handler = handler
        self.calls = []
        self.headers = {}

    def request(self, method, url, headers=None, params=None, auth=None, timeout=None, verify=None):
        self.calls.append((method, url, dict(params or {}), dict(headers or {}), auth))
        answer = self.handler(method, url, dict(params or {}), dict(headers or {}), auth)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def get(self, url, **kwargs):
        return self.request("GET", url, headers=kwargs.get("headers"), params=kwargs.get("params"),
                            auth=kwargs.get("auth"))

    def close(self):
        pass


V2 = {"Docker-Distribution-Api-Version": "registry/2.0"}


def client(handler, registry="registry.example.com", **kwargs):
    return RegistryClient(registry, session=FakeSession(handler), **kwargs)


@pytest.mark.parametrize("header, expected", [
    ('Basic realm="kapal-test"', ("basic", {"realm": "kapal-test"})),
    ('Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull"',
     ("bearer", {"realm": "https://auth.example.com/token", "service": "registry.example.com", "scope": "repository:a/b:pull"})),
    ('Bearer realm=https://t.example/token, service=reg', ("bearer", {"realm": "https://t.example/token", "service": "reg"})),
    (None, (None, {})),
])
def test_parse_challenge(header, expected):
    assert parse_challenge(header) == expected


@pytest.mark.parametrize("registry, expected", [
    ("127.0.0.1:5000", True), ("127.1.2.3", True), ("localhost:5000", True), ("localhost", True), ("[::1]:5000", True),
    ("registry.example.com:5000", False), ("10.0.0.1:5000", False), ("localhost.example.com", False),
])
def test_is_loopback(registry, expected):
    assert is_loopback(registry) is expected


def test_docker_hub_api_host():
    assert api_host(None) == api_host("docker.io") == api_host("index.docker.io") == "registry-1.docker.io"
    assert api_host("127.0.0.1:5000") == "127.0.0.1:5000"


def test_next_link_relative_and_absent():
    base = "https://r.example"
    linked = FakeResponse(headers={"Link": '</v2/_catalog?last=b&n=2>; rel="next"'})
    assert next_link(linked, base) == "https://r.example/v2/_catalog?last=b&n=2"
    assert next_link(FakeResponse(), base) is None


@pytest.mark.parametrize("text, expected", [
    ("linux/amd64", dict(os="linux", architecture="amd64", variant=None)),
    ("linux/arm64/v8", dict(os="linux", architecture="arm64", variant="v8")),
    (None, None),
])
def test_parse_platform(text, expected):
    assert parse_platform(text) == expected


@pytest.mark.parametrize("text", ["amd64", "linux/", "a/b/c/d"])
def test_bad_platform_names_the_option_and_value(text):
    with pytest.raises(KapalError, match=r"^platform: expected os/architecture\[/variant\] .* got %r$" % text):
        parse_platform(text)


def test_pick_platform_ignores_variant_unless_asked():
    entries = [
        {"digest": "sha256:a", "platform": {"os": "linux", "architecture": "arm", "variant": "v6"}},
        {"digest": "sha256:b", "platform": {"os": "linux", "architecture": "arm", "variant": "v7"}},
        {"digest": "sha256:c", "platform": {"os": "linux", "architecture": "amd64"}},
    ]
    assert pick_platform(entries, parse_platform("linux/arm"))["digest"] == "sha256:a"
    assert pick_platform(entries, parse_platform("linux/arm/v7"))["digest"] == "sha256:b"
    assert pick_platform(entries, parse_platform("linux/amd64"))["digest"] == "sha256:c"
    assert pick_platform(entries, parse_platform("windows/amd64")) is None


def test_catalog_follows_link_pagination():
    pages = {
        None: (["a", "b"], '</v2/_catalog?last=b&n=2>; rel="next"'),
        "b": (["c", "d"], '</v2/_catalog?last=d&n=2>; rel="next"'),
        "d": (["e"], None),
    }

    def handler(method, url, params, headers, auth):
        if url.endswith("/v2/"):
            return FakeResponse(headers=V2)
        last = url.split("last=")[1].split("&")[0] if "last=" in url else None
        repos, link = pages[last]
        return FakeResponse(body={"repositories": repos}, headers={"Link": link} if link else {})

    c = client(handler)
    assert c.catalog(page_size=2) == ["a", "b", "c", "d", "e"]
    first = [call for call in c.session.calls if call[1].endswith("/v2/_catalog")][0]
    assert first[2] == {"n": 2}


def test_tags_of_unknown_repository_are_empty():
    def handler(method, url, params, headers, auth):
        if url.endswith("/v2/"):
            return FakeResponse(headers=V2)
        return FakeResponse(404, {"errors": [{"code": "NAME_UNKNOWN", "message": "repository name not known to registry"}]})

    assert client(handler).tags("nope/x") == []


def test_basic_challenge_retries_with_credentials_and_keeps_them():
    def handler(method, url, params, headers, auth):
        if auth != ("kapal", SECRET):
            return FakeResponse(401, {"errors": []}, {"WWW-Authenticate": 'Basic realm="r"'})
        return FakeResponse(body={"tags": ["1"]})

    c = client(handler, username="kapal", password=SECRET)
    assert c.tags("a/b") == ["1"]
    assert c.tags("a/b") == ["1"]
    # the ping, one challenge, then the credentials go with every request
    assert [call[4] for call in c.session.calls] == [None, None, ("kapal", SECRET), ("kapal", SECRET)]


def test_wrong_password_names_the_user_never_the_password():
    def handler(method, url, params, headers, auth):
        return FakeResponse(401, {"errors": []}, {"WWW-Authenticate": 'Basic realm="r"'})

    with pytest.raises(KapalError) as caught:
        client(handler, registry="127.0.0.1:5001", username="kapal", password=SECRET).catalog()
    assert str(caught.value) == "registry 127.0.0.1:5001: authentication failed for user 'kapal' (HTTP 401)"
    assert SECRET not in str(caught.value)


def test_basic_challenge_without_credentials():
    def handler(method, url, params, headers, auth):
        return FakeResponse(401, {"errors": []}, {"WWW-Authenticate": 'Basic realm="r"'})

    with pytest.raises(KapalError, match=r"^registry 127.0.0.1:5001: list repositories needs credentials: set username and password$"):
        client(handler, registry="127.0.0.1:5001").catalog()


def test_bearer_challenge_fetches_a_token_per_scope():
    realm = "https://auth.example.com/token"

    def handler(method, url, params, headers, auth):
        if url == realm:
            assert auth == ("kapal", SECRET)
            return FakeResponse(body={"token": "tok-" + params["scope"]})
        scope = "repository:a/b:pull"
        if headers.get("Authorization") != "Bearer tok-" + scope:
            challenge = 'Bearer realm="%s",service="reg",scope="%s"' % (realm, scope)
            return FakeResponse(401, {"errors": []}, {"WWW-Authenticate": challenge})
        return FakeResponse(body={"tags": ["2", "1"]})

    c = client(handler, username="kapal", password=SECRET)
    assert c.tags("a/b") == ["2", "1"]
    token_calls = [call for call in c.session.calls if call[1] == realm]
    assert token_calls[0][2] == {"service": "reg", "scope": "repository:a/b:pull"}
    assert c.tags("a/b") == ["2", "1"]
    assert len([call for call in c.session.calls if call[1] == realm]) == 1


def test_bearer_token_refused():
    def handler(method, url, params, headers, auth):
        if url.startswith("https://auth"):
            return FakeResponse(401, {}, reason="Unauthorized")
        return FakeResponse(401, {}, {"WWW-Authenticate": 'Bearer realm="https://auth.example/t",service="s"'})

    with pytest.raises(KapalError, match=r"^registry hub.example: authentication failed for user 'me' \(HTTP 401\)$"):
        client(handler, registry="hub.example", username="me", password=SECRET).ping()


def test_loopback_registry_without_tls_falls_back_to_http():
    def handler(method, url, params, headers, auth):
        if url.startswith("https://"):
            return requests.exceptions.SSLError("[SSL: WRONG_VERSION_NUMBER] wrong version number")
        if url.endswith("/v2/"):
            return FakeResponse(headers=V2)
        return FakeResponse(body={"repositories": ["x"]})

    c = client(handler, registry="127.0.0.1:5000")
    assert c.catalog() == ["x"]
    assert c.base_url == "http://127.0.0.1:5000"


def test_remote_registry_never_falls_back_to_http():
    def handler(method, url, params, headers, auth):
        if url.startswith("https://"):
            return requests.exceptions.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self signed (_ssl.c:1)")
        raise AssertionError("plain HTTP was tried: %s" % url)

    with pytest.raises(KapalError, match=r"^cannot reach registry registry.example.com: TLS handshake failed: certificate verify failed: self signed$"):
        client(handler).catalog()
    assert len(client(handler).session.calls) == 0


def test_loopback_tls_failure_is_reported_when_http_does_not_answer_either():
    def handler(method, url, params, headers, auth):
        if url.startswith("https://"):
            return requests.exceptions.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unknown ca (_ssl.c:1)")
        return FakeResponse(400, None, reason="Bad Request")

    with pytest.raises(KapalError, match=r"^cannot reach registry 127.0.0.1:5001: TLS handshake failed: certificate verify failed: unknown ca$"):
        client(handler, registry="127.0.0.1:5001").ping()


def test_manifest_of_an_image_and_missing_manifest():
    def handler(method, url, params, headers, auth):
        if url.endswith("/v2/"):
            return FakeResponse(headers=V2)
        assert MEDIA_MANIFEST in headers["Accept"] and MEDIA_OCI_INDEX in headers["Accept"]
        if url.endswith("/manifests/1"):
            return FakeResponse(body={"mediaType": MEDIA_MANIFEST, "config": {"digest": "sha256:cfg"}},
                                headers={"Docker-Content-Digest": "sha256:man"})
        return FakeResponse(404, {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]})

    c = client(handler)
    manifest = c.manifest("a/b", "1")
    assert (manifest.digest, manifest.config_digest, manifest.media_type) == ("sha256:man", "sha256:cfg", MEDIA_MANIFEST)
    assert c.manifest("a/b", "2") is None


def test_manifest_index_resolves_the_platform_config():
    index = {"mediaType": MEDIA_OCI_INDEX, "manifests": [
        {"digest": "sha256:arm", "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        {"digest": "sha256:amd", "platform": {"os": "linux", "architecture": "amd64"}},
    ]}

    def handler(method, url, params, headers, auth):
        if url.endswith("/v2/"):
            return FakeResponse(headers=V2)
        ref = url.rsplit("/", 1)[1]
        if ref == "1":
            return FakeResponse(body=index, headers={"Docker-Content-Digest": "sha256:idx"})
        return FakeResponse(body={"mediaType": MEDIA_MANIFEST, "config": {"digest": "sha256:cfg-" + ref[7:]}},
                            headers={"Docker-Content-Digest": ref})

    c = client(handler)
    manifest = c.manifest("a/b", "1", platform=parse_platform("linux/amd64"))
    assert (manifest.digest, manifest.config_digest) == ("sha256:idx", "sha256:cfg-amd")
    assert manifest.platforms == ("linux/arm64/v8", "linux/amd64")
    assert c.manifest("a/b", "1").config_digest is None
    assert c.manifest("a/b", "1", platform=parse_platform("linux/s390x")).config_digest is None


@pytest.mark.parametrize("body", [None, ["not", "an", "object"]])
def test_an_answer_that_is_no_json_object_fails_naming_what_was_asked(body):
    def handler(method, url, params, headers, auth):
        return FakeResponse(headers=V2) if url.endswith("/v2/") else FakeResponse(body=body)

    for call, what in ((lambda c: c.manifest("a/b", "1"), "read manifest a/b:1"), (lambda c: c.catalog(), "list repositories")):
        with pytest.raises(KapalError) as info:
            call(client(handler, registry="r.example"))
        assert str(info.value) == "registry r.example: %s: the answer is not a JSON object" % what


def test_registry_error_text_is_one_line():
    def handler(method, url, params, headers, auth):
        if url.endswith("/v2/"):
            return FakeResponse(headers=V2)
        return FakeResponse(500, {"errors": [{"code": "UNKNOWN", "message": "disk\nfull"}]}, reason="Internal Server Error")

    with pytest.raises(KapalError, match=r"^registry r.example: list tags of a/b failed: disk full \(HTTP 500\)$"):
        client(handler, registry="r.example").tags("a/b")


def test_connection_refused_names_the_registry():
    def handler(method, url, params, headers, auth):
        return requests.exceptions.ConnectionError(ConnectionRefusedError(111, "Connection refused"))

    with pytest.raises(KapalError, match=r"^cannot reach registry 127.0.0.1:5999: connection refused$"):
        client(handler, registry="127.0.0.1:5999").catalog()


def test_missing_ca_file_names_the_option():
    with pytest.raises(KapalError, match=r"^registry_ca_path: no such file: /nonexistent/ca.pem$"):
        RegistryClient("r.example", ca_path="/nonexistent/ca.pem")
