"""One rule for every option that takes a map of strings (issue #10: labels were 'true' on a
container but 'True' on a network, a volume or a build; None was '' in one place, refused in another)."""

import pytest

from ansible_collections.kapal.docker.plugins.module_utils._build import spec_from_params
from ansible_collections.kapal.docker.plugins.module_utils._container.options import parse_options
from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError
from ansible_collections.kapal.docker.plugins.module_utils._networks import network_spec
from ansible_collections.kapal.docker.plugins.module_utils._volumes import volume_spec

GIVEN = {"public": True, "private": False, "count": 3, "ratio": 0.5, "name": "web", "empty": ""}
WANTED = {"public": "true", "private": "false", "count": "3", "ratio": "0.5", "name": "web", "empty": ""}


def _container(option):
    return lambda mapping: parse_options({option: mapping})[option]


def _network(option):
    params = dict(name="n", driver="bridge", driver_options=None, labels=None, ipam_config=None, internal=None,
                  attachable=None, enable_ipv6=None, force=False)
    return lambda mapping: getattr(network_spec(dict(params, **{option: mapping})), option)


def _volume(option):
    params = dict(name="v", driver="local", driver_options=None, labels=None, recreate="never")
    return lambda mapping: getattr(volume_spec(dict(params, **{option: mapping})), option)


def _build(option):
    params = dict(name="app:1", path="/tmp")
    return lambda mapping: getattr(spec_from_params(dict(params, **{option: mapping})), option)


MAP_OPTIONS = [
    ("container env", _container("env"), "env"),
    ("container labels", _container("labels"), "labels"),
    ("container log_options", _container("log_options"), "log_options"),
    ("container sysctls", _container("sysctls"), "sysctls"),
    ("network labels", _network("labels"), "labels"),
    ("network driver_options", _network("driver_options"), "driver_options"),
    ("volume labels", _volume("labels"), "labels"),
    ("volume driver_options", _volume("driver_options"), "driver_options"),
    ("build labels", _build("labels"), "labels"),
    ("build build_args", _build("build_args"), "build_args"),
]


@pytest.mark.parametrize("where, parse, option", MAP_OPTIONS, ids=[m[0] for m in MAP_OPTIONS])
def test_every_map_option_coerces_alike(where, parse, option):
    assert parse(dict(GIVEN)) == WANTED, where


@pytest.mark.parametrize("where, parse, option", MAP_OPTIONS, ids=[m[0] for m in MAP_OPTIONS])
@pytest.mark.parametrize("bad", [None, [1], {"a": 1}])
def test_every_map_option_refuses_alike(where, parse, option, bad):
    with pytest.raises(KapalError) as err:
        parse({"key": bad})
    text = str(err.value)
    assert text.startswith(option + ":") and "key" in text and "\n" not in text, where
