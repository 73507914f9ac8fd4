"""The connection plugin's pieces that need no engine: options, tar streams, error detection."""

import io
import json
import os
import subprocess
import sys
import tarfile

import pytest

from ansible_collections.kapal.docker.plugins.connection.docker import _NO_PYTHON
from ansible_collections.kapal.docker.plugins.module_utils._archive import ChunkReader, tar_chunks
from ansible_collections.kapal.docker.plugins.module_utils._engine import Engine, EngineConfig
from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError
from tests.conftest import COLLECTIONS


# The plugin loader needs the collection finder, which must not leak into the other tests'
# imports: the options are resolved in a separate Python.
_OPTIONS_SCRIPT = """
import json, sys
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
_AnsibleCollectionFinder(paths=[sys.argv[1]])._install()
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader
connection = connection_loader.get("kapal.docker.docker", PlayContext(), None)
connection.set_options(var_options=json.loads(sys.argv[2]))
print(json.dumps({name: connection.get_option(name) for name in json.loads(sys.argv[3])}))
"""


def _options(variables, names, **env):
    proc = subprocess.run(
        [sys.executable, "-c", _OPTIONS_SCRIPT, COLLECTIONS, json.dumps(variables), json.dumps(names)],
        capture_output=True, text=True, check=False, env=dict(os.environ, **env),
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_engine_options_come_from_vars():
    options = _options(
        {"inventory_hostname": "web", "ansible_docker_docker_host": "tcp://127.0.0.1:2376", "ansible_docker_timeout": 5,
         "ansible_docker_validate_certs": True, "ansible_user": "app"},
        ["remote_addr", "remote_user", "docker_host", "timeout", "validate_certs"],
    )
    assert options == {"remote_addr": "web", "remote_user": "app", "docker_host": "tcp://127.0.0.1:2376",
                       "timeout": 5, "validate_certs": True}


def test_engine_options_come_from_the_environment():
    options = _options({"inventory_hostname": "web"}, ["docker_host", "pipelining"], DOCKER_HOST="tcp://10.0.0.1:2375")
    assert options == {"docker_host": "tcp://10.0.0.1:2375", "pipelining": False}


def test_an_explicit_container_name_wins():
    options = _options({"inventory_hostname": "web", "ansible_host": "web-1"}, ["remote_addr"])
    assert options == {"remote_addr": "web-1"}


def _read_back(chunks):
    with tarfile.open(fileobj=io.BytesIO(b"".join(chunks)), mode="r:") as archive:
        member = archive.next()
        return member, archive.extractfile(member).read()


@pytest.mark.parametrize("size", [0, 1, 511, 512, 513, 3 * 1024 * 1024 + 7])
def test_tar_stream_holds_the_file_with_owner_and_mode(size):
    content = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    chunks = list(tar_chunks(io.BytesIO(content), "data.bin", size, 0o750, 1000, 1001, 1700000000, chunk_size=65536))
    assert sum(len(chunk) for chunk in chunks) % tarfile.BLOCKSIZE == 0
    assert max(len(chunk) for chunk in chunks) <= max(65536, tarfile.BLOCKSIZE * 3)
    member, data = _read_back(chunks)
    assert (member.name, member.mode, member.uid, member.gid, member.mtime) == ("data.bin", 0o750, 1000, 1001, 1700000000)
    assert data == content


def test_tar_stream_takes_a_long_name():
    name = "n" * 180 + ".py"
    member, data = _read_back(tar_chunks(io.BytesIO(b"ok"), name, 2, 0o600, 0, 0, 0))
    assert member.name == name and data == b"ok"


def test_a_file_that_shrinks_while_sent_is_an_error():
    with pytest.raises(KapalError, match="data.bin shrank while it was being sent"):
        list(tar_chunks(io.BytesIO(b"short"), "data.bin", 10, 0o644, 0, 0, 0))


def test_chunk_reader_reads_across_chunks():
    engine = Engine(EngineConfig())
    reader = ChunkReader(engine, "fetch", iter([b"ab", b"", b"cde", b"f"]))
    assert io.BufferedReader(reader).read() == b"ab"  # an empty chunk reads as the end
    reader = ChunkReader(engine, "fetch", iter([b"ab", b"cde", b"f"]))
    assert io.BufferedReader(reader, 2).read() == b"abcdef"


@pytest.mark.parametrize("stderr, interpreter", [
    (b"/bin/sh: /usr/bin/python3: not found\n", b"/usr/bin/python3"),
    (b"/bin/sh: 1: /usr/bin/python3.11: not found\n", b"/usr/bin/python3.11"),
    (b"sh: python: No such file or directory\n", b"python"),
])
def test_missing_python_is_recognised(stderr, interpreter):
    assert _NO_PYTHON.search(stderr).group(1) == interpreter


@pytest.mark.parametrize("stderr", [b"/bin/sh: foo: not found\n", b"Traceback: python error\n"])
def test_other_failures_are_not_missing_python(stderr):
    assert _NO_PYTHON.search(stderr) is None
