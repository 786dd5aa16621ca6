"""The Whoosh schema and how a Policy becomes an index document.

Text fields are jieba-analyzed (`index.analysis`); facets are keyword fields that
hold every value. Two region fields: `applies` holds the codes of where a policy applies
(its issuing region unless its text restricts it: `policy_search.domain.applicability`), so "applies
in 长沙县" is one lookup of 长沙县 and its parents (长沙市, 湖南省, 全国); `region` holds the
issuing code and all its parents, so "issued in 湖南省" includes 长沙市 and 长沙县 documents. What a result line shows
is stored as one JSON blob; the body is stored zlib-compressed for snippets only.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import zlib

from whoosh.fields import ID, NUMERIC, STORED, Schema

from index.analysis import ANALYSIS_VERSION, JiebaTokenizer, PolicyText
from policy_search.domain.applicability import applicability_of
from policy_search.domain.deadlines import CLOSED, china_today, policy_status
from policy_search.domain.kinds import OTHER, huiqi_label
from policy_search.domain.models import Policy
from policy_search.domain.normalize import doc_number_canonical, doc_number_key
from policy_search.domain.regions import parent_codes, region_name
from policy_search.domain.subjects import subject_label, subject_prefixes

# Bump when fields change; with the analysis version it names index directories,
# so an old-format index is never opened with new code.
SCHEMA_VERSION = f"s8{ANALYSIS_VERSION}"  # s8: the body's headings in `meta`
SNIPPET_SOURCE_CHARS = 60_000
TEXT_FIELDS = ("title", "body", "docno", "meta")
# A line that is nothing but a heading: a Markdown heading, a chapter or section
# (第三章 注销登记), or a short numbered line without a sentence's punctuation
# (二、支持对象). Numbered lines that run on into a sentence are provisions, not headings.
_HEADING = re.compile(
    r"^[ \t\u3000]*(?:#{1,6}[ \t\u3000]*[^\n]{1,60}"
    r"|第[一二三四五六七八九十百零〇]{1,4}(?:章|节|编|部分)[ \t\u3000]*[^\n]{1,40}"
    r"|[一二三四五六七八九十]{1,3}、[^。；;\n]{1,30})[ \t\u3000]*$", re.M)
# Facet key (index.api.FACETS) -> index field counted for it.
# `region` (applies in) is counted from `applies` per region and its parents (index.search).
FACET_FIELDS = {
    "level": "level", "region": "applies", "scope": "scope", "issued_region": "region_name",
    "industry": "industry", "support": "support",
    "enterprise": "enterprise", "issuer": "issuer", "year": "year", "validity": "validity",
    "kind": "kind", "huiqi": "huiqi", "deadline": "deadline", "subject": "subject",
}
KEYWORD_FIELDS = ("level", "region", "region_name", "applies", "scope", "industry", "support",
                  "enterprise", "issuer", "year", "validity", "kind", "huiqi", "review_state",
                  "deadline", "subject")


def index_day() -> dt.date:
    """The day a document's 申报状态 is indexed for (the build or sync day).

    A status changes with the day; the daily `policy-search card refresh` logs the
    policies whose status may have changed, and sync re-indexes them.
    """
    return china_today()


def make_schema() -> Schema:
    analyzer = JiebaTokenizer()
    return Schema(
        id=ID(stored=True, unique=True),
        title=PolicyText(analyzer=analyzer, phrase=True),
        body=PolicyText(analyzer=analyzer, phrase=True),
        docno=PolicyText(analyzer=analyzer, phrase=True),
        meta=PolicyText(analyzer=analyzer, phrase=False),
        docno_key=ID,
        level=ID, region=ID, region_name=ID, applies=ID, scope=ID, industry=ID, support=ID,
        enterprise=ID, issuer=ID, year=ID, validity=ID, kind=ID, huiqi=ID, review_state=ID,
        deadline=ID, subject=ID,
        pubdate=NUMERIC(int, bits=32, sortable=True, default=0),
        # the end of the application window that matters on the index day (yyyymmdd)
        deadline_end=NUMERIC(int, bits=32, sortable=True, default=0),
        # lexical richness of the body x 10 (index.ranking.lexical_breadth)
        breadth=NUMERIC(int, bits=32, sortable=True, default=0),
        hit=STORED, text=STORED,
    )


def texts_of(policy: Policy) -> dict[str, str]:
    """The analyzed text of each text field."""
    body = policy.body_text or ""
    extra = [a.name + "\n" + (a.text or "") for a in policy.attachments if a.name or a.text]
    if extra:
        body = body + "\n" + "\n".join(extra)
    return {
        "title": policy.title or "",
        "body": body,
        "docno": " ".join(x for x in (policy.doc_number, policy.index_number) if x),
        # what describes the document besides its title: issuer, subject, and the
        # body's headings (a chapter 注销登记 says the document is about it)
        "meta": "\n".join(x for x in (policy.issuer, subject_label(policy.subject),
                                       *headings(policy.body_text or "")) if x),
    }


def headings(text: str) -> list[str]:
    """The lines of a body that are headings (chapters, numbered section titles): a
    document with a chapter or section on a need is about it, not just mentioning it."""
    return [match.group(0).strip() for match in _HEADING.finditer(text)]


def split_issuers(value: str | None) -> list[str]:
    if not value:
        return []
    return [p for p in (s.strip() for s in re.split(r"[、,，;；/\s]+", value)) if p]


def date_number(value: str | None) -> int:
    digits = (value or "").replace("-", "")[:8]
    return int(digits) if len(digits) == 8 and digits.isdigit() else 0


def policy_region_name(policy: Policy) -> str | None:
    return policy.region_name or region_name(policy.region_code)


def deadline_status_on(policy: Policy, day: dt.date) -> tuple[str, dt.date | None]:
    """(申报状态, end of the window that matters) on `day` (policy_status decides, also
    without a deadline: an old call without one is closed)."""
    deadline = policy.deadline
    return policy_status(policy, day), deadline.next_end(day) if deadline else None


def keyword_fields(policy: Policy, day: dt.date | None = None) -> dict:
    """The facet / filter / sort fields of one policy (申报状态 as of `day`)."""
    tags = policy.active_tags()
    date = policy.publish_date or policy.written_date
    status, end = deadline_status_on(policy, day or index_day())
    applies = applicability_of(policy)
    fields = {
        "id": policy.id,
        "level": policy.level or None,
        "region": parent_codes(policy.region_code) or None,
        "region_name": policy_region_name(policy),
        "applies": list(applies.codes) or None,
        "scope": applies.level,
        "issuer": split_issuers(policy.issuer) or None,
        "year": date[:4] if date else None,
        "validity": policy.validity or "未知",
        "kind": policy.doc_kind or OTHER,
        "huiqi": huiqi_label(policy.huiqi),
        "review_state": policy.review_state or "new",
        # as published, and canonical (国办发|2019|6) for the ways people type it
        "docno_key": [k for k in dict.fromkeys((
            policy.doc_number_key or doc_number_key(policy.doc_number),
            doc_number_canonical(policy.doc_number))) if k],
        "pubdate": date_number(date),
        "deadline": status,
        "subject": subject_prefixes(policy.subject) or None,
        # only a window one can still apply in sorts first (an expired policy's does not)
        "deadline_end": date_number(end.isoformat()) if end and status != CLOSED else 0,
    }
    for facet in ("industry", "support", "enterprise"):
        fields[facet] = tags.get(facet) or None
    # ID fields take a list of values; a single string would be indexed as one term
    # either way, but keep None out (Whoosh skips None).
    return {k: v for k, v in fields.items() if v not in (None, "", [])}


def stored_fields(policy: Policy, day: dt.date | None = None) -> dict:
    status, end = deadline_status_on(policy, day or index_day())
    hit = {
        "url": policy.url, "title": policy.title, "issuer": policy.issuer,
        "doc_number": policy.doc_number, "level": policy.level,
        "region": policy_region_name(policy), "region_code": policy.region_code,
        "publish_date": policy.publish_date or policy.written_date,
        "validity": policy.validity or "未知", "doc_kind": policy.doc_kind or OTHER,
        "huiqi": bool(policy.huiqi),
        "tags": policy.active_tags(), "review_state": policy.review_state,
        "expiry_date": policy.expiry_date, "effective_date": policy.effective_date,
        "deadline_status": status, "deadline_end": end.isoformat() if end else None,
        "applies_in": applicability_of(policy).names(),
    }
    text = (policy.body_text or "")[:SNIPPET_SOURCE_CHARS]
    return {
        "hit": json.dumps(hit, ensure_ascii=False),
        "text": zlib.compress(text.encode("utf-8"), 1),
    }


def load_hit(stored: dict) -> dict:
    return json.loads(stored.get("hit") or "{}")


def load_text(stored: dict) -> str:
    blob = stored.get("text")
    return zlib.decompress(blob).decode("utf-8") if blob else ""
