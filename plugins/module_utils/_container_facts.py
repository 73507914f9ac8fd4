# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Transitional, to be removed: ``_exec`` still imports ``inspect_container`` from here.

Container facts are in ``_container.facts``; an inspect that is None when there is no such container
is ``engine.inspect("container", name)``. Remove this file once ``_exec`` asks the engine itself.
"""

from __future__ import annotations


def inspect_container(engine, name):
    """The engine's inspect answer for a container name or id; None when there is none."""
    return engine.inspect("container", name)
