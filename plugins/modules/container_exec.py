#!/usr/bin/python
# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: container_exec
short_description: Run a command in a running container (C(docker exec))
version_added: 0.1.0
description:
  - Runs a command in a running container and returns its exit code and output, with
    stdout and stderr kept apart (unless O(tty) is set).
  - Like M(ansible.builtin.command), the command is not run through a shell, it always
    reports a change when it runs, and O(creates) and O(removes) make it run only when
    needed. The guards are checked inside the container, through the engine.
  - A command that exits non-zero fails the task with its exit code and the last lines of
    its stderr in the message.
author:
  - kapal.docker maintainers (@kapal)
extends_documentation_fragment:
  - kapal.docker.engine
options:
  container:
    description: Name or id of the container. It must exist and be running.
    type: str
    required: true
  argv:
    description:
      - The command as a list of arguments, the first being the program.
      - Exactly one of O(argv) and O(command) is required.
    type: list
    elements: str
  command:
    description:
      - The command as one string, split into arguments like a shell would, but with no
        variable expansion, redirection or pipes. Use O(argv) with C(sh -c) for those.
      - Exactly one of O(argv) and O(command) is required.
    type: str
  chdir:
    description: Directory, inside the container, to run the command in. Defaults to the container's working directory.
    type: str
  env:
    description: Environment variables to set for the command, on top of the container's own.
    type: dict
  user:
    description: User to run the command as, C(name), C(uid), C(name:group) or C(uid:gid). Defaults to the container's user.
    type: str
  stdin:
    description:
      - Text fed to the command on its standard input, which is then closed.
      - Not with O(detach). Not over TLS, where the engine connection cannot be half-closed.
    type: str
  strip_empty_ends:
    description: Strip empty lines from the end of RV(stdout) and RV(stderr).
    type: bool
    default: true
  tty:
    description:
      - Give the command a pseudo-terminal. Its stdout and stderr are then one stream,
        returned as RV(stdout), with lines ending in C(\r\n) in the raw text.
    type: bool
    default: false
  detach:
    description:
      - Start the command and return at once with its RV(exec_id), without waiting for it
        to end. Its output and exit code are then not returned.
    type: bool
    default: false
  creates:
    description:
      - A path inside the container; when it exists, the command is not run.
      - A relative path is taken from O(chdir), else the container's working directory.
    type: str
  removes:
    description:
      - A path inside the container; when it does not exist, the command is not run.
      - A relative path is taken from O(chdir), else the container's working directory.
    type: str
attributes:
  check_mode:
    support: partial
    description: Check mode checks the container and the guards, and predicts C(changed).
    details:
      - Check mode does not run the command. It checks that the container is running and
        evaluates O(creates) and O(removes), and reports a change when the command would run.
      - RV(rc), RV(stdout) and RV(stderr) are therefore not returned, unless a guard skipped the command.
  diff_mode:
    support: none
    description: The module cannot know what the command changes, so there is nothing to show.
  idempotent:
    support: partial
    description:
      - Like M(ansible.builtin.command), every run reports C(changed=true), unless O(creates)
        or O(removes) tell it to skip the command; use them to make the task idempotent.
notes:
  - The command may run as long as it needs; use the task's C(timeout) keyword to bound it.
seealso:
  - module: kapal.docker.container_info
    description: Check a container's state before running commands in it.
  - module: ansible.builtin.command
    description: The same semantics, on the managed host itself.
  - name: Docker Engine API, exec
    description: The C(/containers/{id}/exec) and C(/exec/{id}/start) endpoints this module uses.
    link: https://docs.docker.com/engine/api/v1.41/#tag/Exec
"""

EXAMPLES = r"""
- name: Run a command in a container (docker exec web ls /data)
  kapal.docker.container_exec:
    container: web
    command: ls -l /data
  register: listing

- name: A shell pipeline, as another user, in a directory, with variables
  kapal.docker.container_exec:
    container: web
    argv: [sh, -c, 'echo "$GREETING" | tr a-z A-Z > greeting.txt']
    chdir: /tmp
    user: nobody
    env:
      GREETING: hello

- name: Load a schema once (skipped when the marker file exists)
  kapal.docker.container_exec:
    container: db
    argv: [sh, -c, 'psql -U postgres < /dev/stdin && touch /var/lib/postgresql/.schema-loaded']
    stdin: "{{ lookup('ansible.builtin.file', 'schema.sql') }}"
    creates: /var/lib/postgresql/.schema-loaded

- name: Start a background job and move on
  kapal.docker.container_exec:
    container: web
    argv: [sh, -c, 'sleep 30; rm -rf /tmp/cache']
    detach: true
  register: job
"""

RETURN = r"""
rc:
  description: Exit code of the command. Not returned when O(detach=true); C(0) when a guard skipped it.
  returned: when the command ran and was not detached, or a guard skipped it
  type: int
  sample: 0
stdout:
  description: What the command wrote to its standard output (with O(tty), everything it wrote).
  returned: when the command ran and was not detached, or a guard skipped it
  type: str
  sample: "hello\nworld"
stdout_lines:
  description: RV(stdout) split into lines.
  returned: when the command ran and was not detached, or a guard skipped it
  type: list
  elements: str
  sample: [hello, world]
stderr:
  description: What the command wrote to its standard error; empty with O(tty).
  returned: when the command ran and was not detached, or a guard skipped it
  type: str
  sample: ""
stderr_lines:
  description: RV(stderr) split into lines.
  returned: when the command ran and was not detached, or a guard skipped it
  type: list
  elements: str
  sample: []
exec_id:
  description: Id of the engine's exec instance of a detached command.
  returned: when O(detach=true) and the command was started
  type: str
  sample: 9f1e2d3c4b5a69788766554433221100ffeeddccbbaa99887766554433221100
msg:
  description: Why the command did not run, when a guard skipped it.
  returned: when a guard skipped the command
  type: str
  sample: "skipped, since /data/.initialised exists"
"""

from ansible_collections.kapal.docker.plugins.module_utils._exec import exec_task
from ansible_collections.kapal.docker.plugins.module_utils._module import engine_module, run_module


def main():
    module = engine_module(
        dict(
            container=dict(type="str", required=True),
            argv=dict(type="list", elements="str"),
            command=dict(type="str"),
            chdir=dict(type="str"),
            env=dict(type="dict"),
            user=dict(type="str"),
            stdin=dict(type="str"),
            strip_empty_ends=dict(type="bool", default=True),
            tty=dict(type="bool", default=False),
            detach=dict(type="bool", default=False),
            creates=dict(type="str"),
            removes=dict(type="str"),
        ),
        mutually_exclusive=[("argv", "command"), ("stdin", "detach")],
        required_one_of=[("argv", "command")],
        supports_check_mode=True,
    )
    run_module(module, exec_task)


if __name__ == "__main__":
    main()
