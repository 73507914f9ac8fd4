#!/usr/bin/python
# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: compose
short_description: Compose projects applied through the Engine API, without the Compose CLI
version_added: 0.1.0
description:
  - Reads a Compose project (C(compose.yaml) and its override file, or the given files, or an inline
    definition; override files merged, C(extends), profiles, interpolation from the environment and the
    C(.env) file) and makes its networks, named volumes and containers so, through the same planner as
    M(kapal.docker.containers). No C(docker compose) CLI is involved.
  - Names and labels are the ones the Compose CLI gives (C(<project>-<service>-<n>), C(<project>_<network>),
    C(com.docker.compose.project), C(.service), C(.container-number), C(.config-hash)...), so that
    C(docker compose ps) and C(down) see the project.
  - A container whose C(com.docker.compose.config-hash) label is the service's (made by this module or by
    C(docker compose up -d)) is kept as it is; only its image and running state are compared. Any other
    container of a service is compared option by option and recreated when it differs.
  - Services start in dependency order (C(depends_on)); a dependency with the condition C(service_healthy) is
    waited for until healthy, one with C(service_completed_successfully) until it exited with code 0. As with
    C(docker compose up), the containers of dependent services are created (not started) meanwhile, and removed
    again if a dependency fails; the containers of one dependency layer are created and started together.
  - The engine's state (the project's containers, images, networks) is read once per task, and every dependency
    layer is planned from it; only what a layer waits for is read again.
  - A service that depends on another with C(restart) set to true is restarted after the task created, recreated or
    restarted a container of that dependency, as the Compose CLI does (unless its own container is made anew).
  - Everything is read and checked before anything changes; a bad file, an unknown or unsupported key, a
    cycle in C(depends_on) or an undefined required variable fails in one line naming the file and the
    place. A key the module does not support is refused, never ignored.
  - Existing project networks and volumes are used as they are; a network that exists with other options
    than the file gives fails the task (the engine cannot change a network).
  - A service with a C(build) section runs the image named by its C(image), or C(<project>-<service>), built
    by the rules of M(kapal.docker.image_build) (a hash of the Dockerfile, the context and the build arguments
    stamped on the image) as O(build) says. In check mode nothing is built.
  - The variables of the module's environment (the task's C(environment)) take precedence over the
    O(env_files) in interpolation, as the shell's do for the Compose CLI.
author:
  - kapal.docker maintainers (@kapal)
extends_documentation_fragment:
  - kapal.docker.engine
options:
  project_src:
    description:
      - The project directory. Without O(files) or O(definition), the first of C(compose.yaml),
        C(compose.yml), C(docker-compose.yml), C(docker-compose.yaml) in it, and its override file
        (C(compose.override.yaml)...) are read.
      - Relative paths in the files (bind mounts, C(env_file)) and relative O(files) and O(env_files) are
        resolved against it; its name is the project name when nothing else gives one.
    type: path
  files:
    description:
      - The Compose files, merged in this order (later files override earlier ones).
    type: list
    elements: path
  definition:
    description:
      - The Compose project inline, as a dictionary with the layout of a Compose file.
      - Give O(project_name) (or a C(name) key) with it.
    type: dict
  project_name:
    description:
      - The project name. Default, as with the Compose CLI, C(COMPOSE_PROJECT_NAME), the files' C(name), then
        the project directory's name.
    type: str
  env_files:
    description:
      - The files of variables for interpolation. Default C(<project_src>/.env) when it exists.
    type: list
    elements: path
  profiles:
    description:
      - The active profiles. Default C(COMPOSE_PROFILES) from the environment or the env files.
    type: list
    elements: str
  services:
    description:
      - Only these services (and the services they depend on). Default all services of the active profiles.
    type: list
    elements: str
  state:
    description:
      - V(present) creates what is missing, recreates what differs and starts every container.
      - V(stopped) stops the containers (dependents first); missing ones are created, not started.
      - V(restarted) is V(present), then restarts every container that was not just created or recreated.
      - V(absent) removes the containers of the project's services (dependents first) and the project's
        networks; with O(remove_volumes) also its named volumes and the containers' anonymous volumes.
        With O(services), only those services' containers are removed.
    type: str
    choices: [present, stopped, restarted, absent]
    default: present
  pull:
    description:
      - When to pull images. V(missing) pulls an image that is not present, V(always) pulls when the registry
        has another image under the name, V(never) fails when an image is not present.
      - Default the service's C(pull_policy), else V(missing). In check mode nothing is pulled; a pull is
        predicted from the registry's manifest.
      - Not used for services with a C(build) section (their image is built, never pulled).
    type: str
    choices: [missing, always, never]
  build:
    description:
      - When the images of services with a C(build) section are built. V(missing) builds an image that is not
        present, V(always) builds every time (an unchanged build gives the same image, and no change), V(never)
        fails when an image is not present.
    type: str
    choices: [missing, always, never]
    default: missing
  recreate:
    description:
      - V(auto) recreates a container whose configuration (its config hash) or image differs, V(always) every
        container, V(never) none (existing containers are only started or stopped).
    type: str
    choices: [auto, always, never]
    default: auto
  remove_orphans:
    description:
      - Remove the project's containers of services the files do not define.
    type: bool
    default: false
  remove_volumes:
    description:
      - With O(state=absent), also remove the project's named volumes and the containers' anonymous volumes.
    type: bool
    default: false
  wait:
    description:
      - Wait until every started container runs, and is healthy when its service has a healthcheck.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for one container (with O(wait), and for C(depends_on) conditions).
    type: int
    default: 60
