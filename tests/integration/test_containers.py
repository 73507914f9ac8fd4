"""kapal.docker.containers against the test bed's real engine: many containers in one task."""

import uuid

import pytest

from tests.integration.conftest import remove_containers, run_module

PREFIX = "kapal-it-ctr-"


@pytest.fixture
def group(docker_api):
    """A unique name prefix and prune label for one test; its containers and network are removed afterwards."""
    unique = "%sgrp-%s" % (PREFIX, uuid.uuid4().hex[:8])
    docker_api.create_network(unique)
    yield unique
    remove_containers(docker_api, unique)
    docker_api.remove_network(unique)


def task(group, testbed, items, **options):
    # sleep, PID 1, ignores SIGTERM: stop_timeout 1 stops it after 1 s, not 10, when a test recreates it.
    args = dict(
        defaults=dict(image=testbed["busybox_image"], command="sleep 3600", network_mode=group, labels={group: "yes"},
                      stop_timeout=1),
        containers=items,
        prune_label=group,
    )
    args.update(options)
    return args


def six(group):
    return [dict(name="%s-%d" % (group, index), env={"INDEX": index}) for index in range(6)]


def changed_names(result):
    return sorted(item["name"] for item in result["containers"] if item["changed"])


def test_six_containers_in_one_task(group, testbed, docker_api):
    args = task(group, testbed, six(group))
    check = run_module("containers", args, check_mode=True, diff=True)
    assert check.rc == 0, check
    assert check["changed"] is True and len(changed_names(check)) == 6
    assert all(item["actions"] == ["create", "start"] for item in check["containers"])
    assert not [c for c in docker_api.containers(all=True) if c["Names"][0].startswith("/" + group)]

    result = run_module("containers", args, diff=True)
    assert result.rc == 0, result
    assert [item["name"] for item in result["containers"]] == ["%s-%d" % (group, i) for i in range(6)]
    assert [item["actions"] for item in result["containers"]] == [item["actions"] for item in check["containers"]]
    assert [d["before_header"] for d in result["diff"]] == [item["name"] for item in result["containers"]]
    for index, item in enumerate(result["containers"]):
        assert item["container"]["State"]["Running"] is True
        assert "INDEX=%d" % index in item["container"]["Config"]["Env"]
        assert item["container"]["Config"]["Labels"][group] == "yes"

    for check_mode in (True, False):
        again = run_module("containers", args, check_mode=check_mode)
        assert again.rc == 0 and again["changed"] is False, again
        assert [i["container"]["Id"] for i in again["containers"]] == [i["container"]["Id"] for i in result["containers"]]

    items = six(group)
    items[3]["env"] = {"INDEX": "changed"}
    one = run_module("containers", task(group, testbed, items), diff=True)
    assert one.rc == 0 and one["changed"] is True, one
    assert changed_names(one) == ["%s-3" % group]
    assert one["containers"][3]["actions"] == ["recreate: env changed", "start"]
    assert one["containers"][3]["diff"]["after"]["env"]["INDEX"] == "changed"
    kept = [i["container"]["Id"] for n, i in enumerate(one["containers"]) if n != 3]
    assert kept == [i["container"]["Id"] for n, i in enumerate(result["containers"]) if n != 3]


def test_the_containers_of_one_missing_image_pull_it_once(group, testbed, docker_api, arrange):
    """Three containers of an image the engine does not have, made together: one pull, not three."""
    full, image_id, _digest = arrange.pushed("plain", "shared")
    docker_api.remove_image(image_id, force=True)
    # A one-file image: its containers are made (state present), never started.
    args = dict(defaults=dict(image=full + ":1", command="true", state="present", network_mode=group),
                containers=[dict(name="%s-%d" % (group, n)) for n in range(3)], parallel=3)
    result = run_module("containers", args)
    assert result.rc == 0 and result["changed"] is True, result
    actions = [item["actions"] for item in result["containers"]]
    assert sorted(actions) == [["create"], ["create"], ["pull: %s:1" % full, "create"]], actions
    assert [docker_api.inspect_container(item["name"])["Image"] for item in result["containers"]] == [image_id] * 3


