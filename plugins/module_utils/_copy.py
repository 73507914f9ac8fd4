# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``docker cp`` both ways through the engine's archive API, idempotent by content and metadata.

Into a container: a file, a directory or inline content becomes ``container_path`` with the
given owner, group and mode. What is there is read first (its stat, then its archive, streamed
member by member and compared chunk by chunk with the source), so nothing is written when the
content, the type, the owner, the group and the mode already match. The archive API works on
stopped containers too.

Out of a container: a file or a directory of the container becomes ``path`` on the host; each
file is streamed from the archive, compared with what is on the host while it is written to a
temporary file, and replaces it only when it differs.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import os
import posixpath
import stat
import tarfile
import tempfile
import time

from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.kapal.docker.plugins.module_utils._archive import CHUNK_SIZE, ChunkReader
from ansible_collections.kapal.docker.plugins.module_utils._errors import EngineNotFound, KapalError, one_line

BLOCK = tarfile.BLOCKSIZE
# Go's os.FileMode bits, as the engine reports them in the path stat header.
GO_DIR = 1 << 31
GO_SYMLINK = 1 << 27
GO_SETUID = 1 << 23
GO_SETGID = 1 << 22
GO_STICKY = 1 << 20
GO_TYPE = GO_DIR | GO_SYMLINK | (1 << 26) | (1 << 25) | (1 << 24) | (1 << 21) | (1 << 19)
MODE_PARSERS = ("modern", "legacy", "octal_string_only")


# --- options --------------------------------------------------------------------------------------

def parse_mode(value, how="modern"):
    """The ``mode`` option as an int: octal strings (``"0644"``, ``"644"``) or ints; see MODE_PARSERS."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise KapalError("mode: expected an octal string such as '0644', got %r" % (value,))
    if isinstance(value, int):
        if how == "octal_string_only":
            raise KapalError("mode: expected an octal string such as '0644' (mode_parse is octal_string_only), got %r" % value)
        mode = value
    else:
        text = str(value).strip()
        try:
            if how == "legacy":
                mode = int(text)
            else:
                mode = int(text[2:] if text.lower().startswith("0o") else text, 8)
        except ValueError:
            raise KapalError("mode: expected an octal string such as '0644', got %r" % (value,)) from None
    if not 0 <= mode <= 0o7777:
        raise KapalError("mode: %r is not a file mode (0 to 07777)" % (value,))
    return mode


def container_path_of(text):
    """An absolute, normalised path in the container."""
    if not text or "\0" in text:
        raise KapalError("container_path: expected a path in the container, got %r" % (text,))
    return posixpath.normpath(posixpath.join("/", text))


def go_mode_to_unix(mode):
    """The permission bits (with setuid, setgid, sticky) of a Go file mode."""
    unix = mode & 0o777
    if mode & GO_SETUID:
        unix |= stat.S_ISUID
    if mode & GO_SETGID:
        unix |= stat.S_ISGID
    if mode & GO_STICKY:
        unix |= stat.S_ISVTX
    return unix


def go_kind(mode):
    if mode & GO_DIR:
        return "directory"
    if mode & GO_SYMLINK:
        return "symlink"
    if mode & GO_TYPE:
        return "other"
    return "file"


def describe(kind, mode, uid, gid, size=None, link=None, content_matches=None):
    """An entry of the diff: what is (or will be) at a path; never its content."""
    entry = dict(type=kind, mode="%04o" % mode if mode is not None else None, owner_id=uid, group_id=gid)
    if kind == "file":
        entry["size"] = size
        entry["content_matches"] = content_matches
    if kind == "symlink":
        entry["link_target"] = link
    return entry


# --- the engine's archive API -----------------------------------------------------------------------

def stat_path(engine, container, path):
    """The engine's stat of ``path`` in the container (name, size, mode, linkTarget), or None."""
    try:
        response = engine.request("stat %s in container %s" % (path, container), "HEAD",
                                  "/containers/{0}/archive", container, params={"path": path})
    except EngineNotFound:
        return None
    header = response.headers.get("X-Docker-Container-Path-Stat")
    try:
        return json.loads(base64.b64decode(header)) if header else None
    except (ValueError, binascii.Error):
        raise KapalError("stat %s in container %s: the engine answered an unreadable stat" % (path, container)) from None


