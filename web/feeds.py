"""Atom feeds: every search (words + filters) can be subscribed to, newest first.

This is how an enterprise or a WeChat account follows "new 专精特新 policies in 长沙县".
"""
from __future__ import annotations

import datetime as dt
import html

from flask import Blueprint, make_response, render_template, request, url_for

from web.app import services
from web.params import FACET_NAMES
from web.present import facet_value_label, level_name, safe_snippet, xml_text
from web.searching import parse_state, run_search

bp = Blueprint("feeds", __name__)

FEED_ENTRIES = 30


@bp.get("/feed")
def feed():
    state = parse_state()
    result = run_search(state, sort="newest", page=1, size=FEED_ENTRIES)
    policies = {p.id: p for p in services().store.get_policies([h.id for h in result.hits])}
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
        self_url=request.url, alternate=url_for("public.search_page", _external=True)
        + ("?" + search_query if search_query else ""),
        feed_id=f"{request.host_url.rstrip('/')}/feed?{state.query_string(sort='relevance', page=1)}",
        updated=max((e["updated"] for e in entries), default=atom_time(None)),
        xml_text=xml_text,
    ))
    response.headers["Content-Type"] = "application/atom+xml; charset=utf-8"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


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
