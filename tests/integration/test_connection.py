"""The connection plugin kapal.docker.docker against real containers of the test bed's engine."""

import hashlib
import os
import re
import subprocess
import sys

import pytest

from tests.conftest import COLLECTIONS, ROOT
from tests.integration.conftest import quietly

pytestmark = pytest.mark.slow  # more than a minute: handed to a worker first (conftest)

BIN = os.path.dirname(sys.executable)
PREFIX = "kapal-it-conn-%d" % os.getpid()
BIG_FILE_SIZE = 50 * 1024 * 1024
SMALL_FILE_SIZE = 2 * 1024 * 1024
USER_SETUP = (
    "echo 'kapal:x:1000:1000::/home/kapal:/bin/sh' >> /etc/passwd"
    " && echo 'kapal:x:1000:' >> /etc/group"
    " && echo 'kapal:*:19000:0:99999:7:::' >> /etc/shadow"
    " && mkdir -p /home/kapal && chown 1000:1000 /home/kapal"
)


def _exec(docker_api, container, command):
    exec_id = docker_api.exec_create(container, ["/bin/sh", "-c", command])["Id"]
    output = docker_api.exec_start(exec_id)
    assert docker_api.exec_inspect(exec_id)["ExitCode"] == 0, output
    return output.decode()


def _run_container(docker_api, name, image, command=("sleep", "infinity")):
    # No network: the plugin needs none, and the tests then do not depend on the default bridge.
    docker_api.create_container(image, command=list(command), name=name,
                                host_config=docker_api.create_host_config(network_mode="none"))
    docker_api.start(name)


@pytest.fixture(scope="module")
def containers(docker_api, testbed):
    """Three running python containers, each with an unprivileged user `kapal`."""
    names = ["%s-%d" % (PREFIX, index) for index in range(1, 4)]
    try:
        for name in names:
            _run_container(docker_api, name, testbed["python_image"])
            _exec(docker_api, name, USER_SETUP)
        yield names
    finally:
        for name in names:
            quietly(docker_api.remove_container, name, force=True)


@pytest.fixture
def stopped_container(docker_api, testbed):
    name = "%s-stopped" % PREFIX
    try:
        _run_container(docker_api, name, testbed["python_image"], ["true"])
        docker_api.wait(name)
        yield name
    finally:
        quietly(docker_api.remove_container, name, force=True)


@pytest.fixture
def busybox_container(docker_api, testbed):
    name = "%s-busybox" % PREFIX
    try:
        _run_container(docker_api, name, testbed["busybox_image"], ["sleep", "3600"])
        yield name
    finally:
        quietly(docker_api.remove_container, name, force=True)


