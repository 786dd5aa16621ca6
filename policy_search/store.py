"""The SQLite document store: the source of truth for policies, tags, users and jobs.

WAL mode so that the site reads while a crawl or an import writes; synchronous=FULL
so that a commit survives a power cut; every write of one policy is one transaction
(a savepoint when the caller batches several into one commit).
"""
from __future__ import annotations

import datetime as dt
import itertools
import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from policy_search.card_store import CardStoreMixin
from policy_search.kind_store import KIND_FIELDS, KindStoreMixin, parse_huiqi
from policy_search.migrations import MIGRATIONS, migrate
from policy_search.models import (DOC_KINDS, REVIEW_STATES, SNAPSHOT_SOURCE, VALIDITIES,
                                  Attachment, Policy, Tag)
from policy_search.subscriptions_store import SubscriptionStoreMixin

POLICY_COLUMNS = (
    "id", "url", "source_id", "level", "region_code", "region_name", "title", "issuer",
    "doc_number", "doc_number_key", "index_number", "subject", "written_date",
    "publish_date", "effective_date", "expiry_date", "validity", "source_kind", "interprets",
    "body_text", "body_html", "review_state", "content_hash", "fetched_at",
    "first_seen_at", "updated_at",
)
# Columns a changed document overwrites; review state and first sighting are kept.
_UPDATED_ON_CHANGE = [c for c in POLICY_COLUMNS if c not in ("id", "first_seen_at", "review_state")]

ADDED, UPDATED, UNCHANGED = "added", "updated", "unchanged"
# Fields whose change a crawl records in the policy's history (besides attachments).
HISTORY_FIELDS = ("title", "doc_number", "issuer", "written_date", "publish_date",
                  "effective_date", "expiry_date", "validity", "body_text")
# Document fields staff may correct; their value wins over the crawled or derived one.
STAFF_FIELDS = ("validity", "doc_kind", "huiqi", "beneficiaries")
# Below this similarity of the normalized text a change is "material" (re-review).
MATERIAL_SIMILARITY = 0.9
RARITY_SCALE = 1_000_000  # a shared tag weighs RARITY_SCALE // (policies with the tag)


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


@dataclass
class User:
    id: int
    username: str
    password_hash: str
    role: str
    active: bool
    created_at: str


@dataclass
class Job:
    id: int
    kind: str
    args: dict
    state: str
    done: int
    total: int
    step: str
    log: str
    error: str | None
    created_by: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    pid: int | None


class EditConflict(Exception):
    """Someone saved the policy after the editor loaded it: no silent overwrite."""

    def __init__(self, policy_id: str, expected: int, current: int, changes: list[dict]):
        self.policy_id, self.expected, self.current, self.changes = (
            policy_id, expected, current, changes)
        who = ", ".join(sorted({c["by_user"] for c in changes})) or "另一位用户"
        super().__init__(f"该政策已被 {who} 修改（版本 {expected} → {current}），请刷新后再保存")


class StaffEdit:
    """The operations of one staff save (see Store.staff_edit); one version bump for all."""

    def __init__(self, store: Store, policy_id: str, by: str):
        self.store, self.policy_id, self.by = store, policy_id, by

    def set_tag(self, facet: str, value: str, *, rejected: bool = False, evidence: str = "") -> None:
        self.store.set_staff_tag(self.policy_id, facet, value, self.by, rejected=rejected,
                                 evidence=evidence)

    def remove_tag(self, facet: str, value: str) -> None:
        self.store.remove_staff_tag(self.policy_id, facet, value, self.by)

    def set_field(self, field: str, value: str) -> None:
        self.store.set_staff_field(self.policy_id, field, value, self.by)

    def remove_field(self, field: str) -> None:
        self.store.remove_staff_field(self.policy_id, field, self.by)

    def set_review_state(self, state: str) -> None:
        self.store.set_review_state(self.policy_id, state, self.by)


