#!/usr/bin/python
# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: network
short_description: Networks (C(docker network create), C(docker network rm))
version_added: 0.1.0
description:
  - Makes sure a network exists with the given driver, options, labels and address pools,
    or that it does not exist.
  - The engine cannot change a network, so a difference means removing it and creating it
    again. When containers are attached, the task fails and names them, unless O(force) is
    set, in which case they are disconnected, the network is recreated, and they are reconnected with
    the same aliases and static addresses.
author:
  - kapal.docker maintainers (@kapal)
extends_documentation_fragment:
  - kapal.docker.engine
options:
  name:
    description: Name of the network.
    type: str
    required: true
    aliases: [network_name]
  state:
    description: Whether the network should exist.
    type: str
    choices: [present, absent]
    default: present
  driver:
    description:
      - Network driver, such as C(bridge), C(macvlan) or C(overlay).
      - When not given, an existing network's driver is left as it is, and a new one uses C(bridge).
    type: str
  driver_options:
    description:
      - Options for the driver (C(docker network create --opt)), such as
        C(com.docker.network.bridge.name).
      - When given, they must equal the existing network's options.
    type: dict
  labels:
    description: Labels of the network. When given, they must equal the existing network's labels.
    type: dict
  ipam_config:
    description:
      - Address pools of the network (C(docker network create --subnet --gateway --ip-range)).
      - When given, the network's pools must have the same subnets and ranges, and the given
        gateways; when not given, the engine picks a subnet for a new network.
    type: list
    elements: dict
    aliases: [ipam]
    suboptions:
      subnet:
        description: Subnet in CIDR form, such as C(10.10.0.0/24) or C(fd00:10::/64).
        type: str
        required: true
      gateway:
        description: Gateway address, inside O(ipam_config[].subnet). When not given, the engine picks one.
        type: str
      iprange:
        description: Range, inside O(ipam_config[].subnet), that container addresses are allocated from.
        type: str
  internal:
    description: Restrict the network to its containers, with no route outside.
    type: bool
  attachable:
    description: Let standalone containers attach to a swarm-scoped network.
    type: bool
  enable_ipv6:
    description: Enable IPv6 on the network.
    type: bool
  force:
    description:
      - When the network must be recreated or removed while containers are attached to it,
        disconnect them first (and reconnect them to a recreated network).
      - Without it, the task fails and names the attached containers.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Check mode reports what would change, and fails as a real run would, without changing anything.
  diff_mode:
    support: full
    description: The network's driver, options, labels, address pools and flags, before and after.
  idempotent:
    support: full
    description: A second run with the same options reports no change.
seealso:
  - module: kapal.docker.engine_info
    description: List every network of the engine.
  - module: kapal.docker.container_info
    description: Find the containers on a network (O(kapal.docker.container_info#module:filters) with C(network)).
  - name: Docker Engine API, networks
    description: The C(/networks) endpoints this module uses.
    link: https://docs.docker.com/engine/api/v1.41/#tag/Network
"""

EXAMPLES = r"""
- name: A bridge network for an application (docker network create backend)
  kapal.docker.network:
    name: backend

- name: A network with a fixed subnet, gateway and allocation range
  kapal.docker.network:
    name: backend
    ipam_config:
      - subnet: 10.10.0.0/24
        gateway: 10.10.0.1
        iprange: 10.10.0.128/25
    labels:
      com.example.app: billing

- name: Change the subnet while containers are attached (they are reconnected)
  kapal.docker.network:
    name: backend
    ipam_config:
      - subnet: 10.20.0.0/24
    force: true

- name: An internal network with no route outside
  kapal.docker.network:
    name: private
    internal: true

- name: Remove a network, disconnecting its containers
  kapal.docker.network:
    name: old-backend
    state: absent
    force: true
"""

RETURN = r"""
network:
  description:
    - The network's C(docker network inspect) answer, as the engine gives it, after the task;
      null when there is no network.
    - In check mode, the network as it is now.
  returned: always
  type: dict
  sample:
    Name: backend
    Id: 83ea70091fbcd754c4fb6ce20732f3d8c3df5305150b507725e8470e0ed72159
    Driver: bridge
    Scope: local
    EnableIPv6: false
    Internal: false
    Attachable: false
    IPAM: {Driver: default, Options: {}, Config: [{Subnet: 10.10.0.0/24, Gateway: 10.10.0.1}]}
    Containers: {}
    Options: {}
    Labels: {com.example.app: billing}
"""

from ansible_collections.kapal.docker.plugins.module_utils._module import engine_module, run_module
from ansible_collections.kapal.docker.plugins.module_utils._networks import network_task


def main():
    module = engine_module(
        dict(
            name=dict(type="str", required=True, aliases=["network_name"]),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            driver=dict(type="str"),
            driver_options=dict(type="dict"),
            labels=dict(type="dict"),
            ipam_config=dict(type="list", elements="dict", aliases=["ipam"], options=dict(
                subnet=dict(type="str", required=True),
                gateway=dict(type="str"),
                iprange=dict(type="str"),
            )),
            internal=dict(type="bool"),
            attachable=dict(type="bool"),
            enable_ipv6=dict(type="bool"),
            force=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    run_module(module, network_task)


if __name__ == "__main__":
    main()
