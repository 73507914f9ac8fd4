# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tar streams, built and read on the fly: one file into or out of a container (the engine's archive
API), and a directory tree as the root filesystem of an image import.

A file sent is wrapped in a tar stream built from the file object (header, the file's own chunks,
padding); a directory is walked into a deterministic stream the same way, file by file; a file
fetched is read member by member from the tar stream the engine answers with, and written to disk
in chunks. Nothing holds a whole file in memory.
"""

from __future__ import annotations

import io
import os
import posixpath
import stat
import tarfile
import tempfile
import typing as t

from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError, one_line

if t.TYPE_CHECKING:
    from ansible_collections.kapal.docker.plugins.module_utils._engine import Engine

BLOCK = tarfile.BLOCKSIZE
CHUNK_SIZE = 1024 * 1024
MAX_LINKS = 10
END_OF_ARCHIVE = b"\0" * (2 * BLOCK)
_GO_MODE_SYMLINK = 1 << 27  # Go's os.ModeSymlink, as the engine reports it in the path stat
_GO_MODE_DIR = 1 << 31


def file_data(handle: t.BinaryIO, size: int, name: str, chunk_size: int = CHUNK_SIZE) -> t.Iterator[bytes]:
    """``size`` bytes of ``handle`` in chunks, then the zeros that pad them to a whole tar block.

    A read error raises OSError; a file that ends early raises KapalError naming ``name``.
    """
    remaining = size
    while remaining:
        chunk = handle.read(min(chunk_size, remaining))
        if not chunk:
            raise KapalError("%s shrank while it was being sent (%d bytes missing)" % (name, remaining))
        remaining -= len(chunk)
        yield chunk
    if size % BLOCK:
        yield b"\0" * (BLOCK - size % BLOCK)


def tar_chunks(handle: t.BinaryIO, name: str, size: int, mode: int, uid: int, gid: int, mtime: int,
               chunk_size: int = CHUNK_SIZE) -> t.Iterator[bytes]:
    """Yield a tar stream holding one regular file read from ``handle`` (``size`` bytes)."""
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = mode
    info.uid = uid
    info.gid = gid
    info.mtime = mtime
    info.type = tarfile.REGTYPE
    yield info.tobuf(format=tarfile.PAX_FORMAT)
    try:
        yield from file_data(handle, size, name, chunk_size)
    except OSError as exc:
        raise KapalError("cannot read %s: %s" % (name, one_line(exc.strerror or exc))) from None
    yield END_OF_ARCHIVE


def directory_tar(root: str) -> t.Iterator[bytes]:
    """A deterministic tar stream of ``root``'s tree (the ``path`` of an image import), in pieces.

    Members are sorted by path; owners are numeric, names of owners left out, modification times
    zero; hard links become link members; sockets are left out (tar cannot hold them). A read
    error raises OSError.
    """
    helper = tarfile.TarFile(fileobj=_NullSink(), mode="w", format=tarfile.PAX_FORMAT)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for entry in sorted(dirnames + filenames):
            path = os.path.join(dirpath, entry)
            if stat.S_ISSOCK(os.lstat(path).st_mode):
                continue
            info = helper.gettarinfo(path, os.path.relpath(path, root))
            info.uname = info.gname = ""
            info.mtime = 0
            yield info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
            if info.isreg():
                with open(path, "rb") as handle:
                    yield from file_data(handle, info.size, "path: file %s" % path)
    yield END_OF_ARCHIVE


class _NullSink:
    """A write-only file for the TarFile used only for gettarinfo (hard link bookkeeping)."""

    def write(self, data: bytes) -> int:
        return len(data)

    def tell(self) -> int:
        return 0


def put_file(engine: Engine, container: str, in_path: str, out_path: str, uid: int, gid: int) -> None:
    """Copy the local file ``in_path`` to ``out_path`` in the container, owned by uid:gid, its mode kept."""
    directory, name = posixpath.split(out_path)
    try:
        handle = open(in_path, "rb")
    except OSError as exc:
        raise KapalError("cannot read %s: %s" % (in_path, one_line(exc.strerror or exc))) from None
    with handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise KapalError("cannot copy %s: not a regular file" % in_path)
        chunks = tar_chunks(handle, name, info.st_size, stat.S_IMODE(info.st_mode), uid, gid, int(info.st_mtime))
        with engine.call("copy %s to %s in container %s" % (in_path, out_path, container)):
            engine.api.put_archive(container, directory or "/", chunks)


class ChunkReader(io.RawIOBase):
    """A readable file over an iterator of byte chunks; each pull goes through engine.call."""

    def __init__(self, engine: Engine, action: str, chunks: t.Iterator[bytes]) -> None:
        super().__init__()
        self._engine = engine
        self._action = action
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if not self._pending:
            with self._engine.call(self._action):
                self._pending = next(self._chunks, b"")
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def drain(self) -> None:
        with self._engine.call(self._action):
            for dummy in self._chunks:
                pass


def _resolve(engine: Engine, container: str, path: str) -> tuple[str, t.Iterator[bytes]]:
    """Follow symbolic links to the path of a regular file, and open its archive stream."""
    for dummy in range(MAX_LINKS):
        action = "fetch %s from container %s" % (path, container)
        with engine.call(action):
            chunks, path_stat = engine.api.get_archive(container, path, chunk_size=CHUNK_SIZE)
        mode = path_stat.get("mode", 0)
        if mode & _GO_MODE_SYMLINK and path_stat.get("linkTarget"):
            chunks.close()
            path = posixpath.join(posixpath.dirname(path), path_stat["linkTarget"])
            continue
        if mode & _GO_MODE_DIR:
            chunks.close()
            raise KapalError("cannot fetch %s from container %s: it is a directory" % (path, container))
        return action, chunks
    raise KapalError("cannot fetch %s from container %s: more than %d symbolic links" % (path, container, MAX_LINKS))


def fetch_file(engine: Engine, container: str, in_path: str, out_path: str) -> None:
    """Copy the file ``in_path`` of the container to the local ``out_path`` (replaced atomically)."""
    action, chunks = _resolve(engine, container, in_path)
    reader = ChunkReader(engine, action, chunks)
    try:
        with tarfile.open(fileobj=io.BufferedReader(reader, CHUNK_SIZE), mode="r|") as archive:
            member = archive.next()
            if member is None or not member.isreg():
                raise KapalError("cannot fetch %s from container %s: not a regular file" % (in_path, container))
            _write(archive.extractfile(member), out_path)
    except tarfile.TarError as exc:
        raise KapalError("cannot fetch %s from container %s: bad archive from the engine: %s" % (in_path, container, one_line(exc))) from None
    reader.drain()


def _write(source: t.BinaryIO, out_path: str) -> None:
    directory = os.path.dirname(os.path.abspath(out_path))
    try:
        fd, temp_path = tempfile.mkstemp(dir=directory, prefix=".kapal-fetch-")
    except OSError as exc:
        raise KapalError("cannot write to %s: %s" % (directory, one_line(exc.strerror or exc))) from None
    try:
        with os.fdopen(fd, "wb") as target:
            while True:
                chunk = source.read(CHUNK_SIZE)
                if not chunk:
                    break
                target.write(chunk)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp_path, 0o666 & ~umask)
        os.replace(temp_path, out_path)
    except OSError as exc:
        os.unlink(temp_path)
        raise KapalError("cannot write %s: %s" % (out_path, one_line(exc.strerror or exc))) from None
    except BaseException:
        os.unlink(temp_path)
        raise