attributes:
  check_mode:
    support: full
    description: Nothing is pulled, built or created; the plan of every container, network and volume is reported from the engine's real state.
  diff_mode:
    support: full
    description: A before/after per container (headed by its name and service) naming the options that differ, and per network or volume made or removed.
  idempotent:
    support: full
    description: A second run of the same task reports no change.
notes:
  - Not supported yet, and refused when a file uses it. Remote build contexts, the C(build) keys other than
    C(context), C(dockerfile), C(args), C(target) and C(labels), and the other keys and values the error message
    names.
seealso:
  - module: kapal.docker.containers
    description: The planner this module applies a project with.
  - module: kapal.docker.image_build
    description: How the images of services with a C(build) section are built.
"""

EXAMPLES = r"""
- name: Bring up the project in /srv/shop (compose.yaml, compose.override.yaml, .env)
  kapal.docker.compose:
    project_src: /srv/shop
    wait: true

- name: Only the production profile, with an extra file
  kapal.docker.compose:
    project_src: /srv/shop
    files: [compose.yaml, compose.prod.yaml]
    profiles: [prod]

- name: An inline project
  kapal.docker.compose:
    project_name: hello
    definition:
      services:
        web:
          image: kapal-test/busybox:latest
          command: httpd -f -p 80 -h /www
          ports: ["8081:80"]

- name: Stop it
  kapal.docker.compose:
    project_src: /srv/shop
    state: stopped

- name: Remove it with its volumes
  kapal.docker.compose:
    project_src: /srv/shop
    state: absent
    remove_volumes: true
"""

RETURN = r"""
project:
  description: The project name.
  returned: always
  type: str
  sample: shop
services:
  description:
    - Per service of the project (those selected, with their dependencies), after the task (before it in
      check mode).
  returned: always
  type: dict
  sample:
    web: {changed: true, containers: [shop-web-1], state: running, image: "nginx:1.27",
          published_ports: ["0.0.0.0:8081->80/tcp"]}
  contains:
    changed:
      description: Whether a container of the service changed (or would change in check mode).
      type: bool
    containers:
      description: The names of the service's containers.
      type: list
      elements: str
    state:
      description: The containers' C(State.Status) (C(running), C(exited), C(created)...), C(mixed) when they
        differ, C(absent) when there is none.
      type: str
    image:
      description: The image the service runs.
      type: str
    published_ports:
      description: The published ports of its running containers, as C(docker ps) shows them.
      type: list
      elements: str
containers:
  description:
    - One result per container (see the C(containers) of M(kapal.docker.containers)), also those removed
      (replicas beyond the scale, orphans). Also when the task fails; C(error) says why an item failed.
  returned: always
  type: list
  elements: dict
  sample: [{name: shop-web-1, changed: true, actions: [create, start], error: null, container: {Id: "3f2a9c..."}}]
networks:
  description: The project's networks and what was done to them (C(create), C(remove) or C(none)).
  returned: always
  type: list
  elements: dict
  sample: [{name: shop_default, action: create}]
volumes:
  description: The project's named volumes and what was done to them (C(create), C(remove) or C(none)).
  returned: always
  type: list
  elements: dict
  sample: [{name: shop_data, action: none}]
images:
  description: The images of services with a C(build) section, whether they were built and whether that changed them.
  returned: always
  type: list
  elements: dict
  sample: [{service: app, image: shop-app, built: true, changed: true}]
project_warnings:
  description: What the Compose reader warns about, e.g. a variable that is not set, or the obsolete C(version) key.
  returned: always
  type: list
  elements: str
  sample: ['The "TAG" variable is not set. Defaulting to a blank string.']
"""

from ansible_collections.kapal.docker.plugins.module_utils._compose.apply import compose_task
from ansible_collections.kapal.docker.plugins.module_utils._module import engine_module, run_module

ARGUMENT_SPEC = dict(
    project_src=dict(type="path"),
    files=dict(type="list", elements="path"),
    definition=dict(type="dict"),
    project_name=dict(type="str"),
    env_files=dict(type="list", elements="path"),
    profiles=dict(type="list", elements="str"),
    services=dict(type="list", elements="str"),
    state=dict(type="str", choices=["present", "stopped", "restarted", "absent"], default="present"),
    pull=dict(type="str", choices=["missing", "always", "never"]),
    build=dict(type="str", choices=["missing", "always", "never"], default="missing"),
    recreate=dict(type="str", choices=["auto", "always", "never"], default="auto"),
    remove_orphans=dict(type="bool", default=False),
    remove_volumes=dict(type="bool", default=False),
    wait=dict(type="bool", default=False),
    wait_timeout=dict(type="int", default=60),
)


def main():
    module = engine_module(ARGUMENT_SPEC, supports_check_mode=True, mutually_exclusive=[("files", "definition")],
                           required_one_of=[("project_src", "files", "definition")])
    run_module(module, compose_task)


if __name__ == "__main__":
    main()
