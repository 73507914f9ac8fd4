# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The images on the engine: their facts, finding and listing them, tagging, removing, importing.

The tasks of the modules image_info, image_tag, image_remove and image_import are here
(``<verb>_task(engine, params, check_mode)``, returning the result with its diff). What moves
images between the engine and a registry is in _image_transfer; a build is in _build.
"""

from __future__ import annotations

import hashlib
import json
import os

from ansible_collections.kapal.docker.plugins.module_utils._archive import directory_tar
from ansible_collections.kapal.docker.plugins.module_utils._errors import EngineConflict, KapalError, one_line
from ansible_collections.kapal.docker.plugins.module_utils._reference import ImageRef, looks_like_id, split_tag_option

# The filters of `docker images --filter` that image_info accepts, and what each value may be.
IMAGE_FILTERS = ("reference", "label", "dangling", "before", "since")
# What image_tag does with a reference that already names another image.
EXISTING_IMAGES = ("overwrite", "keep")
IMPORT_HASH_LABEL = "org.kapal.import.hash"
IMPORT_INSTRUCTIONS = ("CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "ONBUILD", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR")
_CHUNK = 1024 * 1024


def familiar_tag(tag):
    """A tag as Docker lists it: Docker Hub's names short. Podman lists the tags it is given through
    the API as ``docker.io/library/NAME:TAG`` (Docker: ``NAME:TAG``; issue #13)."""
    try:
        ref = ImageRef.parse(tag)
    except KapalError:
        return tag
    if ref.digest is not None or ref.tag is None:
        return tag
    return "%s:%s" % (ref.local_name, ref.tag)


def repo_tags(inspect):
    """The image's tags (an inspect answer's RepoTags) as Docker lists them, without '<none>:<none>'."""
    return [familiar_tag(tag) for tag in (inspect or {}).get("RepoTags") or [] if tag != "<none>:<none>"]


def image_facts(inspect):
    """The facts the image modules return (and a container's image facts), from an inspect answer."""
    if inspect is None:
        return None
    config = inspect.get("Config") or {}
    return dict(
        id=inspect.get("Id"),
        repo_tags=repo_tags(inspect),
        repo_digests=list(inspect.get("RepoDigests") or []),
        size=inspect.get("Size"),
        created=inspect.get("Created"),
        architecture=inspect.get("Architecture"),
        os=inspect.get("Os"),
        labels=dict(config.get("Labels") or {}),
        exposed_ports=sorted((config.get("ExposedPorts") or {}).keys()),
        config=dict(
            cmd=config.get("Cmd"),
            entrypoint=config.get("Entrypoint"),
            env=list(config.get("Env") or []),
            working_dir=config.get("WorkingDir") or None,
            user=config.get("User") or None,
            volumes=sorted((config.get("Volumes") or {}).keys()),
            healthcheck=config.get("Healthcheck"),
            stop_signal=config.get("StopSignal"),
        ),
    )


def inspect_image(engine, name):
    """The engine's inspect answer for an image name, reference or id; None when there is none."""
    return engine.inspect("image", name)


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
        inspect = engine.inspect("image", key)
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
        inspect = engine.inspect("image", summary["Id"])
        if inspect is not None:  # removed while we were listing
            result.append(inspect)
    return result


def info_task(engine, params, check_mode):
    """The kapal.docker.image_info task: the named images (and which are missing), or those the filters list."""
    names = params["name"]
    if names:
        found, missing = find_images(engine, names)
        return dict(changed=False, images=[image_facts(i) for i in found], exists=not missing, missing=missing)
    found = list_images(engine, params["filters"])
    return dict(changed=False, images=[image_facts(i) for i in found], exists=bool(found))


# --- tagging ----------------------------------------------------------------------------------

def has_tag(inspect, ref):
    """Whether the image ``inspect`` carries the tag ``ref`` (an ImageRef with a tag)."""
    local = "%s:%s" % (ref.local_name, ref.effective_tag)
    return inspect is not None and local in repo_tags(inspect)


def tag_image(engine, image_id, ref):
    """Point ``ref`` (an ImageRef with a tag) at ``image_id``; a tag that named another image moves."""
    with engine.call("tag image %s as %s" % (image_id, ref)):
        engine.api.tag(image_id, ref.name, ref.effective_tag, force=True)


def _tag_source(engine, name, tag):
    """The inspect answer of the image to tag: ``name`` (a reference, with ``tag`` when it has none, or an id)."""
    key = name if looks_like_id(name) else str(split_tag_option(name, tag))
    image = engine.inspect("image", key)
    if image is None:
        raise KapalError("name: no such image %r on Docker Engine at %s" % (key, engine.host))
    return image


def _tag_targets(repositories, tag):
    """The references of ``repository``, each with its own tag, else ``tag``, else latest; in order, once each."""
    if not repositories:
        raise KapalError("repository: expected at least one reference to point at the image, got %r" % (repositories,))
    targets = []
    for text in repositories:
        if looks_like_id(text):
            raise KapalError("repository: %r is an image id; a name is needed" % text)
        target = ImageRef.parse(text, "repository")
        if target.digest is not None:
            raise KapalError("repository: %r names a digest; a tag is needed" % text)
        if target.tag is None:
            target = split_tag_option(text, tag or "latest", "repository")
        if target not in targets:
            targets.append(target)
    return targets


def tag_task(engine, params, check_mode):
    """The kapal.docker.image_tag task: point every reference of ``repository`` at the image ``name``.

    A reference that names the image already is left as it is; one that names another image is
    moved (``existing_images: overwrite``) or kept (``keep``). The diff maps each reference to the
    image id it names, before and after.
    """
    keep = params["existing_images"] == "keep"
    image = _tag_source(engine, params["name"], params.get("tag"))
    before, after, tagged = {}, {}, []
    for target in _tag_targets(params["repository"], params.get("tag")):
        current = engine.inspect("image", str(target))
        before[str(target)] = after[str(target)] = current["Id"] if current else None
        if current is not None and (current["Id"] == image["Id"] or keep):
            continue
        after[str(target)] = image["Id"]
        tagged.append(str(target))
        if not check_mode:
            tag_image(engine, image["Id"], target)
    if tagged and not check_mode:
        image = engine.inspect("image", image["Id"])
    return dict(changed=bool(tagged), tagged_images=tagged, image=image_facts(image),
                diff=dict(before=before, after=after))


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
    inspect = engine.inspect("image", image_key(name))
    if inspect is None:
        return None
    image_id = inspect["Id"]
    tags = repo_tags(inspect)
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
    untagged = [familiar_tag(item["Untagged"]) for item in answer or [] if item.get("Untagged")]
    return deleted, untagged


def remove_task(engine, params, check_mode):
    """The kapal.docker.image_remove task: remove the image ``name`` if it is there, with a before/after diff."""
    name = params["name"]
    plan = plan_removal(engine, name, params["force"])
    if plan is None:
        absent = dict(id=None, repo_tags=[])
        return dict(changed=False, deleted=[], untagged=[], diff=dict(before=absent, after=dict(absent)))
    inspect = plan["inspect"]
    before = dict(id=inspect["Id"], repo_tags=sorted(repo_tags(inspect)))
    if check_mode:
        deleted, untagged = plan["deleted"], plan["untagged"]
    else:
        deleted, untagged = remove_image(engine, name, force=params["force"], prune=params["prune"])
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
        # The tag goes in ``repo`` (the API allows it there): Podman 4.3 ignores a ``tag`` of an import
        # and names the image NAME:latest.
        answer = engine.api.import_image(
            src=import_source(path), repository="%s:%s" % (ref.name, ref.effective_tag), changes=changes, stream_src=True
        )
    for line in (answer or "").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if "error" in event:
            raise KapalError("%s: %s" % (action, one_line(event["error"])))
    inspect = engine.inspect("image", ref.pull_reference)
    if inspect is None:
        raise KapalError("%s: the engine reported success but the image is not there" % action)
    return inspect


def import_ref(name):
    """The reference an import creates from the ``name`` option: a tag, never a digest."""
    ref = ImageRef.parse(name, "name")
    if ref.digest is not None:
        raise KapalError("name: an import cannot produce a digest reference, got %r" % name)
    return ref.with_tag(ref.effective_tag)


def import_task(engine, params, check_mode):
    """The kapal.docker.image_import task: import ``path`` as ``name`` unless it already carries the same content hash."""
    ref = import_ref(params["name"])
    path = params["path"]
    check_import_path(path)
    changes = check_changes(params["changes"])
    wanted = import_hash(path, changes)
    current = engine.inspect("image", str(ref))
    current_hash = (((current or {}).get("Config") or {}).get("Labels") or {}).get(IMPORT_HASH_LABEL)
    before = dict(id=current["Id"] if current else None, import_hash=current_hash)
    if current_hash == wanted:
        return dict(changed=False, image=image_facts(current), import_hash=wanted, diff=dict(before=before, after=dict(before)))
    image = current
    if not check_mode:
        image = import_image(engine, path, ref, changes + ["LABEL %s=%s" % (IMPORT_HASH_LABEL, wanted)])
    after = dict(id=None if check_mode else image["Id"], import_hash=wanted)
    return dict(changed=True, image=image_facts(image), import_hash=wanted, diff=dict(before=before, after=after))
