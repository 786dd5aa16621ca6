"""申报状态 in the index: the deadline facet and filter, sort by deadline, and the daily
`card refresh` → change log → sync path that moves a status when the day changes."""
from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from index import build as index_build
from index import layout
from index.api import SearchRequest
from index.build import rebuild, sync
from index.schema import index_day
from index.search import SearchIndex
from policy_search.domain.derive import derive_all, derive_kinds
from policy_search.domain.models import Policy
from policy_search.settings import Settings
from policy_search.domain.store import Store


def cn(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def crafted(today: dt.date) -> list[Policy]:
    days = dt.timedelta
    rows = [
        # id, title, window (or a body without one), validity
        ("open-later", "高端装备首台套奖励申报通知", (today - days(5), today + days(40)), "有效"),
        ("closing", "中小企业数字化改造补助申报通知", (today - days(5), today + days(13)), "有效"),
        ("not-started", "企业上市挂牌奖励申报通知", (today + days(20), today + days(50)), "有效"),
        ("closed", "商务发展资金申报通知", (today - days(60), today - days(30)), "有效"),
        ("no-window", "促进制造业高质量发展若干政策", None, "有效"),
        ("expired", "企业研发费用补助申报通知", (today - days(5), today + days(30)), "失效"),
    ]
    out = []
    for pid, title, window, validity in rows:
        body = "一、支持对象\n在本市注册的企业。\n二、支持标准\n给予企业奖励20万元。\n"
        if window:
            body += f"三、申报时间\n{cn(window[0])}至{cn(window[1])}。\n"
        out.append(Policy(id=pid, title=title, url=f"http://www.example.gov.cn/{pid}.html",
                          region_code="430100", region_name="长沙市", level="city",
                          issuer="长沙市工业和信息化局", body_text=body, validity=validity,
                          publish_date=(today - days(7 + len(out))).isoformat()))
    return out


@pytest.fixture
def deadline_data(tmp_path):
    settings = Settings(data_dir=tmp_path, secret_key="test")
    store = Store(settings.db_path)
    for policy in crafted(index_day()):
        store.policies.upsert(policy)
    derive_all(store)
    yield settings, store
    store.close()


def statuses(index: SearchIndex, **kw) -> dict[str, str]:
    result = index.search(SearchRequest(size=50, **kw))
    return {h.id: h.deadline_status for h in result.hits}


@pytest.mark.slow
def test_deadline_facet_filter_and_hit_fields(deadline_data):
    settings, store = deadline_data
    rebuild(store, settings.index_path, procs=1)
    index = SearchIndex(settings.index_path)
    result = index.search(SearchRequest(size=50))
    facet = {c.value: c.count for c in result.facets["deadline"]}
    assert facet == {"申报中": 1, "即将截止": 1, "未开始": 1, "已截止": 2, "未知": 1}
    # listed in the statuses' own order, not by count
    assert [c.value for c in result.facets["deadline"]] == ["申报中", "即将截止", "未开始", "已截止", "未知"]
    assert statuses(index) == {"open-later": "申报中", "closing": "即将截止",
                               "not-started": "未开始", "closed": "已截止",
                               "no-window": "未知", "expired": "已截止"}
    found = index.search(SearchRequest(filters={"deadline": ["申报中", "即将截止"]}))
    assert {h.id for h in found.hits} == {"open-later", "closing"}
    closing = [h for h in result.hits if h.id == "closing"][0]
    assert closing.deadline_end == (index_day() + dt.timedelta(days=13)).isoformat()
    # a words query: the facet keeps counting the statuses the filter leaves out
    worded = index.search(SearchRequest(q="申报通知", filters={"deadline": ["申报中"]}))
    assert [h.id for h in worded.hits] == ["open-later"]
    assert {c.value for c in worded.facets["deadline"]} >= {"申报中", "即将截止", "已截止"}


def test_sort_by_deadline_soonest_upcoming_first_then_the_rest(deadline_data):
    settings, store = deadline_data
    rebuild(store, settings.index_path, procs=1)
    index = SearchIndex(settings.index_path)
    result = index.search(SearchRequest(sort="deadline", size=50))
    ids = [h.id for h in result.hits]
    assert ids[:3] == ["closing", "open-later", "not-started"]
    assert set(ids[3:]) == {"closed", "no-window", "expired"}
    rest_dates = [h.publish_date for h in result.hits[3:]]
    assert rest_dates == sorted(rest_dates, reverse=True)
    assert result.message is None
    worded = index.search(SearchRequest(q="申报通知", sort="deadline", size=50))
    assert [h.id for h in worded.hits][:2] == ["closing", "open-later"]
    # pages continue the same order
    second = index.search(SearchRequest(sort="deadline", size=2, page=2))
    assert [h.id for h in second.hits] == ids[2:4]


def test_daily_card_refresh_moves_a_status_through_sync(deadline_data, monkeypatch):
    """Indexed three days ago, `closing` was 申报中 (16 days left); the daily refresh logs
    it and sync re-indexes it as 即将截止."""
    from policy_search.cli import main

    settings, store = deadline_data
    today = index_day()
    monkeypatch.setattr(index_build, "index_day", lambda: today - dt.timedelta(days=3))
    rebuild(store, settings.index_path, procs=1)
    index = SearchIndex(settings.index_path, refresh_interval=0)
    assert statuses(index)["closing"] == "申报中"
    monkeypatch.undo()

    assert sync(store, settings.index_path).applied == 0  # nothing logged yet
    since = (today - dt.timedelta(days=4)).isoformat()
    run = CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), "card", "refresh",
                                    "--since", since])
    assert run.exit_code == 0, run.output
    report = sync(store, settings.index_path)
    assert report.applied >= 1
    assert statuses(index)["closing"] == "即将截止"
    closing = index.search(SearchRequest(filters={"deadline": ["即将截止"]}))
    assert [h.id for h in closing.hits] == ["closing"]


