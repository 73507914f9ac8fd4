# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Compose service as kapal.docker.container parameters, with Compose's names and labels.

``container_params(project, service, number)`` gives the parameters of one container (replica
``number``, from 1) under the option names of ``_container.options.OPTIONS``; ``network_params``
and ``volume_params`` the project's networks and volumes as kapal.docker.network / volume would
take them. Names and labels are the Compose CLI's (``<project>-<service>-<n>``,
``<project>_<network>``, ``com.docker.compose.*``) so that ``docker compose ps`` and ``down``
see the project. The table ``OPTION_MAP`` is the whole mapping: one row per container option.
"""

from __future__ import annotations

import struct

from ansible_collections.kapal.docker.plugins.module_utils._compose.confighash import service_hash
from ansible_collections.kapal.docker.plugins.module_utils._compose.model import ComposeError, fail
from ansible_collections.kapal.docker.plugins.module_utils._parse import format_duration

LABEL_PREFIX = "com.docker.compose."
PROJECT_LABEL = LABEL_PREFIX + "project"
SERVICE_LABEL = LABEL_PREFIX + "service"
NUMBER_LABEL = LABEL_PREFIX + "container-number"
ONEOFF_LABEL = LABEL_PREFIX + "oneoff"
WORKING_DIR_LABEL = LABEL_PREFIX + "project.working_dir"
CONFIG_FILES_LABEL = LABEL_PREFIX + "project.config_files"
ENV_FILE_LABEL = LABEL_PREFIX + "project.environment_file"
CONFIG_HASH_LABEL = LABEL_PREFIX + "config-hash"
DEPENDS_ON_LABEL = LABEL_PREFIX + "depends_on"
IMAGE_LABEL = LABEL_PREFIX + "image"
VERSION_LABEL = LABEL_PREFIX + "version"
NETWORK_LABEL = LABEL_PREFIX + "network"
VOLUME_LABEL = LABEL_PREFIX + "volume"
# Labels whose value the Compose CLI sets from things outside the file (its version, the image id it
# pulled, the container it replaced) or in an order of its own: compare them leniently on adoption.
VOLATILE_LABELS = (VERSION_LABEL, IMAGE_LABEL, DEPENDS_ON_LABEL, LABEL_PREFIX + "replace")


def container_name(project, service, number=1):
    """``container_name`` when the file gives one, else ``<project>-<service>-<number>``."""
    if service.container_name:
        if service.scale > 1:
            raise fail(project.config_files[0] if project.config_files else "definition",
                       "services.%s.container_name" % service.name,
                       "a service with container_name cannot have more than one replica")
        return service.container_name
    return "%s-%s-%d" % (project.name, service.name, number)


def image_name(project, service):
    """The service's image, or the name Compose gives the image it builds: ``<project>-<service>``."""
    return service.image or "%s-%s" % (project.name, service.name)


def _unsupported(project, service, key, what):
    return fail(project.config_files[-1] if project.config_files else "definition",
                "services.%s.%s" % (service.name, key), "%s is not supported by kapal.docker" % what)


def _port(port):
    if port.host_ip:
        ip = "[%s]" % port.host_ip if ":" in port.host_ip else port.host_ip
        return "%s:%s:%d/%s" % (ip, port.published, port.target, port.protocol)
    if port.published:
        return "%s:%d/%s" % (port.published, port.target, port.protocol)
    return "%d/%s" % (port.target, port.protocol)


def _reference(project, value):
    """``service:<name>`` -> ``container:<its first container>``; anything else as it is."""
    if value and value.startswith("service:"):
        target = project.services[value[len("service:"):]]
        return "container:" + container_name(project, target, 1)
    return value


def _volumes_and_mounts(project, service):
    """Compose's split: binds and plain named volumes in HostConfig.Binds, the rest as mounts."""
    volumes, mounts = [], []
    for spec in service.volumes:
        mode = ":ro" if spec.read_only else ""
        if spec.type == "bind":
            if spec.propagation:
                raise _unsupported(project, service, "volumes", "bind propagation (%s)" % spec.propagation)
            if spec.selinux:
                raise _unsupported(project, service, "volumes", "the SELinux relabel option %s" % spec.selinux)
            if spec.create_host_path:
                volumes.append("%s:%s%s" % (spec.source, spec.target, mode))
            else:
                mounts.append(dict(type="bind", source=spec.source, target=spec.target, read_only=spec.read_only))
        elif spec.type == "volume" and spec.source:
            if spec.nocopy:
                raise _unsupported(project, service, "volumes", "nocopy")
            volumes.append("%s:%s%s" % (project.volumes[spec.source].name, spec.target, mode))
        elif spec.type == "volume":
            mounts.append(dict(type="volume", target=spec.target, read_only=spec.read_only))
        else:
            if spec.tmpfs_mode is not None:
                raise _unsupported(project, service, "volumes", "tmpfs mode")
            mount = dict(type="tmpfs", target=spec.target, read_only=spec.read_only)
            if spec.tmpfs_size:
                mount["tmpfs_size"] = str(spec.tmpfs_size)
            mounts.append(mount)
    for kind, defined, file_mounts in (("secrets", project.secrets, service.secrets),
                                       ("configs", project.configs, service.configs)):
        for file_mount in file_mounts:
            mounts.append(dict(type="bind", source=defined[file_mount.source].file, target=file_mount.target,
                               read_only=True))
    return sorted(volumes), sorted(mounts, key=lambda m: m["target"])


