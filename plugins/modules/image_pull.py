#!/usr/bin/python
# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_pull
short_description: Pull an image from a registry (C(docker pull))
version_added: 0.1.0
description:
  - Makes sure an image is present on the engine, pulling it from its registry when it is missing,
    or, with O(pull=always), whenever the registry holds a different image under the tag.
  - Before any pull the module asks the registry (registry API v2) for the image's manifest, so an
    unknown image, wrong credentials or an unreachable registry fail in check mode exactly as they
    would in a real run, and O(pull=always) pulls only when the registry's image really differs.
  - Returns the image's facts, the same as M(kapal.docker.image_info) would.
author:
  - kapal.docker maintainers (@kapal)
extends_documentation_fragment:
  - kapal.docker.engine
  - kapal.docker.registry
options:
  name:
    description:
      - The image to pull, C([registry/]repository[:tag][@digest]), for example
        C(127.0.0.1:5000/team/app:1.0) or C(busybox@sha256:...).
      - Without a registry, the image comes from Docker Hub.
    type: str
    required: true
  tag:
    description:
      - Tag to pull, when O(name) carries none. Conflicts with a different tag or a digest in O(name).
      - When neither O(name) nor O(tag) gives a tag or digest, C(latest).
    type: str
  platform:
    description:
      - Platform to pull from a multi-platform image, C(os/architecture[/variant]) such as C(linux/arm64/v8).
      - When not given, the engine's own platform.
    type: str
  pull:
    description:
      - V(missing) pulls only when the image is not on the engine.
      - V(always) asks the registry every time and pulls when the registry's manifest digest differs
        from the one the local image came from; the task reports a change only when the local image
        id changed. An image pinned by digest is never pulled again.
    type: str
    choices: [missing, always]
    default: missing
attributes:
  check_mode:
    support: full
    description: Nothing is pulled; the change is predicted by comparing the registry's manifest with the local image.
  diff_mode:
    support: full
    description: Shows the image id and the repository digests before and after.
  idempotent:
    support: full
    description: A second run finds the image present (or the same as the registry's) and reports no change.
seealso:
  - module: kapal.docker.image_search
  - module: kapal.docker.image_push
"""

EXAMPLES = r"""
- name: Make sure an image is there (docker pull busybox, only when missing)
  kapal.docker.image_pull:
    name: 127.0.0.1:5000/kapal-test/busybox:latest

- name: Follow a moving tag, pulling only when the registry holds a new image
  kapal.docker.image_pull:
    name: registry.example.com/team/app
    tag: stable
    pull: always
  register: app

- name: Pin an exact image by digest
  kapal.docker.image_pull:
    name: registry.example.com/team/app@sha256:72ac2a841e45d415d37024c626274bdc93c68b8e1a857c4f0363e20bca2ba097

- name: From a registry with a password and a private CA
  kapal.docker.image_pull:
    name: registry.example.com:5001/team/app:1.0
    username: deploy
    password: "{{ registry_password }}"
    registry_ca_path: /etc/pki/registry-ca.pem

- name: An arm64 image on an amd64 host
  kapal.docker.image_pull:
    name: registry.example.com/team/app:1.0
    platform: linux/arm64
"""

RETURN = r"""
image:
  description:
    - Facts about the image after the pull.
    - In check mode, the facts of the local image as it is now; null when it is absent.
  returned: success
  type: dict
  sample:
    id: sha256:0dd083d4e8c01e1a47403b1115ccbb509ebaa9f62374400a264ef91371ba84cf
    repo_tags: ["127.0.0.1:5000/kapal-test/busybox:latest"]
    repo_digests: ["127.0.0.1:5000/kapal-test/busybox@sha256:72ac2a841e45d415d37024c626274bdc93c68b8e1a857c4f0363e20bca2ba097"]
    size: 1979232
    created: "2026-11-27T18:58:10.123456789Z"
    architecture: amd64
    os: linux
    labels: {}
    exposed_ports: []
    config: {cmd: ["sh"], entrypoint: null, env: ["PATH=/bin"], working_dir: null, user: null, volumes: [],
             healthcheck: null, stop_signal: null}
digest:
  description: The registry's manifest digest for the image (of the index, for a multi-platform image).
  returned: when the registry was asked (the image was missing, or O(pull=always) with a tag)
  type: str
  sample: sha256:72ac2a841e45d415d37024c626274bdc93c68b8e1a857c4f0363e20bca2ba097
diff:
  description: The image id and repository digests before and after; in check mode the predicted ones.
  returned: in diff mode
  type: dict
  sample:
    before: {id: null, repo_digests: []}
    after: {id: "sha256:0dd0...", repo_digests: ["127.0.0.1:5000/kapal-test/busybox@sha256:72ac..."]}
"""

from ansible_collections.kapal.docker.plugins.module_utils._image_transfer import pull_task
from ansible_collections.kapal.docker.plugins.module_utils._module import engine_module, run_module
from ansible_collections.kapal.docker.plugins.module_utils._registry import REGISTRY_OPTIONS


def main():
    spec = dict(
        name=dict(type="str", required=True),
        tag=dict(type="str"),
        platform=dict(type="str"),
        pull=dict(type="str", choices=["missing", "always"], default="missing"),
    )
    spec.update(REGISTRY_OPTIONS)
    module = engine_module(spec, supports_check_mode=True)
    run_module(module, pull_task)


if __name__ == "__main__":
    main()
