"""`policy-search worker` and `policy-search jobs …`: run, start, follow and cancel jobs.

The real job kinds a worker runs are policy_search.app.job_kinds.
"""
from __future__ import annotations

import getpass
import json
import signal
import sys
import time

import click

from policy_search import jobs
from policy_search.app.job_kinds import register_real_kinds
from policy_search.cli import open_store
from policy_search.domain.local_time import beijing_time
from policy_search.schedule import ScheduleError, enqueue_due, parse_schedule, schedule_from_settings
from policy_search.settings import Settings

BAR_WIDTH = 30


# --- the worker ----------------------------------------------------------------------

def _root_argv(ctx: click.Context, settings: Settings) -> list[str]:
    """How to call this same program with the same data directory and config."""
    argv = [sys.executable, "-m", "policy_search", "--data-dir", str(settings.data_dir)]
    config = ctx.find_root().params.get("config")
    if config:
        argv += ["--config", str(config)]
    return argv


def _install_stop_handlers(stop) -> None:
    def handler(signum, frame):
        click.echo(f"收到信号 {signal.Signals(signum).name}：当前任务将在下一次进度报告时停止并重新排队",
                   err=True)
        stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def make_worker(settings: Settings, store, root_argv: list[str], *, per_process: bool = False,
                poll: float | None = None) -> tuple[jobs.Worker, list]:
    """A job worker with the real kinds, the crawl and notify schedules and terminal messages
    (for `worker` and for the worker process of `run`); returns it with its schedules."""
    from policy_search.app.delivery import queue_round_after

    try:
        schedule = schedule_from_settings(settings)
    except ScheduleError as exc:
        raise click.UsageError(f"crawl_schedule: {exc}") from exc
    try:
        notify_schedule = parse_schedule(settings.notify_schedule, settings.schedule_timezone)
    except ScheduleError as exc:
        raise click.UsageError(f"notify_schedule: {exc}") from exc
    register_real_kinds()

    def before_claim(st) -> None:
        job_id = enqueue_due(st, schedule)
        if job_id:
            click.echo(f"定时抓取已加入队列：任务 #{job_id}")
        job_id = enqueue_due(st, notify_schedule, name="notify", kind="notify")
        if job_id:
            click.echo(f"定时推送已加入队列：任务 #{job_id}")

    def started(job) -> None:
        click.echo(f"任务 #{job.id} 开始：{jobs.kind_label(job.kind)} {json.dumps(job.args, ensure_ascii=False)}")

    def ended(job_id: int, state: str) -> None:
        job = jobs.job_dict(store, job_id, log_lines=0)
        line = f"任务 #{job_id} 结束：{job['state_label'] if job else jobs.STATE_NAMES.get(state, state)}"
        detail = job and (job["error"] or job["summary"])
        click.echo(line + (f"（{detail}）" if detail else ""))
        round_id = queue_round_after(store, store.jobs.get(job_id))
        if round_id:
            click.echo(f"推送任务已加入队列：任务 #{round_id}")

    worker = jobs.Worker(
        store, settings=settings,
        poll_interval=poll if poll is not None else settings.worker_poll_interval,
        before_claim=before_claim if schedule or notify_schedule else None,
        subprocess_argv=(lambda job_id: root_argv + ["jobs", "run", str(job_id)]) if per_process else None,
        on_job=started, on_done=ended,
    )
    return worker, [("定时抓取", schedule), ("定时推送", notify_schedule)]


@click.command("worker")
@click.option("--once", is_flag=True, help="run what is queued (and due by the schedule), then exit")
@click.option("--subprocess", "per_process", is_flag=True,
              help="run each job in its own subprocess (memory returned after each job)")
@click.option("--poll", type=float, default=None,
              help="seconds between looks at the queue (default: worker_poll_interval)")
@click.pass_context
def worker_command(ctx: click.Context, once: bool, per_process: bool, poll: float | None):
    """Run queued jobs (crawl, reindex, import, snapshot, notify) and the crawl and notify
    schedules.

    A job left running by a worker that died is marked failed at start. SIGTERM or
    Ctrl-C stops the current job at its next progress report and puts it back in the
    queue, so a restart picks it up again.
    """
    settings: Settings = ctx.obj
    store = open_store(settings)
    worker, schedules = make_worker(settings, store, _root_argv(ctx, settings),
                                    per_process=per_process, poll=poll)
    _install_stop_handlers(worker.stop)
    for name, schedule in schedules:
        if schedule:
            click.echo(f"{name}：{schedule.text}（{schedule.tz}）")
    ran = worker.run(once=once)
    for job_id in worker.stale_failed:
        click.echo(f"任务 #{job_id} 的进程已不在运行，已标记为失败", err=True)
    click.echo(f"工作进程退出：本次运行了 {ran} 个任务")


