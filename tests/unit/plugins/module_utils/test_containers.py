"""The planner, from tables: desired state + inspect answers -> the plan. No engine."""

import pytest

from ansible_collections.kapal.docker.plugins.module_utils._container.apply import ItemResult
from ansible_collections.kapal.docker.plugins.module_utils._container.plan import (
    Desired,
    Plan,
    carry_over,
    create_body,
    diff_of,
    never_ran,
    plan,
    with_carry_over,
)
from ansible_collections.kapal.docker.plugins.module_utils._container.reconcile import Outcome
from ansible_collections.kapal.docker.plugins.module_utils._container.tasks import batch_result, task_result
from ansible_collections.kapal.docker.plugins.module_utils._engine import Engine
from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError, PartialFailure

IMAGE = {"Id": "sha256:new", "RepoTags": ["kapal-test/busybox:latest"], "Config": {"Cmd": ["sh"], "Env": ["PATH=/bin"], "Labels": {"vendor": "kapal"}}}


def container(running=True, image="sha256:new", **host):
    """An inspect answer of a container made from IMAGE with `docker run -d kapal-test/busybox sleep 1d`."""
    host_config = dict(RestartPolicy={"Name": "no", "MaximumRetryCount": 0}, Memory=0, NanoCpus=0,
                       PortBindings={"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}, Binds=["/srv:/data"],
                       NetworkMode="default")
    host_config.update(host)
    return dict(
        Id="0123456789abcdef", Image=image, State={"Running": running},
        Config={"Image": "kapal-test/busybox:latest", "Cmd": ["sleep", "1d"], "Env": ["PATH=/bin", "A=1"],
                "Labels": {"vendor": "kapal", "app": "web"}, "Hostname": "0123456789ab"},
        HostConfig=host_config,
        NetworkSettings={"Networks": {"bridge": {"Aliases": None}}},
    )


def desired(**params):
    params.setdefault("name", "web")
    return Desired.from_params(params)


def recreate_body(d, current, image, old_image, engine_info=None):
    """The create body of a recreate of ``current`` (made from ``old_image``) into ``image``."""
    return create_body(d, image, current, carry_over(d, current, old_image, engine_info))


def run_plan(params, current, image="default"):
    image = IMAGE if image == "default" else image
    d = desired(**params)
    return plan(d, current, image)


CASES = [
    # (id, params, current, action, then, differing options)
    ("create started", dict(image="busybox"), None, "create", "start", []),
    ("create present", dict(image="busybox", state="present"), None, "create", None, []),
    ("absent and gone", dict(state="absent"), None, "none", None, []),
    ("remove", dict(state="absent"), container(), "remove", None, []),
    ("unchanged", dict(image="busybox", command="sleep 1d", env={"A": 1}, published_ports=["8080:80"], volumes=["/srv:/data"],
                       labels={"app": "web"}), container(), "none", None, []),
    ("image cmd unset is no drift", dict(image="busybox"), container(), "none", None, []),
    ("start", dict(image="busybox"), container(running=False), "start", None, []),
    ("stop", dict(state="stopped"), container(), "stop", None, []),
    ("present leaves running", dict(state="present"), container(), "none", None, []),
    ("restart", dict(restart=True), container(), "restart", None, []),
    ("image changed", dict(image="busybox"), container(image="sha256:old"), "recreate", "start", ["image"]),
    ("command changed", dict(command=["sleep", "2d"]), container(), "recreate", "start", ["command"]),
    ("env changed", dict(env={"A": "2"}), container(), "recreate", "start", ["env"]),
    ("env removed key", dict(env={}), container(), "recreate", "start", ["env"]),
    ("port changed", dict(published_ports=["8081:80"]), container(), "recreate", "start", ["published_ports"]),
    ("volume mode", dict(volumes=["/srv:/data:ro"]), container(), "recreate", "start", ["volumes"]),
    ("label added", dict(labels={"app": "web", "tier": "1"}), container(), "recreate", "start", ["labels"]),
    ("recreate forced", dict(recreate=True), container(), "recreate", "start", []),
    ("recreate keeps stopped for present", dict(recreate=True, state="present"), container(running=False),
     "recreate", None, []),
    ("memory live", dict(memory="64m"), container(), "update", None, ["memory"]),
    ("cpus live and start", dict(cpus=0.5), container(running=False), "update", "start", ["cpus"]),
    ("restart policy live", dict(restart_policy="always"), container(), "update", None, ["restart_policy"]),
    ("live and recreate", dict(memory="64m", hostname="x"), container(), "recreate", "start", ["hostname", "memory"]),
    ("memory same", dict(memory="64m"), container(Memory=64 * 1024 ** 2), "none", None, []),
    ("ignore image", dict(image="busybox", comparisons={"image": "ignore"}), container(image="sha256:old"), "none", None, []),
    ("ignore everything", dict(env={"A": "2"}, comparisons={"*": "ignore"}), container(), "none", None, []),
    ("more labels allowed", dict(labels={}, comparisons={"labels": "allow_more_present"}), container(), "none", None, []),
    ("more env allowed", dict(env={"A": "1"}, comparisons={"env": "allow_more_present"}), container(), "none", None, []),
    ("allow_more_present still sees a changed value", dict(env={"A": "9"}, comparisons={"env": "allow_more_present"}),
     container(), "recreate", "start", ["env"]),
    ("more ports allowed", dict(published_ports=[], comparisons={"published_ports": "allow_more_present"}), container(),
     "none", None, []),
    ("network mode default is bridge", dict(network_mode="bridge"), container(), "none", None, []),
    ("engine default privileges are no drift",
     dict(privileged=False, read_only=False, capabilities=[], cap_drop=[], devices=[], ulimits=[], tmpfs=[],
          sysctls={}, pid_mode="", shm_size="64m"),
     container(Privileged=False, CapAdd=None, CapDrop=None, Devices=[], Ulimits=None, ShmSize=67108864, PidMode=""),
     "none", None, []),
    ("capabilities in another spelling", dict(capabilities=["NET_ADMIN"]), container(CapAdd=["net_admin"]),
     "none", None, []),
    ("more capabilities allowed", dict(capabilities=[], comparisons={"capabilities": "allow_more_present"}),
     container(CapAdd=["CAP_NET_ADMIN"]), "none", None, []),
    ("privileged recreates", dict(privileged=True), container(Privileged=False), "recreate", "start", ["privileged"]),
    ("ulimit changed", dict(ulimits=["nofile:1:2"]), container(Ulimits=[{"Name": "nofile", "Soft": 1, "Hard": 3}]),
     "recreate", "start", ["ulimits"]),
    ("shm size changed", dict(shm_size="128m"), container(ShmSize=67108864), "recreate", "start", ["shm_size"]),
]


@pytest.mark.parametrize("params, current, action, then, options", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_plan(params, current, action, then, options):
    result = run_plan(params, current)
    assert (result.action, result.then) == (action, then)
    assert sorted(d.option for d in result.differences) == options


def test_image_missing_for_a_new_container():
    with pytest.raises(KapalError, match=r"^image: required to create container web, which does not exist"):
        run_plan({}, None)


def test_image_not_present_yet_in_check_mode_recreates():
    result = run_plan(dict(image="busybox"), container(), image=None)
    assert result.action == "recreate"
    assert result.differences[0].after == "busybox (not present yet)"


def test_live_update_body():
    result = run_plan(dict(memory="64m", restart_policy="on-failure", restart_retries=3), container())
    assert result.live_updates == {"Memory": 64 * 1024 ** 2, "MemorySwap": 128 * 1024 ** 2,
                                   "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3}}


def test_plan_describes_itself():
    assert run_plan(dict(image="busybox", env={"A": "2"}), container(image="sha256:old")).describe() == [
        "recreate: image, env changed", "start"]
    assert run_plan(dict(memory="1g"), container(running=False)).describe() == ["update: memory changed", "start"]
    assert Plan("none").describe() == [] and not Plan("none").changed


def test_diff_shows_only_what_differs():
    d = desired(env={"A": "2"}, labels={"app": "web"})
    current = container()
    p = plan(d, current, IMAGE)
    assert diff_of(d, current, p) == dict(before={"env": {"PATH": "/bin", "A": "1"}},
                                          after={"env": {"PATH": "/bin", "A": "2"}})
    d = desired(state="stopped")
    assert diff_of(d, current, plan(d, current, IMAGE)) == dict(
        before={"state": "running"}, after={"state": "stopped"})
    d = desired(image="busybox", published_ports=["8080:80"])
    p = plan(d, None, IMAGE)
    assert diff_of(d, None, p) == dict(
        before={"state": "absent"}, after={"image": "busybox", "published_ports": ["8080:80/tcp"], "state": "running"})


def test_recreate_body_carries_host_options_and_the_command():
    d = desired(env={"A": "2"})
    body = recreate_body(d, container(), IMAGE, IMAGE)
    assert body["Image"] == "kapal-test/busybox:latest"
    assert body["Env"] == ["A=2"]
    assert body["Cmd"] == ["sleep", "1d"]  # set by the user, not by the image: kept
    assert body["HostConfig"]["PortBindings"] == {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}
    assert body["HostConfig"]["Binds"] == ["/srv:/data"]
    assert "NetworkMode" not in body["HostConfig"]  # the engine's default network, as before
    assert "NetworkingConfig" not in body


def test_recreate_body_uses_the_old_image_id_when_its_name_moved():
    body = recreate_body(desired(env={"A": "2"}), container(image="sha256:old"), IMAGE, OLD_IMAGE)
    assert body["Image"] == "sha256:old"


def test_recreate_body_uses_the_old_image_id_when_its_tag_moved_to_another_image():
    moved = dict(IMAGE, RepoTags=["kapal-test/busybox:old"])  # what the name means now is another image
    assert recreate_body(desired(env={"A": "2"}), container(image="sha256:new"), moved, moved)["Image"] == "sha256:new"
    plain_name = container()
    plain_name["Config"]["Image"] = "kapal-test/busybox"  # the engine lists it with its tag
    assert recreate_body(desired(env={"A": "2"}), plain_name, IMAGE, IMAGE)["Image"] == "kapal-test/busybox"


def test_given_network_mode_is_not_overridden_by_carried_networks():
    body = recreate_body(desired(network_mode="host"), container(), IMAGE, IMAGE)
    assert body["HostConfig"]["NetworkMode"] == "host" and "NetworkingConfig" not in body


def test_desired_validates_control_options():
    with pytest.raises(KapalError, match=r"^wait_timeout: expected a positive number of seconds, got 0$"):
        desired(wait_timeout=0)
    assert desired(name="/web").name == "web"
    assert desired().state == "started" and desired().pull == "missing"


OLD_IMAGE = {
    "Id": "sha256:old",
    "Config": {"Cmd": ["sh"], "Env": ["PATH=/bin"], "Labels": {"vendor": "kapal"}, "Volumes": {"/var/lib": {}}},
}


def test_recreate_carries_what_the_user_set_not_what_the_old_image_gave():
    current = container(image="sha256:old")
    current["Config"].update(Cmd=["sh"], Env=["PATH=/bin", "A=1"], Labels={"vendor": "kapal", "app": "web"},
                             Volumes={"/var/lib": {}})
    body = recreate_body(desired(image="busybox"), current, IMAGE, OLD_IMAGE)
    assert "Cmd" not in body  # it was the old image's CMD: the new image's applies
    assert body["Env"] == ["A=1"] and body["Labels"] == {"app": "web"}
    assert "Volumes" not in body
    current["Config"]["Cmd"] = ["sleep", "1d"]
    assert recreate_body(desired(image="busybox"), current, IMAGE, OLD_IMAGE)["Cmd"] == ["sleep", "1d"]


def test_recreate_without_the_old_image_keeps_everything():
    body = recreate_body(desired(labels={"x": "1"}), container(), IMAGE, None)
    assert body["Cmd"] == ["sleep", "1d"] and body["Env"] == ["A=1", "PATH=/bin"]


def test_desired_list_applies_defaults_and_validates_items():
    from ansible_collections.kapal.docker.plugins.module_utils._container.tasks import desired_list

    items = desired_list([dict(name="a"), dict(name="b", state="stopped", ports=["80"])],
                         dict(image="busybox", state="present", labels={"app": "x"}))
    assert [(d.name, d.state) for d in items] == [("a", "present"), ("b", "stopped")]
    assert items[0].values["labels"] == {"app": "x"}
    assert [str(p) for p in items[1].values["published_ports"]] == ["80/tcp"]
    assert items[0].pull == "missing"
    with pytest.raises(KapalError, match=r"^containers: item b: memory: expected a size"):
        desired_list([dict(name="b", memory="12x")])
    with pytest.raises(KapalError, match=r"^containers: item #1: missing required arguments: name"):
        desired_list([dict(image="busybox")])
    with pytest.raises(KapalError, match=r"^containers: defaults: .*state"):
        desired_list([dict(name="a")], dict(state="running"))


def test_batch_result_names_every_failed_item():
    from ansible_collections.kapal.docker.plugins.module_utils._container.apply import ItemResult
    from ansible_collections.kapal.docker.plugins.module_utils._container.reconcile import Outcome
    from ansible_collections.kapal.docker.plugins.module_utils._container.tasks import batch_result

    ok = Outcome("a", ItemResult("a", changed=True, actions=["create"]))
    assert batch_result([ok])["changed"] is True
    with pytest.raises(KapalError, match=r"^containers: 1 of 2 failed: b: networks: no network named 'x'$"):
        batch_result([ok, Outcome("b", error="networks: no network named 'x'")])


def test_an_items_networks_replace_the_defaults_network_mode():
    from ansible_collections.kapal.docker.plugins.module_utils._container.tasks import desired_list

    item = desired_list([dict(name="a", networks=[dict(name="front")])], dict(network_mode="back"))[0]
    assert "network_mode" not in item.values and item.values["networks"][0]["name"] == "front"
    with pytest.raises(KapalError, match=r"^containers: item a: unsupported option bogus \(an item takes"):
        desired_list([dict(name="a", bogus=1)])


def test_a_given_hostname_is_carried_the_engines_is_not():
    current = container()
    assert "Hostname" not in recreate_body(desired(env={"A": "2"}), current, IMAGE, IMAGE)
    current["Config"]["Hostname"] = "web1"
    assert recreate_body(desired(env={"A": "2"}), current, IMAGE, IMAGE)["Hostname"] == "web1"


class _Engine(Engine):
    """Just enough of _engine.Engine for resolving container references: inspects from a table."""

    host = "unix:///test.sock"
    api = None

    def __init__(self, containers):
        import contextlib

        from ansible_collections.kapal.docker.plugins.module_utils._errors import EngineNotFound

        def inspect_container(name):
            if name not in containers:
                raise EngineNotFound("no such container: %s" % name)
            return containers[name]

        self.api = type("Api", (), {"inspect_container": staticmethod(inspect_container)})()
        self.call = lambda what: contextlib.nullcontext()


def test_container_references_are_resolved_to_the_id_the_engine_stores():
    from ansible_collections.kapal.docker.plugins.module_utils._container.reconcile import _resolve_container_refs

    engine = _Engine({"db": {"Id": "f" * 64}})
    resolved = _resolve_container_refs(engine, desired(pid_mode="container:db", network_mode="container:db"))
    assert resolved.values["pid_mode"] == resolved.values["network_mode"] == "container:" + "f" * 64
    assert _resolve_container_refs(engine, desired(pid_mode="host")).values["pid_mode"] == "host"
    with pytest.raises(KapalError, match=r"^pid_mode: no container named 'gone' on Docker Engine at unix:///test.sock$"):
        _resolve_container_refs(engine, desired(pid_mode="container:gone"))


# -- what a recreate keeps from the old container, and says it keeps -------------------------------

ENGINE_INFO = {"LoggingDriver": "json-file"}
NEVER_STARTED = {"Status": "created", "Running": False, "ExitCode": 128, "StartedAt": "0001-01-01T00:00:00Z",
                 "Error": "driver failed programming external connectivity: port is already allocated"}


def recreate_plan(params, current, image=None, old_image=None, engine_info=None):
    image, old_image = image or IMAGE, old_image or IMAGE
    d = desired(**params)
    p = plan(d, current, image)
    assert p.action == "recreate"
    return with_carry_over(p, d, current, image, old_image, ENGINE_INFO if engine_info is None else engine_info)


def test_a_recreate_says_what_it_keeps_from_the_old_container():
    current = container(Memory=64 * 1024 ** 2, LogConfig={"Type": "json-file", "Config": {}})
    p = recreate_plan(dict(env={"A": "2"}), current)
    assert list(p.carried) == ["command", "published_ports", "volumes", "labels", "memory"]
    assert p.describe() == ["recreate: env changed",
                            "kept from the old container: command, published_ports, volumes, labels, memory", "start"]
    d = desired(env={"A": "2"})
    assert diff_of(d, current, p)["after"]["kept_from_old_container"] == {
        "command": ["sleep", "1d"], "published_ports": ["8080:80/tcp"], "volumes": ["/srv:/data"], "labels": {"app": "web"},
        "memory": 64 * 1024 ** 2}
    given = recreate_plan(dict(env={"A": "2"}, command="sleep 1d", published_ports=[], volumes=[], labels={"app": "web"},
                               memory="64m"), current)
    assert given.carried == {} and given.describe() == ["recreate: env, published_ports, volumes changed", "start"]
    assert "kept_from_old_container" not in diff_of(d, current, given)["after"]


@pytest.mark.parametrize("host, network_settings, kept", [
    (dict(NetworkMode="default"), {"bridge": {"Aliases": None}}, {}),
    (dict(NetworkMode="bridge"), {"bridge": {}}, {}),
    (dict(NetworkMode="host"), {"host": {}}, {"network_mode": "host"}),
    (dict(NetworkMode="front"), {"front": {"Aliases": ["web", "0123456789ab"]}, "back": {}},
     {"networks": [dict(name="front", aliases=["web"], ipv4_address=None), dict(name="back", aliases=[], ipv4_address=None)]}),
])
def test_networks_are_kept_whole_and_the_default_network_is_not_news(host, network_settings, kept):
    current = container(**host)
    current["NetworkSettings"]["Networks"] = network_settings
    carried = recreate_plan(dict(env={"A": "2"}), current).carried
    assert dict((k, v) for k, v in carried.items() if k.startswith("network")) == kept


def test_the_log_driver_is_kept_unless_it_is_the_engines_default():
    current = container(LogConfig={"Type": "local", "Config": {}})
    assert recreate_plan(dict(env={"A": "2"}), current).carried["log_driver"] == "local"
    assert "log_driver" not in recreate_plan(dict(env={"A": "2"}), current, engine_info={"LoggingDriver": "local"}).carried
    assert recreate_plan(dict(env={"A": "2"}), current, engine_info={}).carried["log_driver"] == "local"  # unknown: kept


def test_a_container_that_never_ran_is_remade_from_the_task_alone():
    current = container(running=False, LogConfig={"Type": "json-file", "Config": {"max-size": "bogus"}})
    current["State"] = dict(NEVER_STARTED)
    assert never_ran(current)
    p = recreate_plan(dict(image="busybox"), current)  # nothing differs, but a start would fail again
    assert p.fresh and p.carried == {} and p.then == "start"
    assert p.describe() == ["recreate: the old container never ran, nothing is kept from it", "start"]
    assert "LogConfig" not in p.body["HostConfig"] and "PortBindings" not in p.body["HostConfig"]
    changed = recreate_plan(dict(env={"A": "2"}), current)
    assert changed.describe()[0] == "recreate: env changed; the old container never ran, nothing is kept from it"
    assert changed.body["Image"] == "kapal-test/busybox:latest"  # the image is not an option kept: it is the container's
    assert run_plan(dict(state="present"), current).action == "none"  # not asked to run: left as it is


@pytest.mark.parametrize("state, fresh", [
    ({"Status": "created", "ExitCode": 0, "StartedAt": "0001-01-01T00:00:00Z", "Error": ""}, False),  # only created
    ({"Status": "exited", "ExitCode": 1, "StartedAt": "2024-01-01T00:00:00Z", "Error": ""}, False),  # ran, then failed
    ({"Status": "created", "ExitCode": 127, "StartedAt": "0001-01-01T00:00:00Z", "Error": ""}, True),
    (NEVER_STARTED, True),
    ({"Status": "running", "Running": True, "StartedAt": "2024-01-01T00:00:00Z"}, False),
])
def test_never_ran(state, fresh):
    current = container()
    current["State"] = state
    assert never_ran(current) is fresh


def test_a_created_container_that_was_not_started_keeps_its_settings():
    current = container(running=False)
    current["State"].update(Status="created", StartedAt="0001-01-01T00:00:00Z", ExitCode=0, Error="")
    assert run_plan({}, current).action == "start"
    assert "published_ports" in recreate_plan(dict(env={"A": "2"}), current).carried


ANON = "a" * 64
OTHER_ANON = "b" * 64
DATA_IMAGE = dict(IMAGE, Config=dict(IMAGE["Config"], Volumes={"/var/lib/db": {}}))


def with_anonymous_volumes(current, **volumes):
    """``current`` with anonymous volumes {container path: volume name} as the engine reports them."""
    current["Config"]["Volumes"] = dict((target, {}) for target in volumes)
    current["Mounts"] = [dict(Type="volume", Name=name, Destination=target, Driver="local", RW=True)
                         for target, name in volumes.items()]
    current["Mounts"].append(dict(Type="bind", Source="/srv", Destination="/data", RW=True))
    return current


def test_a_recreate_mounts_the_old_anonymous_volumes_at_the_same_paths():
    current = with_anonymous_volumes(container(), **{"/anon": ANON, "/var/lib/db": OTHER_ANON})
    p = recreate_plan(dict(env={"A": "2"}, volumes=["/anon", "/srv:/data"], command="sleep 1d", published_ports=["8080:80"],
                           labels={"app": "web"}), current, DATA_IMAGE, DATA_IMAGE)
    assert p.kept_volumes == {"/anon": ANON, "/var/lib/db": OTHER_ANON}
    assert sorted(p.body["HostConfig"]["Binds"]) == sorted(["/srv:/data", ANON + ":/anon", OTHER_ANON + ":/var/lib/db"])
    assert p.body["Volumes"] == {"/anon": {}}
    assert p.describe() == ["recreate: env changed", "kept the old container's anonymous volumes: /anon, /var/lib/db",
                            "start"]
    assert diff_of(desired(env={"A": "2"}), current, p)["after"]["kept_anonymous_volumes"] == ["/anon", "/var/lib/db"]


def test_an_anonymous_volume_is_kept_only_where_the_new_container_wants_one():
    current = with_anonymous_volumes(container(), **{"/anon": ANON, "/var/lib/db": OTHER_ANON})
    p = recreate_plan(dict(volumes=["/other", "named:/anon"]), current)  # IMAGE declares no VOLUME
    assert p.kept_volumes == {}
    assert p.body["HostConfig"]["Binds"] == ["named:/anon"]


def test_an_anonymous_mount_keeps_its_volume_too():
    current = with_anonymous_volumes(container(), **{"/cache": ANON})
    p = recreate_plan(dict(env={"A": "2"}, mounts=[dict(type="volume", target="/cache")]), current)
    assert p.kept_volumes == {"/cache": ANON}
    assert p.body["HostConfig"]["Mounts"] == [dict(Type="volume", Target="/cache", ReadOnly=False, Source=ANON)]


def test_a_kept_anonymous_volume_is_no_difference_on_the_next_run():
    # The container a recreate made: the old volumes bound by their id-names.
    current = container(Binds=["/srv:/data", ANON + ":/anon", OTHER_ANON + ":/var/lib/db"],
                        Mounts=[dict(Type="volume", Source=ANON, Target="/cache", ReadOnly=False)])
    current["Config"]["Volumes"] = {"/anon": {}, "/var/lib/db": {}}
    params = dict(volumes=["/anon", "/srv:/data"], mounts=[dict(type="volume", target="/cache")])
    assert run_plan(params, current, image=DATA_IMAGE).action == "none"
    # ... and a later recreate neither keeps the image's volume as the user's nor loses the user's.
    p = recreate_plan(dict(env={"A": "2"}), with_anonymous_volumes(current, **{"/anon": ANON, "/var/lib/db": OTHER_ANON}),
                      DATA_IMAGE, DATA_IMAGE)
    assert [str(v) for v in p.carried["volumes"]] == ["/anon", "/srv:/data"]


def test_a_failed_item_reports_what_was_done():
    done = ItemResult("web", changed=True, actions=["create", "start"], error="wait: container web is not running")
    with pytest.raises(PartialFailure, match=r"^wait: container web is not running$") as failure:
        task_result(Outcome("web", done, done.error))
    assert failure.value.result == dict(changed=True, actions=["create", "start"], container=None)
    assert task_result(Outcome("web", ItemResult("web", actions=["start"])))["actions"] == ["start"]


def test_a_failed_batch_reports_every_item():
    outcomes = [
        Outcome("a", ItemResult("a", changed=True, actions=["create", "start"])),
        Outcome("b", ItemResult("b", error="image b is not present"), "image b is not present"),
        Outcome("c", ItemResult("c", actions=["create", "remove: the new container could not start"], error="start: port"),
                "start: port"),
        Outcome("d", error="remove container d: gone"),
    ]
    with pytest.raises(PartialFailure, match=r"^containers: 3 of 4 failed: b: image b is not present; c: start: port; d: ") as failure:
        batch_result(outcomes)
    result = failure.value.result
    assert result["changed"] is True
    assert [(i["name"], i["changed"], i["error"]) for i in result["containers"]] == [
        ("a", True, None), ("b", False, "image b is not present"), ("c", False, "start: port"), ("d", False, "remove container d: gone")]
    assert result["containers"][2]["actions"] == ["create", "remove: the new container could not start"]
    assert [d["before_header"] for d in result["diff"]] == ["a", "b", "c", "d"]


def test_desired_built_directly_compares_every_option_by_its_default():
    from ansible_collections.kapal.docker.plugins.module_utils._container.options import resolve_comparisons
    from ansible_collections.kapal.docker.plugins.module_utils._container.plan import Desired

    assert Desired(name="web").comparisons == resolve_comparisons(None) != {}


@pytest.mark.parametrize("check_mode", [False, True])
def test_an_unreachable_registry_names_the_image_the_container_wanted(monkeypatch, check_mode):
    from ansible_collections.kapal.docker.plugins.module_utils._container import reconcile
    from ansible_collections.kapal.docker.plugins.module_utils._errors import RegistryUnreachable

    def unreachable(engine, ref, policy, local=None):
        raise RegistryUnreachable("cannot reach registry 10.0.0.5:5000: connection refused (from the module's host)")

    monkeypatch.setattr(reconcile, "ensure_image", unreachable)
    monkeypatch.setattr(reconcile, "plan_pull", unreachable)
    with pytest.raises(RegistryUnreachable) as err:
        reconcile._image_of(None, desired(image="10.0.0.5:5000/team/web:2"), container(), check_mode)
    assert str(err.value) == ("image 10.0.0.5:5000/team/web:2: cannot reach registry 10.0.0.5:5000: "
                              "connection refused (from the module's host)")


@pytest.mark.parametrize("fails", [False, True])
def test_the_items_of_one_missing_image_pull_it_once(monkeypatch, fails):
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from ansible_collections.kapal.docker.plugins.module_utils._container import reconcile
    from ansible_collections.kapal.docker.plugins.module_utils._errors import RegistryUnreachable

    calls = []

    def ensure_image(engine, ref, policy, local=None):
        calls.append((ref.pull_reference, policy, threading.current_thread().name))
        time.sleep(0.05)  # the others arrive while it pulls
        if fails:
            raise RegistryUnreachable("cannot reach registry 10.0.0.5:5000: connection refused")
        return type("Present", (), {"changed": True, "after": IMAGE})()

    monkeypatch.setattr(reconcile, "ensure_image", ensure_image)
    pulls = reconcile.Pulls()
    items = [desired(name="app%d" % n, image="10.0.0.5:5000/team/web:2") for n in range(3)]
    items.append(desired(name="other", image="10.0.0.5:5000/team/web:2", pull="always"))

    def one(item):
        try:
            return reconcile._image_of(None, item, None, False, {}, pulls)
        except KapalError as exc:
            return str(exc)

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(one, items))
    # One pull per image and policy: the first item of the image pulls it, the others take its answer.
    assert sorted((reference, policy) for reference, policy, _thread in calls) == [
        ("10.0.0.5:5000/team/web:2", "always"), ("10.0.0.5:5000/team/web:2", "missing")]
    if fails:
        assert answers == ["image 10.0.0.5:5000/team/web:2: cannot reach registry 10.0.0.5:5000: connection refused"] * 4
    else:
        assert sorted(answers[:3], key=lambda answer: not answer[0]) == [(True, IMAGE), (False, IMAGE), (False, IMAGE)]
        assert answers[3] == (True, IMAGE)


def test_a_wait_reads_often_at_first_then_every_half_second():
    from ansible_collections.kapal.docker.plugins.module_utils._container.apply import poll_interval

    intervals = [poll_interval(elapsed) for elapsed in (0, 1, 2, 4, 8, 60)]
    assert intervals[0] == pytest.approx(0.1) and intervals[-1] == 0.5
    assert intervals == sorted(intervals)


def test_a_batch_reads_each_image_and_network_once_and_an_unchanged_container_not_again():
    from ansible_collections.kapal.docker.plugins.module_utils._container.reconcile import reconcile
    from tests.unit.plugins.module_utils.fake_engine import TableEngine

    current = container(running=True)
    listing = [{"Id": current["Id"], "Names": ["/web"]}]
    api = type("Api", (), {"containers": staticmethod(lambda all=False: listing), "api_version": "1.41"})()
    engine = TableEngine({("image", "kapal-test/busybox:latest"): IMAGE, ("network", "back"): {"Name": "back"},
                          ("container", current["Id"]): current}, api)
    new = [desired(name="app%d" % n, image="kapal-test/busybox", networks=[{"name": "back"}]) for n in range(3)]
    same = desired(image="kapal-test/busybox:latest", command="sleep 1d")
    outcomes = reconcile(engine, new + [same], check_mode=True)
    assert [o.error for o in outcomes] == [None] * 4
    assert [o.result.actions for o in outcomes] == [["create", "start"]] * 3 + [[]]
    assert engine.reads == {("image", "kapal-test/busybox:latest"): 1, ("network", "back"): 1, ("container", current["Id"]): 1}
    engine.reads.clear()
    (outcome,) = reconcile(engine, [same])  # nothing to do: the container as the snapshot read it
    assert (outcome.result.changed, outcome.result.container) == (False, current)
    assert engine.reads == {("image", "kapal-test/busybox:latest"): 1, ("container", current["Id"]): 1}