def open_archive(engine, container, path):
    """The engine's tar stream of ``path`` in the container, as a tarfile read member by member."""
    action = "fetch %s from container %s" % (path, container)
    with engine.call(action):
        chunks, _stat = engine.api.get_archive(container, path, chunk_size=CHUNK_SIZE)
    return action, tarfile.open(fileobj=io.BufferedReader(ChunkReader(engine, action, iter(chunks)), CHUNK_SIZE), mode="r|")


def same_stream(first, second):
    """Whether two readable files hold the same bytes (read in chunks, stopping at the first difference)."""
    while True:
        a = first.read(CHUNK_SIZE)
        b = second.read(len(a)) if a else second.read(1)
        if a != b:
            return False
        if not a:
            return True


# --- sources (into a container) -----------------------------------------------------------------------

class Entry:
    """One thing to write into the container: ``rel`` is its path under the destination ("" for itself)."""

    def __init__(self, rel, kind, mode, size=0, local=None, data=None, link=None, mtime=None):
        self.rel = rel
        self.kind = kind
        self.mode = mode
        self.size = size
        self.local = local
        self.data = data
        self.link = link
        self.mtime = int(mtime if mtime is not None else time.time())

    def open(self):
        if self.data is not None:
            return io.BytesIO(self.data)
        try:
            return open(self.local, "rb")
        except OSError as exc:
            raise KapalError("path: cannot read %s: %s" % (self.local, one_line(exc.strerror or exc))) from None


def source_entries(params, mode):
    """The entries to write, from ``content`` or ``path`` (a file, or a directory tree)."""
    if params.get("content") is not None:
        data = to_bytes(params["content"], errors="surrogate_or_strict")
        if params.get("content_is_b64"):
            try:
                data = base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                raise KapalError("content: content_is_b64 is true but content is not base64") from None
        return [Entry("", "file", 0o644 if mode is None else mode, len(data), data=data)]
    path = params["path"]
    follow = params.get("local_follow", True)
    try:
        info = os.stat(path) if follow else os.lstat(path)
    except OSError as exc:
        raise KapalError("path: cannot read %s: %s" % (path, one_line(exc.strerror or exc))) from None
    if stat.S_ISREG(info.st_mode):
        return [Entry("", "file", stat.S_IMODE(info.st_mode) if mode is None else mode, info.st_size, local=path,
                      mtime=info.st_mtime)]
    if stat.S_ISLNK(info.st_mode):
        return [Entry("", "symlink", 0o777, link=os.readlink(path), mtime=info.st_mtime)]
    if not stat.S_ISDIR(info.st_mode):
        raise KapalError("path: %s is not a file or a directory" % path)
    entries = [Entry("", "directory", stat.S_IMODE(info.st_mode), mtime=info.st_mtime)]
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, path).replace(os.sep, "/")
            item = os.lstat(full)
            if stat.S_ISDIR(item.st_mode):
                entries.append(Entry(rel, "directory", stat.S_IMODE(item.st_mode), mtime=item.st_mtime))
            elif stat.S_ISREG(item.st_mode):
                entries.append(Entry(rel, "file", stat.S_IMODE(item.st_mode) if mode is None else mode, item.st_size,
                                     local=full, mtime=item.st_mtime))
            elif stat.S_ISLNK(item.st_mode):
                entries.append(Entry(rel, "symlink", 0o777, link=os.readlink(full), mtime=item.st_mtime))
    return entries