def test_prune_label_removes_strays(group, testbed, docker_api):
    stray = "%s-stray" % group
    docker_api.create_container(testbed["busybox_image"], command=["sleep", "3600"], name=stray, labels={group: "old"})
    unrelated = "%s-unlabelled" % group
    docker_api.create_container(testbed["busybox_image"], command=["sleep", "3600"], name=unrelated)
    args = task(group, testbed, [dict(name="%s-keep" % group)])
    check = run_module("containers", args, check_mode=True)
    assert check.rc == 0, check
    assert [(i["name"], i["actions"]) for i in check["containers"]] == [
        ("%s-keep" % group, ["create", "start"]),
        (stray, ["remove: not in the list, carries the label %s" % group]),
    ]
    assert docker_api.inspect_container(stray)
    result = run_module("containers", args)
    assert result.rc == 0 and result["changed"] is True, result
    names = [c["Names"][0].lstrip("/") for c in docker_api.containers(all=True)]
    assert stray not in names and unrelated in names and "%s-keep" % group in names
    again = run_module("containers", args)
    assert again["changed"] is False and [i["name"] for i in again["containers"]] == ["%s-keep" % group]


def test_defaults_are_overridden_by_items_and_states_mix(group, testbed, docker_api):
    items = [
        dict(name="%s-a" % group),
        dict(name="%s-b" % group, state="stopped"),
        dict(name="%s-c" % group, command=["sleep", "7"], state="present"),
    ]
    result = run_module("containers", task(group, testbed, items))
    assert result.rc == 0, result
    states = [i["container"]["State"]["Status"] for i in result["containers"]]
    assert states == ["running", "created", "created"]
    assert result["containers"][2]["container"]["Config"]["Cmd"] == ["sleep", "7"]
    gone = run_module("containers", task(group, testbed, [dict(name=i["name"], state="absent") for i in items]))
    assert gone.rc == 0 and gone["changed"] is True
    assert all(i["container"] is None for i in gone["containers"])


def test_one_failing_item_fails_the_task_after_the_others(group, testbed, docker_api):
    items = [
        dict(name="%s-good" % group),
        dict(name="%s-bad" % group, networks=[dict(name="kapal-it-ctr-no-such-network")]),
    ]
    args = task(group, testbed, items)
    result = run_module("containers", args)
    assert result.failed
    assert result["msg"] == (
        "containers: 1 of 2 failed: %s-bad: networks: no network named 'kapal-it-ctr-no-such-network' on Docker Engine at %s"
        % (group, testbed["docker_host"]))
    assert docker_api.inspect_container("%s-good" % group)["State"]["Running"] is True


@pytest.mark.parametrize("items, message", [
    ([dict(name="twice"), dict(name="twice")], "containers: the name 'twice' is given more than once"),
    ([dict(name="x", memory="12x")], "containers: item x: memory: expected a size such as 512m or 1g, got '12x'"),
    ([dict(name="x", published_ports=["abc"])], "containers: item x: published_ports: invalid port 'abc'"),
    ([dict(name="x", bogus=1)], "containers: item x: unsupported option bogus"),
    ([dict(image="busybox")], "containers: item #1: missing required arguments: name"),
])
def test_bad_items_fail_in_one_line_and_change_nothing(group, testbed, docker_api, items, message):
    items = [dict(item, name="%s-%s" % (group, item["name"])) if "name" in item else item for item in items]
    message = message.replace("'twice'", "'%s-twice'" % group).replace("item x", "item %s-x" % group)
    result = run_module("containers", task(group, testbed, items))
    assert result.failed and result["msg"].startswith(message), result
    assert "\n" not in result["msg"]
    assert not [c for c in docker_api.containers(all=True) if c["Names"][0].startswith("/" + group)]
