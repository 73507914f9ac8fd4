"""kapal.docker.registry_login against the test bed's htpasswd+TLS registry (127.0.0.1:5001).

Every configuration file lives in the test's tmp_path (~/.docker is never touched); a credential
helper is a small program of the test (the docker-credential protocol on stdin/stdout), put first
on PATH. The image pushed for the docker CLI check is named newmod-login-<token> and removed after.
"""

import base64
import json
import os
import stat
import subprocess
import sys
import textwrap
import uuid

import pytest

from tests.integration.conftest import run_module
from tests.integration.image_support import Registry, push, remove_images
from tests.integration.test_secrets import run_playbook

WRONG = "newmod-wrong-" + uuid.uuid4().hex


@pytest.fixture
def login(testbed, tmp_path):
    """login(**args) runs the module for the secure registry with the test bed's credentials by default."""
    config = tmp_path / "docker" / "config.json"

    def run(check_mode=False, diff=True, env=None, **args):
        params = dict(registry_url=testbed["secure_registry"], username=testbed["registry_user"],
                      password=testbed["registry_password"], config_path=str(config))
        params.update(args)
        return run_module("registry_login", params, check_mode=check_mode, diff=diff, env=env)

    run.config = config
    return run


def _auth(config, key):
    entry = json.loads(config.read_text())["auths"][key]
    return base64.b64decode(entry["auth"]).decode()


def test_login_check_run_idempotent_then_logout(testbed, login):
    key, user, password = testbed["secure_registry"], testbed["registry_user"], testbed["registry_password"]
    predicted = login(check_mode=True)
    assert predicted.rc == 0 and predicted["changed"] is True, predicted
    assert predicted["diff"] == {
        "before": {"registry": key, "logged_in": False, "username": None, "password_matches": None},
        "after": {"registry": key, "logged_in": True, "username": user, "password_matches": True}}
    assert not login.config.exists(), "check mode wrote the file"

    done = login()
    assert done["changed"] is True and done["diff"] == predicted["diff"], done
    assert done["registry"] == key and done["credentials_store"] is None
    assert done["login_result"] == {"serveraddress": key, "username": user}
    assert _auth(login.config, key) == "%s:%s" % (user, password)
    assert stat.S_IMODE(login.config.stat().st_mode) == 0o600
    assert stat.S_IMODE(login.config.parent.stat().st_mode) == 0o700
    assert password not in json.dumps(done)

    stamp = login.config.stat().st_mtime_ns
    for check_mode in (True, False):
        again = login(check_mode=check_mode)
        assert again["changed"] is False, again
        assert again["diff"]["before"] == again["diff"]["after"]
    assert login.config.stat().st_mtime_ns == stamp, "an unchanged login rewrote the file"
    assert login(reauthorize=True)["changed"] is True

    gone_check = login(state="absent", check_mode=True)
    assert gone_check["changed"] is True and key in json.loads(login.config.read_text())["auths"], gone_check
    gone = login(state="absent", password=None, username=None)
    assert gone["changed"] is True and gone["diff"]["after"]["logged_in"] is False, gone
    assert json.loads(login.config.read_text())["auths"] == {}
    assert login(state="absent", password=None, username=None)["changed"] is False


def test_a_changed_password_is_rewritten_and_other_settings_kept(testbed, login):
    key, user, password = testbed["secure_registry"], testbed["registry_user"], testbed["registry_password"]
    login.config.parent.mkdir(mode=0o700)
    other = {"auths": {"https://%s" % key: {"auth": base64.b64encode(b"kapal:old").decode()},
                       "other.example.com": {"auth": "b3RoZXI6c2VjcmV0"}},
             "psFormat": "table {{.Names}}", "HttpHeaders": {"X-Test": "1"}}
    login.config.write_text(json.dumps(other))
    login.config.chmod(0o644)
    result = login()
    assert result["changed"] is True, result
    assert result["diff"]["before"] == {"registry": key, "logged_in": True, "username": user, "password_matches": False}
    written = json.loads(login.config.read_text())
    assert written["psFormat"] == other["psFormat"] and written["HttpHeaders"] == other["HttpHeaders"]
    assert sorted(written["auths"]) == sorted([key, "other.example.com"]), "the old spelling of the registry was kept"
    assert written["auths"]["other.example.com"] == other["auths"]["other.example.com"]
    assert _auth(login.config, key) == "%s:%s" % (user, password)
    assert stat.S_IMODE(login.config.stat().st_mode) == 0o600
    assert login()["changed"] is False


def test_a_wrong_password_fails_in_one_line_and_changes_nothing(testbed, login):
    key, user = testbed["secure_registry"], testbed["registry_user"]
    assert login()["changed"] is True
    before = login.config.read_bytes()
    for check_mode in (True, False):
        result = login(password=WRONG, check_mode=check_mode)
        assert result.failed, result
        assert result["msg"] == "registry %s: authentication failed for user %r (HTTP 401)" % (key, user)
        assert WRONG not in json.dumps(result)
    assert login.config.read_bytes() == before


@pytest.mark.parametrize("args, content, message", [
    ({"registry_url": "https://"}, None, "registry_url: expected a registry such as registry.example.com:5000, got 'https://'"),
    ({}, "{not json", "config_path: {config} is not valid JSON"),
    ({}, "[]", "config_path: {config} is not a JSON object"),
    ({"password": None}, None, "password: state present needs a password for user 'kapal'"),
    ({"registry_url": "127.0.0.1:5999"}, None, "cannot reach registry 127.0.0.1:5999: "),
    ({"registry_ca_path": "/nonexistent/ca.pem"}, None, "registry_ca_path: no such file: /nonexistent/ca.pem"),
])
def test_bad_input_fails_in_one_line_and_writes_nothing(login, args, content, message):
    if content is not None:
        login.config.parent.mkdir()
        login.config.write_text(content)
    result = login(**args)
    assert result.failed and result["msg"].startswith(message.format(config=login.config)), result
    assert "\n" not in result["msg"]
    assert (login.config.read_text() if content is not None else login.config.exists()) == (content or False)


