"""What each engine reports, read through the option table's readers (issue #13).

The fixtures are the engines' real answers (tests/testbed/engine_fixtures.py records them from the test
bed's engines: Docker 20.10, 26.1 and 28.5, Podman 4.3, 5.4 and 5.8): a container made by
kapal.docker.container for a task, the image it was made from, and ``docker info``. Two properties
must hold on every engine:

- what the task gave reads back as what the task asked for (or the next run recreates the container);
- a container the task gave nothing but an image and a command to carries nothing over on a recreate
  (what the engine filled in is its default, not the user's setting).

Where an engine breaks one, the case is a strict xfail naming the quirk (QUIRKS): it fails loudly the
day a reader is fixed, so the mark goes with the fix.
"""

import json
import os

import pytest

from ansible_collections.kapal.docker.plugins.module_utils._container.options import OPTION_BY_NAME, OPTIONS, parse_options
from ansible_collections.kapal.docker.plugins.module_utils._container.plan import plain, same

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "engines")
ENGINES = sorted(os.listdir(FIXTURES))
PODMAN = tuple(engine for engine in ENGINES if engine.startswith("podman-"))
PODMAN_5 = tuple(engine for engine in PODMAN if not engine.startswith("podman-4."))
TASKS = ("options", "mounts", "networks")

# (engines, task or "defaults", option) -> what the engine reports that the reader does not expect.
QUIRKS = [
    (PODMAN, "options", "env", "Podman adds container=podman, HOME, HOSTNAME (and PATH, TERM) to Config.Env"),
    (PODMAN_5, "options", "published_ports", "Podman 5 reports HostIp 0.0.0.0 for a port published on every address"),
    (PODMAN, "options", "volumes", "Podman reports a named volume's mode as rw,rprivate,nosuid,nodev,rbind"),
    (PODMAN, "options", "healthcheck", "Podman fills in a healthcheck timeout of 30s that was not given"),
    (PODMAN, "options", "log_options", "Podman reports no log options (LogConfig.Config is null)"),
    (PODMAN, "options", "ulimits", "Podman names ulimits RLIMIT_NOFILE, not nofile"),
    (PODMAN, "options", "network_mode", "Podman reports NetworkMode bridge for a container on a user-defined network"),
    (PODMAN, "options", "stop_signal", "Podman reports StopSignal as a number (10, not SIGUSR1)"),
    (PODMAN, "options", "tmpfs", "Podman reports tmpfs options with its defaults (rw,rprivate,nosuid,nodev,tmpcopyup)"),
    (PODMAN, "options", "cap_drop", "Podman does not list a dropped capability it does not grant by default (MKNOD)"),
    (PODMAN, "options", "sysctls", "Podman reports no HostConfig.Sysctls"),
    (PODMAN, "options", "devices", "Podman reports no device cgroup permissions"),
    (PODMAN, "options", "domainname", "Podman reports Config.Domainname empty"),
    (PODMAN, "mounts", "mounts", "Podman reports mounts as HostConfig.Binds and Tmpfs, with no HostConfig.Mounts"),
    # What Podman fills in where Docker reports nothing (or its own default): carried over by a recreate.
    (PODMAN, "defaults", "env", "Podman adds container=podman, HOME, HOSTNAME (and PATH, TERM) to Config.Env"),
    (PODMAN, "defaults", "entrypoint", "Podman reports Entrypoint [] where the image has none (Docker: null)"),
    (PODMAN, "defaults", "log_driver", "Podman's docker info has no LoggingDriver (its default: k8s-file, journald)"),
    (PODMAN, "defaults", "networks", "Podman's default network is named podman, not bridge"),
    (PODMAN, "defaults", "pid_mode", "Podman reports PidMode private (Docker: empty)"),
    (PODMAN, "defaults", "shm_size", "Podman's default /dev/shm is 65536000 bytes (Docker: 64 MiB)"),
    (PODMAN, "defaults", "stop_signal", "Podman reports StopSignal 15 where the image sets none (Docker: empty)"),
    (PODMAN, "defaults", "stop_timeout", "Podman reports StopTimeout 10 (4.3: 0) where none was given (Docker: none)"),
    (PODMAN, "defaults", "ulimits", "Podman reports its default ulimits (containers.conf), named RLIMIT_NOFILE"),
    (PODMAN, "defaults", "working_dir", "Podman reports WorkingDir / where the image sets none (Docker: empty)"),
    (("podman-4.3",), "defaults", "cap_drop", "Podman 4.3 lists the capabilities outside its default set as dropped"),
    # Images: the name a tag was given (kapal.docker.image_remove predicts the tags left from it).
    (PODMAN, "tagged", "RepoTags", "Podman reports a tag made through the API as docker.io/library/NAME"),
]


