"""The Compose reader: files as users write them in, the frozen project model out; bad files fail in one line."""

import os

import pytest

from ansible_collections.kapal.docker.plugins.module_utils._compose.load import load_project, merge, parse_yaml
from ansible_collections.kapal.docker.plugins.module_utils._compose.model import (
    Build,
    ComposeError,
    Dependency,
    FileMount,
    Healthcheck,
    MountSpec,
    PortSpec,
    ServiceNetwork,
    normalize_project_name,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "compose")


def fixture(name):
    return os.path.join(FIXTURES, name)


def write(tmp_path, files):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return str(tmp_path)


# -- a web service and a database-like service, override file, .env -------------------------------

def test_webapp_project():
    project = load_project(project_src=fixture("webapp"), environ={"FROM_ENV": "from the host"})
    web, db = project.services["web"], project.services["db"]
    assert project.name == "webapp"
    assert project.order == ("db", "web")
    assert project.config_files == (fixture("webapp/compose.yaml"), fixture("webapp/compose.override.yaml"))
    assert project.working_dir == fixture("webapp")
    assert project.warnings == ()
    assert web.image == "kapal-test/busybox:latest"
    assert web.command == ("httpd", "-f", "-p", "8080", "-h", "/www")
    assert web.environment == {"GREETING": "hello world", "EMPTY": "", "FROM_ENV": "from the host", "EXTRA": "1"}
    assert web.ports == (PortSpec(8080, "18080"), PortSpec(9090, "19090", "127.0.0.1"))
    assert web.volumes == (
        MountSpec("bind", "/www", fixture("webapp/www"), read_only=True),
        MountSpec("volume", "/data", "data"),
        MountSpec("tmpfs", "/cache", tmpfs_size=64 * 1024 ** 2),
    )
    assert web.networks == (ServiceNetwork("back"), ServiceNetwork("front", aliases=("site",)))
    assert web.depends_on == (Dependency("db", "service_healthy"),)
    assert web.healthcheck == Healthcheck(("CMD", "wget", "-q", "-O-", "http://localhost:8080/"),
                                          interval=10 * 10 ** 9, timeout=3 * 10 ** 9, start_period=90 * 10 ** 9, retries=5)
    assert web.restart == ("unless-stopped", 0)
    assert web.labels == {"tier": "app"}
    assert (web.memory, web.cpus, web.stop_grace_period) == (128 * 1024 ** 2, 0.5, 20 * 10 ** 9)
    assert db.command == ("sleep", "60")  # compose.override.yaml replaces it
    assert db.environment == {"DB_PASSWORD": "s3cr$t", "COST": "$5"}
    assert db.healthcheck == Healthcheck(("CMD-SHELL", "test -f /data/ready"), interval=2 * 10 ** 9)
    assert (db.memory, db.cpus) == (64 * 1024 ** 2, 0.25)  # deploy.resources.limits
    assert sorted(project.networks) == ["back", "front"]
    assert project.networks["back"].name == "webapp_back" and project.networks["back"].driver == "bridge"
    assert project.volumes["data"].name == "webapp_data"


def test_the_hosts_environment_wins_over_dotenv_and_names_the_project():
    project = load_project(project_src=fixture("webapp"),
                           environ={"FROM_ENV": "x", "USER_NAME": "ignored", "TAG": "v2", "PROJECT": "Other Name!"})
    assert project.name == "othername"
    assert project.services["web"].image == "kapal-test/busybox:v2"
    # USER_NAME in .env is exported before GREETING, but the host's value wins for the project environment;
    # inside .env interpolation the host's value is looked up first too.
    assert project.services["web"].environment["GREETING"] == "hello ignored"


def test_env_files_replace_the_default_dotenv(tmp_path):
    env = tmp_path / "other.env"
    env.write_text("GREETING=hi\n")
    project = load_project(project_src=fixture("webapp"), env_files=[str(env)], environ={"FROM_ENV": "x"})
    assert project.services["web"].environment["GREETING"] == "hi"
    assert project.services["web"].ports[0] == PortSpec(8080, "18080")  # ${WEB_PORT:-18080}
    assert 'The "DB_PASSWORD" variable is not set. Defaulting to a blank string.' in project.warnings


