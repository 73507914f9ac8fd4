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
      - The module tries HTTPS first; a registry on C(localhost) or C(127.0.0.0/8) that does not speak
        TLS is reached over plain HTTP, as the engine does.
      - Named so as not to clash with O(validate_certs), which is about the engine's own API.
    type: bool
    default: true
  registry_ca_path:
    description:
      - CA certificate (PEM) that signed the registry's certificate.
      - When not given, C(/etc/docker/certs.d/<registry>/ca.crt) if it exists (where the engine looks
        for it), else the system's trust store.
    type: path
notes:
  - "Registry failures are reported in one line that names the registry, for example
    C(registry 127.0.0.1:5001: authentication failed for user 'kapal' (HTTP 401)) or
    C(cannot reach registry 127.0.0.1:5999: connection refused)."
requirements:
  - requests (installed with the Docker SDK for Python)
seealso:
  - name: Registry HTTP API v2
    description: The manifest, tag list and catalog endpoints the module reads before it pulls or pushes, and to search.
    link: https://distribution.github.io/distribution/spec/api/
"""
