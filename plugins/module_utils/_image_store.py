# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Local image operations: find and list images, tag, remove, and import root filesystems.

Nothing here knows about AnsibleModule. Every engine call goes through ``engine.call``; every
failure the user must see is a one-line KapalError naming the option and the value.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tarfile

from ansible_collections.kapal.docker.plugins.module_utils._errors import EngineConflict, KapalError, one_line
from ansible_collections.kapal.docker.plugins.module_utils._images import image_facts, inspect_image
from ansible_collections.kapal.docker.plugins.module_utils._reference import ImageRef, looks_like_id

# The filters of `docker images --filter` that image_info accepts, and what each value may be.
IMAGE_FILTERS = ("reference", "label", "dangling", "before", "since")
IMPORT_HASH_LABEL = "org.kapal.import.hash"
IMPORT_INSTRUCTIONS = ("CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "ONBUILD", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR")
_CHUNK = 1024 * 1024


# --- finding and listing --------------------------------------------------------------------

def image_key(text, option="name"):
    """What to hand the engine for a name, reference or id; a malformed one raises KapalError."""
    if looks_like_id(text):
        return text
    return str(ImageRef.parse(text, option))


def find_images(engine, names, option="name"):
    """Inspect answers for ``names`` (names, references or ids): (found, missing), found deduplicated."""
    keys = [image_key(name, option) for name in names]
    found, seen, missing = [], set(), []
    for name, key in zip(names, keys):
        inspect = inspect_image(engine, key)
        if inspect is None:
            missing.append(name)
        elif inspect["Id"] not in seen:
            seen.add(inspect["Id"])
            found.append(inspect)
    return found, missing


def engine_filters(filters):
    """The engine's filter mapping for the ``filters`` option; unknown filters and values fail."""
    result = {}
    for key, value in (filters or {}).items():
        if key not in IMAGE_FILTERS:
            raise KapalError("filters: unsupported filter %r (expected one of %s)" % (key, ", ".join(IMAGE_FILTERS)))
        values = value if isinstance(value, list) else [value]
        texts = []
        for item in values:
            if isinstance(item, bool):
                item = "true" if item else "false"
            if not isinstance(item, (str, int)) or isinstance(item, bool) or item == "":
                raise KapalError("filters: %s expects a string or a list of strings, got %r" % (key, value))
            texts.append(str(item))
        if key == "dangling" and any(t.lower() not in ("true", "false") for t in texts):
            raise KapalError("filters: dangling expects true or false, got %r" % (value,))
        result[key] = [t.lower() for t in texts] if key == "dangling" else texts
    return result


def list_images(engine, filters=None):
    """Inspect answers for every image `docker images` would show under ``filters``."""
    with engine.call("list images"):
        summaries = engine.api.images(filters=engine_filters(filters))
    result = []
    for summary in summaries:
        inspect = inspect_image(engine, summary["Id"])
        if inspect is not None:  # removed while we were listing
            result.append(inspect)
    return result


# --- tagging ----------------------------------------------------------------------------------

def local_tag(ref):
    """How the engine lists ``ref`` (an ImageRef with a tag) in RepoTags: Docker Hub names are short."""
    name = ref.name
    if ref.registry in ("docker.io", "index.docker.io"):
        name = ref.repository[len("library/"):] if ref.repository.startswith("library/") else ref.repository
    return "%s:%s" % (name, ref.effective_tag)


def has_tag(inspect, ref):
    """Whether the image ``inspect`` carries the tag ``ref`` (an ImageRef)."""
    return inspect is not None and local_tag(ref) in (inspect.get("RepoTags") or [])


def tag_image(engine, image_id, ref):
    """Point ``ref`` (an ImageRef with a tag) at ``image_id``."""
    with engine.call("tag image %s as %s" % (image_id, ref)):
        engine.api.tag(image_id, ref.name, ref.effective_tag, force=True)


def tag_task(engine, params, check_mode=False, diff=False):
    """The kapal.docker.image_tag task: point the reference ``repository`` at the image ``name``."""
    image = inspect_image(engine, image_key(params["name"]))
    if image is None:
        raise KapalError("name: no such image %r on Docker Engine at %s" % (params["name"], engine.host))
    target = ImageRef.parse(params["repository"], "repository")
    if target.digest is not None:
        raise KapalError("repository: %r names a digest; a tag is needed" % params["repository"])
    target = target.with_tag(target.effective_tag)
    current = inspect_image(engine, str(target))
    changed = current is None or current["Id"] != image["Id"]
    if changed and not check_mode:
        tag_image(engine, image["Id"], target)
        image = inspect_image(engine, image["Id"])
    result = dict(changed=changed, repository=str(target), image=image_facts(image))
    if diff:
        result["diff"] = dict(before=dict(repository=str(target), id=current["Id"] if current else None),
                              after=dict(repository=str(target), id=image["Id"]))
    return result


