"""Staff correct the card on the review page: every field, audited, kept over
re-extraction; a corrected 申报时间 moves the deadline; the public page marks it."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from policy_search.domain.accounts import create_user
from policy_search.domain.derive import derive_policy
from policy_search.settings import Settings
from tests.web.card_site import cn, fill_store
from tests.web.staff_site import PASSWORDS, NoIndex, logged_in, review_form
from web.cards import today


@pytest.fixture
def staff_site(tmp_path):
    from web import create_app

    settings = Settings(data_dir=tmp_path / "data", secret_key="test-secret",
                        session_cookie_secure=0)
    store = fill_store(settings)
    create_user(store, "staffer", PASSWORDS["staffer"], "staff")
    app = create_app(settings, store=store, index=NoIndex(), testing=True)
    return app, store


def textarea(html: str, name: str) -> str:
    found = re.search(rf'<textarea id="{name}" name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    assert found, name
    return found.group(1)


def test_the_review_page_shows_every_card_field(staff_site):
    app, _store = staff_site
    client = logged_in(app, "staffer")
    html, _hidden = review_form(client, "county-fund")
    assert "<h2>政策卡片</h2>" in html
    assert textarea(html, "card-conditions") == "注册成立满2年以上\n上年度营业收入不低于500万元"
    assert "给予一次性奖励20万元" in textarea(html, "card-support")
    assert "0731-84011234" in textarea(html, "card-phone")
    assert "星沙街道" in textarea(html, "card-address")
    assert "至" in textarea(html, "card-deadline")
    assert "在长沙县注册的制造业中小企业" in textarea(html, "beneficiaries")  # 惠及对象
    assert "原文依据" in html


def test_staff_correct_fields_and_the_deadline_follows(staff_site):
    app, store = staff_site
    client = logged_in(app, "staffer")
    _html, hidden = review_form(client, "county-fund")
    new_end = today() + dt.timedelta(days=3)
    response = client.post("/staff/policy/county-fund", data={
        **hidden, "op": "save",
        "card-conditions": "注册成立满2年以上\r\n依法纳税，无失信记录\r\n\r\n",
        "card-deadline": f"即日起至{cn(new_end)}",
        "card-phone": "",
        "card-support": "给予一次性奖励20万元",   # unchanged: not saved as staff's
    })
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    card = store.cards.get("county-fund")
    assert card.values("conditions") == ["注册成立满2年以上", "依法纳税，无失信记录"]
    kept = card.get("conditions")[0]
    assert kept.origin == "staff" and "营业收入" not in kept.evidence and kept.evidence  # evidence kept
    assert card.values("phone") == []
    assert set(store.cards.field_origins("county-fund")) == {"conditions", "deadline", "phone"}
    policy = store.policies.get("county-fund")
    assert policy.deadline.end == new_end.isoformat()
    assert policy.deadline.status(today()) == "即将截止"
    actions = [(e["action"], e["value"]) for e in store.tags.audit_log("county-fund")]
    assert ("set_card", "conditions") in actions and ("set_card", "deadline") in actions
    history = client.get("/staff/policy/county-fund/history").get_data(as_text=True)
    assert "申报条件：" in history and "依法纳税" in history
    # the public page marks the corrected fields and shows the new countdown
    public = app.test_client().get("/policy/county-fund").get_data(as_text=True)
    conditions = public[public.index('<div class="card-field card-conditions">'):]
    assert "人工校正" in conditions[:conditions.index("</dt>")]
    support = public[public.index('<div class="card-field card-support">'):]
    assert "人工校正" not in support[:support.index("</dt>")]
    assert '<strong class="countdown">还剩 3 天</strong>' in public
    # staff's version survives re-extraction
    derive_policy(store, store.policies.get("county-fund"))
    assert store.cards.get("county-fund").values("conditions")[1] == "依法纳税，无失信记录"
    # and can be undone: the extracted items come back
    html, hidden = review_form(client, "county-fund")
    assert 'name="card-reset-conditions"' in html and 'name="card-reset-support"' not in html
    response = client.post("/staff/policy/county-fund", data={
        **hidden, "op": "save", "card-reset-conditions": "1"})
    assert response.status_code == 302
    assert "上年度营业收入不低于500万元" in store.cards.get("county-fund").values("conditions")
    assert "conditions" not in store.cards.field_origins("county-fund")


def test_too_long_a_field_is_refused_without_saving(staff_site):
    app, store = staff_site
    client = logged_in(app, "staffer")
    _html, hidden = review_form(client, "county-fund")
    response = client.post("/staff/policy/county-fund", data={
        **hidden, "op": "save", "card-support": "很长" * 300})
    assert response.status_code == 400 and "最多" in response.get_data(as_text=True)
    assert store.cards.field_origins("county-fund") == {}


def test_a_stale_version_saves_no_card_field(staff_site):
    app, store = staff_site
    client = logged_in(app, "staffer")
    _html, hidden = review_form(client, "county-fund")
    store.cards.set_staff_field("county-fund", "phone", ["0731-1"], "someone-else")
    response = client.post("/staff/policy/county-fund", data={
        **hidden, "op": "save", "card-support": "改动"})
    assert response.status_code == 409
    assert store.cards.get("county-fund").values("support") == ["给予一次性奖励20万元"]