def test_a_required_variable_without_a_value_fails_naming_file_and_place(tmp_path):
    with pytest.raises(ComposeError) as info:
        load_project(project_src=fixture("webapp"), env_files=[], environ={})
    assert str(info.value) == ("compose: %s: services.web.environment[0]: required variable GREETING is missing a value: "
                               "set GREETING in .env" % fixture("webapp/compose.yaml"))


def test_selected_services_pull_in_their_dependencies():
    project = load_project(project_src=fixture("webapp"), services=["web"], environ={})
    assert project.order == ("db", "web")
    project = load_project(project_src=fixture("webapp"), services=["db"], environ={})
    assert project.order == ("db",) and project.disabled == ("web",)


# -- profiles -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("profiles, services, environ, expected", [
    (None, None, {}, ("app", "worker")),
    (["debug"], None, {}, ("app", "debug", "tools", "worker")),
    (["tools"], None, {}, ("app", "tools", "worker")),
    (["*"], None, {}, ("app", "debug", "tools", "worker")),
    (None, None, {"COMPOSE_PROFILES": "tools"}, ("app", "tools", "worker")),
    ([], ["debug"], {}, ("app", "debug")),  # a selected service enables its own profiles
    (None, ["worker"], {}, ("app", "worker")),
])
def test_profiles(profiles, services, environ, expected):
    project = load_project(project_src=fixture("profiles"), profiles=profiles, services=services, environ=environ)
    assert project.order == expected


# -- build ------------------------------------------------------------------------------------------------

def test_build_section():
    project = load_project(project_src=fixture("build"), environ={"FROM_ENV": "host"})
    app, plain = project.services["app"], project.services["plain"]
    assert app.build == Build(context=fixture("build/app"), dockerfile="Dockerfile.prod",
                              args={"VERSION": "1.0", "FROM_ENV": "host"}, target="runtime",
                              labels={"org.example.team": "web"})
    assert app.image is None
    assert plain.build == Build(context=fixture("build/app"))
    assert plain.image == "example/plain:1"
    assert project.name == "build"
    assert project.config_files == (fixture("build/docker-compose.yml"),)


# -- extends ----------------------------------------------------------------------------------------------

def test_extends_from_another_file_and_the_same_file():
    project = load_project(project_src=fixture("extends"), environ={})
    api, worker = project.services["api"], project.services["worker"]
    assert api.command == ("serve",)
    assert api.environment == {"LOG": "debug", "ROLE": "api"}
    assert api.volumes == (MountSpec("bind", "/data", fixture("extends/common/data")),)  # relative to base.yaml
    assert api.labels == {"team": "core"}
    assert api.ports == (PortSpec(80, "8081"),)
    assert worker.command == ("worker",)
    assert worker.environment == {"LOG": "debug", "ROLE": "worker"}
    assert worker.ports == (PortSpec(80, "8081"),)


# -- inline definition, names ---------------------------------------------------------------------------

def test_inline_definition_with_secrets_configs_and_defaults(tmp_path):
    write(tmp_path, {"token.txt": "t", "app.conf": "c"})
    project = load_project(project_src=str(tmp_path), project_name="demo", environ={}, definition={
        "services": {"app": {"image": "x", "secrets": ["token"], "configs": [{"source": "conf", "target": "/etc/app.conf"}],
                             "network_mode": "host", "deploy": {"replicas": 2}}},
        "secrets": {"token": {"file": "./token.txt"}},
        "configs": {"conf": {"file": "app.conf"}},
    })
    app = project.services["app"]
    assert app.secrets == (FileMount("token", "/run/secrets/token"),)
    assert app.configs == (FileMount("conf", "/etc/app.conf"),)
    assert project.secrets["token"].file == str(tmp_path / "token.txt")
    assert app.networks == () and app.network_mode == "host" and app.scale == 2
    assert project.networks == {}  # no service uses the default network
    assert project.config_files == ()


