# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Record what each engine of the test bed reports (issue #13): the unit tests' engine fixtures.

For every engine of tests/testbed/engines.py, the module kapal.docker.container creates a few containers
(each task of TASKS), and the engine's answers are written, as they come, to

  tests/unit/plugins/module_utils/fixtures/engines/<engine>/<task>.json
      {"engine": {name, kind, version, api_version}, "task": <the task's options>, "container": <inspect>}
  tests/unit/plugins/module_utils/fixtures/engines/<engine>/image.json       the image's inspect
  tests/unit/plugins/module_utils/fixtures/engines/<engine>/tagged.json      the image's inspect once tagged
                                                                             kapal-fixture-tagged:1 through the API
  tests/unit/plugins/module_utils/fixtures/engines/<engine>/version.json     GET /version
  tests/unit/plugins/module_utils/fixtures/engines/<engine>/info.json        GET /info (docker info)

tests/unit/plugins/module_utils/test_engine_quirks.py reads them through the option table's readers.
Run it again (with the venv's Python, the engines up) when an engine or a task changes:

  .venv/bin/python tests/testbed/engine_fixtures.py [ENGINE ...]

Names in the tasks are fixed ({network}, {volume} are replaced by this run's), so the recorded
answers differ between runs only in ids, times and addresses.
"""

from __future__ import annotations

import json
import os
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

from tests.integration.conftest import run_module  # noqa: E402
from tests.testbed import engines  # noqa: E402

OUT = os.path.join(ROOT, "tests", "unit", "plugins", "module_utils", "fixtures", "engines")
IMAGE = "kapal-test/busybox:latest"

# Each task is one container; together they give every option the engines report differently.
TASKS = {
    "defaults": dict(command="sleep 3600"),
    "options": dict(
        command="sleep 3600", env={"GREETING": "hello"}, labels={"app": "kapal"},
        published_ports=["18480:80", "127.0.0.1:18481:80", "[::1]:18482:80"],
        volumes=["/etc:/host-etc:ro", "{volume}:/data", "/anonymous"],
        healthcheck=dict(test=["CMD", "true"], interval="5s", retries=3),
        log_driver="json-file", log_options={"max-size": "1m"},
        # Both limits: Podman 4.3 otherwise adds nproc at its maximum, which the test bed cannot raise to.
        ulimits=["nofile:1024:2048", "nproc:2048:4096"],
        network_mode="{network}", stop_signal="SIGUSR1", stop_timeout=1, tmpfs=["/run/x:size=1m"],
        cap_drop=["MKNOD"], sysctls={"net.ipv4.ip_forward": "1"}, devices=["/dev/null:/dev/kapal-null:rw"],
        domainname="example.com", hostname="web1", working_dir="/tmp",
    ),
    "mounts": dict(command="sleep 3600", stop_timeout=1, mounts=[
        dict(type="tmpfs", target="/run/app", tmpfs_size="1m"),
        dict(type="bind", source="/etc", target="/host-etc", read_only=True),
        dict(type="volume", source="{volume}", target="/mounted"),
    ]),
    "networks": dict(command="sleep 3600", stop_timeout=1, networks=[dict(name="{network}", aliases=["web"])]),
}


def connection(facts):
    """The modules' engine connection options for one engine's facts."""
    args = dict(docker_host=facts["docker_host"])
    if facts.get("tls"):
        args.update(tls=True, validate_certs=True, ca_path=facts["ca_path"], client_cert=facts["client_cert"],
                    client_key=facts["client_key"])
    return args


def _fill(value, names):
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, list):
        return [_fill(item, names) for item in value]
    if isinstance(value, dict):
        return dict((key, _fill(item, names)) for key, item in value.items())
    return value


def _write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
        handle.write("\n")


def record(facts):
    api = engines.client(facts)
    token = uuid.uuid4().hex[:6]
    names = dict(network="kapal-fixture-net", volume="kapal-fixture-vol")
    container_names = []
    try:
        api.create_network(names["network"])
        engine = dict(name=facts["name"], kind=facts["kind"], version=facts["version"], api_version=facts["api_version"])
        _write(os.path.join(OUT, facts["name"], "version.json"), api.version())
        _write(os.path.join(OUT, facts["name"], "info.json"), api.info())
        _write(os.path.join(OUT, facts["name"], "image.json"), api.inspect_image(IMAGE))
        api.tag(IMAGE, "kapal-fixture-tagged", "1")
        try:
            _write(os.path.join(OUT, facts["name"], "tagged.json"), api.inspect_image("kapal-fixture-tagged:1"))
        finally:
            api.remove_image("kapal-fixture-tagged:1")
        for task, options in TASKS.items():
            name = "kapal-fixture-%s-%s" % (task, token)
            container_names.append(name)
            given = dict(_fill(options, names), image=IMAGE)
            result = run_module("container", dict(connection(facts), name=name, **given))
            if result.failed:
                raise RuntimeError("%s: %s: %s" % (facts["name"], task, result.get("msg")))
            _write(os.path.join(OUT, facts["name"], "%s.json" % task),
                   dict(engine=engine, task=given, container=api.inspect_container(name)))
            print("%s: %s recorded" % (facts["name"], task))
    finally:
        for name in container_names:
            try:
                api.remove_container(name, force=True, v=True)
            except Exception:  # noqa: BLE001 (never created)
                pass
        for resource, remove in ((names["network"], api.remove_network), (names["volume"], api.remove_volume)):
            try:
                remove(resource)
            except Exception:  # noqa: BLE001 (never created)
                pass
        api.close()


def main(argv):
    for facts in engines.up(only=argv or None):
        record(facts)


if __name__ == "__main__":
    main(sys.argv[1:])
