"""Application windows told from duties: the labelled sentence table, the documents the issue
quotes, and the kind gate."""
from __future__ import annotations

from pathlib import Path

import pytest

from bench.deadline_quality import read_table
from policy_search.domain.card import CardItem, PolicyCard, deadline_from_card, extract_card
from policy_search.domain.deadlines import parse_window
from policy_search.domain.models import Policy
from policy_search.domain.windows import (application_window, is_application_call, judge_window,
                                   kind_states_windows)
from tests.policy_search.corpus import all_documents, real_policy

TABLE = Path(__file__).with_name("window_sentences.tsv")
ROWS = read_table(TABLE)


def _by_title(title: str) -> str:
    return next(k for k, d in all_documents().items() if d["title"] == title)


def test_table_is_large_and_holds_both_sorts():
    assert len(ROWS) >= 150
    for part in ("tune", "held-out"):
        rows = [r for r in ROWS if r["part"] == part]
        assert sum(r["label"] for r in rows) >= 10 and sum(not r["label"] for r in rows) >= 100
    assert {r["part"] for r in ROWS} == {"tune", "held-out"}


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['part']}-{i}" for i, r in enumerate(ROWS)])
def test_table_sentence(row):
    window, decision = application_window(row["sentence"], row["published"] or None,
                                          title=row["title"], heading=row["heading"])
    is_window = window is not None and decision.is_application
    assert is_window == row["label"], f"{decision.describe()} · {row['sentence']}"


@pytest.mark.parametrize("title,duty", [
    ("上海市促进浦东新区商事调解规定", "工作报告"),
    ("医疗器械经营监督管理办法", "自查报告"),
    ("中华人民共和国市场主体登记管理条例实施细则", "年度报告"),
    ("中华人民共和国个人所得税法", "纳税"),
    ("中华人民共和国农民专业合作社法", "债权"),
])
def test_duties_of_the_quoted_documents_are_no_windows(title, duty):
    policy = real_policy(_by_title(title))
    assert duty in policy.body_text  # the sentence that used to be taken is there
    card = extract_card(policy)
    assert card.get("deadline") == []
    assert deadline_from_card(card, policy).kind == "unknown"


def test_an_application_notice_keeps_its_window():
    title = "市工业和信息化局关于组织做好2021年国家技术创新示范企业申报推荐工作的通知"
    policy = real_policy(_by_title(title))
    window = deadline_from_card(extract_card(policy), policy)
    assert window.end in ("2021-06-25", "2021-06-28")
    assert "推荐" in window.evidence or "申报材料" in window.evidence


@pytest.mark.parametrize("sentence,expected,reason", [
    ("第二十七条 商事调解组织应当于每年三月三十一日前向浦东新区司法行政部门报送上一年度工作报告。",
     False, "报送义务"),
    ("居民个人从中国境外取得所得的，应当在取得所得的次年三月一日至六月三十日内申报纳税。", False, "纳税申报"),
    ("请各地于2023年6月30日前将落实情况报送我部。", False, "报送义务"),
    ("征求意见截止时间为2022年11月18日。", False, "征求意见"),
    ("截至2022年底，全市累计认定高新技术企业500家。", False, "统计截至日期"),
    ("请申报单位于2023年5月31日前将申报材料报送至市工信局。", True, "申报事项"),
    ("推荐截止日期为2022年8月31日。", True, "申报事项"),
    ("企业可于每年3月1日至4月30日通过系统提出申请。", True, "申报事项"),
    ("奖补资金于2023年12月31日前拨付到位。", False, "办理时限"),
])
def test_decisions_name_their_reason(sentence, expected, reason):
    window = parse_window(sentence, "2023-01-10")
    decision = judge_window(sentence, window.text if window else "")
    assert (decision.is_application, decision.reason) == (expected, reason)
    assert decision.cue == "" or decision.cue in decision.describe()


def test_section_heading_and_title_make_a_bare_date_a_window():
    assert judge_window("2023年5月1日至5月31日。", "2023年5月1日至5月31日",
                        heading="申报时间").is_application
    assert not judge_window("2023年5月1日至5月31日。", "2023年5月1日至5月31日",
                            heading="时间安排").is_application
    title = "关于组织开展2023年度专精特新中小企业认定工作的通知"
    assert is_application_call(title)
    assert not is_application_call("关于征求《申报管理办法（征求意见稿）》意见的函")
    assert judge_window("请于6月30日前将材料报送至市工信局。", "于6月30日前",
                        title=title).is_application
    assert not judge_window("请于6月30日前将材料报送至市工信局。", "于6月30日前",
                            title="关于做好2023年安全生产工作的通知").is_application


