"""The documentation site in a real browser: Debian's chromium, headless, loads pages of the site
that `make docs` built from a local HTTP server on 127.0.0.1, and what it renders is checked
against the sources (the module's DOCUMENTATION, the collection's plugins, the guide). A
screenshot of each page goes to tests/output/docs-site/.

The session fixture runs `make docs`, which does nothing when the site is up to date.
"""

import functools
import http.server
import os
import re
import subprocess
import threading

import pytest
import yaml

from tests.conftest import ROOT
from tests.integration.browser import Browser, visible_text

SITE = os.path.join(ROOT, ".build", "docs", "html")
SHOTS = os.path.join(ROOT, "tests", "output", "docs-site")
MODULES = sorted(name[:-3] for name in os.listdir(os.path.join(ROOT, "plugins", "modules")) if name.endswith(".py"))
ROLES = sorted(name for name in os.listdir(os.path.join(ROOT, "roles"))
               if os.path.exists(os.path.join(ROOT, "roles", name, "meta", "argument_specs.yml")))
PLAYBOOKS = sorted(name[:-4] for name in os.listdir(os.path.join(ROOT, "playbooks")) if name.endswith(".yml"))


def plain(markup):
    """Ansible doc markup (C(x), O(x), V(x)...) as the text a reader sees."""
    return re.sub(r"\b[A-Z]+\(([^)]*)\)", r"\1", markup)


@pytest.fixture(scope="session")
def site():
    subprocess.run(["make", "-s", "docs"], cwd=ROOT, check=True, timeout=1800)
    assert os.path.exists(os.path.join(SITE, "index.html"))
    return SITE


@pytest.fixture(scope="session")
def server(site):
    """The built site over HTTP on 127.0.0.1 (a free port), as a browser would fetch it."""
    handler = functools.partial(_QuietHandler, directory=site)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()
    thread.join()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """browser(url, shot) -> the DOM chromium renders for url; a screenshot is written to SHOTS/shot."""
    return Browser(str(tmp_path_factory.mktemp("chromium-profile")), SHOTS).load


def test_index_lists_every_module_plugin_role_and_guide(server, browser):
    dom = browser(server + "/index.html", "index.png")
    text = visible_text(dom)
    assert "<title>" in dom and "kapal.docker" in text
    assert "Collection version" in text and "2.17.0 or newer" in text
    for module in MODULES:
        assert 'href="%s_module.html"' % module in dom, module
    assert 'href="docker_connection.html"' in dom and 'href="containers_inventory.html"' in dom
    for role in ROLES:
        assert 'href="%s_role.html"' % role in dom, role
    assert "From the docker CLI to kapal.docker" in text and "Migrating from community.docker" in text
    assert "Compose projects with kapal.docker" in text and "Provisioning a fleet" in text
    assert 'href="docsite/playbooks.html"' in dom


def test_playbooks_page_lists_every_playbook(server, browser):
    dom = browser(server + "/docsite/playbooks.html", "playbooks.png")
    text = visible_text(dom)
    for playbook in PLAYBOOKS:
        assert 'href="playbooks/%s.html"' % playbook in dom, playbook
        assert "kapal.docker.%s playbook" % playbook in text, playbook


def test_container_module_page_shows_its_documentation(server, browser):
    with open(os.path.join(ROOT, "plugins", "modules", "container.py")) as handle:
        source = handle.read()
    namespace = {}
    exec(compile(source.split("\nfrom ansible", 1)[0], "container.py", "exec"), namespace)  # pylint: disable=exec-used
    documentation = yaml.safe_load(namespace["DOCUMENTATION"])
    dom = browser(server + "/container_module.html", "container_module.png")
    text = visible_text(dom)
    assert "kapal.docker.container module" in text
    assert plain(documentation["short_description"]) in text
    for option in documentation["options"]:
        assert 'id="parameter-%s"' % option in dom, option
    assert "published_ports" in text and "docker run -d --name web -p 8080:80" in text  # EXAMPLES
    assert "Return Values" in text


def test_docker_cli_guide_puts_each_command_beside_its_task(server, browser):
    dom = browser(server + "/docsite/docker_cli.html", "docker_cli.png")
    text = visible_text(dom)
    for command, task in [
        ("docker search redis", "kapal.docker.image_search:"),
        ("docker run -d --name cache -p 6379:6379 redis:latest", "kapal.docker.container:"),
        ("docker ps", "kapal.docker.container_info:"),
        ("docker inspect cache", "kapal.docker.container_info:"),
        ("-v /opt/docker/data:/data", "/opt/docker/data:/data"),
        ("docker exec cache redis-cli ping", "kapal.docker.container_exec:"),
        ("docker build -t app .", "kapal.docker.image_build:"),
        ("docker images", "kapal.docker.image_info:"),
        ("docker run -d --name app -p 8080:80 app", "url: http://localhost:8080/"),
    ]:
        assert command in text, command
        assert task in text[text.index(command):], "%s is not followed by %s" % (command, task)
    for instruction in ("FROM busybox:latest", "COPY index.html /www/index.html", "EXPOSE 80", "CMD ["):
        assert instruction in text, instruction
