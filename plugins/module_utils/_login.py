# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Registry logins as the docker CLI keeps them: ``config.json`` auths, credential helpers.

What ``docker login`` and ``docker logout`` do, without the CLI: the credentials are checked
against the registry's ``/v2/`` first, then stored where the docker CLI (and with it the engine's
pulls run by the CLI, and the Docker SDK) looks for them: in the ``auths`` of ``config.json``
(base64 ``user:password``), or with a credential helper (``credHelpers`` for the registry, else
``credsStore``) run as ``docker-credential-<name> store|get|erase`` exactly as the CLI runs it.

The file is rewritten only when something changes, atomically (a temporary file renamed over it)
and with mode 0600; every key it holds that is not the registry's entry is kept as it was. The
password never appears in a result or a message.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import subprocess
import tempfile
from urllib.parse import urlsplit

from ansible.module_utils.common.text.converters import to_bytes, to_text

from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError, one_line
from ansible_collections.kapal.docker.plugins.module_utils._registry import registry_client

DOCKER_HUB_KEY = "https://index.docker.io/v1/"
_HUB_HOSTS = ("docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com")
HELPER_TIMEOUT = 60
_NOT_FOUND = "credentials not found"
# Fields of an auths entry that hold a secret or the identity it belongs to.
_SECRET_FIELDS = ("auth", "identitytoken", "registrytoken", "password", "username")


# --- names ----------------------------------------------------------------------------------------

def registry_host(text):
    """The registry host[:port] of ``registry_url`` (a host, host:port or URL); Docker Hub is docker.io."""
    value = (text or "").strip()
    if not value:
        raise KapalError("registry_url: expected a registry such as registry.example.com:5000, got %r" % text)
    parts = urlsplit(value if "://" in value else "//" + value)
    host = parts.netloc
    if not host or "@" in host or " " in host:
        raise KapalError("registry_url: expected a registry such as registry.example.com:5000, got %r" % text)
    host = host.lower()
    return "docker.io" if host in _HUB_HOSTS else host


def config_key(host):
    """The key of a registry in config.json, as the docker CLI writes it."""
    return DOCKER_HUB_KEY if host == "docker.io" else host


def same_registry(key, host):
    """Whether a config.json key (any spelling: URL, host, Hub's v1 URL) names the registry ``host``."""
    try:
        return registry_host(key) == host
    except KapalError:
        return False


def default_config_path(environ=None):
    env = os.environ if environ is None else environ
    directory = env.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    return os.path.join(directory, "config.json")


# --- config.json ----------------------------------------------------------------------------------

def read_config(path):
    """The config as a dict ({} when the file is missing); a file that is not a JSON object fails."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise KapalError("config_path: cannot read %s: %s" % (path, one_line(exc.strerror or exc))) from None
    if not data.strip():
        return {}
    try:
        config = json.loads(to_text(data, errors="surrogate_or_strict"))
    except ValueError as exc:
        raise KapalError("config_path: %s is not valid JSON (%s); fix or remove it" % (path, one_line(exc))) from None
    if not isinstance(config, dict):
        raise KapalError("config_path: %s is not a JSON object" % path)
    return config


def write_config(path, config):
    """Replace ``path`` atomically with ``config`` (mode 0600, the existing file's owner kept)."""
    target = os.path.realpath(path)
    directory = os.path.dirname(target)
    try:
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o700)
        existing = os.stat(target) if os.path.exists(target) else None
        fd, temp_path = tempfile.mkstemp(dir=directory, prefix=".config.json.")
    except OSError as exc:
        raise KapalError("config_path: cannot write to %s: %s" % (directory, one_line(exc.strerror or exc))) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(to_bytes(json.dumps(config, indent="\t", sort_keys=False)) + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_path, 0o600)
        if existing is not None and os.geteuid() == 0:
            os.chown(temp_path, existing.st_uid, existing.st_gid)
        os.replace(temp_path, target)
    except OSError as exc:
        _unlink(temp_path)
        raise KapalError("config_path: cannot write %s: %s" % (path, one_line(exc.strerror or exc))) from None


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def encode_auth(username, password):
    return to_text(base64.b64encode(to_bytes(username) + b":" + to_bytes(password)))


def decode_auth(entry):
    """(username, password) of a config.json auths entry; None when it holds none (e.g. a helper's marker)."""
    auth = entry.get("auth") if isinstance(entry, dict) else None
    if not auth:
        return None
    try:
        user, sep, secret = to_text(base64.b64decode(auth, validate=True), errors="strict").partition(":")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return (user, secret) if sep else None


def entry_keys(config, host):
    """Every key of ``auths`` that names the registry ``host``, the CLI's own spelling first."""
    auths = config.get("auths") or {}
    key = config_key(host)
    keys = [key] if key in auths else []
    return keys + sorted(k for k in auths if k != key and same_registry(k, host))


def helper_for(config, host):
    """The credential helper the CLI uses for ``host``: credHelpers[key], else credsStore, else None."""
    helpers = config.get("credHelpers") or {}
    for key in [config_key(host)] + sorted(helpers):
        if key in helpers and same_registry(key, host) and helpers[key]:
            return helpers[key]
    return config.get("credsStore") or None


# --- credential helpers (docker-credential-<name> store|get|erase) -------------------------------

