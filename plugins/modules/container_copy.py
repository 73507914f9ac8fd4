#!/usr/bin/python
# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: container_copy
short_description: Copy files into or out of a container (C(docker cp))
version_added: 0.1.0
description:
  - With O(direction=into) (the default), makes O(container_path) in the container what O(path) (a file,
    a symbolic link or a directory on the host the module runs on) or O(content) is, owned by
    O(owner_id) and O(group_id), with O(mode). Works on stopped containers too.
  - With O(direction=out), makes O(path) on the host what O(container_path) (a file, a symbolic link
    or a directory) is in the container.
  - Everything goes through the engine's archive API and is streamed; no file is held whole in memory
    and nothing is needed inside the container (no shell, no C(tar)).
  - Idempotent by content and metadata. What is at the destination is read first and compared, file by
    file and chunk by chunk, with the source, with its type, owner, group and mode; only what differs is
    written (a file of another size differs without being read).
  - A directory is copied as a whole tree onto the destination directory. Files and directories in the
    destination that the source does not have are left alone.
author:
  - kapal.docker maintainers (@kapal)
extends_documentation_fragment:
  - kapal.docker.engine
options:
  container:
    description: The container, by name or id. It may be stopped.
    type: str
    required: true
  direction:
    description:
      - V(into) copies O(path) or O(content) into the container (C(docker cp path container:container_path)).
      - V(out) copies O(container_path) out of the container to O(path) (C(docker cp container:container_path path)).
    type: str
    choices: [into, out]
    default: into
  path:
    description:
      - With O(direction=into), the file, symbolic link or directory on the host to copy; one of O(path)
        and O(content) is required.
      - With O(direction=out), where the copy goes on the host, the path the file or directory is to have
        (its directory must exist). Required.
    type: path
  content:
    description:
      - With O(direction=into), the content of the file to write instead of O(path); binary content is given
        base64-encoded with O(content_is_b64=true).
      - Never shown in results, diffs or messages.
    type: str
  content_is_b64:
    description: O(content) is base64-encoded; it is decoded before it is written.
    type: bool
    default: false
  container_path:
    description:
      - The path in the container. With O(direction=into), the path the copy is to have (its directory must
        exist); with O(direction=out), what to copy. Relative paths are relative to C(/).
    type: str
    required: true
  follow:
    description:
      - When O(container_path) is a symbolic link in the container, copy to (or from) the file it points to
        instead of replacing (or copying) the link itself.
    type: bool
    default: false
  local_follow:
    description:
      - With O(direction=into), when O(path) is a symbolic link, copy the file it points to; V(false) copies
        the link. Links inside a copied directory are always copied as links.
    type: bool
    default: true
  owner_id:
    description:
      - With O(direction=into), the numeric owner of everything written in the container; when not given,
        C(0) (root), as C(docker cp) does.
      - With O(direction=out), the numeric owner of everything written on the host (changing it needs root);
        when not given, the user the module runs as, and the owner of existing files is not compared.
    type: int
  group_id:
    description:
      - The numeric group, as O(owner_id) is for the owner.
    type: int
  mode:
    description:
      - The mode of the files written (not of directories, which keep their source's mode), as an octal
        string such as C("0644") (or an integer, see O(mode_parse)).
      - When not given, the source's mode; C(0644) for O(content).
    type: raw
  mode_parse:
    description:
      - How O(mode) is read. V(modern) reads a string as octal and takes an integer as it is, as
        M(ansible.builtin.copy) does; V(legacy) reads a string as a decimal number (what
        community.docker's docker_container_copy_into does by default); V(octal_string_only) accepts only
        octal strings.
    type: str
    choices: [modern, legacy, octal_string_only]
    default: modern
  force:
    description:
      - When not given, only what differs is written.
      - V(true) writes everything, whether it differs or not (the task always reports a change).
      - V(false) writes only when nothing is at the destination yet.
    type: bool
notes:
  - Device files, FIFOs and sockets in a copied directory are left out.
  - Copying out refuses to write through a symbolic link that leads out of O(path).
attributes:
  check_mode:
    support: full
    description: The destination is read and compared with the source; nothing is written.
  diff_mode:
    support: full
    description: For each path that differs, its type, mode, owner, group, size and whether its content matched, before and after (never the content).
  idempotent:
    support: partial
    description: A second run finds the same content and metadata and writes nothing, unless O(force=true).
seealso:
  - module: kapal.docker.container
  - module: kapal.docker.container_exec
  - name: docker container cp
    description: The command this module replaces.
    link: https://docs.docker.com/reference/cli/docker/container/cp/
"""

EXAMPLES = r"""
- name: Copy a configuration file into a container (docker cp app.conf web:/etc/app/app.conf)
  kapal.docker.container_copy:
    container: web
    path: /srv/config/app.conf
    container_path: /etc/app/app.conf
    owner_id: 1000
    group_id: 1000
    mode: "0640"

- name: Write a file from inline content, also into a stopped container
  kapal.docker.container_copy:
    container: web
    content: |
      listen 8080
    container_path: /etc/app/listen.conf

- name: Copy a directory tree into a container
  kapal.docker.container_copy:
    container: web
    path: /srv/site/
    container_path: /var/www

- name: Copy a log out of a container (docker cp web:/var/log/app.log /tmp/app.log)
  kapal.docker.container_copy:
    container: web
    direction: out
    container_path: /var/log/app.log
    path: /tmp/app.log
"""

RETURN = r"""
container:
  description: The container's name.
  returned: success
  type: str
  sample: web
container_path:
  description: The path in the container; the file a symbolic link points to with O(follow=true).
  returned: success
  type: str
  sample: /etc/app/app.conf
path:
  description: The path on the host.
  returned: when O(direction=out)
  type: str
  sample: /tmp/app.log
changed_files:
  description: The paths (in the container for O(direction=into), on the host for O(direction=out)) that were written, or in check mode would be.
  returned: success
  type: list
  elements: str
  sample: [/etc/app/app.conf]
mode:
  description: The mode of the file written into the container (null for a directory or a link).
  returned: when O(direction=into)
  type: str
  sample: "0640"
owner_id:
  description: The owner of what is written into the container.
  returned: when O(direction=into)
  type: int
  sample: 1000
group_id:
  description: The group of what is written into the container.
  returned: when O(direction=into)
  type: int
  sample: 1000
diff:
  description:
    - For each path in RV(changed_files), what is there before (null when nothing) and after, C({type, mode,
      owner_id, group_id}) with C(size) and C(content_matches) for files and C(link_target) for links.
    - An owner of null before is one the module did not need to read (the size already differed).
  returned: in diff mode
  type: dict
  sample:
    before: {/etc/app/app.conf: {type: file, mode: "0644", owner_id: 0, group_id: 0, size: 12, content_matches: false}}
    after: {/etc/app/app.conf: {type: file, mode: "0640", owner_id: 1000, group_id: 1000, size: 14, content_matches: true}}
"""

from ansible_collections.kapal.docker.plugins.module_utils._copy import MODE_PARSERS, copy_task
from ansible_collections.kapal.docker.plugins.module_utils._module import engine_module, run_module


def main():
    spec = dict(
        container=dict(type="str", required=True),
        direction=dict(type="str", choices=["into", "out"], default="into"),
        path=dict(type="path"),
        content=dict(type="str", no_log=True),
        content_is_b64=dict(type="bool", default=False),
        container_path=dict(type="str", required=True),
        follow=dict(type="bool", default=False),
        local_follow=dict(type="bool", default=True),
        owner_id=dict(type="int"),
        group_id=dict(type="int"),
        mode=dict(type="raw"),
        mode_parse=dict(type="str", choices=list(MODE_PARSERS), default="modern"),
        force=dict(type="bool"),
    )
    module = engine_module(spec, supports_check_mode=True, mutually_exclusive=[("path", "content")])
    run_module(module, copy_task)


if __name__ == "__main__":
    main()