def test_long_term_needs_an_application_too():
    for sentence, expected in (("本项目常年受理申报，企业可随时申请。", True),
                               ("实行二十四小时值班制度，随时受理呼救；", False),
                               ("经登记确认的选民资格长期有效。", False)):
        window, decision = application_window(sentence)
        assert window is not None and window.kind == "long_term"
        assert decision.is_application is expected, sentence


def test_relative_windows_count_from_this_document_only():
    assert parse_window("自本通知发布之日起30日内申报。", "2023-03-01").end == "2023-03-31"
    assert parse_window("自发布之日起30日内提交申请材料。", "2023-03-01").end == "2023-03-31"
    assert parse_window("自公告发布之日起3个月内提出申请", "2021-11-30").end == "2022-02-28"
    # another event's date, which the text does not give
    assert parse_window("可以在选民名单公布之日起五日内向选举委员会提出申诉。", "2023-03-01") is None
    assert parse_window("应当自专利权公告之日起3个月内发给发明人奖金。", "2023-03-01") is None


def test_a_weekday_between_date_and_before():
    window = parse_window("请各单位于2019年9月9日（周一）前将报名表发送至部宣传教育中心。")
    assert window.end == "2019-09-09"


def _notice(doc_kind: str, title: str = "关于开展2023年度专项资金申报工作的通知") -> Policy:
    return Policy(id="p", title=title, doc_kind=doc_kind, kind_by="auto" if doc_kind else "",
                  publish_date="2023-04-01",
                  body_text="一、申报条件\n企业注册在本市。\n二、申报时间\n请申报单位于2023年5月31日前将申报材料报送至市工信局。")


def test_the_kind_gate_decides_which_documents_state_windows():
    assert kind_states_windows("申报通知") and kind_states_windows("惠企措施")
    assert not kind_states_windows("政策解读") and not kind_states_windows("其他")
    notice = _notice("申报通知")
    assert deadline_from_card(extract_card(notice), notice).end == "2023-05-31"
    interpretation = _notice("政策解读")
    card = extract_card(interpretation)
    assert card.get("deadline") == []
    # auto items of a stale card do not count for such a kind, a staff item does
    stale = PolicyCard("p", {"deadline": [CardItem("2023年5月31日前", "请于2023年5月31日前申报")]})
    assert deadline_from_card(stale, interpretation).kind == "unknown"
    staff = PolicyCard("p", {"deadline": [CardItem("2023年5月31日前", "", origin="staff")]})
    assert deadline_from_card(staff, interpretation).end == "2023-05-31"


def test_a_policy_whose_kind_was_not_derived_is_classified_for_the_gate():
    call = _notice("")
    assert deadline_from_card(extract_card(call), call).end == "2023-05-31"
    law = _notice("", title="中华人民共和国个人所得税法")
    assert extract_card(law).get("deadline") == []


def test_a_body_filing_on_persons_applications_states_no_window():
    """河南 促进就业实施意见 (a 惠企措施): graduates apply to their university, which files the
    applications on by 每年4月底前 — the university's deadline, not an enterprise's window."""
    title = "河南省人民政府关于做好当前和今后一个时期促进就业工作的实施意见"
    policy = real_policy(_by_title(title))
    assert "并于每年4月底前向所在省辖市" in policy.body_text  # the sentence that used to be taken
    card = extract_card(policy)
    assert not any("4月底" in (item.value + item.evidence) for item in card.get("deadline"))
    sentence = ("申领程序调整为符合条件的毕业生提出申请，由负责学籍注册的各普通高校受理申请，并于每年4月底前"
                "向所在省辖市人力资源社会保障部门集中申报，经审核后，由同级财政部门将补贴资金拨付到毕业生本人银行账户。")
    decision = judge_window(sentence, "每年4月底前")
    assert (decision.is_application, decision.reason) == (False, "单位代个人集中申报")
    # a body that nominates enterprises by a date still states the call's window
    assert judge_window("请各主管部门组织做好所属企业遴选和推荐工作，于2021年6月25日前将推荐企业汇总表传真至我局。",
                        "2021年6月25日前").is_application
