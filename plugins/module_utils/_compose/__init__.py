# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Compose reader: Compose files in, a frozen project model and container parameters out.

One concern per file: ``interpolation`` (``${VAR}`` and ``.env`` files), ``load`` (finding,
reading and merging the files, ``extends``, profiles; the entry point ``load_project``), ``model``
(the normalized, validated project), ``mapping`` (a service as kapal.docker.container parameters,
with Compose's names and labels) and ``confighash`` (Compose's com.docker.compose.config-hash).
No engine and no Compose CLI is involved in those, and none of them reads the process environment.
``apply`` is the module's task (``compose_task``): the project read with the module's environment,
then applied through ``_networks``, ``_volumes``, ``_build`` and the container planner.
"""
