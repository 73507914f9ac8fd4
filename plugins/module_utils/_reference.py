# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image references: ``[registry/]repository[:tag][@digest]``, parsed and formatted; Docker Hub's names.

The grammar is the one of github.com/distribution/reference: a registry is the first component
when it contains a dot or a colon or is ``localhost``; repository path components are lower-case
alphanumerics joined by ``.``, ``_``, ``__`` or dashes; tags are ``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError

DEFAULT_REGISTRY = "docker.io"
DEFAULT_TAG = "latest"
# Docker Hub's names. The first two are the ones references use, and the engine lists the images
# of both under their short names (``busybox:latest``); the others are the hosts of its API and of
# its web site, which a registry option may give too.
DOCKER_HUB_NAMES = ("docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com", "hub.docker.com")
_HUB_IN_REFERENCES = DOCKER_HUB_NAMES[:2]

_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_DOMAIN = re.compile(
    r"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$"
)
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$")
_ID = re.compile(r"^(?:sha256:)?[a-f0-9]{12,64}$")


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference. ``registry`` is None when the reference names none (Docker Hub)."""

    repository: str
    registry: str | None = None
    tag: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, text, option="name"):
        """Parse ``text``; a bad reference raises KapalError naming ``option`` and the value."""
        if not isinstance(text, str) or not text:
            raise KapalError("%s: expected an image reference such as repo/name:tag, got %r" % (option, text))

        def bad(why):
            return KapalError("%s: invalid image reference %r (%s)" % (option, text, why))

        if len(text) > 255 + 128 + 80:
            raise bad("too long")
        rest, digest = text, None
        if "@" in rest:
            rest, digest = rest.split("@", 1)
            if not _DIGEST.match(digest):
                raise bad("digest must look like sha256:<64 hex digits>")
        tag = None
        slash = rest.rfind("/")
        colon = rest.rfind(":")
        if colon > slash:
            rest, tag = rest[:colon], rest[colon + 1:]
            if not _TAG.match(tag):
                raise bad("tag must be 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'")
        registry = None
        parts = rest.split("/")
        if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
            registry = parts.pop(0)
            if not _DOMAIN.match(registry):
                raise bad("registry %r is not a host name or address with an optional port" % registry)
        if not parts or not all(parts):
            raise bad("empty repository name")
        for part in parts:
            if not _COMPONENT.match(part):
                if part.lower() != part and _COMPONENT.match(part.lower()):
                    raise bad("repository names must be lower-case")
                raise bad("repository path component %r may hold only a-z, 0-9 and single separators . _ -" % part)
        repository = "/".join(parts)
        if len(repository) + len(registry or "") > 255:
            raise bad("name longer than 255 characters")
        return cls(repository=repository, registry=registry, tag=tag, digest=digest)

    @property
    def domain(self):
        """The registry host the engine will contact."""
        return self.registry or DEFAULT_REGISTRY

    @property
    def name(self):
        """The name as the engine stores it locally: registry/repository, no tag."""
        return "%s/%s" % (self.registry, self.repository) if self.registry else self.repository

    @property
    def remote_path(self):
        """The repository path inside its registry (Docker Hub adds ``library/`` to single names)."""
        if is_docker_hub(self.registry) and "/" not in self.repository:
            return "library/" + self.repository
        return self.repository

    @property
    def local_name(self):
        """The name as the engine lists it in RepoTags: Docker Hub's without the registry and ``library/``."""
        if self.registry is not None and self.registry not in _HUB_IN_REFERENCES:
            return self.name
        return self.repository[len("library/"):] if self.repository.startswith("library/") else self.repository

    @property
    def effective_tag(self):
        """The tag a pull or run would use: the given one, else ``latest`` when there is no digest."""
        if self.tag is None and self.digest is None:
            return DEFAULT_TAG
        return self.tag

    def with_tag(self, tag):
        return replace(self, tag=tag, digest=None)

    @property
    def pull_reference(self):
        """What to hand the engine: name@digest when pinned, else name:tag."""
        if self.digest:
            return "%s@%s" % (self.name, self.digest)
        return "%s:%s" % (self.name, self.effective_tag)

    def __str__(self):
        text = self.name
        if self.tag is not None:
            text += ":" + self.tag
        if self.digest is not None:
            text += "@" + self.digest
        return text


def is_docker_hub(registry):
    """Whether ``registry`` (a reference's, None when it names none, or a registry option) is Docker Hub."""
    return registry is None or registry in DOCKER_HUB_NAMES


def looks_like_id(text):
    """True for an image id, full (``sha256:…``) or a short hex prefix of at least 12 digits."""
    return isinstance(text, str) and bool(_ID.match(text))


def split_tag_option(name, tag, option="name"):
    """Combine a ``name`` option (which may carry a tag or digest) with a separate ``tag`` option."""
    ref = ImageRef.parse(name, option)
    if tag is None:
        return ref
    if ref.digest is not None:
        raise KapalError("tag: %r cannot be combined with a digest in %s %r" % (tag, option, name))
    if ref.tag is not None and ref.tag != tag:
        raise KapalError("tag: %r conflicts with the tag in %s %r" % (tag, option, name))
    if not _TAG.match(tag):
        raise KapalError("tag: invalid tag %r" % tag)
    return ref.with_tag(tag)
