"""Application windows: real phrasings from notices normalized to dates, and statuses."""
import datetime as dt

import pytest

from policy_search.domain.deadlines import (CLOSED, CLOSING, LONG_TERM, NOT_STARTED, OPEN, UNKNOWN,
                                     Deadline, cn_number, parse_window, policy_status)
from policy_search.domain.models import Policy

ANCHOR = "2020-09-22"
# (phrase as published, anchor, kind, start, end, recur_start, recur_end)
TABLE = [
    ("2023年10月1日至10月31日", ANCHOR, "window", "2023-10-01", "2023-10-31", None, None),
    ("自发布之日起30日内", "2021-03-05", "window", "2021-03-05", "2021-04-04", None, None),
    ("每年3月31日前", ANCHOR, "recurring", None, None, None, "03-31"),
    ("推荐截止日期为2019年2月28日。", ANCHOR, "window", None, "2019-02-28", None, None),
    ("（二）单位推荐各单位应于11月9日前，完成以下纸质材料的报送工作。", ANCHOR,
     "window", None, "2020-11-09", None, None),
    ("二、申报材料要求2020年10月9日前，请申报单位按要求填写《2021年度国家生态环境监测标准项目申报表》",
     ANCHOR, "window", None, "2020-10-09", None, None),
    ("征求意见截止时间为2023年3月10日", "2023-02-08", "window", None, "2023-03-10", None, None),
    ("（二）请于2月7日前，将是否同意该标准立项的意见反馈至我局", "2020-01-20",
     "window", None, "2020-02-07", None, None),
    ("请各省级生态环境部门统一组织本行政区相关人员报名，于12月23日前将培训班报名回执发送至邮箱",
     "2019-12-02", "window", None, "2019-12-23", None, None),
    ("并于2018年12月底前报送国务院办公厅备案", ANCHOR, "window", None, "2018-12-31", None, None),
    ("从2019年起，各有关部门于每年2月底前，根据上一年度工作成效提出建议", ANCHOR,
     "recurring", None, None, None, "02-28"),
    ("地方各级行政执法机关应当于每年1月31日前公开本机关上年度行政执法总体情况有关数据", ANCHOR,
     "recurring", None, None, None, "01-31"),
    ("规章应当自公布之日起30日内，由法制机构报送备案", "2021-12-20",
     "window", "2021-12-20", "2022-01-19", None, None),
    # 国庆·中秋 2020: Oct 1-8 off, Sunday Sep 27 and Saturday Oct 10 worked
    ("自本通知印发之日起15个工作日内提交申请", "2020-09-22",
     "window", "2020-09-22", "2020-10-19", None, None),
    ("申报时间为2021年3月1日—3月31日", ANCHOR, "window", "2021-03-01", "2021-03-31", None, None),
    ("申报时间：10月1日至31日", ANCHOR, "window", "2020-10-01", "2020-10-31", None, None),
    ("自即日起至2023年12月31日止", "2023-06-01", "window", "2023-06-01", "2023-12-31", None, None),
    ("截止到2021年5月31日", ANCHOR, "window", None, "2021-05-31", None, None),
    ("申报截止时间：2020年12月31日24时前", ANCHOR, "window", None, "2020-12-31", None, None),
    ("受理时间：2022-07-01至2022-07-15", ANCHOR, "window", "2022-07-01", "2022-07-15", None, None),
    ("本项目常年受理，企业可随时申报", ANCHOR, "long_term", None, None, None, None),
    ("每年1月至3月集中受理", ANCHOR, "recurring", None, None, "01-01", "03-31"),
    ("每年6月底前报送", ANCHOR, "recurring", None, None, None, "06-30"),
    ("请于1月15日前报送", "2020-12-10", "window", None, "2021-01-15", None, None),
    ("申报截止日期：二〇二一年三月三十一日前", ANCHOR, "window", None, "2021-03-31", None, None),
    ("应于2024年3月底前完成申报", ANCHOR, "window", None, "2024-03-31", None, None),
    ("自公告发布之日起3个月内提出申请", "2021-11-30", "window", "2021-11-30", "2022-02-28",
     None, None),
]


