# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding, reading and merging Compose files: the entry point ``load_project``.

The steps are Compose's: the files (``compose.yaml`` and its override, or the given list, or an
inline definition), the project environment (the given environ over the ``.env`` files), the
project name, then for each file: YAML (1.2 scalars, ``!reset`` and ``!override``), interpolation,
canonical syntax, ``extends``, and the merge into the files before it (mappings merged, sequences
appended, ports/volumes/secrets/configs unique by their key, command/entrypoint/healthcheck.test
replaced). Last the model: profiles, selected services with their dependencies, dependency order.
"""

from __future__ import annotations

import copy
import os
import posixpath
import re
import traceback

from ansible_collections.kapal.docker.plugins.module_utils._compose.interpolation import (
    InterpolationError,
    interpolate,
    parse_dotenv,
)
from ansible_collections.kapal.docker.plugins.module_utils._compose.model import (
    ComposeError,
    build_project,
    canonical_file,
    fail,
    normalize_project_name,
)

try:
    import yaml

    YAML_IMPORT_ERROR = None
except ImportError:
    yaml = None
    YAML_IMPORT_ERROR = traceback.format_exc()

COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDE_FILES = ("compose.override.yml", "compose.override.yaml", "docker-compose.override.yml",
                  "docker-compose.override.yaml")


class Marker:
    """A value tagged ``!reset`` (drop what the files before said) or ``!override`` (replace it)."""

    def __init__(self, kind, value):
        self.kind = kind
        self.value = value

    def rewrap(self, value):
        return Marker(self.kind, value)

    def __repr__(self):
        return "!%s %r" % (self.kind, self.value)

    def __eq__(self, other):
        return isinstance(other, Marker) and (self.kind, self.value) == (other.kind, other.value)

    def __hash__(self):
        return hash(self.kind)


# -- YAML as Compose reads it (YAML 1.2 scalars: 'on', 'yes' and '22:22' stay strings) ---------

if yaml is not None:
    class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # pylint: disable=too-many-ancestors
        """SafeLoader with YAML 1.2 core scalars, duplicate keys refused, !reset and !override (parsed
        by LibYAML when PyYAML has it: ten times faster than the pure Python parser)."""

        yaml_implicit_resolvers = {}

    for _tag, _pattern, _first in (
        ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
        ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
        ("tag:yaml.org,2002:float",
         r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
         "-+0123456789."),
        ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
        ("tag:yaml.org,2002:merge", r"^(?:<<)$", ["<"]),
    ):
        _Loader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))

    def _construct_mapping(loader, node):
        loader.flatten_mapping(node)
        mapping = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise yaml.constructor.ConstructorError(
                    None, None, "non-string key %r" % (key,), key_node.start_mark)
            if key in mapping:
                raise yaml.constructor.ConstructorError(
                    None, None, "mapping key %r already defined" % key, key_node.start_mark)
            mapping[key] = loader.construct_object(value_node, deep=True)
        return mapping

    def _construct_int(loader, node):
        text = loader.construct_scalar(node).replace("_", "")
        if text.startswith(("0o", "-0o", "+0o")):
            return int(text.replace("0o", ""), 8)
        return int(text, 0) if text.startswith(("0x", "-0x", "+0x")) else int(text)

    def _construct_tagged(kind):
        def construct(loader, node):
            if isinstance(node, yaml.MappingNode):
                value = _construct_mapping(loader, node)
            elif isinstance(node, yaml.SequenceNode):
                value = loader.construct_sequence(node, deep=True)
            else:
                value = loader.construct_scalar(node)
            return Marker(kind, value)
        return construct

    _Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
    _Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
    _Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)
    _Loader.add_constructor("!reset", _construct_tagged("reset"))
    _Loader.add_constructor("!override", _construct_tagged("override"))


def parse_yaml(text, source):
    """The documents of one Compose file; a YAML error is one line naming the file, line and column."""
    if yaml is None:
        raise ComposeError("compose: reading %s needs the Python library PyYAML" % source)
    try:
        documents = [doc for doc in yaml.load_all(text, Loader=_Loader) if doc is not None]  # nosec B506: SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = "line %d, column %d" % (mark.line + 1, mark.column + 1) if mark else "YAML"
        problem = " ".join(" ".join(filter(None, (exc.context, exc.problem))).split())
        raise fail(source, where, problem) from None
    except yaml.YAMLError as exc:
        raise fail(source, "YAML", " ".join(str(exc).split())) from None
    return documents


def _read(path, what):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ComposeError("compose: %s: cannot read %s: %s" % (what, path, reason.lower())) from None


# -- the merge rules of the Compose specification -------------------------------------------------

_REPLACED = (("services", "*", "command"), ("services", "*", "entrypoint"),
             ("services", "*", "healthcheck", "test"), ("services", "*", "ulimits", "*"))


def _port_key(port):
    return (port.get("host_ip") or "", str(port.get("published") or ""), port.get("target"), port.get("protocol"))


_UNIQUE = {
    ("services", "*", "ports"): _port_key,
    ("services", "*", "volumes"): lambda v: v.get("target"),
    ("services", "*", "secrets"): lambda v: v.get("target") or "/run/secrets/" + v.get("source", ""),
    ("services", "*", "configs"): lambda v: v.get("target") or "/" + v.get("source", ""),
    ("services", "*", "devices"): lambda v: v.get("target"),
    ("services", "*", "env_file"): lambda v: v.get("path"),
    ("services", "*", "networks", "*", "aliases"): lambda v: v,
    ("networks", "*", "ipam", "config"): lambda v: v.get("subnet") if isinstance(v, dict) else v,
}
for _key in ("expose", "dns", "dns_search", "cap_add", "cap_drop", "profiles", "tmpfs", "extra_hosts"):
    _UNIQUE[("services", "*", _key)] = lambda v: v


def _matches(path, pattern):
    return len(path) == len(pattern) and all(p == "*" or p == k for k, p in zip(path, pattern))


def strip_markers(value):
    """A value as the first file to give it says it: !reset entries dropped, !override unwrapped."""
    if isinstance(value, Marker):
        return None if value.kind == "reset" else strip_markers(value.value)
    if isinstance(value, dict):
        return dict((k, strip_markers(v)) for k, v in value.items()
                    if not (isinstance(v, Marker) and v.kind == "reset"))
    if isinstance(value, list):
        return [strip_markers(v) for v in value if not (isinstance(v, Marker) and v.kind == "reset")]
    return value


def merge(base, override, path=()):
    """Merge ``override`` into ``base`` (both canonical) by the Compose specification's rules."""
    if isinstance(override, Marker):
        return strip_markers(override)
    if override is None:
        return base
    if base is None or any(_matches(path, pattern) for pattern in _REPLACED):
        return strip_markers(override)
    if path[:1] == ("services",) and len(path) == 3 and path[2] == "logging" and isinstance(base, dict):
        if base.get("driver") and override.get("driver") and base["driver"] != override["driver"]:
            return strip_markers(override)
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            if isinstance(value, Marker) and value.kind == "reset":
                merged.pop(key, None)
            elif key in merged:
                merged[key] = merge(merged[key], value, path + (key,))
            else:
                merged[key] = strip_markers(value)
        return merged
    if isinstance(base, list) and isinstance(override, list):
        items = base + strip_markers(override)
        for pattern, key in _UNIQUE.items():
            if _matches(path, pattern):
                return _unique(items, key)
        return items
    if isinstance(base, (dict, list)) != isinstance(override, (dict, list)) and not isinstance(base, str):
        raise ComposeError("compose: cannot merge %s: a %s over a %s"
                           % (".".join(path), type(override).__name__, type(base).__name__))
    return strip_markers(override)


