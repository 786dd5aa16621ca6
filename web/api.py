"""The JSON API under /api: search, one policy, facet counts, and its OpenAPI description.

These routes and shapes are a public interface; add keys, never rename or remove them.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for
from werkzeug.datastructures import MultiDict

from policy_search.domain.applicability import applicability_of
from web.app import services, site_url
from web.cards import deadline_view
from web.match import (match_hit_json, profile_json, profile_query, read_profile_strictly,
                       run_match)
from web.openapi import openapi_document
from web.originals import original_link
from web.params import FACET_NAMES, ParamError, parse_page
from web.present import facets_json, policy_json, result_json
from web.public import load_policy
from web.searching import parse_state, run_search

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search")
def search():
    result = run_search(parse_state())
    body = result_json(result)
    for hit_body, hit in zip(body["hits"], result.hits):
        hit_body["original_url"] = original_link(hit.url)  # an extra key: 原文 on a government site
    return jsonify(body)


@bp.get("/facets")
def facets():
    """Facet counts for a search (same parameters), without the hits."""
    state = parse_state()
    result = run_search(state, page=1, size=1, highlight=False)
    return jsonify({"total": result.total, "facets": facets_json(result),
                    "facet_names": FACET_NAMES})


@bp.get("/policies/<policy_id>")
def policy(policy_id: str):
    found = load_policy(policy_id)
    body = policy_json(found)
    body["page_url"] = url_for("public.policy_page", policy_id=found.id, _external=True)
    # The card (each item with its evidence) and today's 申报状态: extra keys.
    body["card"] = services().store.cards.get(found.id).to_dict()
    view = deadline_view(found)
    body["deadline_status"] = view.status if view else "未知"
    body["days_left"] = view.days_left if view else None
    applies = applicability_of(found)
    body["applies_in"] = applies.names()
    body["applies_evidence"] = applies.evidence if applies.restricted else None
    body["original_url"] = original_link(found.url)
    return jsonify(body)


@bp.get("/match")
def match():
    """政策计算器 as JSON: the /match parameters, plus page and size.

    `size` is both the page size (digits) and, as in /match, the enterprise size (小微 /
    中型 / 大型): the values cannot be confused, so both may be given.
    """
    profile_args, paging_args = split_size(request.args)
    profile, problems = read_profile_strictly(profile_args)
    if problems:
        param, _notice, problem = problems[0]
        raise ParamError(param, problem)
    if not profile_query(profile):
        raise ParamError("region", "请至少填写一项企业情况：地区、行业、规模、成立年限、资质或需求")
    settings = services().settings
    page, size = parse_page(paging_args, default_size=settings.search_page_size,
                            max_size=settings.search_max_page_size)
    run = run_match(profile, shown=size, skip=(page - 1) * size)
    return jsonify({"total": run.total, "page": page, "size": size,
                    "profile": profile_json(profile),
                    "hits": [match_hit_json(view) for view in run.views]})


def split_size(args) -> tuple[MultiDict, MultiDict]:
    """(the profile's parameters, the paging ones): numeric `size` values page."""
    profile = MultiDict((k, v) for k, v in args.items(multi=True)
                        if not (k == "size" and v.strip().isascii() and v.strip().isdigit()))
    paging = MultiDict((k, v) for k, v in args.items(multi=True)
                       if k == "page" or (k == "size" and v.strip().isascii() and v.strip().isdigit()))
    return profile, paging


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(site_url()))


@bp.get("/")
def index():
    return jsonify({
        "name": "政策超市 API",
        "openapi": url_for("api.openapi", _external=True),
        "endpoints": ["/api/search", "/api/facets", "/api/policies/{id}", "/api/match",
                      "/api/openapi.json"],
    })