# --- removing ---------------------------------------------------------------------------------

def containers_using(engine, image_id):
    """(name, running) of each container (running or not) created from ``image_id``, sorted by name."""
    with engine.call("list containers"):
        containers = engine.api.containers(all=True)
    return sorted(
        ((c.get("Names") or ["/" + c["Id"][:12]])[0].lstrip("/"), c.get("State") == "running")
        for c in containers
        if c.get("ImageID") == image_id
    )


def _removed_name(name):
    ref = ImageRef.parse(name, "name")
    return str(ref) if ref.digest else str(ref.with_tag(ref.effective_tag))


def plan_removal(engine, name, force=False):
    """What removing ``name`` does: None when there is no such image, else dict(inspect, untagged, deleted).

    Refuses, in one line, what the engine would refuse: without ``force`` an image a container
    uses or an id that several tags share; even with ``force``, an id a running container uses.
    ``deleted`` names the image only, not the layers and untagged parents a prune also removes.
    """
    key = image_key(name)
    inspect = inspect_image(engine, key)
    if inspect is None:
        return None
    image_id = inspect["Id"]
    tags = [t for t in inspect.get("RepoTags") or [] if t != "<none>:<none>"]
    by_id = looks_like_id(name)
    if not by_id and len(tags) > 1:
        return dict(inspect=inspect, untagged=[_removed_name(name)], deleted=[])
    untagged = tags if by_id else [_removed_name(name)]
    users = containers_using(engine, image_id)
    running = [user for user, is_running in users if is_running]
    if not force and users:
        raise KapalError(
            "name: image %r (%s) is used by container %s; remove the container first or set force: true"
            % (name, image_id[7:19], ", ".join(repr(user) for user, _running in users))
        )
    if not force and len(tags) > 1:
        raise KapalError("name: image %r is tagged %s; remove the tags by name or set force: true" % (name, ", ".join(tags)))
    if running and by_id:
        raise KapalError(
            "name: image %r is used by running container %s, which even force cannot remove; stop the container first"
            % (name, ", ".join(repr(user) for user in running))
        )
    return dict(inspect=inspect, untagged=untagged, deleted=[] if running else [image_id])


def remove_image(engine, name, force=False, prune=True):
    """Remove ``name``; returns (deleted ids, untagged references) as the engine reports them."""
    try:
        with engine.call("remove image %s" % name):
            answer = engine.api.remove_image(image_key(name), force=force, noprune=not prune)
    except EngineConflict as exc:
        raise KapalError("name: cannot remove image %r: %s" % (name, str(exc).split(": ", 1)[-1])) from None
    deleted = [item["Deleted"] for item in answer or [] if item.get("Deleted")]
    untagged = [item["Untagged"] for item in answer or [] if item.get("Untagged")]
    return deleted, untagged


def ensure_removed(engine, name, force=False, prune=True, check_mode=False):
    """Remove the image ``name`` if it is there; the module's result, with a before/after diff."""
    plan = plan_removal(engine, name, force)
    if plan is None:
        absent = dict(id=None, repo_tags=[])
        return dict(changed=False, deleted=[], untagged=[], diff=dict(before=absent, after=dict(absent)))
    inspect = plan["inspect"]
    before = dict(id=inspect["Id"], repo_tags=sorted(inspect.get("RepoTags") or []))
    if check_mode:
        deleted, untagged = plan["deleted"], plan["untagged"]
    else:
        deleted, untagged = remove_image(engine, name, force=force, prune=prune)
    gone = inspect["Id"] in deleted
    after = dict(
        id=None if gone else inspect["Id"],
        repo_tags=[] if gone else sorted(t for t in before["repo_tags"] if t not in untagged),
    )
    return dict(changed=bool(deleted or untagged), deleted=deleted, untagged=untagged, diff=dict(before=before, after=after))


# --- importing --------------------------------------------------------------------------------

def check_changes(changes):
    """Validate ``changes`` (Dockerfile instructions for an import); returns them, stripped."""
    result = []
    for change in changes or []:
        text = one_line(change) if isinstance(change, str) else ""
        instruction = text.split(" ", 1)[0].upper()
        if instruction not in IMPORT_INSTRUCTIONS or " " not in text:
            raise KapalError(
                "changes: unsupported instruction %r (expected one of %s, each with its arguments)"
                % (change, ", ".join(IMPORT_INSTRUCTIONS))
            )
        result.append(text)
    return result


