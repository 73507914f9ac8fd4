# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """The engine connection options of the plugins: the module options, read from vars, env and ini."""

    DOCUMENTATION = r"""
options:
  docker_host:
    description:
      - Address of the Docker Engine API, C(unix:///path/to/docker.sock) or C(tcp://host:port).
      - When not given, C(unix:///var/run/docker.sock).
    type: str
    env:
      - name: DOCKER_HOST
    ini:
      - section: kapal_docker
        key: docker_host
    vars:
      - name: ansible_docker_docker_host
  tls:
    description:
      - Talk to the engine over TLS without verifying its certificate, unless O(validate_certs) is set.
    type: bool
    env:
      - name: DOCKER_TLS
    ini:
      - section: kapal_docker
        key: tls
    vars:
      - name: ansible_docker_tls
  validate_certs:
    description:
      - Talk to the engine over TLS and verify its certificate against O(ca_path). Implies O(tls).
    type: bool
    env:
      - name: DOCKER_TLS_VERIFY
    ini:
      - section: kapal_docker
        key: validate_certs
    vars:
      - name: ansible_docker_validate_certs
  ca_path:
    description:
      - CA certificate (PEM) used to verify the engine's certificate.
      - When not given and TLS is on, C(ca.pem) in the directory named by E(DOCKER_CERT_PATH), if there.
    type: path
    ini:
      - section: kapal_docker
        key: ca_path
    vars:
      - name: ansible_docker_ca_path
  client_cert:
    description:
      - Client certificate (PEM) presented to the engine. Needs O(client_key).
      - When not given and TLS is on, C(cert.pem) in the directory named by E(DOCKER_CERT_PATH), if there.
    type: path
    ini:
      - section: kapal_docker
        key: client_cert
    vars:
      - name: ansible_docker_client_cert
  client_key:
    description:
      - Private key (PEM) of O(client_cert).
      - When not given and TLS is on, C(key.pem) in the directory named by E(DOCKER_CERT_PATH), if there.
    type: path
    ini:
      - section: kapal_docker
        key: client_key
    vars:
      - name: ansible_docker_client_key
  api_version:
    description:
      - Engine API version to speak, such as C(1.41), or C(auto) to use the engine's own.
    type: str
    env:
      - name: DOCKER_API_VERSION
    ini:
      - section: kapal_docker
        key: api_version
    vars:
      - name: ansible_docker_api_version
  timeout:
    description:
      - Seconds to wait for an answer from the engine (not for a command to finish).
      - When not given, C(60).
    type: int
    env:
      - name: DOCKER_TIMEOUT
    ini:
      - section: kapal_docker
        key: timeout
    vars:
      - name: ansible_docker_timeout
requirements:
  - docker >= 7.0.0 (the Docker SDK for Python) on the controller
  - Docker Engine API 1.41 or newer (Docker Engine 20.10 or newer)
"""
