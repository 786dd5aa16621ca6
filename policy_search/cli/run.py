"""`policy-search run`: the whole service in one process tree.

The parent runs what `serve` runs (forked waitress workers on one socket, the index sync
thread) plus one more child: the job worker of `worker` (crawls, reindex, imports, the
crawl schedule). On a store with nothing to serve yet it first queues the starter
snapshot and the first crawl (policy_search/first_run.py) and creates the empty index,
so the site answers at once and results become searchable as the worker stores them.

SIGTERM or Ctrl-C stops both: the web workers at once, the job worker at its job's next
progress report, the job going back to the queue for the next start.
"""
from __future__ import annotations

import functools
import logging
import os
import socket
import sys

import click

from policy_search.cli.serve import default_workers, ensure_index, run_forked, site_options


@click.command("run")
@site_options("web worker processes (default: CPU count, at most 4)")
@click.pass_context
def run_command(ctx: click.Context, host: str | None, port: int | None, threads: int | None,
                workers: int | None) -> None:
    """运行整个服务：网站与任务工作进程（首次运行时载入离线快照并开始抓取）。

    On an empty store: queues the starter snapshot (setting starter_snapshot) and a crawl
    of every enabled source back to crawl_since, and serves at once; policies become
    searchable as they arrive. SIGTERM/Ctrl-C stops the site and the worker; a running
    job is put back in the queue.
    """
    from policy_search import jobs
    from policy_search.cli import open_store
    from policy_search.cli.jobs import _root_argv
    from policy_search.first_run import queue_first_run, requeue_interrupted
    from policy_search.schedule import ScheduleError, schedule_from_settings

    settings = ctx.obj
    if not hasattr(os, "fork"):
        raise click.ClickException("run 需要 fork（Linux/macOS）；请分别运行 serve 与 worker")
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        schedule_from_settings(settings)  # a bad schedule stops us here, not in the child
    except ScheduleError as exc:
        raise click.UsageError(f"crawl_schedule: {exc}") from exc
    store = open_store(settings)
    # A job left "running" by a run that was killed would look active: fail it first
    # (and queue the first run's own jobs again).
    stale = jobs.mark_stale(store)
    for job_id in stale:
        click.echo(f"任务 #{job_id} 的进程已不在运行，已标记为失败", err=True)
    try:
        queued = requeue_interrupted(store, stale) + queue_first_run(store, settings)
    except (ValueError, jobs.JobRefused) as exc:
        raise click.UsageError(str(exc)) from exc
    for line in queued:
        click.echo(line)
    ensure_index(settings, store, create_empty=True)
    count = store.policies.count()
    store.close()  # no SQLite connection may cross a fork

    host = host or settings.host
    port = settings.port if port is None else port
    threads = threads or settings.threads
    workers = workers or default_workers()
    sock = socket.create_server((host, port), backlog=1024)
    bound_host, bound_port = sock.getsockname()[:2]
    click.echo(f"政策超市 running on http://{bound_host}:{bound_port}/  "
               f"({count} policies, data {settings.data_dir}, {workers} worker(s) × {threads} threads"
               f" + job worker)")
    sys.stdout.flush()
    root = _root_argv(ctx, settings)
    run_forked(settings, sock, threads, workers, start_sync=True,
               job_worker=functools.partial(run_job_worker, settings, root))


def run_job_worker(settings, root_argv: list[str]) -> None:
    """The job worker child: its own store connection, stop-and-requeue on signals."""
    from policy_search.cli import open_store
    from policy_search.cli.jobs import _install_stop_handlers, make_worker

    store = open_store(settings)
    worker, _schedules = make_worker(settings, store, root_argv)
    _install_stop_handlers(worker.stop)
    worker.run()
    sys.stdout.flush()
