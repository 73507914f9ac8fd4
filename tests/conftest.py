"""Shared by unit and integration tests: the collection as installed by `make collection`."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".collections")

if not os.path.isdir(os.path.join(COLLECTIONS, "ansible_collections", "kapal", "docker")):
    raise RuntimeError("the collection is not installed in %s: run `make collection` (or make test)" % COLLECTIONS)
sys.path.insert(0, COLLECTIONS)
