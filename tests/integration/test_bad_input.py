"""Bad input, across the modules: every case fails with one line that names the option and the
value it refused, never with a traceback, and leaves the engine as it was.

Each case is (module, arguments, option named in the message, value named in the message). The
engine is snapshotted (ids of containers, images, volumes and networks whose names carry this
file's prefix and this process's token) before and after, so a bad value that half-creates
something is caught, and the objects of tests running at the same time (test_faults.py and
test_secrets.py share the prefix; another xdist worker runs this file with its own token) are not.
"""

import os
import uuid

import pytest

from tests.integration.conftest import run_module

PREFIX = "kapal-it-rel-"
TOKEN = uuid.uuid4().hex[:8]
CTR = "%sbad-%s" % (PREFIX, TOKEN)
MISSING = "/nonexistent/%sbad-%s" % (PREFIX, TOKEN)
BUSYBOX = "kapal-test/busybox:latest"


def _container(**options):
    args = dict(name=CTR, image=BUSYBOX, command="sleep 3600", network_mode="none")
    args.update(options)
    return args


def _build(context, **options):
    args = dict(path=context, name="%sbad-%s/built" % (PREFIX, TOKEN))
    args.update(options)
    return args


CONTEXT = "@context"  # replaced by the build context directory the fixture makes

CASES = [
    # container: ports
    ("container", _container(published_ports=["abc"]), "published_ports", "'abc'"),
    ("container", _container(published_ports=["70000:80"]), "published_ports", "'70000:80'"),
    ("container", _container(published_ports=["80:80/sctp2"]), "published_ports", "'80:80/sctp2'"),
    ("container", _container(published_ports=["999.1.1.1:18111:80"]), "published_ports", "'999.1.1.1'"),
    ("container", _container(published_ports=["1-3:1-2"]), "published_ports", "'1-3:1-2'"),
    ("container", _container(published_ports=["::80"]), "published_ports", "'::80'"),
    # container: volumes
    ("container", _container(volumes=["/host:"]), "volumes", "'/host:'"),
    ("container", _container(volumes=["./data:/x"]), "volumes", "'./data:/x'"),
    ("container", _container(volumes=["data:relative"]), "volumes", "'data:relative'"),
    ("container", _container(volumes=["/a:/b:rx"]), "volumes", "'/a:/b:rx'"),
    ("container", _container(volumes=["/a:/x", "/b:/x"]), "volumes", "'/x'"),
    # container: image references
    ("container", _container(image="UPPER"), "image", "'UPPER'"),
    ("container", _container(image="a//b"), "image", "'a//b'"),
    ("container", _container(image="busybox:-bad"), "image", "busybox:-bad"),
    # container: sizes, cpus
    ("container", _container(memory="12x"), "memory", "'12x'"),
    ("container", _container(memory="-1m"), "memory", "'-1m'"),
    ("container", _container(cpus="lots"), "cpus", "'lots'"),
    ("container", _container(cpus="-2"), "cpus", "'-2'"),
    # container: maps of strings
    ("container", _container(env={"A": {"b": 1}}), "env", "{'b': 1}"),
    ("container", _container(env={"LIST": [1, 2]}), "env", "[1, 2]"),
    ("container", _container(labels={"a": {"b": 1}}), "labels", "{'b': 1}"),
    ("container", _container(log_options={"max-size": ["1m"]}), "log_options", "['1m']"),
    # container: choices, names, files
    ("container", _container(restart_policy="sometimes"), "restart_policy", "sometimes"),
    ("container", _container(state="paused"), "state", "paused"),
    ("container", _container(networks=[dict(name=PREFIX + "no-such-network")], network_mode=None),
     "networks", PREFIX + "no-such-network"),
    ("container", _container(env_file=MISSING + ".env"), "env_file", MISSING + ".env"),
    ("container", _container(comparisons={"nope": "strict"}), "comparisons", "nope"),
    ("container", _container(stop_timeout="soon"), "stop_timeout", "soon"),
    ("container", _container(healthcheck=dict(test="true", interval="often")), "interval", "often"),
    # containers: the same parsers, one entry of many
    ("containers", dict(containers=[_container(memory="12x")]), "memory", "'12x'"),
    ("containers", dict(containers=[_container(published_ports=["abc"])]), "published_ports", "'abc'"),
    # image_build
    ("image_build", _build(CONTEXT, build_args={"A": {"b": 1}}), "build_args", "{'b': 1}"),
    ("image_build", _build(CONTEXT, build_args={"A": [1]}), "build_args", "[1]"),
    ("image_build", _build(CONTEXT, labels={"a": [1]}), "labels", "[1]"),
    ("image_build", _build(MISSING), "path", MISSING),
    ("image_build", _build(CONTEXT, name="UPPER"), "name", "UPPER"),
    ("image_build", _build(CONTEXT, dockerfile="kapal-missing.Dockerfile"), "dockerfile", "kapal-missing.Dockerfile"),
    ("image_build", _build(CONTEXT, rebuild="sometimes"), "rebuild", "sometimes"),
    # image_pull / image_push / image_remove / image_import / image_info
    ("image_pull", dict(name="UPPER"), "name", "UPPER"),
    ("image_pull", dict(name="a//b"), "name", "a//b"),
    ("image_pull", dict(name="busybox", tag="-bad"), "tag", "-bad"),
    ("image_push", dict(name="a//b"), "name", "a//b"),
    ("image_push", dict(name=BUSYBOX, repository="UPPER/x"), "repository", "UPPER/x"),
    ("image_remove", dict(name="a//b"), "name", "a//b"),
    ("image_import", dict(path=MISSING + ".tar", name="%sbad-%s/imported:1" % (PREFIX, TOKEN)), "path", MISSING + ".tar"),
    ("image_import", dict(path=CONTEXT, name="UPPER"), "name", "UPPER"),
    ("image_info", dict(filters={"kapal_unknown": "x"}), "filters", "kapal_unknown"),
    ("image_info", dict(name=["a//b"]), "name", "a//b"),
    # container_info, container_exec
    ("container_info", dict(filters={"kapal_unknown": "x"}), "filters", "kapal_unknown"),
    ("container_exec", dict(container=PREFIX + "no-such-container", command="true"), "container", PREFIX + "no-such-container"),
    # volume, network
    ("volume", dict(name="bad name!"), "name", "bad name!"),
    ("volume", dict(name=PREFIX + "vol-" + TOKEN, labels={"a": {"b": 1}}), "labels", "{'b': 1}"),
    ("volume", dict(name=PREFIX + "vol-" + TOKEN, driver_options={"a": [1]}), "driver_options", "[1]"),
    ("network", dict(name=PREFIX + "net-" + TOKEN, ipam_config=[dict(subnet="not-a-subnet")]), "subnet", "not-a-subnet"),
    ("network", dict(name=PREFIX + "net-" + TOKEN, labels={"a": {}}), "labels", "{}"),
    # engine connection
    ("engine_info", dict(docker_host="ftp://kapal-it-rel"), "docker_host", "ftp://kapal-it-rel"),
    ("engine_info", dict(timeout="forever"), "timeout", "forever"),
]