def tar_stream(entries, top, uid, gid):
    """A tar stream of ``entries`` under the top-level name ``top``, built as it is sent."""
    for entry in entries:
        info = tarfile.TarInfo(posixpath.join(top, entry.rel) if entry.rel else top)
        info.mode, info.uid, info.gid, info.mtime = entry.mode, uid, gid, entry.mtime
        if entry.kind == "directory":
            info.type = tarfile.DIRTYPE
        elif entry.kind == "symlink":
            info.type, info.linkname = tarfile.SYMTYPE, entry.link
        else:
            info.type, info.size = tarfile.REGTYPE, entry.size
        yield info.tobuf(format=tarfile.PAX_FORMAT)
        if entry.kind == "file":
            remaining = entry.size
            with entry.open() as handle:
                while remaining:
                    chunk = handle.read(min(CHUNK_SIZE, remaining))
                    if not chunk:
                        raise KapalError("path: %s shrank while it was being sent" % entry.local)
                    remaining -= len(chunk)
                    yield chunk
            yield b"\0" * ((-entry.size) % BLOCK)
    yield b"\0" * (2 * BLOCK)


# --- into a container -------------------------------------------------------------------------------------

def _member_matches(member, entry, uid, gid, archive):
    """Whether an archive member already is ``entry``: type, owner, mode, and content or link."""
    kind = "directory" if member.isdir() else "symlink" if member.issym() else "file" if member.isreg() else "other"
    if kind != entry.kind or member.uid != uid or member.gid != gid:
        return False
    if kind != "symlink" and member.mode & 0o7777 != entry.mode:
        return False
    if kind == "symlink":
        return member.linkname == entry.link
    if kind == "file":
        if member.size != entry.size:
            return False
        with entry.open() as local:
            return same_stream(archive.extractfile(member), local)
    return True


def _member_state(member, matches):
    kind = "directory" if member.isdir() else "symlink" if member.issym() else "file" if member.isreg() else "other"
    return describe(kind, member.mode & 0o7777, member.uid, member.gid, member.size if member.isreg() else None,
                    member.linkname if member.issym() else None, matches if member.isreg() else None)


def compare_into(engine, container, dest, dest_stat, entries, uid, gid):
    """({rel: state} of the entries that differ from what the container holds (None: absent),
    {rel: state} of those that match)."""
    if dest_stat is None:
        return dict((entry.rel, None) for entry in entries), {}
    top_kind = go_kind(dest_stat["mode"])
    if entries[0].kind == "directory" and top_kind != "directory":
        raise KapalError("container_path: %s is a %s in container %s, not a directory; remove it first" % (dest, top_kind, container))
    if entries[0].kind != "directory" and top_kind == "directory":
        raise KapalError("container_path: %s is a directory in container %s; give the path the file is to have" % (dest, container))
    if entries[0].kind == "file" and top_kind == "file" and dest_stat.get("size") != entries[0].size:
        # A different size is a different content: no need to read it (the owner is not known then).
        return {"": describe("file", go_mode_to_unix(dest_stat["mode"]), None, None, dest_stat.get("size"),
                             content_matches=False)}, {}
    wanted = dict((entry.rel, entry) for entry in entries)
    differing, matching = {}, {}
    action, archive = open_archive(engine, container, dest)
    try:
        with archive:
            for member in archive:
                rel = _member_rel(member.name)
                entry = wanted.get(rel)
                if entry is None:
                    continue
                if _member_matches(member, entry, uid, gid, archive):
                    matching[rel] = _member_state(member, True)
                else:
                    differing[rel] = _member_state(member, False)
    except (tarfile.TarError, EOFError) as exc:
        raise KapalError("%s: bad archive from the engine: %s" % (action, one_line(exc))) from None
    for rel in wanted:
        if rel not in differing and rel not in matching:
            differing[rel] = None
    return differing, matching


def _member_rel(name):
    """A member's path under the archive's top-level entry ("" for the entry itself)."""
    name = name.rstrip("/")
    return name.split("/", 1)[1] if "/" in name else ""


