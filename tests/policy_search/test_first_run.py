"""The first run: what `run` queues, what the home page is told, the starter snapshot
and how crawled records replace its copies."""
from __future__ import annotations

import importlib.util
import json
import lzma
from pathlib import Path

import pytest

from policy_search import jobs
from policy_search.first_run import (FIRST_CRAWL_MAX_PAGES, queue_first_run, startup_status)
from policy_search.domain.models import Policy, Tag
from policy_search.settings import Settings
from policy_search.snapshot import load_snapshot, snapshot_file, snapshot_summary
from policy_search.domain.store import Store, now

ROOT = Path(__file__).resolve().parents[2]


def settings_for(tmp_path, **values) -> Settings:
    return Settings(data_dir=tmp_path, **values)


def active(store) -> list[tuple[str, dict, str]]:
    return [(j["kind"], j["args"], j["created_by"]) for j in reversed(jobs.active_jobs(store))]


def write_snapshot(path: Path, records: list[dict]) -> Path:
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    path.write_bytes(lzma.compress(text.encode("utf-8")))
    return path


# --- what `run` queues --------------------------------------------------------------------

def test_an_empty_store_gets_the_snapshot_then_the_first_crawl_once(tmp_path, store):
    settings = settings_for(tmp_path)
    lines = queue_first_run(store, settings)
    assert active(store) == [
        ("snapshot", {"path": "builtin"}, "首次运行"),
        ("crawl", {"since": "2019-01-01", "max_pages": FIRST_CRAWL_MAX_PAGES, "first_run": True},
         "首次运行"),
    ]
    assert "离线快照" in lines[0] and "2019-01-01" in lines[1]
    # A second start while they wait (or run) queues nothing more.
    assert queue_first_run(store, settings) == []
    assert len(active(store)) == 2


def test_snapshot_off_and_crawl_since_are_settings(tmp_path, store):
    settings = settings_for(tmp_path, starter_snapshot="off", crawl_since="2021年3月1日")
    queue_first_run(store, settings)
    assert active(store) == [("crawl", {"since": "2021-03-01", "max_pages": FIRST_CRAWL_MAX_PAGES,
                                        "first_run": True}, "首次运行")]


@pytest.mark.parametrize("values, message", [
    ({"crawl_since": "去年"}, "crawl_since"),
    ({"starter_snapshot": "/nowhere/snapshot.jsonl"}, "starter_snapshot"),
])
def test_bad_first_run_settings_are_named(tmp_path, store, values, message):
    with pytest.raises(ValueError, match=message):
        queue_first_run(store, settings_for(tmp_path, **values))
    assert active(store) == []


def test_a_store_with_only_snapshot_copies_gets_another_first_crawl(tmp_path, store):
    """After a first crawl that reached nothing, the next start tries again; the
    snapshot is not loaded twice."""
    settings = settings_for(tmp_path)
    store.policies.upsert(Policy(id="s1", title="快照里的政策", source_id="snapshot"))
    queue_first_run(store, settings)
    assert [kind for kind, _args, _by in active(store)] == ["crawl"]


def test_a_store_with_crawled_or_imported_policies_queues_nothing(tmp_path, store):
    store.policies.upsert(Policy(id="i1", title="导入的政策", source_id="import"))
    assert queue_first_run(store, settings_for(tmp_path)) == []
    assert active(store) == []


def test_first_run_jobs_killed_hard_are_queued_again(tmp_path, store):
    from policy_search.first_run import requeue_interrupted

    queue_first_run(store, settings_for(tmp_path))
    other = jobs.enqueue(store, "reindex", {}, "管理员")
    for job in (jobs.claim_next(store), jobs.claim_next(store), jobs.claim_next(store)):
        # Their process is gone: a pid that cannot be running.
        store.conn.execute("UPDATE jobs SET pid = ? WHERE id = ?", (2 ** 22 + 7, job.id))
        store.conn.commit()
    failed = jobs.mark_stale(store)
    assert len(failed) == 3
    lines = requeue_interrupted(store, failed)
    assert [kind for kind, _args, _by in active(store)] == ["snapshot", "crawl"]
    assert active(store)[1][1]["first_run"] is True
    assert len(lines) == 2 and "上次被强制中断" in lines[0]
    assert jobs.job_dict(store, other)["state"] == "failed"  # not ours to restart


# --- the home page's account of it ----------------------------------------------------------

SOURCES = [("a", "甲省人民政府"), ("b", "乙市人民政府"), ("c", "丙县人民政府")]


def first_crawl(store) -> int:
    return jobs.enqueue(store, "crawl", {"since": "2019-01-01", "first_run": True}, "首次运行")