def _unique(items, key):
    result = []
    index = {}
    for item in items:
        marker = key(item)
        if marker in index:
            result[index[marker]] = item
        else:
            index[marker] = len(result)
            result.append(item)
    return result


# -- loading ----------------------------------------------------------------------------------------

def discover_files(project_src):
    """The files Compose picks in a directory: the first of COMPOSE_FILES and the first override."""
    found = [os.path.join(project_src, name) for name in COMPOSE_FILES if os.path.isfile(os.path.join(project_src, name))]
    if not found:
        raise ComposeError("compose: project_src: no %s in %s" % (" / ".join(COMPOSE_FILES), project_src))
    overrides = [os.path.join(project_src, name) for name in OVERRIDE_FILES
                 if os.path.isfile(os.path.join(project_src, name))]
    return [found[0]] + overrides[:1]


def project_environment(environ, env_files):
    """The interpolation environment: ``environ`` over the variables of the env files (in order)."""
    variables = {}
    for path in env_files:
        text = _read(path, "env_files")
        try:
            variables.update(parse_dotenv(text, lambda name, seen=dict(variables): environ.get(name, seen.get(name))))
        except InterpolationError as exc:
            raise fail(path, "", str(exc)) from None
    variables.update(environ)
    return variables


def read_env_file(entry, lookup):
    """The variables of one service env_file entry ({path, required, format}); ``lookup`` interpolates."""
    path = entry["path"]
    if not os.path.exists(path):
        if entry.get("required", True):
            raise ComposeError("compose: env_file: no such file: %s" % path)
        return {}
    text = _read(path, "env_file")
    if entry.get("format") == "raw":
        variables = {}
        for line in text.splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                key, _sep, value = line.partition("=")
                variables[key.strip()] = value
        return variables
    try:
        return parse_dotenv(text, lookup)
    except InterpolationError as exc:
        raise fail(path, "", str(exc)) from None


