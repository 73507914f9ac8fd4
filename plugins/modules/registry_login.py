#!/usr/bin/python
# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: registry_login
short_description: Log in to a registry, or out of it, for the docker CLI (C(docker login), C(docker logout))
version_added: 0.1.0
description:
  - Does what C(docker login) does on the host the module runs on. The credentials are first checked
    against the registry's C(/v2/) endpoint; a wrong password fails in one line and nothing is stored.
    Then they are stored where the docker CLI (and the Docker SDK for Python) looks for them, in the
    docker CLI configuration file O(config_path).
  - In the file, as the C(auths) entry of the registry (base64 C(user:password)), unless the file
    configures a credential helper for the registry (C(credHelpers)) or for every registry
    (C(credsStore)); then the helper program C(docker-credential-<name>) stores them, called as the
    docker CLI calls it, and the file only lists the registry under C(auths).
  - Idempotent. The stored credentials are compared with the given ones and nothing is written when
    they match (unless O(reauthorize=true)). The file is written only when something changes,
    atomically, with mode C(0600), keeping every other setting in it.
  - O(state=absent) logs out (C(docker logout)), removing the registry's entry from the file and from
    the credential helper.
  - The engine options are accepted (so that the action group's O(docker_host) and the like do no
    harm) but the engine is not contacted.
author:
  - kapal.docker maintainers (@kapal)
extends_documentation_fragment:
  - kapal.docker.engine
  - kapal.docker.registry
options:
  registry_url:
    description:
      - The registry, as C(host[:port]) or a URL such as C(https://registry.example.com:5000).
      - Docker Hub is stored under C(https://index.docker.io/v1/), as the docker CLI does; other
        registries under their C(host[:port]).
    type: str
    default: https://index.docker.io/v1/
    aliases: [registry, url]
  reauthorize:
    description:
      - Store the credentials even when the same ones are stored already (the task then reports a change).
    type: bool
    default: false
    aliases: [reauth]
  config_path:
    description:
      - The docker CLI configuration file.
      - When not given, C(config.json) in the directory named by the E(DOCKER_CONFIG) environment
        variable, else C(~/.docker/config.json) of the user the module runs as.
      - A missing file (and its directory, mode C(0700)) is created. A file that is not valid JSON fails
        the task and is left as it is.
    type: path
    aliases: [dockercfg_path]
  state:
    description:
      - V(present) logs in (O(username) and O(password) are required), V(absent) logs out.
    type: str
    choices: [present, absent]
    default: present
notes:
  - The password is never part of a result, a diff or a message. The diff tells whether the stored
    password matched the given one (C(password_matches)), never the password.
  - A registry that lets anyone read C(/v2/) without credentials accepts any password, as it does for
    C(docker login).
attributes:
  check_mode:
    support: full
    description: The registry is asked (a read); the file and the credential helper are only read.
  diff_mode:
    support: full
    description: The registry's key, whether a login is stored, its user name and whether its password matched, before and after.
  idempotent:
    support: full
    description: A second run finds the same credentials stored and writes nothing, unless O(reauthorize=true).
seealso:
  - module: kapal.docker.image_pull
  - module: kapal.docker.image_push
  - name: docker login
    description: The command this module replaces, and where it stores credentials.
    link: https://docs.docker.com/reference/cli/docker/login/
  - name: Docker credential helpers
    description: The helper programs and the protocol they speak.
    link: https://github.com/docker/docker-credential-helpers
"""

EXAMPLES = r"""
- name: Log in to a private registry (docker login registry.example.com:5000)
  kapal.docker.registry_login:
    registry_url: registry.example.com:5000
    username: deploy
    password: "{{ registry_password }}"

- name: Log in to a registry whose certificate a private CA signed
  kapal.docker.registry_login:
    registry_url: registry.example.com:5001
    username: deploy
    password: "{{ registry_password }}"
    registry_ca_path: /etc/pki/registry-ca.pem

- name: Log in for another user, in its own configuration file
  kapal.docker.registry_login:
    registry: registry.example.com
    username: ci
    password: "{{ ci_token }}"
    config_path: /home/ci/.docker/config.json

- name: Log out (docker logout registry.example.com:5000)
  kapal.docker.registry_login:
    registry_url: registry.example.com:5000
    state: absent
"""

RETURN = r"""
registry:
  description: The key of the registry in the configuration file (and for the credential helper).
  returned: success
  type: str
  sample: registry.example.com:5000
username:
  description: The user logged in; null after a logout.
  returned: success
  type: str
  sample: deploy
config_path:
  description: The configuration file.
  returned: success
  type: str
  sample: /root/.docker/config.json
credentials_store:
  description: The credential helper that holds the credentials (C(docker-credential-<name>)); null when the file holds them.
  returned: success
  type: str
  sample: null
login_result:
  description: The registry and user logged in, as community.docker's docker_login returns them.
  returned: when O(state=present)
  type: dict
  sample: {serveraddress: "registry.example.com:5000", username: deploy}
diff:
  description: The registry's key, whether a login is stored, its user name and whether its password matched the given one, before and after.
  returned: in diff mode
  type: dict
  sample:
    before: {registry: "registry.example.com:5000", logged_in: true, username: deploy, password_matches: false}
    after: {registry: "registry.example.com:5000", logged_in: true, username: deploy, password_matches: true}
"""

from ansible_collections.kapal.docker.plugins.module_utils._login import DOCKER_HUB_KEY, login_task
from ansible_collections.kapal.docker.plugins.module_utils._module import engine_module, run_module
from ansible_collections.kapal.docker.plugins.module_utils._registry import REGISTRY_OPTIONS


def main():
    spec = dict(
        registry_url=dict(type="str", default=DOCKER_HUB_KEY, aliases=["registry", "url"]),
        reauthorize=dict(type="bool", default=False, aliases=["reauth"]),
        config_path=dict(type="path", aliases=["dockercfg_path"]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    spec.update(REGISTRY_OPTIONS)
    module = engine_module(spec, supports_check_mode=True, required_if=[("state", "present", ["username", "password"])])
    run_module(module, login_task)


if __name__ == "__main__":
    main()