class CredentialHelper:
    """A docker credential helper program, spoken to on stdin/stdout as the docker CLI does."""

    def __init__(self, name):
        self.name = name
        self.program = "docker-credential-%s" % name

    def _run(self, action, data):
        try:
            proc = subprocess.run([self.program, action], input=to_bytes(data), capture_output=True,
                                  timeout=HELPER_TIMEOUT, check=False)
        except FileNotFoundError:
            raise KapalError("config_path: the credential helper %s is configured but %s is not on PATH"
                             % (self.name, self.program)) from None
        except subprocess.TimeoutExpired:
            raise KapalError("credential helper %s %s: no answer after %ss" % (self.program, action, HELPER_TIMEOUT)) from None
        except OSError as exc:
            raise KapalError("credential helper %s %s: %s" % (self.program, action, one_line(exc.strerror or exc))) from None
        return proc.returncode, to_text(proc.stdout, errors="surrogate_or_replace"), to_text(proc.stderr, errors="surrogate_or_replace")

    def get(self, server):
        """(username, secret) stored for ``server``, or None."""
        rc, out, err = self._run("get", server)
        if rc != 0:
            if _NOT_FOUND in (out + err).lower():
                return None
            raise KapalError("credential helper %s get %s failed: %s" % (self.program, server, one_line(out or err)))
        try:
            answer = json.loads(out)
        except ValueError:
            raise KapalError("credential helper %s get %s: the answer is not JSON" % (self.program, server)) from None
        return answer.get("Username") or "", answer.get("Secret") or ""

    def store(self, server, username, secret):
        payload = json.dumps({"ServerURL": server, "Username": username, "Secret": secret})
        rc, out, err = self._run("store", payload)
        if rc != 0:
            raise KapalError("credential helper %s store %s failed: %s" % (self.program, server, one_line(out or err)))

    def erase(self, server):
        rc, out, err = self._run("erase", server)
        if rc != 0 and _NOT_FOUND not in (out + err).lower():
            raise KapalError("credential helper %s erase %s failed: %s" % (self.program, server, one_line(out or err)))


# --- the task ---------------------------------------------------------------------------------------

def stored_credentials(config, host, helper):
    """(username, password) stored for ``host`` now, or None; and the config keys that name it."""
    keys = entry_keys(config, host)
    if helper is not None:
        return helper.get(config_key(host)), keys
    for key in keys:
        found = decode_auth(config["auths"][key])
        if found is not None:
            return found, keys
    return None, keys


def _entry(current, auth):
    """The auths entry to keep: the current one's other fields, and ``auth`` (None: a helper holds the secret)."""
    entry = dict((k, v) for k, v in (current or {}).items() if k not in _SECRET_FIELDS) if isinstance(current, dict) else {}
    if auth is not None:
        entry["auth"] = auth
    return entry


def _state(host, stored, username=None, password=None):
    return dict(registry=config_key(host), logged_in=stored is not None,
                username=stored[0] if stored else None,
                password_matches=(stored[1] == password) if stored and password is not None else None)


def login_task(engine, params, check_mode):
    """The kapal.docker.registry_login task: store (or, with state absent, remove) a registry login."""
    del engine  # the login is the docker CLI's, on this host; the engine is not asked
    host = registry_host(params["registry_url"])
    key = config_key(host)
    path = params.get("config_path") or default_config_path()
    config = read_config(path)
    helper_name = helper_for(config, host)
    helper = CredentialHelper(helper_name) if helper_name else None
    stored, keys = stored_credentials(config, host, helper)
    result = dict(registry=key, config_path=path, credentials_store=helper_name)

    if params["state"] == "absent":
        changed = stored is not None or bool(keys)
        if changed and not check_mode:
            if helper is not None and stored is not None:
                helper.erase(key)
            if keys:
                auths = config["auths"]
                for old in keys:
                    del auths[old]
                write_config(path, config)
        after = dict(registry=key, logged_in=False, username=None, password_matches=None)
        return dict(result, changed=changed, username=None,
                    diff=dict(before=_state(host, stored), after=after))

    username, password = params.get("username"), params.get("password")
    if not username:
        raise KapalError("username: state present needs a username (and a password)")
    if password is None:
        raise KapalError("password: state present needs a password for user %r" % username)
    # The registry decides first: a wrong password fails here and the config stays as it was.
    client = registry_client(host, params)
    try:
        client.ping()
    finally:
        client.close()

    same = stored is not None and stored == (username, password)
    auths = config.get("auths") or {}
    wanted_entry = _entry(auths.get(key), None if helper is not None else encode_auth(username, password))
    tidy = keys == [key] and auths[key] == wanted_entry
    changed = bool(params.get("reauthorize")) or not same or not tidy
    if changed and not check_mode:
        if helper is not None:
            helper.store(key, username, password)
        new_auths = config.setdefault("auths", {})
        for old in keys:
            del new_auths[old]
        new_auths[key] = wanted_entry
        write_config(path, config)
    before = _state(host, stored, password=password)
    after = dict(registry=key, logged_in=True, username=username, password_matches=True)
    return dict(result, changed=changed, username=username,
                login_result=dict(serveraddress=key, username=username),
                diff=dict(before=before, after=after))
