#!/usr/bin/python
# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_search
short_description: Search Docker Hub or a private registry for images (C(docker search))
version_added: 0.1.0
description:
  - Searches Docker Hub through the engine's search API, as C(docker search) does.
  - Searches any other registry through the registry API v2, which has no search endpoint, so the
    module lists the registry's catalog (following its pagination) and keeps the repositories whose
    name contains O(term), or matches it as a glob when O(term) has C(*), C(?) or C([).
  - Optionally lists each found repository's tags and their manifest digests.
  - Never changes anything.
author:
  - kapal.docker maintainers (@kapal)
extends_documentation_fragment:
  - kapal.docker.engine
  - kapal.docker.attributes.info_module
  - kapal.docker.registry
options:
  term:
    description:
      - What to search for. On Docker Hub, Docker Hub's own search term.
      - On other registries, a substring of the repository name (case-insensitive), or a glob on the
        whole repository name (without the registry) when it holds C(*), C(?) or C([); V(*) lists every repository.
    type: str
    required: true
  registry:
    description:
      - The registry to search, C(host[:port]), for example C(127.0.0.1:5000).
      - V(docker.io) (the default) searches Docker Hub through the engine.
    type: str
    default: docker.io
  limit:
    description: Return at most this many results.
    type: int
    default: 25
  page_size:
    description: How many repositories or tags to ask a v2 registry for per page of its catalog and tag lists.
    type: int
    default: 100
  list_tags:
    description: Add each result's tags as RV(results[].tags), versions newest first, then other tags by name.
    type: bool
    default: false
  digests:
    description: Add each listed tag's manifest digest as RV(results[].digests). Implies O(list_tags).
    type: bool
    default: false
  tag_pattern:
    description:
      - Keep only tags that match this glob, such as C(1.*); repositories without a matching tag are left
        out of the results. Implies O(list_tags).
    type: str
  is_official:
    description: Docker Hub only. V(true) keeps only official images, V(false) only the others.
    type: bool
  stars:
    description: Docker Hub only. Keep only images with at least this many stars.
    type: int
seealso:
  - module: kapal.docker.image_pull
  - module: kapal.docker.image_push
"""

EXAMPLES = r"""
- name: Search Docker Hub (docker search redis)
  kapal.docker.image_search:
    term: redis
    is_official: true

- name: Find every image of a team in a private registry, with its versions
  kapal.docker.image_search:
    registry: registry.example.com:5000
    term: "team/*"
    list_tags: true
    username: reader
    password: "{{ registry_password }}"
  register: found

- name: Pull the newest tag of each
  kapal.docker.image_pull:
    name: "{{ item.name }}:{{ item.tags[0] }}"
    username: reader
    password: "{{ registry_password }}"
  loop: "{{ found.results | selectattr('tags') }}"
  loop_control:
    label: "{{ item.name }}"

- name: Which digest does every 1.x tag point to
  kapal.docker.image_search:
    registry: 127.0.0.1:5000
    term: busybox
    tag_pattern: "1.*"
    digests: true
"""

RETURN = r"""
results:
  description: The images found, in the registry's order; fields a registry does not know are null.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: A name that can be pulled as it is, including the registry for other registries than Docker Hub.
      type: str
      sample: 127.0.0.1:5000/kapal-test/busybox
    description:
      description: The image's description (Docker Hub only).
      type: str
      sample: Redis is the world's fastest data platform
    stars:
      description: Docker Hub stars (Docker Hub only).
      type: int
      sample: 12000
    official:
      description: Whether the image is a Docker Official Image (Docker Hub only).
      type: bool
      sample: true
    tags:
      description: The repository's tags, when O(list_tags), O(digests) or O(tag_pattern) asks for them.
      type: list
      elements: str
      sample: ["1.36.1", "1.36.0", "latest"]
    digests:
      description: Manifest digest of every listed tag, when O(digests=true).
      type: dict
      sample: {"1.36.1": "sha256:72ac2a841e45d415d37024c626274bdc93c68b8e1a857c4f0363e20bca2ba097"}
  sample:
    - name: 127.0.0.1:5000/kapal-test/busybox
      description: null
      stars: null
      official: null
      tags: ["latest"]
      digests: null
"""

from ansible_collections.kapal.docker.plugins.module_utils._image_search import search_task
from ansible_collections.kapal.docker.plugins.module_utils._module import engine_module, run_module
from ansible_collections.kapal.docker.plugins.module_utils._registry import REGISTRY_OPTIONS


def main():
    spec = dict(
        term=dict(type="str", required=True),
        registry=dict(type="str", default="docker.io"),
        limit=dict(type="int", default=25),
        page_size=dict(type="int", default=100),
        list_tags=dict(type="bool", default=False),
        digests=dict(type="bool", default=False),
        tag_pattern=dict(type="str"),
        is_official=dict(type="bool"),
        stars=dict(type="int"),
    )
    spec.update(REGISTRY_OPTIONS)
    module = engine_module(spec, supports_check_mode=True)
    run_module(module, search_task)


if __name__ == "__main__":
    main()