@pytest.mark.parametrize("phrase,anchor,kind,start,end,recur_start,recur_end", TABLE)
def test_window_normalization(phrase, anchor, kind, start, end, recur_start, recur_end):
    window = parse_window(phrase, anchor)
    assert window is not None, phrase
    assert (window.kind, window.start, window.end, window.recur_start, window.recur_end) == (
        kind, start, end, recur_start, recur_end)


def test_table_is_large_enough():
    assert len(TABLE) >= 20


@pytest.mark.parametrize("phrase", [
    "本办法自2020年1月1日起施行。",          # an effective date, not a window
    "2019年共新增就业1352万人",
    "各地要加强组织领导，确保政策落实。",
    "第九条 申请人应当提交下列材料",
])
def test_sentences_without_a_window(phrase):
    assert parse_window(phrase, ANCHOR) is None


def test_relative_window_without_publish_date_is_unknown():
    window = parse_window("自发布之日起30日内", None)
    assert window.kind == "unknown" and window.relative


@pytest.mark.parametrize("today,expected,days", [
    ("2023-09-20", NOT_STARTED, 41),
    ("2023-10-01", OPEN, 30),
    ("2023-10-17", CLOSING, 14),
    ("2023-10-31", CLOSING, 0),
    ("2023-11-01", CLOSED, None),
])
def test_window_status_and_countdown(today, expected, days):
    window = parse_window("2023年10月1日至10月31日", ANCHOR)
    day = dt.date.fromisoformat(today)
    assert window.status(day) == expected
    if days is not None:
        assert window.days_left(day) == days


def test_recurring_window_rolls_over_to_next_year():
    window = parse_window("每年3月31日前", ANCHOR)
    assert window.status(dt.date(2024, 3, 20)) == CLOSING
    assert window.next_end(dt.date(2024, 4, 1)) == dt.date(2025, 3, 31)
    assert window.status(dt.date(2024, 4, 1)) == OPEN
    # a policy no longer in force opens nothing
    assert window.status(dt.date(2024, 4, 1), in_force=False) == CLOSED


# From 河南省人民政府关于做好当前和今后一个时期促进就业工作的实施意见 (2018-12-31, validity
# not stated): its yearly window must not read 申报中 eight years on.
YEARLY = ("由负责学籍注册的各普通高校受理申请，并于每年4月底前向所在省辖市人力资源社会保障部门"
          "集中申报")


@pytest.mark.parametrize("published, validity, expected", [
    ("2018-12-31", "未知", UNKNOWN),   # older than five years, nobody said it still stands
    ("2018-12-31", "有效", OPEN),      # stated in force: the window comes back every year
    ("2022-06-01", "未知", OPEN),      # young enough to be taken as standing
    ("2021-11-30", "未知", UNKNOWN),   # five years to the day before: no longer
    ("2021-12-01", "未知", OPEN),
    (None, "未知", OPEN),              # undated: the benefit of the doubt
    ("2024-01-01", "废止", CLOSED),
])
def test_a_yearly_window_is_claimed_only_while_its_policy_can_stand(published, validity, expected):
    window = parse_window(YEARLY, "2018-12-31")
    assert window.kind == "recurring"
    policy = Policy(id="p", title="t", publish_date=published, validity=validity, deadline=window)
    assert policy_status(policy, dt.date(2026, 11, 30)) == expected


def test_a_standing_window_of_an_old_policy_of_unknown_validity_is_unknown():
    policy = Policy(id="p", title="t", publish_date="2015-03-01", validity="未知",
                    deadline=parse_window("常年受理", ANCHOR))
    assert policy.deadline.kind == "long_term"
    assert policy_status(policy, dt.date(2026, 11, 30)) == UNKNOWN
    policy.validity = "有效"
    assert policy_status(policy, dt.date(2026, 11, 30)) == LONG_TERM
    # fixed dates say what they say, whatever the age
    policy.validity, policy.deadline = "未知", parse_window("2015年3月1日至3月31日", ANCHOR)
    assert policy_status(policy, dt.date(2015, 3, 10)) == OPEN