class _Loading:
    """The state of one load: environment, parsed extended files, warnings."""

    def __init__(self, environment, working_dir):
        self.environment = environment
        self.working_dir = working_dir
        self.extended_files = {}
        self.unset = set()

    def lookup(self, name):
        return self.environment.get(name)

    def document(self, tree, source, base_dir):
        """One parsed YAML document -> its canonical, interpolated form."""
        try:
            tree = interpolate(tree, self.lookup, unset=self.unset)
        except InterpolationError as exc:
            raise fail(source, "", str(exc)) from None
        return canonical_file(tree, source, base_dir, self.environment.get("HOME"))

    def extended_file(self, path):
        if path not in self.extended_files:
            merged = {}
            for document in parse_yaml(_read(path, "extends"), path):
                merged = merge(merged, self.document(document, path, posixpath.dirname(path)))
            self.extended_files[path] = merged.get("services") or {}
        return self.extended_files[path]

    def extends(self, services, name, source, chain=()):
        """The service ``name`` of ``services`` (from ``source``) with its ``extends`` applied."""
        service = services[name]
        if not isinstance(service, dict) or "extends" not in service:
            return service
        spec = service["extends"]
        base_source, base_services = source, services
        if spec.get("file"):
            base_source, base_services = spec["file"], self.extended_file(spec["file"])
        link = (source, name)
        if link in chain:
            cycle = " -> ".join("%s (%s)" % (s, f) for f, s in chain + (link,))
            raise fail(source, "services.%s.extends" % name, "circular extends: %s" % cycle)
        if spec["service"] not in base_services:
            raise fail(source, "services.%s.extends" % name,
                       "no service %s in %s" % (spec["service"], base_source))
        base = self.extends(base_services, spec["service"], base_source, chain + (link,))
        merged = merge(copy.deepcopy(base), dict((k, v) for k, v in service.items() if k != "extends"),
                       ("services", name))
        merged.pop("extends", None)
        return merged


