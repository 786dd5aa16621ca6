"""The SQLite document store: the source of truth for policies, tags, users and jobs.

`Store` opens the database (one connection per thread), runs the migrations, opens
transactions, and holds one repository per group of tables; the SQL lives in those.
WAL mode so that the site reads while a crawl or an import writes; synchronous=FULL
so that a commit survives a power cut.
"""
from __future__ import annotations

import itertools
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from policy_search.domain.migrations import migrate
from policy_search.domain.store.accounts import AccountRepository
from policy_search.domain.store.cards import CardRepository
from policy_search.domain.store.edits import EditRepository
from policy_search.domain.store.jobs import JobRepository
from policy_search.domain.store.kinds import KindRepository
from policy_search.domain.store.policies import PolicyRepository
from policy_search.domain.store.queries import QueryCountRepository
from policy_search.domain.store.review import ReviewRepository
from policy_search.domain.store.sources import SourceRepository
from policy_search.domain.store.subscriptions import SubscriptionRepository
from policy_search.domain.store.tags import TagRepository
from policy_search.domain.store.taxonomy import TaxonomyRepository


class Store:
    """One SQLite file; one connection per thread; the repositories over it."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._savepoints = itertools.count()
        migrate(self.conn)

    # The repositories are made on each access rather than kept: a repository refers to its
    # store, and a store keeping its repositories would be a reference cycle that holds the
    # SQLite file open until the garbage collector runs, long after the store is dropped.
    @property
    def policies(self) -> PolicyRepository:
        return PolicyRepository(self)

    @property
    def tags(self) -> TagRepository:
        return TagRepository(self)

    @property
    def edits(self) -> EditRepository:
        return EditRepository(self)

    @property
    def cards(self) -> CardRepository:
        return CardRepository(self)

    @property
    def kinds(self) -> KindRepository:
        return KindRepository(self)

    @property
    def taxonomy(self) -> TaxonomyRepository:
        return TaxonomyRepository(self)

    @property
    def accounts(self) -> AccountRepository:
        return AccountRepository(self)

    @property
    def jobs(self) -> JobRepository:
        return JobRepository(self)

    @property
    def sources(self) -> SourceRepository:
        return SourceRepository(self)

    @property
    def subscriptions(self) -> SubscriptionRepository:
        return SubscriptionRepository(self)

    @property
    def queries(self) -> QueryCountRepository:
        return QueryCountRepository(self)

    @property
    def review(self) -> ReviewRepository:
        return ReviewRepository(self)

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def backup(self, path: str | Path) -> None:
        """A consistent copy of the whole database at `path` (SQLite's online backup)."""
        target = sqlite3.connect(path)
        try:
            self.conn.backup(target)
        finally:
            target.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT, or a savepoint inside an open transaction: writes of
        several repositories in one `with store.transaction():` commit together."""
        conn = self.conn
        if conn.in_transaction:
            name = f"sp{next(self._savepoints)}"
            conn.execute(f"SAVEPOINT {name}")
            try:
                yield conn
            except BaseException:
                conn.execute(f"ROLLBACK TO {name}")
                conn.execute(f"RELEASE {name}")
                raise
            conn.execute(f"RELEASE {name}")
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


def connect(path: str | Path) -> sqlite3.Connection:
    """A connection with the store's pragmas; transactions are opened explicitly."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn
