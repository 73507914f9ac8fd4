# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Images between the engine and registries: pull planning and pulls, and pushes.

The registry is asked (through _registry.RegistryClient, spoken to as the engine speaks to it)
before any pull or push, so check mode predicts from what the registry holds and never pulls or
pushes. When the module's host cannot reach a registry, the engine is asked instead (its
distribution inspect: it contacts the registry itself, and pulls nothing); an engine that cannot
answer that leaves the pull to the engine, and check mode then predicts a change and says so. ``ensure_image`` is the one way
an image is made present (image_pull, the container modules, a build's FROM images); it returns
its PullPlan. ``pull_task`` and ``push_task`` are the tasks of the modules image_pull and image_push.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ansible_collections.kapal.docker.plugins.module_utils._errors import (
    EngineNotFound,
    EngineUnreachable,
    KapalError,
    RegistryUnreachable,
    one_line,
)
from ansible_collections.kapal.docker.plugins.module_utils._images import image_facts, tag_image
from ansible_collections.kapal.docker.plugins.module_utils._reference import ImageRef, looks_like_id, split_tag_option
from ansible_collections.kapal.docker.plugins.module_utils._registry import Manifest, parse_platform, registry_client

# When an image is pulled: only when it is absent, whenever the registry holds another one, or never.
PULL_POLICIES = ("missing", "always", "never")


def registry_auth(ref, username=None, password=None):
    """The auth_config the engine wants for a pull or push, or None without credentials."""
    if not username:
        return None
    return dict(username=username, password=password or "", serveraddress=ref.domain)


def _stream_error(event):
    """The error of a pull or push stream's event, in one line; None for an event that is no error."""
    if "error" not in event:
        return None
    return one_line((event.get("errorDetail") or {}).get("message") or event["error"])


def pull(engine, ref, auth=None, platform=None):
    """Pull ``ref`` (an ImageRef) and return the new inspect answer. Errors in the stream fail."""
    action = "pull image %s" % ref.pull_reference
    kwargs = dict(stream=True, decode=True, auth_config=auth)
    if platform:
        kwargs["platform"] = platform
    with engine.call(action):
        for event in engine.api.pull(ref.name, tag=ref.digest or ref.effective_tag, **kwargs):
            error = _stream_error(event)
            if error:
                raise KapalError("%s from %s: %s" % (action, ref.domain, error))
    inspect = engine.inspect("image", ref.pull_reference)
    if inspect is None:
        raise KapalError("%s: the engine reported success but the image is not there" % action)
    return inspect


@dataclass(frozen=True)
class PullPlan:
    """What a pull would do, and (from ensure_image) what it did.

    ``before`` is the local inspect answer (None when absent), ``remote`` the registry's Manifest
    (None when the registry was not asked: the local image is enough under the policy, or nobody
    could ask it), ``pull`` whether to ask the engine to pull, ``changed`` the predicted change
    (after ensure_image: whether the local image id changed). ``after`` is the local inspect answer
    once ensure_image is done: the pulled image, or in check mode and without a pull the one from
    before. ``unreachable`` is None when the module's host asked the registry itself (or needed
    not ask it); else one line saying why it could not, and who answered instead.
    """

    before: dict | None
    remote: object | None
    pull: bool
    changed: bool
    after: dict | None = None
    unreachable: str | None = None


def local_digests(inspect, ref):
    """The manifest digests the engine recorded for ``ref``'s repository (from RepoDigests)."""
    prefix = ref.name + "@"
    return [entry[len(prefix):] for entry in (inspect or {}).get("RepoDigests") or [] if entry.startswith(prefix)]


def engine_platform(engine, platform=None):
    """The platform an index is resolved for: the given one, else the engine's own os/architecture."""
    if platform:
        return parse_platform(platform)
    version = engine.version()
    return dict(os=version.get("Os") or "linux", architecture=version.get("Arch") or "amd64", variant=None)


def registry_for(engine, ref, auth=None, client=None):
    """The RegistryClient to ask about ``ref``: the given one, else one made from the engine auth_config,
    speaking to the registry as ``engine`` does."""
    if client is not None:
        return client
    auth = auth or {}
    return registry_client(ref.registry, dict(username=auth.get("username"), password=auth.get("password")), engine)


class ImageNotInRegistry(KapalError):
    """The registry holds no manifest for the reference."""


# What an engine without the distribution inspect endpoint (Podman) answers for it.
_NO_ENDPOINT = ("page not found", "404 page not found", "not found")


def engine_manifest(engine, ref, auth=None):
    """The registry's answer for ``ref`` as the engine sees it (GET /distribution/<ref>/json): the engine
    asks the registry itself and pulls nothing. A Manifest without config digest; None when the engine
    has no such endpoint. An unknown image fails; an engine that cannot ask the registry either raises
    RegistryUnreachable with the engine's words."""
    action = "ask registry %s for image %s" % (ref.registry, ref.pull_reference)
    try:
        with engine.call(action):
            answer = engine.api.inspect_distribution(ref.pull_reference, auth_config=auth)
    except EngineNotFound as exc:
        if str(exc)[len(action) + 2:].strip().lower() in _NO_ENDPOINT:
            return None
        raise ImageNotInRegistry("image %s not found in registry %s" % (ref.pull_reference, ref.registry)) from None
    except EngineUnreachable:
        raise
    except KapalError as exc:
        said = str(exc)
        prefix = "%s failed on Docker Engine at %s: " % (action, engine.host)
        said = said[len(prefix):] if said.startswith(prefix) else said
        raise RegistryUnreachable("nor could Docker Engine at %s: %s" % (engine.host, said)) from None
    descriptor = answer.get("Descriptor") or {}
    platforms = tuple("%s/%s" % (p.get("os"), p.get("architecture")) + ("/" + p["variant"] if p.get("variant") else "")
                      for p in answer.get("Platforms") or [])
    return Manifest(digest=descriptor.get("digest"), media_type=descriptor.get("mediaType"), platforms=platforms)


def ask_registry(engine, ref, client, auth=None, platform=None, missing_ok=False):
    """(Manifest or None, unreachable): the registry's answer for ``ref``, from the module's host, else from the engine.

    ``platform`` is a parse_platform dict (for an index; None: the engine's own). ``unreachable``
    is None when the module's host asked; else why it could not, and whether the engine answered
    instead or could not be asked either (then the Manifest is None: only a pull or a push will
    tell). A registry that neither reaches fails in one line naming it; so does an image the
    registry does not hold, unless ``missing_ok`` (then the Manifest is None).
    """
    try:
        remote = client.manifest(ref.remote_path, ref.digest or ref.effective_tag, platform or engine_platform(engine))
        unreachable = None
    except RegistryUnreachable as exc:
        module_side = "%s (from the module's host)" % exc
        try:
            remote = engine_manifest(engine, ref, auth)
        except RegistryUnreachable as engine_side:
            raise RegistryUnreachable("%s; %s" % (module_side, engine_side)) from None
        except ImageNotInRegistry:
            remote = None
        else:
            if remote is None:
                return None, "%s; Docker Engine at %s cannot be asked without pulling or pushing" % (module_side, engine.host)
        unreachable = "%s; Docker Engine at %s asked it instead" % (module_side, engine.host)
    if remote is None and not missing_ok:
        raise ImageNotInRegistry("image %s not found in registry %s" % (ref.pull_reference, ref.registry))
    return remote, unreachable


def plan_pull(engine, ref, policy="missing", auth=None, platform=None, registry=None, local=None):
    """Decide, without pulling, whether ``ref`` must be pulled and whether that would change the local image.

    ``missing`` pulls only when the image is absent; ``never`` fails when it is absent; ``always``
    asks the registry and pulls only when its manifest digest is not the one the local image came
    from and its image (config digest) is not the local image id. A pinned digest that is present
    never needs a pull. Whenever a pull is planned the registry is asked first, so an unknown
    image, wrong credentials or an unreachable registry fail the same way in check mode, and with
    the registry's own words rather than the engine's HTTP 500. A registry the module's host cannot
    reach is asked through the engine (ask_registry); when even that cannot be done, a pull is
    planned and predicted to change the image. ``local`` is the local image's inspect answer when the
    caller read it already (a batch reads each of its images once); None: it is read here.
    """
    if policy not in PULL_POLICIES:
        raise KapalError("pull: expected one of %s, got %r" % (", ".join(PULL_POLICIES), policy))
    before = local if local is not None else engine.inspect("image", ref.pull_reference)
    if before is not None and (policy != "always" or ref.digest):
        return PullPlan(before, None, pull=False, changed=False)
    if before is None and policy == "never":
        raise KapalError("image %s is not present on Docker Engine at %s and pull is never" % (ref.pull_reference, engine.host))
    client = registry_for(engine, ref, auth, registry)
    try:
        remote, unreachable = ask_registry(engine, ref, client, auth, parse_platform(platform))
    finally:
        if registry is None:
            client.close()
    if before is None or remote is None:
        return PullPlan(before, remote, pull=True, changed=True, unreachable=unreachable)
    if remote.digest in local_digests(before, ref) or remote.config_digest == before["Id"]:
        return PullPlan(before, remote, pull=False, changed=False, unreachable=unreachable)
    return PullPlan(before, remote, pull=True, changed=True, unreachable=unreachable)


def ensure_image(engine, ref, policy="missing", check_mode=False, auth=None, platform=None, registry=None, local=None):
    """Make sure ``ref`` is present locally under ``policy``; returns the PullPlan with ``after`` set.

    See plan_pull for the policies. In check mode nothing is pulled: the change is predicted from
    the registry's manifest and ``after`` is the local image as it is (None when absent). After a
    real pull, ``changed`` is whether the local image id changed. ``registry`` is an optional
    RegistryClient for ref's registry (for its TLS settings); by default one is made from ``auth``.
    ``local``: see plan_pull.
    """
    plan = plan_pull(engine, ref, policy, auth=auth, platform=platform, registry=registry, local=local)
    if not plan.pull or check_mode:
        return replace(plan, after=plan.before)
    after = pull(engine, ref, auth=auth, platform=platform)
    return replace(plan, after=after, changed=plan.before is None or plan.before["Id"] != after["Id"])


def _digest_state(inspect):
    """The part of an image the pull diff shows."""
    if inspect is None:
        return dict(id=None, repo_digests=[])
    return dict(id=inspect.get("Id"), repo_digests=sorted(inspect.get("RepoDigests") or []))


def _predicted_pull(engine, ref, remote):
    """The pull diff's after state, without pulling: the registry's image gains ref's repo digest.

    That image may be on the engine already (under another name, or untagged): it keeps the repo
    digests it has. The image the name pointed to before keeps its own.
    """
    present = engine.inspect("image", remote.config_digest) if remote.config_digest else None
    digests = set(_digest_state(present)["repo_digests"]) | {"%s@%s" % (ref.name, remote.digest)}
    return dict(id=remote.config_digest, repo_digests=sorted(digests))


def pull_task(engine, params, check_mode):
    """The kapal.docker.image_pull task: plan with the registry, pull when needed, report the image."""
    ref = split_tag_option(params["name"], params.get("tag"))
    platform = params.get("platform")
    parse_platform(platform)
    auth = registry_auth(ref, params.get("username"), params.get("password"))
    client = registry_client(ref.registry, params, engine)
    try:
        plan = ensure_image(engine, ref, params["pull"], check_mode, auth=auth, platform=platform, registry=client)
    finally:
        client.close()
    result = dict(changed=plan.changed, image=image_facts(plan.after))
    if plan.remote is not None:
        result["digest"] = plan.remote.digest
    if plan.unreachable:
        result["registry_unreachable"] = plan.unreachable
    if plan.pull and check_mode:
        predicted = _predicted_pull(engine, ref, plan.remote) if plan.remote else dict(
            id=None, repo_digests=[], unknown="the registry could not be asked: the image is known once the engine pulls it")
    else:
        predicted = _digest_state(plan.after)
    result["diff"] = dict(before=_digest_state(plan.before), after=predicted)
    return result


def _push_refs(params):
    """(source, target): the local image to push (a reference string or an id) and the ImageRef to push it as."""
    name, repository, tag = params["name"], params.get("repository"), params.get("tag")
    if repository is None:
        if looks_like_id(name):
            raise KapalError("repository: needed to push image id %r (name it, for example registry.example.com/team/app:1.0)" % name)
        target = split_tag_option(name, tag)
        if target.digest:
            raise KapalError("name: %r names a digest; a push needs a tag (give repository)" % name)
        target = target.with_tag(target.effective_tag)
        return target.pull_reference, target
    source = name
    if not looks_like_id(name):
        source = ImageRef.parse(name, "name").pull_reference
    target = ImageRef.parse(repository, "repository")
    if target.digest:
        raise KapalError("repository: %r names a digest; a push needs a tag" % repository)
    if target.tag is None:
        source_tag = None if looks_like_id(name) else ImageRef.parse(name, "name").tag
        target = split_tag_option(repository, tag or source_tag, "repository")
    elif tag is not None:
        target = split_tag_option(repository, tag, "repository")
    return source, target.with_tag(target.effective_tag)


def push(engine, ref, auth=None):
    """Push ``ref`` (name:tag); returns the manifest digest the engine reported, or None."""
    action = "push image %s" % ref.pull_reference
    digest = None
    with engine.call(action):
        for event in engine.api.push(ref.name, tag=ref.tag, stream=True, decode=True, auth_config=auth):
            error = _stream_error(event)
            if error:
                raise KapalError("%s to %s: %s" % (action, ref.domain, error))
            digest = (event.get("aux") or {}).get("Digest") or digest
    return digest


def push_task(engine, params, check_mode):
    """The kapal.docker.image_push task: tag into the repository, push unless the registry already holds the image."""
    source, target = _push_refs(params)
    local = engine.inspect("image", source)
    if local is None:
        raise KapalError("name: no such image %r on Docker Engine at %s" % (params["name"], engine.host))
    tagged = engine.inspect("image", target.pull_reference)
    needs_tag = tagged is None or tagged["Id"] != local["Id"]
    auth = registry_auth(target, params.get("username"), params.get("password"))
    client = registry_client(target.registry, params, engine)
    try:
        platform = dict(os=local.get("Os") or "linux", architecture=local.get("Architecture") or "amd64",
                        variant=local.get("Variant"))
        remote, unreachable = ask_registry(engine, target, client, auth, platform, missing_ok=True)
        needs_push = remote is None or (remote.config_digest != local["Id"]
                                        and remote.digest not in local_digests(local, target))
        digest = None if needs_push else remote.digest
        if not check_mode:
            if needs_tag:
                tag_image(engine, local["Id"], target)
            if needs_push:
                digest = push(engine, target, auth) or (
                    None if unreachable else client.manifest_digest(target.remote_path, target.tag))
    finally:
        client.close()
    after = local if check_mode else engine.inspect("image", local["Id"])
    result = dict(
        changed=needs_tag or needs_push, image=image_facts(after), digest=digest, repository=target.pull_reference,
        diff=dict(
            before=dict(repository=target.pull_reference, image_id=remote.config_digest if remote else None,
                        digest=remote.digest if remote else None),
            after=dict(repository=target.pull_reference, image_id=local["Id"], digest=digest),
        ),
    )
    if unreachable:
        result["registry_unreachable"] = unreachable
    return result
