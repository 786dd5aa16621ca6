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

import click

log = logging.getLogger(__name__)


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


@click.command("serve")
@click.option("--host", help="listen address (default: setting host, 127.0.0.1)")
@click.option("--port", type=click.IntRange(0, 65535), help="port (default: setting port, 8000)")
@click.option("--threads", type=click.IntRange(1, 256),
              help="threads per worker process (default: setting threads)")
@click.option("--workers", type=click.IntRange(1, 64),
              help="worker processes (default: CPU count, at most 4; 1 = no forking)")
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
    count = store.count_policies()
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


def ensure_index(settings, store) -> None:
    """Build the index first when there are policies but no usable index yet."""
    from index.build import rebuild
    from index.search import SearchIndex

    if SearchIndex(settings.index_path, store=store).is_usable() or store.count_policies() == 0:
        return
    click.echo(f"索引尚未建立，正在为 {store.count_policies()} 条政策建立索引…")
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
        max_request_body_size=app.config["MAX_CONTENT_LENGTH"],
        max_request_header_size=64 * 1024, channel_timeout=60,
        # X-Forwarded-* reach the app, which believes them only from the proxies named in
        # trusted_proxies (web.security.TrustedProxies) and otherwise treats the request
        # as relayed by an unknown proxy (no http login "from this machine").
        clear_untrusted_proxy_headers=False, connection_limit=1000,
    )
    server.channel_class = Channel  # one socket: one TcpWSGIServer
    return server


def run_forked(settings, sock: socket.socket, threads: int, workers: int,
               start_sync: bool) -> None:
    """Fork the workers, run the index sync here, stop everything on SIGTERM/SIGINT."""
    from index.analysis import init_jieba
    from index.build import start_sync_thread

    init_jieba()  # before fork: the workers share the dictionary's memory
    children = {spawn(settings, sock, threads): time.monotonic() for _ in range(workers)}
    sync = start_sync_thread(settings.db_path, settings.index_path) if start_sync else None

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        while children:
            pid, status = os.waitpid(-1, 0)
            started = children.pop(pid, None)
            if started is None:
                continue
            if time.monotonic() - started < 5:
                # Dying at start-up is a configuration problem: respawning would loop.
                raise click.ClickException(f"worker {pid} failed at start-up (status {status})")
            # A worker that dies later (out of memory, say) is replaced; the site stays up.
            log.warning("worker %s exited (status %s); starting another", pid, status)
            children[spawn(settings, sock, threads)] = time.monotonic()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        if sync is not None:
            sync.stop()
        sock.close()


def spawn(settings, sock: socket.socket, threads: int) -> int:
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us
            run_worker(settings, sock, threads)
        except BaseException:
            log.exception("worker failed")
            code = 1
        finally:
            os._exit(code)
    return pid
