"""Recording the engine's event stream (/events) around a block, to prove check mode never writes."""

import contextlib
import time

# Engine event actions that mean something changed. Reads (inspect, archive-path, exec_inspect…)
# are not in the list; exec_create/exec_start are, because check mode must not run commands.
MUTATING = frozenset(
    """create start stop kill die destroy restart pause unpause update rename commit attach resize
    exec_create exec_start exec_die pull push tag untag delete import load save prune remove
    connect disconnect mount unmount extract-to-dir copy""".split()
)


@contextlib.contextmanager
def recorded_events(api):
    """Yield a list that, after the block, holds every engine event that happened during it."""
    events = []
    since = "%.9f" % time.time()
    yield events
    # The engine stamps events with its own clock (this machine's); a short pause lets the last
    # event of the block reach the log before the window closes.
    time.sleep(0.2)
    until = "%.9f" % time.time()
    events.extend(api.events(since=since, until=until, decode=True))


def mutating(events):
    """The events of ``events`` that changed something, as 'type action name' strings."""
    found = []
    for event in events:
        action = (event.get("Action") or event.get("status") or "").split(":")[0]
        if action in MUTATING:
            actor = event.get("Actor") or {}
            name = (actor.get("Attributes") or {}).get("name") or actor.get("ID") or event.get("id")
            found.append("%s %s %s" % (event.get("Type"), action, name))
    return found