def test_recurring_window_with_start():
    window = parse_window("每年1月至3月集中受理", ANCHOR)
    assert window.status(dt.date(2024, 2, 1)) == OPEN
    assert window.status(dt.date(2024, 5, 1)) == NOT_STARTED
    assert window.describe() == "每年1月1日至3月31日"


def test_long_term_and_unknown():
    assert parse_window("常年受理", ANCHOR).status(dt.date(2030, 1, 1)) == LONG_TERM
    assert Deadline().status(dt.date(2030, 1, 1)) == UNKNOWN


@pytest.mark.parametrize("text,value", [("30", 30), ("三十", 30), ("十五", 15), ("一百二十", 120),
                                        ("二〇二三", 2023), ("两", 2), ("x", None)])
def test_chinese_numbers(text, value):
    assert cn_number(text) == value


def test_china_today_is_the_day_in_utc_plus_8(monkeypatch):
    import datetime as real_dt

    from policy_search.domain import deadlines

    class FrozenDateTime(real_dt.datetime):
        @classmethod
        def now(cls, tz=None):  # 17:00 UTC on 1 March is already 2 March in China
            moment = real_dt.datetime(2024, 3, 1, 17, 0, tzinfo=real_dt.timezone.utc)
            return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)

    monkeypatch.setattr(deadlines.dt, "datetime", FrozenDateTime)
    monkeypatch.setattr(deadlines, "_pinned_day", None)  # the run's pinned day (conftest) aside
    assert deadlines.china_today() == real_dt.date(2024, 3, 2)


def test_a_pinned_day_holds_across_midnight_until_unpinned(monkeypatch):
    import datetime as real_dt

    from policy_search.domain import deadlines

    moments = iter([real_dt.datetime(2024, 3, 1, 15, 59, tzinfo=real_dt.timezone.utc),
                    real_dt.datetime(2024, 3, 1, 16, 1, tzinfo=real_dt.timezone.utc)] * 2)

    class TickingDateTime(real_dt.datetime):
        @classmethod
        def now(cls, tz=None):  # 15:59 then 16:01 UTC: midnight passes in China
            return next(moments).astimezone(tz)

    monkeypatch.setattr(deadlines.dt, "datetime", TickingDateTime)
    monkeypatch.setattr(deadlines, "_pinned_day", None)
    assert [deadlines.china_today(), deadlines.china_today()] == [real_dt.date(2024, 3, 1),
                                                                  real_dt.date(2024, 3, 2)]
    deadlines.pin_today(real_dt.date(2024, 3, 1))
    assert [deadlines.china_today(), deadlines.china_today()] == [real_dt.date(2024, 3, 1)] * 2
    deadlines.pin_today(None)
    assert deadlines.china_today() == real_dt.date(2024, 3, 1)  # the clock again: 15:59 UTC


def test_working_days_follow_chinas_calendar_where_it_is_known():
    from policy_search.domain.deadlines import add_working_days, is_working_day

    assert not is_working_day(dt.date(2024, 10, 1))  # 国庆
    assert is_working_day(dt.date(2024, 9, 29))  # a Sunday worked in exchange
    assert add_working_days(dt.date(2024, 9, 30), 3) == dt.date(2024, 10, 10)
    assert add_working_days(dt.date(2024, 2, 7), 1) == dt.date(2024, 2, 8)
    # a year not yet announced: Monday to Friday
    assert add_working_days(dt.date(2099, 12, 31), 2) == dt.date(2100, 1, 4)