@pytest.mark.parametrize("text, expected", [
    ("My-Project", "my-project"), ("__web.app 2", "webapp2"), ("ok_name", "ok_name"), ("-x", "x"),
])
def test_normalize_project_name(text, expected):
    assert normalize_project_name(text) == expected


def test_project_name_precedence(tmp_path):
    src = write(tmp_path / "Some Dir", {"compose.yaml": "name: from-file\nservices: {a: {image: x}}\n"})
    assert load_project(project_src=src, environ={}).name == "from-file"
    assert load_project(project_src=src, environ={"COMPOSE_PROJECT_NAME": "from-env"}).name == "from-env"
    assert load_project(project_src=src, project_name="given", environ={"COMPOSE_PROJECT_NAME": "x"}).name == "given"
    src = write(tmp_path / "Some Dir2", {"compose.yml": "services: {a: {image: '${COMPOSE_PROJECT_NAME}'}}\n"})
    project = load_project(project_src=src, environ={})
    assert project.name == "somedir2" and project.services["a"].image == "somedir2"
    with pytest.raises(ComposeError) as info:
        load_project(project_src=src, project_name="Bad Name", environ={})
    assert "project_name: invalid project name 'Bad Name'" in str(info.value)


def test_default_files_are_picked_as_compose_picks_them(tmp_path):
    src = write(tmp_path, {
        "compose.yaml": "services: {a: {image: one}}\n",
        "docker-compose.yml": "services: {a: {image: two}}\n",
        "docker-compose.override.yml": "services: {a: {image: three}}\n",
    })
    project = load_project(project_src=src, environ={})
    assert [os.path.basename(f) for f in project.config_files] == ["compose.yaml", "docker-compose.override.yml"]
    assert project.services["a"].image == "three"


# -- short and long syntax ----------------------------------------------------------------------------

