"""The JSON API under /api: search, one policy, facet counts, and its OpenAPI description.

These routes and shapes are a public interface; add keys, never rename or remove them.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for

from policy_search.applicability import applicability_of
from web.app import services
from web.cards import deadline_view
from web.openapi import openapi_document
from web.originals import original_link
from web.params import FACET_NAMES
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
    body["card"] = services().store.get_card(found.id).to_dict()
    view = deadline_view(found)
    body["deadline_status"] = view.status if view else "未知"
    body["days_left"] = view.days_left if view else None
    applies = applicability_of(found)
    body["applies_in"] = applies.names()
    body["applies_evidence"] = applies.evidence if applies.restricted else None
    body["original_url"] = original_link(found.url)
    return jsonify(body)


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(request.host_url.rstrip("/")))


@bp.get("/")
def index():
    return jsonify({
        "name": "政策超市 API",
        "openapi": url_for("api.openapi", _external=True),
        "endpoints": ["/api/search", "/api/facets", "/api/policies/{id}", "/api/openapi.json"],
    })

