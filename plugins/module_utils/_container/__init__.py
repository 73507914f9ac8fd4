# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Containers: the option table, the pure plan, its application, the batch, facts, and the modules' entries.

One concern per file, in the order a task goes through them:

- ``options``: THE table of container options (one row per option: spec, parse, read, write,
  expect, default, carry, compare, live) and what is derived from it (argument spec, parsing of a
  task's values, comparison modes).
- ``parsers``: the task-value parsers only the table's rows use (shared ones are in ``_parse``).
- ``plan``: pure, no engine: ``Desired`` (the task), ``plan`` (desired + inspect answers -> ``Plan``),
  a recreate's carry-over and create body, diff mode's before/after. Unit-tested from tables.
- ``apply``: the engine calls of one plan: create, the safe recreate and its roll-back, live update,
  start/stop/restart, remove, wait. Never called in check mode.
- ``reconcile``: one container and a batch from one engine snapshot, with bounded concurrency.
- ``facts``: inspect and ``docker ps`` listings (``list_containers``, shared with the inventory plugin).
- ``tasks``: the modules' entries ``container_task``, ``containers_task``, ``container_info_task``
  (``<verb>_task(engine, params, check_mode)``), with the validation of ``containers`` items and results.

Imports point one way: parsers <- options <- plan <- apply <- reconcile <- tasks; facts needs only the
engine (tasks and the inventory plugin use it).
"""
