# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """The engine connection options: one text each, for every module and (with kapal.docker.engine_plugin,
    which adds where a plugin reads each option from) for the connection plugin."""

    DOCUMENTATION = r"""
options:
  docker_host:
    description:
      - Address of the Docker Engine API, C(unix:///path/to/docker.sock) or C(tcp://host:port).
      - When not given, the E(DOCKER_HOST) environment variable, else C(unix:///var/run/docker.sock).
    type: str
    aliases: [docker_url]
  tls:
    description:
      - Talk to the engine over TLS without verifying its certificate, unless O(validate_certs) is set.
      - When not given, true if the E(DOCKER_TLS) environment variable is set to a true value.
    type: bool
  validate_certs:
    description:
      - Talk to the engine over TLS and verify its certificate against O(ca_path). Implies O(tls).
      - When not given, true if the E(DOCKER_TLS_VERIFY) environment variable is set to a true value.
    type: bool
    aliases: [tls_verify]
  ca_path:
    description:
      - CA certificate (PEM) used to verify the engine's certificate.
      - When not given and TLS is on, C(ca.pem) in the directory named by E(DOCKER_CERT_PATH), if there.
    type: path
    aliases: [ca_cert, tls_ca_cert]
  client_cert:
    description:
      - Client certificate (PEM) presented to the engine. Needs O(client_key).
      - When not given and TLS is on, C(cert.pem) in the directory named by E(DOCKER_CERT_PATH), if there.
    type: path
    aliases: [tls_client_cert, cert_path]
  client_key:
    description:
      - Private key (PEM) of O(client_cert). Its contents never appear in results or messages.
      - When not given and TLS is on, C(key.pem) in the directory named by E(DOCKER_CERT_PATH), if there.
    type: path
    aliases: [tls_client_key, key_path]
  api_version:
    description:
      - Engine API version to speak, such as C(1.41), or C(auto) to use the engine's own.
      - When not given, the E(DOCKER_API_VERSION) environment variable, else C(auto).
    type: str
    aliases: [docker_api_version]
  timeout:
    description:
      - Seconds to wait for each answer from the engine (not for a command, a pull or a build to finish).
      - When not given, the E(DOCKER_TIMEOUT) environment variable, else C(60).
    type: int
notes:
  - Every kapal.docker module belongs to the action group C(kapal.docker.docker), so
    C(module_defaults) can set the engine options once for all of them.
  - "Connection failures are reported in one line that names the engine address, for example
    C(cannot reach Docker Engine at unix:///var/run/docker.sock: permission denied)."
requirements:
  - docker >= 7.0.0 (the Docker SDK for Python) where the module runs (for a plugin, on the controller)
  - Docker Engine API 1.41 or newer (Docker Engine 20.10 or newer)
"""