def copy_into(engine, params, check_mode, container, mode):
    """Make ``container_path`` in the container what ``path`` or ``content`` is."""
    dest = container_path_of(params["container_path"])
    if dest == "/":
        raise KapalError("container_path: '/' cannot be replaced; name a file or directory in it")
    entries = source_entries(params, mode)
    uid = 0 if params.get("owner_id") is None else params["owner_id"]
    gid = 0 if params.get("group_id") is None else params["group_id"]
    dest_stat = stat_path(engine, container, dest)
    if params.get("follow") and dest_stat is not None and go_kind(dest_stat["mode"]) == "symlink" and dest_stat.get("linkTarget"):
        dest = container_path_of(dest_stat["linkTarget"])
        dest_stat = stat_path(engine, container, dest)
    parent = posixpath.dirname(dest)
    if dest_stat is None and stat_path(engine, container, parent) is None:
        raise KapalError("container_path: directory %s does not exist in container %s" % (parent, container))
    force = params.get("force")
    if force is False and dest_stat is not None:
        differing = {}
    else:
        differing, matching = compare_into(engine, container, dest, dest_stat, entries, uid, gid)
        if force:
            differing.update(matching)
    if differing and not check_mode:
        sent = [e for e in entries if e.kind == "directory" or e.rel in differing]
        action = "copy %s to %s in container %s" % (params.get("path") or "content", dest, container)
        try:
            with engine.call(action):
                engine.api.put_archive(container, parent, tar_stream(sent, posixpath.basename(dest), uid, gid))
        except EngineNotFound:
            raise KapalError("container_path: directory %s does not exist in container %s" % (parent, container)) from None
    before, after = {}, {}
    for entry in entries:
        if entry.rel in differing:
            path = posixpath.join(dest, entry.rel) if entry.rel else dest
            before[path] = differing[entry.rel]
            after[path] = describe(entry.kind, entry.mode if entry.kind != "symlink" else 0o777, uid, gid, entry.size,
                                   entry.link, True)
    return dict(changed=bool(differing), container_path=dest,
                changed_files=sorted(posixpath.join(dest, rel) if rel else dest for rel in differing),
                mode="%04o" % entries[0].mode if entries[0].kind == "file" else None, owner_id=uid, group_id=gid,
                diff=dict(before=before, after=after))


# --- out of a container -------------------------------------------------------------------------------------

def _local_state(path):
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISDIR(info.st_mode):
        kind = "directory"
    elif stat.S_ISLNK(info.st_mode):
        kind = "symlink"
    elif stat.S_ISREG(info.st_mode):
        kind = "file"
    else:
        kind = "other"
    return info, kind


def _inside(root, path):
    """Refuse to write through a symbolic link out of the destination tree."""
    real_root = os.path.realpath(root)
    real_parent = os.path.realpath(os.path.dirname(path))
    if real_parent != real_root and not real_parent.startswith(real_root + os.sep):
        raise KapalError("path: refusing to write %s: a symbolic link in the copy leads out of %s" % (path, root))


