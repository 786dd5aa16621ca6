"""The staff review queue's reads: which policies wait for review, in what order, with
which open suggestions — one SQL statement per page, so the queue page stays fast with
tens of thousands of policies. policy_search/review_queue.py holds the rest."""
from __future__ import annotations

from dataclasses import dataclass

from policy_search.domain.models import LEVELS
from policy_search.domain.store.base import Repository

# A suggestion below this confidence is "weak": the queue's 低置信度 filter shows the
# policies with an open (undecided) weak suggestion in a facet, or in any facet (ANY_FACET).
# On the shared corpus (4,876 documents) that is 592 policies for 行业, 212 for 支持方式,
# 57 for 企业类型 and 750 for any facet. (A facet with no suggestion at all is not weak:
# counting those too made the filter match nearly every policy.)
LOW_CONFIDENCE = 0.6
ANY_FACET = "any"
ORDER = " ORDER BY coalesce(p.publish_date, '') DESC, coalesce(p.first_seen_at, '') DESC, p.id"


@dataclass
class QueueFilter:
    state: str = "new"
    source: str = ""
    level: str = ""
    date_from: str = ""  # publish date, ISO yyyy-mm-dd
    date_to: str = ""
    low_facet: str = ""  # policies with a weak open suggestion in this facet (or ANY_FACET)
    rereview: bool = False  # only policies flagged for re-review

    def where(self) -> tuple[str, list]:
        clauses, args = ["p.review_state = ?"], [self.state]
        if self.source:
            clauses.append("p.source_id = ?")
            args.append(self.source)
        if self.level in LEVELS:
            clauses.append("p.level = ?")
            args.append(self.level)
        if self.date_from:
            clauses.append("p.publish_date >= ?")
            args.append(self.date_from)
        if self.date_to:
            clauses.append("p.publish_date <= ?")
            args.append(self.date_to + "\uffff")
        if self.rereview:
            clauses.append("p.rereview_reason IS NOT NULL")
        if self.low_facet:
            facet = "" if self.low_facet == ANY_FACET else " AND t.facet = ?"
            clauses.append(
                "EXISTS (SELECT 1 FROM tags AS t WHERE t.policy_id = p.id AND t.origin = 'auto'"
                f" AND t.rejected = 0 AND t.confidence < ?{facet})")
            args += [LOW_CONFIDENCE] + ([] if self.low_facet == ANY_FACET else [self.low_facet])
        return " AND ".join(clauses), args

    def order(self) -> str:
        """Waiting policies newest first; reviewed ones most recently reviewed first."""
        if self.state == "reviewed":
            return " ORDER BY coalesce(p.reviewed_at, '') DESC, p.id"
        return ORDER


class ReviewRepository(Repository):
    """Reads over policies and tags for the review queue."""

    def page(self, filt: QueueFilter, *, limit: int, offset: int) -> tuple[int, list[dict]]:
        """(how many match, this page of them as rows with their tags) in the filter's order.
        A row's "tags" are (facet, value, confidence, origin, rejected), surest first."""
        where, args = filt.where()
        total = self.conn.execute(f"SELECT count(*) FROM policies AS p WHERE {where}",
                                  args).fetchone()[0]
        rows = [dict(r, tags=[]) for r in self.conn.execute(
            "SELECT p.id, p.title, p.level, p.region_name, p.source_id, p.publish_date,"
            " p.first_seen_at, p.rereview_reason, p.edit_version, p.reviewed_by, p.reviewed_at"
            f" FROM policies AS p WHERE {where}{filt.order()} LIMIT ? OFFSET ?",
            [*args, limit, offset])]
        by_id = {row["id"]: row for row in rows}
        if by_id:
            for t in self.conn.execute(
                f"SELECT policy_id, facet, value, confidence, origin, rejected FROM tags"
                f" WHERE policy_id IN ({', '.join('?' * len(by_id))})"
                " ORDER BY confidence DESC, value", list(by_id),
            ):
                by_id[t["policy_id"]]["tags"].append(
                    (t["facet"], t["value"], t["confidence"], t["origin"], bool(t["rejected"])))
        return total, rows

    def counts(self) -> dict:
        """Policies waiting, flagged for re-review, reviewed, and waiting per source and level."""
        conn = self.conn
        waiting = conn.execute(
            "SELECT count(*) FROM policies WHERE review_state = 'new'").fetchone()[0]
        rereview = conn.execute(
            "SELECT count(*) FROM policies WHERE review_state = 'new'"
            " AND rereview_reason IS NOT NULL").fetchone()[0]
        by_source = [(r[0] or "", r[1]) for r in conn.execute(
            "SELECT source_id, count(*) FROM policies WHERE review_state = 'new'"
            " GROUP BY source_id ORDER BY count(*) DESC")]
        by_level = [(r[0] or "", r[1]) for r in conn.execute(
            "SELECT level, count(*) FROM policies WHERE review_state = 'new'"
            " GROUP BY level ORDER BY count(*) DESC")]
        reviewed = conn.execute(
            "SELECT count(*) FROM policies WHERE review_state = 'reviewed'").fetchone()[0]
        return {"new": waiting, "rereview": rereview, "reviewed": reviewed,
                "by_source": by_source, "by_level": by_level}

    def ordered_ids(self, filt: QueueFilter, also: str) -> list[str]:
        """The ids in the queue's order, with `also` in its place even when it left the queue."""
        where, args = filt.where()
        return [r[0] for r in self.conn.execute(
            f"SELECT p.id FROM policies AS p WHERE ({where}) OR p.id = ?{filt.order()}",
            [*args, also])]

    def open_suggestions(self, policy_id: str, facet: str | None = None) -> list[tuple[str, str]]:
        """The tagger's suggestions staff has not decided on: (facet, value) pairs."""
        sql = ("SELECT facet, value FROM tags WHERE policy_id = ? AND origin = 'auto'"
               " AND rejected = 0")
        args: list = [policy_id]
        if facet:
            sql, args = sql + " AND facet = ?", [*args, facet]
        return [(r["facet"], r["value"])
                for r in self.conn.execute(sql + " ORDER BY facet, value", args)]
