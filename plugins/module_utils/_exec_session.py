# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running a process inside a container through the engine's exec API, with stdin.

The engine multiplexes the process's stdout and stderr on one stream (no TTY): each frame is
an 8-byte header (stream number, three zero bytes, big-endian payload size) and its payload.
With a TTY the stream is the terminal's raw output, all of it read as stdout.
Writing stdin and then closing it (a half-close of the socket) is what ``python -`` needs for
pipelined modules. A TLS connection cannot be half-closed: callers must not close stdin there.
"""

from __future__ import annotations

import socket
import struct
import time
import typing as t

from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError

if t.TYPE_CHECKING:
    from ansible_collections.kapal.docker.plugins.module_utils._engine import Engine

STDOUT = 1
STDERR = 2
_HEADER = struct.Struct(">BxxxL")
_CHUNK = 65536


class ExecSession:
    """One process started with ``exec``; read its frames, feed its stdin, read its exit code."""

    def __init__(self, engine: Engine, container: str, argv: list[str], user: str = "", workdir: str | None = None,
                 environment: list[str] | None = None, stdin: bool = False, tty: bool = False) -> None:
        self._engine = engine
        self._container = container
        self._stdin = stdin
        self._tty = tty
        what = "exec in container %s" % container
        with engine.call(what):
            created = engine.api.exec_create(
                container, argv, stdin=stdin, tty=tty, user=user or "", workdir=workdir, environment=environment,
            )
            self.exec_id = created["Id"]
            # The SDK's exec_start(socket=True) hands back the raw socket and loses whatever
            # http.client had already buffered past the headers; read through that buffer instead.
            self._response = engine.request(what, "POST", "/exec/{0}/start", self.exec_id, body={"Tty": tty, "Detach": False},
                                            headers={"Connection": "Upgrade", "Upgrade": "tcp"}, stream=True)
        self._reader = self._response.raw._fp.fp
        self._socket = getattr(self._reader.raw, "_sock", self._reader.raw)

    def set_timeout(self, seconds: float | None) -> None:
        """Seconds to wait for the next output, or None to wait as long as the process runs."""
        self._socket.settimeout(seconds)

    def write(self, data: bytes) -> None:
        if not self._stdin:
            raise KapalError("exec in container %s: stdin was not attached" % self._container)
        with self._engine.call("write to exec in container %s" % self._container):
            self._socket.sendall(data)

    def close_stdin(self) -> None:
        if not self._stdin:
            return
        with self._engine.call("close stdin of exec in container %s" % self._container):
            self._socket.shutdown(socket.SHUT_WR)

    def read_frame(self) -> tuple[int, bytes] | None:
        """The next (stream, payload), or None at the end of the output.

        Raises TimeoutError when no output came within the timeout set with set_timeout().
        """
        try:
            if self._tty:
                chunk = self._reader.read1(_CHUNK)
                return (STDOUT, chunk) if chunk else None
            header = self._reader.read(_HEADER.size)
            if len(header) < _HEADER.size:
                return None
            stream, size = _HEADER.unpack(header)
            payload = self._reader.read(size)
        except socket.timeout:
            raise TimeoutError("no output from exec in container %s" % self._container) from None
        if len(payload) < size:
            return None
        return stream, payload

    def read_all(self, stdout: bytearray, stderr: bytearray) -> None:
        """Read to the end, appending to the given bytearrays."""
        self.set_timeout(None)
        while True:
            frame = self.read_frame()
            if frame is None:
                return
            (stderr if frame[0] == STDERR else stdout).extend(frame[1])

    def exit_code(self) -> int:
        """The process's exit code; the engine may need a moment after the stream ends."""
        deadline = time.monotonic() + self._engine.config.timeout
        with self._engine.call("inspect exec in container %s" % self._container):
            while True:
                state = self._engine.api.exec_inspect(self.exec_id)
                if not state.get("Running"):
                    return state.get("ExitCode")
                if time.monotonic() > deadline:
                    raise KapalError("exec in container %s: the output ended but the process is still running" % self._container)
                time.sleep(0.05)

    def close(self) -> None:
        self._response.close()

    def __enter__(self) -> ExecSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
