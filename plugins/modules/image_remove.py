#!/usr/bin/python
# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_remove
short_description: Remove an image or one of its tags (C(docker rmi))
version_added: 0.1.0
description:
  - Removes the image O(name) from the engine, as C(docker rmi) does.
  - When O(name) is a tag and the image has other tags, only that tag is removed (the image stays).
  - An image that is not there is not an error; nothing changes.
  - An image a container uses is refused, in one line naming the image and the container, unless
    O(force) is set.
author:
  - kapal.docker maintainers (@kapal)
extends_documentation_fragment:
  - kapal.docker.engine
options:
  name:
    description:
      - The image, as a reference (C(repo/name:tag), meaning C(:latest) without a tag;
        C(repo/name@sha256:...)) or an id (full C(sha256:...) or a prefix of at least 12 hex digits).
      - Removing by id removes every tag of the image, which needs O(force) when there are several.
    type: str
    required: true
  force:
    description:
      - Remove the image even when stopped containers use it or (by id) several tags point at it.
      - An image a running container uses is only untagged by name, and refused by id.
    type: bool
    default: false
  prune:
    description: Also remove the image's untagged parent images (C(docker rmi) does; C(--no-prune) does not).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description:
      - Predicts what would be untagged and deleted, and refuses what a real run would refuse, without removing anything.
      - The predicted RV(deleted) names the image only, not the layers and parents a real run also reports.
  diff_mode:
    support: full
    description: Shows the image id and tags before and after.
  idempotent:
    support: full
    description: Once the image (or tag) is gone, a second run finds nothing to remove and reports no change.
seealso:
  - module: kapal.docker.image_info
  - module: kapal.docker.image_build
  - name: docker rmi
    description: The CLI command this module mirrors.
    link: https://docs.docker.com/engine/reference/commandline/rmi/
"""

EXAMPLES = r"""
- name: Remove an image (docker rmi web:1.0)
  kapal.docker.image_remove:
    name: web:1.0

- name: Remove an image by id, with all its tags, even if stopped containers use it
  kapal.docker.image_remove:
    name: sha256:0dd083d4e8c01e1a47403b1115ccbb509ebaa9f62374400a264ef91371ba84cf
    force: true

- name: Drop a tag but keep the untagged parents as build cache
  kapal.docker.image_remove:
    name: app:old
    prune: false
  register: removed

- name: Show what went
  ansible.builtin.debug:
    msg: "untagged {{ removed.untagged }}, deleted {{ removed.deleted | length }} images and layers"
"""

RETURN = r"""
deleted:
  description: The ids of the images and layers the engine deleted (in check mode, the image that would be).
  returned: success
  type: list
  elements: str
  sample: ["sha256:ad626f011343ee5024cede5d2939639a7832eadeb3528b3c243c7f5c1e1802d5"]
untagged:
  description: The references the engine removed.
  returned: success
  type: list
  elements: str
  sample: ["web:1.0"]
diff:
  description: The image id and tags before and after, when diff mode is on. An absent image has a null id.
  returned: when diff mode is on
  type: dict
  sample:
    before: {id: "sha256:ad62...", repo_tags: ["web:1.0", "web:latest"]}
    after: {id: "sha256:ad62...", repo_tags: ["web:latest"]}
"""

from ansible_collections.kapal.docker.plugins.module_utils._images import remove_task
from ansible_collections.kapal.docker.plugins.module_utils._module import engine_module, run_module


def main():
    module = engine_module(
        dict(
            name=dict(type="str", required=True),
            force=dict(type="bool", default=False),
            prune=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    run_module(module, remove_task)


if __name__ == "__main__":
    main()