def test_an_index_of_the_previous_schema_is_unusable_until_rebuilt(deadline_data):
    settings, store = deadline_data
    rebuild(store, settings.index_path, procs=1)
    pointer = layout.read_pointer(settings.index_path)
    old = dict(pointer, schema="s2a1")
    layout.write_json_atomic(settings.index_path / layout.POINTER, old)
    assert layout.current_generation(settings.index_path) is None
    status = index_build.index_status(settings.index_path, store)
    assert not status.usable and "重建" in status.message
    assert SearchIndex(settings.index_path).search(SearchRequest()).mode == "unavailable"


def test_cli_rebuild_reuses_unchanged_buckets_unless_full(deadline_data):
    from policy_search.cli import main

    settings, store = deadline_data
    base = ["--data-dir", str(settings.data_dir), "index", "rebuild", "--quiet"]
    runner = CliRunner()
    first = runner.invoke(main, base)
    assert first.exit_code == 0, first.output
    again = runner.invoke(main, base)
    assert f"沿用未变分桶 {store.policies.count()}" in again.output
    full = runner.invoke(main, [*base, "--full"])
    assert full.exit_code == 0 and "沿用未变分桶 0" in full.output


def test_a_call_without_a_window_closes_a_year_on_through_the_daily_refresh(tmp_path, monkeypatch):
    """A call in which no window was found is 未知 for a year, then 已截止 (the home page's
    "未截止的 N 条" stops counting it): the daily refresh logs it the day it turns."""
    from policy_search.cli import main

    settings = Settings(data_dir=tmp_path, secret_key="test")
    today = index_day()
    with Store(settings.db_path) as store:
        store.policies.upsert(Policy(
            id="old-call", title="关于组织申报企业技术中心认定的通知", region_code="430100",
            body_text="请各县市区工业和信息化部门组织符合条件的企业申报，认定后给予奖励20万元。",
            publish_date=(today - dt.timedelta(days=366)).isoformat()))
        derive_kinds(store)
        derive_all(store)
        assert store.policies.get("old-call").doc_kind == "申报通知"
        monkeypatch.setattr(index_build, "index_day", lambda: today - dt.timedelta(days=3))
        rebuild(store, settings.index_path, procs=1)
        index = SearchIndex(settings.index_path, refresh_interval=0)
        assert statuses(index)["old-call"] == "未知"
        monkeypatch.undo()
        since = (today - dt.timedelta(days=4)).isoformat()
        run = CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), "card", "refresh",
                                        "--since", since])
        assert run.exit_code == 0, run.output
        assert sync(store, settings.index_path).applied >= 1
        assert statuses(index)["old-call"] == "已截止"