class _Out:
    """Writes an archive's members under a local destination, only what differs."""

    def __init__(self, root, single, mode, uid, gid, check_mode, force=False):
        self.root = root
        self.force = force
        self.single = single
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.check_mode = check_mode
        self.before, self.after = {}, {}

    def target(self, rel):
        if self.single or not rel:
            return self.root
        parts = rel.split("/")
        if any(part in ("", ".", "..") for part in parts):
            raise KapalError("path: refusing the archive member %r: it leaves %s" % (rel, self.root))
        return os.path.join(self.root, *parts)

    def _owner_ok(self, info):
        return (self.uid is None or info.st_uid == self.uid) and (self.gid is None or info.st_gid == self.gid)

    def _set_owner_mode(self, path, mode, follow=True):
        if not follow:
            if self.uid is not None or self.gid is not None:
                os.lchown(path, -1 if self.uid is None else self.uid, -1 if self.gid is None else self.gid)
            return
        if self.uid is not None or self.gid is not None:
            os.chown(path, -1 if self.uid is None else self.uid, -1 if self.gid is None else self.gid)
        os.chmod(path, mode)

    def _record(self, path, state, member, mode, matches=None):
        kind = "directory" if member.isdir() else "symlink" if member.issym() else "file"
        self.before[path] = None if state is None else describe(
            state[1], stat.S_IMODE(state[0].st_mode), state[0].st_uid, state[0].st_gid,
            state[0].st_size if state[1] == "file" else None,
            os.readlink(path) if state[1] == "symlink" else None, matches if state[1] == "file" else None)
        self.after[path] = describe(kind, mode if kind != "symlink" else 0o777,
                                    self.uid if self.uid is not None else (state[0].st_uid if state else os.geteuid()),
                                    self.gid if self.gid is not None else (state[0].st_gid if state else os.getegid()),
                                    member.size if kind == "file" else None, member.linkname if kind == "symlink" else None,
                                    True if kind == "file" else None)

    def directory(self, rel, member):
        path = self.target(rel)
        mode = member.mode & 0o7777
        state = _local_state(path)
        if state is not None and state[1] == "directory" and stat.S_IMODE(state[0].st_mode) == mode and self._owner_ok(state[0]) \
                and not self.force:
            return
        if state is not None and state[1] != "directory":
            raise KapalError("path: %s exists and is not a directory" % path)
        self._record(path, state, member, mode)
        if not self.check_mode:
            if rel:
                _inside(self.root, path)
            try:
                if state is None:
                    os.mkdir(path, 0o700)
                self._set_owner_mode(path, mode)
            except OSError as exc:
                raise KapalError("path: cannot make directory %s: %s" % (path, one_line(exc.strerror or exc))) from None

    def symlink(self, rel, member):
        path = self.target(rel)
        state = _local_state(path)
        if state is not None and state[1] == "symlink" and os.readlink(path) == member.linkname and self._owner_ok(state[0]) \
                and not self.force:
            return
        if state is not None and state[1] == "directory":
            raise KapalError("path: %s is a directory; the container has a symbolic link there" % path)
        self._record(path, state, member, 0o777)
        if not self.check_mode:
            if rel and not self.single:
                _inside(self.root, path)
            temp = "%s.kapal-%d" % (path, os.getpid())
            try:
                os.symlink(member.linkname, temp)
                self._set_owner_mode(temp, 0o777, follow=False)
                os.replace(temp, path)
            except OSError as exc:
                raise KapalError("path: cannot write %s: %s" % (path, one_line(exc.strerror or exc))) from None

    def file(self, rel, member, source):
        path = self.target(rel)
        mode = self.mode if self.mode is not None else member.mode & 0o7777
        state = _local_state(path)
        if state is not None and state[1] == "directory":
            raise KapalError("path: %s is a directory; give the path the file is to have" % path)
        if not self.check_mode and rel and not self.single:
            _inside(self.root, path)
        same = self._stream(path, state, member, source) and not self.force
        meta_ok = state is not None and state[1] == "file" and stat.S_IMODE(state[0].st_mode) == mode and self._owner_ok(state[0])
        if same and meta_ok:
            self.discard()
            return
        self._record(path, state, member, mode, same)
        if self.check_mode:
            return
        try:
            if same:
                self.discard()
                self._set_owner_mode(path, mode)
            else:
                self._set_owner_mode(self._temp, mode)
                os.replace(self._temp, path)
                self._temp = None
        except OSError as exc:
            self.discard()
            raise KapalError("path: cannot write %s: %s" % (path, one_line(exc.strerror or exc))) from None

    def hardlink(self, rel, member):
        """A hard link of the archive: a file with the content of the file it links (written before it)."""
        linked = self.target(_member_rel(member.linkname))
        if not os.path.isfile(linked):
            if self.check_mode:  # the file it links is not written in check mode
                path = self.target(rel)
                self._record(path, _local_state(path), member, member.mode & 0o7777, False)
                return
            raise KapalError("path: the archive links %s to %s, which is not there" % (rel, member.linkname))
        regular = tarfile.TarInfo(member.name)
        regular.type, regular.mode, regular.size = tarfile.REGTYPE, member.mode, os.path.getsize(linked)
        with open(linked, "rb") as handle:
            self.file(rel, regular, handle)

    _temp = None

    def _stream(self, path, state, member, source):
        """Compare the member with the local file while writing it to a temporary file; True when equal."""
        local = None
        if state is not None and state[1] == "file" and state[0].st_size == member.size:
            local = open(path, "rb")
        target = None
        if not self.check_mode:
            try:
                fd, self._temp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".kapal-copy-")
            except OSError as exc:
                raise KapalError("path: cannot write to %s: %s" % (os.path.dirname(path), one_line(exc.strerror or exc))) from None
            target = os.fdopen(fd, "wb")
        same = local is not None
        try:
            while True:
                chunk = source.read(CHUNK_SIZE)
                if not chunk:
                    break
                if same and local.read(len(chunk)) != chunk:
                    same = False
                if target is not None:
                    target.write(chunk)
                elif not same:
                    break  # check mode: the answer is known
        finally:
            if local is not None:
                local.close()
            if target is not None:
                target.close()
        return same

    def discard(self):
        if self._temp is not None:
            try:
                os.unlink(self._temp)
            except OSError:
                pass
            self._temp = None


