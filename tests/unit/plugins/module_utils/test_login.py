"""Registry logins: names of registries, config.json entries, credential helper choice, the file written."""

import json
import os
import stat

import pytest

from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError
from ansible_collections.kapal.docker.plugins.module_utils._login import (
    DOCKER_HUB_KEY,
    config_key,
    decode_auth,
    default_config_path,
    encode_auth,
    entry_keys,
    helper_for,
    read_config,
    registry_host,
    write_config,
)


@pytest.mark.parametrize("given, host", [
    ("https://index.docker.io/v1/", "docker.io"),
    ("docker.io", "docker.io"),
    ("registry-1.docker.io", "docker.io"),
    ("Registry.Example.com:5000", "registry.example.com:5000"),
    ("https://registry.example.com:5000/v2/", "registry.example.com:5000"),
    ("http://127.0.0.1:5001", "127.0.0.1:5001"),
])
def test_registry_host(given, host):
    assert registry_host(given) == host


@pytest.mark.parametrize("given", ["", "https://", "user@host", "two words"])
def test_registry_host_refuses(given):
    with pytest.raises(KapalError) as err:
        registry_host(given)
    assert str(err.value).startswith("registry_url: expected a registry such as registry.example.com:5000, got ")


def test_keys_and_entries():
    assert config_key("docker.io") == DOCKER_HUB_KEY and config_key("r.example.com:5000") == "r.example.com:5000"
    config = {"auths": {"https://r.example.com:5000": {}, "r.example.com:5000": {}, "other": {}, "https://index.docker.io/v1/": {}}}
    assert entry_keys(config, "r.example.com:5000") == ["r.example.com:5000", "https://r.example.com:5000"]
    assert entry_keys(config, "docker.io") == ["https://index.docker.io/v1/"]
    assert entry_keys({}, "docker.io") == []


def test_auth_round_trip():
    auth = encode_auth("kapal", "pa:ss wörd")
    assert decode_auth({"auth": auth}) == ("kapal", "pa:ss wörd")
    assert decode_auth({}) is None and decode_auth({"auth": "!!"}) is None


def test_helper_for():
    assert helper_for({}, "r.example.com") is None
    assert helper_for({"credsStore": "pass"}, "r.example.com") == "pass"
    config = {"credsStore": "pass", "credHelpers": {"https://r.example.com": "ecr-login"}}
    assert helper_for(config, "r.example.com") == "ecr-login"
    assert helper_for(config, "other.example.com") == "pass"


def test_default_config_path():
    assert default_config_path({"DOCKER_CONFIG": "/etc/ci/docker"}) == "/etc/ci/docker/config.json"
    assert default_config_path({}) == os.path.join(os.path.expanduser("~"), ".docker", "config.json")


def test_read_and_write_config(tmp_path):
    path = tmp_path / "docker" / "config.json"
    assert read_config(str(path)) == {}
    write_config(str(path), {"auths": {"r": {"auth": "eDp5"}}, "psFormat": "x"})
    assert json.loads(path.read_text()) == {"auths": {"r": {"auth": "eDp5"}}, "psFormat": "x"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["config.json"], "no temporary file left behind"
    link = tmp_path / "link.json"
    link.symlink_to(path)
    write_config(str(link), {"auths": {}})
    assert link.is_symlink() and json.loads(path.read_text()) == {"auths": {}}
    path.write_text("{oops")
    with pytest.raises(KapalError) as err:
        read_config(str(path))
    assert str(err.value).startswith("config_path: %s is not valid JSON (" % path)
