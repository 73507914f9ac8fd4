#!/usr/bin/python
# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: container
short_description: A container as desired state (C(docker run -d --name -p -v))
version_added: 0.1.0
description:
  - Makes sure a container exists with the given configuration and is running, created, stopped or gone.
  - Only the options a task gives are managed; an option not given is left as it is. In particular what
    the image provides (its CMD, ENTRYPOINT, ENV, EXPOSE, labels, volumes, healthcheck) is never drift.
  - A managed option that differs recreates the container. Memory, CPUs and the restart policy are
    changed in place instead (the container keeps its id), except that removing a memory or CPU limit
    (V(0)) recreates the container, as the engine cannot remove a limit in place.
  - Option names follow C(community.docker.docker_container) where the concept is the same; the names of
    C(docker run) and Compose are aliases (O(dns_servers) is also C(dns), O(etc_hosts) also C(extra_hosts),
    O(exposed_ports) also C(expose)), so that a task ports by renaming its module.
notes:
  - "A recreate keeps the old container until the new one runs: the new container is created under a
    temporary name, the old one is stopped (it may hold the host ports) and renamed aside, the new one
    takes the name and is started (and waited for, with O(wait)), and only then is the old one removed.
    When the new container cannot start (or does not pass O(wait)), it is removed and the old one gets
    its name back and runs again if it ran; the task fails and says so."
  - "A recreate keeps the old container's data: named volumes and bind mounts stay, and its anonymous
    volumes (from O(volumes) entries such as V(/data), O(mounts) of type V(volume) without a source,
    and the image's C(VOLUME)) are mounted into the new container at the same paths, as Docker Compose
    does. They are not removed with the old container, nor with O(state=absent)."
  - "Options the task does not give are carried over from the old container on a recreate (not given
    means as it is), except what came from its image or the engine's defaults. C(actions) and the diff
    name them, e.g. C(kept from the old container: published_ports). Nothing is carried over from a
    container the engine could not start and that never ran (a port taken, bad log options): a task
    that wants it started makes it anew from the task alone."
  - "Check mode pulls nothing: with O(pull=always) the registry is asked, and a pull that would bring
    another image predicts the recreate it causes."
  - "When the task fails, it still reports C(changed) and the C(actions) done before the failure. A
    container the task created and could not start is removed, never left behind."
  - "Podman (4.3 and later, through its Docker-compatible API) is read as Docker is: what it fills in
    (environment, ulimits, healthcheck timeout, stop signal, network names) is its default, not a
    change. Its API does not report O(log_options), O(sysctls), O(cap_drop), O(devices) permissions,
    O(domainname) or O(mounts) as given: on Podman these are not compared, so a change of one of them
    alone does not recreate the container (set O(recreate=true) for it)."
  - "The collection works with Engine API 1.41 (Docker 20.10) and later. An option whose description
    says it needs a newer API (O(annotations), O(healthcheck.start_interval)) fails the task before anything is done
    (in check mode too) when the engine, or O(api_version) when given, is older, or when it is Podman
    and the description says Podman does not implement it; the message names the option, the engine
    and its version."
author:
  - kapal.docker maintainers (@kapal)
extends_documentation_fragment:
  - kapal.docker.engine