CHECK_MODE_CASES = [c for c in CASES if c[0] in ("container", "image_build", "volume", "network")][::3]


def _ids(cases):
    return ["%s-%d-%s" % (c[0], i, c[2]) for i, c in enumerate(cases)]


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    path = tmp_path_factory.mktemp("kapal-it-rel-context")
    (path / "Dockerfile").write_text("FROM %s\n" % BUSYBOX)
    return str(path)


def _named(names):
    return any(PREFIX in (n or "") and TOKEN in (n or "") for n in names)


def snapshot(docker_api):
    """Ids of everything on the engine whose name carries this file's prefix and this process's token."""
    return dict(
        containers=sorted(c["Id"] for c in docker_api.containers(all=True) if _named(c.get("Names") or [])),
        images=sorted(i["Id"] for i in docker_api.images() if _named(i.get("RepoTags") or [])),
        volumes=sorted(v["Name"] for v in docker_api.volumes().get("Volumes") or [] if _named([v["Name"]])),
        networks=sorted(n["Id"] for n in docker_api.networks() if _named([n["Name"]])),
    )


def _resolve(args, context):
    """Replace the context placeholder, also inside lists of containers; drop None values."""
    out = {}
    for key, value in args.items():
        if value is None:
            continue
        out[key] = context if value == CONTEXT else value
    return out


def _assert_refused(result, option, value):
    assert result.failed, result
    msg = result["msg"]
    assert "\n" not in msg, msg
    assert option in msg, msg
    assert value in msg, msg
    assert "Traceback" not in msg and "Traceback" not in result.stderr, (msg, result.stderr)


@pytest.mark.parametrize("module, args, option, value", CASES, ids=_ids(CASES))
def test_bad_value_fails_in_one_line_and_changes_nothing(docker_api, context, module, args, option, value):
    before = snapshot(docker_api)
    result = run_module(module, _resolve(args, context))
    _assert_refused(result, option, value)
    assert snapshot(docker_api) == before


@pytest.mark.parametrize("module, args, option, value", CHECK_MODE_CASES, ids=_ids(CHECK_MODE_CASES))
def test_bad_value_fails_the_same_in_check_mode(docker_api, context, module, args, option, value):
    before = snapshot(docker_api)
    check = run_module(module, _resolve(args, context), check_mode=True, diff=True)
    _assert_refused(check, option, value)
    real = run_module(module, _resolve(args, context))
    assert check["msg"] == real["msg"]
    assert snapshot(docker_api) == before


def test_the_table_is_broad():
    assert len(CASES) >= 40
    assert len(set(c[0] for c in CASES)) >= 10
    assert not os.path.exists(MISSING)
