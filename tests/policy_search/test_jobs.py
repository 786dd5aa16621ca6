"""The job queue: enqueue, atomic claim, progress, log, timings, failure, cancel, refusal."""
from __future__ import annotations

import threading

import pytest

from policy_search import jobs
from policy_search.domain.store import Store
from tests.conftest import run_together


def run_next(store, **kw) -> str:
    job = jobs.claim_next(store, **kw)
    assert job is not None
    return jobs.run_job(store, job)


def test_enqueue_records_who_and_what(store, fake_kinds):
    job_id = jobs.enqueue(store, "test-count", {"n": 3, "unused": None}, "admin1")
    job = jobs.job_dict(store, job_id)
    assert job["state"] == "queued" and job["state_label"] == "排队中"
    assert job["kind_label"] == "计数"
    assert job["args"] == {"n": 3}
    assert job["created_by"] == "admin1"
    assert job["started_at"] is None and job["elapsed_seconds"] is None
    assert "已加入队列（admin1）" in job["log"][0]


def test_unknown_kind_is_refused(store):
    with pytest.raises(jobs.JobRefused, match="未知的任务类型"):
        jobs.enqueue(store, "nonsense", {}, "x")


def test_claim_takes_the_oldest_and_only_once(store, fake_kinds):
    first = jobs.enqueue(store, "test-count", {}, "a")
    second = jobs.enqueue(store, "test-broken", {}, "a")
    assert jobs.claim_next(store, kinds=["test-broken"]).id == second
    claimed = jobs.claim_next(store)
    assert claimed.id == first and claimed.state == "running"
    assert claimed.pid is not None and claimed.started_at
    assert jobs.claim_next(store) is None
    assert jobs.claim_next(store, kinds=[]) is None


def test_concurrent_claims_never_share_a_job(tmp_path, fake_kinds):
    path = tmp_path / "q.sqlite3"
    with Store(path) as setup:
        ids = {jobs.enqueue(setup, "test-count", {"i": i}, "a") for i in range(30)}
    claimed: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def claimer(_n):
        own = Store(path)  # one connection per worker, as in separate processes
        start.wait()
        while (job := jobs.claim_next(own)) is not None:
            with lock:
                claimed.append(job.id)
        own.close()

    run_together(claimer, 4)
    assert sorted(claimed) == sorted(ids)


def test_progress_log_timings_and_result(store, fake_kinds):
    job_id = jobs.enqueue(store, "test-count", {"n": 4}, "a")
    assert run_next(store) == "succeeded"
    job = jobs.job_dict(store, job_id)
    assert (job["done"], job["total"], job["percent"]) == (4, 4, 100.0)
    assert job["step"].startswith("收尾")
    assert job["result"] == {"counted": 4}
    assert job["finished"] and job["finished_at"] and job["elapsed_seconds"] >= 0
    log = "\n".join(job["log"])
    assert "步骤完成：计数（用时" in log and "计数完毕" in log and "成功：共用时" in log
    assert job["error"] is None


def test_progress_is_visible_while_running(store, fake_kinds):
    job_id = jobs.enqueue(store, "test-held", {}, "a")
    job = jobs.claim_next(store)
    thread = threading.Thread(target=jobs.run_job, args=(store, job))
    thread.start()
    assert fake_kinds.reached.wait(5)
    seen = jobs.job_dict(store, job_id)
    assert seen["state"] == "running" and (seen["done"], seen["total"]) == (1, 10)
    assert seen["step"].startswith("等待放行") and seen["percent"] == 10.0
    assert seen["eta_seconds"] is not None
    fake_kinds.release.set()
    thread.join(5)
    assert jobs.job_dict(store, job_id)["state"] == "succeeded"


def test_a_failing_job_records_its_error(store, fake_kinds):
    job_id = jobs.enqueue(store, "test-broken", {}, "a")
    assert run_next(store) == "failed"
    job = jobs.job_dict(store, job_id)
    assert job["error"] == "RuntimeError: 模拟的故障"
    assert any("模拟的故障" in line for line in job["log"])
    assert (job["done"], job["total"]) == (1, 2)


def test_a_kind_without_handler_fails_with_a_message(store, fake_kinds):
    jobs.KINDS["reindex"].handler = None
    job_id = jobs.enqueue(store, "reindex", {}, "a")
    job = jobs.claim_next(store)  # no kinds filter: claims it anyway
    assert jobs.run_job(store, job) == "failed"
    assert "没有处理程序" in jobs.job_dict(store, job_id)["error"]


def test_cancel_a_queued_job(store, fake_kinds):
    job_id = jobs.enqueue(store, "test-count", {}, "a")
    assert jobs.cancel(store, job_id, "boss") == "cancelled"
    assert jobs.claim_next(store) is None
    job = jobs.job_dict(store, job_id)
    assert job["state"] == "cancelled" and job["finished_at"]
    assert any("已取消（boss" in line for line in job["log"])
    with pytest.raises(jobs.JobRefused, match="已经结束"):
        jobs.cancel(store, job_id, "boss")
    with pytest.raises(jobs.JobRefused, match="没有编号为 999"):
        jobs.cancel(store, 999, "boss")


def test_cancel_a_running_job_stops_it_at_its_next_progress_report(store, fake_kinds):
    job_id = jobs.enqueue(store, "test-held", {}, "a")
    job = jobs.claim_next(store)
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.update(state=jobs.run_job(store, job)))
    thread.start()
    assert fake_kinds.reached.wait(5)
    assert jobs.cancel(store, job_id, "boss") == "running"  # asked, not yet noticed
    thread.join(5)
    assert not thread.is_alive()
    assert outcome["state"] == "cancelled"
    seen = jobs.job_dict(store, job_id)
    assert seen["state"] == "cancelled" and seen["cancel_requested"] and seen["cancelled_by"] == "boss"
    assert seen["step"].startswith("等待放行")  # never reached 放行: it really stopped
    assert any("已取消（boss）" in line for line in seen["log"])
    # The exclusive kind is free again.
    jobs.enqueue(store, "test-held", {}, "a")


