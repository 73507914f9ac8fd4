# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: containers
short_description: The containers of one or more Docker Engines as inventory hosts
description:
  - Lists the containers of one or more Docker Engines, filtered by status, labels and name, and
    makes each an inventory host named after its container. Each host reaches its container with
    the P(kapal.docker.docker#connection) connection plugin, on the engine it was found on.
  - The container's C(docker inspect) facts become host variables under a prefix (O(host_vars_prefix)).
  - Groups and variables can be built from them with O(keyed_groups), O(groups) and O(compose).
  - The inventory file name must end in C(docker.yml) or C(docker.yaml).
author:
  - kapal.docker maintainers (@kapal)
version_added: 0.1.0
extends_documentation_fragment:
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: The name of this plugin; it makes the file an inventory source of this plugin.
    type: str
    required: true
    choices: [kapal.docker.containers]
  engines:
    description:
      - The engines to list containers from, each a dictionary of the engine options of the modules
        (C(docker_host), C(tls), C(validate_certs), C(ca_path), C(client_cert), C(client_key),
        C(api_version), C(timeout)). An option left out takes its E(DOCKER_*) environment default.
      - When not given, the one engine that E(DOCKER_HOST) names, else the local one.
    type: list
    elements: dict
    default: [{}]
  status:
    description: Only containers in one of these states.
    type: list
    elements: str
    choices: [created, restarting, running, removing, paused, exited, dead]
    default: [running]
  labels:
    description:
      - Only containers with all these labels. A label given an empty value only needs to be present.
    type: dict
    default: {}
  name_pattern:
    description: Only containers whose name matches this shell-style pattern, such as C(web-*).
    type: str
  host_vars_prefix:
    description:
      - Prefix of the host variables made from the container's facts. The top-level keys of
        C(docker inspect) are snake-cased (C(State) becomes C(docker_state), C(NetworkSettings)
        C(docker_network_settings), the image ID C(docker_image_id)), and there are the shortcuts
        C(docker_name), C(docker_short_id), C(docker_status), C(docker_image) (the image as
        configured) and C(docker_labels).
    type: str
    default: docker_
notes:
  - Every host gets C(ansible_connection=kapal.docker.docker), C(ansible_host) (the container
    name) and C(ansible_docker_docker_host) with the engine's address, plus the engine's TLS options as
    C(ansible_docker_*) variables when they are set.
  - Two containers of the same name on different engines are told apart by their short ID,
    C(<name>_<short id>) for the second one.
seealso:
  - plugin: kapal.docker.docker
    plugin_type: connection
"""

EXAMPLES = r"""
# containers.docker.yml: the running containers of the local engine labelled app=shop,
# grouped by their role label
plugin: kapal.docker.containers
labels:
  app: shop
keyed_groups:
  - key: docker_labels['role'] | default('none')
    prefix: role
compose:
  ansible_user: docker_config.User | default('root', true)
# fleet.docker.yml: two engines over TLS, all containers named web-*, stopped ones included
# plugin: kapal.docker.containers
# engines:
#   - docker_host: tcp://docker1.example.com:2376
#     validate_certs: true
#     ca_path: /etc/docker/tls/ca.pem
#   - docker_host: tcp://docker2.example.com:2376
#     validate_certs: true
#     ca_path: /etc/docker/tls/ca.pem
# status: [running, exited]
# name_pattern: web-*
# keyed_groups:
#   - key: ansible_docker_docker_host
#     prefix: engine
# cache: true
# cache_plugin: ansible.builtin.jsonfile
# cache_connection: /tmp/kapal-docker-inventory
"""

import fnmatch
import re

from ansible.errors import AnsibleError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible_collections.kapal.docker.plugins.module_utils._engine import (
    DEFAULT_TIMEOUT,
    DOCKER_IMPORT_ERROR,
    ENGINE_OPTIONS,
    Engine,
    EngineConfig,
)
from ansible_collections.kapal.docker.plugins.module_utils._container.facts import list_containers
from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError

_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
FILE_SUFFIXES = ("docker.yml", "docker.yaml")
_PLUGIN_LINE = re.compile(r"""^plugin:\s*["']?kapal\.docker\.containers["']?\s*(#.*)?$""", re.MULTILINE)
_HEAD = 64 * 1024
_RENAMED = {"Image": "image_id", "Name": None}


def snake_case(key: str) -> str:
    return _CAMEL.sub(r"\1_\2", key).lower()


def host_vars(facts: dict, prefix: str) -> dict:
    """The host variables made from a container's inspect facts."""
    result = {}
    for key, value in facts.items():
        name = _RENAMED.get(key, snake_case(key))
        if name:
            result[prefix + name] = value
    config = facts.get("Config") or {}
    result.update({
        prefix + "name": facts["Name"].lstrip("/"),
        prefix + "short_id": facts["Id"][:12],
        prefix + "status": (facts.get("State") or {}).get("Status"),
        prefix + "image": config.get("Image"),
        prefix + "labels": config.get("Labels") or {},
    })
    return result


def connection_vars(config: EngineConfig) -> dict:
    """The variables that point the connection plugin at the engine a container was found on."""
    result = {"ansible_connection": "kapal.docker.docker", "ansible_docker_docker_host": config.docker_host}
    if config.tls:
        result["ansible_docker_tls"] = True
    if config.validate_certs:
        result["ansible_docker_validate_certs"] = True
    for name in ("ca_path", "client_cert", "client_key"):
        if getattr(config, name):
            result["ansible_docker_" + name] = getattr(config, name)
    if config.api_version != "auto":
        result["ansible_docker_api_version"] = config.api_version
    if config.timeout != DEFAULT_TIMEOUT:
        result["ansible_docker_timeout"] = config.timeout
    return result


def engine_config(index: int, options) -> EngineConfig:
    """The config of ``engines[index]``, refusing options that engines do not have."""
    if not isinstance(options, dict):
        raise KapalError("engines[%d]: expected a dictionary of engine options, got %r" % (index, options))
    unknown = sorted(set(options) - set(ENGINE_OPTIONS))
    if unknown:
        raise KapalError("engines[%d]: unknown option %s (expected one of %s)"
                         % (index, ", ".join(unknown), ", ".join(ENGINE_OPTIONS)))
    try:
        return EngineConfig.from_options(options)
    except KapalError as ex:
        raise KapalError("engines[%d]: %s" % (index, ex)) from None


def names_this_plugin(path: str) -> bool:
    """Whether the file at ``path`` starts like a configuration of this plugin (``plugin: kapal.docker.containers``)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(_HEAD).decode("utf-8", "replace")
    except OSError:
        return False
    return bool(_PLUGIN_LINE.search(head))


def list_filters(status: list, labels: dict) -> dict:
    """The engine-side filters of the container listing."""
    return {
        "status": list(status),
        "label": ["%s=%s" % (key, value) if value not in (None, "") else key for key, value in labels.items()],
    }


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    """Containers of Docker Engines as hosts."""

    NAME = "kapal.docker.containers"

    def verify_file(self, path: str) -> bool:
        if not super().verify_file(path):
            return False
        if path.endswith(FILE_SUFFIXES):
            return True
        # Ansible only says the source "could not be verified": say which names this plugin takes,
        # as a warning when the file names this plugin, else for -vvv (every source is offered to it).
        message = ("kapal.docker.containers: skipping %s: the inventory file of this plugin must be named "
                   "*%s or *%s, such as containers.%s" % (path, FILE_SUFFIXES[0], FILE_SUFFIXES[1], FILE_SUFFIXES[0]))
        if names_this_plugin(path):
            self.display.warning(message)
        else:
            self.display.vvv(message)
        return False

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        if DOCKER_IMPORT_ERROR:
            raise AnsibleError("the kapal.docker.containers inventory needs the Docker SDK for Python (pip install docker)")
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache") and cache
        update_cache = self.get_option("cache") and not cache
        containers = None
        if use_cache:
            try:
                containers = self._cache[cache_key]
            except KeyError:
                update_cache = True
        if containers is None:
            try:
                containers = self._list_containers()
            except KapalError as ex:
                raise AnsibleError(str(ex)) from ex
        if update_cache:
            self._cache[cache_key] = containers
        self._populate(containers)

    def _list_containers(self) -> list:
        """Each matching container as {"engine": connection vars, "facts": inspect facts}."""
        filters = list_filters(self.get_option("status"), self.get_option("labels"))
        pattern = self.get_option("name_pattern")
        found = []
        for index, options in enumerate(self.get_option("engines") or [{}]):
            config = engine_config(index, options)
            engine = Engine(config)
            try:
                listed = list_containers(engine, list_all=True, filters=filters)
            finally:
                engine.close()
            found.extend({"engine": connection_vars(config), "facts": facts} for facts in listed
                         if not pattern or fnmatch.fnmatchcase(facts["Name"].lstrip("/"), pattern))
        return found

    def _populate(self, containers: list) -> None:
        prefix = self.get_option("host_vars_prefix")
        strict = self.get_option("strict")
        for container in containers:
            facts = container["facts"]
            name = facts["Name"].lstrip("/")
            host = name if self.inventory.get_host(name) is None else "%s_%s" % (name, facts["Id"][:12])
            self.inventory.add_host(host)
            variables = dict(host_vars(facts, prefix), ansible_host=name, **container["engine"])
            for key, value in variables.items():
                self.inventory.set_variable(host, key, value)
            self._set_composite_vars(self.get_option("compose"), self.inventory.get_host(host).get_vars(), host, strict=strict)
            hostvars = self.inventory.get_host(host).get_vars()
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, host, strict=strict)
