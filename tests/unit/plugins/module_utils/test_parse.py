"""Parsers and formatters of container option values, from tables."""

import json

import pytest

from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError
from ansible_collections.kapal.docker.plugins.module_utils._parse import (
    Duration,
    Port,
    Volume,
    env_to_dict,
    format_duration,
    format_size,
    parse_cpus,
    parse_duration,
    parse_env_file,
    parse_port,
    parse_ports,
    parse_size,
    parse_volume,
    parse_volumes,
    ports_from_bindings,
    ports_to_bindings,
    string_value,
)


@pytest.mark.parametrize("text, expected", [
    ("8080:80", [Port(80, "tcp", "", "8080")]),
    ("80", [Port(80)]),
    (80, [Port(80)]),
    ("53:53/udp", [Port(53, "udp", "", "53")]),
    ("127.0.0.1:8080:80/udp", [Port(80, "udp", "127.0.0.1", "8080")]),
    ("127.0.0.1::80", [Port(80, "tcp", "127.0.0.1", "")]),
    ("[::1]:8080:80", [Port(80, "tcp", "::1", "8080")]),
    ("9000-9002:9000-9002", [Port(9000, "tcp", "", "9000"), Port(9001, "tcp", "", "9001"), Port(9002, "tcp", "", "9002")]),
    ("8000-8010:80", [Port(80, "tcp", "", "8000-8010")]),
    ("9000-9001", [Port(9000), Port(9001)]),
    # host port 0 is docker run's "a random free port", the same as none
    ("127.0.0.1:0:80", [Port(80, "tcp", "127.0.0.1", "")]),
    ("0:80/udp", [Port(80, "udp", "", "")]),
    ("[2001:db8::1]:8080:80", [Port(80, "tcp", "2001:db8::1", "8080")]),
    ("0.0.0.0:8080:80", [Port(80, "tcp", "0.0.0.0", "8080")]),
])
def test_parse_port(text, expected):
    assert parse_port(text) == expected


@pytest.mark.parametrize("text", ["abc", "70000:80", "80:70000", "0-3:80", "1:2:3:4", "80/icmp", ":80:", "9000-9002:80-81",
                                  "x.y:80:80", "", "80:0"])
def test_parse_port_refuses(text):
    with pytest.raises(KapalError) as info:
        parse_port(text, "published_ports")
    message = str(info.value)
    assert message.startswith("published_ports: ") and repr(text) in message and "\n" not in message


@pytest.mark.parametrize("text, ip", [
    ("999.1.1.1:18111:80", "999.1.1.1"), ("127.0.0.1.5:18114:80", "127.0.0.1.5"), ("1.2.3:80:80", "1.2.3"),
    ("[::g]:80:80", "::g"), ("[1.2.3.4.5]::80", "1.2.3.4.5"), ("[::1::2]:80:80", "::1::2"), ("::::80", None),
])
def test_a_host_ip_that_is_no_address_is_refused_never_widened(text, ip):
    """An invalid address must never become "every interface" (an empty HostIp)."""
    with pytest.raises(KapalError) as info:
        parse_port(text, "published_ports")
    message = str(info.value)
    assert message.startswith("published_ports: ") and repr(text) in message and "\n" not in message
    if ip is not None:
        assert message.startswith("published_ports: invalid host IP address %r in %r" % (ip, text))


