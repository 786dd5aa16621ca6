"""The real reindex job under load: searches never fail, a kill -9 leaves the old index
serving, the dead job is failed on the next start, and a new job switches generations."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from policy_search import jobs
from policy_search.domain.models import Policy
from policy_search.domain.store import Store

from tests.conftest import cli_on
from tests.policy_search.test_stale_jobs import wait_for

WORDS = ["专精特新", "研发费用加计扣除", "稳岗返还", "小微企业", "融资担保", "高新技术企业",
         "数字化转型", "人才引进", "税费减免", "绿色低碳", "首台套", "创业担保贷款"]


def fill(store: Store, n: int, start: int = 0) -> None:
    with store.transaction():
        for i in range(start, n):
            a, b = WORDS[i % len(WORDS)], WORDS[(i * 7 + 3) % len(WORDS)]
            body = "".join(f"第{k}条 对符合条件的{a}给予{b}支持，最高奖励{k * 10}万元。" for k in range(12))
            store.policies.upsert(Policy(id=f"p{i:05d}", title=f"关于{a}和{b}的若干措施（第{i}号）",
                                         body_text=body, level="provincial", region_code="430000",
                                         publish_date=f"2023-{i % 12 + 1:02d}-01"))


class Searcher(threading.Thread):
    def __init__(self, index_path):
        super().__init__(daemon=True)
        from index.search import SearchIndex

        self.index = SearchIndex(index_path, refresh_interval=0.05)
        self.stop, self.ok, self.failures = threading.Event(), 0, []

    def run(self):
        from index.api import SearchRequest

        while not self.stop.is_set():
            try:
                result = self.index.search(SearchRequest(q="专精特新"))
                if result.total == 0:
                    self.failures.append("empty")
                else:
                    self.ok += 1
            except Exception as exc:  # noqa: BLE001 - every failure counts
                self.failures.append(repr(exc))
            time.sleep(0.01)


@pytest.mark.slow
def test_reindex_job_under_search_load_survives_kill_9(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    cli = cli_on(data_dir, monkeypatch)

    from index.layout import current_generation

    store = Store(data_dir / "policies.sqlite3")
    fill(store, 60)  # a small first generation; the killed rebuild has more to do
    assert cli("jobs", "start", "reindex").exit_code == 0
    assert "结束：成功" in cli("worker", "--once").output
    first_generation = current_generation(data_dir / "index")

    searcher = Searcher(data_dir / "index")
    searcher.start()
    try:
        wait_for(lambda: searcher.ok > 5)
        fill(store, 2400, start=60)
        killed_id = jobs.enqueue(store, "reindex", {}, "admin")
        worker = subprocess.Popen([sys.executable, "-m", "policy_search", "--data-dir",
                                   str(data_dir), "worker", "--poll", "0.05"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            # Killed as soon as it writes: 2,340 new documents keep it busy for seconds.
            wait_for(lambda: jobs.job_dict(store, killed_id)["step"] == "分词与写入", timeout=60)
            assert jobs.job_dict(store, killed_id)["state"] == "running"
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(10)
        finally:
            if worker.poll() is None:
                worker.kill()
        time.sleep(0.5)
        assert current_generation(data_dir / "index") == first_generation  # old index serves
        before = searcher.ok
        wait_for(lambda: searcher.ok > before + 5)

        restarted = cli("worker", "--once")
        assert f"任务 #{killed_id} 的进程已不在运行，已标记为失败" in restarted.output
        assert jobs.job_dict(store, killed_id)["state"] == "failed"

        fill(store, 2500, start=2400)  # 100 more policies, searched for below
        new_id = jobs.enqueue(store, "reindex", {}, "admin")
        finished = cli("worker", "--once")
        assert f"任务 #{new_id} 结束：成功" in finished.output, finished.output
        result = jobs.job_dict(store, new_id)["result"]
        assert result["documents"] == 2500
        assert current_generation(data_dir / "index").name == result["generation"] != first_generation.name
        time.sleep(0.3)
        before = searcher.ok
        wait_for(lambda: searcher.ok > before + 5)
    finally:
        searcher.stop.set()
        searcher.join(5)
    assert searcher.failures == []
    from index.api import SearchRequest
    assert searcher.index.search(SearchRequest(q="第2499号")).total >= 1
    store.close()
