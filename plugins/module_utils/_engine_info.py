# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Facts about the engine itself (``docker version``, ``docker info``, ``docker system df``) and
short listings of what it holds: the task of the module engine_info. It only reads.
"""

from __future__ import annotations

import datetime

# The optional listings, each asked for by the option of the same name.
SECTIONS = ("containers", "images", "volumes", "networks", "disk_usage")


def engine_facts(engine):
    """The engine's version, platform, drivers, counts and registry settings."""
    with engine.call("read engine version"):
        version = engine.api.version()
    with engine.call("read engine info"):
        info = engine.api.info()
    registry = info.get("RegistryConfig") or {}
    insecure = list(registry.get("InsecureRegistryCIDRs") or [])
    insecure += sorted(name for name, conf in (registry.get("IndexConfigs") or {}).items() if not conf.get("Secure", True))
    return dict(
        host=engine.host,
        version=version.get("Version"),
        api_version=version.get("ApiVersion"),
        min_api_version=version.get("MinAPIVersion"),
        os=info.get("OperatingSystem"),
        os_type=info.get("OSType"),
        kernel_version=info.get("KernelVersion"),
        architecture=info.get("Architecture"),
        storage_driver=info.get("Driver"),
        cgroup_driver=info.get("CgroupDriver"),
        cgroup_version=info.get("CgroupVersion"),
        docker_root_dir=info.get("DockerRootDir"),
        name=info.get("Name"),
        cpus=info.get("NCPU"),
        memory=info.get("MemTotal"),
        containers=dict(
            total=info.get("Containers", 0),
            running=info.get("ContainersRunning", 0),
            paused=info.get("ContainersPaused", 0),
            stopped=info.get("ContainersStopped", 0),
        ),
        images=info.get("Images", 0),
        insecure_registries=insecure,
        warnings=list(info.get("Warnings") or []),
    )


def _timestamp(seconds):
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def list_section(engine, section):
    """A short listing of one of SECTIONS (disk_usage: a summary of ``docker system df``)."""
    api = engine.api
    with engine.call("list %s" % section.replace("_", " ")):
        if section == "containers":
            return [
                dict(id=c["Id"], name=c["Names"][0].lstrip("/") if c.get("Names") else None, image=c.get("Image"),
                     state=c.get("State"), status=c.get("Status"))
                for c in api.containers(all=True)
            ]
        if section == "images":
            return [
                dict(id=i["Id"], tags=[t for t in i.get("RepoTags") or [] if t != "<none>:<none>"],
                     size=i.get("Size"), created=_timestamp(i.get("Created", 0)))
                for i in api.images()
            ]
        if section == "volumes":
            return [
                dict(name=v["Name"], driver=v.get("Driver"), mountpoint=v.get("Mountpoint"), labels=v.get("Labels") or {})
                for v in api.volumes().get("Volumes") or []
            ]
        if section == "networks":
            return [dict(id=n["Id"], name=n["Name"], driver=n.get("Driver"), scope=n.get("Scope")) for n in api.networks()]
        usage = api.df()
        return dict(
            layers_size=usage.get("LayersSize", 0),
            images=len(usage.get("Images") or []),
            containers=len(usage.get("Containers") or []),
            volumes=len(usage.get("Volumes") or []),
        )


def info_task(engine, params, check_mode):
    """The kapal.docker.engine_info task: the engine's facts, and the listings asked for."""
    result = dict(changed=False, engine=engine_facts(engine))
    for section in SECTIONS:
        if params[section]:
            result[section] = list_section(engine, section)
    return result
