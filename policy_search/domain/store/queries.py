"""The query log behind 热门搜索 (policy_search/query_log.py says what is kept): a count
per day and normalized query, nothing else."""
from __future__ import annotations

from policy_search.domain.store.base import Repository


class QueryCountRepository(Repository):
    """query_counts."""

    def add_counts(self, counts: dict[tuple[str, str], int]) -> None:
        """Add counts keyed by (day, normalized query) in one transaction."""
        if not counts:
            return
        with self.transaction() as conn:
            conn.executemany(
                "INSERT INTO query_counts (day, query, count) VALUES (?, ?, ?)"
                " ON CONFLICT(day, query) DO UPDATE SET count = count + excluded.count",
                [(day, query, n) for (day, query), n in counts.items() if n > 0])

    def popular(self, since: str, min_count: int, limit: int) -> list[tuple[str, int]]:
        """(query, count) searched at least `min_count` times from day `since` on, most first."""
        return [(r[0], r[1]) for r in self.conn.execute(
            "SELECT query, SUM(count) AS n FROM query_counts WHERE day >= ? GROUP BY query"
            " HAVING n >= ? ORDER BY n DESC, query LIMIT ?", (since, max(min_count, 1), limit))]

    def forget_before(self, day: str) -> int:
        """Delete the counts of days before `day`; how many rows went."""
        with self.transaction() as conn:
            return conn.execute("DELETE FROM query_counts WHERE day < ?", (day,)).rowcount

