"""What every repository shares: the store's connection and transactions, the time stamp."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from policy_search.domain.store.database import Store

CHUNK = 500  # ids per `IN (…)` list, below SQLite's variable limit


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class AlreadyStored(Exception):
    """A row with this key exists already (e.g. a user added concurrently)."""


class Repository:
    """The SQL of one group of tables. Writes that span groups (a tag decision is audited
    and logged for the index) call the other repositories inside one transaction."""

    def __init__(self, db: Store):
        self.db = db

    @property
    def conn(self):
        return self.db.conn

    def transaction(self):
        return self.db.transaction()