@pytest.mark.parametrize("key, value, attribute, expected", [
    ("ports", ["80"], "ports", (PortSpec(80),)),
    ("ports", [80, "53:53/udp"], "ports", (PortSpec(80), PortSpec(53, "53", protocol="udp"))),
    ("ports", ["127.0.0.1::80"], "ports", (PortSpec(80, "", "127.0.0.1"),)),
    ("ports", ["[::1]:8080:80"], "ports", (PortSpec(80, "8080", "::1"),)),
    ("ports", ["9000-9001:90-91"], "ports", (PortSpec(90, "9000"), PortSpec(91, "9001"))),
    ("ports", ["8000-8010:80"], "ports", (PortSpec(80, "8000-8010"),)),
    ("ports", [{"target": "80", "published": 8080}], "ports", (PortSpec(80, "8080"),)),
    ("volumes", ["/var/lib/x"], "volumes", (MountSpec("volume", "/var/lib/x"),)),
    ("volumes", ["data:/data:ro,nocopy"], "volumes", (MountSpec("volume", "/data", "data", read_only=True, nocopy=True),)),
    ("volumes", ["./d/../e:/e/"], "volumes", (MountSpec("bind", "/e", "/p/e"),)),
    ("volumes", ["~/x:/x"], "volumes", (MountSpec("bind", "/x", "/home/u/x"),)),
    ("volumes", [{"type": "bind", "source": "/h", "target": "/c", "bind": {"create_host_path": False}}], "volumes",
     (MountSpec("bind", "/c", "/h", create_host_path=False),)),
    ("volumes", [{"type": "tmpfs", "target": "/t", "tmpfs": {"size": 1024, "mode": 1777}}], "volumes",
     (MountSpec("tmpfs", "/t", tmpfs_size=1024, tmpfs_mode=1777),)),
    ("environment", {"A": 1, "B": True, "C": None, "HOST": None}, "environment", {"A": "1", "B": "true", "HOST": "h"}),
    ("environment", ["A=1=2", "HOST"], "environment", {"A": "1=2", "HOST": "h"}),
    ("labels", ["a=1", "b"], "labels", {"a": "1", "b": ""}),
    ("networks", {"n": {"aliases": ["x"], "ipv4_address": "10.0.0.5", "priority": 10}, "m": None}, "networks",
     (ServiceNetwork("n", ("x",), "10.0.0.5", 10), ServiceNetwork("m"))),
    ("depends_on", {"a": {"condition": "service_completed_successfully", "restart": True}}, "depends_on",
     (Dependency("a", "service_completed_successfully", True, True),)),
    ("depends_on", ["a"], "depends_on", (Dependency("a"),)),
    ("command", "sh -c 'echo hi there'", "command", ("sh", "-c", "echo hi there")),
    ("entrypoint", [], "entrypoint", ()),
    ("healthcheck", {"disable": True}, "healthcheck", Healthcheck(("NONE",))),
    ("healthcheck", {"test": ["NONE"]}, "healthcheck", Healthcheck(("NONE",))),
    ("restart", "on-failure:3", "restart", ("on-failure", 3)),
    ("deploy", {"restart_policy": {"condition": "any", "max_attempts": 2}}, "restart", ("always", 2)),
    ("extra_hosts", ["db:10.0.0.2", "v6=::1"], "extra_hosts", (("db", "10.0.0.2"), ("v6", "::1"))),
    ("extra_hosts", {"db": "10.0.0.2"}, "extra_hosts", (("db", "10.0.0.2"),)),
    ("ulimits", {"nofile": {"soft": 1024, "hard": 2048}, "nproc": 65535}, "ulimits",
     {"nofile": (1024, 2048), "nproc": (65535, 65535)}),
    ("devices", ["/dev/fuse", "/dev/a:/dev/b:r"], "devices", ("/dev/fuse:/dev/fuse:rwm", "/dev/a:/dev/b:r")),
    ("dns", "1.1.1.1", "dns", ("1.1.1.1",)),
    ("sysctls", ["net.core.somaxconn=1024"], "sysctls", {"net.core.somaxconn": "1024"}),
    ("read_only", "true", "read_only", True),
    ("cpus", "1.5", "cpus", 1.5),
    ("shm_size", "1g", "shm_size", 1024 ** 3),
    ("stop_grace_period", "1m30s", "stop_grace_period", 90 * 10 ** 9),
])
def test_service_syntax(key, value, attribute, expected):
    definition = {"services": {"s": {"image": "x", key: value}, "a": {"image": "x"}},
                  "networks": {"n": {}, "m": {}}, "volumes": {"data": {}}}
    project = load_project(project_src="/p", project_name="p", definition=definition,
                           environ={"HOST": "h", "HOME": "/home/u"})
    assert getattr(project.services["s"], attribute) == expected


# -- the merge rules ----------------------------------------------------------------------------------

