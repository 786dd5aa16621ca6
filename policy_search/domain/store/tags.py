"""Tags (auto proposals and staff decisions) and the audit log of every staff action."""
from __future__ import annotations

from policy_search.domain.models import Tag
from policy_search.domain.store.base import Repository, now

RARITY_SCALE = 1_000_000  # a shared tag weighs RARITY_SCALE // (policies with the tag)


class TagRepository(Repository):
    """tags, tag_audit."""

    def replace_auto(self, policy_id: str, tags: list[Tag], *,
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
            self.db.policies.log_change(conn, policy_id, "tags")

    def set_staff(self, policy_id: str, facet: str, value: str, by: str, *,
                  rejected: bool = False, evidence: str = "",
                  expected_version: int | None = None) -> None:
        """A staff decision: accept (or add) a tag, or reject it. Always audited.

        The audit action is "accept" or "reject"; its detail is "proposed" when the value
        had been proposed (by the tagger) and "added" when not. expected_version: see EditRepository.begin.
        """
        with self.transaction() as conn:
            if not conn.execute("SELECT 1 FROM policies WHERE id = ?", (policy_id,)).fetchone():
                raise KeyError(f"no policy {policy_id}")
            self.db.edits.check_version(conn, policy_id, expected_version)
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
            self.audit(conn, policy_id, facet, value, "reject" if rejected else "accept", by,
                       "proposed" if before is not None else "added")
            self.db.policies.log_change(conn, policy_id, "tags")

    def remove_staff(self, policy_id: str, facet: str, value: str, by: str, *,
                     expected_version: int | None = None) -> None:
        """Undo a staff decision (the value may be proposed again by the next tagging)."""
        with self.transaction() as conn:
            self.db.edits.check_version(conn, policy_id, expected_version)
            conn.execute(
                "DELETE FROM tags WHERE policy_id = ? AND facet = ? AND value = ?",
                (policy_id, facet, value),
            )
            self.audit(conn, policy_id, facet, value, "remove", by)
            self.db.policies.log_change(conn, policy_id, "tags")

    def audit(self, conn, policy_id, facet, value, action, by, detail="") -> None:
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

    def search_audit(self, *, by: str = "", action: str = "", since: str = "", until: str = "",
                     limit: int = 100, offset: int = 0) -> tuple[int, list[dict]]:
        """(how many, this page of) audit entries over all policies and admin actions,
        newest first; since/until are UTC ISO timestamps (until exclusive)."""
        clauses, args = [], []
        for column, op, value in (("by_user", "=", by), ("action", "=", action),
                                  ("at", ">=", since), ("at", "<", until)):
            if value:
                clauses.append(f"{column} {op} ?")
                args.append(value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        total = self.conn.execute(f"SELECT count(*) FROM tag_audit{where}", args).fetchone()[0]
        rows = self.conn.execute(f"SELECT * FROM tag_audit{where} ORDER BY id DESC LIMIT ? OFFSET ?",
                                 [*args, limit, offset]).fetchall()
        return total, [dict(r) for r in rows]

    def audit_choices(self) -> tuple[list[str], list[str]]:
        """(the people, the actions) the audit log has entries of."""
        people = [r[0] for r in self.conn.execute(
            "SELECT DISTINCT by_user FROM tag_audit ORDER BY by_user")]
        actions = [r[0] for r in self.conn.execute(
            "SELECT DISTINCT action FROM tag_audit ORDER BY action")]
        return people, actions

    def needing_auto(self) -> list[str]:
        """Ids of policies never auto-tagged, or changed since they were."""
        return [r[0] for r in self.conn.execute(
            "SELECT id FROM policies WHERE auto_tagged_hash IS NULL"
            " OR auto_tagged_hash != content_hash ORDER BY id"
        )]

    def related_policies(self, policy_id: str, limit: int = 8) -> list[str]:
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

    def record_admin_action(self, facet: str, action: str, target: str, by: str,
                            detail: str) -> None:
        """An admin action (user, source, job, taxonomy) as an audit entry without a policy."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO tag_audit (policy_id, facet, value, action, by_user, at, detail)"
                " VALUES ('', ?, ?, ?, ?, ?, ?)", (facet, target, action, by, now(), detail),
            )

    def admin_actions(self, facet: str, limit: int) -> list[dict]:
        return [dict(r) for r in self.conn.execute(
            "SELECT * FROM tag_audit WHERE policy_id = '' AND facet = ? ORDER BY id DESC LIMIT ?",
            (facet, limit))]