class Store(CardStoreMixin, KindStoreMixin, SubscriptionStoreMixin):
    """One SQLite file; one connection per thread."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._savepoints = itertools.count()
        migrate(self.conn)

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

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT, or a savepoint inside an open transaction."""
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

    # --- policies ----------------------------------------------------------

    def upsert_policy(self, policy: Policy, *, record_change: bool = True,
                      history: str | None = None) -> str:
        """Insert or update one policy with its attachments: added / updated / unchanged.

        Tags are not touched here: auto tags and staff decisions have their own writes,
        so a re-crawl or re-import never loses a staff decision. `history` (how the change
        was noticed: "list", "recheck") records an update in the policy's history.
        """
        policy.content_hash = policy.compute_hash()
        with self.transaction() as conn:
            row = conn.execute("SELECT * FROM policies WHERE id = ?", (policy.id,)).fetchone()
            # A snapshot copy gives way to the same document from a real source, even
            # when the text is the same: the record then names where it really came from.
            superseded = (row is not None and row["source_id"] == SNAPSHOT_SOURCE
                          and policy.source_id != SNAPSHOT_SOURCE)
            if superseded:
                conn.execute("DELETE FROM policy_links WHERE policy_id = ? AND source_id = ?",
                             (policy.id, SNAPSHOT_SOURCE))
            if row is not None and row["content_hash"] == policy.content_hash and not superseded:
                self._link_source(conn, policy)
                return UNCHANGED
            stamp = now()
            policy.updated_at = stamp
            # A superseded snapshot copy counts as arriving now (the site's "newest arrivals").
            policy.first_seen_at = (row["first_seen_at"] if row and not superseded
                                    else (policy.first_seen_at or stamp))
            if row is not None and history and not superseded:
                self._record_update(conn, policy, row, history)
            values = [getattr(policy, c) for c in POLICY_COLUMNS]
            conn.execute(
                f"INSERT INTO policies ({', '.join(POLICY_COLUMNS)})"
                f" VALUES ({', '.join('?' * len(POLICY_COLUMNS))})"
                " ON CONFLICT(id) DO UPDATE SET "
                + ", ".join(f"{c} = excluded.{c}" for c in _UPDATED_ON_CHANGE),
                values,
            )
            conn.execute("DELETE FROM attachments WHERE policy_id = ?", (policy.id,))
            conn.executemany(
                "INSERT INTO attachments (policy_id, position, name, url, media_type, sha256,"
                " text, no_text_layer, text_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(policy.id, i, a.name, a.url, a.media_type, a.sha256, a.text, int(a.no_text_layer),
                  a.text_error) for i, a in enumerate(policy.attachments)],
            )
            self._link_source(conn, policy)
            if row is not None and row["review_state"] == "reviewed":
                self._flag_rereview(conn, policy, row["title"], row["body_text"])
            if record_change:
                self._log_change(conn, policy.id, ADDED if row is None else UPDATED)
            return ADDED if row is None else UPDATED

    def _record_update(self, conn: sqlite3.Connection, policy: Policy, old: sqlite3.Row,
                       noticed: str) -> None:
        """An edit of the document found by a crawl, in its history: which fields changed."""
        changed = [c for c in HISTORY_FIELDS if (old[c] or "") != (getattr(policy, c) or "")]
        before = [(r["url"], r["sha256"]) for r in conn.execute(
            "SELECT url, sha256 FROM attachments WHERE policy_id = ? ORDER BY position", (policy.id,))]
        if before != [(a.url, a.sha256) for a in policy.attachments]:
            changed.append("attachments")
        detail = {"fields": changed, "noticed": noticed}
        similarity = text_similarity(old["body_text"], policy.body_text)
        if "body_text" in changed and similarity is not None:
            detail["similarity"] = round(similarity, 3)
        if "title" in changed:
            detail["old_title"] = old["title"]
        self._audit(conn, policy.id, "", "", "update", "crawler",
                    json.dumps(detail, ensure_ascii=False))

    def _flag_rereview(self, conn: sqlite3.Connection, policy: Policy, old_title: str,
                       old_body: str) -> None:
        """A reviewed policy whose text changed materially goes back to the review queue.

        Staff tags stay; the reason is kept so the queue can say why it is back.
        """
        reason = material_change(old_title, old_body, policy.title, policy.body_text)
        if reason is None:
            return
        conn.execute(
            "UPDATE policies SET review_state = 'new', rereview_reason = ?,"
            " edit_version = edit_version + 1 WHERE id = ?", (reason, policy.id),
        )
        self._audit(conn, policy.id, "", "new", "rereview", "system", reason)

    def link_policy(self, policy_id: str, url: str, source_id: str) -> None:
        """Another address (a repost by another source) of a stored policy."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO policy_links (policy_id, url, source_id, first_seen_at)"
                " VALUES (?, ?, ?, ?)", (policy_id, url, source_id, now()),
            )

    def recent_documents(self, source_id: str, since: str) -> list[tuple[str, str, str | None]]:
        """(url, title, publish date) of a source's own documents published on or after
        `since` (first seen then, when the date is unknown), newest first."""
        return [(r["url"], r["title"], r["publish_date"]) for r in self.conn.execute(
            "SELECT p.url, p.title, p.publish_date FROM policy_links AS l"
            " JOIN policies AS p ON p.id = l.policy_id AND p.url = l.url"
            " WHERE l.source_id = ? AND coalesce(p.publish_date, substr(p.first_seen_at, 1, 10)) >= ?"
            " ORDER BY coalesce(p.publish_date, p.first_seen_at) DESC", (source_id, since))]

    def attachment_problems(self) -> dict[str, list[dict]]:
        """Per source: attachments that gave no text, counted by reason (scans included)."""
        problems: dict[str, list[dict]] = {}
        for r in self.conn.execute(
            "SELECT p.source_id, CASE WHEN a.text_error != '' THEN a.text_error"
            " ELSE 'no_text_layer' END AS reason, count(*) AS n, min(a.url) AS example"
            " FROM attachments AS a JOIN policies AS p ON p.id = a.policy_id"
            " WHERE a.text_error != '' OR a.no_text_layer GROUP BY p.source_id, reason"
            " ORDER BY p.source_id, n DESC"):
            problems.setdefault(r["source_id"] or "", []).append(
                {"reason": r["reason"], "count": r["n"], "example": r["example"]})
        return problems

    def _link_source(self, conn: sqlite3.Connection, policy: Policy) -> None:
        if policy.url:
            conn.execute(
                "INSERT OR IGNORE INTO policy_links (policy_id, url, source_id, first_seen_at)"
                " VALUES (?, ?, ?, ?)",
                (policy.id, policy.url, policy.source_id, now()),
            )

    def delete_policy(self, policy_id: str) -> bool:
        with self.transaction() as conn:
            deleted = conn.execute("DELETE FROM policies WHERE id = ?", (policy_id,)).rowcount
            if deleted:
                self._log_change(conn, policy_id, "deleted")
            return bool(deleted)

    def get_policy(self, policy_id: str) -> Policy | None:
        row = self.conn.execute("SELECT * FROM policies WHERE id = ?", (policy_id,)).fetchone()
        if row is None:
            return None
        return self._hydrate([row])[0]

    def get_policies(self, ids: list[str]) -> list[Policy]:
        """Policies by id, in the order asked, missing ones left out."""
        found: dict[str, Policy] = {}
        for chunk in _chunks(ids, 500):
            rows = self.conn.execute(
                f"SELECT * FROM policies WHERE id IN ({', '.join('?' * len(chunk))})", chunk
            ).fetchall()
            found.update((p.id, p) for p in self._hydrate(rows))
        return [found[i] for i in ids if i in found]

    def iter_policies(self, batch_size: int = 500) -> Iterator[Policy]:
        """Every policy with attachments and tags, in id order, a batch at a time."""
        last = ""
        while True:
            rows = self.conn.execute(
                "SELECT * FROM policies WHERE id > ? ORDER BY id LIMIT ?", (last, batch_size)
            ).fetchall()
            if not rows:
                return
            yield from self._hydrate(rows)
            last = rows[-1]["id"]

    def body_texts(self, after: str = "", limit: int = 500) -> list[tuple[str, str]]:
        """(id, body_text) of the next `limit` policies in id order after `after`."""
        return [(r[0], r[1]) for r in self.conn.execute(
            "SELECT id, body_text FROM policies WHERE id > ? ORDER BY id LIMIT ?", (after, limit))]

    def replace_body_text(self, policy_id: str, text: str) -> bool:
        """A body re-derived from the stored one (cleaned): saved with its new content hash
        and logged for the index; True when it changed. Not a change at the source, so a
        reviewed policy does not go back to the review queue for it."""
        with self.transaction() as conn:
            row = conn.execute("SELECT * FROM policies WHERE id = ?", (policy_id,)).fetchone()
            if row is None or row["body_text"] == text:
                return False
            policy = Policy(**{c: row[c] for c in POLICY_COLUMNS})
            policy.attachments = [Attachment(name=r["name"], url=r["url"], sha256=r["sha256"],
                                             text=r["text"]) for r in conn.execute(
                "SELECT name, url, sha256, text FROM attachments WHERE policy_id = ?"
                " ORDER BY position", (policy_id,))]
            policy.body_text = text
            conn.execute("UPDATE policies SET body_text = ?, content_hash = ?, updated_at = ?"
                         " WHERE id = ?", (text, policy.compute_hash(), now(), policy_id))
            self._log_change(conn, policy_id, UPDATED)
            return True

    def content_hashes(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT id, content_hash FROM policies"))

    def count_policies(self) -> int:
        return self.conn.execute("SELECT count(*) FROM policies").fetchone()[0]

    def count_from_source(self, source_id: str) -> int:
        return self.conn.execute("SELECT count(*) FROM policies WHERE source_id = ?",
                                 (source_id,)).fetchone()[0]

    def count_besides_source(self, source_id: str) -> int:
        return self.conn.execute("SELECT count(*) FROM policies WHERE source_id != ?",
                                 (source_id,)).fetchone()[0]

    def has_policies_besides(self, source_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM policies WHERE source_id != ? LIMIT 1",
                                 (source_id,)).fetchone() is not None

    def source_of(self, policy_id: str) -> str | None:
        row = self.conn.execute("SELECT source_id FROM policies WHERE id = ?",
                                (policy_id,)).fetchone()
        return row[0] if row else None

    def find_snapshot_copy(self, title: str, doc_number_key: str | None) -> str | None:
        """A snapshot document with this title (and this 文号 when both have one)."""
        for row in self.conn.execute(
                "SELECT id, doc_number_key FROM policies WHERE source_id = ? AND title = ?",
                (SNAPSHOT_SOURCE, title)):
            if not doc_number_key or not row["doc_number_key"] or row["doc_number_key"] == doc_number_key:
                return row["id"]
        return None

    def newest_arrivals(self, limit: int = 5, *, besides_source: str = "") -> list[Policy]:
        """The policies first seen most recently (those of one source left out)."""
        ids = [r[0] for r in self.conn.execute(
            "SELECT id FROM policies WHERE source_id != ? ORDER BY first_seen_at DESC, rowid DESC"
            " LIMIT ?", (besides_source, limit))]
        return self.get_policies(ids)

    def find_by_doc_number_key(self, key: str) -> list[str]:
        return [r[0] for r in self.conn.execute(
            "SELECT id FROM policies WHERE doc_number_key = ? ORDER BY publish_date DESC", (key,)
        )]

    def find_interpretations(self, policy_id: str, url: str | None = None) -> list[str]:
        """Ids of policies that interpret this one (`interprets` holds its id or its URL)."""
        keys = [policy_id] + ([url] if url else [])
        return [r[0] for r in self.conn.execute(
            f"SELECT id FROM policies WHERE interprets IN ({', '.join('?' * len(keys))})"
            " AND id != ? ORDER BY publish_date DESC", (*keys, policy_id),
        )]

    def related_by_tags(self, policy_id: str, limit: int = 8) -> list[str]:
        """Ids of policies sharing (non-rejected) tags with this one, the most telling
        first: a shared tag counts by how rare it is (sharing 不限行业 with thousands of
        policies says little, sharing 专精特新 says much); ties newest first."""
        mine = self.conn.execute(
            "SELECT facet, value, (SELECT count(*) FROM tags AS t WHERE t.facet = m.facet"
            " AND t.value = m.value AND t.rejected = 0) FROM tags AS m"
            " WHERE m.policy_id = ? AND m.rejected = 0", (policy_id,)).fetchall()
        if not mine:
            return []
        # Integer weights: equal sets of shared tags tie exactly, and newer wins the tie.
        weights = [(facet, value, RARITY_SCALE // count) for facet, value, count in mine]
        rows = ", ".join("(?, ?, ?)" for _ in weights)
        return [r[0] for r in self.conn.execute(
            f"WITH mine (facet, value, weight) AS (VALUES {rows})"
            " SELECT other.policy_id, sum(mine.weight) AS weight FROM mine"
            " JOIN tags AS other ON other.facet = mine.facet AND other.value = mine.value"
            " AND other.policy_id != ? AND other.rejected = 0"
            " JOIN policies AS p ON p.id = other.policy_id"
            " GROUP BY other.policy_id ORDER BY weight DESC, p.publish_date DESC LIMIT ?",
            (*[item for row in weights for item in row], policy_id, limit),
        )]

    def policy_links(self, policy_id: str) -> list[tuple[str, str]]:
        return [(r["url"], r["source_id"]) for r in self.conn.execute(
            "SELECT url, source_id FROM policy_links WHERE policy_id = ? ORDER BY first_seen_at",
            (policy_id,),
        )]

    def stats(self) -> dict[str, Counter]:
        """Policy counts by level, region, source and review state."""
        result = {}
        for name, column in (("level", "level"), ("region", "region_name"),
                             ("source", "source_id"), ("review_state", "review_state")):
            result[name] = Counter({
                (key if key is not None else "(none)"): count for key, count in self.conn.execute(
                    f"SELECT {column}, count(*) FROM policies GROUP BY {column}"
                )
            })
        return result

    def set_review_state(self, policy_id: str, state: str, by: str = "system", *,
                         expected_version: int | None = None) -> None:
        """new -> reviewed (or back); marking reviewed clears the re-review flag. Audited."""
        if state not in REVIEW_STATES:
            raise ValueError(f"unknown review state: {state}")
        with self.transaction() as conn:
            self._check_version(conn, policy_id, expected_version)
            conn.execute(
                "UPDATE policies SET review_state = ?, rereview_reason = CASE WHEN ? = 'reviewed'"
                " THEN NULL ELSE rereview_reason END WHERE id = ?", (state, state, policy_id),
            )
            self._audit(conn, policy_id, "", state, "review", by)
            self._log_change(conn, policy_id, "reviewed")

    # --- staff editing: optimistic concurrency -------------------------------

    def edit_state(self, policy_id: str) -> dict | None:
        """What the review page needs to save safely: edit version, review state, re-review reason."""
        row = self.conn.execute(
            "SELECT edit_version, review_state, rereview_reason, auto_tagged_hash, content_hash"
            " FROM policies WHERE id = ?", (policy_id,),
        ).fetchone()
        return dict(row) if row else None

    def _check_version(self, conn: sqlite3.Connection, policy_id: str,
                       expected: int | None) -> int:
        """Bump the policy's edit version; refuse when someone saved since `expected` was read."""
        row = conn.execute(
            "SELECT edit_version FROM policies WHERE id = ?", (policy_id,)
        ).fetchone()
        if row is None:
            raise KeyError(f"no policy {policy_id}")
        current = row["edit_version"]
        if getattr(self._local, "editing", None) == policy_id:
            return current  # inside staff_edit: checked and bumped once at its start
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
    def staff_edit(self, policy_id: str, by: str, expected_version: int | None = None):
        """Several staff changes saved as one: one version check, one transaction.

        with store.staff_edit(pid, "alice", expected_version=7) as edit:
            edit.set_tag("industry", "制造业"); edit.set_review_state("reviewed")
        """
        with self.transaction() as conn:
            self._check_version(conn, policy_id, expected_version)
            self._local.editing = policy_id
            try:
                yield StaffEdit(self, policy_id, by)
            finally:
                self._local.editing = None

    def set_staff_field(self, policy_id: str, field: str, value: str, by: str, *,
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
            self._check_version(conn, policy_id, expected_version)
            old = self.staff_fields(policy_id).get(field)
            if old is None and field in KIND_FIELDS:
                current = self.get_policy(policy_id)
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
            self._audit(conn, policy_id, "field", field, "set_field", by,
                        json.dumps({"old": old, "new": value}, ensure_ascii=False))
            self._log_change(conn, policy_id, "fields")

    def remove_staff_field(self, policy_id: str, field: str, by: str, *,
                           expected_version: int | None = None) -> None:
        """Undo a staff correction: the derived (or crawled) value shows again. Audited."""
        if field not in STAFF_FIELDS:
            raise ValueError(f"staff cannot set field {field!r}")
        with self.transaction() as conn:
            self._check_version(conn, policy_id, expected_version)
            old = self.staff_fields(policy_id).get(field)
            if old is None:
                return
            conn.execute("DELETE FROM policy_staff_fields WHERE policy_id = ? AND field = ?",
                         (policy_id, field))
            self._audit(conn, policy_id, "field", field, "remove_field", by,
                        json.dumps({"old": old, "new": None}, ensure_ascii=False))
            self._log_change(conn, policy_id, "fields")

    def staff_fields(self, policy_id: str) -> dict[str, str]:
        return dict(self.conn.execute(
            "SELECT field, value FROM policy_staff_fields WHERE policy_id = ?", (policy_id,)
        ).fetchall())

    def policies_needing_auto_tags(self) -> list[str]:
        """Ids of policies never auto-tagged, or changed since they were."""
        return [r[0] for r in self.conn.execute(
            "SELECT id FROM policies WHERE auto_tagged_hash IS NULL"
            " OR auto_tagged_hash != content_hash ORDER BY id"
        )]

    def all_policy_ids(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM policies ORDER BY id")]

    # --- change log: how the index follows the store ------------------------

    def _log_change(self, conn: sqlite3.Connection, policy_id: str, kind: str) -> None:
        conn.execute(
            "INSERT INTO change_log (policy_id, kind, at) VALUES (?, ?, ?)", (policy_id, kind, now())
        )

    def last_change(self) -> int:
        return self.conn.execute("SELECT coalesce(max(seq), 0) FROM change_log").fetchone()[0]

    def changes_since(self, seq: int) -> tuple[int, list[str]]:
        """(newest sequence number, ids of policies changed after seq)."""
        rows = self.conn.execute(
            "SELECT seq, policy_id FROM change_log WHERE seq > ? ORDER BY seq", (seq,)
        ).fetchall()
        if not rows:
            return seq, []
        return rows[-1]["seq"], list(dict.fromkeys(r["policy_id"] for r in rows))

    # --- tags ----------------------------------------------------------------

    def replace_auto_tags(self, policy_id: str, tags: list[Tag], *,
                          content_hash: str | None = None) -> None:
        """Replace a policy's auto tags; staff decisions on the same value stay and win.

        content_hash: the content the tags were computed from, so that `tag auto` can
        find the policies changed since.
        """
        with self.transaction() as conn:
            if content_hash is not None:
                conn.execute(
                    "UPDATE policies SET auto_tagged_hash = ? WHERE id = ?", (content_hash, policy_id)
                )
            conn.execute("DELETE FROM tags WHERE policy_id = ? AND origin = 'auto'", (policy_id,))
            conn.executemany(
                "INSERT OR IGNORE INTO tags (policy_id, facet, value, origin, confidence, evidence,"
                " by_user, at, rejected) VALUES (?, ?, ?, 'auto', ?, ?, ?, ?, 0)",
                [(policy_id, t.facet, t.value, t.confidence, t.evidence, t.by or "auto-tagger",
                  t.at or now()) for t in tags],
            )
            self._log_change(conn, policy_id, "tags")

    def set_staff_tag(self, policy_id: str, facet: str, value: str, by: str, *,
                      rejected: bool = False, evidence: str = "",
                      expected_version: int | None = None) -> None:
        """A staff decision: accept (or add) a tag, or reject it. Always audited.

        The audit action is "accept" or "reject"; its detail is "proposed" when the value
        had been proposed (by the tagger) and "added" when not. expected_version: see staff_edit.
        """
        with self.transaction() as conn:
            if not conn.execute("SELECT 1 FROM policies WHERE id = ?", (policy_id,)).fetchone():
                raise KeyError(f"no policy {policy_id}")
            self._check_version(conn, policy_id, expected_version)
            before = conn.execute(
                "SELECT evidence FROM tags WHERE policy_id = ? AND facet = ? AND value = ?",
                (policy_id, facet, value),
            ).fetchone()
            if before is not None and not evidence:
                evidence = before["evidence"]
            conn.execute(
                "INSERT INTO tags (policy_id, facet, value, origin, confidence, evidence, by_user,"
                " at, rejected) VALUES (?, ?, ?, 'staff', 1.0, ?, ?, ?, ?)"
                " ON CONFLICT(policy_id, facet, value) DO UPDATE SET origin = 'staff',"
                " confidence = 1.0, by_user = excluded.by_user, at = excluded.at,"
                " rejected = excluded.rejected, evidence = excluded.evidence",
                (policy_id, facet, value, evidence, by, now(), int(rejected)),
            )
            # detail tells accepting a proposal from adding a value nobody proposed
            self._audit(conn, policy_id, facet, value, "reject" if rejected else "accept", by,
                        "proposed" if before is not None else "added")
            self._log_change(conn, policy_id, "tags")

    def remove_staff_tag(self, policy_id: str, facet: str, value: str, by: str, *,
                         expected_version: int | None = None) -> None:
        """Undo a staff decision (the value may be proposed again by the next tagging)."""
        with self.transaction() as conn:
            self._check_version(conn, policy_id, expected_version)
            conn.execute(
                "DELETE FROM tags WHERE policy_id = ? AND facet = ? AND value = ?",
                (policy_id, facet, value),
            )
            self._audit(conn, policy_id, facet, value, "remove", by)
            self._log_change(conn, policy_id, "tags")

    def _audit(self, conn, policy_id, facet, value, action, by, detail="") -> None:
        conn.execute(
            "INSERT INTO tag_audit (policy_id, facet, value, action, by_user, at, detail)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (policy_id, facet, value, action, by, now(), detail),
        )

    def audit_log(self, policy_id: str) -> list[dict]:
        return [dict(r) for r in self.conn.execute(
            "SELECT * FROM tag_audit WHERE policy_id = ? ORDER BY id", (policy_id,)
        )]

    def recent_audit(self, limit: int = 100, by: str | None = None) -> list[dict]:
        """The newest audit entries over all policies (admin history page)."""
        sql, args = "SELECT * FROM tag_audit", []
        if by:
            sql, args = sql + " WHERE by_user = ?", [by]
        return [dict(r) for r in self.conn.execute(sql + " ORDER BY id DESC LIMIT ?", [*args, limit])]

    # --- taxonomy values added by staff (versioned) ---------------------------

    def save_taxonomy_value(self, facet: str, value: str, data: dict, by: str, *,
                            active: bool = True, note: str = "") -> int:
        """A new version of a staff-defined taxonomy value; returns its version number."""
        with self.transaction() as conn:
            version = conn.execute(
                "SELECT coalesce(max(version), 0) + 1 FROM taxonomy_values"
                " WHERE facet = ? AND value = ?", (facet, value),
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO taxonomy_values (facet, value, version, data, active, by_user, at, note)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (facet, value, version, json.dumps(data, ensure_ascii=False), int(active), by,
                 now(), note),
            )
            return version

    def taxonomy_values(self) -> list[dict]:
        """The latest version of every staff-defined taxonomy value (inactive ones included)."""
        rows = self.conn.execute(
            "SELECT t.* FROM taxonomy_values AS t JOIN (SELECT facet, value, max(version) AS v"
            " FROM taxonomy_values GROUP BY facet, value) AS latest"
            " ON t.facet = latest.facet AND t.value = latest.value AND t.version = latest.v"
            " ORDER BY t.facet, t.id"
        ).fetchall()
        return [_taxonomy_row(r) for r in rows]

    def taxonomy_history(self, facet: str | None = None, value: str | None = None) -> list[dict]:
        sql, args = "SELECT * FROM taxonomy_values WHERE 1 = 1", []
        if facet is not None:
            sql, args = sql + " AND facet = ?", [*args, facet]
        if value is not None:
            sql, args = sql + " AND value = ?", [*args, value]
        return [_taxonomy_row(r) for r in self.conn.execute(sql + " ORDER BY id", args)]

    def taxonomy_revision(self) -> int:
        """Changes whenever a staff taxonomy value is saved (cache key for the merged taxonomy)."""
        return self.conn.execute("SELECT coalesce(max(id), 0) FROM taxonomy_values").fetchone()[0]

    # --- users ---------------------------------------------------------------

    def add_user(self, username: str, password_hash: str, role: str) -> User:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO users (username, password_hash, role, active, created_at)"
                " VALUES (?, ?, ?, 1, ?)",
                (username, password_hash, role, now()),
            )
        return self.get_user(username)

    def get_user(self, username: str) -> User | None:
        row = self.conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
        return User(**{**dict(row), "active": bool(row["active"])}) if row else None

    def login_failures(self, key: str, since: float) -> list[float]:
        """When the failed logins of a key ("user:…" or "ip:…") after `since` happened."""
        return [r[0] for r in self.conn.execute(
            "SELECT at FROM login_failures WHERE key = ? AND at > ? ORDER BY at", (key, since))]

    def record_login_failure(self, keys: list[str], at: float, *, forget_before: float) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM login_failures WHERE at <= ?", (forget_before,))
            conn.executemany("INSERT INTO login_failures (key, at) VALUES (?, ?)",
                             [(key, at) for key in keys])

    def clear_login_failures(self, key: str) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM login_failures WHERE key = ?", (key,))

    def add_staff_session(self, token_hash: str, username: str, started_at: float, *,
                          forget_before: float) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM staff_sessions WHERE started_at <= ?", (forget_before,))
            conn.execute("INSERT INTO staff_sessions (token_hash, username, started_at)"
                         " VALUES (?, ?, ?)", (token_hash, username, started_at))

    def staff_session_open(self, token_hash: str, username: str) -> bool:
        return self.conn.execute(
            "SELECT 1 FROM staff_sessions WHERE token_hash = ? AND username = ?",
            (token_hash, username)).fetchone() is not None

    def end_staff_sessions(self, *, token_hash: str | None = None,
                           username: str | None = None) -> None:
        """End one session (by its token's hash) or every session of a user."""
        with self.transaction() as conn:
            if token_hash is not None:
                conn.execute("DELETE FROM staff_sessions WHERE token_hash = ?", (token_hash,))
            if username is not None:
                conn.execute("DELETE FROM staff_sessions WHERE username = ?", (username,))

    def update_user(self, username: str, *, password_hash: str | None = None,
                    role: str | None = None, active: bool | None = None) -> None:
        changes = {k: v for k, v in (("password_hash", password_hash), ("role", role),
                                     ("active", None if active is None else int(active)))
                   if v is not None}
        if not changes:
            return
        with self.transaction() as conn:
            updated = conn.execute(
                f"UPDATE users SET {', '.join(f'{k} = ?' for k in changes)} WHERE username = ?",
                [*changes.values(), username],
            ).rowcount
        if not updated:
            raise KeyError(f"no user {username}")

    def list_users(self) -> list[User]:
        return [User(**{**dict(r), "active": bool(r["active"])})
                for r in self.conn.execute("SELECT * FROM users ORDER BY username")]

    # --- jobs ----------------------------------------------------------------

    def create_job(self, kind: str, args: dict, created_by: str | None = None) -> int:
        with self.transaction() as conn:
            return conn.execute(
                "INSERT INTO jobs (kind, args, state, created_by, created_at)"
                " VALUES (?, ?, 'queued', ?, ?)",
                (kind, json.dumps(args, ensure_ascii=False), created_by, now()),
            ).lastrowid

    def get_job(self, job_id: int) -> Job | None:
        row = self.conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return Job(**{**dict(row), "args": json.loads(row["args"] or "{}")}) if row else None

    def update_job(self, job_id: int, **changes) -> None:
        allowed = {"state", "done", "total", "step", "error", "started_at", "finished_at", "pid"}
        if not changes or set(changes) - allowed:
            raise ValueError(f"cannot update job fields {sorted(set(changes) - allowed)}")
        with self.transaction() as conn:
            conn.execute(
                f"UPDATE jobs SET {', '.join(f'{k} = ?' for k in changes)} WHERE id = ?",
                [*changes.values(), job_id],
            )

    def append_job_log(self, job_id: int, line: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE jobs SET log = log || ? WHERE id = ?", (f"{now()} {line}\n", job_id)
            )

    # --- crawl sources -------------------------------------------------------

    def source_state(self, source_id: str) -> dict:
        row = self.conn.execute("SELECT * FROM sources WHERE id = ?", (source_id,)).fetchone()
        if row is None:
            return {"id": source_id, "enabled": True, "state": {}}
        result = dict(row)
        result["enabled"] = bool(result["enabled"])
        result["state"] = json.loads(result.pop("state_json") or "{}")
        return result

    def save_source_state(self, source_id: str, **fields) -> None:
        """Set a source's fields; `state` is merged key by key into the stored state, in
        one transaction: the crawler (crawl progress) and the admin pages (the source's
        definition) each write only their own keys and never undo the other's."""
        with self.transaction() as conn:
            current = self.source_state(source_id)
            state = {**current["state"], **(fields.pop("state", None) or {})}
            current.update(fields, state=state)
            conn.execute(
                "INSERT INTO sources (id, enabled, last_run_at, last_status, last_error, runs,"
                " zero_runs, blocked, state_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET enabled = excluded.enabled,"
                " last_run_at = excluded.last_run_at, last_status = excluded.last_status,"
                " last_error = excluded.last_error, runs = excluded.runs,"
                " zero_runs = excluded.zero_runs, blocked = excluded.blocked,"
                " state_json = excluded.state_json",
                (source_id, int(current.get("enabled", True)), current.get("last_run_at"),
                 current.get("last_status"), current.get("last_error"), current.get("runs") or 0,
                 current.get("zero_runs") or 0, int(bool(current.get("blocked"))),
                 json.dumps(current.get("state") or {}, ensure_ascii=False)),
            )

    # --- loading -------------------------------------------------------------

    def _hydrate(self, rows: list[sqlite3.Row]) -> list[Policy]:
        ids = [r["id"] for r in rows]
        marks = ", ".join("?" * len(ids))
        attachments: dict[str, list[Attachment]] = {}
        for r in self.conn.execute(
            f"SELECT * FROM attachments WHERE policy_id IN ({marks}) ORDER BY policy_id, position", ids
        ):
            attachments.setdefault(r["policy_id"], []).append(Attachment(
                name=r["name"], url=r["url"], media_type=r["media_type"], sha256=r["sha256"],
                text=r["text"], no_text_layer=bool(r["no_text_layer"]),
                text_error=r["text_error"],
            ))
        tags: dict[str, list[Tag]] = {}
        for r in self.conn.execute(
            f"SELECT * FROM tags WHERE policy_id IN ({marks}) ORDER BY facet, value", ids
        ):
            tags.setdefault(r["policy_id"], []).append(Tag(
                facet=r["facet"], value=r["value"], origin=r["origin"], confidence=r["confidence"],
                evidence=r["evidence"], by=r["by_user"], at=r["at"], rejected=bool(r["rejected"]),
            ))
        overrides: dict[str, dict[str, str]] = {}
        for r in self.conn.execute(
            f"SELECT policy_id, field, value FROM policy_staff_fields WHERE policy_id IN ({marks})"
            " AND field = 'validity'", ids
        ):
            overrides.setdefault(r["policy_id"], {})[r["field"]] = r["value"]
        policies = [
            Policy(**{**{c: r[c] for c in POLICY_COLUMNS}, **overrides.get(r["id"], {})},
                   attachments=attachments.get(r["id"], []), tags=tags.get(r["id"], []))
            for r in rows
        ]
        self._apply_derived(policies)  # card_store: deadline, validity dates, repeal
        self._apply_kinds(policies)    # kind_store: doc kind and 惠企 flag
        return policies


def connect(path: str | Path) -> sqlite3.Connection:
    """A connection with the store's pragmas; transactions are opened explicitly."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _taxonomy_row(row: sqlite3.Row) -> dict:
    result = dict(row)
    result["data"] = json.loads(result["data"] or "{}")
    result["active"] = bool(result["active"])
    return result


def _normalized_shingles(text: str, size: int = 4) -> set[str]:
    # Whitespace and punctuation changes (re-formatting by the site) are not material.
    kept = "".join(ch for ch in (text or "") if ch.isalnum())
    return {kept[i:i + size] for i in range(max(1, len(kept) - size + 1))} if kept else set()


def text_similarity(old_body: str, new_body: str) -> float | None:
    """Jaccard similarity of two texts' normalized 4-character shingles (None: both empty)."""
    old, new = _normalized_shingles(old_body), _normalized_shingles(new_body)
    if not old and not new:
        return None
    return len(old & new) / len(old | new)


def material_change(old_title: str, old_body: str, new_title: str, new_body: str) -> str | None:
    """Why a change of a document's text matters to a reviewer, or None when it does not."""
    if "".join((old_title or "").split()) != "".join((new_title or "").split()):
        return "标题已变更"
    similarity = text_similarity(old_body, new_body)
    if similarity is None:
        return None
    if similarity < MATERIAL_SIMILARITY:
        return f"正文已变更（相似度 {similarity:.0%}）"
    return None


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


CURRENT_VERSION = len(MIGRATIONS)
