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

from ansible_collections.kapal.docker.plugins.module_utils._container.options import (
    OPTION_BY_NAME,
    OPTIONS,
    made_by_podman,
    parse_options,
)
from ansible_collections.kapal.docker.plugins.module_utils._container.plan import Desired, Plan, plain, plan, same
from ansible_collections.kapal.docker.plugins.module_utils._images import repo_tags

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "engines")
ENGINES = sorted(os.listdir(FIXTURES))
PODMAN = tuple(engine for engine in ENGINES if engine.startswith("podman-"))
TASKS = ("options", "mounts", "networks")

# (engines, task or "defaults", option) -> what the engine reports that the readers do not normalise,
# and why that is left as it is. Everything else Podman reports differently is read in the option
# table (_container/options.py: made_by_podman and the readers after it; _images.repo_tags).
QUIRKS = [
    # What Podman fills in from its host's containers.conf, which its API does not report: a recreate
    # that is not given the option keeps it, as an explicit setting of the same value (harmless).
    (PODMAN, "defaults", "log_driver", "Podman's docker info has no LoggingDriver (its default: k8s-file, journald, "
     "from containers.conf): a recreate keeps the driver Podman chose, the same one"),
    (PODMAN, "defaults", "ulimits", "Podman's default ulimits come from containers.conf, which its API does not "
     "report: a recreate keeps them as explicit ulimits of the same values"),
    (("podman-4.3",), "defaults", "cap_drop", "Podman 4.3 lists the capabilities outside its default set as dropped "
     "(it reports no more than that): a recreate drops the same ones again"),
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
            ["defaults.json", "image.json", "info.json", "tagged.json", "version.json"] + ["%s.json" % task for task in TASKS]
            # Containers of Docker 20.10 read by 26.1 after an upgrade in place (test_engine_upgrade.py).
            + (["upgraded-from-20.10.json"] if engine == "docker-26.1" else []))
        assert _load(engine, "options")["engine"]["name"] == engine


@pytest.mark.parametrize("engine, task, option", list(_given_cases()))
def test_what_the_task_gave_reads_back_as_given(engine, task, option):
    record = _load(engine, task)
    values = parse_options(record["task"])
    definition = OPTION_BY_NAME[option]
    expected = definition.expected(values[option], _load(engine, "image"), values, record["container"])
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
    """kapal-fixture-tagged:1 was given to POST /images/{name}/tag; image_remove's check mode looks for it
    (and image facts list it) as Docker names it."""
    tags = repo_tags(_load(engine, task))
    assert "kapal-fixture-tagged:1" in tags, "%s reports the tags %r" % (engine, _load(engine, task)[option])


@pytest.mark.parametrize("engine", ENGINES)
def test_podman_is_told_from_its_inspect_answer(engine):
    for task in TASKS + ("defaults",):
        assert made_by_podman(_load(engine, task)["container"]) is engine.startswith("podman-")


@pytest.mark.parametrize("engine, task", [(engine, task) for engine in ENGINES for task in TASKS])
def test_a_second_run_of_the_task_plans_nothing(engine, task):
    """The planner itself: the task that made the container, against the engine's answer, is changed=0."""
    record = _load(engine, task)
    desired = Desired.from_params(dict(record["task"], name="kapal-fixture"))
    assert plan(desired, record["container"], _load(engine, "image")) == Plan("none")


def test_what_podman_does_not_report_is_not_compared_there_only():
    """Podman's API does not report these as given: on Podman the task stays idempotent (a change of
    one of them alone is not seen there); on Docker they are compared."""
    unreported = sorted(option.name for option in OPTIONS if not option.podman_reports)
    assert unreported == ["cap_drop", "devices", "domainname", "log_options", "mounts", "sysctls"]
    docker, podman = (_load(engine, "options")["container"] for engine in ("docker-28.5", "podman-5.8"))
    log_options = OPTION_BY_NAME["log_options"]
    assert log_options.expected({"max-size": "2m"}, {}, {}, podman) == {}
    assert log_options.expected({"max-size": "2m"}, {}, {}, docker) == {"max-size": "2m"}


@pytest.mark.parametrize("given, normalized", [("10", "SIGUSR1"), ("15", "SIGTERM"), ("usr1", "SIGUSR1"),
                                               ("SIGRTMIN+3", "SIGRTMIN+3"), ("40", "40")])
def test_a_stop_signal_by_number_is_its_name(given, normalized):
    assert OPTION_BY_NAME["stop_signal"].parse(given) == normalized