def copy_out(engine, params, check_mode, container, mode):
    """Make ``path`` on the host what ``container_path`` is in the container."""
    source = container_path_of(params["container_path"])
    path = params.get("path")
    if not path:
        raise KapalError("path: direction out needs the path to write on the host")
    if params.get("content") is not None:
        raise KapalError("content: only for direction into")
    source_stat = stat_path(engine, container, source)
    if source_stat is None:
        raise KapalError("container_path: no such file or directory %s in container %s" % (source, container))
    if params.get("follow") and go_kind(source_stat["mode"]) == "symlink" and source_stat.get("linkTarget"):
        source = container_path_of(source_stat["linkTarget"])
        source_stat = stat_path(engine, container, source)
    kind = go_kind(source_stat["mode"])
    if kind == "other":
        raise KapalError("container_path: %s in container %s is not a file, a directory or a symbolic link" % (source, container))
    if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        raise KapalError("path: directory %s does not exist" % os.path.dirname(os.path.abspath(path)))
    writer = _Out(os.path.abspath(path), kind != "directory", mode, params.get("owner_id"), params.get("group_id"),
                  check_mode, bool(params.get("force")))
    if params.get("force") is False and os.path.lexists(path):
        return dict(changed=False, container_path=source, path=path, changed_files=[], diff=dict(before={}, after={}))
    action, archive = open_archive(engine, container, source)
    try:
        with archive:
            for member in archive:
                rel = _member_rel(member.name)
                if member.isdir():
                    writer.directory(rel, member)
                elif member.issym():
                    writer.symlink(rel, member)
                elif member.isreg():
                    writer.file(rel, member, archive.extractfile(member))
                elif member.islnk():
                    writer.hardlink(rel, member)
    except (tarfile.TarError, EOFError) as exc:
        raise KapalError("%s: bad archive from the engine: %s" % (action, one_line(exc))) from None
    finally:
        writer.discard()
    return dict(changed=bool(writer.before), container_path=source, path=path, changed_files=sorted(writer.before),
                diff=dict(before=writer.before, after=writer.after))


# --- the task -------------------------------------------------------------------------------------------------

def copy_task(engine, params, check_mode):
    """The kapal.docker.container_copy task: copy into or out of a container, only what differs."""
    inspect = engine.inspect("container", params["container"])
    if inspect is None:
        raise KapalError("container: no such container %r on Docker Engine at %s" % (params["container"], engine.host))
    mode = parse_mode(params.get("mode"), params.get("mode_parse") or "modern")
    for option in ("owner_id", "group_id"):
        if params.get(option) is not None and params[option] < 0:
            raise KapalError("%s: expected a number 0 or greater, got %r" % (option, params[option]))
    name = inspect.get("Name", "").lstrip("/") or params["container"]
    if params.get("direction") == "out":
        result = copy_out(engine, params, check_mode, inspect["Id"], mode)
    else:
        if params.get("content") is None and not params.get("path"):
            raise KapalError("path: give path (a file or directory on the host) or content")
        result = copy_into(engine, params, check_mode, inspect["Id"], mode)
    result["container"] = name
    return result
