"""Parsers and formatters of container option values, from tables."""

import pytest

from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError
from ansible_collections.kapal.docker.plugins.module_utils._parse import (
    Port,
    Volume,
    env_to_dict,
    format_duration,
    format_size,
    parse_cpus,
    parse_duration,
    parse_env_file,
    parse_env_value,
    parse_port,
    parse_ports,
    parse_size,
    parse_volume,
    parse_volumes,
    ports_from_bindings,
    ports_to_bindings,
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
])
def test_parse_port(text, expected):
    assert parse_port(text) == expected


@pytest.mark.parametrize("text", ["abc", "70000:80", "80:70000", "0:80", "1:2:3:4", "80/icmp", ":80:", "9000-9002:80-81", "x.y:80:80", ""])
def test_parse_port_refuses(text):
    with pytest.raises(KapalError) as info:
        parse_port(text, "published_ports")
    message = str(info.value)
    assert message.startswith("published_ports: ") and repr(text) in message and "\n" not in message


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


@pytest.mark.parametrize("text", ["/host:", "data", ":/data", "/a:/b:rx", "/a:b", "bad name:/x", "a:b:c:d"])
def test_parse_volume_refuses(text):
    with pytest.raises(KapalError) as info:
        parse_volume(text)
    assert str(info.value).startswith("volumes: ") and repr(text) in str(info.value)


def test_volume_forms():
    assert str(Volume("/data", "/srv", "ro")) == "/srv:/data:ro"
    assert Volume("/data", "data").bind() == "data:/data"
    assert str(Volume("/cache")) == "/cache"
    with pytest.raises(KapalError, match="given more than once"):
        parse_volumes(["/a:/x", "b:/x"])


@pytest.mark.parametrize("text, expected", [
    ("512m", 512 * 1024 ** 2), ("1g", 1024 ** 3), ("1G", 1024 ** 3), ("1.5g", 1536 * 1024 ** 2),
    ("64MB", 64 * 1024 ** 2), ("1024", 1024), (2048, 2048), ("100k", 102400),
])
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["12x", "", "m", "-1", True])
def test_parse_size_refuses(text):
    with pytest.raises(KapalError, match=r"^memory: expected a size"):
        parse_size(text, "memory")


def test_format_size():
    assert format_size(512 * 1024 ** 2) == "512m"
    assert format_size(1024 ** 3) == "1g"
    assert format_size(1000) == "1000"
    assert format_size(None) is None


@pytest.mark.parametrize("value, expected", [("1.5", 1500000000), (2, 2000000000), (0.25, 250000000)])
def test_parse_cpus(value, expected):
    assert parse_cpus(value) == expected


@pytest.mark.parametrize("value", ["x", 0, -1, True, None])
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


def test_env_values():
    assert parse_env_value("A", 1) == "1"
    assert parse_env_value("A", True) == "true"
    assert parse_env_value("A", "x") == "x"
    with pytest.raises(KapalError, match=r"^env: value of LIST must be a string, number or boolean, got \[1\]$"):
        parse_env_value("LIST", [1])
    assert env_to_dict(["A=1", "B=x=y", "C"]) == {"A": "1", "B": "x=y", "C": ""}


def test_env_file(tmp_path):
    path = tmp_path / "env"
    path.write_text("# comment\nA=1\n\nB = two words\n")
    assert parse_env_file(str(path)) == {"A": "1", "B": " two words"}
    path.write_text("nonsense\n")
    with pytest.raises(KapalError, match="^env_file: line 1 of .* is not KEY=value"):
        parse_env_file(str(path))
    with pytest.raises(KapalError, match="^env_file: cannot read /nonexistent: no such file or directory$"):
        parse_env_file("/nonexistent")
