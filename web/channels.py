"""The channels out, on the staff pages: the 公众号 digest (/staff/digest, preview and copy)
and the 政策汇编 (/staff/export.docx, /staff/export.xlsx) of any search.

The views join the staff blueprint (web.staff imports this module), so its role check and
headers cover them. Every page takes the search parameters of /api/search: a search made on
the site turns into a digest or a booklet by carrying its query string over.
"""
from __future__ import annotations

import io
from urllib.parse import quote

from flask import abort, g, render_template, request, send_file, url_for

from policy_search import booklet as booklets
from policy_search import digest as digests
from policy_search.deadlines import china_today
from policy_search.taxonomy import current_taxonomy
from web.app import services
from web.originals import original_link, site_url
from web.params import SearchState, parse_search_args
from web.searching import index_usable
from web.selection import describe_search, newest
from web.staff import bp as staff_bp

DIGEST_MAX = 200  # policies in one digest


def search_state() -> SearchState:
    settings = services().settings
    state = parse_search_args(request.args, default_size=settings.search_page_size,
                              max_size=settings.search_max_page_size)
    state.base = url_for("public.search_page")
    return state


def support_order() -> list[str]:
    facet = current_taxonomy(services().store).facets.get("support")
    return [v.value for v in facet.values] if facet else []


# --- the 公众号 digest -------------------------------------------------------------------

@staff_bp.get("/digest")
def digest_page():
    state = search_state()
    fmt = request.args.get("format", "wechat")
    fmt = fmt if fmt in digests.FORMATS else "wechat"
    grouping = request.args.get("group", "support")
    grouping = grouping if grouping in digests.GROUPINGS else "support"
    since = request.args.get("since", "7d").strip()[:20] or "7d"
    error, text, digest = None, "", None
    if not index_usable():
        error = "检索索引尚未建立或暂不可用，暂时无法生成推文，请稍后再试。"
    else:
        try:
            digest = make_digest(state, since, grouping)
            text = digests.render(digest, fmt)
        except digests.PeriodError as exc:
            error = str(exc)
    if request.args.get("download") == "1" and digest is not None:
        suffix = {"wechat": "html", "html": "html", "markdown": "md", "text": "txt"}[fmt]
        return _download(text.encode("utf-8"), f"政策推文-{digest.end:%Y%m%d}.{suffix}",
                         "text/plain; charset=utf-8" if suffix != "html" else "text/html; charset=utf-8")
    if fmt == "wechat":
        g.csp_extra = {"style-src-attr": "'unsafe-inline'"}  # the preview's inline styles
    query = state.query_string(page=1)
    return render_template(
        "staff/digest.html", state=state, fmt=fmt, grouping=grouping, since=since, error=error,
        text=text, digest=digest, formats=digests.FORMATS, groupings=digests.GROUPINGS,
        query=query, description=describe_search(state), export_max=services().settings.export_max_policies,
    )


def make_digest(state: SearchState, since: str, grouping: str) -> digests.Digest:
    today = china_today()
    start = digests.period_start(since, today)
    chosen = newest(services().index, state, DIGEST_MAX, since=start, until=today)
    store = services().store
    policies = store.get_policies([h.id for h in chosen.hits])
    title = request.args.get("title", "").strip()[:60] or f"惠企政策速递（{digests.period_words(start, today)}）"
    query = state.query_string(page=1, sort="newest")
    return digests.build_digest(
        policies, store.get_cards([p.id for p in policies]), start=start, end=today, title=title,
        description=describe_search(state), grouping=grouping, order=support_order(),
        link_for=lambda p: site_url(url_for("public.policy_page", policy_id=p.id)),
        more_link=site_url(url_for("public.search_page") + (f"?{query}" if query else "")))


# --- the 政策汇编 --------------------------------------------------------------------------

@staff_bp.get("/export.<fmt>")
def export(fmt: str):
    if fmt not in booklets.FORMATS:
        abort(404)
    if not index_usable():
        abort(503)
    state = search_state()
    book = make_booklet(state, request.args.get("title", ""))
    out = io.BytesIO()
    booklets.write(book, fmt, out)
    return _download(out.getvalue(), f"惠企政策汇编-{book.day:%Y%m%d}.{fmt}", booklets.MEDIA_TYPES[fmt])


def make_booklet(state: SearchState, title: str = "") -> booklets.Booklet:
    svc = services()
    limit = max(1, svc.settings.export_max_policies)
    chosen = newest(svc.index, state, limit)
    policies = svc.store.get_policies([h.id for h in chosen.hits])
    return booklets.Booklet(
        title=title.strip()[:60] or "惠企政策汇编", description=describe_search(state),
        policies=policies, cards=svc.store.get_cards([p.id for p in policies]),
        total=chosen.total, limit=limit, day=china_today(), order=support_order(),
        page_url=lambda p: site_url(url_for("public.policy_page", policy_id=p.id)),
        original_url=lambda p: original_link(p.url))


def _download(data: bytes, filename: str, mimetype: str):
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True,
                         download_name=filename)
    # RFC 6266: a UTF-8 name for browsers, an ASCII one for the rest
    ascii_name = filename.encode("ascii", "ignore").decode() or "download"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name.lstrip('-')}\"; filename*=UTF-8''{quote(filename)}")
    return response
