#!/usr/bin/python
# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_export
short_description: Save images to a tar archive on the host (C(docker save))
version_added: 0.1.0
description:
  - Writes one or more local images, with the tags they are named by, to a tar archive on the
    host the module runs on, as C(docker save -o) does. M(kapal.docker.image_load) loads it on another
    host; with M(ansible.builtin.copy) (or M(ansible.builtin.fetch)) between them, an image reaches
    a host that has no registry.
  - Idempotent by content, without reading the layers. The archive's C(manifest.json) names the
    images it holds (their ids) and their tags; the archive is rewritten only when it would hold other
    images or other tags, or when it is missing, unreadable or not an image archive.
  - The archive is streamed from the engine into a temporary file next to O(path), which then
    replaces O(path); an interrupted export never leaves a half-written archive behind. An existing
    archive keeps its file mode.
author:
  - kapal.docker maintainers (@kapal)
extends_documentation_fragment:
  - kapal.docker.engine
options:
  names:
    description:
      - The images to save, each a C([registry/]repository[:tag]) or an image id (full, or a prefix of
        at least 12 hex digits). A name without a tag gets O(tag).
      - An image named by id is saved without tags, as C(docker save <id>) does.
      - Several names of the same image are saved once, with all those tags.
    type: list
    elements: str
    required: true
    aliases: [name]
  tag:
    description: The tag of the names in O(names) that carry none.
    type: str
    default: latest
  path:
    description:
      - The archive to write, on the host the module runs on. Its directory must exist.
    type: path
    required: true
  force:
    description:
      - Write the archive even when it already holds these images under these tags.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Reads the archive's manifest and reports whether it would be written; nothing is written.
  diff_mode:
    support: full
    description: The images (ids and tags) the archive holds before and after.
  idempotent:
    support: full
    description: A second run finds the same images under the same tags in the archive and writes nothing, unless O(force=true).
seealso:
  - module: kapal.docker.image_load
  - module: kapal.docker.image_info
  - name: Docker Engine API, export several images
    description: The C(/images/get) endpoint this module streams from.
    link: https://docs.docker.com/engine/api/v1.41/#tag/Image/operation/ImageGetAll
"""

EXAMPLES = r"""
- name: Save an image (docker save -o /tmp/app.tar registry.example.com/team/app:1.0)
  kapal.docker.image_export:
    name: registry.example.com/team/app:1.0
    path: /tmp/app.tar

- name: Save several images into one archive
  kapal.docker.image_export:
    names:
      - busybox:latest
      - registry.example.com/team/app:1.0
    path: /srv/images/bundle.tar

# An image reaches a host without a registry: save it where it is, bring the archive over, load it.
- name: Save the image on the build host
  kapal.docker.image_export:
    name: team/app:1.0
    path: /tmp/app-1.0.tar
  delegate_to: build.example.com
  run_once: true

- name: Fetch the archive to the controller
  ansible.builtin.fetch:
    src: /tmp/app-1.0.tar
    dest: /tmp/images/app-1.0.tar
    flat: true
  delegate_to: build.example.com
  run_once: true

- name: Copy it to each host
  ansible.builtin.copy:
    src: /tmp/images/app-1.0.tar
    dest: /var/tmp/app-1.0.tar
    mode: "0600"

- name: Load it there (only when the image is not there yet)
  kapal.docker.image_load:
    path: /var/tmp/app-1.0.tar
"""

RETURN = r"""
path:
  description: The archive.
  returned: success
  type: str
  sample: /tmp/app.tar
images:
  description: Facts about each image saved (or that would be saved), the same as M(kapal.docker.image_info) returns.
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
replaced_unreadable:
  description: Why the file at O(path) was not read as an image archive (it is rewritten).
  returned: when O(path) existed but was not a readable image archive
  type: str
  sample: "path: /tmp/app.tar is not a tar archive: file could not be opened successfully"
diff:
  description:
    - The images the archive holds, each C({id, repo_tags}), before and after; C(images) is null
      for a missing or unreadable archive.
  returned: in diff mode
  type: dict
  sample:
    before: {path: /tmp/app.tar, images: null}
    after: {path: /tmp/app.tar, images: [{id: "sha256:0dd0...", repo_tags: ["registry.example.com/team/app:1.0"]}]}
"""

from ansible_collections.kapal.docker.plugins.module_utils._image_archive import export_task
from ansible_collections.kapal.docker.plugins.module_utils._module import engine_module, run_module


def main():
    spec = dict(
        names=dict(type="list", elements="str", required=True, aliases=["name"]),
        tag=dict(type="str", default="latest"),
        path=dict(type="path", required=True),
        force=dict(type="bool", default=False),
    )
    module = engine_module(spec, supports_check_mode=True)
    run_module(module, export_task)


if __name__ == "__main__":
    main()
