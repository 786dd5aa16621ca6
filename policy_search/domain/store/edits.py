"""Staff editing of a policy: the edit version (optimistic concurrency), the review state
and the staff corrections of document fields (policy_staff_fields)."""
from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from typing import TYPE_CHECKING

from policy_search.domain.models import DOC_KINDS, REVIEW_STATES, VALIDITIES
from policy_search.domain.store.base import Repository, now
from policy_search.domain.store.kinds import KIND_FIELDS, parse_huiqi

if TYPE_CHECKING:
    from policy_search.domain.store.database import Store

# Document fields staff may correct; their value wins over the crawled or derived one.
STAFF_FIELDS = ("validity", "doc_kind", "huiqi", "beneficiaries")


class EditConflict(Exception):
    """Someone saved the policy after the editor loaded it: no silent overwrite."""

    def __init__(self, policy_id: str, expected: int, current: int, changes: list[dict]):
        self.policy_id, self.expected, self.current, self.changes = (
            policy_id, expected, current, changes)
        who = ", ".join(sorted({c["by_user"] for c in changes})) or "另一位用户"
        super().__init__(f"该政策已被 {who} 修改（版本 {expected} → {current}），请刷新后再保存")


class StaffEdit:
    """The operations of one staff save (see EditRepository.begin); one version bump for all."""

    def __init__(self, store: Store, policy_id: str, by: str):
        self.store, self.policy_id, self.by = store, policy_id, by

    def set_tag(self, facet: str, value: str, *, rejected: bool = False, evidence: str = "") -> None:
        self.store.tags.set_staff(self.policy_id, facet, value, self.by, rejected=rejected,
                                  evidence=evidence)

    def remove_tag(self, facet: str, value: str) -> None:
        self.store.tags.remove_staff(self.policy_id, facet, value, self.by)

    def set_field(self, field: str, value: str) -> None:
        self.store.edits.set_field(self.policy_id, field, value, self.by)

    def remove_field(self, field: str) -> None:
        self.store.edits.remove_field(self.policy_id, field, self.by)

    def set_review_state(self, state: str) -> None:
        self.store.edits.set_review_state(self.policy_id, state, self.by)



