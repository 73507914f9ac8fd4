#!/usr/bin/python
# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_load
short_description: Load images from a tar archive on the host (C(docker load))
version_added: 0.1.0
description:
  - Loads the images of a tar archive written by C(docker save) or M(kapal.docker.image_export)
    (plain or compressed with gzip, bzip2 or xz) on the host the module runs on.
  - Idempotent. The archive's C(manifest.json) names its images (by id) and their tags; the archive
    is sent to the engine only when one of those images is not present with the same id, or one of
    its tags points at another image (a load moves it). Otherwise nothing is sent.
  - The archive is streamed to the engine from the file; it is never read whole into memory.
author:
  - kapal.docker maintainers (@kapal)
extends_documentation_fragment:
  - kapal.docker.engine
options:
  path:
    description: The archive to load, on the host the module runs on.
    type: path
    required: true
attributes:
  check_mode:
    support: full
    description: Reads the archive's manifest and compares it with the engine's images; nothing is loaded.
  diff_mode:
    support: full
    description: For each image of the archive, whether it is present and where each of its tags points, before and after.
  idempotent:
    support: full
    description: A second run finds every image of the archive present under its tags and loads nothing.
seealso:
  - module: kapal.docker.image_export
  - module: kapal.docker.image_info
  - name: Docker Engine API, import images
    description: The C(/images/load) endpoint this module streams to.
    link: https://docs.docker.com/engine/api/v1.41/#tag/Image/operation/ImageLoad
"""

EXAMPLES = r"""
- name: Load the images of an archive (docker load -i /var/tmp/app-1.0.tar)
  kapal.docker.image_load:
    path: /var/tmp/app-1.0.tar
  register: loaded

- name: Show what the archive holds
  ansible.builtin.debug:
    msg: "{{ loaded.image_names | join(', ') }} ({{ 'loaded' if loaded.changed else 'already there' }})"

# With kapal.docker.image_export and ansible.builtin.copy an image reaches a host without a registry.
- name: Copy an archive saved elsewhere to the host
  ansible.builtin.copy:
    src: images/app-1.0.tar
    dest: /var/tmp/app-1.0.tar
    mode: "0600"

- name: Load it, then run it
  kapal.docker.image_load:
    path: /var/tmp/app-1.0.tar
"""

RETURN = r"""
path:
  description: The archive.
  returned: success
  type: str
  sample: /var/tmp/app-1.0.tar
image_names:
  description: The tags of the archive's images; an image saved without a tag is named by its id.
  returned: success
  type: list
  elements: str
  sample: ["registry.example.com/team/app:1.0", "sha256:0dd083d4e8c01e1a47403b1115ccbb509ebaa9f62374400a264ef91371ba84cf"]
loaded:
  description:
    - The images of the archive that were loaded (or, in check mode, would be), each C({id, repo_tags});
      those that were missing or had a tag pointing at another image. Empty when nothing changed.
  returned: success
  type: list
  elements: dict
  sample: [{id: "sha256:0dd083d4e8c01e1a47403b1115ccbb509ebaa9f62374400a264ef91371ba84cf", repo_tags: ["registry.example.com/team/app:1.0"]}]
images:
  description:
    - Facts about each image of the archive after the task, the same as M(kapal.docker.image_info) returns.
    - In check mode, the facts of the local images as they are now (null for one that is not present).
  returned: success
  type: list
  elements: dict
  sample:
    - id: sha256:0dd083d4e8c01e1a47403b1115ccbb509ebaa9f62374400a264ef91371ba84cf
      repo_tags: ["registry.example.com/team/app:1.0"]
      repo_digests: []
      size: 1979232
      created: "2026-11-27T18:58:10.123456789Z"
      architecture: amd64
      os: linux
      labels: {}
      exposed_ports: []
      config: {cmd: ["sh"], entrypoint: null, env: ["PATH=/bin"], working_dir: null, user: null, volumes: [],
               healthcheck: null, stop_signal: null}
diff:
  description:
    - For each image of the archive, C({id, present, tags}) with C(tags) mapping each of its tags to the
      id it points at (null when the tag is not there), before and after; in check mode the predicted after.
  returned: in diff mode
  type: dict
  sample:
    before: {images: [{id: "sha256:0dd0...", present: false, tags: {"registry.example.com/team/app:1.0": null}}]}
    after: {images: [{id: "sha256:0dd0...", present: true, tags: {"registry.example.com/team/app:1.0": "sha256:0dd0..."}}]}
"""

from ansible_collections.kapal.docker.plugins.module_utils._image_archive import load_task
from ansible_collections.kapal.docker.plugins.module_utils._module import engine_module, run_module


def main():
    module = engine_module(dict(path=dict(type="path", required=True)), supports_check_mode=True)
    run_module(module, load_task)


if __name__ == "__main__":
    main()
