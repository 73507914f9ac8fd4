#!/usr/bin/python
# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: container_info
short_description: Facts about containers (C(docker inspect), C(docker ps))
version_added: 0.1.0
description:
  - With O(name), returns the C(docker inspect) answer of each named container that exists.
  - Without O(name), lists containers like C(docker ps) (running ones, or every one with O(all)),
    narrowed by O(filters), and returns the C(docker inspect) answer of each.
  - Never changes anything.
author:
  - kapal.docker maintainers (@kapal)
extends_documentation_fragment:
  - kapal.docker.engine
  - kapal.docker.attributes.info_module
options:
  name:
    description:
      - Name or id of a container, or a list of them.
      - Containers that do not exist are left out of RV(containers), and RV(exists) is then false.
    type: list
    elements: str
  all:
    description:
      - When listing, include containers that are not running (C(docker ps -a)).
      - Ignored with O(name), since a named container is found whatever its state.
    type: bool
    default: false
  filters:
    description:
      - When listing, only containers that match every filter (C(docker ps --filter)).
      - Keys are C(ancestor), C(before), C(expose), C(health), C(id), C(label), C(name),
        C(network), C(publish), C(since), C(status), C(volume); each value is a string or a
        list of strings (a list matches any of its values, except C(label), where every
        label must match).
      - C(label) takes C(key) or C(key=value); C(status) takes C(created), C(restarting),
        C(running), C(removing), C(paused), C(exited) or C(dead); C(health) takes
        C(starting), C(healthy), C(unhealthy) or C(none).
      - An unknown key fails and names the key.
    type: dict
seealso:
  - module: kapal.docker.engine_info
    description: Engine facts, and a short listing of every container.
  - module: kapal.docker.container_exec
    description: Run a command in a running container.
  - name: Docker Engine API, containers
    description: The C(/containers/json) and C(/containers/{id}/json) endpoints this module reads.
    link: https://docs.docker.com/engine/api/v1.41/#tag/Container
"""

EXAMPLES = r"""
- name: Inspect one container (docker inspect web)
  kapal.docker.container_info:
    name: web
  register: web

- name: Show its IP address and state
  ansible.builtin.debug:
    msg: "{{ web.containers[0].NetworkSettings.IPAddress }} is {{ web.containers[0].State.Status }}"
  when: web.exists

- name: Running containers (docker ps)
  kapal.docker.container_info:
  register: running

- name: Every container made from an image with a label, running or not (docker ps -a --filter ...)
  kapal.docker.container_info:
    all: true
    filters:
      ancestor: kapal-test/busybox:latest
      label:
        - com.example.role=web
      status: [running, exited]
  register: web_containers

- name: Names of the listed containers
  ansible.builtin.debug:
    msg: "{{ web_containers.containers | map(attribute='Name') | map('regex_replace', '^/', '') | list }}"
"""

RETURN = r"""
exists:
  description:
    - With O(name), whether every named container exists.
    - Without O(name), whether any container matched the listing.
  returned: always
  type: bool
  sample: true
containers:
  description:
    - The C(docker inspect) answer of each container, as the engine gives it (keys such as
      C(Id), C(Name), C(State), C(Config), C(HostConfig), C(NetworkSettings), C(Mounts)).
    - With O(name), in the order the names were given, leaving out those that do not exist;
      otherwise oldest first.
  returned: always
  type: list
  elements: dict
  sample:
    - Id: 3f2a9c1e6b0d4e8f9a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f
      Name: /web
      Image: sha256:be1f0e0b5a2a3b7e5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b
      State: {Status: running, Running: true, ExitCode: 0, Pid: 4242}
      Config: {Image: "kapal-test/busybox:latest", Cmd: [httpd, -f, -p, "80"], Labels: {}}
      NetworkSettings: {IPAddress: 172.17.0.2, Ports: {80/tcp: [{HostIp: 0.0.0.0, HostPort: "8080"}]}}
"""

from ansible_collections.kapal.docker.plugins.module_utils._container.tasks import container_info_task
from ansible_collections.kapal.docker.plugins.module_utils._module import engine_module, run_module


ARGUMENT_SPEC = dict(
    name=dict(type="list", elements="str"),
    all=dict(type="bool", default=False),
    filters=dict(type="dict"),
)


def main():
    module = engine_module(ARGUMENT_SPEC, mutually_exclusive=[("name", "filters")], supports_check_mode=True)
    run_module(module, container_info_task)


if __name__ == "__main__":
    main()
