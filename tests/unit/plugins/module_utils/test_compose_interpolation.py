"""Compose interpolation and the .env syntax, from tables (the cases the Compose specification names)."""

import pytest

from ansible_collections.kapal.docker.plugins.module_utils._compose.interpolation import (
    InterpolationError,
    interpolate,
    parse_dotenv,
    substitute,
)

ENV = {"SET": "value", "EMPTY": "", "PORT": "8080", "NESTED": "inner"}


@pytest.mark.parametrize("text, expected", [
    ("${SET}", "value"),
    ("$SET", "value"),
    ("$SET/path", "value/path"),
    ("pre-${SET}-post", "pre-value-post"),
    ("${UNSET}", ""),
    ("$UNSET", ""),
    ("${UNSET:-default}", "default"),
    ("${EMPTY:-default}", "default"),
    ("${EMPTY-default}", ""),
    ("${UNSET-default}", "default"),
    ("${SET:-default}", "value"),
    ("${SET:+alt}", "alt"),
    ("${EMPTY:+alt}", ""),
    ("${EMPTY+alt}", "alt"),
    ("${UNSET+alt}", ""),
    ("${SET?err}", "value"),
    ("${EMPTY?err}", ""),
    ("$$", "$"),
    ("$$SET", "$SET"),
    ("$${SET}", "${SET}"),
    ("cost: 5$", "cost: 5$"),
    ("$1 and $ alone", "$1 and $ alone"),
    ("${UNSET:-${SET}}", "value"),
    ("${UNSET:-${ALSO_UNSET:-deep}}", "deep"),
    ("${UNSET:-$NESTED}", "inner"),
    ("${UNSET:-a:b}", "a:b"),
    ("${UNSET:-x} and ${SET}", "x and value"),
    ("${UNSET:-{braces}}", "{braces}"),
    ("127.0.0.1:${PORT}:80", "127.0.0.1:8080:80"),
    ("${set}", ""),  # names are case-sensitive
])
def test_substitute(text, expected):
    assert substitute(text, ENV.get) == expected


@pytest.mark.parametrize("text, message", [
    ("${UNSET:?set UNSET first}", "required variable UNSET is missing a value: set UNSET first"),
    ("${EMPTY:?}", "required variable EMPTY is missing a value"),
    ("${UNSET?needs ${SET}}", "required variable UNSET is missing a value: needs value"),
    ("${}", "invalid interpolation format"),
    ("${SET", "invalid interpolation format"),
    ("${SET/a/b}", "invalid interpolation format"),
    ("${1ABC}", "invalid interpolation format"),
])
def test_substitute_refuses(text, message):
    with pytest.raises(InterpolationError) as info:
        substitute(text, ENV.get)
    assert message in str(info.value)


def test_unset_names_are_collected():
    unset = set()
    substitute("${A} $B ${C:-x} ${D-y} ${SET}", ENV.get, unset)
    assert unset == {"A", "B"}


def test_interpolate_walks_values_not_keys_and_names_the_place():
    tree = {"services": {"${SET}": {"image": "x:${SET}", "ports": ["${PORT}:80", 80], "init": True}}}
    assert interpolate(tree, ENV.get) == {"services": {"${SET}": {"image": "x:value", "ports": ["8080:80", 80], "init": True}}}
    with pytest.raises(InterpolationError) as info:
        interpolate({"services": {"web": {"environment": ["A=${NEED:?give NEED}"]}}}, ENV.get)
    assert str(info.value) == "services.web.environment[0]: required variable NEED is missing a value: give NEED"


@pytest.mark.parametrize("text, expected", [
    ("A=1\nB=2\n", {"A": "1", "B": "2"}),
    ("# comment\n\nA=1 # inline\n", {"A": "1"}),
    ("A=1#not-a-comment\n", {"A": "1#not-a-comment"}),
    ("export A=1\n", {"A": "1"}),
    ("A: 1\n", {"A": "1"}),
    ("  A = spaced  \n", {"A": "spaced"}),
    ("A='single $B \\n'\n", {"A": "single $B \\n"}),
    ('A="double\\nline"\n', {"A": "double\nline"}),
    ('A="tab\\there \\"quoted\\""\n', {"A": 'tab\there "quoted"'}),
    ('A="multi\nline"\nB=2', {"A": "multi\nline", "B": "2"}),
    ("A=1\nB=${A}2\n", {"A": "1", "B": "12"}),
    ('A=1\nB="${A:-x} ${C:-c}"\n', {"A": "1", "B": "1 c"}),
    ('A="\\$literal"\n', {"A": "$literal"}),
    ("A=$$literal\n", {"A": "$literal"}),
    ("A=\n", {"A": ""}),
    ("\ufeffA=bom\n", {"A": "bom"}),
    ("FROM_HOST\n", {"FROM_HOST": "host"}),
    ("NOT_ON_HOST\n", {}),
    ("HOST_WINS=${FROM_HOST}\n", {"HOST_WINS": "host"}),
    ("A.B-C[0]=ok\n", {"A.B-C[0]": "ok"}),
])
def test_parse_dotenv(text, expected):
    assert parse_dotenv(text, {"FROM_HOST": "host"}.get) == expected


@pytest.mark.parametrize("text, message", [
    ("A B=1\n", "line 1: a variable name cannot contain a space"),
    ("A=1\nB!=2\n", "line 2: unexpected character '!'"),
    ("A=1\nB=\"open\n", "line 2: unterminated quoted value"),
    ("A='it''s'\n", "unexpected character \"'\""),
    ("A=${NEED:?missing}\n", "line 1: required variable NEED is missing a value: missing"),
])
def test_parse_dotenv_refuses(text, message):
    with pytest.raises(InterpolationError) as info:
        parse_dotenv(text)
    assert message in str(info.value)
