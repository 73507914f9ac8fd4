#!/usr/bin/python
# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_push
short_description: Push a local image to a registry (C(docker tag) and C(docker push))
version_added: 0.1.0
description:
  - Pushes a local image to its registry, optionally tagging it into another repository first
    (C(docker tag app:1.0 registry.example.com/team/app:1.0)).
  - Before pushing, the module asks the registry (registry API v2) which image it holds under the
    tag, and pushes only when that is not the local image (the manifest's config digest is compared
    with the local image id). So a re-run pushes nothing, and check mode knows whether a push would happen.
author:
  - kapal.docker maintainers (@kapal)
extends_documentation_fragment:
  - kapal.docker.engine
  - kapal.docker.registry
options:
  name:
    description:
      - The local image, C(repository[:tag]) or an image id.
      - Without O(repository), the image is pushed under this name, which then names the registry,
        for example C(127.0.0.1:5000/team/app:1.0).
    type: str
    required: true
  repository:
    description:
      - Tag the image into this repository first, C(registry/path[:tag]), then push that.
      - Needed when O(name) is an image id.
    type: str
  tag:
    description:
      - Tag to push. Conflicts with a different tag in O(repository) (or in O(name) without O(repository)).
      - When not given, the tag of O(repository), else the tag of O(name), else C(latest).
    type: str
attributes:
  check_mode:
    support: full
    description: Nothing is tagged or pushed; the registry is asked whether it already holds the image under the tag.
  diff_mode:
    support: full
    description: Shows the image id and manifest digest the registry holds under the tag, before and after.
  idempotent:
    support: full
    description: A second run finds the image in the registry and pushes nothing.
notes:
  - The task reports a change when it tags the image into O(repository) or pushes it.
seealso:
  - module: kapal.docker.image_pull
  - module: kapal.docker.image_search
"""

EXAMPLES = r"""
- name: Push an image that already carries its registry in its name
  kapal.docker.image_push:
    name: 127.0.0.1:5000/team/app:1.0

- name: Ship a locally built image to a private registry (docker tag + docker push)
  kapal.docker.image_push:
    name: app:1.0
    repository: registry.example.com:5001/team/app
    username: ci
    password: "{{ registry_password }}"
  register: shipped

- name: Every host pulls exactly what was pushed
  kapal.docker.image_pull:
    name: "registry.example.com:5001/team/app@{{ shipped.digest }}"
    username: deploy
    password: "{{ registry_password }}"

- name: Also publish it as stable
  kapal.docker.image_push:
    name: app:1.0
    repository: registry.example.com:5001/team/app
    tag: stable
    username: ci
    password: "{{ registry_password }}"
"""

RETURN = r"""
image:
  description: Facts about the local image that was pushed (as M(kapal.docker.image_pull) returns them).
  returned: success
  type: dict
  sample:
    id: sha256:0dd083d4e8c01e1a47403b1115ccbb509ebaa9f62374400a264ef91371ba84cf
    repo_tags: ["127.0.0.1:5000/team/app:1.0", "app:1.0"]
    repo_digests: ["127.0.0.1:5000/team/app@sha256:72ac2a841e45d415d37024c626274bdc93c68b8e1a857c4f0363e20bca2ba097"]
    size: 1979232
    created: "2026-11-27T18:58:10.123456789Z"
    architecture: amd64
    os: linux
    labels: {}
    exposed_ports: []
    config: {cmd: ["sh"], entrypoint: null, env: [], working_dir: null, user: null, volumes: [],
             healthcheck: null, stop_signal: null}
repository:
  description: The reference the image was pushed as.
  returned: success
  type: str
  sample: 127.0.0.1:5000/team/app:1.0
digest:
  description:
    - The manifest digest the registry holds for the image under the tag, after the push.
    - Null in check mode when a push would be needed (the digest is known only once pushed).
  returned: success
  type: str
  sample: sha256:72ac2a841e45d415d37024c626274bdc93c68b8e1a857c4f0363e20bca2ba097
diff:
  description: What the registry holds under the tag (image id and manifest digest), before and after.
  returned: in diff mode
  type: dict
  sample:
    before: {repository: "127.0.0.1:5000/team/app:1.0", image_id: null, digest: null}
    after: {repository: "127.0.0.1:5000/team/app:1.0", image_id: "sha256:0dd0...", digest: "sha256:72ac..."}
"""

from ansible_collections.kapal.docker.plugins.module_utils._image_transfer import push_task
from ansible_collections.kapal.docker.plugins.module_utils._module import engine_module, run_module
from ansible_collections.kapal.docker.plugins.module_utils._registry import REGISTRY_OPTIONS


def main():
    spec = dict(
        name=dict(type="str", required=True),
        repository=dict(type="str"),
        tag=dict(type="str"),
    )
    spec.update(REGISTRY_OPTIONS)
    module = engine_module(spec, supports_check_mode=True)
    run_module(module, push_task)


if __name__ == "__main__":
    main()