def _networks(project, service, name):
    networks = []
    for network in service.networks:
        aliases = set([name, service.name]) | set(network.aliases)
        networks.append(dict(name=project.networks[network.key].name, aliases=sorted(aliases),
                             ipv4_address=network.ipv4_address))
    return networks


def _float32(value):
    return struct.unpack("f", struct.pack("f", value))[0]


def nano_cpus(cpus):
    """NanoCpus as the Compose CLI computes them (float32 arithmetic, truncated)."""
    return int(_float32(_float32(cpus) * _float32(1e9)))


def _cpus(service):
    if not service.cpus:
        return None
    nano = nano_cpus(service.cpus)
    return "%d.%09d" % divmod(nano, 10 ** 9)


def _healthcheck(service):
    health = service.healthcheck
    if health is None:
        return None
    result = {}
    if health.test is not None:
        result["test"] = list(health.test)
    for key in ("interval", "timeout", "start_period"):
        value = getattr(health, key)
        if value is not None:
            result[key] = format_duration(value)
    if health.retries is not None:
        result["retries"] = health.retries
    return result


def _etc_hosts(project, service):
    hosts = {}
    for host, ip in service.extra_hosts:
        if hosts.get(host, ip) != ip:
            raise _unsupported(project, service, "extra_hosts", "more than one address for %s" % host)
        hosts[host] = ip
    return hosts or None


def _restart(service, index):
    restart = service.restart or ("no", 0)
    return restart[index]


def _given(value):
    return value if value else None


