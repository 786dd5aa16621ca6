"""The 申报状态 on result lines, and duties kept out of 申报中, the calendar and the policy page."""
from __future__ import annotations

import datetime as dt
import re

from index.api import Hit
from web.cards import hit_deadline


def result_block(page: str, policy_id: str) -> str:
    block = page.split(f'href="/policy/{policy_id}"', 1)[1]
    return block.split('<li class="hit">', 1)[0]


def test_result_lines_show_the_status_and_its_date(client, card_site):
    page = client.get("/?validity=all&size=50").get_data(as_text=True)
    fund = result_block(page, "county-fund")
    end = (card_site.today + dt.timedelta(days=10)).isoformat()
    assert 'class="badge deadline-status deadline-closing"' in fund
    assert ">即将截止</span>" in fund and f"截止 {end} · 还剩 10 天" in fund
    closed = result_block(page, "closed-call")
    assert ">已截止</span>" in closed
    assert f"截止 {(card_site.today - dt.timedelta(days=30)).isoformat()}" in closed
    # no window known: no status on the line, unless the policy expired (nothing is open then)
    assert "deadline-status" not in result_block(page, "startup")
    assert "deadline-status" not in result_block(page, "duty-rules")
    expired = result_block(page, "national-loan")
    assert ">已截止</span>" in expired and "截止 " not in expired


def test_a_status_indexed_yesterday_reads_right_today():
    day = dt.date(2024, 5, 10)
    hit = Hit(id="x", url=None, title="t", issuer=None, doc_number=None, level=None, region=None,
              region_code=None, publish_date=None, validity="有效", doc_kind="政策原文", tags={},
              snippet="", deadline_status="申报中", deadline_end="2024-05-09")
    assert hit_deadline(hit, day).status == "已截止"
    hit.deadline_end = "2024-05-20"
    badge = hit_deadline(hit, day)
    assert (badge.status, badge.detail) == ("即将截止", "截止 2024-05-20 · 还剩 10 天")
    hit.deadline_status, hit.deadline_end = "长期有效", None
    assert (hit_deadline(hit, day).status, hit_deadline(hit, day).detail) == ("长期有效", "")
    hit.deadline_status = "未知"
    assert hit_deadline(hit, day) is None


def test_duties_are_no_windows_anywhere(client, card_site):
    policy = card_site.store.policies.get("duty-rules")
    assert policy.deadline is None or policy.deadline.kind == "unknown"
    assert card_site.store.cards.get("duty-rules").get("deadline") == []
    for status in ("申报中", "即将截止", "未开始", "已截止", "长期有效"):
        page = client.get(f"/?deadline={status}&validity=all").get_data(as_text=True)
        assert "/policy/duty-rules" not in page, status
    listed = re.findall(r'/policy/([\w-]+)"', client.get("/?deadline=申报中&deadline=即将截止")
                        .get_data(as_text=True))
    assert "county-fund" in listed and "duty-rules" not in listed
    ics = client.get("/feed.ics?validity=all").get_data(as_text=True)
    assert "duty-rules" not in ics and "county-fund" in ics
    page = client.get("/policy/duty-rules").get_data(as_text=True)
    box = page[page.index('class="deadline-box'):]
    assert '<span class="badge deadline-status">未知</span>' in box[:400]
    api = client.get("/api/policies/duty-rules").get_json()
    assert api["deadline_status"] == "未知" and api["card"]["deadline"] == []