options:
  name:
    description: Name of the container.
    type: str
    required: true
  state:
    description:
      - V(started) creates the container if needed and makes sure it runs.
      - V(present) creates it if needed and leaves its running state as it is (a new one is not started).
      - V(stopped) creates it if needed and makes sure it does not run.
      - V(absent) removes it (its anonymous volumes are kept).
    type: str
    choices: [started, present, stopped, absent]
    default: started
  restart:
    description: Restart the container even if nothing changed (with O(state=started)); reports a change.
    type: bool
    default: false
  recreate:
    description: Recreate the container even if nothing changed.
    type: bool
    default: false
  pull:
    description:
      - When to pull O(image). V(missing) pulls only when the image is not present, V(always) pulls every time
        (a pull that brings a new image recreates the container), V(never) fails when it is not present.
      - C(community.docker)'s spelling is taken too, V(true) as V(always) and V(false) as V(missing).
      - Check mode never pulls; an image that is not present is predicted as a change.
    type: raw
    default: missing
  wait:
    description:
      - After starting, wait until the container is V(running) (and still running a second later) or
        V(healthy) (its healthcheck passes). Fails with the container's last log lines or health output.
      - Not done in check mode.
    type: str
    choices: [running, healthy]
  wait_timeout:
    description: Seconds to wait for O(wait).
    type: int
    default: 60
  comparisons:
    description:
      - How each option is compared with the running container, as a dictionary from option name to
        V(strict) (equal), V(ignore) (never drift) or V(allow_more_present) (the container may have more
        list items or dictionary keys than given). The key V(*) sets the mode of every option.
      - By default every given option is compared V(strict).
    type: dict
  image:
    description:
      - The image to run, C(repository[:tag][@digest]). Required when the container does not exist.
      - The container is compared by image id, so a tag that moved to a new image recreates it.
    type: str
  command:
    description:
      - The command, as a string (split like a shell does) or a list. When not given, the image's CMD.
      - An empty command (V([]) or V("")) is the engine's choice, as with C(docker run) - the image's CMD,
        or no arguments at all when the container has an entrypoint of its own - and is compared so.
    type: raw
  entrypoint:
    description: The entrypoint, as a string or a list. When not given, the image's ENTRYPOINT.
    type: raw
  env:
    description:
      - Environment variables. Values must be strings, numbers or booleans (made strings).
      - Compared with the image's ENV merged under them, as the engine merges them.
    type: dict
  env_file:
    description:
      - A file of environment variables on the managed host, merged under O(env), read as
        C(docker run --env-file) reads it.
      - One C(NAME=value) a line; the value is taken exactly as written (no quotes removed, trailing
        spaces kept), leading white space of a line is ignored, and lines starting with C(#) are comments.
      - A line with a bare C(NAME) takes the value of that variable in the environment the module runs in
        (for example set with the task's C(environment)); without such a variable the line is skipped.
    type: path
  published_ports:
    description:
      - Ports to publish, C([ip:][host_port:]container_port[/tcp|udp|sctp]), e.g. C(8080:80), C(127.0.0.1:53:53/udp),
        C([::1]:8080:80), ranges C(9000-9002:9000-9002), or C(80) (or a host port of C(0), C(127.0.0.1:0:80)) for a
        random host port.
      - The host IP must be an IPv4 or IPv6 address; anything else fails the task (never publishes on every interface).
    type: list
    elements: str
    aliases: [ports]
  volumes:
    description:
      - Volumes, C(/host/path:/container/path[:mode]) (a bind mount), C(name:/container/path[:mode])
        (a named volume, created by the engine if needed) or C(/container/path) (an anonymous volume).
      - The mode is C(docker run -v)'s, words joined by commas, at most one of each kind - V(ro) or V(rw);
        V(z) or V(Z) (SELinux label); for bind mounts a propagation, V(rprivate) (the default), V(private),
        V(rshared), V(shared), V(rslave) or V(slave); V(consistent), V(cached) or V(delegated); for named
        volumes V(nocopy). For example C(/srv/conf:/etc/app:ro,z).
      - Modes are compared in any order and without the defaults the engine adds (C(rw), C(rprivate), and the
        C(rbind) Podman reports).
      - The host path of a bind mount must be absolute; a relative one (C(./data)) is refused, because a module
        cannot know the playbook's directory. Use C({{ playbook_dir }}/data).
    type: list
    elements: str
  mounts:
    description: Mounts in the long form, for tmpfs and read-only mounts.
    type: list
    elements: dict
    suboptions:
      type:
        description: Kind of mount.
        type: str
        choices: [bind, volume, tmpfs]
        default: volume
      source:
        description: Host path (bind) or volume name (volume); none for tmpfs.
        type: str
      target:
        description: Path in the container.
        type: str
        required: true
      read_only:
        description: Mount read-only.
        type: bool
        default: false
      tmpfs_size:
        description: Size of a tmpfs mount, e.g. C(64m).
        type: str
  labels:
    description: Labels; compared with the image's labels merged under them.
    type: dict
  annotations:
    description:
      - Annotations (C(docker run --annotation)), passed to the OCI runtime with the container.
      - Needs Docker API 1.43 or later (Docker 24.0).
      - On Podman (5.8, which reports API 1.44), what Podman adds itself (C(io.container.manager), stop signal and
        timeout) is its default, not a change.
    type: dict
  restart_policy:
    description:
      - What the engine does when the container stops, V(no), V(on-failure), V(always) or V(unless-stopped);
        C(docker run)'s V(on-failure:3) sets O(restart_retries) too. Changed in place.
      - A policy other than V(on-failure) has no retry count; changing to one sets the count to 0, as
        C(docker update --restart) does.
    type: str
  restart_retries:
    description:
      - How many times V(on-failure) restarts the container (V(0) is no limit). Changed in place.
      - Above 0 only together with O(restart_policy=on-failure) in the same task.
    type: int
  healthcheck:
    description:
      - The healthcheck; fields not given come from the image's healthcheck.
      - Diffs show its durations as durations (C(10s)).
    type: dict
    suboptions:
      test:
        description:
          - The check, a shell command string or a list (C([CMD, ...]), C([CMD-SHELL, ...]), or a plain argv).
          - V([NONE]) disables the image's healthcheck.
        type: raw
      interval:
        description: Time between checks, e.g. C(30s), C(1m30s).
        type: str
      timeout:
        description: Time a check may take.
        type: str
      retries:
        description: Failures in a row that make the container unhealthy.
        type: int
      start_period:
        description: Time after start during which failures do not count.
        type: str
      start_interval:
        description:
          - Time between checks during O(healthcheck.start_period).
          - Needs Docker API 1.44 or later (Docker 25.0). Podman does not implement it (5.8 reports API 1.44
            but drops it), so on Podman the task fails.
        type: str
  networks:
    description:
      - Networks to connect the container to; the first one is its network mode. Compared by name,
        aliases and address. Each network must exist (see M(kapal.docker.network)).
    type: list
    elements: dict
    suboptions:
      name:
        description: Network name.
        type: str
        required: true
      aliases:
        description: Network-scoped aliases.
        type: list
        elements: str
      ipv4_address:
        description: A fixed IPv4 address on the network.
        type: str
  network_mode:
    description:
      - V(bridge), V(host), V(none), C(container:<name>) or a network name. Not with O(networks).
      - V(default) is the engine's default network, V(bridge), and is compared as V(bridge).
    type: str
  hostname:
    description: Host name inside the container.
    type: str
  user:
    description: User (and group) the command runs as, C(user[:group]).
    type: str
  working_dir:
    description: Working directory of the command.
    type: str
  init:
    description: Run an init process (tini) as PID 1 that reaps zombies and forwards signals.
    type: bool
  memory:
    description:
      - Memory limit, e.g. C(512m), C(1g), C(1GiB), C(64mb) (every unit is binary, as for C(docker run --memory));
        V(0) for none.
      - Raised or lowered in place; removing the limit (V(0) on a limited container) recreates the container,
        as the engine cannot remove a limit in place.
    type: str
  cpus:
    description:
      - CPU limit as a number of CPUs, e.g. C(0.5); V(0) for none.
      - Changed in place; removing the limit (V(0) on a limited container) recreates the container.
    type: str
  log_driver:
    description: Logging driver, e.g. C(json-file), C(local), C(none).
    type: str
  log_options:
    description: Options of the logging driver, e.g. C(max-size).
    type: dict
  stop_signal:
    description: Signal that stops the container, e.g. C(SIGTERM).
    type: str
  stop_timeout:
    description: Seconds to wait after the stop signal before killing the container.
    type: int
  privileged:
    description:
      - Run the container privileged (C(docker run --privileged)) - every capability, every host device,
        no seccomp or AppArmor confinement - for example to run Docker Engine inside it.
    type: bool
  capabilities:
    description:
      - Linux capabilities to add to the engine's default set (C(--cap-add)), e.g. V(NET_ADMIN) or V(ALL).
      - Names are compared upper case with the C(CAP_) prefix, whichever spelling is given; the engine's
        default capabilities are not part of the comparison.
    type: list
    elements: str
  cap_drop:
    description: Linux capabilities to drop from the engine's default set (C(--cap-drop)), e.g. V(MKNOD) or V(ALL).
    type: list
    elements: str
  devices:
    description:
      - Host devices to give the container, C(/dev/host[:/dev/container][:permissions]) with cgroup permissions
        made of C(r), C(w) and C(m) (default C(rwm)), e.g. C(/dev/fuse) or C(/dev/sdb:/dev/xvdb:r).
    type: list
    elements: str
  ulimits:
    description:
      - Resource limits, C(name:soft[:hard]) (hard defaults to soft; V(-1) is unlimited), e.g. C(nofile:1024:2048).
      - Compared with the container's own ulimits; limits the engine's C(default-ulimits) would add are not known
        to the module, so keep those out of the daemon configuration or give them here.
    type: list
    elements: str
  tmpfs:
    description: tmpfs mounts, C(/container/path[:mount options]), e.g. C(/run:size=64m,mode=1777).
    type: list
    elements: str
  read_only:
    description: Mount the container's root filesystem read-only.
    type: bool
  sysctls:
    description: Namespaced kernel parameters, e.g. C(net.core.somaxconn). Values are made strings.
    type: dict
  pid_mode:
    description: PID namespace, V(host) or C(container:<name|id>); an empty string is the container's own.
    type: str
  shm_size:
    description: Size of C(/dev/shm), e.g. C(128m); when not given, the engine's default (C(64m)).
    type: str
  auto_remove:
    description:
      - Let the engine remove the container when it stops (C(docker run --rm)); the next run creates it again.
      - Not with a O(restart_policy) other than V(no).
    type: bool
  domainname:
    description: Domain name of the container (C(docker run --domainname)).
    type: str
  dns_servers:
    description: DNS servers, IP addresses in the order they are asked (C(docker run --dns)).
    type: list
    elements: str
    aliases: [dns]
  dns_search_domains:
    description: DNS search domains, in order (C(docker run --dns-search)).
    type: list
    elements: str
    aliases: [dns_search]
  dns_opts:
    description: Resolver options, e.g. C(ndots:2) (C(docker run --dns-option)).
    type: list
    elements: str
    aliases: [dns_option, dns_opt]
  etc_hosts:
    description:
      - Entries added to the container's C(/etc/hosts) (C(docker run --add-host)), as a dictionary
        of names to addresses (community.docker's form) or a list of C(name:ip) (Compose's C(extra_hosts)).
      - The address is an IPv4 or IPv6 address, or V(host-gateway) (the host's address on the bridge).
      - Compared as a set of entries, whichever form is given.
    type: raw
    aliases: [extra_hosts]
  exposed_ports:
    description:
      - Container ports to expose without publishing them (C(docker run --expose)), C(port[-end][/tcp|udp|sctp]).
      - Compared with the ports the image EXPOSEs and the published ports (O(published_ports), given or carried over)
        added, as the engine exposes those too; a port the task no longer gives recreates the container.
    type: list
    elements: str
    aliases: [exposed, expose]
attributes:
  check_mode:
    support: full
    description: Plans from the engine's real state and reports the same C(changed) as a real run; makes no change and pulls nothing.
  diff_mode:
    support: full
    description: Before and after of the options that differ, and of the running state when it changes.
  idempotent:
    support: full
    description: A second run of the same task reports no change (unless O(restart), O(recreate) or O(pull=always) with a new image).
seealso:
  - module: kapal.docker.containers
    description: The same desired state for many containers in one task.
  - module: kapal.docker.container_info
    description: Facts about containers (C(docker ps), C(docker inspect)).
  - name: Docker Engine API, containers
    description: The create, inspect and update calls behind the options.
    link: https://docs.docker.com/engine/api/v1.41/#tag/Container
"""

EXAMPLES = r"""
- name: docker run -d --name web -p 8080:80 (busybox serving a directory)
  kapal.docker.container:
    name: web
    image: kapal-test/busybox:latest
    command: httpd -f -p 80 -h /var/www
    published_ports:
      - "8080:80"
    wait: running

- name: A database with its data on a named volume, restarted by the engine, limited in memory
  kapal.docker.container:
    name: db
    image: registry.example.com/postgres:16
    env:
      POSTGRES_PASSWORD: "{{ db_password }}"
    volumes:
      - pgdata:/var/lib/postgresql/data
      - /etc/db/conf.d:/etc/postgresql/conf.d:ro
    restart_policy: unless-stopped
    memory: 1g
    healthcheck:
      test: pg_isready -U postgres
      interval: 10s
    wait: healthy

- name: Keep the container on whatever image it runs; only its environment is managed
  kapal.docker.container:
    name: worker
    env:
      QUEUE: high
    comparisons:
      image: ignore

- name: Docker Engine inside a privileged container (docker-in-docker)
  kapal.docker.container:
    name: dind
    image: registry.example.com/debian-dockerd:bookworm
    command: dockerd --host unix:///var/run/docker.sock
    privileged: true
    tmpfs:
      - /run
    volumes:
      - dind-data:/var/lib/docker

- name: A hardened worker - read-only root, fewer capabilities, its own limits
  kapal.docker.container:
    name: worker
    image: registry.example.com/worker:2
    read_only: true
    cap_drop: [ALL]
    capabilities: [NET_BIND_SERVICE]
    tmpfs:
      - /tmp:size=64m
    ulimits:
      - nofile:1024:2048
    sysctls:
      net.core.somaxconn: 1024
    shm_size: 128m

- name: Remove it
  kapal.docker.container:
    name: web
    state: absent
"""

RETURN = r"""
container:
  description:
    - The container's C(docker inspect) answer after the task; in check mode, before it.
    - None when the container is absent (or would be created in check mode).
    - After a failure, the container as it is then.
  returned: always
  type: dict
  sample: {Id: "3f2a9c...", Name: /web, State: {Status: running, Running: true}, Config: {Image: "kapal-test/busybox:latest"}}
actions:
  description:
    - What was done (or would be done in check mode), in order. A recreate also says which options it keeps
      from the old container and which anonymous volumes it hands on.
    - After a failure, what was done before it (and how it was undone).
  returned: always
  type: list
  elements: str
  sample: ["pull: kapal-test/busybox:latest", "recreate: image, env changed", "kept from the old container: published_ports",
           "kept the old container's anonymous volumes: /data", "start"]
"""

from ansible_collections.kapal.docker.plugins.module_utils._container.options import MUTUALLY_EXCLUSIVE, argument_spec
from ansible_collections.kapal.docker.plugins.module_utils._container.tasks import container_task
from ansible_collections.kapal.docker.plugins.module_utils._module import engine_module, run_module


def main():
    module = engine_module(argument_spec(), supports_check_mode=True,
                           mutually_exclusive=[list(group) for group in MUTUALLY_EXCLUSIVE])
    run_module(module, container_task)


if __name__ == "__main__":
    main()