def test_nothing_to_say_without_a_first_run(store):
    status = startup_status(store, lambda: SOURCES)
    assert not status.shown and status.phase is None


def test_the_first_crawl_in_progress_source_by_source(store):
    job_id = first_crawl(store)
    queued = startup_status(store, lambda: SOURCES)
    assert queued.phase == "crawling" and queued.job["state"] == "queued"
    assert [s.state for s in queued.sources] == ["waiting"] * 3

    jobs.claim_next(store, ["crawl"])
    store.sources.save_state("a", last_status="ok", last_run_at=now(),
                             state={"last_figures": {"new": 3}})
    store.sources.save_state("b", last_status="running")
    store.sources.save_state("c", last_status="failed", last_run_at="2020-01-01T00:00:00+00:00")
    for number, source in enumerate(["a", "a", "a", "b", "snapshot"]):
        store.policies.upsert(Policy(id=f"p{number}", title=f"政策{number}", source_id=source))
    status = startup_status(store, lambda: SOURCES)
    assert status.phase == "crawling" and status.job["id"] == job_id
    lines = {s.id: (s.state, s.label, s.detail) for s in status.sources}
    assert lines["a"] == ("done", "完成", "新增 3 条")
    assert lines["b"] == ("running", "正在抓取", "已收录 1 条")
    assert lines["c"][0] == "waiting"  # its failure is from an earlier run
    assert (status.count("done"), status.count("running"), status.count("waiting")) == (1, 1, 1)
    assert status.policies == 4  # the snapshot copy does not count
    assert [p.id for p in status.newest] == ["p3", "p2", "p1", "p0"]


def finish_first_crawl(store, sources: list[dict]) -> int:
    job_id = first_crawl(store)
    jobs.claim_next(store, ["crawl"])
    jobs._finish(store, job_id, jobs.SUCCEEDED, result={"sources": sources})
    return job_id


def test_every_source_failed_gives_each_reason(store):
    finish_first_crawl(store, [
        {"source_id": "a", "name": "甲省人民政府", "status": "failed", "error": "连接被拒绝"},
        {"source_id": "b", "name": "乙市人民政府", "status": "blocked", "error": "验证码页面"},
        {"source_id": "c", "name": "丙县人民政府", "status": "empty", "error": None},
    ])
    status = startup_status(store, lambda: pytest.fail("not asked once the crawl is over"))
    assert status.phase == "failed"
    assert [(s.name, s.label, s.detail) for s in status.sources] == [
        ("甲省人民政府", "失败", "连接被拒绝"), ("乙市人民政府", "被网站拦截", "验证码页面"),
        ("丙县人民政府", "没有发现任何条目", "")]
    # Once a file is imported there is something to serve: the notice goes.
    store.policies.upsert(Policy(id="i1", title="导入的政策", source_id="import"))
    assert startup_status(store, lambda: SOURCES).phase is None


def test_one_source_that_worked_is_no_failure(store):
    finish_first_crawl(store, [
        {"source_id": "a", "name": "甲", "status": "failed", "error": "连接被拒绝"},
        {"source_id": "b", "name": "乙", "status": "partial", "error": "一页失败"},
    ])
    assert startup_status(store, lambda: SOURCES).phase is None


def test_a_crawl_job_that_broke_is_its_own_reason(store):
    job_id = first_crawl(store)
    jobs.claim_next(store, ["crawl"])
    jobs._finish(store, job_id, jobs.FAILED, error="来源配置文件有误：…")
    status = startup_status(store, lambda: SOURCES)
    assert status.phase == "failed" and status.sources[0].detail == "来源配置文件有误：…"


# --- the starter snapshot ----------------------------------------------------------------------

def test_the_shipped_snapshot_loads_as_national_and_provincial_snapshot_copies(tmp_path, store):
    snapshot = snapshot_file(settings_for(tmp_path))
    assert snapshot.builtin and snapshot.documents > 100
    result = load_snapshot(store, snapshot)
    assert result["added"] == snapshot.documents and result["rejected"] == 0
    policies = list(store.policies.iter_all())
    assert {p.source_id for p in policies} == {"snapshot"}
    # from national and provincial sites; a city's own regulation a province publishes is the
    # city's (issue 19: 青岛市优化营商环境条例 is not 省 · 山东省)
    assert {p.level for p in policies} <= {"national", "provincial", "city"}
    cities = [p for p in policies if p.level == "city"]
    assert all(p.title.startswith(p.region_name) for p in cities)
    assert sum(p.level == "provincial" for p in policies) > len(cities)
    assert all(p.title and len(p.body_text) > 100 for p in policies)
    assert not any(line.lstrip().startswith("#") for p in policies for line in p.body_text.splitlines())
    # Loading it again changes nothing.
    again = load_snapshot(store, snapshot)
    assert again["added"] == again["updated"] == 0 and again["unchanged"] == snapshot.documents


