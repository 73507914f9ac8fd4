#!/usr/bin/python
# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_tag
short_description: Give a local image another name (C(docker tag))
version_added: 0.1.0
description:
  - Points the reference O(repository) at the local image O(name), as C(docker tag) does. When
    O(repository) named another image, it is moved; that image keeps its other names (or becomes
    untagged).
  - Nothing is pushed or pulled; see M(kapal.docker.image_push) to ship the image under the new name.
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
  repository:
    description:
      - The reference to point at the image, C([registry/]path[:tag]); C(:latest) without a tag.
    type: str
    required: true
attributes:
  check_mode:
    support: full
    description: Reports whether the reference would be added or moved; tags nothing.
  diff_mode:
    support: full
    description: Shows the image id the reference names, before and after.
  idempotent:
    support: full
    description: Once the reference names the image, a second run changes nothing.
seealso:
  - module: kapal.docker.image_push
  - module: kapal.docker.image_remove
  - name: docker tag
    description: The CLI command this module mirrors.
    link: https://docs.docker.com/engine/reference/commandline/tag/
"""

EXAMPLES = r"""
- name: Name a build for the release (docker tag app:build-42 app:1.0)
  kapal.docker.image_tag:
    name: app:build-42
    repository: app:1.0

- name: Point a tag back at the image that ran before (by id)
  kapal.docker.image_tag:
    name: sha256:0dd083d4e8c01e1a47403b1115ccbb509ebaa9f62374400a264ef91371ba84cf
    repository: app:1.0
"""

RETURN = r"""
repository:
  description: The reference that now names the image (with its tag).
  returned: success
  type: str
  sample: app:1.0
image:
  description: Facts about the image (as M(kapal.docker.image_pull) returns them), after the task.
  returned: success
  type: dict
  sample:
    id: sha256:0dd083d4e8c01e1a47403b1115ccbb509ebaa9f62374400a264ef91371ba84cf
    repo_tags: ["app:1.0", "app:build-42"]
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
  description: The image id the reference names, before and after (null when it named none).
  returned: in diff mode
  type: dict
  sample:
    before: {repository: "app:1.0", id: null}
    after: {repository: "app:1.0", id: "sha256:0dd0..."}
"""

from ansible_collections.kapal.docker.plugins.module_utils._image_store import tag_task
from ansible_collections.kapal.docker.plugins.module_utils._module import engine_module, run_module


def main():
    module = engine_module(
        dict(
            name=dict(type="str", required=True),
            repository=dict(type="str", required=True),
        ),
        supports_check_mode=True,
    )
    run_module(module, lambda engine, params, check_mode: tag_task(engine, params, check_mode, True))


if __name__ == "__main__":
    main()
