"""kapal.docker.image_search against the test bed's registries (and the engine's Docker Hub search)."""

from tests.integration.conftest import run_module


def creds(testbed):
    return {"username": testbed["registry_user"], "password": testbed["registry_password"]}


def test_search_the_plain_registry(testbed):
    args = {"registry": testbed["plain_registry"], "term": "test/busy"}
    for check_mode in (True, False):
        result = run_module("image_search", args, check_mode=check_mode)
        assert result.rc == 0 and result["changed"] is False, result
        assert result["results"] == [{"name": "%s/kapal-test/busybox" % testbed["plain_registry"], "description": None,
                                      "stars": None, "official": None, "tags": None, "digests": None}]
    assert run_module("image_search", dict(args, term="no-such-thing"))["results"] == []


def test_search_the_authenticated_registry(testbed, registries):
    result = run_module("image_search", dict(creds(testbed), registry=testbed["secure_registry"], term="kapal-test/*",
                                             list_tags=True, digests=True))
    assert result.rc == 0, result
    name = "%s/kapal-test/busybox" % testbed["secure_registry"]
    assert [r["name"] for r in result["results"]] == [name]
    assert result["results"][0]["tags"] == ["latest"]
    assert result["results"][0]["digests"] == {"latest": registries["secure"].manifest_digest("kapal-test/busybox", "latest")}
    assert testbed["registry_password"] not in str(dict(result))


def test_catalog_pagination_finds_everything(testbed, arrange):
    names = [arrange.pushed("plain", "r%d" % i)[0] for i in range(6)]
    prefix = "%s-%s/" % ("kapal-it-imga", arrange.token)
    for term in (prefix + "*", arrange.token):
        result = run_module("image_search", {"registry": testbed["plain_registry"], "term": term, "page_size": 2})
        assert result.rc == 0, result
        assert [r["name"] for r in result["results"]] == names
    limited = run_module("image_search", {"registry": testbed["plain_registry"], "term": arrange.token,
                                          "page_size": 2, "limit": 3})
    assert [r["name"] for r in limited["results"]] == names[:3]
    glob = run_module("image_search", {"registry": testbed["plain_registry"], "term": prefix + "r[24]"})
    assert [r["name"] for r in glob["results"]] == [names[2], names[4]]


def test_tags_and_digests_match_what_was_pushed(testbed, arrange):
    pushed = {}
    for tag in ("1.2.0", "latest", "1.10.0", "1.9", "edge"):
        full, _image_id, digest = arrange.pushed("plain", "versions", tag=tag)
        pushed[tag] = digest
    assert len(set(pushed.values())) == 5
    args = {"registry": testbed["plain_registry"], "term": full.split("/", 1)[1], "page_size": 2}

    result = run_module("image_search", dict(args, list_tags=True))
    assert result["results"][0]["tags"] == ["1.10.0", "1.9", "1.2.0", "edge", "latest"]
    assert result["results"][0]["digests"] is None

    result = run_module("image_search", dict(args, digests=True))
    assert result["results"][0]["digests"] == pushed

    result = run_module("image_search", dict(args, tag_pattern="1.*", digests=True))
    assert result["results"][0]["tags"] == ["1.10.0", "1.9", "1.2.0"]
    assert result["results"][0]["digests"] == {tag: pushed[tag] for tag in ("1.10.0", "1.9", "1.2.0")}

    assert run_module("image_search", dict(args, tag_pattern="2.*"))["results"] == []


def test_wrong_password(testbed):
    result = run_module("image_search", {"registry": testbed["secure_registry"], "term": "busybox",
                                         "username": testbed["registry_user"], "password": "not-the-password"})
    assert result.failed
    assert result["msg"] == "registry %s: authentication failed for user 'kapal' (HTTP 401)" % testbed["secure_registry"]
    assert "not-the-password" not in str(dict(result)) and "Traceback" not in result.stderr


def test_no_credentials_against_the_authenticated_registry(testbed):
    result = run_module("image_search", {"registry": testbed["secure_registry"], "term": "busybox"})
    assert result.failed
    assert result["msg"] == "registry %s: list repositories needs credentials: set username and password" % testbed["secure_registry"]


def test_docker_hub_unreachable_is_one_clear_line(testbed):
    result = run_module("image_search", {"term": "redis"})
    assert result.failed
    assert result["msg"].startswith("search Docker Hub for 'redis' failed on Docker Engine at %s: " % testbed["docker_host"])
    assert "index.docker.io" in result["msg"] and "\n" not in result["msg"]


def test_unreachable_registry():
    result = run_module("image_search", {"registry": "127.0.0.1:5999", "term": "busybox"})
    assert result.failed
    assert result["msg"] == "cannot reach registry 127.0.0.1:5999: connection refused"


def test_bad_input_names_the_option_and_value(testbed):
    plain = testbed["plain_registry"]
    cases = [
        ({"registry": "http://127.0.0.1:5000", "term": "x"},
         "registry: expected a registry host[:port] such as 127.0.0.1:5000, got 'http://127.0.0.1:5000'"),
        ({"registry": plain, "term": "x", "stars": 3},
         "stars: only Docker Hub search knows stars; registry %s is a v2 registry without them" % plain),
        ({"registry": plain, "term": "x", "is_official": True},
         "is_official: only Docker Hub search knows official images; registry %s is a v2 registry without them" % plain),
        ({"registry": plain, "term": "x", "limit": 0}, "limit: expected a positive number, got 0"),
        ({"registry": plain, "term": "x", "page_size": -1}, "page_size: expected a positive number, got -1"),
        ({"registry": plain, "term": "x", "password": "a-secret-value"}, "password: given without username"),
    ]
    for args, message in cases:
        result = run_module("image_search", args)
        assert result.failed and result["msg"] == message, (args, result.get("msg"))


def test_registry_tls_options(testbed):
    args = dict(creds(testbed), registry=testbed["secure_registry"], term="kapal-test/busybox")
    wrong_ca = run_module("image_search", dict(args, registry_ca_path="/etc/ssl/certs/ca-certificates.crt"))
    assert wrong_ca.failed
    assert wrong_ca["msg"] == ("cannot reach registry %s: TLS handshake failed: certificate verify failed: "
                               "unable to get local issuer certificate" % testbed["secure_registry"])
    trusted = {"registry_ca_path": testbed["ca_cert"]}
    unverified = {"registry_validate_certs": False, "registry_ca_path": "/etc/ssl/certs/ca-certificates.crt"}
    for extra in (trusted, unverified):
        result = run_module("image_search", dict(args, **extra))
        assert result.rc == 0 and len(result["results"]) == 1, result
    missing = run_module("image_search", dict(args, registry_ca_path="/nonexistent/ca.pem"))
    assert missing["msg"] == "registry_ca_path: no such file: /nonexistent/ca.pem"