# A call for applications in which no window was found: "not closed" only for a year.
@pytest.mark.parametrize("kind, published, text, validity, expected", [
    ("申报通知", "2025-06-01", None, "未知", CLOSED),      # a year and a half old
    ("申报通知", "2025-11-29", None, "未知", CLOSED),      # 366 days
    ("申报通知", "2025-11-30", None, "未知", UNKNOWN),     # 365 days: not yet
    ("申报通知", "2026-03-01", "unknown", "未知", UNKNOWN),
    ("申报通知", "2019-01-01", "unknown", "未知", CLOSED),  # a deadline of kind unknown
    ("申报通知", None, None, "未知", UNKNOWN),             # undated: the benefit of the doubt
    ("惠企措施", "2019-01-01", None, "未知", UNKNOWN),     # a measure is not a call
    ("申报通知", "2019-01-01", "常年受理", "有效", LONG_TERM),  # a window found says what it says
    # out of force: nothing can be applied for under a call or measure; a law or court
    # interpretation never had a window
    ("申报通知", "2026-10-01", "unknown", "废止", CLOSED),
    ("惠企措施", "2019-01-01", "unknown", "失效", CLOSED),
    ("法律法规", "2019-01-01", "unknown", "废止", UNKNOWN),
    ("司法解释", "2019-01-01", None, "失效", UNKNOWN),
])
def test_a_call_without_a_window_is_open_for_a_year_at_most(kind, published, text, validity, expected):
    deadline = (Deadline() if text == "unknown" else parse_window(text, published)) if text else None
    policy = Policy(id="p", title="关于组织申报的通知", publish_date=published, validity=validity,
                    deadline=deadline, doc_kind=kind)
    assert policy_status(policy, dt.date(2026, 11, 30)) == expected


@pytest.mark.parametrize("title, expected", [
    # undated calls of the corpus (生态环境部), dated by the year their title names
    ("关于开展2022年绿色低碳系列典型征集活动的通知", CLOSED),
    ("关于推荐2016-2017绿色中国年度人物提名人的通知", CLOSED),
    ("关于开展2025年“美丽中国，我是行动者”先进典型推选活动的通知", UNKNOWN),  # may still run
    ("关于举办第二届全国生态环境监测专业技术人员大比武活动的通知", UNKNOWN),  # no year named
])
def test_an_undated_call_without_a_window_is_dated_by_its_title(title, expected):
    policy = Policy(id="p", title=title, publish_date=None, validity="未知", deadline=Deadline(),
                    doc_kind="申报通知")
    assert policy_status(policy, dt.date(2026, 11, 30)) == expected


def test_an_undated_policy_is_dated_by_the_year_its_doc_number_names():
    from policy_search.domain.deadlines import issued_on, still_standing

    day = dt.date(2026, 11, 30)
    # the corpus's undated 国务院批转…纪要 of 1979
    memo = Policy(id="memo", title="国务院批转全国煤矸石、石煤综合利用经验交流会议纪要",
                  doc_number="国发〔1979〕71号", validity="未知")
    assert issued_on(memo) == dt.date(1979, 12, 31)
    assert not still_standing(memo, day)
    recent = Policy(id="recent", title="关于支持中小企业发展的若干措施", doc_number="湘政办发〔2024〕5号",
                    validity="未知")
    assert still_standing(recent, day)
    # a date, where there is one, wins; with neither date nor 文号: the benefit of the doubt
    dated = Policy(id="dated", title="关于支持中小企业发展的若干措施", doc_number="国发〔1979〕71号",
                   publish_date="2024-03-01", validity="未知")
    assert issued_on(dated) == dt.date(2024, 3, 1) and still_standing(dated, day)
    assert still_standing(Policy(id="bare", title="关于支持中小企业发展的若干措施", validity="未知"), day)
    # an undated call of 2021 without a window is closed
    call = Policy(id="call", title="关于组织申报专项资金的通知", doc_number="湘工信发〔2021〕9号",
                  validity="未知", deadline=Deadline(), doc_kind="申报通知")
    assert policy_status(call, day) == CLOSED
