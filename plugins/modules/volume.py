#!/usr/bin/python
# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: volume
short_description: Named volumes (C(docker volume create), C(docker volume rm))
version_added: 0.1.0
description:
  - Makes sure a named volume exists with the given driver, driver options and labels, or
    that it does not exist.
  - A volume cannot be changed once made. When an existing volume differs from what is
    asked, the task fails and names the option, unless O(recreate) allows replacing it.
  - A volume that a container uses (running or not) is never removed; the task fails and
    names the containers.
author:
  - kapal.docker maintainers (@kapal)
extends_documentation_fragment:
  - kapal.docker.engine
options:
  name:
    description: Name of the volume.
    type: str
    required: true
    aliases: [volume_name]
  state:
    description: Whether the volume should exist.
    type: str
    choices: [present, absent]
    default: present
  driver:
    description: Volume driver. Compared with the existing volume's driver.
    type: str
    default: local
  driver_options:
    description:
      - Options for the driver, such as C(type), C(device) and C(o) for the C(local) driver
        (C(docker volume create --opt)).
      - When given, they must equal the existing volume's options; when not given, the
        existing volume's options are left as they are.
    type: dict
  labels:
    description:
      - Labels of the volume. When given, they must equal the existing volume's labels;
        when not given, the existing volume's labels are left as they are.
    type: dict
  recreate:
    description:
      - What to do with an existing volume that differs from what is asked.
      - V(never) fails and names the first option that differs.
      - V(options-changed) removes the volume and creates it again (its data is lost).
      - V(always) removes and creates the volume on every run.
      - A volume in use by a container is never removed, whatever this says.
    type: str
    choices: [never, options-changed, always]
    default: never
attributes:
  check_mode:
    support: full
    description: Check mode reports what would change, and fails as a real run would, without changing anything.
  diff_mode:
    support: full
    description: The volume's name, driver, driver options and labels, before and after.
  idempotent:
    support: full
    description: A second run with the same options reports no change, unless O(recreate=always).
seealso:
  - module: kapal.docker.engine_info
    description: List every volume of the engine.
  - name: Docker Engine API, volumes
    description: The C(/volumes) endpoints this module uses.
    link: https://docs.docker.com/engine/api/v1.41/#tag/Volume
"""

EXAMPLES = r"""
- name: A named volume for a database's data (docker volume create pgdata)
  kapal.docker.volume:
    name: pgdata
    labels:
      com.example.app: billing

- name: A volume kept in memory
  kapal.docker.volume:
    name: scratch
    driver_options:
      type: tmpfs
      device: tmpfs
      o: size=64m
    recreate: options-changed

- name: Remove a volume (fails if a container still uses it)
  kapal.docker.volume:
    name: old-cache
    state: absent
"""

RETURN = r"""
volume:
  description:
    - The volume's C(docker volume inspect) answer, as the engine gives it, after the task;
      null when there is no volume.
    - In check mode, the volume as it is now.
  returned: always
  type: dict
  sample:
    Name: pgdata
    Driver: local
    Mountpoint: /var/lib/docker/volumes/pgdata/_data
    Labels: {com.example.app: billing}
    Options: null
    Scope: local
    CreatedAt: "2026-11-27T19:10:00Z"
"""

from ansible_collections.kapal.docker.plugins.module_utils._module import engine_module, run_module
from ansible_collections.kapal.docker.plugins.module_utils._volumes import RECREATE_POLICIES, volume_task


def main():
    module = engine_module(
        dict(
            name=dict(type="str", required=True, aliases=["volume_name"]),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            driver=dict(type="str", default="local"),
            driver_options=dict(type="dict"),
            labels=dict(type="dict"),
            recreate=dict(type="str", choices=list(RECREATE_POLICIES), default="never"),
        ),
        supports_check_mode=True,
    )
    run_module(module, volume_task)


if __name__ == "__main__":
    main()
