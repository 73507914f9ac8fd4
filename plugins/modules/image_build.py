#!/usr/bin/python
# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_build
short_description: Build an image from a Dockerfile, only when its inputs changed (C(docker build -t))
version_added: 0.1.0
description:
  - Builds an image from a build context directory and a Dockerfile, and tags it O(name):O(tag)
    and O(extra_tags).
  - Builds are content-addressed. A sha256 over the Dockerfile, every context file the build
    would send (path, mode and content, honouring C(.dockerignore)), O(build_args), O(target),
    O(labels), O(platform) and the local ids of the images the C(FROM) lines name is stamped on
    the image as the label C(org.kapal.build.hash). With O(rebuild=auto), an image O(name):O(tag)
    that carries the same hash is not built again.
  - The image is built untagged and tagged only when the build succeeded, so a failed build
    leaves no half-tagged image. A failure names the failing step and carries the last lines of
    the build log, on one line.
author:
  - kapal.docker maintainers (@kapal)
extends_documentation_fragment:
  - kapal.docker.engine
options:
  path:
    description:
      - The build context, a directory. Its files, less those C(.dockerignore) excludes, are sent
        to the engine.
    type: path
    required: true
  name:
    description:
      - The repository to tag the image in, optionally with a tag (C(app), C(app:1.0),
        C(127.0.0.1:5000/team/app:1.0)).
    type: str
    required: true
  tag:
    description:
      - The tag, when O(name) has none. Defaults to C(latest).
    type: str
  extra_tags:
    description:
      - More tags for the built image. An entry without C(:) or C(/) is a tag of O(name)'s
        repository (C(1.0), C(stable)); otherwise a full reference (C(registry:5000/app:1.0)).
      - Applied also when no build is needed; a missing one is a change.
    type: list
    elements: str
    default: []
  dockerfile:
    description:
      - The Dockerfile, a path relative to O(path) or an absolute path, which may be outside the
        context. Defaults to C(Dockerfile) in O(path).
      - Mutually exclusive with O(dockerfile_content).
    type: str
  dockerfile_content:
    description:
      - The Dockerfile's text, inline. Mutually exclusive with O(dockerfile).
    type: str
  build_args:
    description: Build-time variables (C(docker build --build-arg)), part of the hash.
    type: dict
    default: {}
    aliases: [args]
  target:
    description: The stage of a multi-stage Dockerfile to build (C(docker build --target)), part of the hash.
    type: str
  labels:
    description: Labels to set on the image, part of the hash.
    type: dict
    default: {}
  pull:
    description:
      - Refresh the images the C(FROM) lines name from their registries before the build. A
        refreshed base changes the hash and so rebuilds. In check mode nothing is pulled.
      - When false, a base image that is not present locally is pulled by the engine during the build.
    type: bool
    default: false
  nocache:
    description: Do not use the engine's build cache (C(docker build --no-cache)).
    type: bool
    default: false
  platform:
    description: The platform to build for, C(os[/arch[/variant]]), part of the hash.
    type: str
  network:
    description:
      - The network C(RUN) instructions use (C(docker build --network)), such as C(host) or
        C(none). Defaults to the engine's default network.
    type: str
  rebuild:
    description:
      - V(auto) builds when the image O(name):O(tag) is absent or its C(org.kapal.build.hash)
        label differs from the inputs' hash.
      - V(always) builds every time (the engine's cache still applies); it reports a change
        only when the image id changed, but check mode always predicts one.
      - V(never) builds only when the image is absent.
    type: str
    choices: [auto, always, never]
    default: auto
attributes:
  check_mode:
    support: full
    description:
      - Computes the hash and predicts whether a build or a tag would happen, without building or tagging.
      - With O(rebuild=always) it predicts a change, though a real run whose build cache yields
        the same image reports none.
  diff_mode:
    support: full
    description: Shows the image id and build hash before and after. A build predicted in check mode has no id yet.
  idempotent:
    support: full
    description: With O(rebuild=auto) or O(rebuild=never), a second run with the same inputs builds nothing and reports no change.
seealso:
  - module: kapal.docker.image_info
  - module: kapal.docker.image_remove
  - name: Dockerfile reference
    description: The instructions a Dockerfile may hold.
    link: https://docs.docker.com/engine/reference/builder/
  - name: .dockerignore
    description: How files are left out of the build context.
    link: https://docs.docker.com/engine/reference/builder/#dockerignore-file
"""

EXAMPLES = r"""
- name: Build the tutorial's web image (docker build -t web .)
  kapal.docker.image_build:
    path: /srv/web
    name: web
  register: web_image

- name: Show what the image serves
  ansible.builtin.debug:
    msg: "{{ web_image.image.id }} exposes {{ web_image.image.exposed_ports }}"

- name: A versioned build, also tagged for the registry
  kapal.docker.image_build:
    path: /srv/app
    name: app
    tag: "1.4.2"
    extra_tags:
      - latest
      - 127.0.0.1:5000/team/app:1.4.2
    build_args:
      VERSION: "1.4.2"
    labels:
      org.opencontainers.image.version: "1.4.2"

- name: One stage of a multi-stage Dockerfile kept outside the context
  kapal.docker.image_build:
    path: /srv/app/src
    dockerfile: /srv/app/docker/Dockerfile
    target: test
    name: app:test

- name: An inline Dockerfile
  kapal.docker.image_build:
    path: /srv/static
    name: static-site
    dockerfile_content: |
      FROM kapal-test/busybox:latest
      COPY . /www
      EXPOSE 80
      CMD ["httpd", "-f", "-p", "80", "-h", "/www"]
"""

RETURN = r"""
image:
  description:
    - Facts about the image O(name):O(tag), as M(kapal.docker.image_info) returns them.
    - In check mode, when a build is predicted, the image as it is now (null when absent).
  returned: success
  type: dict
  sample:
    id: sha256:5b1e0c9a7d3f...
    repo_tags: [web:latest]
    repo_digests: []
    size: 1984410
    created: "2026-11-27T19:40:00.123456789Z"
    architecture: amd64
    os: linux
    labels: {org.kapal.build.hash: "sha256:9a1f..."}
    exposed_ports: [80/tcp]
    config: {cmd: [httpd, -f, -p, "80", -h, /www], entrypoint: null, env: [], working_dir: null,
             user: null, volumes: [], healthcheck: null, stop_signal: null}
build_hash:
  description: The hash of the build's inputs, the value of the image label C(org.kapal.build.hash).
  returned: success
  type: str
  sample: sha256:9a1f3c0e5d7b2a4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5
built:
  description: Whether a build ran (or, in check mode, would run).
  returned: success
  type: bool
  sample: true
diff:
  description: The image id and build hash before and after, when diff mode is on.
  returned: when diff mode is on
  type: dict
  sample:
    before: {id: null, build_hash: null}
    after: {id: sha256:5b1e0c9a7d3f..., build_hash: "sha256:9a1f..."}
"""

from ansible_collections.kapal.docker.plugins.module_utils._build import REBUILD_POLICIES, build_task
from ansible_collections.kapal.docker.plugins.module_utils._module import engine_module, run_module


def main():
    module = engine_module(
        dict(
            path=dict(type="path", required=True),
            name=dict(type="str", required=True),
            tag=dict(type="str"),
            extra_tags=dict(type="list", elements="str", default=[]),
            dockerfile=dict(type="str"),
            dockerfile_content=dict(type="str"),
            build_args=dict(type="dict", default={}, aliases=["args"]),
            target=dict(type="str"),
            labels=dict(type="dict", default={}),
            pull=dict(type="bool", default=False),
            nocache=dict(type="bool", default=False),
            platform=dict(type="str"),
            network=dict(type="str"),
            rebuild=dict(type="str", choices=list(REBUILD_POLICIES), default="auto"),
        ),
        mutually_exclusive=[("dockerfile", "dockerfile_content")],
        supports_check_mode=True,
    )
    run_module(module, build_task)


if __name__ == "__main__":
    main()
