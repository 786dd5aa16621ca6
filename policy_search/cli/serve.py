"""`policy-search serve`: the site on a production WSGI server (waitress).

Python runs one request at a time per process (the GIL), so on a multi-core machine
`--workers N` forks N waitress processes that share one listening socket. jieba's
dictionary is loaded before forking so the workers share its memory. The parent process
runs the one index sync thread (a single index writer) and watches the workers.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable

import click

log = logging.getLogger(__name__)


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def site_options(workers_help: str):
    """--host, --port, --threads, --workers: the options of the commands that serve."""
    options = [
        click.option("--host", help="listen address (default: setting host, 127.0.0.1)"),
        click.option("--port", type=click.IntRange(0, 65535),
                     help="port (default: setting port, 8000)"),
        click.option("--threads", type=click.IntRange(1, 256),
                     help="threads per web worker process (default: setting threads)"),
        click.option("--workers", type=click.IntRange(1, 64), help=workers_help),
    ]

    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command
    return decorate


@click.command("serve")
@site_options("worker processes (default: CPU count, at most 4; 1 = no forking)")
@click.option("--no-sync", is_flag=True, help="do not follow store changes into the index")
@click.pass_obj
def serve_command(settings, host: str | None, port: int | None, threads: int | None,
                  workers: int | None, no_sync: bool) -> None:
    """运行网站 (waitress): search page, policy pages, JSON API and feeds."""
    from policy_search.cli import open_store

    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host = host or settings.host
    port = settings.port if port is None else port
    threads = threads or settings.threads
    workers = workers or default_workers()
    if not hasattr(os, "fork"):
        workers = 1
    store = open_store(settings)
    ensure_index(settings, store)
    count = store.policies.count()
    store.close()  # no SQLite connection may cross a fork

    sock = socket.create_server((host, port), backlog=1024)
    bound_host, bound_port = sock.getsockname()[:2]
    click.echo(f"政策超市 running on http://{bound_host}:{bound_port}/  "
               f"({count} policies, data {settings.data_dir}, {workers} worker(s) × {threads} threads)")
    sys.stdout.flush()
    if workers == 1:
        run_worker(settings, sock, threads, start_sync=not no_sync)
    else:
        run_forked(settings, sock, threads, workers, start_sync=not no_sync)


def ensure_index(settings, store, *, create_empty: bool = False) -> None:
    """Build the index first when there are policies but no usable index yet; with
    `create_empty`, an empty store gets its (empty) index now rather than from the sync
    thread, so the very first request finds one."""
    from index.build import rebuild
    from index.search import SearchIndex

    if SearchIndex(settings.index_path).is_usable():
        return
    count = store.policies.count()
    if count == 0:
        if create_empty:
            rebuild(store, settings.index_path, procs=1)
        return
    click.echo(f"索引尚未建立，正在为 {count} 条政策建立索引…")
    rebuild(store, settings.index_path)


def run_worker(settings, sock: socket.socket, threads: int, start_sync: bool = False) -> None:
    """One waitress server on the shared socket (blocks until stopped)."""
    from web import create_app

    app = create_app(settings, start_sync=start_sync)
    server = make_server(app, sock, threads)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        sync = app.extensions["policy_search"].sync
        if sync is not None:
            sync.stop()


# How long a stopping job worker may take to reach its job's next progress report (a
# request in flight, a politeness delay) before it is killed; under systemd keep
# TimeoutStopSec above this.
JOB_WORKER_STOP_SECONDS = 90
# A child dying this soon after it started has a configuration problem: respawning loops.
START_UP_SECONDS = 5


def make_server(app, sock: socket.socket, threads: int):
    """The waitress server of one worker, its own error answers (413 body too large, 431
    headers too large, 400, 500) carrying the site's security headers too."""
    from waitress.channel import HTTPChannel
    from waitress.server import create_server
    from waitress.task import ErrorTask

    from web.security import SECURITY_HEADERS

    class SecureErrorTask(ErrorTask):
        def execute(self) -> None:
            self.response_headers.extend(SECURITY_HEADERS.items())
            super().execute()

    class Channel(HTTPChannel):
        error_task_class = SecureErrorTask

    server = create_server(
        app, sockets=[sock], threads=threads, ident="policy-search",
        max_request_body_size=app.config["MAX_REQUEST_BODY"],
        max_request_header_size=64 * 1024, channel_timeout=60,
        # X-Forwarded-* reach the app, which believes them only from the proxies named in
        # trusted_proxies (web.security.TrustedProxies) and otherwise treats the request
        # as relayed by an unknown proxy (no http login "from this machine").
        clear_untrusted_proxy_headers=False, connection_limit=1000,
        # poll(), not select(): select() fails on any descriptor above 1023, which a busy
        # worker (1,000 connections plus the store's and the index's files) can reach.
        asyncore_use_poll=True,
    )
    server.channel_class = Channel  # one socket: one TcpWSGIServer
    return server


