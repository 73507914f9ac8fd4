"""The planner, from tables: desired state + inspect answers -> the plan. No engine."""

import pytest

from ansible_collections.kapal.docker.plugins.module_utils._containers import (
    Desired,
    Plan,
    create_body,
    diff_of,
    plan,
)
from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError

IMAGE = {"Id": "sha256:new", "Config": {"Cmd": ["sh"], "Env": ["PATH=/bin"], "Labels": {"vendor": "kapal"}}}


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


def run_plan(params, current, image="default"):
    image = IMAGE if image == "default" else image
    d = desired(**params)
    return plan(d, current, image, d.comparisons)


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
    p = plan(d, current, IMAGE, d.comparisons)
    assert diff_of(d, current, p) == dict(before={"env": {"PATH": "/bin", "A": "1"}},
                                          after={"env": {"PATH": "/bin", "A": "2"}})
    d = desired(state="stopped")
    assert diff_of(d, current, plan(d, current, IMAGE, d.comparisons)) == dict(
        before={"state": "running"}, after={"state": "stopped"})
    d = desired(image="busybox", published_ports=["8080:80"])
    p = plan(d, None, IMAGE, d.comparisons)
    assert diff_of(d, None, p) == dict(
        before={"state": "absent"}, after={"image": "busybox", "published_ports": ["8080:80/tcp"], "state": "running"})


def test_recreate_body_carries_host_options_and_the_command():
    d = desired(env={"A": "2"})
    body = create_body(d, container(), IMAGE, IMAGE)
    assert body["Image"] == "kapal-test/busybox:latest"
    assert body["Env"] == ["A=2"]
    assert body["Cmd"] == ["sleep", "1d"]  # set by the user, not by the image: kept
    assert body["HostConfig"]["PortBindings"] == {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}
    assert body["HostConfig"]["Binds"] == ["/srv:/data"]
    assert body["HostConfig"]["NetworkMode"] == "bridge"


def test_recreate_body_uses_the_old_image_id_when_its_name_moved():
    body = create_body(desired(env={"A": "2"}), container(image="sha256:old"), IMAGE, OLD_IMAGE)
    assert body["Image"] == "sha256:old"


def test_given_network_mode_is_not_overridden_by_carried_networks():
    body = create_body(desired(network_mode="host"), container(), IMAGE, IMAGE)
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
    body = create_body(desired(image="busybox"), current, IMAGE, OLD_IMAGE)
    assert "Cmd" not in body  # it was the old image's CMD: the new image's applies
    assert body["Env"] == ["A=1"] and body["Labels"] == {"app": "web"}
    assert "Volumes" not in body
    current["Config"]["Cmd"] = ["sleep", "1d"]
    assert create_body(desired(image="busybox"), current, IMAGE, OLD_IMAGE)["Cmd"] == ["sleep", "1d"]


def test_recreate_without_the_old_image_keeps_everything():
    body = create_body(desired(labels={"x": "1"}), container(), IMAGE, None)
    assert body["Cmd"] == ["sleep", "1d"] and body["Env"] == ["A=1", "PATH=/bin"]


def test_desired_list_applies_defaults_and_validates_items():
    from ansible_collections.kapal.docker.plugins.module_utils._containers import desired_list

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
    from ansible_collections.kapal.docker.plugins.module_utils._containers import ItemResult, Outcome, batch_result

    ok = Outcome("a", ItemResult("a", changed=True, actions=["create"]))
    assert batch_result([ok])["changed"] is True
    with pytest.raises(KapalError, match=r"^containers: 1 of 2 failed: b: networks: no network named 'x'$"):
        batch_result([ok, Outcome("b", error="networks: no network named 'x'")])


def test_an_items_networks_replace_the_defaults_network_mode():
    from ansible_collections.kapal.docker.plugins.module_utils._containers import desired_list

    item = desired_list([dict(name="a", networks=[dict(name="front")])], dict(network_mode="back"))[0]
    assert "network_mode" not in item.values and item.values["networks"][0]["name"] == "front"
    with pytest.raises(KapalError, match=r"^containers: item a: unsupported option bogus \(an item takes"):
        desired_list([dict(name="a", bogus=1)])


def test_a_given_hostname_is_carried_the_engines_is_not():
    current = container()
    assert "Hostname" not in create_body(desired(env={"A": "2"}), current, IMAGE, IMAGE)
    current["Config"]["Hostname"] = "web1"
    assert create_body(desired(env={"A": "2"}), current, IMAGE, IMAGE)["Hostname"] == "web1"


class _Engine:
    """Just enough of _engine.Engine for resolving container references: inspects from a table."""

    host = "unix:///test.sock"

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
    from ansible_collections.kapal.docker.plugins.module_utils._containers import _resolve_container_refs

    engine = _Engine({"db": {"Id": "f" * 64}})
    resolved = _resolve_container_refs(engine, desired(pid_mode="container:db", network_mode="container:db"))
    assert resolved.values["pid_mode"] == resolved.values["network_mode"] == "container:" + "f" * 64
    assert _resolve_container_refs(engine, desired(pid_mode="host")).values["pid_mode"] == "host"
    with pytest.raises(KapalError, match=r"^pid_mode: no container named 'gone' on Docker Engine at unix:///test.sock$"):
        _resolve_container_refs(engine, desired(pid_mode="container:gone"))