@pytest.mark.parametrize("base, override, expected", [
    ({"image": "a", "user": "x"}, {"image": "b"}, {"image": "b", "user": "x"}),
    ({"dns": ["1.1.1.1"]}, {"dns": ["8.8.8.8", "1.1.1.1"]}, {"dns": ["1.1.1.1", "8.8.8.8"]}),
    ({"command": ["echo", "foo"]}, {"command": ["echo", "bar"]}, {"command": ["echo", "bar"]}),
    ({"environment": {"A": "1", "B": "2"}}, {"environment": {"B": "3"}}, {"environment": {"A": "1", "B": "3"}}),
    ({"volumes": [{"type": "volume", "source": "foo", "target": "/work"}]},
     {"volumes": [{"type": "volume", "source": "bar", "target": "/work"}]},
     {"volumes": [{"type": "volume", "source": "bar", "target": "/work"}]}),
    ({"ports": [{"target": 80, "published": "8080", "protocol": "tcp"}]},
     {"ports": [{"target": 443, "published": "8443", "protocol": "tcp"}]},
     {"ports": [{"target": 80, "published": "8080", "protocol": "tcp"}, {"target": 443, "published": "8443", "protocol": "tcp"}]}),
    ({"healthcheck": {"test": ["CMD", "a"], "interval": "5s"}}, {"healthcheck": {"test": ["CMD", "b"]}},
     {"healthcheck": {"test": ["CMD", "b"], "interval": "5s"}}),
    ({"logging": {"driver": "json-file", "options": {"max-size": "1m"}}}, {"logging": {"driver": "syslog"}},
     {"logging": {"driver": "syslog"}}),
    ({"logging": {"driver": "json-file", "options": {"max-size": "1m"}}}, {"logging": {"options": {"max-file": "2"}}},
     {"logging": {"driver": "json-file", "options": {"max-size": "1m", "max-file": "2"}}}),
    ({"networks": {"a": None}}, {"networks": {"a": {"aliases": ["x"]}, "b": None}},
     {"networks": {"a": {"aliases": ["x"]}, "b": None}}),
])
def test_merge_rules(base, override, expected):
    assert merge({"services": {"s": base}}, {"services": {"s": override}}) == {"services": {"s": expected}}


def test_reset_and_override_tags(tmp_path):
    src = write(tmp_path, {
        "compose.yaml": "services:\n  app:\n    image: a\n    ports: ['8080:80']\n    environment: {FOO: bar, KEEP: k}\n",
        "compose.override.yaml": "services:\n  app:\n    ports: !override ['8443:443']\n    environment:\n      FOO: !reset null\n",
    })
    app = load_project(project_src=src, environ={}).services["app"]
    assert app.ports == (PortSpec(443, "8443"),)
    assert app.environment == {"KEEP": "k"}


def test_yaml_is_read_as_compose_reads_it():
    (document,) = parse_yaml("a: 22:22\nb: on\nc: yes\nd: 0o17\ne: 2001-01-01\nf: 1.5\ng: ~\nh: TRUE\n", "f.yaml")
    assert document == {"a": "22:22", "b": "on", "c": "yes", "d": 15, "e": "2001-01-01", "f": 1.5, "g": None, "h": True}


