# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The documentation page of each playbook, generated from the playbook itself.

antsibull-docs documents modules, plugins and roles, not playbooks. Each playbook of playbooks/
says what it does in its header comment (prose, indented command lines, then an optional
``Variables:`` list of ``name   description`` entries); its plays say which hosts they run on,
the variables' defaults, and which roles and modules they use. This script turns that into
docs/docsite/rst/playbooks/<name>.rst, an extra docs page of the collection.

    python docs/tools/playbook_pages.py            write the pages (make playbook-docs)
    python docs/tools/playbook_pages.py --check    fail if a page is missing, stale or orphaned (make docs)
"""

from __future__ import annotations

import argparse
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOKS = os.path.join(ROOT, "playbooks")
PAGES = os.path.join(ROOT, "docs", "docsite", "rst", "playbooks")
COLLECTION = "kapal.docker"
LABEL_PREFIX = "ansible_collections.kapal.docker.docsite.playbooks."

_ENTRY = re.compile(r"^(?P<names>[\w*]+(?:, [\w*]+)*)\s+(?P<text>\S.*)$")
_CODE = re.compile(r"`([^`]+)`")
_SPECIAL = re.compile(r"([\\*_|`\[\]])")
_TASK_LISTS = ("pre_tasks", "tasks", "post_tasks", "handlers")
_NESTED = ("block", "rescue", "always")


class Header:
    """A playbook's header comment: paragraphs (prose or preformatted) and its variables."""

    def __init__(self, blocks, variables):
        self.blocks = blocks            # [("text" | "code", str)]
        self.variables = variables      # [(names, description)]


def header_lines(source):
    """The comment lines at the top of a playbook (after ``---``), without their ``#``."""
    lines = []
    for line in source.splitlines():
        if not lines and line.strip() == "---":
            continue
        if not line.startswith("#"):
            break
        text = line[1:]
        lines.append(text[1:] if text.startswith(" ") else text)
    return lines


def parse_header(lines):
    blocks, variables, paragraph = [], [], []
    in_variables = False

    def flush():
        if not paragraph:
            return
        if all(line.startswith("  ") for line in paragraph):
            indent = min(len(line) - len(line.lstrip()) for line in paragraph)
            blocks.append(("code", "\n".join(line[indent:] for line in paragraph)))
        else:
            blocks.append(("text", " ".join(line.strip() for line in paragraph)))
        del paragraph[:]

    for line in lines:
        if in_variables:
            if not line.strip():
                continue
            indent = len(line) - len(line.lstrip())
            match = _ENTRY.match(line.strip())
            if indent <= 2 and match:
                variables.append((match.group("names"), match.group("text").strip()))
            elif variables:
                variables[-1] = (variables[-1][0], variables[-1][1] + " " + line.strip())
            else:
                raise ValueError("variables: cannot read %r" % line)
        elif line.strip() == "Variables:":
            flush()
            in_variables = True
        elif not line.strip():
            flush()
        else:
            paragraph.append(line.rstrip())
    flush()
    return Header(blocks, variables)


def rst_text(text):
    """Plain prose as RST: `code` becomes a literal, every other RST special character is escaped."""
    parts = []
    position = 0
    for match in _CODE.finditer(text):
        parts.append(_SPECIAL.sub(r"\\\1", text[position:match.start()]))
        parts.append("``%s``" % match.group(1))
        position = match.end()
    parts.append(_SPECIAL.sub(r"\\\1", text[position:]))
    return "".join(parts)


def rst_literal(value):
    text = value if isinstance(value, str) and value else yaml.safe_dump(value, default_flow_style=True).strip()
    if text.endswith("\n..."):  # the document end marker PyYAML puts after a plain scalar
        text = text[:-4]
    if "``" in text or "\n" in text:
        raise ValueError("cannot show %r as a literal" % (value,))
    return "``%s``" % text


def _tasks(items):
    for task in items or []:
        if not isinstance(task, dict):
            continue
        nested = [key for key in _NESTED if key in task]
        if nested:
            for key in nested:
                yield from _tasks(task[key])
        else:
            yield task


