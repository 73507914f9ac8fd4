"""The generators behind `make docs`: playbook pages and the offline Ansible docsite inventory."""

import importlib.util
import os
import zlib

import pytest

from tests.conftest import ROOT


def _load(name):
    spec = importlib.util.spec_from_file_location("kapal_docs_" + name, os.path.join(ROOT, "docs", "tools", name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


playbook_pages = _load("playbook_pages")
ansible_inventory = _load("ansible_inventory")

HEADER = """---
# Restart services, with `restart_service` naming them. Check mode
# restarts nothing.
#
#   ansible-playbook -i inventory kapal.docker.restart -e restart_service=web
#
# Variables:
#   kapal_hosts        the hosts to run on (default: docker_hosts)
#   restart_service    a name, or a list; empty restarts every
#                      running service
#   a_user, a_dir      user and directory
#   exec_fail_on_error fail when it fails (default: true)
- name: Restart services
  hosts: all
  vars:
    restart_service: ""
    restart_wait_timeout: 60
    _internal: 1
  roles:
    - kapal.docker.engine
  tasks:
    - name: Read them
      kapal.docker.container_info:
    - name: Nested
      block:
        - name: Restart
          kapal.docker.container:
            name: web
            restart: true
      rescue:
        - name: Role
          ansible.builtin.include_role:
            name: kapal.docker.service
        - name: Not ours
          ansible.builtin.debug:
"""


def test_committed_playbook_pages_are_up_to_date():
    pages = playbook_pages.expected_pages()
    directory = os.path.join(ROOT, "docs", "docsite", "rst", "playbooks")
    assert sorted(pages) == sorted(os.listdir(directory)), "run: make playbook-docs"
    for name, text in pages.items():
        with open(os.path.join(directory, name), encoding="utf-8") as handle:
            assert handle.read() == text, "%s is stale: run make playbook-docs" % name


def test_header_prose_code_and_variables():
    header = playbook_pages.parse_header(playbook_pages.header_lines(HEADER))
    assert header.blocks == [
        ("text", "Restart services, with `restart_service` naming them. Check mode restarts nothing."),
        ("code", "ansible-playbook -i inventory kapal.docker.restart -e restart_service=web"),
    ]
    assert header.variables == [
        ("kapal_hosts", "the hosts to run on (default: docker_hosts)"),
        ("restart_service", "a name, or a list; empty restarts every running service"),
        ("a_user, a_dir", "user and directory"),
        ("exec_fail_on_error", "fail when it fails (default: true)"),
    ]


def test_page_shows_variables_defaults_and_what_the_plays_use():
    page = playbook_pages.render("restart", HEADER)
    assert ".. _ansible_collections.kapal.docker.docsite.playbooks.restart:" in page
    assert "with ``restart_service`` naming them" in page
    assert "  * - ``restart_service``\n    - ``''``\n    - a name, or a list" in page
    assert "  * - ``restart_wait_timeout``\n    - ``60``\n" in page
    assert "_internal" not in page
    assert "  * - ``a_user``, ``a_dir``" in page
    assert "* Roles: :ansplugin:`kapal.docker.engine#role:main`, :ansplugin:`kapal.docker.service#role:main`" in page
    assert "* Modules: :ansplugin:`kapal.docker.container_info#module`, :ansplugin:`kapal.docker.container#module`" in page
    assert "ansible.builtin.debug" not in page


@pytest.mark.parametrize("text, rst", [
    ("docker_hosts and service_*", "docker\\_hosts and service\\_\\*"),
    ("the `make demo` job", "the ``make demo`` job"),
    ("[sh, -c] | x", "\\[sh, -c\\] \\| x"),
])
def test_prose_is_escaped_for_rst(text, rst):
    assert playbook_pages.rst_text(text) == rst


def test_check_reports_a_stale_page(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(playbook_pages, "PAGES", str(tmp_path))
    assert playbook_pages.main(["--check"]) == 1
    assert "is missing" in capsys.readouterr().err
    assert playbook_pages.main([]) == 0
    assert playbook_pages.main(["--check"]) == 0
    (tmp_path / "gone.rst").write_text("x")
    assert playbook_pages.main(["--check"]) == 1
    assert "gone.rst has no playbook" in capsys.readouterr().err


def test_ansible_inventory_names_builtin_plugins_and_settings(tmp_path):
    import ansible

    path = tmp_path / "ansible.inv"
    ansible_inventory.write(str(path), os.path.dirname(ansible.__file__))
    data = path.read_bytes()
    header, separator, compressed = data.partition(b"zlib.\n")
    assert separator and header.startswith(b"# Sphinx inventory version 2")
    lines = zlib.decompress(compressed).decode().splitlines()
    assert ("ansible_collections.ansible.builtin.command_module std:label -1 "
            "collections/ansible/builtin/command_module.html#ansible-collections-ansible-builtin-command-module "
            "ansible.builtin.command module") in lines
    assert any(line.startswith("ansible_collections.ansible.builtin.ssh_connection ") for line in lines)
    assert any(line.startswith("ansible_collections.ansible.builtin.to_json_filter ") for line in lines)
    assert "ANSIBLE_PIPELINING std:envvar 1 reference_appendices/config.html#envvar-ANSIBLE_PIPELINING -" in lines
    assert any(line.startswith("common_return_values std:label") for line in lines)


# -- compat_table: README.md's compatibility table from tests/output/compat.json --------------------

compat_table = _load("compat_table")

COMPAT = {
    "engines": {"docker-20.10": {"kind": "docker", "version": "20.10.24+dfsg1", "api_version": "1.41"},
                "podman-5.4": {"kind": "podman", "version": "5.4.2", "api_version": "1.41"}},
    "cells": [
        {"module": "kapal.docker.container", "feature": "env", "engine": "podman-5.4", "outcome": "quirk",
         "reason": "#13: Podman adds container=podman"},
        {"module": "kapal.docker.container", "feature": "env", "engine": "docker-20.10", "outcome": "pass"},
        {"module": "kapal.docker.volume", "feature": "create", "engine": "docker-20.10", "outcome": "fail",
         "reason": "AssertionError: changed"},
        {"module": "kapal.docker.volume", "feature": "create", "engine": "podman-5.4", "outcome": "quirk",
         "reason": "#13: Podman adds container=podman"},
    ],
}


def test_compat_table_has_a_column_per_engine_and_numbered_notes():
    lines = compat_table.render(COMPAT)
    assert lines[0] == "| module or plugin | what is tested | Docker 20.10.24 (API 1.41) | Podman 5.4.2 (API 1.41) |"
    assert lines[2] == "| `kapal.docker.container` | env | yes | no [1] |"
    assert lines[3] == "| `kapal.docker.volume` | create | FAILS [2] | no [1] |"
    assert lines[-2:] == ["1. #13: Podman adds container=podman", "2. AssertionError: changed"]


def test_compat_table_replaces_only_what_is_between_the_markers():
    text = "intro\n%s\nold table\n%s\nrest\n" % (compat_table.START, compat_table.END)
    assert compat_table.replace(text, ["| new |"]) == "intro\n%s\n| new |\n%s\nrest\n" % (
        compat_table.START, compat_table.END)
    with pytest.raises(SystemExit, match="no compatibility table markers"):
        compat_table.replace("no markers", ["| new |"])