def test_random_host_port_reads_back_equal():
    """The engine keeps HostPort "0" as given; read back, it is the same random port as none."""
    assert ports_from_bindings({"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "0"}]}) == parse_port("127.0.0.1:0:80")
    assert ports_from_bindings({"80/tcp": [{"HostIp": "", "HostPort": ""}]}) == parse_port("0:80")


def test_ports_round_trip_through_bindings():
    ports = parse_ports(["8080:80", "80", "127.0.0.1:53:53/udp", "8080:80"])
    assert [str(p) for p in ports] == ["127.0.0.1:53:53/udp", "80/tcp", "8080:80/tcp"]
    exposed, bindings = ports_to_bindings(ports)
    assert exposed == {"53/udp": {}, "80/tcp": {}}
    assert ports_from_bindings(bindings) == ports
    assert ports_from_bindings(None) == []


@pytest.mark.parametrize("text, expected", [
    ("/srv/data:/data", Volume("/data", "/srv/data")),
    ("/srv/data/:/data/:ro", Volume("/data", "/srv/data", "ro")),
    ("data:/data:rw", Volume("/data", "data")),
    ("/cache", Volume("/cache")),
])
def test_parse_volume(text, expected):
    assert parse_volume(text) == expected


@pytest.mark.parametrize("text, mode, bind", [
    # docker run -v's mode words; defaults (rw, rprivate, consistent) dropped, one order
    ("/srv:/data:z", "rw,z", "/srv:/data:z"),
    ("/srv:/data:Z", "rw,Z", "/srv:/data:Z"),
    ("/srv:/data:ro,z", "ro,z", "/srv:/data:ro,z"),
    ("/srv:/data:z,ro", "ro,z", "/srv:/data:ro,z"),
    ("/srv:/data:cached", "rw,cached", "/srv:/data:cached"),
    ("/srv:/data:delegated", "rw,delegated", "/srv:/data:delegated"),
    ("/srv:/data:consistent", "rw", "/srv:/data"),
    ("/srv:/data:rprivate", "rw", "/srv:/data"),
    ("/srv:/data:ro,rprivate", "ro", "/srv:/data:ro"),
    ("/srv:/data:rw,rshared", "rw,rshared", "/srv:/data:rshared"),
    ("/srv:/data:slave,ro", "ro,slave", "/srv:/data:ro,slave"),
    ("/srv:/data:private", "rw,private", "/srv:/data:private"),
    ("/srv:/data:rslave,z,ro,cached", "ro,z,rslave,cached", "/srv:/data:ro,z,rslave,cached"),
    ("/srv:/data:shared", "rw,shared", "/srv:/data:shared"),
    ("cache:/cache:nocopy", "rw,nocopy", "cache:/cache:nocopy"),
    ("cache:/cache:ro,nocopy,z", "ro,z,nocopy", "cache:/cache:ro,z,nocopy"),
])
def test_volume_modes(text, mode, bind):
    volume = parse_volume(text)
    assert volume.mode == mode and volume.bind() == bind
    assert parse_volume(volume.bind()) == volume


@pytest.mark.parametrize("binds, expected", [
    # Podman reports a bind given as ro with the propagation and rbind it added
    ("/srv:/data:ro,rprivate,rbind", Volume("/data", "/srv", "ro")),
    ("/srv:/data:rw,rprivate,rbind", Volume("/data", "/srv")),
    ("data:/data:rbind", Volume("/data", "data")),
    # Podman reports every volume with nosuid and nodev (5.x: without rw), which no task can give
    ("data:/data:rw,rprivate,nosuid,nodev,rbind", Volume("/data", "data")),
    ("data:/data:rprivate,nosuid,nodev,rbind", Volume("/data", "data")),
    # a word this module does not know is kept, so it shows as a difference rather than a failure
    ("data:/data:rw,noexec,rbind", Volume("/data", "data", "rw,noexec")),
    ("/srv:/data:ro,rw", Volume("/data", "/srv", "ro,rw")),
])
def test_volumes_as_an_engine_reports_them(binds, expected):
    assert parse_volume(binds, strict=False) == expected


@pytest.mark.parametrize("text, message", [
    ("/host:", "invalid volume '/host:'"),
    ("data", "invalid volume 'data'"),
    (":/data", "invalid volume ':/data'"),
    ("/a:/b:rx", "invalid mode 'rx' in '/a:/b:rx'"),
    ("/a:/b:", "empty mode in '/a:/b:'"),
    ("/a:/b:ro,rw", "conflicting access modes 'ro' and 'rw' in '/a:/b:ro,rw'"),
    ("/a:/b:z,Z", "conflicting SELinux label modes 'z' and 'Z'"),
    ("/a:/b:shared,slave", "conflicting propagation modes 'shared' and 'slave'"),
    ("/a:/b:nocopy", "nocopy is for named volumes, not the bind mount of /a in '/a:/b:nocopy'"),
    ("data:/b:rshared", "a propagation mode is for bind mounts, not the volume data in 'data:/b:rshared'"),
    ("/a:b", "container path 'b' in '/a:b' must be absolute"),
    ("bad name:/x", "'bad name' in 'bad name:/x' is neither an absolute host path nor a volume name"),
    ("a:b:c:d", "invalid volume 'a:b:c:d'"),
    ("./data:/data", "host path './data' in './data:/data' is relative; give an absolute path, e.g. '{{ playbook_dir }}/data'"),
    ("data/sub:/data", "host path 'data/sub' in 'data/sub:/data' is relative; give an absolute path, e.g. '{{ playbook_dir }}/data/sub'"),
    ("../up:/data", "host path '../up' in '../up:/data' is relative"),
    ("~/data:/data", "host path '~/data' in '~/data:/data' is relative; give an absolute path"),
])
def test_parse_volume_refuses(text, message):
    with pytest.raises(KapalError) as info:
        parse_volume(text)
    assert str(info.value).startswith("volumes: " + message)
    assert "\n" not in str(info.value)


def test_volume_forms():
    assert str(Volume("/data", "/srv", "ro")) == "/srv:/data:ro"
    assert Volume("/data", "data").bind() == "data:/data"
    assert str(Volume("/cache")) == "/cache"
    with pytest.raises(KapalError, match="given more than once"):
        parse_volumes(["/a:/x", "b:/x"])


@pytest.mark.parametrize("text, expected", [
    ("512m", 512 * 1024 ** 2), ("1g", 1024 ** 3), ("1G", 1024 ** 3), ("1.5g", 1536 * 1024 ** 2),
    ("64MB", 64 * 1024 ** 2), ("1024", 1024), (2048, 2048), ("100k", 102400),
    # what docker run --memory takes: binary units in every spelling
    ("1GiB", 1024 ** 3), ("1gib", 1024 ** 3), ("512MiB", 512 * 1024 ** 2), ("64KiB", 64 * 1024), ("1TiB", 1024 ** 4),
    ("2kb", 2048), ("16mb", 16 * 1024 ** 2), ("1 GiB", 1024 ** 3), ("1p", 1024 ** 5), ("0", 0), ("10b", 10),
])
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["12x", "", "m", "-1", True, "1ib", "1gibb", "1  g", "1.g"])
def test_parse_size_refuses(text):
    with pytest.raises(KapalError, match=r"^memory: expected a size"):
        parse_size(text, "memory")


def test_format_size():
    assert format_size(512 * 1024 ** 2) == "512m"
    assert format_size(1024 ** 3) == "1g"
    assert format_size(1000) == "1000"
    assert format_size(None) is None


@pytest.mark.parametrize("value, expected", [("1.5", 1500000000), (2, 2000000000), (0.25, 250000000),
                                             (0, 0), ("0", 0), ("0.0", 0)])
def test_parse_cpus(value, expected):
    assert parse_cpus(value) == expected


@pytest.mark.parametrize("value", ["x", -1, "-0.5", True, None, "1e-10"])
def test_parse_cpus_refuses(value):
    with pytest.raises(KapalError, match=r"^cpus: "):
        parse_cpus(value)


@pytest.mark.parametrize("value, expected", [
    ("30s", 30 * 10 ** 9), ("1m30s", 90 * 10 ** 9), ("500ms", 5 * 10 ** 8), (90, 90 * 10 ** 9), ("2", 2 * 10 ** 9),
    ("1h", 3600 * 10 ** 9), ("1.5s", 15 * 10 ** 8),
])
def test_parse_duration(value, expected):
    assert parse_duration(value) == expected


@pytest.mark.parametrize("value", ["30x", "", "s", "1m 30s", -1])
def test_parse_duration_refuses(value):
    with pytest.raises(KapalError, match=r"^interval: expected a duration"):
        parse_duration(value, "interval")


@pytest.mark.parametrize("value, expected", [(90 * 10 ** 9, "1m30s"), (0, "0s"), (3600 * 10 ** 9, "1h"), (15 * 10 ** 8, "1.5s")])
def test_format_duration(value, expected):
    assert format_duration(value) == expected


def test_durations_show_as_go_writes_them():
    interval = Duration(parse_duration("10s"))
    assert interval == 10 ** 10 and str(interval) == "10s" and hash(interval) == hash(10 ** 10)
    assert json.loads(json.dumps({"Interval": interval})) == {"Interval": 10 ** 10}
    assert str(Duration(0)) == "0s" and str(Duration(90 * 10 ** 9)) == "1m30s"


def test_env_values():
    assert string_value("env", "A", 1) == "1"
    assert string_value("env", "A", True) == "true"
    assert string_value("env", "A", "x") == "x"
    with pytest.raises(KapalError, match=r"^env: value of LIST must be a string, number or boolean, got \[1\]$"):
        string_value("env", "LIST", [1])
    with pytest.raises(KapalError, match=r"^env: EMPTY has no value \(write '' for an empty value\)$"):
        string_value("env", "EMPTY", None)
    assert env_to_dict(["A=1", "B=x=y", "C"]) == {"A": "1", "B": "x=y", "C": ""}


def test_env_file_reads_as_docker_run_env_file_does(tmp_path):
    """Pinned against `docker run --env-file` (docker CLI 28.2): values are not trimmed, a line's leading
    white space is, a final CR goes, a bare NAME comes from the environment or is skipped."""
    path = tmp_path / "env"
    path.write_bytes(b"\xef\xbb\xbf# comment\n  A=1  \nB= two \nFROM_ENV\nABSENT_VAR\n\tC=x\nD=a=b\r\nE=\n\n  # indented comment\n")
    assert parse_env_file(str(path), environ={"FROM_ENV": "hello world"}) == {
        "A": "1  ", "B": " two ", "FROM_ENV": "hello world", "C": "x", "D": "a=b", "E": ""}


def test_env_file_bare_names_come_from_the_modules_environment(tmp_path, monkeypatch):
    path = tmp_path / "env"
    path.write_text("KAPAL_TEST_FROM_ENV\nKAPAL_TEST_EMPTY\n")
    monkeypatch.setenv("KAPAL_TEST_FROM_ENV", "yes")
    monkeypatch.setenv("KAPAL_TEST_EMPTY", "")
    assert parse_env_file(str(path)) == {"KAPAL_TEST_FROM_ENV": "yes", "KAPAL_TEST_EMPTY": ""}


@pytest.mark.parametrize("content, message", [
    (b"B =x\n", r"variable name 'B ' on line 1 of .* contains white space$"),
    (b"A=1\n=x\n", r"line 2 of .* has no variable name: '=x'$"),
    (b"A=\xff\n", r"line 1 of .* is not UTF-8$"),
    (b"NAME WITH SPACE\n", r"variable name 'NAME WITH SPACE' on line 1 of .* contains white space$"),
])
def test_env_file_refuses(tmp_path, content, message):
    path = tmp_path / "env"
    path.write_bytes(content)
    with pytest.raises(KapalError, match="^env_file: " + message):
        parse_env_file(str(path), environ={})


def test_env_file_that_cannot_be_read():
    with pytest.raises(KapalError, match="^env_file: cannot read /nonexistent: no such file or directory$"):
        parse_env_file("/nonexistent")
