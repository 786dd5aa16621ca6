"""Fixtures shared by every test package."""
from __future__ import annotations

import fcntl
import os
import shutil
import threading
import warnings
from contextlib import contextmanager
from pathlib import Path

import pytest

warnings.filterwarnings("ignore", category=SyntaxWarning, module=r"(jieba|whoosh)(\..*)?")

# Data sets used by more than one test package (each fixture named for what it holds).
pytest_plugins = ["tests.notify_site", "tests.web.card_site", "tests.web.channel_site",
                  "tests.web.staff_site"]

ROOT = Path(__file__).resolve().parents[1]
SHARED = (ROOT / ".." / "shared").resolve()


def shared_path(*parts: str) -> Path:
    """A file of ../shared; a test that needs it fails (never skips) when it is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"test material missing: {path} (../shared must sit beside the project)")
    return path


# The day every status, countdown and period of the run is computed for, chosen once by the
# first pytest process and inherited by its xdist workers: data sets built with deadlines
# "in 10 days" before midnight in China must still show "还剩 10 天" when a test renders them
# after it.
RUN_DAY = "TEST_RUN_DAY_IN_CHINA"


def pytest_configure(config):
    import datetime as dt

    from policy_search.domain.deadlines import china_today, pin_today

    day = os.environ.setdefault(RUN_DAY, china_today().isoformat())
    pin_today(dt.date.fromisoformat(day))


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes():
    """scrypt at 1/32 of its cost for the accounts tests make and log in with: every hash
    is still real scrypt, checked the same way (test_accounts checks the real cost)."""
    from policy_search.domain import accounts

    real = accounts.HASH_METHOD
    accounts.HASH_METHOD = TEST_HASH_METHOD
    yield
    accounts.HASH_METHOD = real


TEST_HASH_METHOD = "scrypt:1024:8:1"


@pytest.fixture
def shared():
    return shared_path


def run_together(target, count: int) -> None:
    """Run target(n) for n in range(count) in as many threads at once; wait for all."""
    threads = [threading.Thread(target=target, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def cli_on(data_dir, monkeypatch):
    """`policy-search --data-dir DATA_DIR …` run in-process, with no POLICY_SEARCH_*
    variable of the calling shell leaking into its settings; returns the result."""
    from click.testing import CliRunner

    from policy_search.cli import main

    for name in list(os.environ):
        if name.startswith("POLICY_SEARCH_"):
            monkeypatch.delenv(name)
    runner = CliRunner()

    def run(*args):
        return runner.invoke(main, ["--data-dir", str(data_dir), *args], catch_exceptions=False)

    run.data_dir = data_dir
    return run


def held_files(name: str) -> int:
    """How many descriptors of this process are open on files called `name`."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").endswith("/" + name)
        except OSError:
            pass  # closed meanwhile
    return count


def built_once(tmp_path_factory, name: str, build) -> Path:
    """The directory `build(path)` fills, built once per test run however many xdist workers
    ask (the first builds it under a lock); each worker gets its own copy to open."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        path = tmp_path_factory.mktemp(name)
        build(path)
        return path
    shared = tmp_path_factory.getbasetemp().parent  # this run's directory, every worker's
    done = shared / f"{name}.built"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            building = shared / f"{name}.building"
            shutil.rmtree(building, ignore_errors=True)
            building.mkdir()
            build(building)
            building.rename(done)
    copy = tmp_path_factory.mktemp(name)
    shutil.copytree(done, copy, dirs_exist_ok=True)
    return copy


@pytest.fixture
def store(tmp_path):
    from policy_search.domain.store import Store

    with Store(tmp_path / "policies.sqlite3") as s:
        yield s


@pytest.fixture(scope="session")
def shared_pages():
    from tests.crawler.site import PAGES

    assert PAGES.is_dir(), f"../shared/pages is missing: {PAGES}"
    return PAGES


@pytest.fixture(scope="module")
def gov_site(shared_pages):
    """The crawler tests' fixture government site, served on 127.0.0.1."""
    from tests.crawler.site import FixtureSite, build_site

    site = FixtureSite().start()
    build_site(site)
    yield site
    site.stop()


@contextmanager
def serve_in_thread(app, threads: int = 4):
    """A Flask app on the very waitress server `serve` runs (make_server), in a thread on
    127.0.0.1; yields its base URL."""
    import socket

    from policy_search.cli.serve import make_server

    sock = socket.create_server(("127.0.0.1", 0))
    server = make_server(app, sock, threads)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    host, port = sock.getsockname()[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        # Close from inside the server's own loop: closing its sockets from this thread
        # while it waits in poll() makes the loop fail with EBADF.
        server.trigger.pull_trigger(lambda: _close_all(server))
        thread.join(timeout=10)
        server.task_dispatcher.shutdown()


def _close_all(server):
    for channel in list(server._map.values()):
        if channel is not server and channel is not server.trigger:
            channel.close()
    server.close()
