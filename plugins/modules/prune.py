#!/usr/bin/python
# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: prune
short_description: Remove unused containers, images, networks, volumes and build cache (C(docker system prune))
version_added: 0.1.0
description:
  - Runs the engine's prunes that are asked for, as C(docker container prune), C(docker image prune),
    C(docker network prune), C(docker volume prune) and C(docker builder prune) do, each with the
    engine's filters, and returns what they removed.
  - What each prune removes is the engine's rule. Containers that are not running (paused and
    restarting ones count as running). Images that are dangling (without a tag; an image known only by
    a digest is dangling), or with O(images_filters) C(dangling=false) every image, in both cases
    except those a container uses, and with each removed image its parent images that nothing else
    holds. Networks without a running container, except C(bridge), C(host) and C(none). Unused
    volumes of the C(local) driver without driver options; from Engine API 1.42 on, only anonymous
    volumes unless O(volumes_filters) C(all=true). Build cache records that are not in use; without
    O(builder_cache_all), not the internal and frontend records nor records shared with images.
  - The task reports a change only when something was removed (or untagged).
  - Check mode lists exactly what a run would remove, computed from the engine's listings with the
    same filters and the same rules, and removes nothing.
author:
  - kapal.docker maintainers (@kapal)
extends_documentation_fragment:
  - kapal.docker.engine
options:
  containers:
    description: Prune containers (C(docker container prune)).
    type: bool
    default: false
  containers_filters:
    description:
      - Filters of the container prune, a mapping of filter name to a value or a list of values.
      - C(until) keeps containers created after the time it gives, a duration counted back from the
        engine's clock (C(24h), C(90m)), a date and time (C(2026-01-31T12:00:00Z); without a zone in the
        engine's), or seconds since the epoch.
      - C(label) prunes only containers with each of its labels, C(key) or C(key=value) (of a list, all of
        them); C(label!) keeps containers that have all of its labels. Either may also be a mapping of
        label keys to values.
    type: dict
  images:
    description: Prune images (C(docker image prune)).
    type: bool
    default: false
  images_filters:
    description:
      - Filters of the image prune, as for O(containers_filters) (C(until), C(label), C(label!)), and
        C(dangling).
      - C(dangling=true) (the default) prunes only dangling images; C(dangling=false) prunes every image
        no container uses (C(docker image prune --all)).
    type: dict
  networks:
    description: Prune networks (C(docker network prune)).
    type: bool
    default: false
  networks_filters:
    description: Filters of the network prune, as for O(containers_filters) (C(until), C(label), C(label!)).
    type: dict
  volumes:
    description: Prune volumes (C(docker volume prune)).
    type: bool
    default: false
  volumes_filters:
    description:
      - Filters of the volume prune, C(label) and C(label!) as for O(containers_filters), and C(all).
      - C(all=true) prunes named volumes too (Engine API 1.42 and newer, where only anonymous volumes
        are pruned without it; older engines always prune every unused volume and refuse C(all)).
    type: dict
  builder_cache:
    description: Prune the build cache (C(docker builder prune)).
    type: bool
    default: false
  builder_cache_all:
    description: Prune internal and frontend records and records shared with images too (C(docker builder prune --all)).
    type: bool
    default: false
  builder_cache_filters:
    description:
      - Filters of the build cache prune.
      - C(until) keeps records used within that duration (C(24h)); C(id) prunes only records whose id
        matches the regular expression; C(type) only records of that type (C(regular),
        C(source.local), C(exec.cachemount), C(internal), C(frontend), C(source.git.checkout)).
    type: dict
  builder_cache_keep_storage:
    description:
      - Prune only until the build cache takes less than this, least recently and least often used
        records first; a size such as C(10G), C(512M) or a number of bytes.
    type: str
notes:
  - The engine runs one prune at a time; a prune that finds another running waits for it (up to ten seconds).
  - Space reclaimed is what the engine reports while removing; in check mode it is null.
  - With O(builder_cache_keep_storage), records that BuildKit ranks equally may be removed in another
    order than check mode predicts.
attributes:
  check_mode:
    support: full
    description: Lists what each prune would remove, from the engine's listings with the same filters and rules; nothing is removed.
  diff_mode:
    support: full
    description: For each kind pruned, what the filters select before, and what of it remains after.
  idempotent:
    support: full
    description: A second run finds nothing left to prune and reports no change (unless new objects became unused meanwhile).
seealso:
  - module: kapal.docker.container
  - module: kapal.docker.image_remove
  - module: kapal.docker.volume
  - module: kapal.docker.network
  - name: docker system prune
    description: The command this module replaces; its filters are the engine's.
    link: https://docs.docker.com/reference/cli/docker/system/prune/