def run_forked(settings, sock: socket.socket, threads: int, workers: int,
               start_sync: bool, job_worker: Callable[[], None] | None = None) -> None:
    """Fork the web workers (and, for `run`, the job worker), run the index sync here,
    replace a child that dies later, stop everything on SIGTERM/SIGINT."""
    from index.analysis import init_jieba
    from index.api import start_sync as start_index_sync

    init_jieba()  # before fork: the workers share the dictionary's memory
    children: dict[int, tuple[str, float]] = {}

    def start(role: str) -> None:
        pid = spawn(settings, sock, threads) if role == "web" else spawn_job_worker(job_worker, sock)
        children[pid] = (role, time.monotonic())

    for _ in range(workers):
        start("web")
    if job_worker is not None:
        start("jobs")
    sync = start_index_sync(settings.db_path, settings.index_path) if start_sync else None

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        while children:
            pid, status = os.waitpid(-1, 0)
            role, started = children.pop(pid, (None, 0.0))
            if role is None:
                continue
            name = "job worker" if role == "jobs" else "worker"
            if time.monotonic() - started < START_UP_SECONDS:
                raise click.ClickException(f"{name} {pid} failed at start-up (status {status})")
            # A child that dies later (out of memory, say) is replaced; the site stays up.
            log.warning("%s %s exited (status %s); starting another", name, pid, status)
            start(role)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        stop_children(children)
        if sync is not None:
            sync.stop()
        sock.close()


def stop_children(children: dict[int, tuple[str, float]]) -> None:
    """SIGTERM every child; the web workers end at once, the job worker puts its job
    back in the queue at the job's next progress report (killed after a bound)."""
    for pid in children:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for pid, (role, _started) in children.items():
        limit = JOB_WORKER_STOP_SECONDS if role == "jobs" else 10
        if not wait_child(pid, limit):
            log.warning("%s %s did not stop within %s s; killing it", role, pid, limit)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            wait_child(pid, None)


def wait_child(pid: int, timeout: float | None) -> bool:
    """Reap a child; False when it is still running after `timeout` seconds."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        try:
            done, _status = os.waitpid(pid, 0 if deadline is None else os.WNOHANG)
        except ChildProcessError:
            return True
        except InterruptedError:
            continue
        if done:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def spawn_job_worker(target: Callable[[], None], sock: socket.socket) -> int:
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            sock.close()  # the job worker serves no requests
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            die_with_parent(parent)
            target()  # installs its own SIGTERM/SIGINT handlers (stop and requeue)
        except SystemExit as exc:
            code = 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            log.exception("job worker failed")
            code = 1
        finally:
            os._exit(code)
    return pid


def spawn(settings, sock: socket.socket, threads: int) -> int:
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us
            die_with_parent(parent)
            run_worker(settings, sock, threads)
        except BaseException:
            log.exception("worker failed")
            code = 1
        finally:
            os._exit(code)
    return pid


def die_with_parent(parent: int) -> None:
    """Ask Linux for a SIGTERM when the parent dies (killed with SIGKILL, say), so no
    child outlives it holding the port or a job; elsewhere a no-op."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before we asked
        os.kill(os.getpid(), signal.SIGTERM)


PR_SET_PDEATHSIG = 1
