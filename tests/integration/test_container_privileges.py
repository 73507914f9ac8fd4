"""kapal.docker.container's privilege and kernel options against the real engine: check -> run -> idempotent.

privileged, capabilities, cap_drop, devices, ulimits, tmpfs, read_only, sysctls, pid_mode, shm_size.
"""

import uuid

import pytest

from tests.integration.conftest import converge, remove_containers, run_module

pytestmark = pytest.mark.slow  # more than a minute: handed to a worker first (conftest)

PREFIX = "kapal-it-ctr2-"


@pytest.fixture
def name(docker_api):
    """A unique container name; every container whose name starts with it is removed afterwards."""
    unique = "%s%s" % (PREFIX, uuid.uuid4().hex[:8])
    yield unique
    remove_containers(docker_api, unique)


def busybox(name, testbed, **options):
    # sleep, PID 1, ignores SIGTERM: stop_timeout 1 stops it after 1 s, not 10, when a test recreates it.
    args = dict(name=name, image=testbed["busybox_image"], command="sleep 3600", network_mode="none", stop_timeout=1)
    args.update(options)
    return args


def run_in(docker_api, name, command):
    exec_id = docker_api.exec_create(name, ["sh", "-c", command])
    output = docker_api.exec_start(exec_id).decode()
    return docker_api.exec_inspect(exec_id)["ExitCode"], output


OPTION_CASES = [
    # (option, first value, changed value, how the engine shows it)
    ("privileged", True, False, lambda i: i["HostConfig"]["Privileged"]),  # created only: see below
    ("capabilities", ["net_admin"], ["NET_ADMIN", "SYS_TIME"], lambda i: i["HostConfig"]["CapAdd"]),
    ("cap_drop", ["MKNOD"], ["MKNOD", "CHOWN"], lambda i: i["HostConfig"]["CapDrop"]),
    ("devices", ["/dev/null:/dev/kapal-null"], ["/dev/null:/dev/kapal-null:r"], lambda i: i["HostConfig"]["Devices"]),
    ("ulimits", ["nofile:1024:2048"], ["nofile:1024:4096"], lambda i: i["HostConfig"]["Ulimits"]),
    ("tmpfs", ["/run/app:size=1m"], ["/run/app:size=2m"], lambda i: i["HostConfig"]["Tmpfs"]),
    ("read_only", True, False, lambda i: i["HostConfig"]["ReadonlyRootfs"]),
    ("sysctls", {"net.core.somaxconn": 1024}, {"net.core.somaxconn": "2048"}, lambda i: i["HostConfig"]["Sysctls"]),
    ("pid_mode", "host", "", lambda i: i["HostConfig"]["PidMode"]),
    ("shm_size", "128m", "256m", lambda i: i["HostConfig"]["ShmSize"]),
]


@pytest.mark.parametrize("option, first, second, shown", OPTION_CASES, ids=[c[0] for c in OPTION_CASES])
def test_option_check_run_idempotent_change(name, testbed, docker_api, option, first, second, shown):
    # A privileged container cannot start on an engine whose host lacks a capability: see the device test.
    state = "present" if option == "privileged" else "started"
    args = busybox(name, testbed, state=state, **{option: first})
    created = converge(args)
    before = shown(docker_api.inspect_container(name))
    # A later task that does not give the option leaves it as it is.
    untouched = run_module("container", busybox(name, testbed, state=state))
    assert untouched.rc == 0 and untouched["changed"] is False, untouched
    changed = converge(dict(args, **{option: second}))
    assert changed["actions"] == ["recreate: %s changed" % option] + (["start"] if state == "started" else [])
    assert list(changed["diff"]["before"]) == [option]
    assert shown(docker_api.inspect_container(name)) != before
    assert changed["container"]["Id"] != created["container"]["Id"]


def test_options_take_effect_inside_the_container(name, testbed, docker_api):
    args = busybox(name, testbed, capabilities=["SYS_TIME"], cap_drop=["CHOWN"],
                   devices=["/dev/null:/dev/kapal-null:rw"], ulimits=["nofile:1000:1500"],
                   tmpfs=["/scratch:size=1m"], read_only=True, sysctls={"net.core.somaxconn": 777},
                   shm_size="96m", wait="running")
    converge(args)
    assert run_in(docker_api, name, "ulimit -n") == (0, "1000\n")
    assert run_in(docker_api, name, "cat /proc/sys/net/core/somaxconn") == (0, "777\n")
    assert run_in(docker_api, name, "test -c /dev/kapal-null && echo ok > /dev/kapal-null")[0] == 0
    assert run_in(docker_api, name, "touch /rootfs-write")[0] != 0
    assert run_in(docker_api, name, "touch /scratch/file")[0] == 0
    assert "/scratch" in run_in(docker_api, name, "grep tmpfs /proc/mounts")[1]
    assert "98304" in run_in(docker_api, name, "df -k /dev/shm")[1]
    # CAP_SYS_TIME is bit 25, CAP_CHOWN bit 0.
    status = run_in(docker_api, name, "grep CapEff /proc/self/status")[1]
    effective = int(status.split()[1], 16)
    assert effective & (1 << 25) and not effective & 1


