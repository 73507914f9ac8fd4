"""Arranging images and registry repositories for the image module tests, and removing them again.

A support module, not a test file: the fixtures that use it (`registries`, `arrange`) are in
conftest.py. Everything `Arrange` makes is named with the prefix kapal-it-imga- and a per-test
token, and the fixture removes what it made (local images, registry manifests, and the repository
directory in the registry's storage, so that the catalog forgets it), also when a test fails.
"""

import io
import os
import shutil
import tarfile
import uuid

import requests

PREFIX = "kapal-it-imga"
TESTBED_DIR = os.environ.get("KAPAL_TESTBED_DIR", "/var/lib/kapal-testbed")
STORAGE = {"plain": "registry-plain", "secure": "registry-secure"}


def token():
    return uuid.uuid4().hex[:8]


def make_image(docker_api, reference, content):
    """Import a one-file image as ``reference`` (name:tag); returns its id. Distinct content, distinct id."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        body = content.encode()
        info = tarfile.TarInfo("kapal-it.txt")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    name, tag = reference.rsplit(":", 1)
    docker_api.import_image_from_data(data.getvalue(), repository=name, tag=tag)
    return docker_api.inspect_image(reference)["Id"]


def push(docker_api, reference, auth=None):
    """Push name:tag with the SDK; returns the manifest digest the engine reported."""
    name, tag = reference.rsplit(":", 1)
    digest = None
    for event in docker_api.push(name, tag=tag, stream=True, decode=True, auth_config=auth):
        if "error" in event:
            raise AssertionError("push %s: %s" % (reference, event["error"]))
        digest = (event.get("aux") or {}).get("Digest") or digest
    return digest


def remove_images(docker_api, references):
    for reference in references:
        try:
            docker_api.remove_image(reference, force=True, noprune=False)
        except Exception:  # already gone  # pylint: disable=broad-except
            pass


class Registry:
    """One of the test bed's registries, for arranging and inspecting what it holds."""

    def __init__(self, testbed, kind):
        self.kind = kind
        self.address = testbed["plain_registry"] if kind == "plain" else testbed["secure_registry"]
        self.scheme = "http" if kind == "plain" else "https"
        self.auth = None
        self.verify = True
        if kind == "secure":
            self.auth = (testbed["registry_user"], testbed["registry_password"])
            self.verify = testbed["ca_cert"]

    @property
    def engine_auth(self):
        if self.auth is None:
            return None
        return dict(username=self.auth[0], password=self.auth[1], serveraddress=self.address)

    def get(self, path, **kwargs):
        return requests.get("%s://%s%s" % (self.scheme, self.address, path), auth=self.auth, verify=self.verify,
                            timeout=30, **kwargs)

    def manifest_digest(self, repository, tag):
        answer = requests.head(
            "%s://%s/v2/%s/manifests/%s" % (self.scheme, self.address, repository, tag), auth=self.auth,
            verify=self.verify, timeout=30,
            headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
        )
        return answer.headers.get("Docker-Content-Digest") if answer.status_code == 200 else None

    def catalog(self):
        return self.get("/v2/_catalog", params=dict(n=10000)).json().get("repositories") or []

    def forget(self, repository):
        """Delete every manifest of a repository, then its directory, so the catalog no longer lists it."""
        answer = self.get("/v2/%s/tags/list" % repository)
        if answer.status_code == 200:
            for tag in answer.json().get("tags") or []:
                digest = self.manifest_digest(repository, tag)
                if digest:
                    requests.delete("%s://%s/v2/%s/manifests/%s" % (self.scheme, self.address, repository, digest),
                                    auth=self.auth, verify=self.verify, timeout=30)
        storage = os.path.join(TESTBED_DIR, STORAGE[self.kind], "data/docker/registry/v2/repositories")
        shutil.rmtree(os.path.join(storage, repository), ignore_errors=True)
        if repository.startswith("kapal-it-") and "/" in repository:  # a test's own namespace: gone when empty
            try:
                os.rmdir(os.path.join(storage, repository.split("/")[0]))
            except OSError:  # not empty (another repository lives there), or already gone
                pass


class Arrange:
    """Collects what a test made, for the fixture to remove."""

    def __init__(self, docker_api, registries):
        self.docker_api = docker_api
        self.registries = registries
        self.token = token()
        self.images = []
        self.repositories = []

    def name(self, kind, leaf):
        """A unique repository in a registry, and the full name: ('kapal-it-imga-<tok>/leaf', '127.0.0.1:5000/...')."""
        repository = "%s-%s/%s" % (PREFIX, self.token, leaf)
        self.repositories.append((kind, repository))
        return repository, "%s/%s" % (self.registries[kind].address, repository)

    def image(self, reference, content):
        self.images.append(reference)
        image_id = make_image(self.docker_api, reference, content)
        self.images.append(image_id)
        return image_id

    def pushed(self, kind, leaf, tag="1", content=None):
        """An image of its own, pushed to registry ``kind`` as <unique>/leaf:tag; returns (full name, id, digest)."""
        repository, full = self.name(kind, leaf)
        reference = "%s:%s" % (full, tag)
        image_id = self.image(reference, content or "%s %s %s" % (self.token, leaf, tag))
        digest = push(self.docker_api, reference, self.registries[kind].engine_auth)
        return full, image_id, digest

    def cleanup(self):
        remove_images(self.docker_api, self.images)
        for kind, repository in self.repositories:
            self.registries[kind].forget(repository)
