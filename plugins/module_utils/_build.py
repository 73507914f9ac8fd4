# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Content-addressed image builds: the build's inputs, their hash, and the build itself.

A build is described by a ``BuildSpec``. ``build_inputs`` reads what the build would send (the
Dockerfile, the context files that survive .dockerignore, the local ids of the FROM images) and
``build_hash`` turns them, with the build args, target, labels and platform, into a sha256 that is
stamped on the image as the label ``org.kapal.build.hash``. ``build_task`` (the task of the module
image_build) decides under the ``rebuild`` policy, builds untagged, and tags only a build that
succeeded. A FROM image that is absent is pulled first, by _image_transfer.ensure_image.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field

from ansible_collections.kapal.docker.plugins.module_utils._errors import EngineUnreachable, KapalError, missing_file, one_line
from ansible_collections.kapal.docker.plugins.module_utils._image_transfer import ensure_image
from ansible_collections.kapal.docker.plugins.module_utils._images import has_tag, image_facts, tag_image
from ansible_collections.kapal.docker.plugins.module_utils._parse import string_map
from ansible_collections.kapal.docker.plugins.module_utils._reference import ImageRef, split_tag_option

try:
    from docker.utils.build import create_archive, exclude_paths
except ImportError:  # reported by engine_module through missing_required_lib
    create_archive = exclude_paths = None

BUILD_HASH_LABEL = "org.kapal.build.hash"
REBUILD_POLICIES = ("auto", "always", "never")
LOG_LINES = 5
# The name under which a Dockerfile from outside the context (or given inline) travels in it.
SENT_DOCKERFILE = ".kapal.Dockerfile"
_STEP = re.compile(r"^Step \d+/\d+ : (.*)$")
_BUILT = re.compile(r"^Successfully built ([0-9a-f]{12,64})$")
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_CHUNK = 1024 * 1024
# Build log lines that say nothing about why a build failed.
_NOISE = ("---> ", "Removing intermediate container ")


@dataclass(frozen=True)
class BuildSpec:
    """What the user asked for, validated (see ``spec_from_params``)."""

    path: str
    ref: ImageRef
    dockerfile: str | None = None
    dockerfile_content: str | None = None
    extra_refs: tuple = ()
    build_args: dict = field(default_factory=dict)
    target: str | None = None
    labels: dict = field(default_factory=dict)
    pull: bool = False
    nocache: bool = False
    platform: str | None = None
    network: str | None = None
    rebuild: str = "auto"


def spec_from_params(params):
    """A BuildSpec from module parameters; bad values raise KapalError naming the option."""
    ref = split_tag_option(params["name"], params.get("tag"), "name")
    if ref.digest is not None:
        raise KapalError("name: a build cannot produce a digest reference, got %r" % params["name"])
    if ref.tag is None:
        ref = ref.with_tag("latest")
    extra = []
    for item in params.get("extra_tags") or []:
        if ":" in item or "/" in item:
            extra_ref = ImageRef.parse(item, "extra_tags")
            if extra_ref.digest is not None or extra_ref.tag is None:
                raise KapalError("extra_tags: expected a tag or a repository:tag reference, got %r" % item)
        else:
            try:
                extra_ref = split_tag_option(str(ref.with_tag(None)), item, "extra_tags")
            except KapalError:
                raise KapalError("extra_tags: invalid tag %r" % item) from None
        if extra_ref != ref and extra_ref not in extra:
            extra.append(extra_ref)
    rebuild = params.get("rebuild") or "auto"
    if rebuild not in REBUILD_POLICIES:
        raise KapalError("rebuild: expected one of %s, got %r" % (", ".join(REBUILD_POLICIES), rebuild))
    return BuildSpec(
        path=params["path"],
        ref=ref,
        dockerfile=params.get("dockerfile"),
        dockerfile_content=params.get("dockerfile_content"),
        extra_refs=tuple(extra),
        build_args=string_map("build_args", params.get("build_args")) or {},
        target=params.get("target") or None,
        labels=string_map("labels", params.get("labels")) or {},
        pull=bool(params.get("pull")),
        nocache=bool(params.get("nocache")),
        platform=params.get("platform") or None,
        network=params.get("network") or None,
        rebuild=rebuild,
    )


# --- the inputs -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Dockerfile:
    """The Dockerfile's text, and its name inside the context; ``sent`` when it travels as an extra file."""

    name: str
    text: str
    sent: bool


