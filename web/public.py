"""The public pages: search with facets, the policy page, the health check."""
from __future__ import annotations

import os

from flask import Blueprint, jsonify, redirect, render_template, url_for

from index.api import LIMITS
from policy_search.domain.models import SNAPSHOT_SOURCE, Policy, policy_id_for
from policy_search.snapshot import snapshot_summary
from web.app import load_policy, services
from web.cards import applies_view, card_views, deadline_view, hit_glances, validity_view
from web.home import home_view
from web.originals import original_link
from web.present import is_suggestion, paragraphs, tag_groups
from web.searching import (facet_views, hidden_by_default, index_usable, page_numbers,
                           parse_state, run_search)
from web.querylog import is_new_search, query_tally
from web.startup import home_status

bp = Blueprint("public", __name__)

RELATED_LIMIT = 8


@bp.get("/")
def search_page():
    state = parse_state()
    if state.is_home:
        return render_template("home.html", state=state, home=home_view(state),
                               max_query_chars=LIMITS.query_chars, startup=home_status(state))
    result = run_search(state)
    if state.q and result.total and state.page == 1 and is_new_search(state.q):
        query_tally().count(state.q)  # 热门搜索: searches that found something
    last_page = min(-(-result.total // state.size), LIMITS.last_page(state.size))
    return render_template(
        "search.html", state=state, result=result, facets=facet_views(result, state),
        pages=page_numbers(state.page, last_page), last_page=last_page,
        max_query_chars=LIMITS.query_chars, hidden_count=hidden_by_default(result, state),
        startup=home_status(state), glances=hit_glances(services().store, result.hits),
    )


@bp.get("/policy/<policy_id>")
def policy_page(policy_id: str):
    policy = load_policy(policy_id)
    return render_template(
        "policy.html", policy=policy, tag_groups=tag_groups(policy), is_suggestion=is_suggestion,
        body_paragraphs=paragraphs(policy.body_text), related=related_policies(policy),
        other_links=other_links(policy), card=card_views(services().store, policy),
        deadline=deadline_view(policy), validity=validity_view(services().store, policy),
        applies=applies_view(policy),
        snapshot=snapshot_summary(services().store) if policy.source_id == SNAPSHOT_SOURCE else None,
    )


@bp.get("/healthz")
def healthz():
    """200 only when both the store and the index answer."""
    svc = services()
    report = {"store": False, "index": False, "pid": os.getpid()}
    try:
        report["policies"] = svc.store.policies.count()
        report["store"] = True
    except Exception as exc:  # the point of a health check is to report, not to raise
        report["store_error"] = type(exc).__name__
    report["index"] = index_usable()
    if report["index"]:
        try:
            report["indexed"] = svc.index.doc_count()
        except Exception as exc:
            report["index"] = False
            report["index_error"] = type(exc).__name__
    ok = report["store"] and report["index"]
    report["status"] = "ok" if ok else "unavailable"
    response = jsonify(report)
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def other_links(policy: Policy) -> list[str]:
    """Further places the same document was published (reposts found by other sources)."""
    return [url for url, _source in services().store.policies.links(policy.id)
            if url != policy.url and original_link(url)]


def related_policies(policy: Policy) -> dict[str, list[Policy]]:
    """Interpretation ↔ original, the same 文号, and policies sharing tags."""
    store = services().store
    seen = {policy.id}

    def take(ids: list[str], limit: int = RELATED_LIMIT) -> list[Policy]:
        fresh = [i for i in ids if i not in seen][:limit]
        seen.update(fresh)
        return store.policies.get_many(fresh)

    related: dict[str, list[Policy]] = {}
    if policy.interprets:
        original = resolve_reference(policy.interprets)
        related["interprets"] = take([original.id] if original else [])
    related["interpretations"] = take(store.policies.find_interpretations(policy.id, policy.url))
    if policy.doc_number_key:
        related["same_doc_number"] = take(store.policies.find_by_doc_number_key(policy.doc_number_key))
    related["same_tags"] = take(store.tags.related_policies(policy.id, limit=RELATED_LIMIT * 2))
    return {key: items for key, items in related.items() if items}


def resolve_reference(reference: str) -> Policy | None:
    """`interprets` may hold a policy id or the original's URL."""
    store = services().store
    found = store.policies.get(reference)
    if found is None and "://" in reference:
        found = store.policies.get(policy_id_for(reference, ""))
    return found


@bp.get("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.get("/robots.txt")
def robots():
    # Result pages are endless parameter combinations; policy pages are what to index.
    body = ("User-agent: *\nDisallow: /api/\nDisallow: /feed\nDisallow: /?\nDisallow: /match?\n"
            "Allow: /policy/\n")
    return body, 200, {"Content-Type": "text/plain; charset=utf-8"}

