# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image archives (``docker save`` / ``docker load``): what an archive holds, exporting, loading.

An archive written by ``docker save`` (or Podman's docker-archive) names its images in
``manifest.json``: each entry's ``Config`` is the image config, whose digest is the image id, and
``RepoTags`` the tags it was saved under. That is all idempotency needs: an export is rewritten
only when the archive would hold other images or other tags, and a load changes something only
when an image it holds is missing or one of its tags points elsewhere.

Archives are streamed both ways (engine -> temporary file -> rename; file -> engine) and read
member by member; nothing holds a whole archive in memory.
"""

from __future__ import annotations

import json
import os
import posixpath
import stat
import tarfile
import tempfile

from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError, one_line
from ansible_collections.kapal.docker.plugins.module_utils._images import familiar_tag, image_facts
from ansible_collections.kapal.docker.plugins.module_utils._reference import ImageRef, looks_like_id

CHUNK_SIZE = 1024 * 1024
MANIFEST = "manifest.json"


# --- what an archive holds ----------------------------------------------------------------------

def config_image_id(config):
    """The image id from a manifest entry's ``Config``: ``<hex>.json`` or ``blobs/sha256/<hex>``."""
    base = posixpath.basename(config or "")
    if base.endswith(".json"):
        base = base[:-len(".json")]
    if len(base) != 64 or any(c not in "0123456789abcdef" for c in base):
        return None
    return "sha256:" + base


def parse_manifest(data, path):
    """[dict(id, repo_tags)] from the bytes of an archive's manifest.json, sorted by id."""
    try:
        entries = json.loads(data.decode("utf-8"))
    except ValueError as exc:
        raise KapalError("path: %s: manifest.json is not valid JSON: %s" % (path, one_line(exc))) from None
    if not isinstance(entries, list):
        raise KapalError("path: %s: manifest.json is not a list of images" % path)
    images = []
    for entry in entries:
        image_id = config_image_id(entry.get("Config") if isinstance(entry, dict) else None)
        if image_id is None:
            raise KapalError("path: %s: manifest.json names an image config it cannot read: %r" % (path, entry))
        # Podman writes the names it was given as docker.io/library/NAME:TAG: read as Docker lists them.
        images.append(dict(id=image_id, repo_tags=sorted(familiar_tag(tag) for tag in entry.get("RepoTags") or [])))
    return sorted(images, key=lambda image: image["id"])


def read_archive(path):
    """The images an archive holds, as [dict(id, repo_tags)], reading only its headers and manifest.

    None when ``path`` does not exist; KapalError when it is not a readable image archive.
    """
    if not os.path.lexists(path):
        return None
    if os.path.isdir(path):
        raise KapalError("path: %s is a directory, not an image archive" % path)
    try:
        with tarfile.open(path, "r:*") as archive:
            for member in archive:
                if member.name.lstrip("./") == MANIFEST and member.isreg():
                    return parse_manifest(archive.extractfile(member).read(), path)
    except OSError as exc:
        raise KapalError("path: cannot read %s: %s" % (path, one_line(exc.strerror or exc))) from None
    except (tarfile.TarError, EOFError) as exc:
        raise KapalError("path: %s is not a tar archive: %s" % (path, one_line(exc))) from None
    raise KapalError("path: %s holds no manifest.json (not an archive written by docker save)" % path)


def archive_key(images):
    """A comparable form of an archive's content: sorted (id, tags) pairs."""
    return sorted((image["id"], tuple(sorted(image["repo_tags"]))) for image in images or [])


# --- export (docker save) -----------------------------------------------------------------------

def resolve_names(engine, names, tag):
    """[(name as given, engine key, inspect answer, familiar tag or None)] for the names to export."""
    if not names:
        raise KapalError("names: give at least one image name or id")
    resolved = []
    for name in names:
        if looks_like_id(name):
            key, wanted_tag = name, None
        else:
            ref = ImageRef.parse(name, "names")
            if ref.digest is not None:
                raise KapalError("names: %r names a digest; give name:tag or an image id" % name)
            if ref.tag is None:
                ref = ref.with_tag(tag)
            key = "%s:%s" % (ref.name, ref.effective_tag)
            wanted_tag = familiar_tag(key)
        inspect = engine.inspect("image", key)
        if inspect is None:
            raise KapalError("names: no such image %r on Docker Engine at %s" % (name, engine.host))
        resolved.append((name, key, inspect, wanted_tag))
    return resolved


def wanted_archive(resolved):
    """What ``docker save`` of the resolved names writes: [dict(id, repo_tags)], one entry per image."""
    by_id = {}
    for _name, _key, inspect, wanted_tag in resolved:
        tags = by_id.setdefault(inspect["Id"], set())
        if wanted_tag:
            tags.add(wanted_tag)
    return [dict(id=image_id, repo_tags=sorted(tags)) for image_id, tags in sorted(by_id.items())]


def _new_file_mode(path):
    """The mode for the rewritten file: the existing file's, else 0666 less the umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def save_to(engine, keys, path):
    """Stream ``docker save keys`` into ``path`` through a temporary file in the same directory."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise KapalError("path: directory %s does not exist" % directory)
    mode = _new_file_mode(path)
    try:
        fd, temp_path = tempfile.mkstemp(dir=directory, prefix=".kapal-export-")
    except OSError as exc:
        raise KapalError("path: cannot write to %s: %s" % (directory, one_line(exc.strerror or exc))) from None
    action = "save image%s %s" % ("s" if len(keys) > 1 else "", ", ".join(keys))
    try:
        with os.fdopen(fd, "wb") as target:
            response = engine.request(action, "GET", "/images/get", params={"names": list(keys)}, stream=True)
            with engine.call(action):
                for chunk in response.iter_content(CHUNK_SIZE):
                    target.write(chunk)
        os.chmod(temp_path, mode)
        os.replace(temp_path, path)
    except OSError as exc:
        _unlink(temp_path)
        raise KapalError("path: cannot write %s: %s" % (path, one_line(exc.strerror or exc))) from None
    except BaseException:
        _unlink(temp_path)
        raise


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def export_task(engine, params, check_mode):
    """The kapal.docker.image_export task: write the archive unless it already holds these images."""
    path = params["path"]
    resolved = resolve_names(engine, params["names"], params["tag"])
    wanted = wanted_archive(resolved)
    try:
        current = read_archive(path)
        unreadable = None
    except KapalError as exc:
        if os.path.isdir(path):
            raise
        current, unreadable = None, str(exc)
    changed = bool(params["force"]) or current is None or archive_key(current) != archive_key(wanted)
    after = wanted
    if changed and not check_mode:
        save_to(engine, [key for _name, key, _inspect, _tag in resolved], path)
        after = read_archive(path)
    images = []
    seen = set()
    for _name, _key, inspect, _tag in resolved:
        if inspect["Id"] not in seen:
            seen.add(inspect["Id"])
            images.append(image_facts(inspect))
    result = dict(changed=changed, path=path, images=images,
                  diff=dict(before=dict(path=path, images=current), after=dict(path=path, images=after)))
    if unreadable:
        result["replaced_unreadable"] = unreadable
    return result


# --- load (docker load) -------------------------------------------------------------------------

def _local_state(engine, images):
    """For each image of an archive, what is local now: dict(id, present, tags={tag: local id or None})."""
    state = []
    for image in images:
        tags = {}
        for tag in image["repo_tags"]:
            current = engine.inspect("image", tag)
            tags[tag] = current["Id"] if current else None
        state.append(dict(id=image["id"], present=engine.inspect("image", image["id"]) is not None, tags=tags))
    return state


def load_from(engine, path):
    """Stream the archive at ``path`` to the engine; an error in the engine's answer fails."""
    action = "load images from %s" % path
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise KapalError("path: cannot read %s: %s" % (path, one_line(exc.strerror or exc))) from None
    with handle:
        with engine.call(action):
            for event in engine.api.load_image(handle):
                if "error" in event:
                    detail = (event.get("errorDetail") or {}).get("message") or event["error"]
                    raise KapalError("%s: %s" % (action, one_line(detail)))


def load_task(engine, params, check_mode):
    """The kapal.docker.image_load task: load the archive unless every image in it is already here."""
    path = params["path"]
    images = read_archive(path)
    if images is None:
        raise KapalError("path: no such file: %s" % path)
    if not images:
        raise KapalError("path: %s holds no images (its manifest.json is empty)" % path)
    before = _local_state(engine, images)
    pending = [item for item in before if not item["present"] or any(i != item["id"] for i in item["tags"].values())]
    changed = bool(pending)
    if changed and not check_mode:
        load_from(engine, path)
        after = _local_state(engine, images)
        missing = [item["id"] for item in after if not item["present"]]
        if missing:
            raise KapalError("path: loading %s reported success but image %s is not there" % (path, ", ".join(missing)))
    else:
        after = [dict(id=item["id"], present=True, tags=dict((tag, item["id"]) for tag in item["tags"]))
                 for item in before]
    names = []
    for image in images:
        names.extend(image["repo_tags"] or [image["id"]])
    facts = [image_facts(engine.inspect("image", image["id"])) for image in images]
    return dict(changed=changed, path=path, image_names=names, images=facts,
                loaded=[dict(id=item["id"], repo_tags=sorted(item["tags"])) for item in pending],
                diff=dict(before=dict(images=before), after=dict(images=after)))
