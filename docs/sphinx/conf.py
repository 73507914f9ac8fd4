# Copyright (c) Ansible Project
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Created with antsibull-docs 2.28.0
#   antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error --title kapal.docker kapal.docker
# and changed for kapal.docker (see the comments marked kapal.docker). `make docs` builds with it.

project = 'kapal.docker'
copyright = 'kapal.docker contributors'

title = 'kapal.docker'
html_short_title = 'kapal.docker'

extensions = ['sphinx.ext.autodoc', 'sphinx.ext.intersphinx', 'sphinx_antsibull_ext']

pygments_style = 'ansible'

highlight_language = 'YAML+Jinja'

html_theme = 'sphinx_ansible_theme'
html_show_sphinx = False

display_version = False

html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False

# kapal.docker: no network where the site is built. References into the Ansible docsite
# (ansible.builtin plugins, configuration settings and their environment variables, common
# return values) resolve through an inventory that docs/tools/ansible_inventory.py writes from
# the installed ansible-core before the build; the links point at docs.ansible.com. Nothing is
# fetched. A reference to anything else fails the build (nitpicky, -W).
intersphinx_mapping = {
    'ansible_devel': ('https://docs.ansible.com/projects/ansible/devel/', ('../ansible_devel.inv',)),
}

default_role = 'any'

nitpicky = True
