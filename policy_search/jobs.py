"""The job queue: long work (crawl, reindex) as rows in the store, run by a worker process.

A job is enqueued (by the admin page or the CLI), claimed atomically by a worker, reports
progress (done/total and the current step) and log lines, and ends succeeded (成功, or
部分失败 when its result says part of the work failed), failed or cancelled. A handler's
result may carry "outcome" ("partial" or "failed", see job_outcome) and "summary" (the
counts in a line): a crawl whose every source failed ends failed with the reason. Everything lives in the store, so a web restart neither kills nor loses a job,
and a job whose process died is found (its pid is gone) and marked failed.

Cancellation and a worker's shutdown are noticed at the job's next progress report: the
report raises JobCancelled / WorkerStopping, which derive from BaseException so that a
library's `except Exception` cannot swallow them (as with KeyboardInterrupt).

The kinds' code lives above this layer, in the composition root (policy_search.app.job_kinds
attaches handlers with set_handler()); this module knows only each kind's name, label and
overlap rule.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from policy_search.domain.local_time import beijing_time
from policy_search.domain.store import Job, Store

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = (
    "queued", "running", "succeeded", "failed", "cancelled")
ACTIVE_STATES = (QUEUED, RUNNING)
FINISHED_STATES = (SUCCEEDED, FAILED, CANCELLED)
# How a job ended, as people read it: a succeeded job whose result says some of its
# work failed (a source of a crawl, rows of an import) ended 部分失败. The state column
# keeps `succeeded` for it; job_dict's "outcome" says "partial".
PARTIAL = "partial"
OUTCOMES = (SUCCEEDED, PARTIAL, FAILED, CANCELLED)
STATE_NAMES = {QUEUED: "排队中", RUNNING: "运行中", SUCCEEDED: "成功", PARTIAL: "部分失败",
               FAILED: "失败", CANCELLED: "已取消"}

# Progress is written at most this often (a write is an fsync); step changes and the
# last report are always written.
PROGRESS_WRITE_INTERVAL = 0.5
LOG_LINE_MAX = 2000
LOG_MAX_LINES = 2000
LOG_TAIL_LINES = 200


class JobRefused(Exception):
    """A job that may not start now (e.g. a second reindex); the message is for the user."""

    def __init__(self, message: str, conflicting_id: int | None = None):
        super().__init__(message)
        self.conflicting_id = conflicting_id


class JobCancelled(BaseException):
    """Raised at a progress report of a job someone cancelled."""


class WorkerStopping(BaseException):
    """Raised at a progress report when the worker was asked to stop: the job is requeued."""


@dataclass
class JobKind:
    name: str
    label: str
    # At most one queued-or-running job of this kind (reindex).
    exclusive: bool = False
    # Jobs of this kind whose value of this argument overlaps refuse each other; a
    # missing value means "everything" (a crawl of all sources overlaps every crawl).
    scope_arg: str | None = None
    handler: Callable[[JobContext], dict | None] | None = None


KINDS: dict[str, JobKind] = {
    "crawl": JobKind("crawl", "抓取", scope_arg="source"),
    "reindex": JobKind("reindex", "重建索引", exclusive=True),
    "import": JobKind("import", "导入文件"),
    "snapshot": JobKind("snapshot", "载入离线快照", exclusive=True),
    "notify": JobKind("notify", "推送", exclusive=True),  # one delivery round of the subscriptions
}


def register_kind(name: str, label: str, handler: Callable | None = None, *,
                  exclusive: bool = False, scope_arg: str | None = None) -> JobKind:
    kind = JobKind(name, label, exclusive=exclusive, scope_arg=scope_arg, handler=handler)
    KINDS[name] = kind
    return kind


def set_handler(name: str, handler: Callable[[JobContext], dict | None]) -> None:
    """Attach the code that runs jobs of a known kind (policy_search.app.job_kinds does)."""
    KINDS[name].handler = handler


def kind_label(name: str) -> str:
    kind = KINDS.get(name)
    return kind.label if kind else name


# --- process identity ---------------------------------------------------------------

def process_start(pid: int) -> str:
    """The kernel's start time of a process ('' when unknown): tells a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # The command name may hold spaces and parentheses: fields follow the last ')'.
    fields = stat[stat.rindex(")") + 2:].split()
    return fields[19] if len(fields) > 19 else ""


