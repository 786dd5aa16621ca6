"""Policies with their attachments and addresses (policy_links), and the change log
through which the index (and a subscription round) follows the store.

Every write of one policy is one transaction (a savepoint when the caller batches several
into one commit). Tags are not touched here: auto tags and staff decisions have their own
writes (tags.py, edits.py), so a re-crawl or re-import never loses a staff decision.
"""
from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator

from policy_search.domain.models import SNAPSHOT_SOURCE, Attachment, Policy, Tag
from policy_search.domain.store.base import Repository, chunks as _chunks, now

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
MATERIAL_SIMILARITY = 0.9  # below this similarity of the normalized text a change is "material"


class PolicyRepository(Repository):
    """policies, attachments, policy_links, change_log."""

    def upsert(self, policy: Policy, *, record_change: bool = True,
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
                self.log_change(conn, policy.id, ADDED if row is None else UPDATED)
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
        self.db.tags.audit(conn, policy.id, "", "", "update", "crawler",
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
        self.db.tags.audit(conn, policy.id, "", "new", "rereview", "system", reason)

    def link(self, policy_id: str, url: str, source_id: str) -> None:
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

    def is_linked_elsewhere(self, url: str, besides_source: str) -> bool:
        """Whether an address is stored for a policy from a source other than `besides_source`."""
        return self.conn.execute(
            "SELECT 1 FROM policy_links WHERE url = ? AND source_id != ? LIMIT 1",
            (url, besides_source)).fetchone() is not None

    def id_at(self, url: str) -> str | None:
        """The policy stored at an address (its own or a repost's)."""
        row = self.conn.execute("SELECT policy_id FROM policy_links WHERE url = ? LIMIT 1",
                                (url,)).fetchone()
        return row["policy_id"] if row is not None else None

    def exists(self, policy_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM policies WHERE id = ?",
                                 (policy_id,)).fetchone() is not None

    def title_of(self, policy_id: str) -> str | None:
        row = self.conn.execute("SELECT title FROM policies WHERE id = ?", (policy_id,)).fetchone()
        return row["title"] if row is not None else None

    def find_by_title(self, title: str, *, besides_kind: str) -> str | None:
        """The policy (not of the source kind `besides_kind`) titled `title`, or the shortest
        title containing it."""
        row = self.conn.execute(
            "SELECT id FROM policies WHERE source_kind != ? AND (title = ? OR title LIKE ?)"
            " ORDER BY length(title) LIMIT 1", (besides_kind, title, f"%{title}%"),
        ).fetchone()
        return row["id"] if row is not None else None

    def known_attachment(self, url: str) -> Attachment | None:
        """An attachment already read (with a hash and no error) for any policy."""
        row = self.conn.execute(
            "SELECT name, url, media_type, sha256, text, no_text_layer FROM attachments"
            " WHERE url = ? AND sha256 != '' AND text_error = '' LIMIT 1", (url,),
        ).fetchone()
        if row is None:
            return None
        return Attachment(name=row["name"], url=row["url"], media_type=row["media_type"],
                          sha256=row["sha256"], text=row["text"],
                          no_text_layer=bool(row["no_text_layer"]))

    def delete(self, policy_id: str) -> bool:
        with self.transaction() as conn:
            deleted = conn.execute("DELETE FROM policies WHERE id = ?", (policy_id,)).rowcount
            if deleted:
                self.log_change(conn, policy_id, "deleted")
            return bool(deleted)

    def get(self, policy_id: str) -> Policy | None:
        row = self.conn.execute("SELECT * FROM policies WHERE id = ?", (policy_id,)).fetchone()
        if row is None:
            return None
        return self._hydrate([row])[0]

    def get_many(self, ids: list[str]) -> list[Policy]:
        """Policies by id, in the order asked, missing ones left out."""
        found: dict[str, Policy] = {}
        for chunk in _chunks(ids, 500):
            rows = self.conn.execute(
                f"SELECT * FROM policies WHERE id IN ({', '.join('?' * len(chunk))})", chunk
            ).fetchall()
            found.update((p.id, p) for p in self._hydrate(rows))
        return [found[i] for i in ids if i in found]

    def iter_all(self, batch_size: int = 500) -> Iterator[Policy]:
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
            self.log_change(conn, policy_id, UPDATED)
            return True

    def content_hashes(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT id, content_hash FROM policies"))

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM policies").fetchone()[0]

    def count_from_source(self, source_id: str) -> int:
        return self.conn.execute("SELECT count(*) FROM policies WHERE source_id = ?",
                                 (source_id,)).fetchone()[0]

    def count_besides_source(self, source_id: str) -> int:
        return self.conn.execute("SELECT count(*) FROM policies WHERE source_id != ?",
                                 (source_id,)).fetchone()[0]

    def has_besides(self, source_id: str) -> bool:
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
        return self.get_many(ids)

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

    def links(self, policy_id: str) -> list[tuple[str, str]]:
        return [(r["url"], r["source_id"]) for r in self.conn.execute(
            "SELECT url, source_id FROM policy_links WHERE policy_id = ? ORDER BY first_seen_at",
            (policy_id,),
        )]

    def count_first_seen_since(self, moment: str) -> int:
        return self.conn.execute("SELECT count(*) FROM policies WHERE first_seen_at >= ?",
                                 (moment,)).fetchone()[0]

    def summaries(self) -> list[dict]:
        """id, url, title, 文号 (with its key) and region of every policy, in id order."""
        return [dict(r) for r in self.conn.execute(
            "SELECT id, url, title, doc_number, doc_number_key, region_name FROM policies"
            " ORDER BY id")]

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

    def titles(self, ids: list[str]) -> dict[str, str]:
        titles: dict[str, str] = {}
        for chunk in _chunks(list(dict.fromkeys(i for i in ids if i)), 500):
            marks = ", ".join("?" * len(chunk))
            titles.update(self.conn.execute(
                f"SELECT id, title FROM policies WHERE id IN ({marks})", chunk).fetchall())
        return titles

    def all_ids(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM policies ORDER BY id")]

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
        self.db.cards.apply_derived(policies)  # deadline, validity dates, repeal
        self.db.kinds.apply(policies)    # doc kind and 惠企 flag
        return policies

    def log_change(self, conn: sqlite3.Connection, policy_id: str, kind: str) -> None:
        conn.execute(
            "INSERT INTO change_log (policy_id, kind, at) VALUES (?, ?, ?)", (policy_id, kind, now())
        )

    def region_codes(self) -> list[str]:
        """The regions policies were issued in (GB/T 2260 codes)."""
        rows = self.conn.execute("SELECT DISTINCT region_code FROM policies "
                                 "WHERE region_code IS NOT NULL AND region_code != ''")
        return sorted(row[0] for row in rows)

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

    def pending_changes(self, after_seq: int) -> tuple[int, str | None]:
        """(policies with a change logged after `after_seq`, when the oldest was logged)."""
        row = self.conn.execute(
            "SELECT count(DISTINCT policy_id), min(at) FROM change_log WHERE seq > ?",
            (after_seq,)).fetchone()
        return row[0], row[1]

    def log_changes(self, ids: list[str], kind: str = "derived") -> None:
        with self.transaction() as conn:
            for policy_id in ids:
                self.log_change(conn, policy_id, kind)

    def changed_between(self, after_seq: int, until_seq: int) -> list[str]:
        """Policies (still in the store) with a change logged in (after_seq, until_seq]."""
        return [r[0] for r in self.conn.execute(
            "SELECT DISTINCT c.policy_id FROM change_log AS c JOIN policies AS p"
            " ON p.id = c.policy_id WHERE c.seq > ? AND c.seq <= ? ORDER BY c.policy_id",
            (after_seq, until_seq))]

    def added_after(self, seq: int) -> set[str]:
        """Policies that entered the store after change-log position `seq`."""
        return {r[0] for r in self.conn.execute(
            "SELECT DISTINCT policy_id FROM change_log WHERE seq > ? AND kind = 'added'", (seq,))}


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
