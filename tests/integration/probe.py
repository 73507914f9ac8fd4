"""An availability probe from the controller: polls each host's service URL while a rollout runs.

Support module (not a test file) for test_fleet.py and bench/run.py's ``fleet_rollout``.

``Probe(urls)`` is a thread that, every ``interval`` seconds, fetches every URL at once (one
request per host, each bounded by ``timeout`` seconds) and records one round: its time since the
probe started and, per host, the page's text (HTTP 200) or None (no answer, an error or another
status). It stops when told to (``stop()``, or leaving its ``with`` block: after one more round), after ``max_rounds``
rounds or after ``max_seconds``, whichever comes first: the requests are bounded in count and time.
``bounded`` says whether a bound (not ``stop()``) ended it, i.e. whether it may have missed the end
of what it watched.

Reading the rounds:
  ``phases(batches, is_new)``  per round, which batch the rollout was in, as seen from outside
  ``outages(host)``            the host's runs of failed rounds, each with its downtime (from the last
                               answer before to the first answer after: an upper bound, to one interval)
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
import urllib.error
import urllib.request


class Probe(threading.Thread):

    def __init__(self, urls, interval=0.25, timeout=0.5, max_seconds=180.0, max_rounds=None):
        super().__init__(daemon=True)
        self.urls = dict(urls)
        self.interval = interval
        self.timeout = timeout
        self.max_seconds = max_seconds
        self.max_rounds = max_rounds if max_rounds is not None else int(max_seconds / interval) + 1
        self.rounds = []  # [(seconds since start, {host: text or None})]
        self.requests = 0
        self.bounded = False
        self._stop_event = threading.Event()
        self._began = None
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(self.urls) or 1)

    def _fetch(self, url):
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as answer:
                return answer.read().decode("utf-8", "replace") if answer.status == 200 else None
        except (OSError, urllib.error.URLError, ValueError):  # refused, reset, timed out, HTTP errors
            return None

    def run(self):
        started = self._began = time.monotonic()
        try:
            while not self._stop_event.is_set():
                if len(self.rounds) >= self.max_rounds or time.monotonic() - started >= self.max_seconds:
                    self.bounded = True
                    return
                at = time.monotonic() - started
                hosts = sorted(self.urls)
                texts = list(self._pool.map(self._fetch, [self.urls[h] for h in hosts]))
                self.requests += len(hosts)
                self.rounds.append((round(at, 3), dict(zip(hosts, texts))))
                self._stop_event.wait(max(0.0, at + self.interval - (time.monotonic() - started)))
        finally:
            self._pool.shutdown(wait=False)

    def stop(self):
        """Stop after one more round that starts now or later (what was watched has ended: the probe
        sees its end), unless a bound comes first."""
        asked = time.monotonic() - self._began if self._began is not None else 0.0
        while self.is_alive() and not (self.rounds and self.rounds[-1][0] >= asked):
            time.sleep(self.interval / 5)
        self._stop_event.set()
        self.join()
        return self

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    # -- reading the rounds ------------------------------------------------------------------------

    def failing(self):
        """[(seconds, [hosts that did not answer])] of every round."""
        return [(at, sorted(h for h, text in answers.items() if text is None)) for at, answers in self.rounds]

    def phases(self, batches, is_new):
        """Per round, the index of the batch being updated as the answers show it, or None when no
        batch fits: every host of an earlier batch answers with the new page (``is_new(text)``),
        every host of a later batch answers with the old one; the hosts of the batch itself may
        answer either or not at all. Returns [(seconds, index or None, answers)]."""
        result = []
        for at, answers in self.rounds:
            fits = None
            for index in range(len(batches)):
                done = all(answers.get(h) is not None and is_new(answers[h]) for b in batches[:index] for h in b)
                waiting = all(answers.get(h) is not None and not is_new(answers[h])
                              for b in batches[index + 1:] for h in b)
                if done and waiting:
                    fits = index
                    break
            result.append((at, fits, answers))
        return result

    def outages(self, host):
        """The host's runs of failed rounds: [dict(start, end, rounds, downtime_s)], ``downtime_s``
        from the last answer before the run to the first answer after it (None when the probe
        began or ended inside the run)."""
        runs, current, last_ok = [], None, None
        for at, answers in self.rounds:
            if answers.get(host) is None:
                if current is None:
                    current = dict(start=at, end=at, rounds=0, after_ok=last_ok)
                current["end"] = at
                current["rounds"] += 1
            else:
                if current is not None:
                    before = current.pop("after_ok")
                    current["downtime_s"] = round(at - before, 3) if before is not None else None
                    runs.append(current)
                    current = None
                last_ok = at
        if current is not None:
            current.pop("after_ok")
            current["downtime_s"] = None
            runs.append(current)
        return runs

    def downtime(self, host):
        """The longest outage of the host in seconds (0.0 when it never failed; None when unbounded)."""
        runs = self.outages(host)
        if not runs:
            return 0.0
        if any(r["downtime_s"] is None for r in runs):
            return None
        return max(r["downtime_s"] for r in runs)
