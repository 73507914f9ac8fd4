"""A Compose service as kapal.docker.container parameters, Compose's names and labels, and its config hash."""

import os

import pytest

from ansible_collections.kapal.docker.plugins.module_utils._compose.confighash import go_duration, go_float32, service_hash
from ansible_collections.kapal.docker.plugins.module_utils._compose.load import load_project
from ansible_collections.kapal.docker.plugins.module_utils._compose.mapping import (
    OPTION_MAP,
    container_name,
    container_params,
    nano_cpus,
    network_params,
    volume_params,
)
from ansible_collections.kapal.docker.plugins.module_utils._compose.model import ComposeError
from ansible_collections.kapal.docker.plugins.module_utils._container.options import OPTION_BY_NAME, parse_options

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "compose")
# Options another change adds to the container option table; the mapping already fills them.
PENDING_OPTIONS = ("exposed_ports", "domainname", "dns_servers", "dns_search_domains", "etc_hosts")


def project_of(service, profiles=None, **top):
    if "build" not in service:
        service = dict(service, image=service.get("image", "img"))
    definition = dict(services=dict(s=service), **top)
    return load_project(project_src="/p", project_name="proj", definition=definition, environ={"HOME": "/home/u"},
                        profiles=profiles)


def params_of(service, number=1, **top):
    return container_params(project_of(service, **top), "s", number)


# The mapping, one row per Compose key: (service definition, the parameters it gives).
@pytest.mark.parametrize("service, expected", [
    ({}, dict(name="proj-s-1", image="img", env={}, published_ports=[], volumes=[], mounts=[], restart_policy="no",
              restart_retries=0, init=False, memory=0, privileged=False, capabilities=[], cap_drop=[], devices=[],
              ulimits=[], tmpfs=[], read_only=False, sysctls={},
              networks=[dict(name="proj_default", aliases=["proj-s-1", "s"], ipv4_address=None)])),
    ({"image": "redis:7"}, dict(image="redis:7")),
    ({"build": "."}, dict(image="proj-s")),
    ({"container_name": "web"}, dict(name="web")),
    ({"command": "sh -c 'echo hi'", "entrypoint": ["tini", "--"]},
     dict(command=["sh", "-c", "echo hi"], entrypoint=["tini", "--"])),
    ({"command": []}, dict(command=[])),
    ({"environment": ["A=1", "B="]}, dict(env={"A": "1", "B": ""})),
    ({"ports": ["8080:80", "127.0.0.1::53/udp", "[::1]:8443:443", "9000"]},
     dict(published_ports=["127.0.0.1::53/udp", "8080:80/tcp", "9000/tcp", "[::1]:8443:443/tcp"])),
    ({"expose": ["3000", 3001]}, dict(exposed_ports=["3000", "3001"])),
    ({"volumes": ["./www:/www:ro", "data:/data", "/anon", {"type": "tmpfs", "target": "/t", "tmpfs": {"size": "1m"}},
                  {"type": "bind", "source": "/h", "target": "/c", "bind": {"create_host_path": False}}]},
     dict(volumes=["/p/www:/www:ro", "proj_data:/data"],
          mounts=[dict(type="volume", target="/anon", read_only=False),
                  dict(type="bind", source="/h", target="/c", read_only=False),
                  dict(type="tmpfs", target="/t", read_only=False, tmpfs_size="1048576")])),
    ({"labels": {"a": "1"}}, dict(labels={"a": "1"})),
    ({"restart": "on-failure:3"}, dict(restart_policy="on-failure", restart_retries=3)),
    ({"restart": "always"}, dict(restart_policy="always", restart_retries=0)),
    ({"healthcheck": {"test": "curl -f localhost", "interval": "1m30s", "retries": 3}},
     dict(healthcheck=dict(test=["CMD-SHELL", "curl -f localhost"], interval="1m30s", retries=3))),
    ({"healthcheck": {"disable": True}}, dict(healthcheck=dict(test=["NONE"]))),
    ({"networks": {"front": {"aliases": ["www"], "priority": 1}, "back": {"ipv4_address": "10.1.0.5"}}},
     dict(networks=[dict(name="proj_front", aliases=["proj-s-1", "s", "www"], ipv4_address=None),
                    dict(name="proj_back", aliases=["proj-s-1", "s"], ipv4_address="10.1.0.5")])),
    ({"network_mode": "host"}, dict(network_mode="host")),
    ({"hostname": "h", "domainname": "example.org", "user": "1000", "working_dir": "/w"},
     dict(hostname="h", domainname="example.org", user="1000", working_dir="/w")),
    ({"init": True, "privileged": True, "read_only": True}, dict(init=True, privileged=True, read_only=True)),
    ({"mem_limit": "512m", "cpus": 1.5}, dict(memory=512 * 1024 ** 2, cpus="1.500000000")),
    ({"mem_limit": "1g", "deploy": {"resources": {"limits": {"memory": "256m", "cpus": "0.1"}}}},
     dict(memory=256 * 1024 ** 2, cpus="0.100000000")),
    ({"cpus": 0.3333333333}, dict(cpus="0.333333344")),
    ({"logging": {"driver": "json-file", "options": {"max-size": "10m"}}},
     dict(log_driver="json-file", log_options={"max-size": "10m"})),
    ({"stop_signal": "SIGINT", "stop_grace_period": "1m30s"}, dict(stop_signal="SIGINT", stop_timeout=90)),
    ({"cap_add": ["NET_ADMIN"], "cap_drop": ["ALL"]}, dict(capabilities=["NET_ADMIN"], cap_drop=["ALL"])),
    ({"devices": ["/dev/fuse"]}, dict(devices=["/dev/fuse:/dev/fuse:rwm"])),
    ({"ulimits": {"nofile": {"soft": 1024, "hard": 2048}, "nproc": 512}}, dict(ulimits=["nofile:1024:2048", "nproc:512:512"])),
    ({"tmpfs": ["/run", "/tmp:size=64m"]}, dict(tmpfs=["/run", "/tmp:size=64m"])),
    ({"sysctls": {"net.core.somaxconn": 1024}}, dict(sysctls={"net.core.somaxconn": "1024"})),
    ({"pid": "host", "shm_size": "128m"}, dict(pid_mode="host", shm_size=128 * 1024 ** 2)),
    ({"dns": ["1.1.1.1"], "dns_search": ["example.org"], "extra_hosts": ["db:10.0.0.2"]},
     dict(dns_servers=["1.1.1.1"], dns_search_domains=["example.org"], etc_hosts={"db": "10.0.0.2"})),
])
def test_mapping(service, expected):
    top = dict(networks={"front": {}, "back": {}}, volumes={"data": {}})
    params = params_of(service, **top)
    for option, value in expected.items():
        if option == "labels":  # the service's own labels, among Compose's
            assert dict((k, params[option][k]) for k in value) == value
        else:
            assert params[option] == value, option
    assert set(params) <= set(name for name, _value in OPTION_MAP) | {"name"}
    given = dict((k, v) for k, v in params.items() if k in OPTION_BY_NAME)
    parse_options(given)  # every value is one the container option table accepts