def _random_file(directory, size):
    path = directory / ("random-%d.bin" % size)
    digest = hashlib.sha1()
    with open(path, "wb") as handle:
        for dummy in range(size // (1024 * 1024)):
            chunk = os.urandom(1024 * 1024)
            digest.update(chunk)
            handle.write(chunk)
    return path, digest.hexdigest()


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    return _random_file(tmp_path_factory.mktemp("kapal-it-conn"), BIG_FILE_SIZE)


@pytest.fixture(scope="module")
def small_file(tmp_path_factory):
    return _random_file(tmp_path_factory.mktemp("kapal-it-conn"), SMALL_FILE_SIZE)


def _playbook(tmp_path, hosts, play, *argv, **env):
    inventory = tmp_path / "inventory.ini"
    inventory.write_text(
        "[targets]\n%s\n\n[targets:vars]\nansible_connection=kapal.docker.docker\n"
        "ansible_python_interpreter=/usr/bin/python3\n" % "\n".join(hosts)
    )
    playbook = tmp_path / "play.yml"
    playbook.write_text(play)
    proc_env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1", **env)
    proc = subprocess.run(
        [os.path.join(BIN, "ansible-playbook"), "-i", str(inventory), "--forks", "3", *argv, str(playbook)],
        capture_output=True, text=True, env=proc_env, cwd=ROOT, check=False, timeout=900,
    )
    return proc, proc.stdout + proc.stderr


WORKOUT = """
- hosts: targets
  gather_facts: true
  tasks:
    - name: facts come from inside the container
      ansible.builtin.assert:
        that:
          - ansible_facts.distribution_release == 'bookworm'
          - ansible_facts.virtualization_type == 'docker'
    - name: a file (50 MB without pipelining, 2 MB with it) goes in
      ansible.builtin.copy:
        src: "{{ big_file }}"
        dest: /root/big.bin
        mode: "0640"
    - name: it arrived whole
      ansible.builtin.stat:
        path: /root/big.bin
        checksum_algorithm: sha1
      register: big
    - name: and comes back
      ansible.builtin.fetch:
        src: /root/big.bin
        dest: "{{ out_dir }}/{{ inventory_hostname }}.bin"
        flat: true
    - name: a symbolic link is followed when fetched
      ansible.builtin.fetch:
        src: /etc/os-release
        dest: "{{ out_dir }}/{{ inventory_hostname }}.os-release"
        flat: true
    - name: a template
      ansible.builtin.template:
        src: "{{ template_file }}"
        dest: /etc/kapal.conf
        mode: "0644"
    - name: a command, with a working directory
      ansible.builtin.command: cat kapal.conf
      args:
        chdir: /etc
      register: conf
    - name: become another user with su
      ansible.builtin.command: id -un
      become: true
      become_method: su
      become_user: kapal
      register: other
    - name: files written as that user belong to it
      ansible.builtin.copy:
        content: "mine\\n"
        dest: /home/kapal/mine.txt
        mode: "0600"
      become: true
      become_method: su
      become_user: kapal
    - ansible.builtin.stat:
        path: /home/kapal/mine.txt
      register: mine
    - ansible.builtin.assert:
        that:
          - big.stat.size == big_size | int
          - big.stat.checksum == big_sha1
          - big.stat.mode == '0640'
          - conf.stdout == 'host ' ~ inventory_hostname
          - other.stdout == 'kapal'
          - mine.stat.pw_name == 'kapal'
"""


# Files go in and out the same way with or without pipelining (it changes how modules are run):
# the 50 MB file once, a small one with pipelining.
@pytest.mark.parametrize("pipelining, payload", [("false", "big_file"), ("true", "small_file")])
def test_three_containers_at_once(containers, request, tmp_path, pipelining, payload):
    path, sha1 = request.getfixturevalue(payload)
    template = tmp_path / "kapal.conf.j2"
    template.write_text("host {{ inventory_hostname }}\n")
    out_dir = tmp_path / "fetched"
    out_dir.mkdir()
    proc, output = _playbook(
        tmp_path, containers, WORKOUT, "-vvv",
        "-e", "big_file=%s big_sha1=%s big_size=%d out_dir=%s template_file=%s" % (
            path, sha1, os.path.getsize(path), out_dir, template),
        ANSIBLE_PIPELINING=pipelining,
    )
    assert proc.returncode == 0, output[-6000:]
    for name in containers:
        assert re.search(r"%s : ok=12 changed=\d+ unreachable=0 failed=0 " % name, " ".join(output.split())), output[-3000:]
        with open(out_dir / ("%s.bin" % name), "rb") as handle:
            assert hashlib.file_digest(handle, "sha1").hexdigest() == sha1
        assert 'VERSION_CODENAME=bookworm' in (out_dir / ("%s.os-release" % name)).read_text()
    # su cannot be pipelined, so only the tasks without become show whether pipelining was used
    setup_sent = [line for line in output.splitlines() if " PUT " in line and "AnsiballZ_setup.py" in line]
    assert len(setup_sent) == (0 if pipelining == "true" else 3)


def test_environment_and_working_dir(containers, tmp_path):
    play = """
- hosts: targets
  gather_facts: false
  vars:
    ansible_docker_working_dir: /tmp
    ansible_docker_extra_env: {KAPAL_GREETING: hello}
  tasks:
    - ansible.builtin.raw: pwd; echo $KAPAL_GREETING
      register: out
    - ansible.builtin.assert:
        that: out.stdout_lines == ['/tmp', 'hello']
"""
    proc, output = _playbook(tmp_path, containers[:1], play)
    assert proc.returncode == 0, output


def test_remote_user(containers, tmp_path):
    play = """
- hosts: targets
  gather_facts: false
  remote_user: kapal
  tasks:
    - ansible.builtin.command: id -un
      register: who
    - ansible.builtin.copy:
        content: "x\\n"
        dest: /home/kapal/sent.txt
        mode: "0600"
    - ansible.builtin.stat:
        path: /home/kapal/sent.txt
      register: sent
    - ansible.builtin.assert:
        that:
          - who.stdout == 'kapal'
          - sent.stat.pw_name == 'kapal'
"""
    proc, output = _playbook(tmp_path, containers[:1], play)
    assert proc.returncode == 0, output


def test_become_with_a_password(containers, docker_api, tmp_path):
    """From an unprivileged user to root: su reads the password the plugin answers its prompt with."""
    _exec(docker_api, containers[2], "echo 'root:s3cret' | chpasswd")
    play = """
- hosts: targets
  gather_facts: false
  remote_user: kapal
  vars:
    ansible_become_password: s3cret
  tasks:
    - ansible.builtin.command: id -un
      become: true
      become_method: su
      register: root
    - ansible.builtin.assert:
        that: root.stdout == 'root'
    - ansible.builtin.command: id -un
      become: true
      become_method: su
      vars:
        ansible_become_password: wrong
"""
    proc, output = _playbook(tmp_path, containers[2:], play)
    assert proc.returncode != 0
    assert "ok=2" in output
    assert "incorrect su password for container %s" % containers[2] in output


PING = """
- hosts: targets
  gather_facts: false
  tasks:
    - ansible.builtin.ping:
"""


def test_stopped_container(stopped_container, tmp_path, testbed):
    proc, output = _playbook(tmp_path, [stopped_container], PING)
    assert proc.returncode != 0
    assert "container %s is not running (state: exited)" % stopped_container in output
    assert "UNREACHABLE" in output


def test_missing_container(tmp_path, testbed):
    name = "%s-missing" % PREFIX
    proc, output = _playbook(tmp_path, [name], PING)
    assert proc.returncode != 0
    assert "no container named %s on Docker Engine at %s" % (name, testbed["docker_host"]) in output


def test_image_without_python(busybox_container, tmp_path):
    play = """
- hosts: targets
  gather_facts: false
  tasks:
    - name: raw works without python
      ansible.builtin.raw: echo raw-ok
      register: raw
    - ansible.builtin.assert:
        that: "'raw-ok' in raw.stdout"
    - ansible.builtin.ping:
"""
    proc, output = _playbook(tmp_path, [busybox_container], play, "-e", "ansible_python_interpreter=auto_silent")
    assert proc.returncode != 0
    assert "container %s has no Python (/usr/bin/python3: not found)" % busybox_container in output, output
    assert "use ansible.builtin.raw" in output
    assert "ok=2" in output


def test_unreachable_engine(containers, tmp_path):
    proc, output = _playbook(tmp_path, containers[:1], PING, "-e", "ansible_docker_docker_host=tcp://127.0.0.1:1")
    assert proc.returncode != 0
    assert "cannot reach Docker Engine at tcp://127.0.0.1:1: connection refused" in output


def test_ansible_doc_renders():
    proc = subprocess.run(
        [os.path.join(BIN, "ansible-doc"), "-t", "connection", "kapal.docker.docker"],
        capture_output=True, text=True, env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS), check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "ansible_docker_docker_host" in proc.stdout and "DOCKER_HOST" in proc.stdout


def test_archive_keeps_owner_and_mode_and_streams_back(containers, docker_api, testbed, tmp_path):
    from ansible_collections.kapal.docker.plugins.module_utils import _archive
    from ansible_collections.kapal.docker.plugins.module_utils._engine import Engine, EngineConfig

    source = tmp_path / "script.sh"
    source.write_bytes(b"#!/bin/sh\necho hi\n" * 1000)
    source.chmod(0o750)
    engine = Engine(EngineConfig.from_options({"docker_host": testbed["docker_host"]}))
    try:
        _archive.put_file(engine, containers[0], str(source), "/home/kapal/script.sh", 1000, 1000)
        assert _exec(docker_api, containers[0], "stat -c '%u %g %a %s' /home/kapal/script.sh").split() == \
            ["1000", "1000", "750", str(source.stat().st_size)]
        back = tmp_path / "back.sh"
        _archive.fetch_file(engine, containers[0], "/home/kapal/script.sh", str(back))
        assert back.read_bytes() == source.read_bytes()
    finally:
        engine.close()


def test_archive_errors_name_the_path(containers, testbed, tmp_path):
    from ansible_collections.kapal.docker.plugins.module_utils import _archive
    from ansible_collections.kapal.docker.plugins.module_utils._engine import Engine, EngineConfig
    from ansible_collections.kapal.docker.plugins.module_utils._errors import EngineNotFound, KapalError

    source = tmp_path / "f.txt"
    source.write_text("x")
    engine = Engine(EngineConfig.from_options({"docker_host": testbed["docker_host"]}))
    try:
        with pytest.raises(EngineNotFound, match="/no/such/dir"):
            _archive.put_file(engine, containers[0], str(source), "/no/such/dir/f.txt", 0, 0)
        with pytest.raises(EngineNotFound, match="/no/such/file"):
            _archive.fetch_file(engine, containers[0], "/no/such/file", str(tmp_path / "out"))
        with pytest.raises(KapalError, match="cannot fetch /etc from container .*: it is a directory"):
            _archive.fetch_file(engine, containers[0], "/etc", str(tmp_path / "out"))
        assert not (tmp_path / "out").exists()
    finally:
        engine.close()


_STREAMING_SCRIPT = """
import resource, sys
from ansible_collections.kapal.docker.plugins.module_utils import _archive
from ansible_collections.kapal.docker.plugins.module_utils._engine import Engine, EngineConfig
engine = Engine(EngineConfig.from_options({"docker_host": sys.argv[1]}))
engine.api.version()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
_archive.put_file(engine, sys.argv[2], sys.argv[3], "/root/streamed.bin", 0, 0)
_archive.fetch_file(engine, sys.argv[2], "/root/streamed.bin", sys.argv[4])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_large_files_are_streamed(containers, big_file, testbed, tmp_path):
    """Sending and fetching 50 MB grows the controller's memory by far less than 50 MB."""
    path, sha1 = big_file
    back = tmp_path / "back.bin"
    proc = subprocess.run(
        [sys.executable, "-c", _STREAMING_SCRIPT, testbed["docker_host"], containers[1], str(path), str(back)],
        capture_output=True, text=True, check=False, env=dict(os.environ, PYTHONPATH=COLLECTIONS),
    )
    assert proc.returncode == 0, proc.stderr
    grown_kib = int(proc.stdout)
    assert grown_kib < 16 * 1024, "memory grew by %d KiB" % grown_kib
    with open(back, "rb") as handle:
        assert hashlib.file_digest(handle, "sha1").hexdigest() == sha1
