"""An engine faked at the module_utils boundary, for the unit tests of what plans and batches: its
inspect answers come from a table and are counted; ``api`` is what the test gives it."""

import collections
import contextlib


class TableEngine:
    host = "unix:///fake.sock"

    def __init__(self, objects=None, api=None):
        self.objects = dict(objects or {})  # {(kind, name): inspect answer}; absent: None
        self.api = api
        self.reads = collections.Counter()

    @contextlib.contextmanager
    def call(self, action):
        yield

    def inspect(self, kind, name):
        self.reads[(kind, name)] += 1
        return self.objects.get((kind, name))
