# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Images on the engine and in registries: facts, pull planning and pulls, search, and push.

The registry is asked (through _registry.RegistryClient) before any pull or push, so check mode
predicts from what the registry holds and never pulls or pushes. The ``*_task`` functions are the
whole logic of the modules image_pull, image_search and image_push.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from ansible_collections.kapal.docker.plugins.module_utils._errors import EngineNotFound, KapalError, one_line
from ansible_collections.kapal.docker.plugins.module_utils._reference import ImageRef, looks_like_id, split_tag_option
from ansible_collections.kapal.docker.plugins.module_utils._registry import RegistryClient, parse_platform, registry_client

PULL_POLICIES = ("missing", "always", "never")


def image_facts(inspect):
    """The facts the image modules return (and a container's image facts), from an inspect answer."""
    if inspect is None:
        return None
    config = inspect.get("Config") or {}
    return dict(
        id=inspect.get("Id"),
        repo_tags=list(inspect.get("RepoTags") or []),
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
    try:
        with engine.call("inspect image %s" % name):
            return engine.api.inspect_image(str(name))
    except EngineNotFound:
        return None


def registry_auth(ref, username=None, password=None):
    """The auth_config the engine wants for a pull or push, or None without credentials."""
    if not username:
        return None
    return dict(username=username, password=password or "", serveraddress=ref.domain)


def pull(engine, ref, auth=None, platform=None):
    """Pull ``ref`` (an ImageRef) and return the new inspect answer. Errors in the stream fail."""
    action = "pull image %s" % ref.pull_reference
    kwargs = dict(stream=True, decode=True, auth_config=auth)
    if platform:
        kwargs["platform"] = platform
    with engine.call(action):
        if ref.digest:
            stream = engine.api.pull(ref.name, tag=ref.digest, **kwargs)
        else:
            stream = engine.api.pull(ref.name, tag=ref.effective_tag, **kwargs)
        for event in stream:
            if "error" in event:
                detail = (event.get("errorDetail") or {}).get("message") or event["error"]
                raise KapalError("%s from %s: %s" % (action, ref.domain, one_line(detail)))
    inspect = inspect_image(engine, ref.pull_reference)
    if inspect is None:
        raise KapalError("%s: the engine reported success but the image is not there" % action)
    return inspect


@dataclass(frozen=True)
class PullPlan:
    """What a pull would do: ``pull`` whether to ask the engine to pull, ``changed`` the predicted change.

    ``before`` is the local inspect answer (None when absent), ``remote`` the registry's Manifest
    (None when the registry was not asked: the local image is enough under the policy).
    """

    before: dict | None
    remote: object | None
    pull: bool
    changed: bool


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
    before = inspect_image(engine, ref.pull_reference)
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
    """Make sure ``ref`` is present locally under ``policy``; returns (changed, inspect or None).

    See plan_pull for the policies. In check mode nothing is pulled: the change is predicted from
    the registry's manifest and the inspect answer is the local one (None when absent). After a
    real pull, the change is whether the local image id changed. ``registry`` is an optional
    RegistryClient for ref's registry (for its TLS settings); by default one is made from ``auth``.
    """
    plan = plan_pull(engine, ref, policy, auth=auth, platform=platform, registry=registry)
    if not plan.pull or check_mode:
        return plan.changed, plan.before
    after = pull(engine, ref, auth=auth, platform=platform)
    return plan.before is None or plan.before["Id"] != after["Id"], after


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
    present = inspect_image(engine, remote.config_digest) if remote.config_digest else None
    digests = set(_digest_state(present)["repo_digests"]) | {"%s@%s" % (ref.name, remote.digest)}
    return dict(id=remote.config_digest, repo_digests=sorted(digests))


def pull_image_task(engine, params, check_mode=False, diff=False):
    """The kapal.docker.image_pull task: plan with the registry, pull when needed, report the image."""
    ref = split_tag_option(params["name"], params.get("tag"))
    platform = params.get("platform")
    parse_platform(platform)
    auth = registry_auth(ref, params.get("username"), params.get("password"))
    client = registry_client(ref.registry, params)
    try:
        plan = plan_pull(engine, ref, params["pull"], auth=auth, platform=platform, registry=client)
    finally:
        client.close()
    changed, after = plan.changed, plan.before
    if plan.pull and not check_mode:
        after = pull(engine, ref, auth=auth, platform=platform)
        changed = plan.before is None or plan.before["Id"] != after["Id"]
    result = dict(changed=changed, image=image_facts(after))
    if plan.remote is not None:
        result["digest"] = plan.remote.digest
    if diff:
        predicted = _digest_state(after)
        if plan.pull and check_mode:
            predicted = _predicted_pull(engine, ref, plan.remote)
        result["diff"] = dict(before=_digest_state(plan.before), after=predicted)
    return result


HUB_NAMES = ("docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com", "hub.docker.com")
_GLOB = re.compile(r"[*?\[]")
_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)(.*)$")


