# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """The attributes blocks modules of one kind share; a module's own attribute text wins over them."""

    # The modules that only read (the *_info modules, image_search): kapal.docker.attributes.info_module.
    INFO_MODULE = r"""
attributes:
  check_mode:
    support: full
    description: The module never changes anything, so check mode runs it as it is.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to show.
  idempotent:
    support: full
    description: The module only reads; every run reports C(changed=false).
"""
