"""Container facts: filter validation, and named lookups against a fake engine boundary."""

import contextlib

import pytest

from ansible_collections.kapal.docker.plugins.module_utils._container.facts import container_facts, normalize_filters
from ansible_collections.kapal.docker.plugins.module_utils._engine import Engine
from ansible_collections.kapal.docker.plugins.module_utils._errors import EngineNotFound, KapalError


@pytest.mark.parametrize("given, expected", [
    (None, {}),
    ({"name": "web"}, {"name": ["web"]}),
    ({"label": ["a=1", "b"], "status": "exited"}, {"label": ["a=1", "b"], "status": ["exited"]}),
    ({"publish": 8080}, {"publish": ["8080"]}),
    ({"health": ["healthy", "none"]}, {"health": ["healthy", "none"]}),
])
def test_normalize_filters(given, expected):
    assert normalize_filters(given) == expected


@pytest.mark.parametrize("given, message", [
    ({"colour": "red"}, "filters: unknown filter key 'colour' (expected one of ancestor, before, "),
    ({"status": "sleeping"}, "filters: status 'sleeping' is not one of created, "),
    ({"health": ["ok"]}, "filters: health 'ok' is not one of starting, "),
    ({"label": {"a": "1"}}, "filters: label expects a string or a list of strings, got {'a': '1'}"),
    ({"name": True}, "filters: name expects a string or a list of strings, got True"),
])
def test_bad_filters_fail_naming_the_key(given, message):
    with pytest.raises(KapalError) as err:
        normalize_filters(given)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


class FakeApi:
    def __init__(self, known):
        self.known = known

    def inspect_container(self, name):
        if name not in self.known:
            raise LookupError(name)
        return {"Id": self.known[name], "Name": "/" + name}


class FakeEngine(Engine):
    api = None

    def __init__(self, known):
        self.api = FakeApi(known)

    @contextlib.contextmanager
    def call(self, action):
        try:
            yield
        except LookupError:
            raise EngineNotFound(action) from None


@pytest.mark.parametrize("names, ids, exists", [
    (["web"], ["1"], True),
    (["web", "db"], ["1", "2"], True),
    (["web", "gone"], ["1"], False),
    (["gone"], [], False),
])
def test_named_containers(names, ids, exists):
    containers, found = container_facts(FakeEngine({"web": "1", "db": "2"}), names=names)
    assert [c["Id"] for c in containers] == ids
    assert found is exists
