#!/usr/bin/python
# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_tag
short_description: Give a local image other names (C(docker tag))
version_added: 0.1.0
description:
  - Points every reference of O(repository) at the local image O(name), as C(docker tag) does.
    A reference that names the image already is left as it is. One that names another image is
    moved (the other image keeps its other names, or becomes untagged), unless
    O(existing_images=keep).
  - Nothing is pushed or pulled; see M(kapal.docker.image_push) to ship the image under a new name.
  - The options are those of C(community.docker.docker_image_tag), so a task moves over by
    renaming the module.
author:
  - kapal.docker maintainers (@kapal)
extends_documentation_fragment:
  - kapal.docker.engine
options:
  name:
    description:
      - The local image, as a reference (C(repo/name:tag), meaning C(:latest) without a tag;
        C(repo/name@sha256:...)) or an id (full C(sha256:...) or a prefix of at least 12 hex digits).
    type: str
    required: true
  tag:
    description:
      - The tag of O(name) when O(name) carries none (it conflicts with a different one), and the tag
        of every reference of O(repository) that carries none.
      - When not given, C(latest).
    type: str
  repository:
    description:
      - The references to point at the image, each C([registry/]path[:tag]); without a tag, O(tag).
      - A single reference may be given as a string.
    type: list
    elements: str
    required: true
  existing_images:
    description:
      - What to do with a reference of O(repository) that names another image.
      - V(overwrite) moves it to the image O(name).
      - V(keep) leaves it on the other image (and reports no change for it).
    type: str
    choices: [overwrite, keep]
    default: overwrite
    aliases: [existing]
attributes:
  check_mode:
    support: full
    description: Reports which references would be added or moved; tags nothing.
  diff_mode:
    support: full
    description: Shows the image id each reference names, before and after.
  idempotent:
    support: full
    description: Once every reference names the image (or is kept), a second run changes nothing.
seealso:
  - module: kapal.docker.image_push
  - module: kapal.docker.image_remove
  - name: docker tag
    description: The CLI command this module mirrors.
    link: https://docs.docker.com/engine/reference/commandline/tag/
"""

EXAMPLES = r"""
- name: Name a build for the release (docker tag app:build-42 app:1.0; docker tag app:build-42 app:stable)
  kapal.docker.image_tag:
    name: app:build-42
    repository:
      - app:1.0
      - app:stable

- name: Name an image for a private registry, keeping a name that is already there
  kapal.docker.image_tag:
    name: app
    tag: "1.0"
    repository: [registry.example.com:5000/team/app]
    existing_images: keep

- name: Point a tag back at the image that ran before (by id)
  kapal.docker.image_tag:
    name: sha256:0dd083d4e8c01e1a47403b1115ccbb509ebaa9f62374400a264ef91371ba84cf
    repository: app:1.0
"""

RETURN = r"""
tagged_images:
  description:
    - The references that were pointed at the image (that would be, in check mode), with their tags.
    - References that named the image already, and those kept on another image, are not listed.
  returned: success
  type: list
  elements: str
  sample: ["app:1.0"]
image:
  description: Facts about the image (as M(kapal.docker.image_pull) returns them), after the task.
  returned: success
  type: dict
  sample:
    id: sha256:0dd083d4e8c01e1a47403b1115ccbb509ebaa9f62374400a264ef91371ba84cf
    repo_tags: ["app:1.0", "app:build-42", "app:stable"]
    repo_digests: []
    size: 1979232
    created: "2026-11-27T18:58:10.123456789Z"
    architecture: amd64
    os: linux
    labels: {}
    exposed_ports: []
    config: {cmd: ["sh"], entrypoint: null, env: [], working_dir: null, user: null, volumes: [],
             healthcheck: null, stop_signal: null}
diff:
  description: The image id each reference of O(repository) names, before and after (null when it named none).
  returned: in diff mode
  type: dict
  sample:
    before: {"app:1.0": null, "app:stable": "sha256:9a1f..."}
    after: {"app:1.0": "sha256:0dd0...", "app:stable": "sha256:0dd0..."}
"""

from ansible_collections.kapal.docker.plugins.module_utils._images import EXISTING_IMAGES, tag_task
from ansible_collections.kapal.docker.plugins.module_utils._module import engine_module, run_module


def main():
    module = engine_module(
        dict(
            name=dict(type="str", required=True),
            tag=dict(type="str"),
            repository=dict(type="list", elements="str", required=True),
            existing_images=dict(type="str", choices=list(EXISTING_IMAGES), default="overwrite", aliases=["existing"]),
        ),
        supports_check_mode=True,
    )
    run_module(module, tag_task)


if __name__ == "__main__":
    main()