def _process_state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat[stat.rindex(")") + 2:].split()[0]


HOST = socket.gethostname()


def is_alive(pid: int | None, proc_start: str | None = None, host: str | None = None) -> bool:
    """Whether the process that claimed a job still runs (a zombie counts as dead)."""
    if not pid:
        return False
    if host and host != HOST:
        return True  # another machine's process: we cannot tell, so never declare it dead
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    if _process_state(pid) in ("Z", "X"):
        return False
    if proc_start:
        current = process_start(pid)
        if current and current != proc_start:
            return False
    return True


def _identity() -> tuple[int, str]:
    pid = os.getpid()
    return pid, process_start(pid)


# --- enqueue, claim, finish -----------------------------------------------------------

def enqueue(store: Store, kind: str, args: dict | None = None, created_by: str | None = None) -> int:
    """Queue a job; raise JobRefused when an overlapping job is queued or running.

    The check and the insert are one write transaction, so two simultaneous requests
    cannot both pass; a partial unique index on the lock key backs this up.
    """
    spec = KINDS.get(kind)
    if spec is None:
        raise JobRefused(f"未知的任务类型：{kind}")
    args = {k: v for k, v in (args or {}).items() if v is not None}
    with store.transaction():
        conflict = _conflicting_job(store, spec, args)
        if conflict is not None:
            raise JobRefused(_refusal_message(spec, conflict, args), conflict["id"])
        job_id = store.jobs.create(kind, args, created_by)
        store.jobs.add_control(job_id, _lock_key(spec, args))
    store.jobs.append_log(job_id, f"已加入队列（{created_by or '未知用户'}）")
    return job_id


def _lock_key(spec: JobKind, args: dict) -> str | None:
    if spec.exclusive:
        return spec.name
    if spec.scope_arg:
        return f"{spec.name}:{args.get(spec.scope_arg) or '*'}"
    return None


def _conflicting_job(store: Store, spec: JobKind, args: dict):
    if not (spec.exclusive or spec.scope_arg):
        return None
    for row in store.jobs.active_of_kind(spec.name, ACTIVE_STATES):
        if spec.exclusive:
            return row
        mine = args.get(spec.scope_arg)
        theirs = json.loads(row["args"] or "{}").get(spec.scope_arg)
        if mine is None or theirs is None or mine == theirs:
            return row
    return None


def _refusal_message(spec: JobKind, conflict, args: dict) -> str:
    state = STATE_NAMES.get(conflict["state"], conflict["state"])
    who = f"，由 {conflict['created_by']} 发起" if conflict["created_by"] else ""
    if spec.exclusive:
        return (f"已有一个{spec.label}任务（#{conflict['id']}，{state}{who}），同一时间只能运行一个"
                f"{spec.label}任务。请等它结束，或先取消它再重新发起。")
    theirs = json.loads(conflict["args"] or "{}").get(spec.scope_arg)
    scope = f"来源 {theirs}" if theirs else "全部来源"
    mine = args.get(spec.scope_arg)
    wanted = f"来源 {mine}" if mine else "全部来源"
    return (f"已有{spec.label}任务（#{conflict['id']}，{state}{who}）涵盖{scope}，与本次请求的{wanted}"
            f"重叠。请等它结束，或先取消它再重新发起。")


def claim_next(store: Store, kinds: list[str] | None = None) -> Job | None:
    """Take the oldest queued job (of the given kinds) for this process, atomically."""
    pid, started = _identity()
    job_id = store.jobs.claim_oldest(kinds, pid=pid, host=HOST, proc_start=started,
                                     queued=QUEUED, running=RUNNING)
    if job_id is None:
        return None
    store.jobs.append_log(job_id, f"开始运行（进程 {pid}，主机 {HOST}）")
    return store.jobs.get(job_id)


def adopt(store: Store, job_id: int) -> None:
    """Record this process as the one running a claimed job (a subprocess per job)."""
    pid, started = _identity()
    store.jobs.adopt(job_id, pid=pid, host=HOST, proc_start=started)


