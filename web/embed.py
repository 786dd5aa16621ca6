"""The portal widget: /embed?<search parameters>, a compact page for an <iframe> on a
government portal — a search box and the newest policies the search finds, each opening
on this site in a new tab — and its snippet for admins (/admin/embed, on the admin
blueprint: web.admin imports this module).

Only this page may be framed, and only by the portals named in the `embed_origins` setting
(and this site itself, for the admin's preview): its Content-Security-Policy says
`frame-ancestors 'self' <origins>`; every other page keeps `frame-ancestors 'none'` and
`X-Frame-Options: DENY` (web.security).
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Blueprint, g, redirect, render_template, request, url_for

from web.admin import bp as admin_bp
from web.app import services, site_url
from web.params import PARAM_ORDER, parse_search_args
from web.searching import run_search
from web.selection import describe_search

bp = Blueprint("embed", __name__)

EMBED_SIZE = 8      # policies shown by default
EMBED_MAX_SIZE = 20
EMBED_HEIGHT = 520  # px, in the snippet
# https://portal.example.gov.cn, http://10.0.0.5:8080, https://*.example.gov.cn
_ORIGIN = re.compile(r"^https?://(?:\*\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
                     r"(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::\d{1,5})?$")


def embed_origins(setting: str) -> tuple[list[str], list[str]]:
    """(the origins allowed to frame the widget, the entries that are not origins)."""
    allowed, problems = [], []
    for entry in re.split(r"[\s,，;；]+", setting or ""):
        entry = entry.strip().rstrip("/")
        if not entry:
            continue
        if _ORIGIN.match(entry.lower()):
            allowed.append(entry.lower())
        else:
            problems.append(entry)
    return list(dict.fromkeys(allowed)), problems


def frame_ancestors() -> str:
    """The CSP source list of who may frame the widget."""
    allowed, _ = embed_origins(services().settings.embed_origins)
    return " ".join(["'self'", *allowed])


@bp.get("/embed")
def embed():
    g.frame_ancestors = frame_ancestors()
    state = parse_search_args(request.args, default_size=EMBED_SIZE, max_size=EMBED_MAX_SIZE)
    state.base = url_for("embed.embed")
    sort = state.sort if "sort" in request.args else "newest"
    result = run_search(state, sort=sort, highlight=False, facets=False)
    site_query = state.query_string(page=1, size=state.default_size, sort=sort)
    more = url_for("public.search_page") + (f"?{site_query}" if site_query else "")
    response = render_template("embed.html", state=state, result=result, more=more)
    return response, 200, {"Cache-Control": "public, max-age=300"}


# --- the snippet for admins ---------------------------------------------------------------

@admin_bp.get("/embed")
def embed_snippet():
    pasted = request.args.get("from", "").strip()
    if pasted:  # a search's address pasted from the address bar: its conditions
        return redirect(url_for("admin.embed_snippet") + search_of_address(pasted, request.args))
    state = parse_search_args(request.args, default_size=EMBED_SIZE, max_size=EMBED_MAX_SIZE)
    query = state.query_string(page=1, sort=state.sort)
    src = site_url() + url_for("embed.embed") + (f"?{query}" if query else "")
    allowed, problems = embed_origins(services().settings.embed_origins)
    snippet = (f'<iframe src="{src}" title="政策超市 · 最新惠企政策" width="100%" '
               f'height="{EMBED_HEIGHT}" style="border:0;max-width:100%" loading="lazy" '
               f'referrerpolicy="strict-origin-when-cross-origin"></iframe>')
    g.csp_extra = {"frame-src": "'self'"}  # the page previews the widget
    return render_template("admin/embed.html", state=state, src=src, snippet=snippet,
                           preview=url_for("embed.embed") + (f"?{query}" if query else ""),
                           allowed=allowed, problems=problems, description=describe_search(state),
                           height=EMBED_HEIGHT, size_max=EMBED_MAX_SIZE,
                           site_search=site_url() + url_for("public.search_page"))



def search_of_address(address: str, args) -> str:
    """The query string ("?region=…") of a search page's address (or of its part after "?"),
    with the widget's size kept; the search page's own page and sort are left out."""
    query = urlsplit(address).query if "://" in address or address.startswith("/") else address
    pairs = [(k, v) for k, v in parse_qsl(query.lstrip("?"), keep_blank_values=False)
             if k in PARAM_ORDER and k not in ("page", "size", "sort")]
    if args.get("size"):
        pairs.append(("size", args["size"]))
    return "?" + urlencode(pairs) if pairs else ""
