"""`policy-search worker` and `policy-search jobs …` through click's CliRunner."""
from __future__ import annotations

import json
import os
import threading

import pytest

from policy_search import jobs
from policy_search.domain.models import Policy
from policy_search.domain.store import Store
from tests.conftest import cli_on


@pytest.fixture
def cli(tmp_path, monkeypatch):
    return cli_on(tmp_path / "data", monkeypatch)


def fill_store(data_dir, n=5):
    with Store(data_dir / "policies.sqlite3") as store:
        for i in range(n):
            store.policies.upsert(Policy(id=f"p{i}", title=f"关于支持专精特新中小企业发展的若干措施{i}",
                                         body_text="对认定的专精特新企业给予奖励。" * 5,
                                         level="provincial", region_code="430000"))


def test_start_reindex_twice_then_the_worker_runs_one(cli):
    fill_store(cli.data_dir)
    first = cli("jobs", "start", "reindex", "--by", "alice")
    assert first.exit_code == 0 and "任务 #1 已加入队列：重建索引" in first.output
    assert "没有工作进程在运行" in first.output  # told that nothing will run it yet
    second = cli("jobs", "start", "reindex")
    assert second.exit_code == 2
    assert "未启动" in second.output and "同一时间只能运行一个重建索引任务" in second.output

    listed = cli("jobs", "list")
    assert "#1" in listed.output and "排队中" in listed.output and "alice" in listed.output

    worker = cli("worker", "--once")
    assert worker.exit_code == 0, worker.output
    assert "任务 #1 结束：成功" in worker.output and "本次运行了 1 个任务" in worker.output

    shown = cli("jobs", "show", "1")
    assert shown.exit_code == 0
    assert "状态: 成功" in shown.output and "新索引" in shown.output and "5 篇" in shown.output
    as_json = json.loads(cli("jobs", "show", "1", "--json").output)
    assert as_json["state"] == "succeeded" and as_json["result"]["documents"] == 5
    assert as_json["created_by"] == "alice"

    from index.build import STEP_DICTIONARY, STEP_PREPARE, STEP_WRITE
    from index.layout import current_generation, generations
    assert current_generation(cli.data_dir / "index").name == as_json["result"]["generation"]
    # the warm-up before the first document is a step of its own, not a silent 0 %
    log = "\n".join(as_json["log"])
    for step in (STEP_PREPARE, STEP_DICTIONARY, STEP_WRITE):
        assert f"步骤完成：{step}" in log, log
    assert cli("jobs", "start", "reindex").exit_code == 0  # free again
    # the second reindex removes the first generation: nobody searches it
    assert "任务 #2 结束：成功" in cli("worker", "--once").output
    second_job = json.loads(cli("jobs", "show", "2", "--json").output)
    assert second_job["result"]["removed"] == [as_json["result"]["generation"]]
    assert [g.name for g in generations(cli.data_dir / "index")] == [second_job["result"]["generation"]]


def test_worker_with_a_subprocess_per_job(cli):
    fill_store(cli.data_dir, 3)
    assert cli("jobs", "start", "reindex").exit_code == 0
    result = cli("worker", "--once", "--subprocess")
    assert result.exit_code == 0, result.output
    job = json.loads(cli("jobs", "show", "1", "--json").output)
    assert job["state"] == "succeeded" and job["result"]["documents"] == 3
    assert job["pid"] != os.getpid()  # ran in the child, which recorded itself


def test_cancel_and_list(cli):
    cli("jobs", "start", "crawl", "--source", "hunan-wjk", "--by", "bob")
    cli("jobs", "start", "crawl", "--source", "csx")
    refused = cli("jobs", "start", "crawl")
    assert refused.exit_code == 2 and "全部来源" in refused.output
    cancelled = cli("jobs", "cancel", "1")
    assert cancelled.exit_code == 0 and "任务 #1 已取消" in cancelled.output
    again = cli("jobs", "cancel", "1")
    assert again.exit_code == 2 and "已经结束" in again.output
    listed = json.loads(cli("jobs", "list", "--json").output)
    assert [(j["id"], j["state"]) for j in listed] == [(2, "queued"), (1, "cancelled")]
    assert listed[1]["args"] == {"source": "hunan-wjk"} and listed[1]["created_by"] == "bob"
    assert "已取消" in cli("jobs", "list", "--state", "cancelled").output
    missing = cli("jobs", "show", "99")
    assert missing.exit_code == 2 and "没有编号为 99 的任务" in missing.output


def test_show_follows_a_running_job_with_a_progress_bar(cli, fake_kinds):
    store = Store(cli.data_dir / "policies.sqlite3")
    job_id = jobs.enqueue(store, "test-held", {}, "admin")
    worker = jobs.Worker(store, poll_interval=0.05)
    thread = threading.Thread(target=worker.run, kwargs={"once": True})
    thread.start()
    assert fake_kinds.reached.wait(5)
    threading.Timer(1.2, fake_kinds.release.set).start()
    followed = cli("jobs", "show", str(job_id))
    thread.join(5)
    assert followed.exit_code == 0, followed.output
    assert "10.0% 1/10 等待放行" in followed.output
    assert "100.0% 10/10" in followed.output and "█" * 30 in followed.output
    assert "状态: 成功" in followed.output
    assert followed.output.index("10.0%") < followed.output.index("100.0%")
    store.close()


def test_a_failed_job_shows_its_error_and_exits_1(cli, fake_kinds):
    store = Store(cli.data_dir / "policies.sqlite3")
    job_id = jobs.enqueue(store, "test-broken", {}, "admin")
    jobs.Worker(store).run(once=True)
    shown = cli("jobs", "show", str(job_id))
    assert shown.exit_code == 1 and "错误: RuntimeError: 模拟的故障" in shown.output
    store.close()


