"""What the public pages show beyond the document: its card, its 申报状态 with a countdown,
and its validity with the repeal links.

Statuses depend on the day asked, so they are computed on every render (server-side:
the public pages ship no JavaScript). The day is China's, where the deadlines are.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from policy_search.domain.card import CARD_FIELDS, CardItem
from index.api import Hit
from policy_search.domain.applicability import applicability_of
from policy_search.domain.deadlines import (CLOSED, CLOSING, CLOSING_DAYS, LONG_TERM, NOT_STARTED, OPEN,
                                     OUT_OF_FORCE, UNKNOWN, china_today, policy_status, to_date)
from policy_search.domain.kinds import DOC_KINDS, HUIQI_MEASURE
from policy_search.domain.models import Policy

# status -> CSS class of its badge
STATUS_CLASSES = {"申报中": "open", "即将截止": "closing", "未开始": "upcoming", "已截止": "closed",
                  "长期有效": "long-term", "未知": "unknown"}


def today() -> dt.date:
    return china_today()


@dataclass
class DeadlineView:
    status: str
    css: str
    window: str                 # "2023-10-01 至 2023-10-31", "每年3月31日前" …
    end: dt.date | None         # the end that matters today
    days_left: int | None       # only while applications are open
    countdown: str              # "还剩 12 天" …
    evidence: str


def deadline_view(policy: Policy, day: dt.date | None = None) -> DeadlineView | None:
    """The policy's 申报状态 today; None when nothing is known about a window."""
    deadline = policy.deadline
    day = day or today()
    status = policy_status(policy, day)
    if deadline is None or deadline.kind == "unknown":
        if status == CLOSED:  # a call whose window was never found: out of force, or long past
            why = (f"政策已{policy.validity}" if policy.validity in OUT_OF_FORCE
                   else "未见申报时间，按发布时间或标题中的年份推断已截止")
            return DeadlineView(status=status, css=STATUS_CLASSES.get(status, "unknown"),
                                window=why, end=None, days_left=None, countdown="", evidence="")
        if deadline is None:
            return None
    end = deadline.next_end(day)
    days = deadline.days_left(day) if status in (OPEN, CLOSING) else None
    return DeadlineView(status=status, css=STATUS_CLASSES.get(status, "unknown"),
                        window=deadline.describe(), end=end, days_left=days,
                        countdown=countdown_text(status, days, deadline.window_on(day)[0], day),
                        evidence=deadline.evidence or deadline.text)


def countdown_text(status: str, days: int | None, start: dt.date | None, day: dt.date) -> str:
    if status in (OPEN, CLOSING) and days is not None:
        return "今天截止" if days == 0 else f"还剩 {days} 天"
    if status == NOT_STARTED and start is not None:
        return f"{(start - day).days} 天后开始"
    return ""  # 已截止 / 长期有效 / 未知: the status says it all


@dataclass
class HitDeadline:
    status: str
    css: str
    detail: str       # "截止 2023-05-31 · 还剩 12 天", "" when the status says it all


def hit_deadline(hit: Hit, day: dt.date | None = None) -> HitDeadline | None:
    """The 申报状态 a result line shows, with the date that matters; None when unknown.

    The index holds the status of the day it indexed the policy (refreshed daily); a window
    that ended since reads as closed, one that came within 14 days as closing.
    """
    status = hit.deadline_status
    if not status or status == UNKNOWN:
        return None
    day = day or today()
    end = to_date(hit.deadline_end)
    detail = ""
    if end is not None and status != LONG_TERM:
        if status in (OPEN, CLOSING, NOT_STARTED) and end < day:
            status = CLOSED
        elif status == OPEN and (end - day).days <= CLOSING_DAYS:
            status = CLOSING
        detail = f"截止 {end.isoformat()}"
        if status in (OPEN, CLOSING):
            left = (end - day).days
            detail += " · 今天截止" if left == 0 else f" · 还剩 {left} 天"
    return HitDeadline(status, STATUS_CLASSES.get(status, "unknown"), detail)


def deadline_line(view: DeadlineView | None) -> HitDeadline | None:
    """A policy's 申报状态 as a result line shows it (the 政策计算器 loads whole policies)."""
    if view is None or view.status == UNKNOWN:
        return None
    detail = ""
    if view.status in (OPEN, CLOSING) and view.end is not None:
        detail = f"截止 {view.end.isoformat()} · {view.countdown}" if view.countdown else \
            f"截止 {view.end.isoformat()}"
    elif view.status == NOT_STARTED:
        detail = view.countdown
    return HitDeadline(view.status, view.css, detail)


# What a result line shows at a glance: kind, 申报状态 with its date, validity, where.
VALIDITY_CLASSES = {"有效": "valid", "失效": "invalid", "废止": "invalid", "部分失效": "partial"}
VALIDITY_SHOWN = {"未知": "未注明"}   # a bare "未知" says nothing: the source did not state it
PLACE_LEVELS = {"national": "国家级", "provincial": "省级", "city": "市级", "county": "县级"}
KINDS_NOT_SHOWN = ("其他",)
# CSS class suffix per document kind (ASCII: class names stay simple)
KIND_CLASSES = {kind: f"k{number}" for number, kind in enumerate(DOC_KINDS)}
SUPPORT_CHARS = 60


@dataclass
class Glance:
    kind: str                     # "" when the kind says nothing (其他)
    kind_css: str
    huiqi: bool                   # gives enterprises something, though not a 惠企措施 itself
    deadline: HitDeadline | None
    validity: str                 # "有效性：有效"
    validity_css: str
    place: str                    # "县级 · 长沙县", "国家级"
    support: str                  # the first 支持标准, shortened; "" when not known