# -- bad files: one line naming the file and the place -------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("services:\n  web:\n    image: x\n   bad: indent\n", "compose.yaml: line 4, column 4:"),
    ("services:\n  web:\n    image: x\n    image: y\n", "compose.yaml: line 4, column 5: mapping key 'image' already defined"),
    ("services:\n  web:\n    image: x\n    imgae: y\n", "compose.yaml: services.web.imgae: unknown key 'imgae'"),
    ("services:\n  web:\n    image: x\n    security_opt: [a]\n",
     "compose.yaml: services.web.security_opt: security_opt is not supported by kapal.docker"),
    ("services:\n  web:\n    image: x\n    healthcheck: {start_interval: 1s}\n",
     "compose.yaml: services.web.healthcheck.start_interval: start_interval is not supported by kapal.docker"),
    ("include: [a.yaml]\nservices: {}\n", "compose.yaml: include: include is not supported by kapal.docker"),
    ("services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [c]}\n  c: {image: x, depends_on: [a]}\n",
     "depends_on: dependency cycle: a -> b -> c -> a"),
    ("services:\n  a: {image: x, depends_on: [nope]}\n", "compose.yaml: services.a.depends_on: depends on undefined service nope"),
    ("services:\n  a: {image: x, networks: [nope]}\n", "compose.yaml: services.a.networks: refers to undefined network nope"),
    ("services:\n  a: {image: x, volumes: ['nope:/data']}\n", "compose.yaml: services.a.volumes: refers to undefined volume nope"),
    ("services:\n  a: {image: '${NEED?}'}\n", "compose.yaml: services.a.image: required variable NEED is missing a value"),
    ("services:\n  a: {image: 'x:${TAG'}\n", "compose.yaml: services.a.image: invalid interpolation format"),
    ("services:\n  a: {image: x, ports: ['80:80:80:80']}\n", "compose.yaml: services.a.ports[0]: invalid host address '80:80' in port '80:80:80:80'"),
    ("services:\n  a: {image: x, ports: ['70000:80']}\n", "compose.yaml: services.a.ports[0]: port out of range"),
    ("services:\n  a: {image: x, restart: sometimes}\n", "compose.yaml: services.a.restart: expected no, always"),
    ("services:\n  a: {image: x, mem_limit: lots}\n", "compose.yaml: services.a.mem_limit: expected a size"),
    ("services:\n  a: {command: x}\n", "compose.yaml: services.a: the service has neither an image nor a build section"),
    ("services:\n  a: {image: x, extends: nope}\n", "compose.yaml: services.a.extends: no service nope in"),
    ("services:\n  a: {image: x, extends: b}\n  b: {image: x, extends: a}\n", "circular extends"),
    ("services:\n  a: {image: x, depends_on: {b: {condition: service_ready}}}\n  b: {image: x}\n",
     "compose.yaml: services.a.depends_on.b.condition: expected one of service_started"),
    ("- a\n- b\n", "compose.yaml: the top level must be a mapping, got a list"),
    ("services:\n  a: {image: x, network_mode: host, networks: [n]}\nnetworks: {n: {}}\n",
     "compose.yaml: services.a.network_mode: network_mode and networks cannot be given together"),
    ("services:\n  a: {image: x, secrets: [s]}\nsecrets: {s: {environment: TOKEN}}\n",
     "compose.yaml: secrets.s.environment: environment is not supported by kapal.docker"),
    ("services: {}\n", "services: the project defines no services"),
])
def test_bad_files_fail_in_one_line(tmp_path, text, message):
    src = write(tmp_path, {"compose.yaml": text})
    with pytest.raises(ComposeError) as info:
        load_project(project_src=src, environ={})
    assert message in str(info.value)
    assert str(info.value).startswith("compose: ") and "\n" not in str(info.value)


def test_missing_inputs_fail_in_one_line(tmp_path):
    with pytest.raises(ComposeError) as info:
        load_project(project_src=str(tmp_path), environ={})
    assert str(info.value) == "compose: project_src: no compose.yaml / compose.yml / docker-compose.yml / docker-compose.yaml in %s" % tmp_path
    with pytest.raises(ComposeError) as info:
        load_project(files=["compose.yaml"], environ={})
    assert "files: relative paths need project_src" in str(info.value)
    with pytest.raises(ComposeError) as info:
        load_project(files=[str(tmp_path / "nope.yaml")], environ={})
    assert "files: cannot read %s: no such file or directory" % (tmp_path / "nope.yaml") in str(info.value)
    with pytest.raises(ComposeError) as info:
        load_project(project_src=str(tmp_path), definition={"services": {"a": {"image": "x", "env_file": "missing.env"}}},
                     environ={})
    assert "env_file: no such file: %s" % (tmp_path / "missing.env") in str(info.value)


def test_env_file_under_environment(tmp_path):
    src = write(tmp_path, {
        "app.env": "A=from-file\nB=${PROJECT_VAR}-${C}\nexport D='quoted # kept'\nUNSET_HERE=1\n",
        "raw.env": "R=$not ${interpolated}\n",
        "compose.yaml": ("services:\n  app:\n    image: x\n    env_file: [app.env, {path: raw.env, format: raw},"
                         " {path: missing.env, required: false}]\n    environment: {A: from-environment, C: c, UNSET_HERE: null}\n"),
        ".env": "PROJECT_VAR=p\n",
    })
    app = load_project(project_src=src, environ={}).services["app"]
    assert app.environment == {"A": "from-environment", "B": "p-c", "C": "c", "D": "quoted # kept",
                               "R": "$not ${interpolated}"}
