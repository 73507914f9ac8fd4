# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """The options of the modules that talk to an image registry (credentials and TLS)."""

    DOCUMENTATION = r"""
options:
  username:
    description:
      - User name for the registry. Used both by the engine (for pulls and pushes) and by the
        module itself when it reads the registry's catalog, tags and manifests.
      - Registries that answer with a C(Basic) challenge get it as basic authentication; registries
        that answer with a C(Bearer) challenge get a token from their token service with it.
    type: str
  password:
    description:
      - Password or access token of O(username). Never appears in results or messages.
    type: str
  registry_validate_certs:
    description:
      - Verify the registry's TLS certificate when the module talks to the registry.
      - When not given, the module speaks to the registry as the engine does (C(docker info),
        C(RegistryConfig)). A registry the engine trusts over plain HTTP (named in the engine's
        C(insecure-registries), or with an address in one of its insecure CIDRs, C(127.0.0.0/8) by
        default) gets HTTPS without verification and, when that fails, plain HTTP. Any other
        registry gets verified HTTPS only.
      - Named so as not to clash with O(validate_certs), which is about the engine's own API.
    type: bool
  registry_ca_path:
    description:
      - CA certificate (PEM) that signed the registry's certificate.
      - When not given, for a registry the engine verifies, C(/etc/docker/certs.d/<registry>/ca.crt)
        if it exists on the module's host (where the engine looks for it), else the system's trust
        store. A client certificate there (C(*.cert) with its C(*.key)) is presented too.
    type: path
notes:
  - "Registry failures are reported in one line that names the registry, for example
    C(registry 127.0.0.1:5001: authentication failed for user 'kapal' (HTTP 401)) or
    C(cannot reach registry 127.0.0.1:5999: connection refused)."
  - "Pulls and pushes ask the registry from the module's host before they ask the engine to act. When
    the module's host cannot reach the registry (refused, timed out, TLS failed) but the engine may,
    the engine is asked instead (its distribution inspect, which pulls nothing), and the result says
    so in C(registry_unreachable); an engine that cannot be asked that way (Podman) does the pull
    itself, and check mode then predicts a change."
requirements:
  - requests (installed with the Docker SDK for Python)
seealso:
  - name: Registry HTTP API v2
    description: The manifest, tag list and catalog endpoints the module reads before it pulls or pushes, and to search.
    link: https://distribution.github.io/distribution/spec/api/
"""