def read_dockerfile(spec):
    """The Dockerfile the build will use: inline, a file in the context, or a file outside it."""
    if spec.dockerfile_content is not None:
        return Dockerfile(SENT_DOCKERFILE, spec.dockerfile_content, True)
    given = spec.dockerfile or "Dockerfile"
    full = os.path.normpath(given if os.path.isabs(given) else os.path.join(spec.path, given))
    if not os.path.isfile(full) or not os.access(full, os.R_OK):
        raise missing_file("dockerfile", full)
    with open(full, "rb") as handle:
        text = handle.read().decode("utf-8", "replace")
    context = os.path.realpath(spec.path)
    inside = os.path.realpath(full)
    if inside.startswith(context + os.sep):
        return Dockerfile(os.path.relpath(inside, context).replace(os.sep, "/"), text, False)
    return Dockerfile(SENT_DOCKERFILE, text, True)


def ignore_patterns(path):
    """The .dockerignore patterns of the context, read the way the Docker SDK reads them."""
    ignore = os.path.join(path, ".dockerignore")
    if not os.path.exists(ignore):
        return []
    with open(ignore) as handle:
        return [line.strip() for line in handle.read().splitlines() if line.strip() and not line.strip().startswith("#")]


def context_files(path, dockerfile):
    """The context paths (files and directories, relative, sorted) that the build sends."""
    return sorted(exclude_paths(path, list(ignore_patterns(path)), dockerfile=dockerfile.name))


def _substitute(text, variables):
    return _VARIABLE.sub(lambda m: variables.get(m.group(1) or m.group(2), ""), text)


def _instructions(text):
    """(INSTRUCTION, arguments) pairs of a Dockerfile: comments dropped, continuations joined."""
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        yield _split_instruction(line)
    if pending.strip():
        yield _split_instruction(pending.strip())


def _split_instruction(line):
    parts = line.split(None, 1)
    return parts[0].upper(), (parts[1].strip() if len(parts) > 1 else "")


def base_images(text, build_args=None):
    """The images the Dockerfile's FROM lines name, in order, without stages and ``scratch``."""
    variables, stages, bases = {}, set(), []
    seen_from = False
    for instruction, rest in _instructions(text):
        if instruction == "ARG" and not seen_from:
            name, default = (rest.split("=", 1) + [""])[:2]
            name = name.strip()
            variables[name] = (build_args or {}).get(name, default.strip().strip("\"'"))
        elif instruction == "FROM":
            seen_from = True
            words = [w for w in rest.split() if not w.startswith("--")]
            if not words:
                continue
            image = _substitute(words[0], variables)
            if len(words) >= 3 and words[1].lower() == "as":
                stages.add(words[2].lower())
            if image.lower() in stages or image == "scratch" or image in bases:
                continue
            bases.append(image)
    return bases