def _load(engine, name):
    with open(os.path.join(FIXTURES, engine, name + ".json")) as handle:
        return json.load(handle)


def _quirk(engine, task, option):
    for engines, quirk_task, quirk_option, reason in QUIRKS:
        if engine in engines and (quirk_task, quirk_option) == (task, option):
            return reason
    return None


def _param(engine, task, option):
    reason = _quirk(engine, task, option)
    marks = [pytest.mark.xfail(strict=True, reason="#13: " + reason)] if reason else []
    return pytest.param(engine, task, option, marks=marks, id="%s-%s-%s" % (engine, task, option))


def _given_cases():
    for engine in ENGINES:
        for task in TASKS:
            for option in sorted(parse_options(_load(engine, task)["task"])):
                yield _param(engine, task, option)


def _defaults_cases():
    given = set(parse_options(_load(ENGINES[0], "defaults")["task"]))
    for engine in ENGINES:
        for option in OPTIONS:
            if option.read is not None and option.write is not None and option.name not in given:
                yield _param(engine, "defaults", option.name)


def test_every_engine_of_the_test_bed_has_fixtures():
    assert ENGINES == ["docker-20.10", "docker-26.1", "docker-28.5", "podman-4.3", "podman-5.4", "podman-5.8"]
    for engine in ENGINES:
        assert sorted(f for f in os.listdir(os.path.join(FIXTURES, engine))) == sorted(
            ["defaults.json", "image.json", "info.json", "tagged.json", "version.json"] + ["%s.json" % task for task in TASKS])
        assert _load(engine, "options")["engine"]["name"] == engine


@pytest.mark.parametrize("engine, task, option", list(_given_cases()))
def test_what_the_task_gave_reads_back_as_given(engine, task, option):
    record = _load(engine, task)
    values = parse_options(record["task"])
    definition = OPTION_BY_NAME[option]
    expected = definition.expected(values[option], _load(engine, "image"), values)
    actual = definition.read(record["container"])
    assert same(definition.compare, expected, actual), "%s: the task gave %r, %s reports %r" % (
        option, plain(expected), engine, plain(actual))


@pytest.mark.parametrize("engine, task, option", list(_defaults_cases()))
def test_what_the_engine_filled_in_is_not_carried_over(engine, task, option):
    record = _load(engine, task)
    values = parse_options(record["task"])
    carried = OPTION_BY_NAME[option].carried(record["container"], _load(engine, "image"), _load(engine, "info"), values)
    assert carried is None, "%s: a recreate would keep %r that %s filled in" % (option, plain(carried), engine)


@pytest.mark.parametrize("engine, task, option", [_param(engine, "tagged", "RepoTags") for engine in ENGINES])
def test_a_tag_reads_back_as_it_was_given(engine, task, option):
    """kapal-fixture-tagged:1 was given to POST /images/{name}/tag; image_remove's check mode looks for it."""
    tags = _load(engine, task)[option]
    assert "kapal-fixture-tagged:1" in tags, "%s reports the tags %r" % (engine, tags)