def validity_text(validity: str | None) -> str:
    return VALIDITY_SHOWN.get(validity or "未知", validity or "未知")


def validity_label(validity: str | None) -> str:
    return "有效性：" + validity_text(validity)


def place_label(level: str | None, region: str | None = None) -> str:
    parts = [PLACE_LEVELS.get(level or "", "")]
    if region and not (level == "national" and region == "全国"):
        parts.append(region)
    return " · ".join(p for p in parts if p)


def support_line(text: str | None) -> str:
    """The first 支持标准 item without its numbering, cut to one line."""
    line = _NUMBERING.sub("", " ".join((text or "").split())).strip()
    return line if len(line) <= SUPPORT_CHARS else line[:SUPPORT_CHARS - 1] + "…"


def glance(*, kind: str | None, huiqi: bool | None, validity: str | None, level: str | None,
           region: str | None, deadline: HitDeadline | None, support: str | None) -> Glance:
    return Glance(kind="" if not kind or kind in KINDS_NOT_SHOWN else kind,
                  kind_css=KIND_CLASSES.get(kind or "", "other"),
                  huiqi=bool(huiqi) and kind != HUIQI_MEASURE, deadline=deadline,
                  validity=validity_label(validity),
                  validity_css=VALIDITY_CLASSES.get(validity or "", "unknown"),
                  place=place_label(level, region),
                  # what a document that gives enterprises nothing "supports" (a work report's
                  # figures, aid to persons) is nothing a firm can claim
                  support=support_line(support) if huiqi else "")


def hit_glances(store, hits: list[Hit], day: dt.date | None = None) -> dict[str, Glance]:
    """Glances of a page of hits; their 支持标准 read from the store in one query."""
    support = store.cards.first_items([h.id for h in hits], "support") if hits else {}
    day = day or today()
    return {h.id: glance(kind=h.doc_kind, huiqi=h.huiqi, validity=h.validity, level=h.level,
                         region=h.region, deadline=hit_deadline(h, day),
                         support=support.get(h.id))
            for h in hits}


def policy_glance(policy: Policy, deadline: DeadlineView | None, support: str | None) -> Glance:
    return glance(kind=policy.doc_kind, huiqi=policy.huiqi, validity=policy.validity,
                  level=policy.level, region=policy.region_name,
                  deadline=deadline_line(deadline), support=support)


# A numbering mark at the start ("（二）", "3.") and punctuation: not what an item says.
_NUMBERING = re.compile(r"^\s*(?:[（(][一二三四五六七八九十\d]{1,3}[)）]|[一二三四五六七八九十\d]{1,3}[、.．])")
_PUNCTUATION = re.compile(r"[\s。；;，,：:！!？?、]")


@dataclass
class CardEntry:
    value: str
    evidence: str   # empty when the sentence says no more than the value


@dataclass
class CardFieldView:
    key: str
    label: str
    entries: list[CardEntry] = field(default_factory=list)
    by_staff: bool = False


def _bare(text: str) -> str:
    return _PUNCTUATION.sub("", _NUMBERING.sub("", text or ""))


def card_entry(item: CardItem) -> CardEntry:
    evidence = item.evidence if _bare(item.evidence) not in ("", _bare(item.value)) else ""
    return CardEntry(item.value, evidence)


def card_views(store, policy: Policy) -> list[CardFieldView]:
    """The six card fields in order, each with its items and whether staff decided it."""
    card = store.cards.get(policy.id)
    staff = store.cards.field_origins(policy.id)
    views = []
    for key, label in CARD_FIELDS.items():
        items = card.get(key)
        by_staff = key in staff or any(i.origin == "staff" for i in items)
        views.append(CardFieldView(key, label, [card_entry(i) for i in items], by_staff))
    return views


@dataclass
class ValidityView:
    validity: str
    out_of_force: bool
    effective_date: str | None
    expiry_date: str | None
    repealed_by: Policy | None = None
    repeal_evidence: str = ""
    repeals: list[Policy] = field(default_factory=list)   # what this document repeals


def validity_view(store, policy: Policy) -> ValidityView:
    view = ValidityView(validity=policy.validity, out_of_force=policy.validity in OUT_OF_FORCE,
                        effective_date=policy.effective_date, expiry_date=policy.expiry_date)
    repealer_id = getattr(policy, "repealed_by", None)
    if repealer_id:
        view.repealed_by = store.policies.get(repealer_id)
        row = store.cards.derived_rows([policy.id]).get(policy.id) or {}
        view.repeal_evidence = row.get("repeal_evidence") or ""
    view.repeals = store.policies.get_many(store.cards.repealing(policy.id))
    return view


@dataclass
class AppliesView:
    places: str         # "湖南省（含所辖市、县）", "浦东新区", "全国"
    evidence: str       # the title or sentence that restricts it ("" when it does not)
    source: str         # issuer | title | text


def applies_view(policy: Policy) -> AppliesView | None:
    """Where the policy applies, for the policy page; None when its region is unknown."""
    applies = applicability_of(policy)
    if not applies.codes:
        return None
    places = "、".join(applies.names())
    if applies.level in ("provincial", "city") and len(applies.codes) == 1:
        places += "（含所辖市、县）" if applies.level == "provincial" else "（含所辖县、区）"
    return AppliesView(places, applies.evidence if applies.restricted else "", applies.source)

