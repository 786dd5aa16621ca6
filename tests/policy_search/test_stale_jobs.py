"""A worker killed mid-job: the job is failed on the next start, and new jobs run."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from policy_search import jobs
from policy_search.domain.store import now

# A worker process with a slow test kind; `cli` runs it through `policy-search worker`.
WORKER_SCRIPT = """
import sys, time
from policy_search import jobs
from policy_search.domain.store import Store

def slow(ctx):
    for i in range(100000):
        ctx.progress(i, 100000, "慢任务")
        time.sleep(0.005)
    return {}

jobs.register_kind("test-slow", "慢任务", slow, exclusive=True)
if sys.argv[2] == "cli":
    from policy_search.cli import main
    main(["--data-dir", sys.argv[1], "worker", "--poll", "0.05"], prog_name="policy-search")
else:
    jobs.Worker(Store(sys.argv[1] + "/policies.sqlite3"), poll_interval=0.05).run()
"""


def start_worker(data_dir, mode="plain"):
    return subprocess.Popen([sys.executable, "-c", WORKER_SCRIPT, str(data_dir), mode],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def quick(ctx):
    ctx.progress(1, 1, "快")
    return {"ok": True}


def test_kill_9_mid_job_marks_it_failed_on_next_start_and_a_new_job_succeeds(tmp_path, fake_kinds):
    from policy_search.domain.store import Store

    store = Store(tmp_path / "policies.sqlite3")
    jobs.register_kind("test-slow", "慢任务", quick, exclusive=True)
    job_id = jobs.enqueue(store, "test-slow", {}, "admin")
    worker = start_worker(tmp_path)
    try:
        wait_for(lambda: (jobs.job_dict(store, job_id)["done"] or 0) > 3)
        assert jobs.job_dict(store, job_id)["pid"] == worker.pid
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert jobs.job_dict(store, job_id)["state"] == "running"  # nobody has noticed yet
    with_refusal = None
    try:
        jobs.enqueue(store, "test-slow", {}, "admin")
    except jobs.JobRefused as exc:
        with_refusal = exc
    assert with_refusal is not None  # the dead job still holds the lock…

    restarted = jobs.Worker(store)  # …until the next worker start
    assert restarted.run(once=True) == 0
    assert restarted.stale_failed == [job_id]
    dead = jobs.job_dict(store, job_id)
    assert dead["state"] == "failed" and "已不在运行" in dead["error"] and dead["finished_at"]

    new_id = jobs.enqueue(store, "test-slow", {}, "admin")
    assert jobs.Worker(store).run(once=True) == 1
    assert jobs.job_dict(store, new_id)["state"] == "succeeded"
    store.close()


def test_an_unreaped_killed_worker_counts_as_dead(tmp_path, fake_kinds):
    from policy_search.domain.store import Store

    store = Store(tmp_path / "policies.sqlite3")
    jobs.register_kind("test-slow", "慢任务", quick, exclusive=True)
    job_id = jobs.enqueue(store, "test-slow", {}, "admin")
    worker = start_worker(tmp_path)
    try:
        wait_for(lambda: jobs.job_dict(store, job_id)["state"] == "running")
        os.kill(worker.pid, signal.SIGKILL)
        # Not waited for: the process stays a zombie, and os.kill(pid, 0) still succeeds.
        assert wait_for(lambda: jobs.mark_stale(store)) == [job_id]
    finally:
        worker.kill()
        worker.wait(10)
    assert jobs.job_dict(store, job_id)["state"] == "failed"
    store.close()


def test_a_reused_pid_is_not_taken_for_the_worker(store):
    job_id = store.jobs.create("reindex", {}, "a")
    job = jobs.claim_next(store)
    assert job.id == job_id and job.pid == os.getpid()
    assert jobs.mark_stale(store) == []  # this very process: alive
    with store.transaction() as conn:
        conn.execute("UPDATE job_control SET proc_start = 'another-process' WHERE job_id = ?", (job_id,))
    assert jobs.mark_stale(store) == [job_id]


def test_a_job_of_a_vanished_pid_is_failed_by_a_check(store):
    job_id = store.jobs.create("crawl", {}, "a")
    store.jobs.update(job_id, state="running", pid=2 ** 22 + 12345, started_at=now())
    assert jobs.mark_stale(store) == [job_id]
    assert store.jobs.get(job_id).state == "failed"


def test_cancel_of_a_job_whose_process_died_ends_it_at_once(store):
    job_id = store.jobs.create("crawl", {}, "a")
    store.jobs.update(job_id, state="running", pid=2 ** 22 + 12346, started_at=now())
    assert jobs.cancel(store, job_id, "boss") == "cancelled"


def test_sigterm_stops_the_cli_worker_and_requeues_its_job(tmp_path, fake_kinds):
    from policy_search.domain.store import Store

    store = Store(tmp_path / "policies.sqlite3")
    jobs.register_kind("test-slow", "慢任务", quick, exclusive=True)
    job_id = jobs.enqueue(store, "test-slow", {}, "admin")
    worker = start_worker(tmp_path, "cli")
    try:
        wait_for(lambda: (jobs.job_dict(store, job_id)["done"] or 0) > 3)
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=20)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, output
    assert "SIGTERM" in output and "工作进程退出" in output
    job = jobs.job_dict(store, job_id)
    assert job["state"] == "queued" and any("重新排队" in line for line in job["log"])
    assert jobs.live_workers(store) == []
    assert jobs.Worker(store).run(once=True) == 1  # picked up again
    assert jobs.job_dict(store, job_id)["state"] == "succeeded"
    store.close()


CRASHING_CHILD = """
import os, signal, sys
from policy_search import jobs
from policy_search.domain.store import Store
store = Store(sys.argv[1])
jobs.adopt(store, int(sys.argv[2]))
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_crashed_job_subprocess_fails_its_job_and_the_worker_goes_on(store, fake_kinds):
    first = jobs.enqueue(store, "test-count", {}, "a")
    second = jobs.enqueue(store, "test-broken", {}, "a")
    worker = jobs.Worker(store, subprocess_argv=lambda job_id: [
        sys.executable, "-c", CRASHING_CHILD, str(store.path), str(job_id)])
    assert worker.run(once=True) == 2
    for job_id in (first, second):
        job = jobs.job_dict(store, job_id)
        assert job["state"] == "failed" and "子进程异常退出（退出码 -9）" in job["error"]
        assert job["pid"] != os.getpid()  # the child had recorded itself


def test_spawned_worker_runs_the_job_detached(tmp_path):
    from policy_search.settings import load_settings
    from policy_search.domain.store import Store

    settings = load_settings(environ={}, data_dir=tmp_path / "data")
    store = Store(settings.db_path)
    job = jobs.start_job(store, "reindex", by="admin", settings=settings, spawn=True)
    assert job["state"] in ("queued", "running") and job["kind_label"] == "重建索引"
    wait_for(lambda: jobs.job_dict(store, job["id"])["finished"], timeout=60)
    assert jobs.job_dict(store, job["id"])["state"] == "succeeded"
    assert (settings.data_dir / "worker.log").exists()
    store.close()