def test_host_pid_mode_sees_the_host_processes(name, testbed, docker_api):
    converge(busybox(name, testbed, pid_mode="host", wait="running"))
    assert "dockerd" in run_in(docker_api, name, "cat /proc/*/comm")[1]


def test_pid_mode_of_another_container(name, testbed, docker_api):
    converge(busybox(name + "-first", testbed, wait="running"))
    first = docker_api.inspect_container(name + "-first")["Id"]
    result = converge(busybox(name, testbed, pid_mode="container:%s-first" % name, wait="running"))
    assert result["container"]["HostConfig"]["PidMode"] == "container:%s" % first  # the engine stores the id
    assert result["diff"]["after"]["pid_mode"] == "container:%s" % first
    # Both sleeps are in one PID namespace.
    assert run_in(docker_api, name, "pidof sleep | wc -w")[1].strip() == "2"


def _missing_from_engine_bounding_set():
    """Capabilities the engine's host cannot give: known to the kernel, missing from dockerd's bounding set."""
    with open("/var/run/docker.pid") as handle:
        pid = handle.read().strip()
    with open("/proc/%s/status" % pid) as handle:
        bounding = int(next(line for line in handle if line.startswith("CapBnd:")).split()[1], 16)
    with open("/proc/sys/kernel/cap_last_cap") as handle:
        last = int(handle.read())
    return [bit for bit in range(last + 1) if not bounding & (1 << bit)]


def test_privileged_sees_every_device_and_can_mount(name, testbed, docker_api):
    """What Docker Engine inside a container needs: the host's devices, and the right to mount.

    runc gives a privileged container every capability the kernel knows; on a host whose own bounding
    set lacks one (some VMs drop CAP_SYS_RESOURCE) no privileged container can start. Then this proves
    that the task fails in one line with the engine's reason (runc applying every capability: the
    container was made privileged), and that the container it could not start is not left behind.
    """
    plain = dict(name=name + "-plain", image=testbed["python_image"], command="sleep 3600", network_mode="none",
                 wait="running")
    privileged = dict(plain, name=name + "-priv", privileged=True)
    converge(plain)
    missing = _missing_from_engine_bounding_set()
    if missing:
        result = run_module("container", privileged)
        assert result.failed and "unable to apply caps: operation not permitted" in result["msg"], result
        assert "\n" not in result["msg"]
        assert result["actions"] == ["create", "remove: the new container could not start"] and result["changed"] is False
        assert privileged["name"] not in [n.lstrip("/") for c in docker_api.containers(all=True) for n in c["Names"]]
        return
    result = converge(privileged)
    assert result["container"]["HostConfig"]["Privileged"] is True
    plain_devices = set(run_in(docker_api, plain["name"], "ls /dev")[1].split())
    privileged_devices = set(run_in(docker_api, privileged["name"], "ls /dev")[1].split())
    assert plain_devices < privileged_devices
    assert len(privileged_devices) > len(plain_devices) + 5
    assert {"loop0", "tty0"} <= privileged_devices and not {"loop0", "tty0"} & plain_devices
    mount = "mkdir -p /mnt/t && mount -t tmpfs none /mnt/t && grep -c /mnt/t /proc/mounts"
    assert run_in(docker_api, privileged["name"], mount) == (0, "1\n")
    assert run_in(docker_api, plain["name"], mount)[0] != 0


def test_every_capability_the_host_has_sees_more_than_the_default(name, testbed, docker_api):
    """The closest to privileged this engine's host allows: every capability its bounding set holds."""
    missing = set(_missing_from_engine_bounding_set())
    known = dict((bit, cap) for bit, cap in enumerate((
        "CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE "
        "NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT "
        "SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE "
        "AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ").split()))
    capabilities = [cap for bit, cap in known.items() if bit not in missing]
    args = busybox(name, testbed, capabilities=capabilities, wait="running")
    result = converge(args)
    assert len(result["container"]["HostConfig"]["CapAdd"]) == len(capabilities)
    mount = "mkdir -p /mnt/t && mount -t tmpfs none /mnt/t && grep -c /mnt/t /proc/mounts"
    assert run_in(docker_api, name, mount) == (0, "1\n")


