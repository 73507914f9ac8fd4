# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: docker
short_description: Run tasks inside a running container, through the Docker Engine API
description:
  - Runs commands in a running container with the engine's exec API, and copies files in and out
    of it with the engine's archive API. No docker CLI is needed, only the Docker SDK for Python
    on the controller.
  - The container is named by O(remote_addr), by default the inventory host name; the inventory
    plugin P(kapal.docker.containers#inventory) sets everything this plugin needs.
  - Files are streamed in both directions, so copying large files does not use memory for them.
    A file sent is owned by the connection user and keeps its mode.
author:
  - kapal.docker maintainers (@kapal)
version_added: 0.1.0
extends_documentation_fragment:
  - ansible.builtin.connection_pipelining
  - kapal.docker.engine_plugin
  - kapal.docker.engine
options:
  remote_addr:
    description:
      - Name or ID of the container.
    type: str
    default: inventory_hostname
    vars:
      - name: inventory_hostname
      - name: ansible_host
      - name: ansible_docker_container
  remote_user:
    description:
      - User to run commands as inside the container, a name or C(uid[:gid]).
      - When not given, the user the container's image is configured with.
    type: str
    vars:
      - name: ansible_user
      - name: ansible_docker_user
    ini:
      - section: defaults
        key: remote_user
    env:
      - name: ANSIBLE_REMOTE_USER
    cli:
      - name: user
    keyword:
      - name: remote_user
  working_dir:
    description:
      - Working directory of the commands run in the container.
      - When not given, the container's own working directory.
    type: str
    vars:
      - name: ansible_docker_working_dir
  extra_env:
    description:
      - Environment variables added to the commands run in the container.
    type: dict
    vars:
      - name: ansible_docker_extra_env
notes:
  - Become works without a terminal. C(su) from root to another user needs no password; a become
    password (C(su) from another user, C(sudo)) is answered on the command's standard input.
  - Pipelining needs to close the command's standard input, which a TLS connection to the engine
    cannot do; turn pipelining off for engines reached over TLS.
  - "Errors name the container and the engine: C(no container named web on Docker Engine at
    unix:///var/run/docker.sock), C(container web is not running (state: exited)). A module run in
    an image without Python fails with a message that suggests M(ansible.builtin.raw)."
seealso:
  - plugin: kapal.docker.containers
    plugin_type: inventory
"""

EXAMPLES = r"""
# inventory.yml: containers as hosts
# all:
#   hosts:
#     web:
#       ansible_connection: kapal.docker.docker
#       ansible_docker_docker_host: tcp://docker1.example.com:2376
#       ansible_docker_validate_certs: true
#       ansible_pipelining: false

- name: Configure the application inside its container
  hosts: web
  tasks:
    - name: Copy the configuration in
      ansible.builtin.copy:
        src: app.conf
        dest: /etc/app/app.conf
        mode: "0644"

- name: A container without Python
  hosts: tiny
  gather_facts: false
  vars:
    ansible_connection: kapal.docker.docker
  tasks:
    - name: Only raw works there
      ansible.builtin.raw: cat /etc/os-release
      changed_when: false
"""

import os
import posixpath
import re
import typing as t

from ansible.errors import AnsibleConnectionFailure, AnsibleError, AnsibleFileNotFound
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.connection import ConnectionBase
from ansible.utils.display import Display

from ansible_collections.kapal.docker.plugins.module_utils import _archive
from ansible_collections.kapal.docker.plugins.module_utils._engine import (
    DOCKER_IMPORT_ERROR,
    ENGINE_OPTIONS,
    Engine,
    EngineConfig,
)
from ansible_collections.kapal.docker.plugins.module_utils._errors import EngineNotFound, KapalError
from ansible_collections.kapal.docker.plugins.module_utils._exec_session import STDERR, ExecSession

display = Display()

_NO_PYTHON = re.compile(rb"([^\s:]*python[0-9.]*): (?:not found|No such file or directory)")


class Connection(ConnectionBase):
    """Commands and files in a running container, through the Docker Engine API."""

    transport = "kapal.docker.docker"
    has_pipelining = True

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._engine: Engine | None = None
        self._ids: dict[str, tuple[int, int]] = {}

    @property
    def _container(self) -> str:
        return self.get_option("remote_addr")

    @property
    def _user(self) -> str:
        return self.get_option("remote_user") or ""

    def _connect(self) -> Connection:
        super()._connect()
        if self._connected:
            return self
        if DOCKER_IMPORT_ERROR:
            raise AnsibleError("the kapal.docker.docker connection needs the Docker SDK for Python (pip install docker)")
        try:
            config = EngineConfig.from_options({name: self.get_option(name) for name in ENGINE_OPTIONS})
        except KapalError as ex:
            raise AnsibleError("kapal.docker.docker connection: %s" % ex) from ex
        self._engine = Engine(config)
        display.vvv("ESTABLISH DOCKER ENGINE CONNECTION FOR USER: %s ON %s" % (self._user or "(image default)", config.docker_host),
                    host=self._container)
        self._check_running()
        self._connected = True
        return self

    def _check_running(self) -> None:
        try:
            inspect = self._engine.inspect("container", self._container)
        except KapalError as ex:
            raise AnsibleConnectionFailure(str(ex)) from ex
        if inspect is None:
            raise AnsibleConnectionFailure("no container named %s on Docker Engine at %s" % (self._container, self._engine.host))
        state = inspect["State"]
        if state.get("Paused"):
            raise AnsibleConnectionFailure("container %s is paused" % self._container)
        if not state.get("Running"):
            raise AnsibleConnectionFailure(
                "container %s is not running (state: %s)" % (self._container, state.get("Status", "unknown"))
            )

    def exec_command(self, cmd: str, in_data: bytes | None = None, sudoable: bool = True) -> tuple[int, bytes, bytes]:
        """Run ``cmd`` with /bin/sh in the container; ``in_data`` goes to its standard input."""
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        prompt = bool(sudoable and self.become and self.become.expect_prompt())
        display.vvv("EXEC %s" % to_text(cmd), host=self._container)
        if in_data is not None and self._engine.config.tls:
            raise AnsibleConnectionFailure(
                "exec in container %s: a command's input cannot be closed over TLS (it needs a half-closed connection); "
                "turn pipelining off for this host (ansible_pipelining: false)" % self._container
            )
        try:
            rc, stdout, stderr = self._run(to_text(cmd), in_data, prompt)
        except KapalError as ex:
            raise AnsibleConnectionFailure(str(ex)) from ex
        if prompt and self.become.check_incorrect_password(stdout + stderr):
            raise AnsibleError("incorrect %s password for container %s" % (self.become.name, self._container))
        missing = _NO_PYTHON.search(stderr) if rc == 127 else None
        if missing:
            raise AnsibleError(
                "container %s has no Python (%s: not found): modules need Python in the container; "
                "use ansible.builtin.raw (with gather_facts: false) for an image without it, "
                "or set ansible_python_interpreter" % (self._container, to_text(missing.group(1)))
            )
        return rc, stdout, stderr

    def _run(self, cmd: str, in_data: bytes | None, prompt: bool) -> tuple[int, bytes, bytes]:
        environment = ["%s=%s" % item for item in (self.get_option("extra_env") or {}).items()]
        stdout, stderr = bytearray(), bytearray()
        with ExecSession(self._engine, self._container, ["/bin/sh", "-c", cmd], user=self._user,
                         workdir=self.get_option("working_dir"), environment=environment or None,
                         stdin=in_data is not None or prompt) as session:
            if prompt:
                self._answer_become_prompt(session, stdout, stderr)
            if in_data is not None:
                session.write(in_data)
                session.close_stdin()
            session.read_all(stdout, stderr)
            return session.exit_code(), bytes(stdout), bytes(stderr)

    def _answer_become_prompt(self, session: ExecSession, stdout: bytearray, stderr: bytearray) -> None:
        """Wait for the become plugin's success marker or password prompt; answer the prompt."""
        session.set_timeout(self._engine.config.timeout)
        while not self.become.check_success(stdout):
            if self.become.check_password_prompt(bytes(stdout)) or self.become.check_password_prompt(bytes(stderr)):
                session.write(to_bytes(self.become.get_option("become_pass") or "") + b"\n")
                return
            try:
                frame = session.read_frame()
            except TimeoutError as ex:
                raise AnsibleConnectionFailure(
                    "timed out after %ss waiting for become success or password prompt in container %s: %s"
                    % (self._engine.config.timeout, self._container, to_text(bytes(stdout + stderr)))
                ) from ex
            if frame is None:
                raise AnsibleConnectionFailure(
                    "the command ended while waiting for become success or password prompt in container %s: %s"
                    % (self._container, to_text(bytes(stdout + stderr)))
                )
            (stderr if frame[0] == STDERR else stdout).extend(frame[1])

    def _ids_of_user(self) -> tuple[int, int]:
        """uid and gid of the connection user, which owns the files sent."""
        if self._user not in self._ids:
            rc, out, err = self.exec_command("id -u && id -g", sudoable=False)
            try:
                uid, gid = (int(line) for line in out.split())
            except ValueError:
                raise AnsibleConnectionFailure(
                    "cannot tell the uid and gid of user %r in container %s: %s"
                    % (self._user or "(image default)", self._container, to_text(out + err).strip())
                ) from None
            self._ids[self._user] = uid, gid
        return self._ids[self._user]

    def put_file(self, in_path: str, out_path: str) -> None:
        """Stream a local file into the container."""
        super().put_file(in_path, out_path)
        out_path = posixpath.join("/", out_path)
        display.vvv("PUT %s TO %s" % (in_path, out_path), host=self._container)
        if not os.path.exists(in_path):
            raise AnsibleFileNotFound("file or module does not exist: %s" % in_path)
        uid, gid = self._ids_of_user()
        try:
            _archive.put_file(self._engine, self._container, in_path, out_path, uid, gid)
        except KapalError as ex:
            raise AnsibleError(str(ex)) from ex

    def fetch_file(self, in_path: str, out_path: str) -> None:
        """Stream a file of the container to a local file."""
        super().fetch_file(in_path, out_path)
        in_path = posixpath.join("/", in_path)
        display.vvv("FETCH %s TO %s" % (in_path, out_path), host=self._container)
        try:
            _archive.fetch_file(self._engine, self._container, in_path, out_path)
        except EngineNotFound as ex:
            raise AnsibleFileNotFound(str(ex)) from ex
        except KapalError as ex:
            raise AnsibleError(str(ex)) from ex

    def reset(self) -> None:
        self._ids.clear()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None
        self._connected = False
