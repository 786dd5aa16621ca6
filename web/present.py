"""Turning store records and search results into what pages and the API show.

Crawled HTML is untrusted: the body is re-sanitized with nh3 on every render (the
store keeps a sanitized copy too, but the site does not rely on another layer's
allow-list), and everything else goes through Jinja's escaping.
"""
from __future__ import annotations

import html
import re
from dataclasses import asdict

import nh3
from markupsafe import Markup, escape

from index.api import Hit, SearchResult
from policy_search.domain.models import LEVEL_NAMES, TAG_FACETS, Policy

# Structure a policy needs (paragraphs, lists, tables, emphasis, links), nothing active.
BODY_TAGS = {
    "p", "br", "div", "span", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "u",
    "sub", "sup", "ul", "ol", "li", "table", "thead", "tbody", "tfoot", "tr", "th", "td",
    "caption", "colgroup", "col", "blockquote", "pre", "hr", "a",
}
BODY_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"},
                   "th": {"colspan", "rowspan"}, "col": {"span"}}
_CLEAN_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg",
                  "math", "form", "textarea", "select", "title", "head"}


def sanitize_body(body: str) -> Markup:
    """Crawled body HTML reduced to structure; links only to http(s) and made inert."""
    cleaned = nh3.clean(
        body or "", tags=BODY_TAGS, clean_content_tags=_CLEAN_CONTENT,
        attributes=BODY_ATTRIBUTES, url_schemes={"http", "https"},
        link_rel="noopener noreferrer nofollow", strip_comments=True,
    )
    return Markup(cleaned)


def paragraphs(text: str) -> list[str]:
    """Plain body text split into paragraphs for templates that have no HTML body."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def safe_snippet(snippet: str) -> Markup:
    """A snippet from the index, re-checked: everything escaped except <mark> and </mark>.

    The index already escapes, but the page must stay safe even if a backend does not:
    escape the lot, then restore only the exact highlight tags.
    """
    # Unescape the index's own escaping first so nothing is escaped twice.
    plain = (snippet or "").replace("\x00", "").replace("\x01", "")
    plain = html.unescape(plain.replace("<mark>", "\x00").replace("</mark>", "\x01"))
    escaped = str(escape(plain))
    return Markup(escaped.replace("\x00", "<mark>").replace("\x01", "</mark>"))


def safe_url(url: str | None) -> str | None:
    """A crawled link fit for href: http(s) only, so no javascript: or data: URL gets in."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None


_MEDIA_LABELS = (("pdf", "PDF"), ("wordprocessingml", "Word"), ("msword", "Word"),
                 ("spreadsheetml", "Excel"), ("ms-excel", "Excel"), ("presentationml", "PPT"),
                 ("zip", "压缩包"), ("rar", "压缩包"), ("ofd", "OFD"), ("wps", "WPS"),
                 ("image/", "图片"), ("text/", "文本"))


def media_label(media_type: str | None, name: str = "") -> str:
    """A short file-type label (PDF, Word …) instead of a long MIME type."""
    lowered = (media_type or "").lower()
    for needle, label in _MEDIA_LABELS:
        if needle in lowered:
            return label
    suffix = name.rsplit(".", 1)[-1].upper() if "." in name else ""
    return suffix if 0 < len(suffix) <= 5 else ""


def level_name(level: str | None) -> str:
    return LEVEL_NAMES.get(level or "", level or "")


# 适用范围: the level at which a policy applies, as a kind of policy.
SCOPE_NAMES = {"national": "全国性政策", "provincial": "省级政策", "city": "市级政策",
               "county": "县（区）级政策"}
HUIQI_LABELS = {"是": "惠企政策", "否": "其他文件"}


def facet_value_label(facet: str, value: str) -> str:
    """How a facet value reads on the page (the value in the URL stays as it is)."""
    if facet == "level":
        return level_name(value)
    if facet == "scope":
        return SCOPE_NAMES.get(value, value)
    if facet == "huiqi":
        return HUIQI_LABELS.get(value, value)
    if facet == "validity" and value == "all":
        return "全部（含失效、废止）"
    return value


def hit_json(hit: Hit) -> dict:
    """One hit in the public API shape."""
    return {
        "id": hit.id, "url": hit.url, "title": hit.title, "issuer": hit.issuer,
        "doc_number": hit.doc_number, "level": hit.level, "region": hit.region,
        "publish_date": hit.publish_date, "validity": hit.validity,
        "kind": hit.doc_kind, "huiqi": hit.huiqi,
        "tags": hit.tags, "snippet": str(safe_snippet(hit.snippet)),
        # an addition: where the policy applies (region is where it was issued)
        "applies_in": hit.applies_in or ([hit.region] if hit.region else []),
    }


def facets_json(result: SearchResult) -> dict:
    return {key: [{"value": f.value, "count": f.count} for f in counts]
            for key, counts in result.facets.items()}


def result_json(result: SearchResult) -> dict:
    """The public `/api/search` shape (a public interface: keep keys stable)."""
    body = {
        "total": result.total, "page": result.page, "size": result.size,
        "took_ms": round(result.took_ms, 2),
        "hits": [hit_json(h) for h in result.hits],
        "facets": facets_json(result),
    }
    # Extra, optional keys: clients that know only the documented ones ignore them.
    if result.suggestion:
        body["suggestion"] = result.suggestion
    if result.message:
        body["message"] = result.message
    rewrite = getattr(result, "rewrite", None)
    if rewrite:
        body["rewrite"] = {"note": rewrite.note, "searched": rewrite.searched,
                           "dropped": rewrite.dropped, "mapped": rewrite.mapped}
    return body


def policy_json(policy: Policy) -> dict:
    """The full record for `/api/policies/<id>`; the body HTML sanitized like the page's."""
    data = asdict(policy)
    data["body_html"] = str(sanitize_body(policy.body_html))
    data["level_name"] = level_name(policy.level)
    data["active_tags"] = policy.active_tags()
    data["tags"] = [
        {"facet": t.facet, "value": t.value, "origin": t.origin,
         "confidence": t.confidence, "suggestion": is_suggestion(policy, t)}
        for t in policy.tags if not t.rejected
    ]
    return data


def is_suggestion(policy: Policy, tag) -> bool:
    """An auto tag no staff member decided on is a suggestion (a reviewed policy has none
    left: review_queue marks a policy reviewed only then; a later re-tagging may add some)."""
    return tag.origin == "auto"


def tag_groups(policy: Policy) -> list[tuple[str, str, list]]:
    """(facet key, facet name, [tags]) for the policy page, rejected tags left out."""
    groups = []
    for key, name in TAG_FACETS.items():
        tags = [t for t in policy.tags if t.facet == key and not t.rejected]
        if tags:
            groups.append((key, name, tags))
    return groups


_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: object) -> str:
    """Text safe to put into XML (the feed): characters XML forbids removed."""
    return _INVALID_XML.sub("", str(value or ""))