"""

EXAMPLES = r"""
- name: Remove stopped containers older than a day (docker container prune --filter until=24h)
  kapal.docker.prune:
    containers: true
    containers_filters:
      until: 24h

- name: Remove the stopped containers and dangling images of one application
  kapal.docker.prune:
    containers: true
    containers_filters:
      label: com.example.app=billing
    images: true
    images_filters:
      label:
        - com.example.app=billing
  register: pruned

- name: Show what went
  ansible.builtin.debug:
    msg: "{{ pruned.container_names | join(', ') or 'no container' }}; {{ pruned.images | length }} images"

- name: Everything unused, but not what is labelled keep (docker system prune --all --volumes)
  kapal.docker.prune:
    containers: true
    images: true
    images_filters:
      dangling: false
      "label!": keep
    networks: true
    volumes: true
    volumes_filters:
      all: true
    builder_cache: true
    builder_cache_all: true

- name: Keep at most 5 GB of build cache
  kapal.docker.prune:
    builder_cache: true
    builder_cache_keep_storage: 5G
"""

RETURN = r"""
containers:
  description: The ids of the containers removed (in check mode, that would be removed).
  returned: when O(containers=true)
  type: list
  elements: str
  sample: ["0bd2c6b1b1e4a9c4ec0b4e7f0c2f6b5d9d7a1c6b0f3f8a2e1d4c5b6a7f8e9d0c"]
container_names:
  description: The names of those containers.
  returned: when O(containers=true)
  type: list
  elements: str
  sample: [web-old]
containers_space_reclaimed:
  description: Bytes freed by removing the containers, as the engine reports it; null in check mode.
  returned: when O(containers=true)
  type: int
  sample: 4096
images:
  description: The ids of the images removed (not of their layers); in check mode, that would be removed.
  returned: when O(images=true)
  type: list
  elements: str
  sample: ["sha256:0dd083d4e8c01e1a47403b1115ccbb509ebaa9f62374400a264ef91371ba84cf"]
images_untagged:
  description: The references (tags and digests) removed from images, as the engine names them.
  returned: when O(images=true)
  type: list
  elements: str
  sample: ["team/app@sha256:72ac2a841e45d415d37024c626274bdc93c68b8e1a857c4f0363e20bca2ba097"]
images_space_reclaimed:
  description: Bytes freed by removing the images, as the engine reports it; null in check mode.
  returned: when O(images=true)
  type: int
  sample: 1979232
networks:
  description: The names of the networks removed (in check mode, that would be removed).
  returned: when O(networks=true)
  type: list
  elements: str
  sample: [old-backend]
volumes:
  description: The names of the volumes removed (in check mode, that would be removed).
  returned: when O(volumes=true)
  type: list
  elements: str
  sample: ["3f9c0b2e8b1a7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d"]
volumes_space_reclaimed:
  description: Bytes freed by removing the volumes, as the engine reports it; null in check mode.
  returned: when O(volumes=true)
  type: int
  sample: 0
builder_cache_caches_deleted:
  description: The ids of the build cache records removed (in check mode, that would be removed).
  returned: when O(builder_cache=true)
  type: list
  elements: str
  sample: ["ve2cwbz0mq4yqq9ahkpi8ujuw"]
builder_cache_space_reclaimed:
  description: Bytes freed by pruning the build cache, as the engine reports it; null in check mode.
  returned: when O(builder_cache=true)
  type: int
  sample: 0
diff:
  description:
    - For each kind pruned (C(containers) by name, C(images) by id, C(networks) and C(volumes) by name,
      C(builder_cache) by id), what the prune selects before, and what of it is left after.
  returned: in diff mode
  type: dict
  sample:
    before: {containers: [web-old], images: ["sha256:0dd0..."]}
    after: {containers: [], images: []}
"""

from ansible_collections.kapal.docker.plugins.module_utils._module import engine_module, run_module
from ansible_collections.kapal.docker.plugins.module_utils._prune import prune_task


def main():
    spec = dict(
        containers=dict(type="bool", default=False),
        containers_filters=dict(type="dict"),
        images=dict(type="bool", default=False),
        images_filters=dict(type="dict"),
        networks=dict(type="bool", default=False),
        networks_filters=dict(type="dict"),
        volumes=dict(type="bool", default=False),
        volumes_filters=dict(type="dict"),
        builder_cache=dict(type="bool", default=False),
        builder_cache_all=dict(type="bool", default=False),
        builder_cache_filters=dict(type="dict"),
        builder_cache_keep_storage=dict(type="str"),
    )
    module = engine_module(spec, supports_check_mode=True)
    run_module(module, prune_task)


if __name__ == "__main__":
    main()