def test_a_bad_schedule_stops_the_worker_with_a_message(cli):
    cli.data_dir.mkdir(parents=True)
    (cli.data_dir / "config.toml").write_text('crawl_schedule = "25:99"\n', "utf-8")
    result = cli("worker", "--once")
    assert result.exit_code == 2 and "crawl_schedule" in result.output and "HH:MM" in result.output


@pytest.mark.slow
def test_a_crawl_job_against_the_loopback_site_reports_each_source(cli, shared):
    from tests.crawler.site import FixtureSite, build_site, sources_toml

    shared("pages")
    site = FixtureSite().start()
    try:
        build_site(site)
        cli.data_dir.mkdir(parents=True)
        (cli.data_dir / "sources.toml").write_text(sources_toml(site), "utf-8")
        (cli.data_dir / "config.toml").write_text(
            f'sources_file = "{cli.data_dir / "sources.toml"}"\n'
            "crawl_delay = 0.0\ncrawl_jitter = 0.0\ncrawl_timeout = 2.0\n"
            "crawl_connect_timeout = 1.0\ncrawl_retries = 1\n", "utf-8")
        started = cli("jobs", "start", "crawl", "--by", "admin")
        assert started.exit_code == 0
        worker = cli("worker", "--once")
        assert "任务 #1 结束：成功" in worker.output, worker.output
    finally:
        site.stop()
    job = json.loads(cli("jobs", "show", "1", "--json").output)
    figures = {s["source_id"]: s for s in job["result"]["sources"]}
    assert set(figures) == {"govcn-api", "govcn-lists", "jiangxi", "hunan-wjk", "changsha-zfwjk", "csx"}
    assert job["result"]["new"] == 75 and all(s["status"] == "ok" for s in figures.values())
    assert (job["done"], job["total"]) == (6, 6)
    log = "\n".join(jobs.job_dict(Store(cli.data_dir / "policies.sqlite3"), 1)["log"])
    assert "抓取 " in log and "新增" in log and "尚无索引" in log
    shown = cli("jobs", "show", "1")
    assert shown.exit_code == 0 and "状态: 成功" in shown.output


UNREACHABLE_CSX = """
[[source]]
id = "csx"
name = "长沙县人民政府 政府信息公开"
level = "county"
region_code = "430121"
allowed_hosts = ["127.0.0.1"]
[[source.entries]]
kind = "trs"
url = "http://127.0.0.1:9/csx/zwgk/index.html"
"""


def _unreachable_config(cli, text=UNREACHABLE_CSX):
    cli.data_dir.mkdir(parents=True, exist_ok=True)
    (cli.data_dir / "sources.toml").write_text(text, "utf-8")
    (cli.data_dir / "config.toml").write_text(
        f'sources_file = "{cli.data_dir / "sources.toml"}"\n'
        "crawl_delay = 0.0\ncrawl_jitter = 0.0\ncrawl_timeout = 2.0\n"
        "crawl_connect_timeout = 1.0\ncrawl_retries = 0\n", "utf-8")


def test_a_crawl_whose_host_cannot_be_reached_ends_failed_with_the_reason(cli):
    _unreachable_config(cli)
    assert cli("jobs", "start", "crawl", "--source", "csx", "--by", "admin").exit_code == 0
    worker = cli("worker", "--once")
    assert "任务 #1 结束：失败" in worker.output, worker.output
    job = json.loads(cli("jobs", "show", "1", "--json").output)
    assert job["state"] == "failed" and job["outcome"] == "failed" and job["state_label"] == "失败"
    assert "长沙县人民政府 政府信息公开" in job["error"] and "无法访问" in job["error"]
    assert job["result"]["sources_ok"] == 0 and job["result"]["sources_failed"] == 1
    assert job["result"]["sources"][0]["source_id"] == "csx"
    shown = cli("jobs", "show", "1")
    assert shown.exit_code == 1
    assert "状态: 失败（来源：成功 0 个，失败 1 个；文件：新增 0 篇，更新 0 篇；" in shown.output
    assert "错误: " in shown.output and "无法访问" in shown.output
    assert "已完成" not in shown.output
    listed = cli("jobs", "list")
    assert " 失败 " in listed.output and "结果: 来源：成功 0 个，失败 1 个" in listed.output
    assert cli("jobs", "list", "--state", "failed").output.count("#1 ") == 1


def test_job_outcome_and_the_state_filter_tell_partial_from_success(tmp_path):
    with Store(tmp_path / "policies.sqlite3") as store:
        ok, partial = (store.jobs.create("import", {}, "a") for _ in range(2))
        for job_id, outcome in ((ok, "succeeded"), (partial, "partial")):
            store.conn.execute("UPDATE jobs SET state = 'succeeded' WHERE id = ?", (job_id,))
            store.conn.execute("INSERT INTO job_control (job_id, active, result) VALUES (?, 0, ?)",
                               (job_id, json.dumps({"outcome": outcome, "summary": "新增 3，拒绝 1"})))
        shown = jobs.job_dict(store, partial)
        assert (shown["state"], shown["outcome"], shown["state_label"]) == ("succeeded", "partial", "部分失败")
        assert shown["summary"] == "新增 3，拒绝 1"
        assert jobs.job_dict(store, ok)["state_label"] == "成功"
        assert [j["id"] for j in jobs.list_jobs(store, state="partial")] == [partial]
        assert [j["id"] for j in jobs.list_jobs(store, state="succeeded")] == [ok]