def matches(term, text):
    """A term with glob characters is a glob on the whole text; otherwise a case-insensitive substring."""
    if _GLOB.search(term):
        return fnmatch.fnmatchcase(text, term)
    return term.lower() in text.lower()


def sort_tags(tags):
    """Tags that read as versions first, newest first (a release before its suffixed builds), then the rest by name."""
    versions, others = [], []
    for tag in tags:
        match = _VERSION.match(tag)
        if match:
            numbers = tuple(int(part) for part in match.group(1).split("."))
            versions.append((numbers, not match.group(2), tag))
        else:
            others.append(tag)
    return [key[2] for key in sorted(versions, reverse=True)] + sorted(others)


def _search_registry_name(registry):
    if registry in HUB_NAMES:
        return None
    try:
        ImageRef.parse("%s/x" % registry, "registry")
        ok = "/" not in registry and ("." in registry or ":" in registry or registry == "localhost")
    except KapalError:
        ok = False
    if not ok:
        raise KapalError("registry: expected a registry host[:port] such as 127.0.0.1:5000, got %r" % registry)
    return registry


def _search_hub(engine, params):
    term = params["term"]
    with engine.call("search Docker Hub for %r" % term):
        found = engine.api.search(term, limit=params["limit"])
    results = []
    for entry in found:
        if params.get("is_official") is not None and bool(entry.get("is_official")) != params["is_official"]:
            continue
        if params.get("stars") is not None and (entry.get("star_count") or 0) < params["stars"]:
            continue
        results.append(dict(name=entry.get("name"), description=entry.get("description") or None,
                            stars=entry.get("star_count"), official=bool(entry.get("is_official"))))
    return results


def _search_catalog(client, params):
    for option in ("is_official", "stars"):
        if params.get(option) is not None:
            raise KapalError("%s: only Docker Hub search knows %s; registry %s is a v2 registry without them"
                             % (option, "stars" if option == "stars" else "official images", client.registry))
    return [dict(name="%s/%s" % (client.registry, repository), description=None, stars=None, official=None)
            for repository in client.catalog(page_size=params["page_size"]) if matches(params["term"], repository)]


def _add_tags(client, result, params, hub):
    path = result["name"] if hub else result["name"].split("/", 1)[1]
    if hub and "/" not in path:
        path = "library/" + path
    tags = sort_tags(client.tags(path, page_size=params["page_size"]))
    if params.get("tag_pattern"):
        tags = [tag for tag in tags if fnmatch.fnmatchcase(tag, params["tag_pattern"])]
    result["tags"] = tags
    if params.get("digests"):
        result["digests"] = dict((tag, client.manifest_digest(path, tag)) for tag in tags)
    return bool(tags) or not params.get("tag_pattern")


def search_task(engine, params):
    """The kapal.docker.image_search task: Docker Hub through the engine, other registries through their catalog."""
    for option in ("limit", "page_size"):
        if params[option] < 1:
            raise KapalError("%s: expected a positive number, got %r" % (option, params[option]))
    if not params["term"]:
        raise KapalError("term: expected a search term (use '*' to list every repository of a v2 registry), got ''")
    registry = _search_registry_name(params["registry"])
    client = registry_client(registry, params)
    try:
        found = _search_hub(engine, params) if registry is None else _search_catalog(client, params)
        results = []
        for result in found:
            result.update(tags=None, digests=None)
            if len(results) >= params["limit"]:
                break
            wants_tags = params.get("list_tags") or params.get("digests") or params.get("tag_pattern")
            if wants_tags and not _add_tags(client, result, params, registry is None):
                continue
            results.append(result)
    finally:
        client.close()
    return dict(changed=False, results=results)


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
            if "error" in event:
                detail = (event.get("errorDetail") or {}).get("message") or event["error"]
                raise KapalError("%s to %s: %s" % (action, ref.domain, one_line(detail)))
            digest = (event.get("aux") or {}).get("Digest") or digest
    return digest


def push_task(engine, params, check_mode=False, diff=False):
    """The kapal.docker.image_push task: tag into the repository, push unless the registry already holds the image."""
    source, target = _push_refs(params)
    local = inspect_image(engine, source)
    if local is None:
        raise KapalError("name: no such image %r on Docker Engine at %s" % (params["name"], engine.host))
    tagged = inspect_image(engine, target.pull_reference)
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
                with engine.call("tag image %s as %s" % (source, target.pull_reference)):
                    engine.api.tag(local["Id"], target.name, tag=target.tag)
            if needs_push:
                digest = push(engine, target, auth) or client.manifest_digest(target.remote_path, target.tag)
    finally:
        client.close()
    after = local if check_mode else inspect_image(engine, local["Id"])
    result = dict(changed=needs_tag or needs_push, image=image_facts(after), digest=digest,
                  repository=target.pull_reference)
    if diff:
        result["diff"] = dict(
            before=dict(repository=target.pull_reference, image_id=remote.config_digest if remote else None,
                        digest=remote.digest if remote else None),
            after=dict(repository=target.pull_reference, image_id=local["Id"], digest=digest),
        )
    return result
