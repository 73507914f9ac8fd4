# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An intersphinx inventory of the Ansible docsite, written from the installed ansible-core.

The pages antsibull-docs generates refer into the Ansible docsite: the ansible.builtin plugins,
the configuration settings and their environment variables, the common return values. The
docsite's own objects.inv cannot be downloaded where the site is built (no network), so this
writes one with the same names from what ansible-core ships: its modules and plugins (files of
the installed package) and its configuration (ansible/config/base.yml). Links point at
docs.ansible.com. A reference to a name that is not here still fails the Sphinx build.

    python docs/tools/ansible_inventory.py OUTPUT.inv
"""

from __future__ import annotations

import os
import sys
import zlib

import ansible
import yaml

# Pages of the Ansible docsite that generated plugin pages link to: label -> (page#anchor, title).
LABELS = {
    "ansible_configuration_settings": ("reference_appendices/config.html#ansible-configuration-settings",
                                       "Ansible Configuration Settings"),
    "common_return_values": ("reference_appendices/common_return_values.html#common-return-values", "Return Values"),
}

# Plugin types whose plugins are one Python file each under ansible/plugins/<type>/.
FILE_PLUGIN_TYPES = ("become", "cache", "callback", "cliconf", "connection", "httpapi", "inventory", "lookup",
                     "netconf", "shell", "strategy", "vars")
# Plugin types documented by one YAML file per plugin (several plugins share a Python file).
YAML_PLUGIN_TYPES = ("filter", "test")


def _names(directory, extension):
    if not os.path.isdir(directory):
        return []
    return sorted(entry[:-len(extension)] for entry in os.listdir(directory)
                  if entry.endswith(extension) and not entry.startswith("_"))


def builtin_plugins(package_dir):
    """(name, type) of every ansible.builtin module and plugin the installed ansible-core has."""
    found = [(name, "module") for name in _names(os.path.join(package_dir, "modules"), ".py")]
    for plugin_type in FILE_PLUGIN_TYPES:
        found += [(name, plugin_type) for name in _names(os.path.join(package_dir, "plugins", plugin_type), ".py")]
    for plugin_type in YAML_PLUGIN_TYPES:
        found += [(name, plugin_type) for name in _names(os.path.join(package_dir, "plugins", plugin_type), ".yml")]
    return found


def environment_variables(package_dir):
    with open(os.path.join(package_dir, "config", "base.yml"), encoding="utf-8") as handle:
        settings = yaml.safe_load(handle)
    names = set()
    for setting in settings.values():
        for entry in setting.get("env") or []:
            names.add(entry["name"])
    return sorted(names)


def entries(package_dir):
    """Inventory lines: name, domain:role, priority, uri, display name."""
    lines = []
    for label, (uri, title) in sorted(LABELS.items()):
        lines.append("%s std:label -1 %s %s" % (label, uri, title))
    for name, plugin_type in builtin_plugins(package_dir):
        label = "ansible_collections.ansible.builtin.%s_%s" % (name, plugin_type)
        uri = "collections/ansible/builtin/%s_%s.html#%s" % (name, plugin_type, label.replace(".", "-").replace("_", "-"))
        lines.append("%s std:label -1 %s ansible.builtin.%s %s" % (label, uri, name, plugin_type))
    for name in environment_variables(package_dir):
        lines.append("%s std:envvar 1 reference_appendices/config.html#envvar-%s -" % (name, name))
    return lines


def write(path, package_dir):
    header = ("# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n"
              "# The remainder of this file is compressed using zlib.\n")
    body = "".join(line + "\n" for line in entries(package_dir))
    with open(path, "wb") as handle:
        handle.write(header.encode("utf-8"))
        handle.write(zlib.compress(body.encode("utf-8")))


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: %s OUTPUT.inv\n" % argv[0])
        return 2
    write(argv[1], os.path.dirname(os.path.abspath(ansible.__file__)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