def _finish(store: Store, job_id: int, state: str, *, error: str | None = None,
            result: dict | None = None, only_if: tuple[str, ...] = (RUNNING,)) -> bool:
    return store.jobs.finish(job_id, state, error=error, result=result, only_if=only_if)


def requeue(store: Store, job_id: int, reason: str) -> None:
    """Put a running job back in the queue (its worker is shutting down)."""
    store.jobs.requeue(job_id, queued=QUEUED, running=RUNNING)
    store.jobs.append_log(job_id, reason)


# --- cancel, stale ----------------------------------------------------------------

def cancel(store: Store, job_id: int, by: str | None = None) -> str:
    """Cancel a job: a queued one at once, a running one at its next progress report.

    Returns the job's state after the request; raises JobRefused for a finished job.
    """
    job = store.jobs.get(job_id)
    if job is None:
        raise JobRefused(f"没有编号为 {job_id} 的任务")
    if job.state in FINISHED_STATES:
        raise JobRefused(f"任务 #{job_id} 已经结束（{STATE_NAMES[job.state]}），无法取消")
    who = by or "未知用户"
    if job.state == QUEUED and _finish(store, job_id, CANCELLED, only_if=(QUEUED,)):
        store.jobs.append_log(job_id, f"已取消（{who}，尚未开始）")
        return CANCELLED
    store.jobs.request_cancel(job_id, who)
    store.jobs.append_log(job_id, f"{who} 请求取消，任务将在下一次进度报告时停止")
    control = store.jobs.control(job_id)
    if not is_alive(job.pid, control.get("proc_start"), control.get("host")):
        # Nobody is left to notice the request: end it now.
        if _finish(store, job_id, CANCELLED):
            store.jobs.append_log(job_id, "执行进程已不在运行，任务直接标记为已取消")
    return store.jobs.get(job_id).state


def mark_stale(store: Store) -> list[int]:
    """Fail every running job whose process is gone; returns their ids."""
    failed = []
    for row in store.jobs.in_state(RUNNING):
        if is_alive(row["pid"], row["proc_start"], row["host"]):
            continue
        error = (f"执行该任务的进程（pid {row['pid']}）已不在运行：任务被中断"
                 "（进程被强制结束或机器重启）。可以重新发起该任务。")
        if _finish(store, row["id"], FAILED, error=error):
            store.jobs.append_log(row["id"], error)
            failed.append(row["id"])
    dead = [w for w in store.jobs.workers() if not is_alive(w["pid"], w["proc_start"], w["host"])]
    if dead:
        store.jobs.remove_workers([(w["host"], w["pid"], w["proc_start"]) for w in dead])
    return failed


# --- running one job -----------------------------------------------------------------

class JobContext:
    """What a job's code gets: its arguments, progress and log reporting, the store."""

    def __init__(self, store: Store, job: Job, *, settings=None,
                 stop: threading.Event | None = None):
        self.store, self.job, self.settings = store, job, settings
        self.job_id, self.args = job.id, dict(job.args)
        self.stop = stop
        self.done, self.total, self.step, self.note = 0, 0, "", ""
        self.logged = 0
        self._written = 0.0
        self._step_started = time.monotonic()

    def progress(self, done: int | None = None, total: int | None = None,
                 step: str | None = None, note: str | None = None) -> None:
        """Report progress; raises JobCancelled / WorkerStopping when the job must stop.

        `step` names the current phase (a change is logged with the previous phase's
        duration); `note` is a passing detail shown after it (the page being fetched).
        """
        self.check()
        new_step = step is not None and step != self.step
        if new_step and self.step:
            self.log(f"步骤完成：{self.step}（用时 {time.monotonic() - self._step_started:.1f} 秒）")
        if new_step:
            self._step_started = time.monotonic()
        self.done = self.done if done is None else int(done)
        self.total = self.total if total is None else int(total)
        self.step = self.step if step is None else step[:500]
        if note is not None or new_step:
            self.note = (note or "")[:500]
        moment = time.monotonic()
        last = self.total and self.done >= self.total
        if new_step or last or moment - self._written >= PROGRESS_WRITE_INTERVAL:
            self._written = moment
            shown = f"{self.step} · {self.note}" if self.note else self.step
            self.store.jobs.report_progress(self.job_id, self.done, self.total, shown)

    def flush(self) -> None:
        """Write the last reported progress (reports in between writes are throttled)."""
        if self.done or self.total or self.step:
            shown = f"{self.step} · {self.note}" if self.note else self.step
            self.store.jobs.update(self.job_id, done=self.done, total=self.total, step=shown)

    def log(self, line: str) -> None:
        # The log column is rewritten on each append: bound it so a long crawl stays cheap.
        self.logged += 1
        if self.logged == LOG_MAX_LINES:
            line = f"日志已达 {LOG_MAX_LINES} 行，其余省略（结果与错误仍会记录）"
        elif self.logged > LOG_MAX_LINES:
            return
        self.store.jobs.append_log(self.job_id, line[:LOG_LINE_MAX])

    def check(self) -> None:
        if self.stop is not None and self.stop.is_set():
            raise WorkerStopping()
        control = self.store.jobs.control(self.job_id)
        if control.get("cancel_requested"):
            raise JobCancelled(control["cancelled_by"] or "")

    @property
    def cancel_requested(self) -> bool:
        try:
            self.check()
        except JobCancelled:
            return True
        except WorkerStopping:
            return False
        return False


