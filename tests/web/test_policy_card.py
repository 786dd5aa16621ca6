"""The policy page: the card with evidence (escaped), 申报状态 with its countdown, the
validity with the repeal links."""
from __future__ import annotations

import datetime as dt
import re

from tests.web.card_site import XSS
from policy_search.domain.card import CardItem
from web.cards import card_entry, countdown_text, deadline_view


def html_of(client, policy_id: str) -> str:
    response = client.get(f"/policy/{policy_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def card_field(html: str, key: str) -> str:
    start = html.index(f'<div class="card-field card-{key}">')
    return html[start:html.index("</div>", start)]


def test_the_card_shows_six_fields_with_their_evidence(client):
    html = html_of(client, "county-fund")
    assert '<h2 class="section-title" id="card-heading">政策要点</h2>' in html
    for key, label in (("beneficiaries", "惠及对象"), ("conditions", "申报条件"),
                       ("support", "支持标准"), ("deadline", "申报时间"), ("address", "受理地址"),
                       ("phone", "咨询电话")):
        assert f"<dt>{label}" in card_field(html, key)
    conditions = card_field(html, "conditions")
    assert '<span class="card-value">上年度营业收入不低于500万元</span>' in conditions
    # the evidence sentence shows where it says more than the value
    phone = card_field(html, "phone")
    assert '<span class="card-value">0731-84011234</span>' in phone
    assert '<span class="evidence">原文：联系电话：0731-84011234。</span>' in phone
    # and not where it would only repeat it with a numbering mark and a full stop
    assert "原文：（二）上年度营业收入不低于500万元。" not in conditions
    assert "给予一次性奖励20万元" in card_field(html, "support")
    assert "星沙街道政务服务中心" in card_field(html, "address")
    assert "人工校正" not in html


def test_an_empty_field_says_so(client):
    html = html_of(client, "startup")
    assert "原文未写明或未能识别" in card_field(html, "phone")


def test_the_evidence_is_escaped(client):
    html = html_of(client, "xss-card")
    assert XSS not in html and "alert('xss-card')" not in html
    conditions = card_field(html, "conditions")
    assert "&lt;script&gt;alert(&#39;xss-card&#39;)" in conditions


def test_the_deadline_has_a_countdown(client, card_site):
    html = html_of(client, "county-fund")
    box = html[html.index('<div class="deadline-box'):]
    box = box[:box.index("</div>")]
    end = card_site.today + dt.timedelta(days=10)
    assert "deadline-closing" in box and ">即将截止<" in box
    assert '<strong class="countdown">还剩 10 天</strong>' in box
    assert f"截止 {end.isoformat()}" in box
    later = html_of(client, "county-later")
    assert ">未开始<" in later and "20 天后开始" in later
    closed = html_of(client, "closed-call")
    assert ">已截止<" in closed and "countdown" not in closed.split("deadline-box", 1)[1][:400]
    hitech = html_of(client, "province-hitech")
    assert "申报时间：每年3月31日前" in hitech


def test_evidence_is_kept_where_it_adds_to_the_value():
    assert card_entry(CardItem("最高奖励50万元", "对新认定的企业，最高奖励50万元。")).evidence
    assert not card_entry(CardItem("给予奖励10万元", "3. 给予奖励10万元；")).evidence
    assert not card_entry(CardItem("给予奖励10万元", "")).evidence


def test_countdown_wording():
    day = dt.date(2024, 3, 1)
    assert countdown_text("申报中", 0, None, day) == "今天截止"
    assert countdown_text("即将截止", 3, None, day) == "还剩 3 天"
    assert countdown_text("未开始", None, dt.date(2024, 3, 11), day) == "10 天后开始"
    assert countdown_text("长期有效", None, None, day) == ""


def test_a_repealed_policy_links_the_repealing_one_and_back(client, card_site):
    old = html_of(client, "old-measure")
    alert = old[old.index('<div class="validity-alert"'):]
    alert = alert[:alert.index("</div>")]
    assert "本政策已废止" in alert
    assert re.search(r'<a class="repealed-by" href="/policy/new-measure">长沙县促进制造业高质量发展若干政策</a>',
                     alert)
    assert "《长沙县促进制造业发展若干政策》同时废止" in alert
    assert "validity-invalid" in old
    # nothing can be applied for under a repealed measure, and the page says why
    assert ">已截止<" in old and "政策已废止" in old
    new = html_of(client, "new-measure")
    assert "validity-alert" not in new
    section = new[new.index('class="repeals"'):]
    assert 'href="/policy/old-measure">长沙县促进制造业发展若干政策</a>' in section
    assert "<dt>生效日期</dt><dd>2021-01-01</dd>" in new


def test_an_expired_policy_shows_its_expiry(client):
    html = html_of(client, "national-loan")
    assert "本政策已失效" in html and "有效期至 2021-12-31" in html
    assert "<dt>失效日期</dt><dd>2021-12-31</dd>" in html


def test_deadline_view_without_a_window(card_site):
    policy = card_site.store.policies.get("startup")
    view = deadline_view(policy, card_site.today)
    assert view is None or view.status == "未知"


def test_a_long_past_call_without_a_window_is_closed_on_its_page_as_in_search():
    """A 申报通知 whose window was never found, published years ago: policy_status says
    已截止 (the index and search cards use it); the page and /api/policies say the same."""
    import datetime as dt

    from policy_search.domain.models import Policy

    call = Policy(id="call", title="关于组织申报2022年度专精特新中小企业的通知", publish_date="2022-03-01",
                  validity="未知", doc_kind="申报通知")
    view = deadline_view(call, dt.date(2026, 11, 30))
    assert view is not None and view.status == "已截止" and view.days_left is None
    assert "未见申报时间" in view.window
    # a deadline read as "unknown" is no window found either: the page says the same
    from policy_search.domain.deadlines import Deadline

    undated = Policy(id="undated", title="关于开展2022年绿色低碳系列典型征集活动的通知",
                     validity="未知", doc_kind="申报通知", deadline=Deadline())
    view = deadline_view(undated, dt.date(2026, 11, 30))
    assert view.status == "已截止" and "未见申报时间" in view.window
    young = Policy(id="young", title=call.title, publish_date="2026-10-01", validity="未知",
                   doc_kind="申报通知")
    assert deadline_view(young, dt.date(2026, 11, 30)) is None  # 未知: it may still run


def test_the_api_gives_the_card_and_the_status(client):
    body = client.get("/api/policies/county-fund").get_json()
    assert body["card"]["conditions"][1]["value"] == "上年度营业收入不低于500万元"
    assert body["card"]["conditions"][1]["origin"] == "auto"
    assert body["deadline_status"] == "即将截止" and body["days_left"] == 10
    assert body["deadline"]["kind"] == "window"
    assert client.get("/api/policies/old-measure").get_json()["repealed_by"] == "new-measure"
