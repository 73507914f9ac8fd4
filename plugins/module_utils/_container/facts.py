# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Container facts: ``docker inspect`` of named containers, and ``docker ps`` listings with filters.

``list_containers(engine, list_all, filters)`` gives the inspect answers of a listing: the facts of
kapal.docker.container_info and the hosts of the kapal.docker.containers inventory plugin.
``container_facts`` adds named lookups; ``normalize_filters`` checks the filters as documented.
"""

from __future__ import annotations

from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError

# The filters of GET /containers/json that this collection documents (Engine API 1.41).
FILTER_KEYS = (
    "ancestor", "before", "expose", "health", "id", "label", "name", "network", "publish", "since", "status", "volume",
)
STATUSES = ("created", "restarting", "running", "removing", "paused", "exited", "dead")
HEALTH = ("starting", "healthy", "unhealthy", "none")


def normalize_filters(filters):
    """The filters as the engine wants them (key -> list of strings); one-line errors name the key or value."""
    normalized = {}
    for key, value in sorted((filters or {}).items()):
        if key not in FILTER_KEYS:
            raise KapalError("filters: unknown filter key %r (expected one of %s)" % (key, ", ".join(FILTER_KEYS)))
        values = value if isinstance(value, list) else [value]
        values = [_filter_text(key, v) for v in values]
        allowed = STATUSES if key == "status" else HEALTH if key == "health" else None
        for item in values:
            if allowed and item not in allowed:
                raise KapalError("filters: %s %r is not one of %s" % (key, item, ", ".join(allowed)))
        normalized[key] = values
    return normalized


def _filter_text(key, value):
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        raise KapalError("filters: %s expects a string or a list of strings, got %r" % (key, value))
    return str(value)


def list_containers(engine, list_all=False, filters=None):
    """The inspect answers of the containers ``docker ps`` (``-a`` with ``list_all``) would list with
    ``filters`` (see normalize_filters), oldest first; one removed since the listing is left out."""
    with engine.call("list containers"):
        summaries = engine.api.containers(all=list_all, filters=normalize_filters(filters))
    answers = []
    for summary in reversed(summaries):
        inspect = engine.inspect("container", summary["Id"])
        if inspect is not None:  # removed between the listing and the inspect
            answers.append(inspect)
    return answers


def container_facts(engine, names=None, list_all=False, filters=None):
    """(containers, exists): the named containers that exist, or a listing; ``exists`` as documented."""
    if names:
        found = [engine.inspect("container", name) for name in names]
        return [c for c in found if c is not None], all(c is not None for c in found)
    containers = list_containers(engine, list_all=list_all, filters=filters)
    return containers, bool(containers)
