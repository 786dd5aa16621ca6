"""The store: the only owner of SQL. `Store` (database.py) opens the SQLite file and holds
one repository per group of tables — `store.policies`, `store.tags`, `store.edits`,
`store.cards`, `store.kinds`, `store.taxonomy`, `store.accounts`, `store.jobs`,
`store.sources`, `store.subscriptions`, `store.queries`, `store.review`."""
from policy_search.domain.migrations import MIGRATIONS
from policy_search.domain.store.accounts import User
from policy_search.domain.store.base import AlreadyStored, now
from policy_search.domain.store.database import Store, connect
from policy_search.domain.store.edits import STAFF_FIELDS, EditConflict, StaffEdit
from policy_search.domain.store.jobs import Job
from policy_search.domain.store.policies import (ADDED, UNCHANGED, UPDATED, material_change,
                                          text_similarity)

CURRENT_VERSION = len(MIGRATIONS)

__all__ = ["ADDED", "AlreadyStored", "CURRENT_VERSION", "STAFF_FIELDS", "UNCHANGED", "UPDATED",
           "EditConflict", "Job", "StaffEdit", "Store", "User", "connect", "material_change",
           "now", "text_similarity"]
