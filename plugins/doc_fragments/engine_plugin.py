# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Where the plugins read each engine connection option from: variables, environment, ini.

    The options themselves are documented once, in kapal.docker.engine; a plugin extends both, this
    one first: where both say something of an option, the first wins, so the module aliases (which
    a plugin does not read) are left out.
    """

    DOCUMENTATION = r"""
options:
  docker_host:
    aliases: []
    env:
      - name: DOCKER_HOST
    ini:
      - section: kapal_docker
        key: docker_host
    vars:
      - name: ansible_docker_docker_host
  tls:
    env:
      - name: DOCKER_TLS
    ini:
      - section: kapal_docker
        key: tls
    vars:
      - name: ansible_docker_tls
  validate_certs:
    aliases: []
    env:
      - name: DOCKER_TLS_VERIFY
    ini:
      - section: kapal_docker
        key: validate_certs
    vars:
      - name: ansible_docker_validate_certs
  ca_path:
    aliases: []
    ini:
      - section: kapal_docker
        key: ca_path
    vars:
      - name: ansible_docker_ca_path
  client_cert:
    aliases: []
    ini:
      - section: kapal_docker
        key: client_cert
    vars:
      - name: ansible_docker_client_cert
  client_key:
    aliases: []
    ini:
      - section: kapal_docker
        key: client_key
    vars:
      - name: ansible_docker_client_key
  api_version:
    aliases: []
    env:
      - name: DOCKER_API_VERSION
    ini:
      - section: kapal_docker
        key: api_version
    vars:
      - name: ansible_docker_api_version
  timeout:
    env:
      - name: DOCKER_TIMEOUT
    ini:
      - section: kapal_docker
        key: timeout
    vars:
      - name: ansible_docker_timeout
"""
