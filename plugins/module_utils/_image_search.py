# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Searching for images: Docker Hub through the engine, other registries through their catalog.

``search_task`` is the task of the module image_search; it changes nothing, in check mode or not.
"""

from __future__ import annotations

import fnmatch
import re

from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError
from ansible_collections.kapal.docker.plugins.module_utils._reference import ImageRef, is_docker_hub
from ansible_collections.kapal.docker.plugins.module_utils._registry import registry_client

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
    """None for Docker Hub (searched through the engine), else the v2 registry ``registry`` names."""
    if is_docker_hub(registry):
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


def search_task(engine, params, check_mode):
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