def used_plugins(play):
    """(roles, modules) of the collection a play uses, in first-use order."""
    roles, modules = [], []
    for role in play.get("roles") or []:
        name = (role.get("role") or role.get("name")) if isinstance(role, dict) else role
        if name.startswith(COLLECTION + ".") and name not in roles:
            roles.append(name)
    for key in _TASK_LISTS:
        for task in _tasks(play.get(key)):
            for action in task:
                if action in ("ansible.builtin.include_role", "ansible.builtin.import_role"):
                    name = (task[action] or {}).get("name", "")
                    if name.startswith(COLLECTION + ".") and name not in roles:
                        roles.append(name)
                elif action.startswith(COLLECTION + ".") and action not in modules:
                    modules.append(action)
    return roles, modules


def render(name, source):
    """The RST page of playbook ``name`` (file contents ``source``)."""
    header = parse_header(header_lines(source))
    plays = yaml.safe_load(source) or []
    title = "%s.%s playbook" % (COLLECTION, name)
    out = [
        ".. Generated from playbooks/%s.yml by docs/tools/playbook_pages.py; do not edit." % name,
        "   Edit the playbook's header comment, then run: make playbook-docs",
        "",
        ".. _%s%s:" % (LABEL_PREFIX, name),
        "",
        title,
        "=" * len(title),
        "",
    ]
    for kind, text in header.blocks:
        if kind == "text":
            out += [rst_text(text), ""]
        else:
            language = "shell" if text.split(None, 1)[0] in ("ansible-playbook", "make") else "text"
            out += [".. code-block:: %s" % language, ""] + ["  " + line if line else "" for line in text.splitlines()] + [""]

    defaults = {}
    for play in plays:
        for key, value in (play.get("vars") or {}).items():
            if not key.startswith("_"):
                defaults.setdefault(key, value)
    described = set()
    rows = []
    for names, text in header.variables:
        split = names.split(", ")
        described.update(split)
        default = ", ".join(rst_literal(defaults[n]) for n in split if n in defaults)
        rows.append((", ".join("``%s``" % n for n in split), default, rst_text(text)))
    for key, value in defaults.items():
        if key not in described:
            rows.append(("``%s``" % key, rst_literal(value), ""))
    if rows:
        out += ["Variables", "---------", "", ".. list-table::", "  :header-rows: 1", "  :widths: 25 20 55", "",
                "  * - Variable", "    - Play default", "    - Description"]
        for variable, default, text in rows:
            out += ["  * - %s" % variable, ("    - %s" % default).rstrip(), ("    - %s" % text).rstrip()]
        out.append("")

    out += ["Plays", "-----", ""]
    for play in plays:
        roles, modules = used_plugins(play)
        heading = rst_text(play.get("name", "(unnamed play)"))
        out += [heading, "~" * len(heading), "", "* Hosts: %s" % rst_literal(play.get("hosts"))]
        if roles:
            out.append("* Roles: " + ", ".join(":ansplugin:`%s#role:main`" % role for role in roles))
        if modules:
            out.append("* Modules: " + ", ".join(":ansplugin:`%s#module`" % module for module in modules))
        out.append("")
    out += ["Source: ``playbooks/%s.yml`` in the collection." % name, ""]
    return "\n".join(out)


def expected_pages():
    pages = {}
    for entry in sorted(os.listdir(PLAYBOOKS)):
        if entry.endswith(".yml"):
            with open(os.path.join(PLAYBOOKS, entry), encoding="utf-8") as handle:
                pages[entry[:-4] + ".rst"] = render(entry[:-4], handle.read())
    return pages


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="only check that the pages are up to date")
    args = parser.parse_args(argv)
    pages = expected_pages()
    present = set(os.listdir(PAGES)) if os.path.isdir(PAGES) else set()
    problems = []
    for page, text in pages.items():
        path = os.path.join(PAGES, page)
        current = None
        if os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                current = handle.read()
        if current == text:
            continue
        if args.check:
            problems.append("%s is %s" % (os.path.relpath(path, ROOT), "missing" if current is None else "stale"))
        else:
            os.makedirs(PAGES, exist_ok=True)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
    for orphan in sorted(present - set(pages)):
        if args.check:
            problems.append("%s has no playbook" % os.path.relpath(os.path.join(PAGES, orphan), ROOT))
        else:
            os.unlink(os.path.join(PAGES, orphan))
    if problems:
        sys.stderr.write("playbook pages out of date (run: make playbook-docs):\n  %s\n" % "\n  ".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