def _project_name(project_name, environ, documents, dir_name, lookup):
    """Compose's precedence: the given name, COMPOSE_PROJECT_NAME, the files' ``name:``, the directory."""
    for given, what in ((project_name, "project_name"), (environ.get("COMPOSE_PROJECT_NAME"), "COMPOSE_PROJECT_NAME")):
        if given:
            if normalize_project_name(given) != given:
                raise ComposeError("compose: %s: invalid project name %r (lower case letters, digits, '-' and '_', "
                                   "starting with a letter or digit)" % (what, given))
            return given
    from_files = None
    for source, document in documents:
        if isinstance(document, dict) and isinstance(document.get("name"), str) and document["name"]:
            from_files = (source, document["name"])
    if from_files is not None:
        try:
            name = normalize_project_name(interpolate(from_files[1], lookup))
        except InterpolationError as exc:
            raise fail(from_files[0], "name", str(exc)) from None
        if name:
            return name
    name = normalize_project_name(dir_name or "")
    if not name:
        raise ComposeError("compose: project_name: cannot derive a project name from %r; give project_name" % dir_name)
    return name


def load_project(project_src=None, files=None, definition=None, project_name=None, env_files=None,
                 profiles=None, services=None, environ=None):
    """Read a Compose project; no engine, no Compose CLI, no process environment (``environ`` is given).

    ``project_src``: the project directory (the default files are looked for there; relative paths
    are resolved against it). ``files``: the Compose files in merge order (relative ones under
    ``project_src``). ``definition``: an inline Compose mapping instead of files. ``env_files``:
    the interpolation env files (default ``<project_src>/.env`` when it exists). ``profiles``: the
    active profiles (default COMPOSE_PROFILES). ``services``: a subset, with its dependencies.
    """
    environ = dict(environ or {})
    working_dir = os.path.abspath(project_src) if project_src else None
    if definition is not None and files:
        raise ComposeError("compose: definition: cannot be given together with files")
    if definition is not None:
        if not isinstance(definition, dict):
            raise ComposeError("compose: definition: expected a mapping, got %s" % type(definition).__name__)
        config_files = []
    elif files:
        config_files = [f if f.startswith("/") else posixpath.join(working_dir or "", f) for f in files]
        if any(not f.startswith("/") for f in config_files):
            raise ComposeError("compose: files: relative paths need project_src, got %s" % ", ".join(files))
        working_dir = working_dir or posixpath.dirname(config_files[0])
    elif working_dir:
        config_files = discover_files(working_dir)
    else:
        raise ComposeError("compose: one of project_src, files or definition is required")

    if env_files is None:
        default = posixpath.join(working_dir, ".env") if working_dir else None
        env_files = [default] if default and os.path.isfile(default) else []
    env_files = [f if f.startswith("/") else posixpath.join(working_dir or "", f) for f in env_files]
    environment = project_environment(environ, env_files)

    if definition is not None:
        documents = [("definition", copy.deepcopy(definition))]
    else:
        documents = [(path, document) for path in config_files for document in parse_yaml(_read(path, "files"), path)]
    name = _project_name(project_name, environment, documents,
                         posixpath.basename(working_dir) if working_dir else None, environment.get)
    environment["COMPOSE_PROJECT_NAME"] = name
    if profiles is None:
        profiles = [p.strip() for p in environment.get("COMPOSE_PROFILES", "").split(",") if p.strip()]

    loading = _Loading(environment, working_dir)
    merged = {}
    origins = {}
    warnings = []
    for source, document in documents:
        tree = loading.document(document, source, working_dir)
        if "version" in tree:
            warnings.append("%s: the attribute version is obsolete and ignored" % source)
        file_services = tree.get("services") or {}
        for service_name in file_services:
            file_services[service_name] = loading.extends(file_services, service_name, source)
            origins[service_name] = source
        merged = merge(merged, tree)
    merged = strip_markers(merged)
    warnings.extend('The "%s" variable is not set. Defaulting to a blank string.' % var for var in sorted(loading.unset))

    def service_env_file(entry, service_env):
        def lookup(key):
            value = environment.get(key)
            return service_env.get(key) if value is None else value
        return read_env_file(entry, lookup)

    return build_project(merged, name, working_dir or "", config_files, origins, environment.get, service_env_file,
                         profiles=profiles or (), selected=tuple(services or ()), warnings=warnings)
