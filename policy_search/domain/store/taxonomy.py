"""Taxonomy values added by staff, versioned: a change is a new version, never an overwrite."""
from __future__ import annotations

import json
import sqlite3

from policy_search.domain.store.base import Repository, now


class TaxonomyRepository(Repository):
    """taxonomy_values."""

    def save(self, facet: str, value: str, data: dict, by: str, *,
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

    def latest(self) -> list[dict]:
        """The latest version of every staff-defined taxonomy value (inactive ones included)."""
        rows = self.conn.execute(
            "SELECT t.* FROM taxonomy_values AS t JOIN (SELECT facet, value, max(version) AS v"
            " FROM taxonomy_values GROUP BY facet, value) AS latest"
            " ON t.facet = latest.facet AND t.value = latest.value AND t.version = latest.v"
            " ORDER BY t.facet, t.id"
        ).fetchall()
        return [_taxonomy_row(r) for r in rows]

    def history(self, facet: str | None = None, value: str | None = None) -> list[dict]:
        sql, args = "SELECT * FROM taxonomy_values WHERE 1 = 1", []
        if facet is not None:
            sql, args = sql + " AND facet = ?", [*args, facet]
        if value is not None:
            sql, args = sql + " AND value = ?", [*args, value]
        return [_taxonomy_row(r) for r in self.conn.execute(sql + " ORDER BY id", args)]

    def revision(self) -> int:
        """Changes whenever a staff taxonomy value is saved (cache key for the merged taxonomy)."""
        return self.conn.execute("SELECT coalesce(max(id), 0) FROM taxonomy_values").fetchone()[0]


def _taxonomy_row(row: sqlite3.Row) -> dict:
    result = dict(row)
    result["data"] = json.loads(result["data"] or "{}")
    result["active"] = bool(result["active"])
    return result