def test_cancellation_is_not_swallowed_by_the_jobs_own_error_handling(store, fake_kinds):
    def careless(ctx):
        for i in range(1000):
            try:
                ctx.progress(i, 1000, "循环")
                if i == 3:
                    jobs.cancel(ctx.store, ctx.job_id, "boss")
            except Exception:  # a library catching everything it knows of
                pass
        return {}

    jobs.register_kind("test-careless", "粗心", careless)
    job_id = jobs.enqueue(store, "test-careless", {}, "a")
    assert run_next(store) == "cancelled"
    assert jobs.job_dict(store, job_id)["done"] == 3  # the last report before the stop


def test_second_exclusive_request_is_refused_with_a_message(store, fake_kinds):
    first = jobs.enqueue(store, "reindex", {}, "alice")
    with pytest.raises(jobs.JobRefused) as refused:
        jobs.enqueue(store, "reindex", {}, "bob")
    message = str(refused.value)
    assert f"#{first}" in message and "同一时间只能运行一个重建索引任务" in message and "alice" in message
    assert refused.value.conflicting_id == first
    assert len(jobs.list_jobs(store, kind="reindex")) == 1
    jobs.cancel(store, first, "alice")
    jobs.enqueue(store, "reindex", {}, "bob")  # accepted once the first has ended


def test_simultaneous_reindex_requests_one_is_accepted(tmp_path):
    path = tmp_path / "q.sqlite3"
    Store(path).close()
    accepted, refused = [], []
    start = threading.Barrier(8)

    def request(n):
        own = Store(path)
        start.wait()
        try:
            accepted.append(jobs.enqueue(own, "reindex", {}, f"user{n}"))
        except jobs.JobRefused:
            refused.append(n)
        own.close()

    run_together(request, 8)
    assert len(accepted) == 1 and len(refused) == 7


def test_the_database_itself_refuses_a_second_active_reindex(store):
    jobs.enqueue(store, "reindex", {}, "a")
    import sqlite3

    second = store.jobs.create("reindex", {}, "sneaky")
    with pytest.raises(sqlite3.IntegrityError):
        with store.transaction() as conn:
            conn.execute("INSERT INTO job_control (job_id, lock_key) VALUES (?, 'reindex')", (second,))


def test_crawls_refuse_overlapping_scopes_only(store):
    a = jobs.enqueue(store, "crawl", {"source": "a"}, "x")
    jobs.enqueue(store, "crawl", {"source": "b"}, "x")
    with pytest.raises(jobs.JobRefused, match="来源 a"):
        jobs.enqueue(store, "crawl", {"source": "a"}, "x")
    with pytest.raises(jobs.JobRefused, match="全部来源"):
        jobs.enqueue(store, "crawl", {}, "x")
    jobs.enqueue(store, "reindex", {}, "x")  # other kinds are not affected
    for job in jobs.active_jobs(store):
        jobs.cancel(store, job["id"], "x")
    everything = jobs.enqueue(store, "crawl", {}, "x")
    with pytest.raises(jobs.JobRefused) as refused:
        jobs.enqueue(store, "crawl", {"source": "c"}, "x")
    assert refused.value.conflicting_id == everything != a


def test_list_jobs_newest_first_with_filters(store, fake_kinds):
    ids = [jobs.enqueue(store, "test-count", {"n": 1}, "a") for _ in range(3)]
    run_next(store)
    listed = jobs.list_jobs(store)
    assert [j["id"] for j in listed] == ids[::-1]
    assert [j["id"] for j in jobs.list_jobs(store, state="succeeded")] == [ids[0]]
    assert [j["id"] for j in jobs.list_jobs(store, limit=1, offset=1)] == [ids[1]]
    assert listed[0]["log"] == []  # the history has no logs; job_dict has
    import json

    json.dumps(listed, ensure_ascii=False)
    json.dumps(jobs.job_dict(store, ids[0]), ensure_ascii=False)


def test_worker_once_runs_the_queue_and_reports(store, fake_kinds):
    ids = [jobs.enqueue(store, "test-count", {"n": 2}, "a"),
           jobs.enqueue(store, "test-broken", {}, "a")]
    done = []
    worker = jobs.Worker(store, on_done=lambda job_id, state: done.append((job_id, state)))
    assert worker.run(once=True) == 2
    assert done == [(ids[0], "succeeded"), (ids[1], "failed")]
    assert jobs.live_workers(store) == []  # unregistered at exit


def test_worker_stop_requeues_the_running_job(store, fake_kinds):
    job_id = jobs.enqueue(store, "test-held", {}, "a")
    worker = jobs.Worker(store, poll_interval=0.05)
    thread = threading.Thread(target=worker.run)
    thread.start()
    assert fake_kinds.reached.wait(5)
    assert [w["pid"] for w in jobs.live_workers(store)] == [worker.pid]
    worker.stop()
    thread.join(5)
    assert not thread.is_alive()
    job = jobs.job_dict(store, job_id)
    assert job["state"] == "queued" and job["pid"] is None
    assert any("重新排队" in line for line in job["log"])
    fake_kinds.release.set()
    assert jobs.Worker(store).run(once=True) == 1
    assert jobs.job_dict(store, job_id)["state"] == "succeeded"
