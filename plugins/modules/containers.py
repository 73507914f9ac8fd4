#!/usr/bin/python
# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: containers
short_description: Many containers as desired state in one task
version_added: 0.1.0
description:
  - The desired state of M(kapal.docker.container) for a list of containers in one task. One engine
    snapshot, every container planned, the changes applied concurrently.
  - Each item takes every option of M(kapal.docker.container) (C(name) is required), and
    behaves exactly as that module would (the same planner, the same comparisons, the same recreate).
  - When an item fails, the others still finish; then the task fails with one line naming every failed
    item and why, and still returns C(changed) (true when any item changed) and every item's result.
  - With O(prune_label), containers carrying that label that are not in the list are removed.
author:
  - kapal.docker maintainers (@kapal)
extends_documentation_fragment:
  - kapal.docker.engine
options:
  containers:
    description:
      - The containers. Each item is a dictionary of the options of M(kapal.docker.container), validated
        as that module validates them, e.g. C(name), C(image), C(state), C(command), C(env),
        C(published_ports), C(volumes), C(labels), C(restart_policy), C(memory), C(wait), C(comparisons).
      - Names must be unique in the list.
      - Options a container does not take fail the task before anything is done, all of them (in O(defaults)
        and in every item) named in one message.
    type: list
    elements: dict
    required: true
  defaults:
    description:
      - Options applied to every item that does not set them itself, e.g. a common C(image), C(labels)
        or C(restart_policy). Takes the same options as an item, except C(name), which is refused.
    type: dict
  parallel:
    description: How many containers are changed at the same time.
    type: int
    default: 4
  prune_label:
    description:
      - Remove every container that carries this label (any value) and is not in O(containers).
      - Give the label to the listed containers too (for example through O(defaults)) so that a later
        run with a shorter list removes the ones dropped from it.
    type: str
attributes:
  check_mode:
    support: full
    description: Plans every container from the engine's real state and reports what a real run would do; changes nothing.
  diff_mode:
    support: full
    description: A before/after per container (headed by its name) with the options that differ.
  idempotent:
    support: full
    description: A second run of the same task reports no change.
seealso:
  - module: kapal.docker.container
    description: One container, and the full description of every option an item takes.
"""

EXAMPLES = r"""
- name: Three web servers and a cache, with one label to prune by
  kapal.docker.containers:
    defaults:
      image: kapal-test/busybox:latest
      restart_policy: unless-stopped
      labels:
        app: shop
    prune_label: app
    containers:
      - name: web1
        command: httpd -f -p 80 -h /var/www
        published_ports: ["8081:80"]
      - name: web2
        command: httpd -f -p 80 -h /var/www
        published_ports: ["8082:80"]
      - name: web3
        command: httpd -f -p 80 -h /var/www
        published_ports: ["8083:80"]
      - name: cache
        image: registry.example.com/redis:7
        memory: 256m

- name: Stop them all, two at a time
  kapal.docker.containers:
    parallel: 2
    defaults:
      state: stopped
    containers:
      - name: web1
      - name: web2
      - name: web3
"""

RETURN = r"""
containers:
  description:
    - One result per listed container, in the order given, then one per pruned container.
    - Also when the task fails; a failed item's C(error) says why, its C(actions) what was done before.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The container's name.
      type: str
      sample: web1
    changed:
      description: Whether this container changed (or would change in check mode).
      type: bool
      sample: true
    actions:
      description: What was done to it, in order (see the C(actions) of M(kapal.docker.container)).
      type: list
      elements: str
      sample: ["recreate: env changed", "kept from the old container: published_ports", "start"]
    error:
      description: Why this container failed; None when it did not.
      type: str
      sample: "image registry.example.com/app:2 is not present on Docker Engine at unix:///var/run/docker.sock and pull is never"
    container:
      description: Its C(docker inspect) answer after the task (before it in check mode); None when absent.
      type: dict
      sample: {Id: "3f2a9c...", Name: /web1, State: {Status: running}}
    diff:
      description: Before and after of what differs.
      type: dict
      sample: {before: {env: {A: "1"}}, after: {env: {A: "2"}}}
"""

from ansible_collections.kapal.docker.plugins.module_utils._container.tasks import containers_task
from ansible_collections.kapal.docker.plugins.module_utils._module import engine_module, run_module

# The items of ``containers`` and ``defaults`` are validated against the spec the option table
# generates for one container (see desired_list), so that they are exactly kapal.docker.container's.
ARGUMENT_SPEC = dict(
    containers=dict(type="list", elements="dict", required=True),
    defaults=dict(type="dict"),
    parallel=dict(type="int", default=4),
    prune_label=dict(type="str"),
)


def main():
    module = engine_module(ARGUMENT_SPEC, supports_check_mode=True)
    run_module(module, containers_task)


if __name__ == "__main__":
    main()