# --- jobs ... ----------------------------------------------------------------------

@click.group("jobs")
def jobs_group():
    """List, start, follow and cancel jobs (a worker runs them: `policy-search worker`)."""


@jobs_group.command("list")
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--state", type=click.Choice(list(jobs.STATE_NAMES)), default=None)
@click.option("--kind", default=None)
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
def list_command(settings: Settings, limit: int, state: str | None, kind: str | None, as_json: bool):
    """Job history, newest first."""
    store = open_store(settings)
    jobs.mark_stale(store)
    found = jobs.list_jobs(store, limit=limit, state=state, kind=kind)
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("还没有任务")
        return
    for job in found:
        args = " ".join(f"{k}={v}" for k, v in job["args"].items())
        timing = f"{job['elapsed_seconds']:.0f}s" if job["elapsed_seconds"] is not None else "-"
        progress = f"{job['done']}/{job['total']}" if job["total"] else ""
        click.echo(f"#{job['id']:<5} {job['kind_label']:<6} {job['state_label']:<4} {progress:>11} "
                   f"{timing:>7}  {beijing_time(job['created_at'])}  {job['created_by'] or ''}  {args}"
                   + (f"\n       结果: {job['summary']}" if job.get("summary") else "")
                   + (f"\n       错误: {job['error']}" if job["error"] else ""))
    if not jobs.live_workers(store) and any(j["state"] == jobs.QUEUED for j in found):
        click.echo("注意：没有工作进程在运行，排队的任务不会开始（运行 policy-search worker）", err=True)


def _cli_user(by: str | None) -> str:
    return by or f"命令行:{getpass.getuser()}"


def _start(settings: Settings, kind: str, args: dict, by: str | None, follow: bool) -> None:
    store = open_store(settings)
    try:
        job_id = jobs.enqueue(store, kind, args, _cli_user(by))
    except jobs.JobRefused as exc:
        click.echo(f"未启动：{exc}", err=True)
        sys.exit(2)
    click.echo(f"任务 #{job_id} 已加入队列：{jobs.kind_label(kind)}")
    if not jobs.live_workers(store):
        click.echo("注意：没有工作进程在运行；用 policy-search worker（或 worker --once）执行队列", err=True)
    if follow:
        sys.exit(follow_job(store, job_id))


@jobs_group.group("start")
def start_group():
    """Queue a job."""


@start_group.command("crawl")
@click.option("--source", "source_id", default=None, help="one source id (default: all enabled)")
@click.option("--since", default=None, help="only items published on or after DATE")
@click.option("--max-pages", type=int, default=None, help="list pages per source")
@click.option("--by", default=None, help="who starts it (default: the login name)")
@click.option("--follow", "-f", is_flag=True, help="show the progress until the job ends")
@click.pass_obj
def start_crawl(settings: Settings, source_id, since, max_pages, by, follow):
    """Queue a crawl of all enabled sources or of one."""
    _start(settings, "crawl", {"source": source_id, "since": since, "max_pages": max_pages},
           by, follow)


@start_group.command("reindex")
@click.option("--by", default=None, help="who starts it (default: the login name)")
@click.option("--follow", "-f", is_flag=True, help="show the progress until the job ends")
@click.pass_obj
def start_reindex(settings: Settings, by, follow):
    """Queue a full index rebuild (only one at a time)."""
    _start(settings, "reindex", {}, by, follow)


@jobs_group.command("cancel")
@click.argument("job_id", type=int)
@click.option("--by", default=None, help="who cancels it (default: the login name)")
@click.pass_obj
def cancel_command(settings: Settings, job_id: int, by: str | None):
    """Cancel a queued job, or ask a running one to stop."""
    store = open_store(settings)
    try:
        state = jobs.cancel(store, job_id, _cli_user(by))
    except jobs.JobRefused as exc:
        click.echo(f"错误：{exc}", err=True)
        sys.exit(2)
    if state == jobs.CANCELLED:
        click.echo(f"任务 #{job_id} 已取消")
    else:
        click.echo(f"已请求取消任务 #{job_id}：它将在下一次进度报告时停止")


@jobs_group.command("show")
@click.argument("job_id", type=int)
@click.option("--follow/--no-follow", default=True, show_default=True,
              help="follow a running job with a progress bar until it ends")
