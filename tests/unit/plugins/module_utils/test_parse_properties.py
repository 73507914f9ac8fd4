"""Property tests for the option parsers: what is formatted parses back to the same value, and any
input either parses or is refused with a one-line KapalError that names the option (never another
exception, never a traceback for the user)."""

import ipaddress

import pytest
from hypothesis import example, given, settings, strategies as st

from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError
from ansible_collections.kapal.docker.plugins.module_utils._parse import (
    Port, Volume, format_duration, format_size, parse_cpus, parse_duration, parse_port,
    parse_ports, parse_size, parse_volume, parse_volumes, string_map, string_value,
)

# Text that is mostly made of the characters the grammars use, so that the search reaches deep
# into each parser rather than failing on the first character.
_GRAMMAR = st.text(alphabet="0123456789:/.-[]abcdefgkmnorstuwxyzABGKM \tsctpudp", max_size=40)
_ANY = st.one_of(st.text(max_size=60), _GRAMMAR, st.integers(), st.floats(), st.booleans(), st.none())


def _refused_cleanly(parse, value, option):
    """Parse, or check the refusal: a KapalError, one line, starting with the option's name."""
    try:
        return parse(value, option)
    except KapalError as exc:
        text = str(exc)
        assert text.startswith(option + ": "), text
        assert "\n" not in text, text
        return None


# ports -----------------------------------------------------------------------------------------

_port_number = st.integers(min_value=1, max_value=65535)
_ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: "%d.%d.%d.%d" % t)
_ipv6 = st.sampled_from(["::1", "fe80::1", "2001:db8::7", "::"])
_ports = st.builds(
    Port,
    container_port=_port_number,
    protocol=st.sampled_from(["tcp", "udp", "sctp"]),
    host_ip=st.one_of(st.just(""), _ipv4, _ipv6),
    host_port=st.one_of(st.just(""), _port_number.map(str)),
).filter(lambda p: p.host_port or not p.host_ip or True)


@settings(max_examples=200, deadline=None)
@given(_ports)
def test_port_format_parse_round_trip(port):
    if port.host_ip and not port.host_port:
        # "ip::80" is the CLI's form for "any host port on ip"; formatted, it reads the same way.
        port = Port(port.container_port, port.protocol, port.host_ip, "")
    assert parse_port(str(port)) == [port]


@settings(max_examples=200, deadline=None)
@given(_port_number, st.integers(0, 20), _port_number, st.sampled_from(["tcp", "udp"]))
def test_port_ranges_expand_pairwise(host, span, container, proto):
    span = min(span, 65535 - max(host, container))
    spec = "%d-%d:%d-%d/%s" % (host, host + span, container, container + span, proto)
    ports = parse_port(spec)
    assert [p.container_port for p in ports] == list(range(container, container + span + 1))
    assert [int(p.host_port) for p in ports] == list(range(host, host + span + 1))
    assert parse_ports([str(p) for p in ports]) == sorted(ports)


@settings(max_examples=200, deadline=None)
@given(_ANY)
@example("99999999999999999999999:80")
@example("[::1]:80")
@example("[::1:80")
@example("1.2.3.4::80/udp")
def test_any_port_parses_or_is_refused(value):
    ports = _refused_cleanly(parse_port, value, "published_ports")
    for port in ports or []:
        assert 1 <= port.container_port <= 65535
        assert port.protocol in ("tcp", "udp", "sctp")
        # never wider than asked: an empty host IP (every interface) only when none was given
        assert port.host_ip == "" or ipaddress.ip_address(port.host_ip)


# volumes ---------------------------------------------------------------------------------------

_segment = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,8}", fullmatch=True)
_abs_path = st.lists(_segment, min_size=1, max_size=4).map(lambda parts: "/" + "/".join(parts))
_volumes = st.builds(
    Volume,
    target=_abs_path,
    source=st.one_of(st.just(""), _abs_path, _segment),
    mode=st.sampled_from(["rw", "ro"]),
).filter(lambda v: v.source or v.mode == "rw")


@settings(max_examples=200, deadline=None)
@given(_volumes)
def test_volume_format_parse_round_trip(volume):
    assert parse_volume(str(volume)) == volume


@settings(max_examples=200, deadline=None)
@given(_abs_path, _abs_path)
def test_volume_paths_are_normalized(source, target):
    messy = "%s//:%s/" % (source, target)
    assert parse_volume(messy) == Volume(target=target, source=source)


@settings(max_examples=200, deadline=None)
@given(_ANY)
@example("/host:")
@example("relative/path:/x")
@example("a:b:c:d")
@example("/a:/b:rx")
def test_any_volume_parses_or_is_refused(value):
    volume = _refused_cleanly(parse_volume, value, "volumes")
    if volume is not None:
        assert volume.target.startswith("/")
        assert parse_volume(str(volume)) == volume


_MODE_KINDS = [["ro", "rw"], ["z", "Z"], ["consistent", "cached", "delegated"]]


@settings(max_examples=200, deadline=None)
@given(_abs_path, _abs_path, st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), max_size=3, unique_by=lambda t: t[0]),
       st.sampled_from(["", "rprivate", "rshared", "slave"]), st.randoms(use_true_random=False))
