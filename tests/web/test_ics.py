"""/feed.ics: deadlines of any search as valid iCalendar (RFC 5545), parsed back."""
from __future__ import annotations

import datetime as dt
import re

import icalendar

from web.ics import CalendarEvent, calendar_text, escape_text, fold_line


def get_ics(client, query: str = "") -> str:
    response = client.get(f"/feed.ics?{query}" if query else "/feed.ics")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return response.get_data(as_text=True)


def events_of(text: str) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(text)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_every_policy_with_an_end_date_gets_one_event(client, card_site):
    text = get_ics(client, "validity=all")
    calendar = icalendar.Calendar.from_ical(text)
    assert str(calendar["VERSION"]) == "2.0" and calendar["PRODID"]
    events = events_of(text)
    uids = set(events)
    assert uids == {f"{pid}-deadline@policy-search" for pid in
                    ("county-fund", "county-later", "province-hitech", "closed-call")}
    fund = events["county-fund-deadline@policy-search"]
    assert fund.decoded("DTSTART") == card_site.today + dt.timedelta(days=10)
    assert fund.decoded("DTEND") == card_site.today + dt.timedelta(days=11)
    assert str(fund["URL"]).endswith("/policy/county-fund")
    assert "申报状态：即将截止" in str(fund["DESCRIPTION"])
    yearly = events["province-hitech-deadline@policy-search"]
    assert yearly.decoded("DTSTART").month == 3 and yearly.decoded("DTSTART").day == 31
    assert dict(yearly["RRULE"]) == {"FREQ": ["YEARLY"]}
    assert "RRULE" not in fund
    # the UID is stable from one request to the next
    assert set(events_of(get_ics(client, "validity=all"))) == uids


def test_commas_semicolons_and_newlines_are_escaped_and_come_back(client):
    text = get_ics(client, "q=专项资金")
    assert "SUMMARY:申报截止：长沙县中小企业发展专项资金（第一批\\, 试点\\; 制造业）申报通知" in \
        text.replace("\r\n ", "")
    fund = events_of(text)["county-fund-deadline@policy-search"]
    assert str(fund["SUMMARY"]) == "申报截止：长沙县中小企业发展专项资金（第一批, 试点; 制造业）申报通知"
    description = str(fund["DESCRIPTION"])
    assert description.splitlines()[0] == "长沙县中小企业发展专项资金（第一批, 试点; 制造业）申报通知"
    assert "\n申报状态：即将截止\n" in description


def test_lines_are_folded_at_75_octets_with_crlf(client):
    text = get_ics(client, "validity=all")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")[:-1]
    assert max(len(line.encode("utf-8")) for line in lines) <= 75
    assert any(line.startswith(" ") for line in lines)  # some long lines were folded
    for line in lines:
        line.encode("utf-8").decode("utf-8")  # no character was cut in two


def test_the_calendar_follows_the_search_parameters(client):
    assert set(events_of(get_ics(client, "q=技术改造"))) == {"county-later-deadline@policy-search"}
    # region = where a policy applies: the 湖南省 policy applies in 浏阳市, 长沙县's do not
    assert set(events_of(get_ics(client, "region=浏阳市"))) == {"province-hitech-deadline@policy-search"}
    assert set(events_of(get_ics(client, "region=长沙县"))) == {
        f"{pid}-deadline@policy-search"
        for pid in ("county-fund", "county-later", "province-hitech", "closed-call")}
    assert "X-WR-CALNAME:政策超市 · 申报截止 · 适用地区:浏阳市" in get_ics(client, "region=浏阳市")
    # issued_region = where it was issued: nothing was issued in 浏阳市 with a window
    assert events_of(get_ics(client, "issued_region=浏阳市")) == {}
    assert "发文地区:浏阳市" in get_ics(client, "issued_region=浏阳市")
    response = client.get("/feed.ics?validity=maybe")
    assert response.status_code == 400