def _normalized(info):
    """A tar header that depends only on the file: numeric owners, no names, a fixed mtime."""
    info.uname = info.gname = ""
    info.mtime = 0
    return info


def directory_tar(root):
    """A deterministic tar stream of ``root``'s tree, yielded in pieces (files are never whole in memory).

    Members are sorted by path; owners are numeric, modification times are zero; hard links
    become link members; sockets are left out (tar cannot hold them).
    """
    helper = tarfile.TarFile(fileobj=_NullSink(), mode="w", format=tarfile.PAX_FORMAT)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for entry in sorted(dirnames + filenames):
            path = os.path.join(dirpath, entry)
            arcname = os.path.relpath(path, root)
            if stat.S_ISSOCK(os.lstat(path).st_mode):
                continue
            info = _normalized(helper.gettarinfo(path, arcname))
            yield info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
            if info.isreg():
                yield from _file_blocks(path, info.size)
    yield b"\0" * (tarfile.BLOCKSIZE * 2)


def _file_blocks(path, size):
    sent = 0
    with open(path, "rb") as handle:
        while sent < size:
            chunk = handle.read(min(_CHUNK, size - sent))
            if not chunk:
                raise KapalError("path: file %s shrank while it was being read" % path)
            sent += len(chunk)
            yield chunk
    remainder = size % tarfile.BLOCKSIZE
    if remainder:
        yield b"\0" * (tarfile.BLOCKSIZE - remainder)


class _NullSink:
    """A write-only file for the TarFile used only for gettarinfo (hard link bookkeeping)."""

    def write(self, data):
        return len(data)

    def tell(self):
        return 0


def _file_chunks(path):
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            if not chunk:
                return
            yield chunk


def import_source(path):
    """The chunks to send for ``path``: a tarball's bytes, or a directory's deterministic tar."""
    if os.path.isdir(path):
        return directory_tar(path)
    return _file_chunks(path)


def check_import_path(path):
    if not os.path.exists(path):
        raise KapalError("path: no such file or directory: %s" % path)
    if os.path.isdir(path):
        if not os.access(path, os.R_OK | os.X_OK):
            raise KapalError("path: cannot read directory: %s" % path)
    elif not os.path.isfile(path) or not os.access(path, os.R_OK):
        raise KapalError("path: not a readable tarball or directory: %s" % path)


def import_hash(path, changes):
    """sha256 over what an import would send and the changes applied to it."""
    digest = hashlib.sha256()
    try:
        for chunk in import_source(path):
            digest.update(chunk)
    except OSError as exc:
        raise KapalError("path: cannot read %s: %s" % (getattr(exc, "filename", None) or path, one_line(exc.strerror or exc))) from None
    digest.update(json.dumps(list(changes)).encode("utf-8"))
    return "sha256:" + digest.hexdigest()


def import_image(engine, path, ref, changes):
    """Import ``path`` as ``ref`` with ``changes``; returns the new image's inspect answer."""
    action = "import image %s from %s" % (ref, path)
    with engine.call(action):
        answer = engine.api.import_image(
            src=import_source(path), repository=ref.name, tag=ref.effective_tag, changes=changes, stream_src=True
        )
    for line in (answer or "").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if "error" in event:
            raise KapalError("%s: %s" % (action, one_line(event["error"])))
    inspect = inspect_image(engine, ref.pull_reference)
    if inspect is None:
        raise KapalError("%s: the engine reported success but the image is not there" % action)
    return inspect


def import_ref(name):
    """The reference an import creates from the ``name`` option: a tag, never a digest."""
    ref = ImageRef.parse(name, "name")
    if ref.digest is not None:
        raise KapalError("name: an import cannot produce a digest reference, got %r" % name)
    return ref.with_tag(ref.effective_tag)


def ensure_imported(engine, path, ref, changes, check_mode=False):
    """Import ``path`` as ``ref`` unless ``ref`` already carries the same content hash."""
    check_import_path(path)
    changes = check_changes(changes)
    wanted = import_hash(path, changes)
    current = inspect_image(engine, str(ref))
    current_hash = (((current or {}).get("Config") or {}).get("Labels") or {}).get(IMPORT_HASH_LABEL)
    before = dict(id=current["Id"] if current else None, import_hash=current_hash)
    if current_hash == wanted:
        return dict(changed=False, image=image_facts(current), import_hash=wanted, diff=dict(before=before, after=dict(before)))
    image = current
    if not check_mode:
        image = import_image(engine, path, ref, changes + ["LABEL %s=%s" % (IMPORT_HASH_LABEL, wanted)])
    after = dict(id=None if check_mode else image["Id"], import_hash=wanted)
    return dict(changed=True, image=image_facts(image), import_hash=wanted, diff=dict(before=before, after=after))