def test_the_mapping_names_only_options_of_the_container_table():
    names = [name for name, _value in OPTION_MAP]
    assert len(names) == len(set(names))
    assert set(names) - set(OPTION_BY_NAME) <= set(PENDING_OPTIONS)


def test_service_references_become_container_references():
    project = load_project(project_src="/p", project_name="proj", environ={}, definition={"services": {
        "vpn": {"image": "x"}, "app": {"image": "x", "network_mode": "service:vpn", "pid": "service:vpn"}}})
    params = container_params(project, "app")
    assert (params["network_mode"], params["pid_mode"]) == ("container:proj-vpn-1", "container:proj-vpn-1")
    assert "networks" not in params
    assert project.order == ("vpn", "app")


def test_labels_and_replicas():
    project = load_project(project_src="/p", project_name="proj", environ={}, definition={"services": {
        "db": {"image": "x"}, "web": {"image": "x", "scale": 2, "labels": {"mine": "1"},
                                      "depends_on": {"db": {"condition": "service_healthy", "restart": True}}}}})
    second = container_params(project, "web", 2, image_id="sha256:abc", compose_version="2.40.3")
    assert second["name"] == "proj-web-2"
    assert second["labels"] == {
        "mine": "1",
        "com.docker.compose.project": "proj",
        "com.docker.compose.service": "web",
        "com.docker.compose.container-number": "2",
        "com.docker.compose.oneoff": "False",
        "com.docker.compose.project.working_dir": "/p",
        "com.docker.compose.project.config_files": "",
        "com.docker.compose.config-hash": service_hash(project.services["web"]),
        "com.docker.compose.depends_on": "db:service_healthy:true",
        "com.docker.compose.image": "sha256:abc",
        "com.docker.compose.version": "2.40.3",
    }
    with pytest.raises(ComposeError) as info:
        container_params(project, "web", 3)
    assert str(info.value) == "compose: services.web: replica 3 of 2 does not exist"


@pytest.mark.parametrize("service, message", [
    ({"container_name": "c", "scale": 2}, "services.s.container_name: a service with container_name cannot have more than one replica"),
    ({"volumes": ["/h:/c:rshared"]}, "services.s.volumes: bind propagation (rshared) is not supported by kapal.docker"),
    ({"volumes": ["/h:/c:z"]}, "services.s.volumes: the SELinux relabel option z is not supported by kapal.docker"),
    ({"volumes": ["data:/c:nocopy"]}, "services.s.volumes: nocopy is not supported by kapal.docker"),
    ({"extra_hosts": ["a:1.1.1.1", "a:2.2.2.2"]}, "services.s.extra_hosts: more than one address for a"),
])
def test_mapping_refuses_what_kapal_cannot_apply(service, message):
    with pytest.raises(ComposeError) as info:
        params_of(service, volumes={"data": {}})
    assert message in str(info.value)