def run_job(store: Store, job: Job, *, settings=None,
            stop: threading.Event | None = None) -> str:
    """Run a claimed job to its end in this process; returns the final state."""
    spec = KINDS.get(job.kind)
    if spec is None or spec.handler is None:
        error = f"这个工作进程不能运行“{kind_label(job.kind)}”任务（类型 {job.kind} 没有处理程序）"
        _finish(store, job.id, FAILED, error=error)
        store.jobs.append_log(job.id, error)
        return FAILED
    ctx = JobContext(store, job, settings=settings, stop=stop)
    started = time.monotonic()
    try:
        ctx.check()
        result = spec.handler(ctx) or {}
    except JobCancelled as exc:
        ctx.flush()
        if _finish(store, job.id, CANCELLED):
            ctx.log(f"已取消（{exc.args[0] if exc.args and exc.args[0] else '管理员'}），"
                    f"运行 {time.monotonic() - started:.1f} 秒")
        return store.jobs.get(job.id).state
    except (WorkerStopping, KeyboardInterrupt):
        requeue(store, job.id, "工作进程正在停止：任务已重新排队，下次启动时从头运行")
        raise
    except Exception as exc:
        ctx.flush()
        # A ValueError carries a message meant for the user; others need their type.
        error = (str(exc) if isinstance(exc, ValueError) and str(exc)
                 else f"{type(exc).__name__}: {exc}")[:LOG_LINE_MAX]
        if _finish(store, job.id, FAILED, error=error):
            store.jobs.append_log(job.id, "失败：" + error)
            store.jobs.append_log(job.id, "".join(traceback.format_exception(exc)[-3:]).strip())
        return FAILED
    ctx.flush()
    if ctx.step:
        ctx.log(f"步骤完成：{ctx.step}（用时 {time.monotonic() - ctx._step_started:.1f} 秒）")
    outcome = result.get("outcome") if isinstance(result, dict) else None
    summary = result.get("summary") if isinstance(result, dict) else None
    took = f"共用时 {time.monotonic() - started:.1f} 秒"
    if outcome == FAILED:
        error = (result.get("error") or summary or "任务失败")[:LOG_LINE_MAX]
        if _finish(store, job.id, FAILED, error=error, result=result):
            store.jobs.append_log(job.id, f"失败：{summary + '；' if summary else ''}{took}")
        return store.jobs.get(job.id).state
    if _finish(store, job.id, SUCCEEDED, result=result):
        label = STATE_NAMES[PARTIAL if outcome == PARTIAL else SUCCEEDED]
        store.jobs.append_log(job.id, f"{label}：{summary + '；' if summary else ''}{took}")
    return store.jobs.get(job.id).state


def job_outcome(state: str, result: dict | None) -> str | None:
    """succeeded | partial | failed | cancelled for a finished job, None before."""
    if state == SUCCEEDED and (result or {}).get("outcome") == PARTIAL:
        return PARTIAL
    return state if state in FINISHED_STATES else None


