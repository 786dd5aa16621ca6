"""热门搜索's query log: what is kept (normalized text and a count per day, nothing about the
searcher), what is never kept, how counts add up, reach the store and are forgotten."""
from __future__ import annotations

import datetime as dt

import pytest

from policy_search.domain.deadlines import china_today
from policy_search.domain.query_log import KEEP_DAYS, normalize_query


@pytest.mark.parametrize("typed, kept", [
    ("专精特新", "专精特新"),
    ("  专精特新  ", "专精特新"),
    ("ＡＩ　芯片", "ai 芯片"),          # full-width letters and space folded, lower case
    ("AI   芯片", "ai 芯片"),
    ("湘政发〔2021〕5号", "湘政发〔2021〕5号"),
    ("研发投入能不能少交税", "研发投入能不能少交税"),
])
def test_queries_are_counted_in_one_form(typed, kept):
    assert normalize_query(typed) == kept


@pytest.mark.parametrize("typed", [
    "13812345678 补贴",                  # a phone number
    "430121199001011234",                # an ID card number
    "91430100MA4L1234X5 高新",            # a 统一社会信用代码
    "zhang.san@example.com 申报",         # an e-mail address
    "我们公司在长沙县星沙街道去年营业收入八百万元从业人员四十人想申请哪些补贴",  # a long personal question
    "", "   ", "？？！",
])
def test_queries_that_may_say_who_asked_are_not_kept(typed):
    assert normalize_query(typed) is None


def test_the_table_holds_a_day_a_query_and_a_count_only(store):
    columns = [row[1] for row in store.conn.execute("PRAGMA table_info(query_counts)")]
    assert columns == ["day", "query", "count"]


def test_counts_add_up_per_day_and_only_frequent_queries_are_popular(store):
    store.queries.add_counts({("2024-05-01", "专精特新"): 2, ("2024-05-01", "补贴"): 1})
    store.queries.add_counts({("2024-05-02", "专精特新"): 1, ("2024-05-02", "补贴"): 1})
    store.queries.add_counts({("2024-05-02", "稳岗返还"): 5, ("2024-04-01", "补贴"): 9})
    assert store.queries.popular("2024-05-01", min_count=2, limit=10) == [
        ("稳岗返还", 5), ("专精特新", 3), ("补贴", 2)]
    assert store.queries.popular("2024-05-01", min_count=3, limit=10) == [
        ("稳岗返还", 5), ("专精特新", 3)]
    assert store.queries.popular("2024-05-01", min_count=2, limit=1) == [("稳岗返还", 5)]
    # counts before the window do not count
    assert ("补贴", 11) not in store.queries.popular("2024-05-01", min_count=2, limit=10)
    assert store.queries.forget_before("2024-05-01") == 1
    assert store.queries.popular("2000-01-01", min_count=1, limit=10)[-1] == ("补贴", 2)


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_the_tally_writes_in_batches_and_by_time(store):
    from web.querylog import QueryTally

    clock = FakeClock()
    tally = QueryTally(store, flush_seconds=60, flush_count=3, clock=clock)
    day = china_today()
    since = (day - dt.timedelta(days=1)).isoformat()
    assert tally.count("专精特新", day) and tally.count("专精特新 ", day)
    assert not tally.count("13812345678", day)
    assert store.queries.popular(since, 1, 10) == []              # not written yet
    tally.count("补贴", day)                                      # the third: written
    assert store.queries.popular(since, 1, 10) == [("专精特新", 2), ("补贴", 1)]
    tally.count("补贴", day)
    clock.now += 61                                               # a minute later: written
    tally.count("补贴", day)
    assert store.queries.popular(since, 1, 10) == [("补贴", 3), ("专精特新", 2)]


def test_popular_is_read_again_after_new_counts_only(store):
    from web.querylog import QueryTally

    clock = FakeClock()
    tally = QueryTally(store, flush_count=1000, clock=clock)
    today = china_today()
    store.queries.add_counts({(today.isoformat(), "专精特新"): 3})
    assert tally.popular(3, today) == ["专精特新"]
    store.queries.add_counts({(today.isoformat(), "补贴"): 4})   # another process wrote
    assert tally.popular(3, today) == ["专精特新"]               # cached for a while
    tally.count("稳岗返还", today)
    tally.flush()                                               # our own counts: read again
    assert tally.popular(3, today) == ["补贴", "专精特新"]
    clock.now += 301
    store.queries.add_counts({(today.isoformat(), "稳岗返还"): 9})
    assert tally.popular(3, today)[0] == "稳岗返还"               # and after five minutes
    assert tally.popular(0, today) == []                        # 0: no 热门搜索


def test_a_failed_write_keeps_the_counts_and_old_days_are_forgotten(store, monkeypatch):
    from web import querylog
    from web.querylog import QueryTally

    today = dt.date(2024, 5, 2)
    monkeypatch.setattr(querylog, "china_today", lambda: today)
    old_day = (today - dt.timedelta(days=KEEP_DAYS + 1)).isoformat()
    store.queries.add_counts({(old_day, "旧词"): 5})
    tally = QueryTally(store, flush_count=1000)
    tally.count("专精特新", today)

    def busy(repository, counts):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(type(store.queries), "add_counts", busy)
    with pytest.raises(RuntimeError):
        tally.flush()
    monkeypatch.undo()
    monkeypatch.setattr(querylog, "china_today", lambda: today)
    tally.flush()
    assert store.queries.popular("2000-01-01", 1, 10) == [("专精特新", 1)]   # 旧词 forgotten