def test_webapp_fixture_as_container_parameters():
    src = os.path.join(FIXTURES, "webapp")
    project = load_project(project_src=src, environ={"FROM_ENV": "x"})
    web = container_params(project, "web")
    assert web["name"] == container_name(project, project.services["web"]) == "webapp-web-1"
    assert web["volumes"] == [os.path.join(src, "www") + ":/www:ro", "webapp_data:/data"]
    assert web["published_ports"] == ["127.0.0.1:19090:9090/tcp", "18080:8080/tcp"]
    assert [n["name"] for n in web["networks"]] == ["webapp_back", "webapp_front"]
    assert web["labels"]["com.docker.compose.project.config_files"] == ",".join(
        os.path.join(src, f) for f in ("compose.yaml", "compose.override.yaml"))
    assert network_params(project, "back") == dict(
        name="webapp_back", driver="bridge", internal=False, attachable=False,
        labels={"com.docker.compose.network": "back", "com.docker.compose.project": "webapp"})
    assert volume_params(project, "data") == dict(
        name="webapp_data", labels={"com.docker.compose.volume": "data", "com.docker.compose.project": "webapp"})


def test_external_resources_are_not_managed():
    project = project_of({"volumes": ["shared:/s"], "networks": ["outside"]},
                         volumes={"shared": {"external": True}}, networks={"outside": {"external": {"name": "real"}}})
    assert volume_params(project, "shared") is None and network_params(project, "outside") is None
    assert container_params(project, "s")["volumes"] == ["shared:/s"]
    assert container_params(project, "s")["networks"][0]["name"] == "real"


# -- com.docker.compose.config-hash: the values Docker Compose 2.40.3 wrote for these files ---------------

@pytest.mark.parametrize("fixture, service, expected", [
    ("h1.yaml", "web", "19fc65cabfd05d8ef348bf68e90744730a61be9223c6e5d3e3f008f9bb39fe1b"),
    ("h1.yaml", "db", "b361e6e7973fd5b7fe2ca28f253b1a56e703173533560f7d9d116d17d679bb31"),
    ("h2.yaml", "only", "727475cd109d4ded1e85f42ea4832743bcce5cd6fb7f2f79bffb03f0f5160d21"),
])
def test_config_hash_is_compose_s(fixture, service, expected):
    project = load_project(files=[os.path.join(FIXTURES, "hash", fixture)], project_name="p", environ={})
    assert service_hash(project.services[service]) == expected


def test_config_hash_after_env_file_resolution():
    # Compose hashes the environment it resolved: env_file read in, bare names from the host, the env_file dropped.
    project = load_project(project_src=os.path.join(FIXTURES, "hash", "envfile"), project_name="p", environ={"HOSTVAR": "host"})
    app = project.services["app"]
    assert app.environment == {"A": "override", "B": "c-x", "HOSTVAR": "host", "C": "c"}
    assert app.labels == {"b": "", "c": "1"}
    assert service_hash(app) == "498cf38a803d38aa84c3712c95f373eacbba199049e504ffbcac7ccb5f73c16c"


def test_config_hash_ignores_what_compose_leaves_out():
    base = project_of({"ports": ["80"]}).services["s"]
    same = project_of({"ports": ["80"], "depends_on": [], "profiles": ["x"], "scale": 1, "pull_policy": "always",
                       "build": ".", "image": "img"}, profiles=["x"]).services["s"]
    other = project_of({"ports": ["81"]}).services["s"]
    assert service_hash(base) != service_hash(other)
    assert service_hash(same) == service_hash(base)


@pytest.mark.parametrize("nanoseconds, text", [
    (0, "0s"), (1, "1ns"), (1500, "1.5\u00b5s"), (500 * 10 ** 6, "500ms"), (1500 * 10 ** 6, "1.5s"), (90 * 10 ** 9, "1m30s"),
    (3600 * 10 ** 9, "1h0m0s"), (3661 * 10 ** 9 + 5 * 10 ** 8, "1h1m1.5s"),
])
def test_go_duration(nanoseconds, text):
    assert go_duration(nanoseconds) == text


@pytest.mark.parametrize("value, text", [(0.5, "0.5"), (2, "2"), (1.1, "1.1"), (0.25, "0.25"), (0.1, "0.1"), (1e-7, "1e-07")])
def test_go_float32(value, text):
    assert go_float32(value) == text


@pytest.mark.parametrize("cpus, nano", [
    (0.5, 500000000), (1.1, 1100000000), (0.1, 100000000), (1 / 3.0, 333333344), (2, 2000000000),
])
def test_nano_cpus_as_compose_computes_them(cpus, nano):
    assert nano_cpus(cpus) == nano