# --- views for the admin page and the CLI -------------------------------------------

def _parse_time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def job_dict(store: Store, job_id: int, *, log_lines: int = LOG_TAIL_LINES) -> dict | None:
    """One job as a JSON-able dict: state, progress, timings, the log's tail, the result."""
    row = store.jobs.view(job_id)
    return _row_dict(row, log_lines) if row else None


def _row_dict(row, log_lines: int) -> dict:
    started, finished = _parse_time(row["started_at"]), _parse_time(row["finished_at"])
    moment = dt.datetime.now(dt.timezone.utc)
    elapsed = ((finished or moment) - started).total_seconds() if started else None
    done, total = row["done"], row["total"]
    fraction = min(1.0, done / total) if total else (1.0 if row["state"] == SUCCEEDED else 0.0)
    eta = None
    if row["state"] == RUNNING and elapsed and total and 0 < done < total:
        eta = round(elapsed / done * (total - done), 1)
    lines = (row["log"] or "").splitlines()
    result = json.loads(row["result"] or "{}") if row["result"] else {}
    outcome = job_outcome(row["state"], result)
    return {
        "id": row["id"],
        "kind": row["kind"],
        "kind_label": kind_label(row["kind"]),
        "args": json.loads(row["args"] or "{}"),
        "state": row["state"],
        "outcome": outcome,
        "state_label": STATE_NAMES.get(outcome or row["state"], row["state"]),
        "summary": result.get("summary") if isinstance(result, dict) else None,
        "finished": row["state"] in FINISHED_STATES,
        "done": done,
        "total": total,
        "fraction": round(fraction, 4),
        "percent": round(fraction * 100, 1),
        "step": row["step"],
        "error": row["error"],
        "created_by": row["created_by"],
        "created_at": row["created_at"],
        "started_at": row["started_at"],
        "finished_at": row["finished_at"],
        "elapsed_seconds": None if elapsed is None else round(elapsed, 1),
        "eta_seconds": eta,
        "pid": row["pid"],
        "cancel_requested": bool(row["cancel_requested"]),
        "cancelled_by": row["cancelled_by"],
        "result": result,
        "log": [log_line(line) for line in lines[-log_lines:]] if log_lines else [],
        "log_total_lines": len(lines),
    }


def log_line(line: str) -> str:
    """A log line as stored ("<UTC ISO time> text") with the time in Beijing time."""
    stamp, _, text = line.partition(" ")
    moment = beijing_time(stamp, seconds=True) if stamp[:2] == "20" and "T" in stamp else ""
    return f"{moment} {text}" if moment and moment != stamp else line


def list_jobs(store: Store, *, limit: int = 50, offset: int = 0, kind: str | None = None,
              state: str | None = None) -> list[dict]:
    """Job history, newest first, without logs (see job_dict for one job's log)."""
    partial = None
    if state in (SUCCEEDED, PARTIAL):  # 成功 and 部分失败 share the stored state
        state, partial = SUCCEEDED, state == PARTIAL
    rows = store.jobs.views(limit=limit, offset=offset, kind=kind, state=state, partial=partial)
    return [_row_dict(r, 0) for r in rows]


def recent_jobs(store: Store, kind: str, *, limit: int = 10) -> list[dict]:
    """The newest jobs of a kind, lightly: no log, no result (for pages read often);
    `job_result` fetches one job's result."""
    return [{**row, "finished": row["state"] in FINISHED_STATES}
            for row in store.jobs.recent(kind, limit)]


def job_result(store: Store, job_id: int) -> dict:
    return store.jobs.result(job_id)


def active_jobs(store: Store) -> list[dict]:
    return [j for j in list_jobs(store, limit=1000) if not j["finished"]]


def start_job(store: Store, kind: str, args: dict | None = None, *, by: str | None = None,
              settings=None, spawn: bool = False) -> dict:
    """What the admin page calls: enqueue (JobRefused on overlap) and optionally start a
    worker subprocess for it when no worker is running; returns the job as a dict."""
    job_id = enqueue(store, kind, args, by)
    if spawn and settings is not None and not live_workers(store):
        spawn_worker(settings)
    return job_dict(store, job_id)