@click.option("--json", "as_json", is_flag=True, help="print the job as JSON (no following)")
@click.pass_obj
def show_command(settings: Settings, job_id: int, follow: bool, as_json: bool):
    """A job's state, progress, timings and log; follows it until done."""
    store = open_store(settings)
    jobs.mark_stale(store)
    job = jobs.job_dict(store, job_id, log_lines=0 if as_json else 10_000)
    if job is None:
        click.echo(f"没有编号为 {job_id} 的任务", err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(jobs.job_dict(store, job_id), ensure_ascii=False, indent=2))
        return
    click.echo(f"任务 #{job['id']} {job['kind_label']} {json.dumps(job['args'], ensure_ascii=False)}"
               f"  发起: {job['created_by'] or '-'}  创建: {beijing_time(job['created_at'])}（北京时间）")
    if job["finished"] or not follow:
        for line in job["log"]:
            click.echo("  " + line)
        click.echo(summary_line(job))
        sys.exit(0 if job["state"] in (jobs.SUCCEEDED, jobs.QUEUED, jobs.RUNNING) else 1)
    sys.exit(follow_job(store, job_id))


@jobs_group.command("run", hidden=True)
@click.argument("job_id", type=int)
@click.pass_obj
def run_command(settings: Settings, job_id: int):
    """Run one claimed job in this process (used by `worker --subprocess`)."""
    import threading

    register_real_kinds()
    store = open_store(settings)
    job = store.jobs.get(job_id)
    if job is None or job.state != jobs.RUNNING:
        click.echo(f"任务 #{job_id} 不在运行状态，无法执行", err=True)
        sys.exit(2)
    jobs.adopt(store, job_id)
    stop = threading.Event()
    _install_stop_handlers(stop.set)
    try:
        state = jobs.run_job(store, store.jobs.get(job_id), settings=settings, stop=stop)
    except jobs.WorkerStopping:
        sys.exit(3)
    sys.exit(0 if state == jobs.SUCCEEDED else 1)


# --- following a job ------------------------------------------------------------------

def progress_bar(job: dict, width: int = BAR_WIDTH) -> str:
    """One line: bar, percent, done/total, step, elapsed and remaining time."""
    if job["total"]:
        filled = int(round(job["fraction"] * width))
        bar = "█" * filled + "░" * (width - filled)
        figures = f"{job['percent']:5.1f}% {job['done']}/{job['total']}"
    else:
        bar, figures = "░" * width, "  …  "
    timing = f"用时 {_duration(job['elapsed_seconds'])}" if job["elapsed_seconds"] is not None else ""
    if job["eta_seconds"] is not None:
        timing += f" 剩余约 {_duration(job['eta_seconds'])}"
    step = job["step"] or job["state_label"]
    return f"[{bar}] {figures} {step[:60]}  {timing}".rstrip()


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}秒"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}分{seconds:02d}秒"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}时{minutes:02d}分"


def summary_line(job: dict) -> str:
    line = f"状态: {job['state_label']}"
    if job.get("summary"):
        line += f"（{job['summary']}）"
    if job["elapsed_seconds"] is not None:
        line += f"，用时 {_duration(job['elapsed_seconds'])}"
    if job["error"]:
        line += f"\n错误: {job['error']}"
    return line


def follow_job(store, job_id: int, *, interval: float = 0.5, out=None) -> int:
    """Show new log lines and a live progress bar until the job ends; the exit code."""
    tty = sys.stdout.isatty() if out is None else False
    shown_lines = 0
    last_plain = ("", 0.0)
    warned = False
    while True:
        job = jobs.job_dict(store, job_id, log_lines=10_000)
        if job["state"] == jobs.QUEUED and not warned and not jobs.live_workers(store):
            click.echo("注意：没有工作进程在运行，任务不会开始（运行 policy-search worker）；"
                       "按 Ctrl-C 停止跟随", err=True)
            warned = True
        new_lines = job["log"][shown_lines:]
        shown_lines = len(job["log"])
        bar = progress_bar(job)
        if tty:
            if new_lines:
                click.echo("\r\033[K", nl=False)
            for line in new_lines:
                click.echo("  " + line)
            click.echo("\r\033[K" + bar, nl=False)
        else:
            for line in new_lines:
                click.echo("  " + line)
            # Without a terminal, print the bar when the step changes or every 5 s.
            if job["step"] != last_plain[0] or time.monotonic() - last_plain[1] > 5 or job["finished"]:
                click.echo(bar)
                last_plain = (job["step"], time.monotonic())
        if job["finished"]:
            if tty:
                click.echo("")
            click.echo(summary_line(job))
            return 0 if job["state"] == jobs.SUCCEEDED else 1
        time.sleep(interval)
