"""Counting the site's searches for 热门搜索 (policy_search/query_log.py says what is kept).

A search adds its normalized query to a tally in the process; the tally goes to the store
in one transaction every FLUSH_SECONDS or FLUSH_COUNT searches, so a search does not wait
for a write of its own (the store syncs every commit to disk). A process killed meanwhile
loses at most that tally: these are popularity counts, not records.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from flask import current_app, request

from policy_search.domain.deadlines import china_today
from policy_search.domain.query_log import KEEP_DAYS, POPULAR_DAYS, normalize_query

log = logging.getLogger(__name__)

FLUSH_SECONDS = 60.0
FLUSH_COUNT = 50
POPULAR_SHOWN = 10
POPULAR_CACHE_SECONDS = 300.0


@dataclass
class QueryTally:
    """Counts of one process not yet in the store, and the 热门搜索 it last read."""

    store: object
    flush_seconds: float = FLUSH_SECONDS
    flush_count: int = FLUSH_COUNT
    clock: object = time.monotonic
    pending: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_flush: float = field(default=0.0)
    pruned_on: str = ""
    popular_cache: tuple[float, str, int, list[str]] | None = None

    def __post_init__(self) -> None:
        self.last_flush = self.clock()

    def count(self, query: str, day: dt.date | None = None) -> bool:
        """Tally a search that found something; False when the query is not kept."""
        normalized = normalize_query(query)
        if normalized is None:
            return False
        day_text = (day or china_today()).isoformat()
        with self.lock:
            self.pending[(day_text, normalized)] += 1
            due = (sum(self.pending.values()) >= self.flush_count
                   or self.clock() - self.last_flush >= self.flush_seconds)
        if due:
            try:
                self.flush()
            except Exception:  # a busy or broken store must not fail the search itself
                log.warning("热门搜索: could not write the query counts", exc_info=True)
        return True

    def flush(self) -> None:
        """Write the tally to the store; once a day, forget counts older than KEEP_DAYS."""
        with self.lock:
            counts, self.pending = dict(self.pending), Counter()
            self.last_flush = self.clock()
        if counts:
            try:
                self.store.queries.add_counts(counts)
            except Exception:  # keep the counts for the next flush
                with self.lock:
                    self.pending.update(counts)
                raise
            self.popular_cache = None  # the next home page reads the new counts
        today = china_today()
        if self.pruned_on != today.isoformat():
            self.store.queries.forget_before((today - dt.timedelta(days=KEEP_DAYS)).isoformat())
            self.pruned_on = today.isoformat()

    def popular(self, min_count: int, day: dt.date | None = None) -> list[str]:
        """The most searched queries of the last POPULAR_DAYS (read at most every 5 minutes)."""
        if min_count <= 0:
            return []
        since = ((day or china_today()) - dt.timedelta(days=POPULAR_DAYS - 1)).isoformat()
        cached = self.popular_cache
        if (cached and cached[1] == since and cached[2] == min_count
                and self.clock() - cached[0] < POPULAR_CACHE_SECONDS):
            return cached[3]
        found = [q for q, _n in self.store.queries.popular(since, min_count, POPULAR_SHOWN)]
        self.popular_cache = (self.clock(), since, min_count, found)
        return found


def is_new_search(query: str) -> bool:
    """A query typed or followed here, not the same search refined: a filter, a sort or a
    page chosen on its results (the referring page, read and forgotten, had the same words)
    would count one searcher several times."""
    referrer = request.referrer
    if not referrer:
        return True
    parts = urlsplit(referrer)
    if parts.netloc != request.host or parts.path != request.path:
        return True
    previous = parse_qs(parts.query).get("q", [""])[0]
    return " ".join(previous.split()) != query


def query_tally() -> QueryTally:
    """This process's tally (created at its first search: after a pre-forking server forks)."""
    extensions = current_app.extensions
    tally = extensions.get("query_tally")
    if tally is None:
        tally = extensions.setdefault("query_tally",
                                      QueryTally(extensions["policy_search"].store))
    return tally