def spawn_worker(settings, *, config: str | Path | None = None) -> int:
    """Start `policy-search worker --once` detached from this process (its own session,
    so a restart of the web server does not kill it); returns its pid."""
    import subprocess

    argv = [sys.executable, "-m", "policy_search", "--data-dir", str(settings.data_dir)]
    if config:
        argv += ["--config", str(config)]
    argv += ["worker", "--once"]
    log = open(Path(settings.data_dir) / "worker.log", "ab")
    try:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                   start_new_session=True, close_fds=True)
    finally:
        log.close()
    return process.pid


# --- workers ----------------------------------------------------------------------

def live_workers(store: Store) -> list[dict]:
    """Worker processes registered in the store that are still alive."""
    return [w for w in store.jobs.workers() if is_alive(w["pid"], w["proc_start"], w["host"])]


class Worker:
    """Runs queued jobs, one at a time, in this process or in a subprocess per job.

    `stop()` (called from a SIGTERM handler) makes the running job stop at its next
    progress report and go back to the queue, then the loop ends.
    """

    def __init__(self, store: Store, *, settings=None, poll_interval: float = 2.0,
                 before_claim: Callable[[Store], None] | None = None,
                 subprocess_argv: Callable[[int], list[str]] | None = None,
                 on_job: Callable[[Job], None] | None = None,
                 on_done: Callable[[int, str], None] | None = None):
        self.store, self.settings = store, settings
        self.poll_interval = poll_interval
        self.before_claim = before_claim
        self.subprocess_argv = subprocess_argv
        self.on_job = on_job
        self.on_done = on_done
        self.stop_event = threading.Event()
        self.child = None
        self.stale_failed: list[int] = []
        self.pid, self.proc_start = _identity()

    def stop(self) -> None:
        self.stop_event.set()
        child = self.child
        if child is not None and child.poll() is None:
            import signal

            child.send_signal(signal.SIGTERM)

    def kinds(self) -> list[str] | None:
        if self.subprocess_argv is not None:
            return None  # the child decides; an unknown kind fails there with a message
        return [name for name, kind in KINDS.items() if kind.handler is not None]

    def run(self, *, once: bool = False) -> int:
        """Process jobs until stopped (or, with once, until the queue is empty)."""
        # Jobs left running by a worker that died are failed before anything new starts.
        self.stale_failed = mark_stale(self.store)
        self._register()
        ran = 0
        try:
            while not self.stop_event.is_set():
                self._heartbeat(None)
                if self.before_claim is not None:
                    self.before_claim(self.store)
                job = claim_next(self.store, self.kinds())
                if job is None:
                    if once:
                        break
                    self.stop_event.wait(self.poll_interval)
                    mark_stale(self.store)
                    continue
                self._heartbeat(job.id)
                if self.on_job is not None:
                    self.on_job(job)
                try:
                    if self.subprocess_argv is not None:
                        self._run_in_subprocess(job)
                    else:
                        run_job(self.store, job, settings=self.settings, stop=self.stop_event)
                except WorkerStopping:
                    break
                finally:
                    if self.on_done is not None:
                        self.on_done(job.id, self.store.jobs.get(job.id).state)
                ran += 1
        finally:
            self._unregister()
        return ran

    def _run_in_subprocess(self, job: Job) -> None:
        import subprocess

        self.child = subprocess.Popen(self.subprocess_argv(job.id))
        try:
            code = self.child.wait()
        finally:
            self.child = None
        current = self.store.jobs.get(job.id)
        if current.state == RUNNING:
            # The child ended without recording an outcome: it crashed.
            error = f"执行任务的子进程异常退出（退出码 {code}）"
            if _finish(self.store, job.id, FAILED, error=error):
                self.store.jobs.append_log(job.id, error)
        if self.stop_event.is_set():
            raise WorkerStopping()

    def _register(self) -> None:
        self.store.jobs.register_worker(HOST, self.pid, self.proc_start)

    def _heartbeat(self, job_id: int | None) -> None:
        self.store.jobs.worker_heartbeat(HOST, self.pid, self.proc_start, job_id)

    def _unregister(self) -> None:
        self.store.jobs.remove_workers([(HOST, self.pid, self.proc_start)])