HELPER = textwrap.dedent("""\
    #!{python}
    # A docker credential helper for the tests: the protocol of docker-credential-helpers, kept in a JSON file.
    import json, os, sys
    store = os.environ["NEWMOD_HELPER_STORE"]
    data = json.load(open(store)) if os.path.exists(store) else {{}}
    action, payload = sys.argv[1], sys.stdin.read()
    with open(store + ".log", "a") as log:
        log.write(action + "\\n")
    if action == "store":
        entry = json.loads(payload)
        data[entry["ServerURL"]] = [entry["Username"], entry["Secret"]]
    elif action == "get":
        if payload.strip() not in data:
            print("credentials not found in native keychain")
            sys.exit(1)
        user, secret = data[payload.strip()]
        print(json.dumps({{"ServerURL": payload.strip(), "Username": user, "Secret": secret}}))
    elif action == "erase":
        data.pop(payload.strip(), None)
    json.dump(data, open(store, "w"))
    """)


@pytest.mark.parametrize("setting", ["credsStore", "credHelpers"])
def test_a_credential_helper_holds_the_secret(testbed, login, tmp_path, setting):
    key, user, password = testbed["secure_registry"], testbed["registry_user"], testbed["registry_password"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helper = bin_dir / "docker-credential-newmodtest"
    helper.write_text(HELPER.format(python=sys.executable))
    helper.chmod(0o755)
    store = tmp_path / "helper.json"
    env = {"PATH": "%s:%s" % (bin_dir, os.environ["PATH"]), "NEWMOD_HELPER_STORE": str(store)}
    login.config.parent.mkdir()
    config = {"credsStore": "newmodtest"} if setting == "credsStore" else {"credHelpers": {key: "newmodtest"}}
    login.config.write_text(json.dumps(config))

    predicted = login(check_mode=True, env=env)
    assert predicted["changed"] is True and not store.exists(), predicted
    done = login(env=env)
    assert done["changed"] is True and done["credentials_store"] == "newmodtest", done
    assert json.loads(store.read_text()) == {key: [user, password]}
    written = json.loads(login.config.read_text())
    assert written["auths"] == {key: {}}, "the file must list the registry without its secret"
    assert written[setting] == config[setting]
    assert login(env=env)["changed"] is False
    assert login(password=WRONG, env=env).failed
    assert json.loads(store.read_text()) == {key: [user, password]}

    gone = login(state="absent", env=env)
    assert gone["changed"] is True, gone
    assert json.loads(store.read_text()) == {} and json.loads(login.config.read_text())["auths"] == {}
    assert login(state="absent", env=env)["changed"] is False

    login.config.write_text(json.dumps({"credsStore": "newmodmissing"}))
    missing = login(env=env)
    assert missing.failed and missing["msg"] == (
        "config_path: the credential helper newmodmissing is configured but docker-credential-newmodmissing is not on PATH")


def test_docker_config_directory_and_the_docker_cli_use_the_login(testbed, docker_api, tmp_path):
    """The login in $DOCKER_CONFIG is what the docker CLI uses to pull from the registry."""
    registry = Registry(testbed, "secure")
    repository = "newmod-login-%s/busybox" % uuid.uuid4().hex[:8]
    full = "%s/%s:1" % (registry.address, repository)
    docker_api.tag(testbed["busybox_image"], full.rsplit(":", 1)[0], "1")
    try:
        push(docker_api, full, registry.engine_auth)
        remove_images(docker_api, [full])
        directory = tmp_path / "cli"
        env = {"DOCKER_CONFIG": str(directory)}
        pull = ["docker", "pull", "-q", full]
        refused = subprocess.run(pull, env=dict(os.environ, **env), capture_output=True, text=True, check=False)
        assert refused.returncode != 0, "the registry let an anonymous pull through: nothing to prove"

        result = run_module("registry_login", dict(registry_url="https://%s/" % registry.address,
                                                   username=testbed["registry_user"],
                                                   password=testbed["registry_password"]), env=env)
        assert result["changed"] is True and result["config_path"] == str(directory / "config.json"), result
        pulled = subprocess.run(pull, env=dict(os.environ, **env), capture_output=True, text=True, check=False)
        assert pulled.returncode == 0, pulled.stderr
        assert docker_api.inspect_image(full)["Id"] == docker_api.inspect_image(testbed["busybox_image"])["Id"]
    finally:
        remove_images(docker_api, [full])
        registry.forget(repository)


def test_the_password_never_appears_in_verbose_output(testbed, tmp_path):
    password = testbed["registry_password"]
    config = str(tmp_path / "config.json")
    common = dict(registry_url=testbed["secure_registry"], username=testbed["registry_user"], config_path=config)
    tasks = [
        {"name": "log in", "kapal.docker.registry_login": dict(common, password="{{ good }}")},
        {"name": "again", "kapal.docker.registry_login": dict(common, password="{{ good }}")},
        {"name": "wrong", "ignore_errors": True, "kapal.docker.registry_login": dict(common, password="{{ bad }}")},
        {"name": "log out", "kapal.docker.registry_login": dict(common, state="absent")},
    ]
    playbook = tmp_path / "play.yml"
    playbook.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
    proc = run_playbook(playbook, {"good": password, "bad": WRONG}, tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "changed=2" in proc.stdout and "ignored=1" in proc.stdout, proc.stdout[-3000:]
    assert password not in proc.stdout + proc.stderr
    assert WRONG not in proc.stdout + proc.stderr