# One row per kapal.docker.container option: (option, value from (project, service, context)).
# A value of None leaves the option out (not compared: the image's or the engine's default).
# dns_servers, dns_search_domains, etc_hosts, domainname, exposed_ports are options another change
# adds to the table: their rows are here already.
OPTION_MAP = (
    ("image", lambda p, s, c: image_name(p, s)),
    ("command", lambda p, s, c: list(s.command) if s.command is not None else None),
    ("entrypoint", lambda p, s, c: list(s.entrypoint) if s.entrypoint is not None else None),
    ("env", lambda p, s, c: dict(s.environment)),
    ("published_ports", lambda p, s, c: sorted(set(_port(port) for port in s.ports))),
    ("exposed_ports", lambda p, s, c: _given(sorted(set(s.expose)))),
    ("volumes", lambda p, s, c: c["volumes"]),
    ("mounts", lambda p, s, c: c["mounts"]),
    ("labels", lambda p, s, c: c["labels"]),
    ("restart_policy", lambda p, s, c: _restart(s, 0)),
    ("restart_retries", lambda p, s, c: _restart(s, 1)),
    ("healthcheck", lambda p, s, c: _healthcheck(s)),
    ("networks", lambda p, s, c: _networks(p, s, c["name"]) if not s.network_mode else None),
    ("network_mode", lambda p, s, c: _reference(p, s.network_mode)),
    ("hostname", lambda p, s, c: s.hostname),
    ("domainname", lambda p, s, c: s.domainname),
    ("user", lambda p, s, c: s.user),
    ("working_dir", lambda p, s, c: s.working_dir),
    ("init", lambda p, s, c: bool(s.init)),
    ("memory", lambda p, s, c: s.memory or 0),
    ("cpus", lambda p, s, c: _cpus(s)),
    ("log_driver", lambda p, s, c: s.log_driver),
    ("log_options", lambda p, s, c: dict(s.log_options) if s.log_driver or s.log_options else None),
    ("stop_signal", lambda p, s, c: s.stop_signal),
    ("stop_timeout", lambda p, s, c: s.stop_grace_period // 10 ** 9 if s.stop_grace_period is not None else None),
    ("privileged", lambda p, s, c: bool(s.privileged)),
    ("capabilities", lambda p, s, c: list(s.cap_add)),
    ("cap_drop", lambda p, s, c: list(s.cap_drop)),
    ("devices", lambda p, s, c: list(s.devices)),
    ("ulimits", lambda p, s, c: sorted("%s:%d:%d" % (k, v[0], v[1]) for k, v in s.ulimits.items())),
    ("tmpfs", lambda p, s, c: list(s.tmpfs)),
    ("read_only", lambda p, s, c: bool(s.read_only)),
    ("sysctls", lambda p, s, c: dict(s.sysctls)),
    ("pid_mode", lambda p, s, c: _reference(p, s.pid)),
    ("shm_size", lambda p, s, c: s.shm_size),
    ("dns_servers", lambda p, s, c: _given(list(s.dns))),
    ("dns_search_domains", lambda p, s, c: _given(list(s.dns_search))),
    ("etc_hosts", lambda p, s, c: _etc_hosts(p, s)),
)


def service_labels(project, service, number=1, image_id=None, compose_version=None, env_files=None):
    """The service's own labels plus Compose's (project, service, number, one-off, working dir,
    config files, config hash, depends_on; the image id and Compose version when given)."""
    labels = dict(service.labels)
    labels.update({
        PROJECT_LABEL: project.name,
        SERVICE_LABEL: service.name,
        NUMBER_LABEL: str(number),
        ONEOFF_LABEL: "False",
        WORKING_DIR_LABEL: project.working_dir,
        CONFIG_FILES_LABEL: ",".join(project.config_files),
        CONFIG_HASH_LABEL: service_hash(service),
        DEPENDS_ON_LABEL: ",".join(sorted("%s:%s:%s" % (d.service, d.condition, "true" if d.restart else "false")
                                          for d in service.depends_on)),
    })
    if env_files:
        labels[ENV_FILE_LABEL] = ",".join(env_files)
    if image_id:
        labels[IMAGE_LABEL] = image_id
    if compose_version:
        labels[VERSION_LABEL] = compose_version
    return labels


def container_params(project, service, number=1, image_id=None, compose_version=None, env_files=None):
    """The kapal.docker.container parameters of replica ``number`` of ``service`` (options left out
    when the file leaves them to the image or the engine)."""
    if isinstance(service, str):
        service = project.services[service]
    if not 1 <= number <= max(service.scale, 1):
        raise ComposeError("compose: services.%s: replica %d of %d does not exist" % (service.name, number, service.scale))
    name = container_name(project, service, number)
    volumes, mounts = _volumes_and_mounts(project, service)
    context = dict(name=name, volumes=volumes, mounts=mounts,
                   labels=service_labels(project, service, number, image_id, compose_version, env_files))
    params = dict(name=name)
    for option, value_of in OPTION_MAP:
        value = value_of(project, service, context)
        if value is not None:
            params[option] = value
    return params


def network_params(project, key, compose_version=None):
    """A project network as kapal.docker.network parameters (None for an external network)."""
    network = project.networks[key]
    if network.external:
        return None
    labels = dict(network.labels)
    labels.update({NETWORK_LABEL: key, PROJECT_LABEL: project.name})
    if compose_version:
        labels[VERSION_LABEL] = compose_version
    params = dict(name=network.name, labels=labels, internal=network.internal, attachable=network.attachable)
    if network.driver:
        params["driver"] = network.driver
    if network.driver_opts:
        params["driver_options"] = dict(network.driver_opts)
    if network.enable_ipv6 is not None:
        params["enable_ipv6"] = bool(network.enable_ipv6)
    if network.ipam_config:
        params["ipam_config"] = []
        for pool in network.ipam_config:
            if pool.get("aux_addresses"):
                raise _unsupported_network(project, key, "ipam aux_addresses")
            entry = dict((k, pool[k]) for k in ("subnet", "gateway") if pool.get(k))
            if pool.get("ip_range"):
                entry["iprange"] = pool["ip_range"]
            params["ipam_config"].append(entry)
    return params


def _unsupported_network(project, key, what):
    return fail(project.config_files[-1] if project.config_files else "definition",
                "networks.%s" % key, "%s is not supported by kapal.docker" % what)


def volume_params(project, key, compose_version=None):
    """A project volume as kapal.docker.volume parameters (None for an external volume)."""
    volume = project.volumes[key]
    if volume.external:
        return None
    labels = dict(volume.labels)
    labels.update({VOLUME_LABEL: key, PROJECT_LABEL: project.name})
    if compose_version:
        labels[VERSION_LABEL] = compose_version
    params = dict(name=volume.name, labels=labels)
    if volume.driver:
        params["driver"] = volume.driver
    if volume.driver_opts:
        params["driver_options"] = dict(volume.driver_opts)
    return params
