#!/usr/bin/python
# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_import
short_description: Create an image from a root filesystem tarball or directory (C(docker import))
version_added: 0.1.0
description:
  - Creates a one-layer image from a root filesystem, given as a tarball (C(.tar), C(.tar.gz),
    C(.tar.xz), C(.tar.bz2)) or as a directory, and tags it O(name). No registry is involved;
    this is how an air-gapped host gets its first image.
  - A directory is sent as a deterministic tar stream (sorted entries, numeric owners, modification
    times set to zero), read file by file, never whole into memory.
  - Idempotent by content. A sha256 over what is sent and O(changes) is stamped on the image as the
    label C(org.kapal.import.hash); when the image O(name) carries the same hash nothing is imported.
author:
  - kapal.docker maintainers (@kapal)
extends_documentation_fragment:
  - kapal.docker.engine
options:
  path:
    description: The root filesystem, a tarball or a directory.
    type: path
    required: true
  name:
    description: The image to create, C(repository) or C(repository:tag) (the tag defaults to C(latest)).
    type: str
    required: true
  changes:
    description:
      - Dockerfile instructions applied to the image's configuration (C(docker import --change)),
        one per entry, such as C(CMD ["httpd", "-f"]), C(EXPOSE 80), C(ENV KEY=value).
      - Allowed instructions are C(CMD), C(ENTRYPOINT), C(ENV), C(EXPOSE), C(LABEL), C(ONBUILD),
        C(STOPSIGNAL), C(USER), C(VOLUME) and C(WORKDIR). They are part of the hash.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    description: Computes the hash (reading the content) and predicts whether an import would happen, without importing.
  diff_mode:
    support: full
    description: Shows the image id and import hash before and after. An import predicted in check mode has no id yet.
  idempotent:
    support: full
    description: A second run with the same content and changes imports nothing and reports no change.
seealso:
  - module: kapal.docker.image_info
  - module: kapal.docker.image_remove
  - name: docker import
    description: The CLI command this module mirrors.
    link: https://docs.docker.com/engine/reference/commandline/import/
"""

EXAMPLES = r"""
- name: A busybox image from Debian's busybox-static, without any registry
  kapal.docker.image_import:
    path: /var/tmp/busybox-rootfs
    name: local/busybox:latest
    changes:
      - CMD ["sh"]

- name: An HTTP server image from a root filesystem tarball
  kapal.docker.image_import:
    path: /srv/images/web-rootfs.tar.gz
    name: web:1.0
    changes:
      - EXPOSE 80
      - WORKDIR /www
      - CMD ["httpd", "-f", "-p", "80", "-h", "/www"]
  register: web_image
"""

RETURN = r"""
image:
  description:
    - Facts about the image O(name), as M(kapal.docker.image_info) returns them.
    - In check mode, when an import is predicted, the image as it is now (null when absent).
  returned: success
  type: dict
  sample:
    id: sha256:0dd083d4e8c01e1a47403b1115ccbb509ebaa9f62374400a264ef91371ba84cf
    repo_tags: [local/busybox:latest]
    repo_digests: []
    size: 1984305
    created: "2026-11-27T18:59:12.123456789Z"
    architecture: amd64
    os: linux
    labels: {org.kapal.import.hash: "sha256:7c2e..."}
    exposed_ports: []
    config: {cmd: [sh], entrypoint: null, env: [], working_dir: null, user: null, volumes: [],
             healthcheck: null, stop_signal: null}
import_hash:
  description: The hash of the content and O(changes), the value of the image label C(org.kapal.import.hash).
  returned: success
  type: str
  sample: sha256:7c2e4b1d9f0a3c5e7b9d1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e
diff:
  description: The image id and import hash before and after, when diff mode is on.
  returned: when diff mode is on
  type: dict
  sample:
    before: {id: null, import_hash: null}
    after: {id: "sha256:0dd0...", import_hash: "sha256:7c2e..."}
"""

from ansible_collections.kapal.docker.plugins.module_utils._images import import_task
from ansible_collections.kapal.docker.plugins.module_utils._module import engine_module, run_module


def main():
    module = engine_module(
        dict(
            path=dict(type="path", required=True),
            name=dict(type="str", required=True),
            changes=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    run_module(module, import_task)


if __name__ == "__main__":
    main()
