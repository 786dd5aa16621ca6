"""Admin figures: source health with alarms, dashboard counts, disk use."""
from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

from policy_search import jobs
from policy_search.dashboard import (dashboard_figures, disk_usage, set_source_enabled,
                                     sources_health)
from policy_search.domain.models import Policy


def source(id, level="provincial", region_code="430000", region_name="湖南省", **kw):
    return SimpleNamespace(id=id, name=f"来源{id}", level=level, region_code=region_code,
                           region_name=region_name, enabled=kw.get("enabled", True))


def record_crawl(store, figures: list[dict]) -> int:
    """A finished crawl job with per-source figures, as the crawl job records them."""
    job_id = jobs.enqueue(store, "crawl", {}, "定时任务")
    jobs.claim_next(store, kinds=["crawl"])
    jobs._finish(store, job_id, jobs.SUCCEEDED, result={"sources": figures})
    return job_id


def test_every_source_with_its_figures_and_state(store):
    store.sources.save_state(
        "hn", last_run_at="2024-05-01T02:10:00+00:00", last_status="ok", runs=4, zero_runs=0,
        state={"last_figures": {"pages_fetched": 40, "list_pages": 3, "new": 5, "updated": 2,
                                "unchanged": 30, "not_modified": 3, "failed": 0},
               "error_rate": 0.0},
    )
    store.sources.save_state("gone", last_status="failed", last_error="连接超时")
    health = {h["id"]: h for h in sources_health(store, [source("hn"), source("never")])}
    assert list(health) == ["hn", "never", "gone"]  # configured first, then store-only
    hn = health["hn"]
    assert (hn["pages"], hn["new"], hn["updated"], hn["unchanged"], hn["failed"]) == (40, 5, 2, 33, 0)
    assert hn["level_label"] == "省" and hn["region_name"] == "湖南省"
    assert hn["enabled"] and not hn["blocked"] and hn["alarms"] == []
    assert health["never"]["last_run_at"] is None and health["never"]["runs"] == 0
    assert health["gone"]["configured"] is False
    assert health["gone"]["alarms"] == ["上次抓取失败：连接超时"]
    json.dumps(list(health.values()), ensure_ascii=False)


def test_alarms_for_zero_runs_blocked_and_a_failure_rate_jump(store):
    store.sources.save_state("quiet", zero_runs=3, last_status="ok")
    store.sources.save_state("blocked", blocked=True, last_status="blocked")
    store.sources.save_state("changed", last_status="partial", state={"error_rate": 0.8})
    store.sources.save_state("always-bad", last_status="partial", state={"error_rate": 0.6})
    for _ in range(3):
        record_crawl(store, [{"source_id": "changed", "pages_fetched": 50, "failed": 1},
                             {"source_id": "always-bad", "pages_fetched": 40, "failed": 60}])
    record_crawl(store, [{"source_id": "changed", "pages_fetched": 10, "failed": 40},
                         {"source_id": "always-bad", "pages_fetched": 40, "failed": 60}])
    health = {h["id"]: h for h in sources_health(store, [])}
    assert "连续 3 次抓取没有新条目" in health["quiet"]["alarms"][0]
    assert any("拦截" in a for a in health["blocked"]["alarms"]) and health["blocked"]["blocked"]
    assert health["changed"]["alarms"] == ["提取失败率从通常的 2% 升至 80%（页面结构可能已变）"]
    assert health["always-bad"]["alarms"] == []  # high, but as usual: no jump
    lenient = {h["id"]: h for h in sources_health(store, [], zero_runs_alarm=4)}
    assert lenient["quiet"]["alarms"] == []


def test_a_new_source_with_a_high_failure_rate_alarms(store):
    store.sources.save_state("fresh", last_status="partial", state={"error_rate": 0.5})
    assert sources_health(store, [])[0]["alarms"] == ["提取失败率 50%（偏高）"]


def test_disable_a_source(store):
    set_source_enabled(store, "hn", False)
    assert sources_health(store, [source("hn")])[0]["enabled"] is False
    set_source_enabled(store, "hn", True)
    assert sources_health(store, [source("hn", enabled=False)])[0]["enabled"] is False  # TOML says off
    assert sources_health(store, [source("hn")])[0]["enabled"] is True


def test_dashboard_counts_added_this_week_and_errors(store, tmp_path):
    moment = dt.datetime(2024, 5, 10, 12, 0, tzinfo=dt.timezone.utc)
    rows = [("a", "provincial", "湖南省", "2024-05-09T08:00:00+00:00"),
            ("b", "provincial", "湖南省", "2024-05-04T08:00:00+00:00"),
            ("c", "county", "长沙县", "2024-04-01T08:00:00+00:00")]
    for pid, level, region, seen in rows:
        store.policies.upsert(Policy(id=pid, title=f"政策{pid}", level=level, region_name=region,
                                     first_seen_at=seen, body_text="正文"))
    store.edits.set_review_state("a", "reviewed", "staff1")
    failed = record_crawl(store, [])
    with store.transaction() as conn:
        conn.execute("UPDATE jobs SET state = 'failed', error = '网络不通' WHERE id = ?", (failed,))
    store.sources.save_state("hn", last_status="failed", last_error="403 Forbidden",
                             last_run_at="2024-05-10T02:00:00+00:00")
    running = jobs.enqueue(store, "reindex", {}, "admin")

    figures = dashboard_figures(store, store.path.parent, moment=moment)
    assert figures["policies"] == 3
    assert figures["by_level"][0] == {"level": "provincial", "label": "省", "count": 2}
    assert {r["region"]: r["count"] for r in figures["by_region"]} == {"湖南省": 2, "长沙县": 1}
    assert {r["label"]: r["count"] for r in figures["by_review_state"]} == {"待审核": 2, "已审核": 1}
    assert figures["added_this_week"] == 2
    assert figures["disk"]["store"] > 0 and figures["disk"]["total"] >= figures["disk"]["store"]
    assert [j["id"] for j in figures["active_jobs"]] == [running]
    assert figures["failed_jobs"][0]["error"] == "网络不通"
    assert figures["failing_sources"][0]["error"] == "403 Forbidden"
    json.dumps(figures, ensure_ascii=False)


def test_disk_usage_splits_store_index_and_other(tmp_path):
    (tmp_path / "policies.sqlite3").write_bytes(b"x" * 1000)
    (tmp_path / "policies.sqlite3-wal").write_bytes(b"x" * 24)
    (tmp_path / "index" / "g1").mkdir(parents=True)
    (tmp_path / "index" / "g1" / "seg").write_bytes(b"x" * 500)
    (tmp_path / "worker.log").write_bytes(b"x" * 7)
    usage = disk_usage(tmp_path)
    assert (usage["store"], usage["index"], usage["other"], usage["total"]) == (1024, 500, 7, 1531)
    assert usage["total_human"] == "1.5 KB" and usage["free"] > 0
