# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compose interpolation (``${VAR:-default}`` and friends) and the ``.env`` file syntax.

Both follow the Compose specification and what the Compose CLI does with the odd cases:
``$$`` is a literal ``$``; ``$`` before anything that is not a name or ``{`` stays as it is;
defaults, alternatives and error messages are themselves interpolated (nesting); a ``${`` that is
not a valid expression is an error. Errors are ``InterpolationError``, whose text the loader puts
after the file and the place.
"""

from __future__ import annotations

import re

_NAME = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")
# The inside of ${...}: a name, optionally an operator and the rest (no newline, as in Compose).
_BRACED = re.compile(r"^([_a-zA-Z][_a-zA-Z0-9]*)(?::?[-+?](.*))?$")
_OPERATORS = (":?", "?", ":-", "-", ":+", "+")


class InterpolationError(Exception):
    """A ``${...}`` that is invalid, or a required variable without a value."""


def _closing_brace(text, start):
    """Index of the ``}`` that closes the ``${`` at ``start`` (Compose's way of counting), or -1."""
    depth = 0
    index = start
    while index < len(text):
        char = text[index]
        if char == "}":
            depth -= 1
            if depth == 0:
                return index
        if char == "{":
            depth += 1
            index += 1  # the character after an opening brace never closes it
        index += 1
    return -1


def _operator(content):
    """The operator of a braced expression: the one that occurs first in it (None: a plain name)."""
    found = [(content.find(op), op) for op in _OPERATORS if op in content]
    return min(found)[1] if found else None


def substitute(text, lookup, unset=None):
    """Interpolate one string. ``lookup(name)`` -> value or None when unset.

    ``unset``: a set that collects the names that were used without a value or default.
    """
    out = []
    index = 0
    while True:
        dollar = text.find("$", index)
        if dollar < 0:
            out.append(text[index:])
            return "".join(out)
        out.append(text[index:dollar])
        following = text[dollar + 1:dollar + 2]
        if following == "$":
            out.append("$")
            index = dollar + 2
        elif following == "{":
            close = _closing_brace(text, dollar)
            match = _BRACED.match(text[dollar + 2:close]) if close > 0 else None
            if match is None:
                raise InterpolationError("invalid interpolation format in %r (escape a literal $ as $$)" % text)
            out.append(_braced(text[dollar + 2:close], lookup, unset))
            index = close + 1
        else:
            match = _NAME.match(text, dollar + 1)
            if match is None:
                out.append("$")
                index = dollar + 1
                continue
            value = lookup(match.group(0))
            if value is None and unset is not None:
                unset.add(match.group(0))
            out.append(value or "")
            index = match.end()


def _braced(content, lookup, unset):
    operator = _operator(content)
    if operator is None:
        value = lookup(content)
        if value is None and unset is not None:
            unset.add(content)
        return value or ""
    name, _sep, argument = content.partition(operator)
    value = lookup(name)
    empty_counts = operator.startswith(":")
    missing = value is None or (empty_counts and value == "")
    if operator in (":-", "-"):
        return substitute(argument, lookup, unset) if missing else value
    if operator in (":+", "+"):
        return value or "" if missing else substitute(argument, lookup, unset)
    # ":?" and "?": required
    if missing:
        reason = substitute(argument, lookup, unset)
        raise InterpolationError("required variable %s is missing a value%s" % (name, ": " + reason if reason else ""))
    return value


def interpolate(value, lookup, path="", unset=None):
    """Interpolate every string value of a YAML tree (never the keys); errors name the path."""
    if isinstance(value, str):
        try:
            return substitute(value, lookup, unset)
        except InterpolationError as exc:
            raise InterpolationError("%s: %s" % (path or "(top level)", exc)) from None
    if isinstance(value, dict):
        return dict((key, interpolate(item, lookup, _join(path, key), unset)) for key, item in value.items())
    if isinstance(value, list):
        return [interpolate(item, lookup, "%s[%d]" % (path, number), unset) for number, item in enumerate(value)]
    rewrap = getattr(value, "rewrap", None)
    if rewrap is not None:  # a !reset / !override marker of the YAML loader
        return rewrap(interpolate(value.value, lookup, path, unset))
    return value


def _join(path, key):
    return "%s.%s" % (path, key) if path else str(key)


# -- the .env file syntax -----------------------------------------------------------------------

_KEY_CHARS = re.compile(r"[\w.\[\]-]", re.UNICODE)
_BLANK = " \t\v\f\r\x85\xa0"
_EXPORT = re.compile(r"export[ \t]+")
_ESCAPES = re.compile(r"\\(?:[abfnrtv$\"\\]|0[0-7]{0,3})")
_ESCAPED = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", '"': '"', "\\": "\\"}


def _expand_escapes(text):
    def one(match):
        code = match.group(0)[1:]
        if code == "$":
            return "$$"  # a literal dollar for the interpolation that follows
        if code.startswith("0"):
            return chr(int(code, 8)) if len(code) > 1 else "\0"
        return _ESCAPED[code]
    return _ESCAPES.sub(one, text)


def parse_dotenv(text, lookup=None):
    """A ``.env`` file's text -> ordered dict of its variables.

    The Compose syntax: ``KEY=value`` or ``KEY: value``, an optional ``export``, ``#`` comments
    (whole lines, and `` #`` after an unquoted value), single quotes (literal), double quotes
    (escapes such as ``\\n``, then interpolation), unquoted values (interpolated), values spanning
    lines inside quotes, and a bare ``KEY`` that takes its value from ``lookup`` when it has one.
    Interpolation looks up ``lookup`` first, then the variables read so far.
    Errors are InterpolationError('line N: ...').
    """
    lookup = lookup or (lambda name: None)
    variables = {}

    def resolve(name):
        value = lookup(name)
        return variables.get(name) if value is None else value

    if text.startswith("\ufeff"):
        text = text[1:]
    position = 0
    length = len(text)
    while True:
        while position < length and text[position].isspace():
            position += 1
        if position >= length:
            return variables
        if text[position] == "#":
            newline = text.find("\n", position)
            position = length if newline < 0 else newline
            continue
        line = text.count("\n", 0, position) + 1
        export = _EXPORT.match(text, position)
        if export:
            position = export.end()
        start = position
        while position < length and text[position] not in "=:\n":
            char = text[position]
            if char not in _BLANK and not _KEY_CHARS.match(char):
                raise InterpolationError("line %d: unexpected character %r in variable name %r"
                                         % (line, char, text[start:].split("\n")[0]))
            position += 1
        key = text[start:position].rstrip()
        separator = text[position] if position < length else "\n"
        position += 1
        if not key:
            raise InterpolationError("line %d: a variable needs a name: %r" % (line, text[start:].split("\n")[0]))
        if any(char in _BLANK for char in key):
            raise InterpolationError("line %d: a variable name cannot contain a space: %r" % (line, key))
        if separator == "\n":
            value = lookup(key)
            if value is not None:
                variables[key] = value
            continue
        while position < length and text[position] in _BLANK:
            position += 1
        quote = text[position] if position < length and text[position] in "'\"" else None
        if quote is None:
            newline = text.find("\n", position)
            end = length if newline < 0 else newline
            value = text[position:end].split(" #", 1)[0].rstrip()
            variables[key] = _dotenv_substitute(value, resolve, line)
            position = end
            continue
        value, position = _quoted(text, position, quote, line)
        if quote == '"':
            value = _dotenv_substitute(_expand_escapes(value), resolve, line)
        variables[key] = value


def _quoted(text, position, quote, line):
    """The raw inside of a quoted value starting at ``position`` and the index after its closing quote."""
    chars = []
    escaped = False
    for index in range(position + 1, len(text)):
        char = text[index]
        if char == quote and escaped:
            chars.append(char)
            escaped = False
        elif char == quote:
            return "".join(chars), index + 1
        elif escaped:
            chars.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            chars.append(char)
    raise InterpolationError("line %d: unterminated quoted value %s" % (line, text[position:].split("\n")[0]))


def _dotenv_substitute(value, resolve, line):
    try:
        return substitute(value, resolve)
    except InterpolationError as exc:
        raise InterpolationError("line %d: %s" % (line, exc)) from None
