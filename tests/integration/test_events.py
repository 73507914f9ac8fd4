"""The event recorder itself: it must see a real change, or 'no mutating event' proves nothing."""

import os

from tests.integration.events import mutating, recorded_events


def test_recorder_sees_create_and_destroy(docker_api, testbed):
    name = "kapal-it-events-%d" % os.getpid()
    with recorded_events(docker_api) as events:
        docker_api.create_container(testbed["busybox_image"], command=["true"], name=name)
        docker_api.remove_container(name)
    changes = mutating(events)
    assert "container create %s" % name in changes
    assert "container destroy %s" % name in changes


def test_recorder_window_starts_at_the_block(docker_api, testbed):
    name = "kapal-it-events-before-%d" % os.getpid()
    docker_api.create_container(testbed["busybox_image"], command=["true"], name=name)
    try:
        with recorded_events(docker_api) as events:
            docker_api.inspect_container(name)
        assert [event for event in mutating(events) if name in event] == []
    finally:
        docker_api.remove_container(name)