def test_a_snapshot_never_overwrites_a_real_record(tmp_path, store):
    url = "http://www.gov.cn/zhengce/content/2024-01/01/content_1.htm"
    path = write_snapshot(tmp_path / "mine.jsonl.xz", [
        {"title": "关于支持小微企业发展的通知", "url": url, "body": "快照中的旧文本。"},
        {"title": "另一项惠企政策", "body": "快照中的文本。"},
    ])
    snapshot = snapshot_file(settings_for(tmp_path, starter_snapshot=str(path)))
    assert not snapshot.builtin and snapshot.description == "mine.jsonl.xz"
    from policy_search.domain.models import policy_id_for

    store.policies.upsert(Policy(id=policy_id_for(url, ""), url=url, title="关于支持小微企业发展的通知",
                                 source_id="govcn-lists", body_text="网站上的新文本。"))
    result = load_snapshot(store, snapshot)
    assert (result["added"], result["unchanged"]) == (1, 1)
    assert store.policies.get(policy_id_for(url, "")).body_text == "网站上的新文本。"
    assert snapshot_summary(store)["documents"] == 1


def test_a_record_from_a_source_replaces_the_snapshot_copy_even_with_the_same_text(store):
    copy = Policy(id="x1", url="http://www.gov.cn/a.htm", title="同一文件", body_text="正文",
                  source_id="snapshot")
    store.policies.upsert(copy)
    crawled = Policy(id="x1", url="https://www.gov.cn/a.htm", title="同一文件", body_text="正文",
                     source_id="govcn-lists")
    assert store.policies.upsert(crawled) == "updated"
    assert store.policies.source_of("x1") == "govcn-lists"
    assert [source for _url, source in store.policies.links("x1")] == ["govcn-lists"]


def test_the_snapshot_job_loads_tags_and_cards_it(tmp_path):
    from policy_search.app.job_kinds import register_real_kinds

    path = write_snapshot(tmp_path / "mine.jsonl.xz", [
        {"title": "关于进一步支持小微企业融资担保的通知", "level": "provincial", "region": "湖南省",
         "publish_date": "2024-03-01",
         "body": "一、支持对象\n省内注册的小微企业。\n二、支持标准\n对小微企业融资担保费用给予补贴。"},
    ])
    settings = settings_for(tmp_path / "data", starter_snapshot=str(path))
    store = Store(settings.db_path)
    register_real_kinds()
    queue_first_run(store, settings)
    job = jobs.claim_next(store, ["snapshot"])
    assert jobs.run_job(store, job, settings=settings) == jobs.SUCCEEDED
    done = jobs.job_dict(store, job.id)
    assert done["result"]["added"] == 1 and done["result"]["date"] == snapshot_file(settings).date
    policy = next(store.policies.iter_all())
    assert policy.source_id == "snapshot" and "小微企业" in policy.active_tags()["enterprise"]
    assert snapshot_summary(store) == {"documents": 1, "date": done["result"]["date"],
                                       "description": "mine.jsonl.xz"}
    store.close()


# --- the selection rule of the snapshot builder --------------------------------------------------

@pytest.fixture(scope="module")
def builder():
    spec = importlib.util.spec_from_file_location("build_snapshot", ROOT / "scripts" / "build_snapshot.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tagged(title: str, *facets: str, level="national", validity="有效") -> Policy:
    return Policy(id=title, title=title, level=level, validity=validity,
                  tags=[Tag(facet=f, value="x") for f in facets])


@pytest.mark.parametrize("policy, chosen", [
    (tagged("关于支持小微企业融资的通知", "support"), True),  # enterprise title
    (tagged("某省科技创新条例", "support", "enterprise", level="provincial"), True),
    (tagged("某省科技创新条例", "support", level="provincial"), False),  # nothing says enterprises
    (tagged("关于支持小微企业融资的通知", "enterprise"), False),  # no support
    (tagged("关于支持小微企业融资的通知", "support", level="city"), False),
    (tagged("关于支持小微企业融资的通知", "support", validity="废止"), False),
    (tagged("2024年政府工作报告", "support", "enterprise"), False),
    (tagged("关于公开征求《企业登记办法（征求意见稿）》意见的通知", "support"), False),
])
def test_the_snapshot_keeps_enterprise_policies_in_force(builder, policy, chosen):
    from policy_search.domain.taxonomy import load_taxonomy

    assert builder.is_starter_policy(policy, load_taxonomy()) is chosen