def test_volume_modes_in_any_order_are_one_mode(source, target, picks, propagation, random):
    words = [_MODE_KINDS[kind][choice % len(_MODE_KINDS[kind])] for kind, choice in picks] + ([propagation] if propagation else [])
    if not words:
        return
    shuffled = list(words)
    random.shuffle(shuffled)
    ordered = parse_volume("%s:%s:%s" % (source, target, ",".join(words)))
    assert parse_volume("%s:%s:%s" % (source, target, ",".join(shuffled))) == ordered
    assert parse_volume(ordered.bind()) == ordered
    assert ordered.mode.partition(",")[0] == ("ro" if "ro" in words else "rw")


@settings(max_examples=100, deadline=None)
@given(st.lists(_volumes, max_size=5))
def test_volume_lists_refuse_a_target_twice_and_nothing_else(volumes):
    targets = [v.target for v in volumes]
    try:
        parsed = parse_volumes([str(v) for v in volumes])
    except KapalError as exc:
        assert len(set(targets)) < len(targets)
        assert str(exc).startswith("volumes: container path ")
    else:
        assert parsed == sorted(set(volumes))


# sizes -----------------------------------------------------------------------------------------

_sizes = st.one_of(st.integers(0, 2 ** 50), st.integers(0, 4096).map(lambda n: n * 1024 ** 2))


@settings(max_examples=200, deadline=None)
@given(_sizes)
def test_size_format_parse_round_trip(size):
    assert parse_size(format_size(size)) == size


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10 ** 6), st.sampled_from(["", "b", "k", "kb", "m", "M", "mb", "g", "G", "t"]))
def test_size_units(number, unit):
    factor = {"": 1, "b": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4}[unit[:1].lower()]
    assert parse_size("%d%s" % (number, unit)) == number * factor


@settings(max_examples=200, deadline=None)
@given(_ANY)
@example("9" * 400)
@example("9" * 400 + "g")
@example("-1m")
@example("12x")
@example(-1)
def test_any_size_parses_or_is_refused(value):
    size = _refused_cleanly(parse_size, value, "memory")
    if size is not None:
        assert isinstance(size, int) and size >= 0


# durations -------------------------------------------------------------------------------------

_nanoseconds = st.one_of(
    st.integers(0, 10 ** 15),
    st.integers(0, 10 ** 6).map(lambda s: s * 10 ** 9),
    st.integers(0, 10 ** 6).map(lambda ms: ms * 10 ** 6),
)


@settings(max_examples=200, deadline=None)
@given(_nanoseconds)
@example(1_000_000_001)
@example(3_600_000_000_001)
def test_duration_format_parse_round_trip(nanoseconds):
    assert parse_duration(format_duration(nanoseconds)) == nanoseconds


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 100), st.integers(0, 59), st.integers(0, 59), st.integers(0, 999))
def test_duration_parts_add_up(hours, minutes, seconds, millis):
    text = "%dh%dm%ds%dms" % (hours, minutes, seconds, millis)
    assert parse_duration(text) == ((hours * 60 + minutes) * 60 + seconds) * 10 ** 9 + millis * 10 ** 6


@settings(max_examples=200, deadline=None)
@given(_ANY)
@example("9" * 400)
@example("9" * 400 + "h")
@example("1m30")
@example("-5s")
@example(float("inf"))
@example(float("nan"))
def test_any_duration_parses_or_is_refused(value):
    duration = _refused_cleanly(parse_duration, value, "interval")
    if duration is not None:
        assert isinstance(duration, int) and duration >= 0


# cpus, env values, string maps -----------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(_ANY)
@example("inf")
@example("nan")
@example("1e400")
@example(float("inf"))
def test_any_cpus_parses_or_is_refused(value):
    nano = _refused_cleanly(parse_cpus, value, "cpus")
    if nano is not None:
        assert isinstance(nano, int) and nano >= 0


_json = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5)),
                     lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)),
                     max_leaves=6)


@settings(max_examples=200, deadline=None)
@given(_json)
def test_env_values_are_scalars_or_refused(value):
    text = _refused_cleanly(lambda v, option: string_value(option, "KEY", v), value, "env")
    assert (text is None) == (value is None or isinstance(value, (dict, list)))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=5), _json, max_size=4))
def test_text_maps_are_strings_or_refused(mapping):
    result = _refused_cleanly(lambda m, option: string_map(option, m), mapping, "labels")
    if result is None:
        assert any(v is None or isinstance(v, (dict, list)) for v in mapping.values())
    else:
        assert all(isinstance(v, str) for v in result.values())


@pytest.mark.parametrize("parse, option", [(parse_port, "published_ports"), (parse_volume, "volumes"),
                                           (parse_size, "memory"), (parse_duration, "interval"), (parse_cpus, "cpus")])
def test_refusals_name_the_value(parse, option):
    with pytest.raises(KapalError) as err:
        parse("kapal-nonsense", option)
    assert "kapal-nonsense" in str(err.value)
