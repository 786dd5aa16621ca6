"""The job queue's rows: jobs, their control rows (locks, heartbeats, results), the
workers and the schedule's last runs. policy_search/jobs.py holds the rules."""
from __future__ import annotations

import json
from dataclasses import dataclass

from policy_search.domain.store.base import Repository, now


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


class JobRepository(Repository):
    """jobs, job_control, workers, schedule_runs."""

    def create(self, kind: str, args: dict, created_by: str | None = None) -> int:
        with self.transaction() as conn:
            return conn.execute(
                "INSERT INTO jobs (kind, args, state, created_by, created_at)"
                " VALUES (?, ?, 'queued', ?, ?)",
                (kind, json.dumps(args, ensure_ascii=False), created_by, now()),
            ).lastrowid

    def get(self, job_id: int) -> Job | None:
        row = self.conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return Job(**{**dict(row), "args": json.loads(row["args"] or "{}")}) if row else None

    def update(self, job_id: int, **changes) -> None:
        allowed = {"state", "done", "total", "step", "error", "started_at", "finished_at", "pid"}
        if not changes or set(changes) - allowed:
            raise ValueError(f"cannot update job fields {sorted(set(changes) - allowed)}")
        with self.transaction() as conn:
            conn.execute(
                f"UPDATE jobs SET {', '.join(f'{k} = ?' for k in changes)} WHERE id = ?",
                [*changes.values(), job_id],
            )

    def append_log(self, job_id: int, line: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE jobs SET log = log || ? WHERE id = ?", (f"{now()} {line}\n", job_id)
            )

    # --- the queue: control rows (locks, cancel requests, results, heartbeats) -----------

    def active_of_kind(self, kind: str, states: tuple[str, ...]) -> list[dict]:
        """The jobs of a kind in the given (active) states, oldest first."""
        return [dict(r) for r in self.conn.execute(
            f"SELECT id, state, args, created_by FROM jobs WHERE kind = ?"
            f" AND state IN ({', '.join('?' * len(states))}) ORDER BY id", (kind, *states))]

    def add_control(self, job_id: int, lock_key: str | None) -> None:
        """The control row of a new job; the partial unique index on an active lock key
        refuses a second overlapping job."""
        with self.transaction() as conn:
            conn.execute("INSERT INTO job_control (job_id, lock_key, active) VALUES (?, ?, 1)",
                         (job_id, lock_key))

    def claim_oldest(self, kinds: list[str] | None, *, pid: int, host: str,
                     proc_start: str | None, queued: str, running: str) -> int | None:
        """Move the oldest queued job (of the given kinds) to running for this process;
        its id, or None when nothing waits. Select and update are one transaction."""
        with self.transaction() as conn:
            sql, params = "SELECT id FROM jobs WHERE state = ?", [queued]
            if kinds is not None:
                if not kinds:
                    return None
                sql += f" AND kind IN ({', '.join('?' * len(kinds))})"
                params += kinds
            row = conn.execute(sql + " ORDER BY id LIMIT 1", params).fetchone()
            if row is None:
                return None
            job_id = row["id"]
            stamp = now()
            conn.execute(
                "UPDATE jobs SET state = ?, started_at = ?, finished_at = NULL, pid = ?,"
                " error = NULL WHERE id = ? AND state = ?", (running, stamp, pid, job_id, queued),
            )
            # Jobs created with create() directly have no control row yet.
            conn.execute(
                "INSERT INTO job_control (job_id, active, host, proc_start, heartbeat_at)"
                " VALUES (?, 1, ?, ?, ?) ON CONFLICT(job_id) DO UPDATE SET host = excluded.host,"
                " proc_start = excluded.proc_start, heartbeat_at = excluded.heartbeat_at",
                (job_id, host, proc_start, stamp),
            )
            return job_id

    def adopt(self, job_id: int, *, pid: int, host: str, proc_start: str | None) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE jobs SET pid = ? WHERE id = ?", (pid, job_id))
            conn.execute("UPDATE job_control SET host = ?, proc_start = ?, heartbeat_at = ?"
                         " WHERE job_id = ?", (host, proc_start, now(), job_id))

    def finish(self, job_id: int, state: str, *, error: str | None, result: dict | None,
               only_if: tuple[str, ...]) -> bool:
        """End a job that is in one of `only_if`; False when it was not (someone else ended it)."""
        with self.transaction() as conn:
            changed = conn.execute(
                f"UPDATE jobs SET state = ?, error = ?, finished_at = ? WHERE id = ?"
                f" AND state IN ({', '.join('?' * len(only_if))})",
                (state, error, now(), job_id, *only_if),
            ).rowcount
            if changed:
                conn.execute(
                    "UPDATE job_control SET active = 0, result = coalesce(?, result)"
                    " WHERE job_id = ?",
                    (None if result is None else json.dumps(result, ensure_ascii=False,
                                                            default=str), job_id),
                )
        return bool(changed)

    def requeue(self, job_id: int, *, queued: str, running: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE jobs SET state = ?, pid = NULL, started_at = NULL, done = 0, step = ''"
                " WHERE id = ? AND state = ?", (queued, job_id, running),
            )

    def request_cancel(self, job_id: int, by: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO job_control (job_id, cancel_requested, cancelled_by) VALUES (?, 1, ?)"
                " ON CONFLICT(job_id) DO UPDATE SET cancel_requested = 1,"
                " cancelled_by = excluded.cancelled_by", (job_id, by),
            )

    def control(self, job_id: int) -> dict:
        row = self.conn.execute("SELECT * FROM job_control WHERE job_id = ?",
                                (job_id,)).fetchone()
        return dict(row) if row else {}

    def report_progress(self, job_id: int, done: int, total: int, step: str) -> None:
        """Progress and the heartbeat, in one write."""
        with self.transaction() as conn:
            conn.execute("UPDATE jobs SET done = ?, total = ?, step = ? WHERE id = ?",
                         (done, total, step, job_id))
            conn.execute("UPDATE job_control SET heartbeat_at = ? WHERE job_id = ?",
                         (now(), job_id))

    def in_state(self, state: str) -> list[dict]:
        """id, pid and the process identity (start time, host) of the jobs in a state."""
        return [dict(r) for r in self.conn.execute(
            "SELECT j.id, j.pid, c.proc_start, c.host FROM jobs AS j"
            " LEFT JOIN job_control AS c ON c.job_id = j.id WHERE j.state = ?", (state,))]

    # --- views ---------------------------------------------------------------------------

    _VIEW = ("SELECT j.*, c.cancel_requested, c.cancelled_by, c.result, c.heartbeat_at, c.host"
             " FROM jobs AS j LEFT JOIN job_control AS c ON c.job_id = j.id")

    def view(self, job_id: int) -> dict | None:
        """A job with its control row (cancel request, result, heartbeat, host)."""
        row = self.conn.execute(self._VIEW + " WHERE j.id = ?", (job_id,)).fetchone()
        return dict(row) if row else None

    def views(self, *, limit: int, offset: int, kind: str | None = None,
              state: str | None = None, partial: bool | None = None) -> list[dict]:
        """Jobs with their control rows, newest first. `partial` narrows succeeded jobs to
        those whose result says part of the work failed (True) or not (False)."""
        sql, params = self._VIEW + " WHERE 1 = 1", []
        if kind:
            sql, params = sql + " AND j.kind = ?", [*params, kind]
        if state:
            sql, params = sql + " AND j.state = ?", [*params, state]
        if partial is not None:
            sql += (" AND coalesce(json_extract(c.result, '$.outcome'), '')"
                    f" {'=' if partial else '!='} 'partial'")
        return [dict(r) for r in self.conn.execute(sql + " ORDER BY j.id DESC LIMIT ? OFFSET ?",
                                                   [*params, limit, offset])]

    def recent(self, kind: str, limit: int) -> list[dict]:
        """The newest jobs of a kind without log and result, args decoded."""
        rows = self.conn.execute(
            "SELECT id, kind, state, args, created_by, started_at, finished_at, error FROM jobs"
            " WHERE kind = ? ORDER BY id DESC LIMIT ?", (kind, limit)).fetchall()
        return [{**dict(row), "args": json.loads(row["args"] or "{}")} for row in rows]

    def result(self, job_id: int) -> dict:
        row = self.conn.execute("SELECT result FROM job_control WHERE job_id = ?",
                                (job_id,)).fetchone()
        return json.loads(row["result"]) if row is not None and row["result"] else {}

    # --- workers ---------------------------------------------------------------------------

    def workers(self) -> list[dict]:
        return [dict(r) for r in self.conn.execute("SELECT * FROM workers ORDER BY started_at")]

    def register_worker(self, host: str, pid: int, proc_start: str | None) -> None:
        stamp = now()
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO workers (host, pid, proc_start, started_at, heartbeat_at,"
                " job_id) VALUES (?, ?, ?, ?, ?, NULL)", (host, pid, proc_start, stamp, stamp),
            )

    def worker_heartbeat(self, host: str, pid: int, proc_start: str | None,
                         job_id: int | None) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE workers SET heartbeat_at = ?, job_id = ? WHERE host = ? AND pid = ?"
                " AND proc_start = ?", (now(), job_id, host, pid, proc_start),
            )

    def remove_workers(self, identities: list[tuple[str, int, str | None]]) -> None:
        """Forget workers by (host, pid, process start)."""
        with self.transaction() as conn:
            conn.executemany("DELETE FROM workers WHERE host = ? AND pid = ? AND proc_start = ?",
                             identities)

    # --- the schedule ------------------------------------------------------------------------

    def last_slot(self, name: str) -> dict | None:
        """The last slot of a schedule that was served, and its job."""
        row = self.conn.execute("SELECT * FROM schedule_runs WHERE name = ?", (name,)).fetchone()
        return dict(row) if row else None

    def record_slot(self, name: str, slot: str, job_id: int | None) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO schedule_runs (name, last_slot, job_id, at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(name) DO UPDATE SET last_slot = excluded.last_slot,"
                " job_id = coalesce(excluded.job_id, schedule_runs.job_id), at = excluded.at",
                (name, slot, job_id, now()),
            )

    def finished_results(self, kind: str, states: tuple[str, ...], limit: int) -> list[dict]:
        """id, finish time and result of the newest finished jobs of a kind."""
        return [dict(r) for r in self.conn.execute(
            f"SELECT j.id, j.finished_at, c.result FROM jobs AS j JOIN job_control AS c"
            f" ON c.job_id = j.id WHERE j.kind = ? AND j.state IN"
            f" ({', '.join('?' * len(states))}) ORDER BY j.id DESC LIMIT ?",
            (kind, *states, limit))]
