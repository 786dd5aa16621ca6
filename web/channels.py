"""The channels out, on the staff pages: the 公众号 digest (/staff/digest, preview and copy)
and the 政策汇编 (/staff/export.docx, /staff/export.xlsx) of any search.

The views join the staff blueprint (web.staff imports this module), so its role check and
headers cover them. Every page takes the search parameters of /api/search: a search made on
the site turns into a digest or a booklet by carrying its query string over.
"""
from __future__ import annotations

import io

from flask import abort, g, render_template, request, send_file, url_for

from policy_search.domain import booklet as booklets
from policy_search.domain import digest as digests
from policy_search.domain.deadlines import china_today
from web.app import services, site_url
from web.originals import original_link
from web.params import SearchState, parse_search_args
from web.searching import index_usable
from web.selection import compose_booklet, compose_digest, describe_search
from web.staff import bp as staff_bp


def search_state() -> SearchState:
    settings = services().settings
    state = parse_search_args(request.args, default_size=settings.search_page_size,
                              max_size=settings.search_max_page_size)
    state.base = url_for("public.search_page")
    return state


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
    query = state.query_string(page=1, sort="newest")
    return compose_digest(
        services().index, services().store, state, since=since, today=china_today(),
        grouping=grouping, title=request.args.get("title", "").strip()[:60],
        link_for=lambda p: site_url() + url_for("public.policy_page", policy_id=p.id),
        more_link=site_url() + url_for("public.search_page") + (f"?{query}" if query else ""))


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
    return compose_booklet(
        svc.index, svc.store, state, limit=svc.settings.export_max_policies, today=china_today(),
        title=title.strip()[:60],
        page_url=lambda p: site_url() + url_for("public.policy_page", policy_id=p.id),
        original_url=lambda p: original_link(p.url))


def _download(data: bytes, filename: str, mimetype: str):
    # send_file writes the Chinese name as filename* (RFC 6266) with an ASCII fallback
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True,
                     download_name=filename)
