#!/usr/bin/python
# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_info
short_description: Facts about local images (C(docker images), C(docker image inspect))
version_added: 0.1.0
description:
  - Returns facts about the images the engine holds, looked up by name, reference or id
    (C(docker image inspect)), or listed under filters (C(docker images --filter)).
  - With neither O(name) nor O(filters), lists every image, as C(docker images) does.
  - Never changes anything. An image that is not there is simply not in RV(images); RV(exists)
    tells whether every named image was found.
author:
  - kapal.docker maintainers (@kapal)
extends_documentation_fragment:
  - kapal.docker.engine
  - kapal.docker.attributes.info_module
options:
  name:
    description:
      - One or more images to look up, each a name (C(repo/name), meaning C(:latest)), a
        reference (C(repo/name:tag), C(registry:5000/repo/name@sha256:...)) or an image id (full
        C(sha256:...) or a prefix of at least 12 hex digits).
      - A malformed name fails the task; a well-formed one that is absent is not an error.
      - Mutually exclusive with O(filters).
    type: list
    elements: str
    aliases: [names]
  filters:
    description:
      - List the images that match all of these filters, as C(docker images --filter) does.
      - C(reference) (a name pattern such as C(kapal-test/*) or C(busybox:1.*)), C(label)
        (C(key) or C(key=value)), C(dangling) (C(true) or C(false)), C(before) and C(since) (an
        image name or id). A filter's value may be a string or a list of strings.
      - Mutually exclusive with O(name).
    type: dict
seealso:
  - module: kapal.docker.image_build
  - module: kapal.docker.image_remove
  - name: docker images
    description: The CLI command this module mirrors.
    link: https://docs.docker.com/engine/reference/commandline/images/
"""

EXAMPLES = r"""
- name: Is the application image here? (docker image inspect)
  kapal.docker.image_info:
    name: app:1.0
  register: app_image

- name: Build it only when it is missing
  kapal.docker.image_build:
    path: /srv/app
    name: app:1.0
  when: not app_image.exists

- name: Every image of a repository (docker images --filter reference=...)
  kapal.docker.image_info:
    filters:
      reference: "kapal-test/*"
  register: test_images

- name: Dangling images with a label
  kapal.docker.image_info:
    filters:
      dangling: true
      label: org.kapal.build.hash

- name: Several images at once, by name and by id
  kapal.docker.image_info:
    name:
      - kapal-test/busybox:latest
      - sha256:0dd083d4e8c0b1a9f3c8b4a1e2f6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e
"""

RETURN = r"""
exists:
  description:
    - With O(name), whether every named image exists.
    - Otherwise, whether at least one image was listed.
  returned: always
  type: bool
  sample: true
images:
  description: Facts about each image found, once per image even when several names point at it.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The image id.
      type: str
      sample: sha256:0dd083d4e8c0b1a9f3c8b4a1e2f6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e
    repo_tags:
      description: The references that point at the image.
      type: list
      elements: str
      sample: [kapal-test/busybox:latest]
    repo_digests:
      description: The registry digests the image is known under.
      type: list
      elements: str
      sample: ["127.0.0.1:5000/kapal-test/busybox@sha256:4f1c..."]
    size:
      description: Size in bytes.
      type: int
      sample: 1980000
    created:
      description: When the image was created.
      type: str
      sample: "2026-11-27T18:58:01.123456789Z"
    architecture:
      description: The image's CPU architecture.
      type: str
      sample: amd64
    os:
      description: The image's operating system.
      type: str
      sample: linux
    labels:
      description: The image's labels.
      type: dict
      sample: {org.kapal.build.hash: "sha256:9a1f..."}
    exposed_ports:
      description: The ports the image EXPOSEs, as C(port/protocol).
      type: list
      elements: str
      sample: [80/tcp]
    config:
      description: The image's run configuration.
      type: dict
      contains:
        cmd:
          description: The default command.
          type: list
          elements: str
          sample: [httpd, -f, -p, "80", -h, /www]
        entrypoint:
          description: The entrypoint.
          type: list
          elements: str
          sample: null
        env:
          description: The environment, as C(NAME=value).
          type: list
          elements: str
          sample: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
        working_dir:
          description: The working directory, or null.
          type: str
          sample: /www
        user:
          description: The user, or null.
          type: str
          sample: null
        volumes:
          description: The image's volume mount points.
          type: list
          elements: str
          sample: []
        healthcheck:
          description: The health check, as the engine reports it, or null.
          type: dict
          sample: null
        stop_signal:
          description: The stop signal, or null.
          type: str
          sample: null
missing:
  description: The names of O(name) that were not found.
  returned: when O(name) is given
  type: list
  elements: str
  sample: ["app:2.0"]
"""

from ansible_collections.kapal.docker.plugins.module_utils._images import info_task
from ansible_collections.kapal.docker.plugins.module_utils._module import engine_module, run_module


def main():
    module = engine_module(
        dict(
            name=dict(type="list", elements="str", aliases=["names"]),
            filters=dict(type="dict"),
        ),
        mutually_exclusive=[("name", "filters")],
        supports_check_mode=True,
    )
    run_module(module, info_task)


if __name__ == "__main__":
    main()