def _file_digest(full):
    digest = hashlib.sha256()
    with open(full, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def build_hash(spec, dockerfile, files, base_ids):
    """sha256 over everything that decides the image: Dockerfile, context, args, target, labels, bases."""
    digest = hashlib.sha256()
    header = dict(
        dockerfile=dockerfile.text,
        build_args=sorted(spec.build_args.items()),
        target=spec.target,
        labels=sorted(spec.labels.items()),
        platform=spec.platform,
        bases=sorted(base_ids.items()),
    )
    digest.update(json.dumps(header, sort_keys=True).encode("utf-8"))
    for relative in files:
        full = os.path.join(spec.path, relative)
        try:
            info = os.lstat(full)
            if stat.S_ISREG(info.st_mode):
                content = _file_digest(full)
            elif stat.S_ISLNK(info.st_mode):
                content = "link:" + os.readlink(full)
            else:
                content = ""
        except OSError as exc:
            raise KapalError("path: cannot read %s in the build context: %s" % (full, one_line(exc.strerror or exc))) from None
        digest.update(json.dumps([relative, stat.S_IMODE(info.st_mode), stat.S_IFMT(info.st_mode), content]).encode("utf-8"))
        digest.update(b"\n")
    return "sha256:" + digest.hexdigest()


def check_context(path):
    if not os.path.exists(path):
        raise KapalError("path: no such directory: %s" % path)
    if not os.path.isdir(path):
        raise KapalError("path: not a directory: %s" % path)
    if not os.access(path, os.R_OK | os.X_OK):
        raise KapalError("path: cannot read directory: %s" % path)


# --- the build --------------------------------------------------------------------------------

def _archive(spec, dockerfile, files):
    extra = []
    if dockerfile.sent:
        # As the SDK does: the Dockerfile travels under a hidden name that .dockerignore hides from COPY.
        extra = [(".dockerignore", "\n".join(ignore_patterns(spec.path) + [dockerfile.name])), (dockerfile.name, dockerfile.text)]
    try:
        return create_archive(root=spec.path, files=files, extra_files=extra)
    except OSError as exc:
        raise KapalError("path: %s" % one_line(exc)) from None


def _failure(step, error, log):
    where = "step %r failed" % step if step else "build failed"
    message = "image_build: %s: %s" % (where, one_line(error))
    tail = [line for line in log if line and not line.startswith(_NOISE)][-LOG_LINES:]
    return KapalError(" | ".join([message] + tail))


def run_build(engine, spec, dockerfile, files, labels):
    """Build without a tag and return the new image id; a failed step raises, naming it."""
    kwargs = dict(
        custom_context=True, dockerfile=dockerfile.name, rm=True, forcerm=True, decode=True, nocache=spec.nocache,
        pull=False, buildargs=dict(spec.build_args), labels=labels, target=spec.target, platform=spec.platform,
        network_mode=spec.network, use_config_proxy=False,
        timeout=None,  # a build step may stay silent for longer than the engine timeout
    )
    step, log, image_id, pending = None, [], None, ""
    archive = _archive(spec, dockerfile, files)
    try:
        with engine.call("image_build: build %s from %s" % (spec.ref, spec.path)):
            for event in engine.api.build(fileobj=archive, **kwargs):
                if "error" in event:
                    detail = (event.get("errorDetail") or {}).get("message") or event["error"]
                    if pending.strip():
                        log.append(one_line(pending))
                    raise _failure(step, detail, log)
                image_id = ((event.get("aux") or {}).get("ID")) or image_id
                lines = (pending + (event.get("stream") or "")).split("\n")
                pending = lines.pop()
                for line in lines:
                    text = one_line(line)
                    match = _STEP.match(text)
                    if match:
                        step = match.group(1)
                    built = _BUILT.match(text)
                    if built and image_id is None:
                        image_id = built.group(1)
                    if text:
                        log.append(text)
    finally:
        archive.close()
    if image_id is None:
        raise _failure(step, "the engine reported no image id", log)
    return image_id


# --- deciding ---------------------------------------------------------------------------------

def build_inputs(engine, spec, check_mode=False):
    """(dockerfile, files, base ids, pulled) for ``spec``; with ``pull`` refreshes the bases first."""
    check_context(spec.path)
    dockerfile = read_dockerfile(spec)
    bases = base_images(dockerfile.text, spec.build_args)
    pulled = False
    base_ids = {}
    for base in bases:
        try:
            base_ref = ImageRef.parse(base, "dockerfile")
        except KapalError:
            base_ids[base] = None  # the engine will say what is wrong with it, naming the step
            continue
        # An absent base is pulled before hashing (the build would pull it anyway), so that the
        # hash names the base the build really uses and a second run finds the same hash.
        policy = "always" if spec.pull else "missing"
        try:
            present = ensure_image(engine, base_ref, policy=policy, check_mode=check_mode, platform=spec.platform)
        except EngineUnreachable:
            raise
        except KapalError as ex:
            why = "cannot pull it (pull: true)" if spec.pull else "not on Docker Engine at %s and cannot be pulled" % engine.host
            raise KapalError("dockerfile: FROM image %s: %s: %s" % (base, why, ex)) from None
        pulled = pulled or present.changed
        base_ids[base] = present.after["Id"] if present.after else None
    files = context_files(spec.path, dockerfile)
    return dockerfile, files, base_ids, pulled


def needs_build(policy, current, wanted_hash):
    """Whether ``policy`` builds, given the current image's inspect answer (or None)."""
    if policy == "always" or current is None:
        return True
    if policy == "never":
        return False
    return _labels(current).get(BUILD_HASH_LABEL) != wanted_hash


def _labels(inspect):
    return ((inspect or {}).get("Config") or {}).get("Labels") or {}


def build_task(engine, params, check_mode):
    """The kapal.docker.image_build task: build when the ``rebuild`` policy says so, tag, and report the image."""
    spec = spec_from_params(params)
    dockerfile, files, base_ids, pulled = build_inputs(engine, spec, check_mode)
    wanted = build_hash(spec, dockerfile, files, base_ids)
    current = engine.inspect("image", str(spec.ref))
    current_hash = _labels(current).get(BUILD_HASH_LABEL)
    before = dict(id=current["Id"] if current else None, build_hash=current_hash)
    build = needs_build(spec.rebuild, current, wanted)

    image = current
    if build and not check_mode:
        labels = dict(spec.labels)
        labels[BUILD_HASH_LABEL] = wanted
        image_id = run_build(engine, spec, dockerfile, files, labels)
        tag_image(engine, image_id, spec.ref)
        image = engine.inspect("image", image_id)
    missing = [ref for ref in spec.extra_refs if not has_tag(image, ref)]
    if image is not None and not check_mode:
        for ref in missing:
            tag_image(engine, image["Id"], ref)
        image = engine.inspect("image", image["Id"])

    if build and check_mode:
        changed = True
        after = dict(id=None, build_hash=wanted)
    elif build:
        changed = current is None or image["Id"] != current["Id"] or bool(missing)
        after = dict(id=image["Id"], build_hash=wanted)
    else:
        changed = bool(missing)
        after = dict(before)
    return dict(
        changed=changed or pulled,
        built=build,
        build_hash=wanted,
        image=image_facts(image),
        diff=dict(before=before, after=after),
    )
