"""Atom feeds: every search (words + filters) can be subscribed to, newest first; and an
iCalendar feed of the application deadlines of any search (`/feed.ics`).

This is how an enterprise or a WeChat account follows "new 专精特新 policies in 长沙县",
and puts their deadlines into a calendar.
"""
from __future__ import annotations

import datetime as dt
import html

from flask import Blueprint, make_response, render_template, request, url_for

from policy_search.domain.deadlines import CLOSED, CLOSING, NOT_STARTED, OPEN, UNKNOWN, policy_status
from web.app import services, site_url
from web.cards import today
from web.ics import CalendarEvent, calendar_text
from web.params import FACET_NAMES, search_filters
from web.present import facet_value_label, level_name, safe_snippet, xml_text
from web.searching import collect_hits, parse_state, run_search

bp = Blueprint("feeds", __name__)

FEED_ENTRIES = 30
# The calendar looks at this many of a search's newest policies.
CALENDAR_POLICIES = 300
# Statuses of policies whose window has an end date: the calendar asks only for those
# (unless the search names statuses itself), so the newest policies it looks at are ones
# with a deadline.
WITH_END_DATE = [OPEN, CLOSING, NOT_STARTED, CLOSED]
# A deadline that passed longer ago than this is no event worth a calendar entry (unless
# the search asks for 已截止 itself): a subscribed calendar keeps the recent past, not
# every call of past years.
CALENDAR_PAST_DAYS = 90


@bp.get("/feed")
def feed():
    state = parse_state()
    result = run_search(state, sort="newest", page=1, size=FEED_ENTRIES)
    policies = {p.id: p for p in services().store.policies.get_many([h.id for h in result.hits])}
    entries = []
    for hit in result.hits:
        policy = policies.get(hit.id)
        entries.append({
            "hit": hit,
            "link": url_for("public.policy_page", policy_id=hit.id, _external=True),
            "updated": atom_time((policy.updated_at if policy else None) or hit.publish_date),
            "published": atom_time(hit.publish_date),
            "summary": xml_text(summary_of(hit)),
        })
    search_query = state.query_string(sort="relevance", page=1)
    response = make_response(render_template(
        "feed.xml", entries=entries, title=xml_text(feed_title(state)),
        self_url=site_url() + request.full_path.rstrip("?"),
        alternate=url_for("public.search_page", _external=True)
        + ("?" + search_query if search_query else ""),
        feed_id=f"{site_url()}/feed?{state.query_string(sort='relevance', page=1)}",
        updated=max((e["updated"] for e in entries), default=atom_time(None)),
        xml_text=xml_text,
    ))
    response.headers["Content-Type"] = "application/atom+xml; charset=utf-8"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/feed.ics")
def calendar():
    """Deadlines of the policies a search finds: one all-day event per policy with an end date."""
    state = parse_state()
    filters = search_filters(state.filters)
    since = None
    if "deadline" not in filters:
        filters["deadline"] = list(WITH_END_DATE)
        since = today() - dt.timedelta(days=CALENDAR_PAST_DAYS)
    hits = collect_hits(state, CALENDAR_POLICIES, filters=filters)
    events = deadline_events(services().store.policies.get_many([h.id for h in hits]), since)
    name = feed_title(state).replace("政策超市 · ", "政策超市 · 申报截止 · ", 1)
    response = make_response(calendar_text(name, events))
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="deadlines.ics"'
    response.headers["Cache-Control"] = "public, max-age=900"
    return response


def deadline_events(policies, since: dt.date | None = None) -> list[CalendarEvent]:
    """Events for the policies whose window has an end (a yearly one: this year's or next),
    that end on `since` or later when given."""
    day = today()
    events = []
    for policy in policies:
        deadline = policy.deadline
        if deadline is None or deadline.kind not in ("window", "recurring"):
            continue
        end = deadline.next_end(day) if deadline.kind == "recurring" else (
            deadline.window_on(day)[1])
        if end is None or (since is not None and end < since):
            continue
        status = policy_status(policy, day)
        if status == UNKNOWN:  # a yearly window of a policy that may no longer stand
            continue
        link = url_for("public.policy_page", policy_id=policy.id, _external=True)
        lines = [policy.title, f"申报状态：{status}", f"申报时间：{deadline.describe()}"]
        if policy.issuer or policy.doc_number:
            lines.append(" ".join(x for x in (policy.issuer, policy.doc_number) if x))
        if deadline.evidence:
            lines.append(f"原文：{deadline.evidence}")
        lines.append(link)
        events.append(CalendarEvent(
            uid=f"{policy.id}-deadline@policy-search", day=end,
            summary=f"申报截止：{policy.title}", description="\n".join(lines), url=link,
            yearly=deadline.kind == "recurring", categories=["申报截止", status]))
    events.sort(key=lambda e: (e.day, e.uid))
    return events


def feed_title(state) -> str:
    parts = [f"“{state.q}”"] if state.q else []
    parts += [f"{FACET_NAMES[key]}:{facet_value_label(key, value)}"
              for key, value in state.active_filters]
    return "政策超市 · " + ("，".join(parts) if parts else "最新政策")


def summary_of(hit) -> str:
    meta = " · ".join(x for x in (hit.issuer, hit.doc_number, level_name(hit.level), hit.region,
                                   hit.publish_date) if x)
    snippet = str(safe_snippet(hit.snippet)).replace("<mark>", "").replace("</mark>", "")
    # The snippet is HTML-escaped text and the feed template escapes again: unescape once.
    return meta + ("\n" + html.unescape(snippet) if snippet else "")


def atom_time(value: str | None) -> str:
    """RFC 3339 from a stored date or timestamp; the epoch when there is none."""
    if not value:
        return "1970-01-01T00:00:00Z"
    if len(value) == 10:
        return value + "T00:00:00Z"
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return "1970-01-01T00:00:00Z"
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
