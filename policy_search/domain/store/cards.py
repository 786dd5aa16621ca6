"""The policy card and the data derived from a policy's text.

Derived data (deadline, validity dates, repeal links) lives beside the policy row, never
in it, so the content hash stays a hash of what the source published.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3

from policy_search.domain.card import CARD_FIELDS, CardItem, PolicyCard
from policy_search.domain.deadlines import Deadline, china_today
from policy_search.domain.validity import ValidityInfo, validity_on
from policy_search.domain.store.base import Repository, chunks as _chunks, now


class CardRepository(Repository):
    """policy_cards, policy_derived: auto items replaced on every extraction; staff items win,
    field by field."""

    def save_auto(self, policy_id: str, card: PolicyCard) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM policy_cards WHERE policy_id = ? AND origin = 'auto'",
                         (policy_id,))
            stamp = now()
            conn.executemany(
                "INSERT INTO policy_cards (policy_id, field, origin, position, value, evidence,"
                " by_user, at) VALUES (?, ?, 'auto', ?, ?, ?, 'card-extractor', ?)",
                [(policy_id, name, i, item.value, item.evidence, stamp)
                 for name in CARD_FIELDS for i, item in enumerate(card.get(name))],
            )

    def set_staff_field(self, policy_id: str, field: str, items: list[CardItem | str],
                        by: str, *, expected_version: int | None = None) -> None:
        """Staff's version of one card field; an empty list means "this field has nothing".

        Audited with the old and new values; survives re-extraction.
        """
        if field not in CARD_FIELDS:
            raise ValueError(f"unknown card field: {field!r}")
        items = [i if isinstance(i, CardItem) else CardItem(value=str(i)) for i in items]
        items = [i for i in items if i.value.strip()]
        with self.transaction() as conn:
            if not conn.execute("SELECT 1 FROM policies WHERE id = ?", (policy_id,)).fetchone():
                raise KeyError(f"no policy {policy_id}")
            self.db.edits.check_version(conn, policy_id, expected_version)
            old = [i.value for i in self.get(policy_id).get(field)]
            conn.execute("DELETE FROM policy_cards WHERE policy_id = ? AND field = ?"
                         " AND origin = 'staff'", (policy_id, field))
            stamp = now()
            rows = [(policy_id, field, i, item.value.strip(), item.evidence, by, stamp)
                    for i, item in enumerate(items)] or [(policy_id, field, 0, "", "", by, stamp)]
            conn.executemany(
                "INSERT INTO policy_cards (policy_id, field, origin, position, value, evidence,"
                " by_user, at) VALUES (?, ?, 'staff', ?, ?, ?, ?, ?)", rows)
            self.db.tags.audit(conn, policy_id, "card", field, "set_card", by, json.dumps(
                {"old": old, "new": [i.value for i in items]}, ensure_ascii=False))
            self.db.policies.log_change(conn, policy_id, "card")

    def remove_staff_field(self, policy_id: str, field: str, by: str, *,
                           expected_version: int | None = None) -> None:
        """Undo staff's version of a field: the extracted items show again."""
        with self.transaction() as conn:
            self.db.edits.check_version(conn, policy_id, expected_version)
            conn.execute("DELETE FROM policy_cards WHERE policy_id = ? AND field = ?"
                         " AND origin = 'staff'", (policy_id, field))
            self.db.tags.audit(conn, policy_id, "card", field, "remove_card", by)
            self.db.policies.log_change(conn, policy_id, "card")

    def get(self, policy_id: str) -> PolicyCard:
        return self.get_many([policy_id]).get(policy_id) or PolicyCard(policy_id=policy_id)

    def get_many(self, ids: list[str]) -> dict[str, PolicyCard]:
        """Merged cards: per field the staff items when staff set the field, else the auto ones.

        A staff "惠及对象" summary saved as a document field (policy_staff_fields
        'beneficiaries') counts as staff's value of that card field.
        """
        cards: dict[str, PolicyCard] = {}
        rows: dict[tuple[str, str, str], list[CardItem]] = {}
        for chunk in _chunks(ids, 500):
            marks = ", ".join("?" * len(chunk))
            for r in self.conn.execute(
                f"SELECT * FROM policy_cards WHERE policy_id IN ({marks})"
                " ORDER BY policy_id, field, origin, position", chunk,
            ):
                rows.setdefault((r["policy_id"], r["field"], r["origin"]), []).append(CardItem(
                    value=r["value"], evidence=r["evidence"], origin=r["origin"],
                    by=r["by_user"], at=r["at"]))
            for r in self.conn.execute(
                f"SELECT policy_id, value, by_user, at FROM policy_staff_fields WHERE policy_id"
                f" IN ({marks}) AND field = 'beneficiaries'", chunk,
            ):
                key = (r["policy_id"], "beneficiaries", "staff")
                rows.setdefault(key, [CardItem(value=r["value"], origin="staff", by=r["by_user"],
                                               at=r["at"])])
        for policy_id in ids:
            card = PolicyCard(policy_id=policy_id)
            for name in CARD_FIELDS:
                staff = rows.get((policy_id, name, "staff"))
                chosen = staff if staff is not None else rows.get((policy_id, name, "auto"), [])
                card.fields[name] = [i for i in chosen if i.value]
            cards[policy_id] = card
        return cards

    def first_items(self, ids: list[str], field: str) -> dict[str, str]:
        """The first item of one card field per policy, staff's when staff set the field —
        one query for a page of results (a result line shows the 支持标准 at a glance)."""
        first: dict[str, str] = {}
        for chunk in _chunks(ids, 500):
            # 'auto' sorts before 'staff': staff's first item (or its "nothing") overwrites.
            for r in self.conn.execute(
                f"SELECT policy_id, value FROM policy_cards WHERE field = ? AND position = 0"
                f" AND policy_id IN ({', '.join('?' * len(chunk))}) ORDER BY origin",
                [field, *chunk],
            ):
                first[r["policy_id"]] = r["value"]
        return {policy_id: value for policy_id, value in first.items() if value}

    def field_origins(self, policy_id: str) -> dict[str, str]:
        """field -> 'staff' for the fields staff decided (the review page marks them)."""
        return {r[0]: "staff" for r in self.conn.execute(
            "SELECT DISTINCT field FROM policy_cards WHERE policy_id = ? AND origin = 'staff'",
            (policy_id,))}

    def save_derived(self, policy_id: str, deadline: Deadline, info: ValidityInfo, *,
                     source_hash: str | None) -> bool:
        """Store the derived window and validity dates; True when something changed.

        A change is logged so that the index re-reads the policy. The repeal link is kept:
        it is set from the repealing document, not from this one.
        """
        values = {
            "deadline_kind": deadline.kind, "deadline_start": deadline.start,
            "deadline_end": deadline.end, "deadline_recur_start": deadline.recur_start,
            "deadline_recur_end": deadline.recur_end, "deadline_text": deadline.text,
            "deadline_evidence": deadline.evidence, "deadline_relative": int(deadline.relative),
            "effective_date": info.effective_date, "expiry_date": info.expiry_date,
            "effective_evidence": info.effective_evidence,
            "expiry_evidence": info.expiry_evidence,
            "has_validity_clause": int(bool(info.effective_date or info.expiry_date)),
            "repeals": json.dumps([r.__dict__ for r in info.repeals], ensure_ascii=False),
        }
        with self.transaction() as conn:
            old = conn.execute("SELECT * FROM policy_derived WHERE policy_id = ?",
                               (policy_id,)).fetchone()
            changed = old is None or any(old[k] != v for k, v in values.items())
            columns = [*values, "source_hash", "computed_at"]
            conn.execute(
                f"INSERT INTO policy_derived (policy_id, {', '.join(columns)}) VALUES"
                f" (?, {', '.join('?' * len(columns))}) ON CONFLICT(policy_id) DO UPDATE SET "
                + ", ".join(f"{c} = excluded.{c}" for c in columns),
                [policy_id, *values.values(), source_hash, now()],
            )
            if changed:
                self.db.policies.log_change(conn, policy_id, "derived")
            return changed

    def set_repealed_by(self, policy_id: str, repealer_id: str | None, evidence: str = "") -> bool:
        """Mark (or clear) the later document that repeals this one; True when it changed."""
        with self.transaction() as conn:
            row = conn.execute("SELECT repealed_by FROM policy_derived WHERE policy_id = ?",
                               (policy_id,)).fetchone()
            if row is None:
                conn.execute("INSERT INTO policy_derived (policy_id, computed_at) VALUES (?, ?)",
                             (policy_id, now()))
            elif row["repealed_by"] == repealer_id:
                return False
            conn.execute("UPDATE policy_derived SET repealed_by = ?, repeal_evidence = ?"
                         " WHERE policy_id = ?", (repealer_id, evidence, policy_id))
            self.db.policies.log_change(conn, policy_id, "derived")
            return True

    def derived_rows(self, ids: list[str]) -> dict[str, dict]:
        found: dict[str, dict] = {}
        for chunk in _chunks(ids, 500):
            for r in self.conn.execute(
                f"SELECT * FROM policy_derived WHERE policy_id IN ({', '.join('?' * len(chunk))})",
                chunk,
            ):
                row = dict(r)
                row["repeals"] = json.loads(row["repeals"] or "[]")
                found[r["policy_id"]] = row
        return found

    def repealed_ids(self) -> set[str]:
        """Policies marked as repealed by a later one."""
        return {r[0] for r in self.conn.execute(
            "SELECT policy_id FROM policy_derived WHERE repealed_by IS NOT NULL")}

    def count_with_card(self) -> int:
        """Policies with at least one card item (extracted or staff's)."""
        return self.conn.execute(
            "SELECT count(DISTINCT policy_id) FROM policy_cards").fetchone()[0]

    def repealing(self, policy_id: str) -> list[str]:
        """Ids of the policies this one repeals."""
        return [r[0] for r in self.conn.execute(
            "SELECT policy_id FROM policy_derived WHERE repealed_by = ? ORDER BY policy_id",
            (policy_id,))]

    def needing_extraction(self, rules: str = "") -> list[str]:
        """Ids never extracted, or whose content changed since (the stored source hash is the
        content hash followed by `rules`, the version of the rules that derived it)."""
        return [r[0] for r in self.conn.execute(
            "SELECT p.id FROM policies AS p LEFT JOIN policy_derived AS d ON d.policy_id = p.id"
            " WHERE d.source_hash IS NULL OR d.source_hash != p.content_hash || ? ORDER BY p.id",
            (rules,))]

    def repeal_candidates(self) -> list[dict]:
        """What repeal linking compares: id, title, 文号, publish date of every policy."""
        return [dict(r) for r in self.conn.execute(
            "SELECT id, title, doc_number, publish_date FROM policies")]

    def repeal_clauses(self) -> list[tuple[str, list[dict]]]:
        """(policy id, its repeal references) for every policy whose text repeals something."""
        return [(r[0], json.loads(r[1])) for r in self.conn.execute(
            "SELECT policy_id, repeals FROM policy_derived WHERE repeals != '[]'")]

    def ids_with_dates_between(self, after: str, until: str) -> list[str]:
        """Policies whose status may have changed in (after, until]: a deadline passed or
        came within 14 days, a window opened, an expiry date passed, a policy without a
        window grew older than a call stays open (deadlines.STALE_CALL_DAYS; an undated one
        at the turn of a year) — so that a daily `card refresh` can log them for the index.
        Every yearly and standing window too: each year's window opens and closes, and one
        that stood open becomes 未知 when its policy outgrows deadlines.STANDING_YEARS.
        """
        from policy_search.domain.deadlines import STALE_CALL_DAYS

        published = "COALESCE(NULLIF(p.publish_date, ''), p.written_date)"
        stale = f"date({published}, '+{STALE_CALL_DAYS} days')"
        return [r[0] for r in self.conn.execute(
            "SELECT d.policy_id FROM policy_derived d JOIN policies p ON p.id = d.policy_id WHERE"
            " (d.deadline_end > ? AND d.deadline_end <= ?)"
            " OR (date(d.deadline_end, '-14 days') > ? AND date(d.deadline_end, '-14 days') <= ?)"
            " OR (d.deadline_start > ? AND d.deadline_start <= ?)"
            " OR (d.expiry_date >= ? AND d.expiry_date < ?)"
            " OR d.deadline_kind IN ('recurring', 'long_term')"
            f" OR (d.deadline_kind = 'unknown' AND {stale} >= ? AND {stale} < ?)"
            # an undated call is dated by its title's year: a new year may close some
            f" OR (d.deadline_kind = 'unknown' AND {published} IS NULL"
            " AND substr(?, 1, 4) <> substr(?, 1, 4))",
            (after, until, after, until, after, until, after, until, after, until, after, until))]

    def apply_derived(self, policies: list, today: dt.date | None = None) -> None:
        """Fill what the text says into the policies being loaded (hydration).

        Dates published as metadata win over dates read from the text; a staff validity
        wins over everything; a repeal or a passed expiry date wins over the source's
        stale "有效".
        """
        if not policies:
            return
        today = today or china_today()
        ids = [p.id for p in policies]
        derived = self.derived_rows(ids)
        staff_validity = {r[0] for chunk in _chunks(ids, 500) for r in self.conn.execute(
            f"SELECT policy_id FROM policy_staff_fields WHERE field = 'validity' AND policy_id"
            f" IN ({', '.join('?' * len(chunk))})", chunk)}
        for policy in policies:
            row = derived.get(policy.id)
            if row is None:
                continue
            policy.effective_date = policy.effective_date or row["effective_date"]
            policy.expiry_date = policy.expiry_date or row["expiry_date"]
            policy.repealed_by = row["repealed_by"]
            policy.deadline = deadline_from_row(row)
            if policy.id not in staff_validity:
                policy.validity = validity_on(
                    today, effective_date=policy.effective_date, expiry_date=policy.expiry_date,
                    repealed_by=row["repealed_by"], stated=policy.validity,
                    derived=bool(row["has_validity_clause"]))


def deadline_from_row(row: dict | sqlite3.Row) -> Deadline:
    return Deadline(kind=row["deadline_kind"], start=row["deadline_start"],
                    end=row["deadline_end"], recur_start=row["deadline_recur_start"],
                    recur_end=row["deadline_recur_end"], text=row["deadline_text"],
                    evidence=row["deadline_evidence"], relative=bool(row["deadline_relative"]))
