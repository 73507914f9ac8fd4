# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Images between the engine and registries: pull planning and pulls, and pushes.

The registry is asked (through _registry.RegistryClient) before any pull or push, so check mode
predicts from what the registry holds and never pulls or pushes. ``ensure_image`` is the one way
an image is made present (image_pull, the container modules, a build's FROM images); it returns
its PullPlan. ``pull_task`` and ``push_task`` are the tasks of the modules image_pull and image_push.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError, one_line
from ansible_collections.kapal.docker.plugins.module_utils._images import image_facts, tag_image
from ansible_collections.kapal.docker.plugins.module_utils._reference import ImageRef, looks_like_id, split_tag_option
from ansible_collections.kapal.docker.plugins.module_utils._registry import RegistryClient, parse_platform, registry_client

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
    (None when the registry was not asked: the local image is enough under the policy), ``pull``
    whether to ask the engine to pull, ``changed`` the predicted change (after ensure_image: whether
    the local image id changed). ``after`` is the local inspect answer once ensure_image is done:
    the pulled image, or in check mode and without a pull the one from before.
    """

    before: dict | None
    remote: object | None
    pull: bool
    changed: bool
    after: dict | None = None


def local_digests(inspect, ref):
    """The manifest digests the engine recorded for ``ref``'s repository (from RepoDigests)."""
    prefix = ref.name + "@"
    return [entry[len(prefix):] for entry in (inspect or {}).get("RepoDigests") or [] if entry.startswith(prefix)]


def engine_platform(engine, platform=None):
    """The platform an index is resolved for: the given one, else the engine's own os/architecture."""
    if platform:
        return parse_platform(platform)
    with engine.call("read engine version"):
        version = engine.api.version()
    return dict(os=version.get("Os") or "linux", architecture=version.get("Arch") or "amd64", variant=None)


def registry_for(ref, auth=None, client=None):
    """The RegistryClient to ask about ``ref``: the given one, else one made from the engine auth_config."""
    if client is not None:
        return client
    auth = auth or {}
    return RegistryClient(ref.registry, username=auth.get("username"), password=auth.get("password"))


def remote_manifest(engine, ref, client, platform=None):
    """The registry's Manifest for ``ref`` (by digest or tag); a missing one is an error naming the image."""
    manifest = client.manifest(ref.remote_path, ref.digest or ref.effective_tag, engine_platform(engine, platform))
    if manifest is None:
        raise KapalError("image %s not found in registry %s" % (ref.pull_reference, client.registry))
    return manifest


def plan_pull(engine, ref, policy="missing", auth=None, platform=None, registry=None):
    """Decide, without pulling, whether ``ref`` must be pulled and whether that would change the local image.

    ``missing`` pulls only when the image is absent; ``never`` fails when it is absent; ``always``
    asks the registry and pulls only when its manifest digest is not the one the local image came
    from and its image (config digest) is not the local image id. A pinned digest that is present
    never needs a pull. Whenever a pull is planned the registry is asked first, so an unknown
    image, wrong credentials or an unreachable registry fail the same way in check mode, and with
    the registry's own words rather than the engine's HTTP 500. (A remote engine that reaches
    registries the module's host cannot is not served by this yet.)
    """
    if policy not in PULL_POLICIES:
        raise KapalError("pull: expected one of %s, got %r" % (", ".join(PULL_POLICIES), policy))
    before = engine.inspect("image", ref.pull_reference)
    if before is not None and (policy != "always" or ref.digest):
        return PullPlan(before, None, pull=False, changed=False)
    if before is None and policy == "never":
        raise KapalError("image %s is not present on Docker Engine at %s and pull is never" % (ref.pull_reference, engine.host))
    client = registry_for(ref, auth, registry)
    try:
        remote = remote_manifest(engine, ref, client, platform)
    finally:
        if registry is None:
            client.close()
    if before is None:
        return PullPlan(before, remote, pull=True, changed=True)
    if remote.digest in local_digests(before, ref) or remote.config_digest == before["Id"]:
        return PullPlan(before, remote, pull=False, changed=False)
    return PullPlan(before, remote, pull=True, changed=True)


def ensure_image(engine, ref, policy="missing", check_mode=False, auth=None, platform=None, registry=None):
    """Make sure ``ref`` is present locally under ``policy``; returns the PullPlan with ``after`` set.

    See plan_pull for the policies. In check mode nothing is pulled: the change is predicted from
    the registry's manifest and ``after`` is the local image as it is (None when absent). After a
    real pull, ``changed`` is whether the local image id changed. ``registry`` is an optional
    RegistryClient for ref's registry (for its TLS settings); by default one is made from ``auth``.
    """
    plan = plan_pull(engine, ref, policy, auth=auth, platform=platform, registry=registry)
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
    client = registry_client(ref.registry, params)
    try:
        plan = ensure_image(engine, ref, params["pull"], check_mode, auth=auth, platform=platform, registry=client)
    finally:
        client.close()
    result = dict(changed=plan.changed, image=image_facts(plan.after))
    if plan.remote is not None:
        result["digest"] = plan.remote.digest
    predicted = _predicted_pull(engine, ref, plan.remote) if plan.pull and check_mode else _digest_state(plan.after)
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
    client = registry_client(target.registry, params)
    try:
        platform = dict(os=local.get("Os") or "linux", architecture=local.get("Architecture") or "amd64",
                        variant=local.get("Variant"))
        remote = client.manifest(target.remote_path, target.tag, platform)
        needs_push = remote is None or remote.config_digest != local["Id"]
        digest = None if needs_push else remote.digest
        if not check_mode:
            if needs_tag:
                tag_image(engine, local["Id"], target)
            if needs_push:
                digest = push(engine, target, auth) or client.manifest_digest(target.remote_path, target.tag)
    finally:
        client.close()
    after = local if check_mode else engine.inspect("image", local["Id"])
    return dict(
        changed=needs_tag or needs_push, image=image_facts(after), digest=digest, repository=target.pull_reference,
        diff=dict(
            before=dict(repository=target.pull_reference, image_id=remote.config_digest if remote else None,
                        digest=remote.digest if remote else None),
            after=dict(repository=target.pull_reference, image_id=local["Id"], digest=digest),
        ),
    )