def test_the_search_page_links_the_calendar_beside_the_atom_feed(client):
    html = client.get("/?q=专项资金&region=长沙县").get_data(as_text=True)
    links = re.search(r'<a class="feed-link" href="([^"]+)">[^<]+</a>\s*<a class="ics-link" href="([^"]+)"',
                      html)
    assert links, "the calendar link sits next to the Atom link"
    atom, ics = (link.replace("&amp;", "&") for link in links.groups())
    assert atom.startswith("/feed?") and ics == "/feed.ics?" + atom.split("?", 1)[1]
    assert 'type="text/calendar"' in html


def test_escape_and_fold_by_hand():
    assert escape_text("a,b;c\\d\r\ne\nf\x07") == "a\\,b\\;c\\\\d\\ne\\nf"
    line = "SUMMARY:" + "政" * 40
    folded = fold_line(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert parts[1].startswith(" ") and "".join([parts[0], *[p[1:] for p in parts[1:]]]) == line
    assert fold_line("SHORT:x") == "SHORT:x"
    text = calendar_text("名称", [CalendarEvent(
        uid="u1@x", day=dt.date(2024, 2, 29), summary="甲, 乙; 丙\\丁", description="一\n二",
        yearly=True)], now=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))
    calendar = icalendar.Calendar.from_ical(text)
    event = calendar.walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "甲, 乙; 丙\\丁" and str(event["DESCRIPTION"]) == "一\n二"
    assert event.decoded("DTSTART") == dt.date(2024, 2, 29)
    assert "DTSTAMP:20240101T000000Z" in text


def test_the_calendar_asks_for_policies_with_an_end_date(card_site):
    from tests.web.test_filters import FacetIndex
    from web import create_app

    index = FacetIndex()
    app = create_app(card_site.settings, store=card_site.store, index=index, testing=True)
    assert app.test_client().get("/feed.ics?q=补贴").status_code == 200
    assert index.requests[-1].filters["deadline"] == ["申报中", "即将截止", "未开始", "已截止"]
    assert app.test_client().get("/feed.ics?deadline=申报中").status_code == 200
    assert index.requests[-1].filters["deadline"] == ["申报中"]


def test_the_calendar_keeps_the_recent_past_not_every_past_year(app):
    """A calendar of every call of past years (the corpus's 2018–2022 calls) buries the
    deadlines to come: by default a deadline that passed more than CALENDAR_PAST_DAYS ago
    is left out; a search for 已截止 itself still gets them."""
    from policy_search.domain.deadlines import parse_window
    from policy_search.domain.models import Policy
    from web.cards import today
    from web.feeds import CALENDAR_PAST_DAYS, deadline_events

    day = today()

    def call(pid: str, days_ago: int) -> Policy:
        end = day - dt.timedelta(days=days_ago)
        window = parse_window(f"{end.year}年{end.month}月{end.day}日前", None)
        return Policy(id=pid, title="关于组织申报专项资金的通知", validity="有效", deadline=window,
                      doc_kind="申报通知", publish_date=(end - dt.timedelta(days=30)).isoformat())

    calls = [call("recent", 30), call("years-ago", 3 * 365)]
    since = day - dt.timedelta(days=CALENDAR_PAST_DAYS)
    with app.test_request_context():
        assert [e.uid for e in deadline_events(calls, since)] == ["recent-deadline@policy-search"]
        assert len(deadline_events(calls)) == 2


def test_the_calendar_route_leaves_out_long_past_deadlines_unless_asked(client, monkeypatch):
    import web.feeds

    monkeypatch.setattr(web.feeds, "CALENDAR_PAST_DAYS", 10)  # closed-call ended 30 days ago
    assert "closed-call-deadline@policy-search" not in events_of(get_ics(client, "validity=all"))
    assert "county-fund-deadline@policy-search" in events_of(get_ics(client, "validity=all"))
    asked = events_of(get_ics(client, "validity=all&deadline=已截止"))
    assert "closed-call-deadline@policy-search" in asked
