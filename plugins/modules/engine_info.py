#!/usr/bin/python
# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: engine_info
short_description: Facts about a Docker Engine (C(docker version), C(docker info), C(docker system df))
version_added: 0.1.0
description:
  - Returns the engine's version, API version, operating system and architecture, storage
    driver, and counts of containers and images.
  - Optionally lists the engine's containers, images, volumes and networks, and its disk usage.
  - Never changes anything. Also the quickest way to prove that a host can reach its engine.
author:
  - kapal.docker maintainers (@kapal)
extends_documentation_fragment:
  - kapal.docker.engine
  - kapal.docker.attributes.info_module
options:
  containers:
    description: Also list every container (running or not) as RV(containers).
    type: bool
    default: false
  images:
    description: Also list every image as RV(images).
    type: bool
    default: false
  volumes:
    description: Also list every volume as RV(volumes).
    type: bool
    default: false
  networks:
    description: Also list every network as RV(networks).
    type: bool
    default: false
  disk_usage:
    description: Also return the engine's disk usage (C(docker system df)) as RV(disk_usage). Can be slow on big hosts.
    type: bool
    default: false
seealso:
  - name: Docker Engine API reference
    description: The C(/info), C(/version) and C(/system/df) endpoints this module reads.
    link: https://docs.docker.com/engine/api/v1.41/
"""

EXAMPLES = r"""
- name: Check that the engine answers, and show its version
  kapal.docker.engine_info:
  register: engine

- name: Show the engine version
  ansible.builtin.debug:
    msg: "Docker {{ engine.engine.version }} (API {{ engine.engine.api_version }}) on {{ engine.engine.os }}"

- name: A remote engine over TLS, with every container listed
  kapal.docker.engine_info:
    docker_host: tcp://docker1.example.com:2376
    validate_certs: true
    ca_path: /etc/docker/tls/ca.pem
    client_cert: /etc/docker/tls/cert.pem
    client_key: /etc/docker/tls/key.pem
    containers: true

- name: Set the engine once for every kapal.docker module
  module_defaults:
    group/kapal.docker.docker:
      docker_host: unix:///run/user/1000/docker.sock
  block:
    - name: Read the engine facts
      kapal.docker.engine_info:
        images: true
"""

RETURN = r"""
engine:
  description: Facts about the engine.
  returned: success
  type: dict
  contains:
    host:
      description: The address the module talked to.
      type: str
      sample: unix:///var/run/docker.sock
    version:
      description: Engine version.
      type: str
      sample: 20.10.24+dfsg1
    api_version:
      description: Newest API version the engine speaks.
      type: str
      sample: "1.41"
    min_api_version:
      description: Oldest API version the engine speaks.
      type: str
      sample: "1.12"
    os:
      description: Operating system of the engine's host.
      type: str
      sample: Debian GNU/Linux 12 (bookworm)
    os_type:
      description: C(linux) or C(windows).
      type: str
      sample: linux
    kernel_version:
      description: Kernel of the engine's host.
      type: str
      sample: 6.1.0-18-amd64
    architecture:
      description: Machine architecture, as the engine reports it.
      type: str
      sample: x86_64
    storage_driver:
      description: Storage driver of the engine.
      type: str
      sample: overlay2
    cgroup_driver:
      description: Cgroup driver of the engine.
      type: str
      sample: cgroupfs
    cgroup_version:
      description: Cgroup version on the engine's host.
      type: str
      sample: "2"
    docker_root_dir:
      description: The engine's data root.
      type: str
      sample: /var/lib/docker
    name:
      description: Host name of the engine's host.
      type: str
      sample: docker1
    cpus:
      description: Number of CPUs the engine sees.
      type: int
      sample: 4
    memory:
      description: Memory the engine sees, in bytes.
      type: int
      sample: 8331780096
    containers:
      description: Container counts.
      type: dict
      sample: {total: 3, running: 2, paused: 0, stopped: 1}
    images:
      description: Number of images.
      type: int
      sample: 12
    insecure_registries:
      description: Registry CIDRs and names the engine reaches over plain HTTP.
      type: list
      elements: str
      sample: ["127.0.0.0/8"]
    warnings:
      description: Warnings the engine reports about its own configuration.
      type: list
      elements: str
      sample: []
containers:
  description: Every container, when O(containers=true).
  returned: when O(containers=true)
  type: list
  elements: dict
  sample: [{id: 3f2a..., name: web, image: "kapal-test/busybox:latest", state: running, status: Up 2 minutes}]
images:
  description: Every image, when O(images=true).
  returned: when O(images=true)
  type: list
  elements: dict
  sample: [{id: "sha256:be...", tags: ["kapal-test/busybox:latest"], size: 2170080, created: "2026-11-27T18:49:40Z"}]
volumes:
  description: Every volume, when O(volumes=true).
  returned: when O(volumes=true)
  type: list
  elements: dict
  sample: [{name: data, driver: local, mountpoint: /var/lib/docker/volumes/data/_data, labels: {}}]
networks:
  description: Every network, when O(networks=true).
  returned: when O(networks=true)
  type: list
  elements: dict
  sample: [{id: "9c1e...", name: bridge, driver: bridge, scope: local}]
disk_usage:
  description: Disk usage, in bytes, when O(disk_usage=true).
  returned: when O(disk_usage=true)
  type: dict
  sample: {layers_size: 123456789, images: 12, containers: 3, volumes: 2}
"""

from ansible_collections.kapal.docker.plugins.module_utils._engine_info import SECTIONS, info_task
from ansible_collections.kapal.docker.plugins.module_utils._module import engine_module, run_module


def main():
    module = engine_module(
        dict((section, dict(type="bool", default=False)) for section in SECTIONS),
        supports_check_mode=True,
    )
    run_module(module, info_task)


if __name__ == "__main__":
    main()
