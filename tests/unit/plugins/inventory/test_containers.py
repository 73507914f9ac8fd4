"""The inventory plugin's pure parts: host variables, engine options, listing filters."""

import pytest

from ansible_collections.kapal.docker.plugins.inventory.containers import (
    connection_vars,
    engine_config,
    host_vars,
    list_filters,
    names_this_plugin,
    snake_case,
)
from ansible_collections.kapal.docker.plugins.module_utils._engine import EngineConfig
from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError

FACTS = {
    "Id": "0123456789abcdef0123",
    "Name": "/web",
    "Image": "sha256:feed",
    "State": {"Status": "running", "Running": True},
    "Config": {"Image": "nginx:1.25", "Labels": {"app": "shop"}},
    "NetworkSettings": {"IPAddress": "172.17.0.2"},
    "ExecIDs": None,
}


@pytest.mark.parametrize("key, expected", [
    ("State", "state"), ("NetworkSettings", "network_settings"), ("ExecIDs", "exec_ids"),
    ("AppArmorProfile", "app_armor_profile"), ("ResolvConfPath", "resolv_conf_path"), ("Id", "id"),
])
def test_snake_case(key, expected):
    assert snake_case(key) == expected


def test_host_vars_from_inspect_facts():
    result = host_vars(FACTS, "docker_")
    assert result["docker_name"] == "web"
    assert result["docker_short_id"] == "0123456789ab"
    assert result["docker_status"] == "running"
    assert result["docker_image"] == "nginx:1.25"
    assert result["docker_image_id"] == "sha256:feed"
    assert result["docker_labels"] == {"app": "shop"}
    assert result["docker_network_settings"] == {"IPAddress": "172.17.0.2"}
    assert result["docker_exec_ids"] is None
    assert all(key.startswith("docker_") for key in result)


def test_host_vars_prefix_and_missing_labels():
    facts = dict(FACTS, Config={"Image": "busybox", "Labels": None})
    result = host_vars(facts, "c_")
    assert result["c_labels"] == {}
    assert not any(key.startswith("docker_") for key in result)


def test_connection_vars_of_a_local_engine():
    assert connection_vars(EngineConfig()) == {
        "ansible_connection": "kapal.docker.docker",
        "ansible_docker_docker_host": "unix:///var/run/docker.sock",
    }


def test_connection_vars_carry_tls_settings():
    config = EngineConfig(docker_host="tcp://h:2376", tls=True, validate_certs=True, ca_path="/ca.pem",
                          api_version="1.41", timeout=5)
    result = connection_vars(config)
    assert result["ansible_docker_validate_certs"] is True
    assert result["ansible_docker_ca_path"] == "/ca.pem"
    assert result["ansible_docker_api_version"] == "1.41"
    assert result["ansible_docker_timeout"] == 5
    assert "ansible_docker_client_cert" not in result


def test_engine_config_takes_the_module_options():
    config = engine_config(0, {"docker_host": "tcp://h:2375", "timeout": 7})
    assert (config.docker_host, config.timeout) == ("tcp://h:2375", 7)


@pytest.mark.parametrize("options, message", [
    ({"host": "tcp://h:1"}, "engines[1]: unknown option host (expected one of docker_host"),
    ("tcp://h:1", "engines[1]: expected a dictionary of engine options, got 'tcp://h:1'"),
    ({"docker_host": "ftp://h"}, "engines[1]: docker_host: unsupported address 'ftp://h'"),
])
def test_engine_config_errors_name_the_engine(options, message):
    with pytest.raises(KapalError) as caught:
        engine_config(1, options)
    assert str(caught.value).startswith(message)


def test_list_filters():
    assert list_filters(["running", "paused"], {"app": "shop", "tier": "", "x": None}) == {
        "status": ["running", "paused"],
        "label": ["app=shop", "tier", "x"],
    }


@pytest.mark.parametrize("text, expected", [
    ("plugin: kapal.docker.containers\n", True),
    ("---\n# fleet\nplugin: 'kapal.docker.containers'  # wrong file name\nlabels: {}\n", True),
    ('plugin: "kapal.docker.containers"', True),
    ("plugin: community.docker.docker_containers\n", False),
    ("all:\n  hosts:\n    plugin: kapal.docker.containers\n", False),
    ("[web]\nhost1\n", False),
])
def test_names_this_plugin(tmp_path, text, expected):
    path = tmp_path / "inventory.yml"
    path.write_text(text)
    assert names_this_plugin(str(path)) is expected


def test_names_this_plugin_of_an_unreadable_path(tmp_path):
    assert names_this_plugin(str(tmp_path / "missing.yml")) is False