def test_recreate_carries_the_options_over(name, testbed, docker_api):
    converge(busybox(name, testbed, privileged=True, capabilities=["NET_ADMIN"], ulimits=["nofile:100:200"],
                     tmpfs=["/run/app"], shm_size="80m", env={"GEN": "1"}, state="present"))
    result = converge(dict(name=name, env={"GEN": "2"}, state="present"))
    assert result["actions"] == [
        "recreate: env changed",
        "kept from the old container: command, network_mode, stop_timeout, privileged, capabilities, ulimits, tmpfs, shm_size"]
    host = docker_api.inspect_container(name)["HostConfig"]
    assert host["Privileged"] is True and host["CapAdd"] == ["CAP_NET_ADMIN"]
    assert host["Ulimits"] == [{"Name": "nofile", "Soft": 100, "Hard": 200}]
    assert host["Tmpfs"] == {"/run/app": ""} and host["ShmSize"] == 80 * 1024 ** 2


def test_engine_defaults_are_no_drift(name, testbed, docker_api):
    """A container made with none of these options, managed by a task that gives the engine's defaults."""
    converge(busybox(name, testbed))
    result = run_module("container", busybox(name, testbed, privileged=False, read_only=False, capabilities=[],
                                             cap_drop=[], devices=[], ulimits=[], tmpfs=[], sysctls={},
                                             pid_mode="", shm_size="64m"), check_mode=True)
    assert result.rc == 0 and result["changed"] is False, result


def test_containers_module_takes_the_options(name, testbed, docker_api):
    items = [busybox("%s-%d" % (name, n), testbed, read_only=bool(n % 2), capabilities=["NET_ADMIN"]) for n in range(3)]
    items.append(busybox("%s-3" % name, testbed, privileged=True, state="present"))
    args = dict(containers=items)
    first = run_module("containers", args)
    assert first.rc == 0 and first["changed"] is True, first
    again = run_module("containers", args, check_mode=True)
    assert again.rc == 0 and again["changed"] is False, again
    assert docker_api.inspect_container("%s-1" % name)["HostConfig"]["ReadonlyRootfs"] is True
    assert docker_api.inspect_container("%s-2" % name)["HostConfig"]["ReadonlyRootfs"] is False
    assert docker_api.inspect_container("%s-3" % name)["HostConfig"]["Privileged"] is True


@pytest.mark.parametrize("option, value, message", [
    ("privileged", "maybe", "argument 'privileged' is of type"),
    ("capabilities", ["NET ADMIN"], "capabilities: invalid capability 'NET ADMIN'"),
    ("cap_drop", ["mk/nod"], "cap_drop: invalid capability 'mk/nod'"),
    ("devices", ["/dev/null:/dev/x:rwx"], "devices: invalid device '/dev/null:/dev/x:rwx'"),
    ("ulimits", ["nofile:lots"], "ulimits: invalid ulimit 'nofile:lots'"),
    ("tmpfs", ["run:size=1m"], "tmpfs: invalid tmpfs 'run:size=1m'"),
    ("read_only", "sometimes", "argument 'read_only' is of type"),
    ("sysctls", {"net.core.somaxconn": [1]}, "sysctls: value of net.core.somaxconn must be a string, number or boolean, got [1]"),
    ("pid_mode", "bogus", "pid_mode: invalid PID mode 'bogus'"),
    ("shm_size", "12x", "shm_size: expected a size such as 512m or 1g, got '12x'"),
], ids=lambda value: value if isinstance(value, str) and value.isidentifier() else "")
def test_bad_input_fails_in_one_line_and_changes_nothing(name, testbed, docker_api, option, value, message):
    args = busybox(name, testbed, **{option: value})
    shown = value if isinstance(value, str) else str(value[0]) if isinstance(value, list) else str(list(value.values())[0])
    for check_mode in (True, False):
        result = run_module("container", args, check_mode=check_mode)
        assert result.failed and result["msg"].startswith(message), result
        assert option in result["msg"] and shown in result["msg"], result
        assert "\n" not in result["msg"] and "Traceback" not in result.stderr
    assert not [c for c in docker_api.containers(all=True) if "/" + name in (c.get("Names") or [])]