class EditRepository(Repository):
    """The edit version and review state of policies; policy_staff_fields."""

    def set_review_state(self, policy_id: str, state: str, by: str = "system", *,
                         expected_version: int | None = None) -> None:
        """new -> reviewed (or back); marking reviewed clears the re-review flag. Audited."""
        if state not in REVIEW_STATES:
            raise ValueError(f"unknown review state: {state}")
        with self.transaction() as conn:
            self.check_version(conn, policy_id, expected_version)
            stamp = now()
            conn.execute(
                "UPDATE policies SET review_state = ?, rereview_reason = CASE WHEN ? = 'reviewed'"
                " THEN NULL ELSE rereview_reason END, reviewed_by = CASE WHEN ? = 'reviewed'"
                " THEN ? ELSE reviewed_by END, reviewed_at = CASE WHEN ? = 'reviewed' THEN ?"
                " ELSE reviewed_at END WHERE id = ?",
                (state, state, state, by, state, stamp, policy_id),
            )
            self.db.tags.audit(conn, policy_id, "", state, "review", by)
            self.db.policies.log_change(conn, policy_id, "reviewed")

    def state(self, policy_id: str) -> dict | None:
        """What the review page needs to save safely: edit version, review state, re-review reason."""
        row = self.conn.execute(
            "SELECT edit_version, review_state, rereview_reason, auto_tagged_hash, content_hash,"
            " reviewed_by, reviewed_at FROM policies WHERE id = ?", (policy_id,),
        ).fetchone()
        return dict(row) if row else None

    def check_version(self, conn: sqlite3.Connection, policy_id: str,
                      expected: int | None) -> int:
        """Bump the policy's edit version; refuse when someone saved since `expected` was read."""
        row = conn.execute(
            "SELECT edit_version FROM policies WHERE id = ?", (policy_id,)
        ).fetchone()
        if row is None:
            raise KeyError(f"no policy {policy_id}")
        current = row["edit_version"]
        if getattr(self.db._local, "editing", None) == policy_id:
            return current  # inside begin(): checked and bumped once at its start
        if expected is not None and expected != current:
            changes = [dict(r) for r in conn.execute(
                "SELECT * FROM tag_audit WHERE policy_id = ? ORDER BY id DESC LIMIT ?",
                (policy_id, max(1, min(current - expected, 20))),
            )]
            raise EditConflict(policy_id, expected, current, changes[::-1])
        conn.execute(
            "UPDATE policies SET edit_version = edit_version + 1 WHERE id = ?", (policy_id,)
        )
        return current + 1

    @contextmanager
    def begin(self, policy_id: str, by: str, expected_version: int | None = None):
        """Several staff changes saved as one: one version check, one transaction.

        with store.edits.begin(pid, "alice", expected_version=7) as edit:
            edit.set_tag("industry", "制造业"); edit.set_review_state("reviewed")
        """
        with self.transaction() as conn:
            self.check_version(conn, policy_id, expected_version)
            self.db._local.editing = policy_id
            try:
                yield StaffEdit(self.db, policy_id, by)
            finally:
                self.db._local.editing = None

    def set_field(self, policy_id: str, field: str, value: str, by: str, *,
                  expected_version: int | None = None) -> None:
        """A staff correction of validity, doc kind or the 惠及对象 summary; kept over re-crawls."""
        if field not in STAFF_FIELDS:
            raise ValueError(f"staff cannot set field {field!r}")
        if field == "validity" and value not in VALIDITIES:
            raise ValueError(f"unknown validity: {value}")
        if field == "doc_kind" and value not in DOC_KINDS:
            raise ValueError(f"unknown doc kind: {value}")
        if field == "huiqi":
            value = parse_huiqi(value)
        with self.transaction() as conn:
            self.check_version(conn, policy_id, expected_version)
            old = self.fields(policy_id).get(field)
            if old is None and field in KIND_FIELDS:
                current = self.db.policies.get(policy_id)
                old = current.doc_kind if field == "doc_kind" else (
                    "是" if current.huiqi else "否")
            elif old is None and field != "beneficiaries":
                old = conn.execute(
                    f"SELECT {field} FROM policies WHERE id = ?", (policy_id,)
                ).fetchone()[0]
            conn.execute(
                "INSERT INTO policy_staff_fields (policy_id, field, value, by_user, at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT(policy_id, field) DO UPDATE SET"
                " value = excluded.value, by_user = excluded.by_user, at = excluded.at",
                (policy_id, field, value, by, now()),
            )
            self.db.tags.audit(conn, policy_id, "field", field, "set_field", by,
                               json.dumps({"old": old, "new": value}, ensure_ascii=False))
            self.db.policies.log_change(conn, policy_id, "fields")

    def remove_field(self, policy_id: str, field: str, by: str, *,
                     expected_version: int | None = None) -> None:
        """Undo a staff correction: the derived (or crawled) value shows again. Audited."""
        if field not in STAFF_FIELDS:
            raise ValueError(f"staff cannot set field {field!r}")
        with self.transaction() as conn:
            self.check_version(conn, policy_id, expected_version)
            old = self.fields(policy_id).get(field)
            if old is None:
                return
            conn.execute("DELETE FROM policy_staff_fields WHERE policy_id = ? AND field = ?",
                         (policy_id, field))
            self.db.tags.audit(conn, policy_id, "field", field, "remove_field", by,
                               json.dumps({"old": old, "new": None}, ensure_ascii=False))
            self.db.policies.log_change(conn, policy_id, "fields")

    def fields(self, policy_id: str) -> dict[str, str]:
        return dict(self.conn.execute(
            "SELECT field, value FROM policy_staff_fields WHERE policy_id = ?", (policy_id,)
        ).fetchall())
