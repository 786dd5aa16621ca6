"""政策计算器 (/match): an entrepreneur describes the enterprise, the site lists the 惠企
policies in force that apply, each with why — which conditions match, which do not, which
are unknown. No login: the profile lives in the URL, so a result can be shared, bookmarked,
or followed as an Atom feed (/match/feed?<same parameters>); `show=unmet` also lists the
policies left out, with the condition that excludes each. `/api/match` (web/api.py) gives
the same as JSON.

Candidates come from the index (惠企 policies in force that apply in the enterprise's
region); without a usable index the store is scanned instead. The matching itself is
policy_search.domain.matching.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Blueprint, make_response, render_template, request, url_for

from index.api import Hit, SearchRequest
from policy_search.domain.matching import (MATCH, MISMATCH, NEEDS, OWNERSHIPS, QUALIFICATIONS, SIZES,
                                    UNKNOWN, EnterpriseProfile, MatchResult, match_policies,
                                    profile_filters)
from policy_search.domain.applicability import applicability_of
from policy_search.domain.models import Policy
from policy_search.domain.regions import (NATIONAL, all_regions, level_of_code, parent_codes,
                                          region_name)
from policy_search.domain.taxonomy import current_taxonomy
from web.app import services, site_url
from web.cards import Glance, deadline_view, policy_glance, today
from web.feeds import FEED_ENTRIES, atom_time
from web.present import xml_text
from web.searching import PAGE_MAX, index_usable

bp = Blueprint("match", __name__)

SHOWN = 50              # results listed on the page
CANDIDATE_PAGES = 4     # newest policies in force in the region: up to 400
NEED_PAGES = 1          # and up to 100 more offering what the enterprise needs
MAX_TEXT_CHARS = 60
MAX_CHOICES = 20
# 营业收入 (万元), 从业人数, 成立年限: plain non-negative numbers of a sane size.
_NUMBER = re.compile(r"\d{1,9}(?:\.\d{1,4})?")
STATUS_ORDER = {MATCH: 0, UNKNOWN: 1, MISMATCH: 2}
STATUS_CLASSES = {MATCH: "match", MISMATCH: "mismatch", UNKNOWN: "unknown"}
# Region select indentation per level (the page has no script, so a plain select).
_INDENT = {"national": "", "provincial": "", "city": "\u3000", "county": "\u3000\u3000"}


@dataclass
class RegionOption:
    code: str
    label: str


@dataclass
class MatchView:
    result: MatchResult
    policy: Policy
    deadline: object = None
    reasons: list = field(default_factory=list)   # sorted: 符合, 未知, 不符合
    glance: Glance | None = None


@dataclass
class MatchRun:
    total: int                 # policies that apply
    views: list[MatchView]     # the best of them (and, asked for, the excluded ones after)
    excluded: int = 0          # 惠企 candidates left out by a 不符合 condition


def region_options() -> list[RegionOption]:
    """全国, then each province with its cities and counties under it (by code): the
    deployment's regions and every region policies were issued in or apply in (浦东新区 by
    the title of a 上海市 regulation), with the divisions above them."""
    # the index holds both where its documents apply and where they were issued; without a
    # usable index the store tells where they were issued
    found = (services().index.region_codes() if index_usable()
             else services().store.policies.region_codes())
    codes = {r.code for r in all_regions()} | set(found)
    listed = {p for code in codes for p in parent_codes(code) if region_name(p)}
    nested = sorted(listed, key=lambda c: (c != NATIONAL, c[:2], c[2:4] != "00", c[:4], c))
    return [RegionOption(c, _INDENT.get(level_of_code(c), "") + region_name(c)) for c in nested]


def industry_values() -> list[str]:
    facet = current_taxonomy(services().store).facets.get("industry")
    return [v.value for v in facet.active_values() if v.value != "不限行业"] if facet else []


def read_profile(args) -> tuple[EnterpriseProfile, list[str]]:
    """The profile in the URL, values outside the form's choices dropped (with a notice)."""
    profile, problems = read_profile_strictly(args)
    return profile, [notice for _param, notice, _problem in problems]


def read_profile_strictly(args) -> tuple[EnterpriseProfile, list[tuple[str, str, str]]]:
    """The profile and every (parameter, notice, problem) found: the page shows the
    notices (the problem and what the page did about it), /api/match answers 400 with the
    first problem (it does nothing about it)."""
    notes: list[tuple[str, str, str]] = []

    def note(key: str, problem: str, done: str) -> None:
        notes.append((key, f"{problem}，{done}。", f"{problem}。"))

    params: dict[str, list[str]] = {}
    for key in ("region", "industry", "size", "ownership"):
        value = (args.get(key) or "").strip()[:MAX_TEXT_CHARS]
        if value:
            params[key] = [value]
    for key, label in (("revenue", "营业收入"), ("employees", "从业人数"), ("age", "成立年限")):
        value = (args.get(key) or "").strip()
        if not value:
            continue
        if _NUMBER.fullmatch(value):
            params[key] = [value]
        else:
            note(key, f"{label}应为不小于 0 的数字", "已按未填写计算")
    for key in ("qual", "need"):
        params[key] = [v[:MAX_TEXT_CHARS] for v in args.getlist(key)[:MAX_CHOICES]]
    profile = EnterpriseProfile.from_params(params)
    if params.get("region") and profile.region_code is None:
        note("region", "未识别所填的地区", "已按不限地区计算")
    if profile.industry and profile.industry not in industry_values():
        note("industry", "未识别所填的行业", "已按未填写计算")
        profile.industry = None
    if profile.ownership and profile.ownership not in OWNERSHIPS:
        note("ownership", "未识别所填的所有制类型", "已按未填写计算")
        profile.ownership = None
    if params.get("size") and params["size"][0] not in SIZES:
        note("size", f"企业规模应为 {' / '.join(SIZES)}", "已按营业收入、从业人数判断")
    unknown = [q for q in profile.qualifications if q not in QUALIFICATIONS]
    if unknown:
        notes.append(("qual", "未识别的资质已忽略：" + "、".join(unknown[:5]),
                      "未识别的资质：" + "、".join(unknown[:5])))
        profile.qualifications = [q for q in profile.qualifications if q in QUALIFICATIONS]
    needs = [n for v in params.get("need", []) for n in re.split(r"[,，、]", v) if n.strip()]
    unknown_needs = [n.strip() for n in needs if n.strip() not in NEEDS]
    if unknown_needs:
        notes.append(("need", "未识别的需求已忽略：" + "、".join(unknown_needs[:5]),
                      "未识别的需求：" + "、".join(unknown_needs[:5])))
    return profile, notes


def profile_query(profile: EnterpriseProfile) -> str:
    return urlencode(profile.to_params(), doseq=True)


def candidate_policies(profile: EnterpriseProfile) -> list[Policy]:
    """Policies in force that apply in the enterprise's region, newest first."""
    store = services().store
    filters = profile_filters(profile)
    if not index_usable():
        return [p for p in store.policies.iter_all() if _passes(p, filters)]
    searches = []
    wanted = sorted({v for need in profile.needs for v in NEEDS.get(need, ())})
    if wanted:
        searches.append(({**filters, "support": wanted}, NEED_PAGES))
    searches.append((filters, CANDIDATE_PAGES))
    ids: dict[str, None] = {}
    for search_filters, pages in searches:
        for page in range(1, pages + 1):
            result = services().index.search(SearchRequest(
                filters=search_filters, sort="newest", page=page, size=PAGE_MAX,
                highlight=False, facets=False))
            ids.update((hit.id, None) for hit in result.hits)
            if page * PAGE_MAX >= result.total:
                break
    return store.policies.get_many(list(ids))


def _passes(policy: Policy, filters: dict[str, list[str]]) -> bool:
    """The index's filters applied to a store record (the fallback without an index)."""
    if policy.validity not in filters.get("validity", [policy.validity]):
        return False
    if "huiqi" in filters and ("是" if policy.huiqi else "否") not in filters["huiqi"]:
        return False
    regions = filters.get("region")
    return not regions or any(applicability_of(policy).applies_in(code) for code in regions)


def run_match(profile: EnterpriseProfile, *, shown: int = SHOWN, skip: int = 0,
              with_excluded: bool = False) -> MatchRun:
    """The applicable policies, best first (`shown` of them from `skip`), with their reasons;
    with_excluded: the ones a 不符合 condition leaves out follow, each saying why."""
    store = services().store
    policies = candidate_policies(profile)
    cards = store.cards.get_many([p.id for p in policies])
    by_id = {p.id: p for p in policies}
    day = today()
    results = match_policies(profile, [(p, cards.get(p.id)) for p in policies], today=day,
                             include_unmet=True)
    applicable = [r for r in results if r.applies]
    excluded = [r for r in results if not r.applies]
    listed = applicable[skip:skip + shown] + (excluded[:shown] if with_excluded else [])
    views = []
    for result in listed:
        policy = by_id[result.policy_id]
        order = STATUS_ORDER if result.applies else {MISMATCH: 0, MATCH: 1, UNKNOWN: 2}
        reasons = sorted(result.reasons, key=lambda r: order.get(r.status, 3))
        deadline = deadline_view(policy, day)
        support = cards[policy.id].get("support") if policy.id in cards else []
        views.append(MatchView(result, policy, deadline, reasons, policy_glance(
            policy, deadline, support[0].value if support else None)))
    return MatchRun(len(applicable), views, len(excluded))


@bp.get("/match")
def match_page():
    profile, notes = read_profile(request.args)
    query = profile_query(profile)
    show_unmet = request.args.get("show") == "unmet"
    run = run_match(profile, with_excluded=show_unmet) if query else MatchRun(0, [])
    views = [v for v in run.views if v.result.applies]
    excluded_views = [v for v in run.views if not v.result.applies]
    toggle = url_for("match.match_page") + "?" + query + ("" if show_unmet else "&show=unmet")
    return render_template(
        "match.html", profile=profile, notes=notes, total=run.total, views=views, query=query,
        excluded=run.excluded, excluded_views=excluded_views, show_unmet=show_unmet,
        toggle_url=toggle,
        share_url=url_for("match.match_page", _external=True) + (f"?{query}" if query else ""),
        feed_url=url_for("match.match_feed") + (f"?{query}" if query else ""),
        regions=region_options(), industries=industry_values(), sizes=SIZES,
        ownerships=OWNERSHIPS, qualifications=QUALIFICATIONS, needs=list(NEEDS),
        region_label=region_name(profile.region_code) or "", status_classes=STATUS_CLASSES,
        shown=SHOWN,
    )


@bp.get("/match/feed")
def match_feed():
    """The applicable policies as Atom, newest first: new policies that fit show up."""
    profile, _notes = read_profile(request.args)
    query = profile_query(profile)
    views = run_match(profile).views if query else []
    views.sort(key=lambda v: v.policy.publish_date or "", reverse=True)
    entries = []
    for view in views[:FEED_ENTRIES]:
        policy = view.policy
        entries.append({
            "hit": hit_of(policy),
            "link": url_for("public.policy_page", policy_id=policy.id, _external=True),
            "updated": atom_time(policy.updated_at or policy.publish_date),
            "published": atom_time(policy.publish_date),
            "summary": xml_text(reasons_text(view)),
        })
    title = "政策超市 · 政策计算器" + (f" · {profile.describe()}" if profile.describe() else "")
    page_url = url_for("match.match_page", _external=True) + (f"?{query}" if query else "")
    response = make_response(render_template(
        "feed.xml", entries=entries, title=xml_text(title),
        self_url=site_url() + request.full_path.rstrip("?"), alternate=page_url, feed_id=f"{site_url()}/match/feed?{query}",
        updated=max((e["updated"] for e in entries), default=atom_time(None)),
        xml_text=xml_text,
    ))
    response.headers["Content-Type"] = "application/atom+xml; charset=utf-8"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


API_STATUS = {MATCH: "met", MISMATCH: "unmet", UNKNOWN: "unknown"}
SUPPORT_SHOWN = 3


def profile_json(profile: EnterpriseProfile) -> dict:
    """The profile as understood (after dropping what was not recognised)."""
    return {"region": profile.region_code, "region_name": region_name(profile.region_code),
            "industry": profile.industry, "size": profile.size_class(),
            "revenue": profile.revenue, "employees": profile.employees, "age": profile.age_years,
            "ownership": profile.ownership, "qualifications": list(profile.qualifications),
            "needs": list(profile.needs)}


def match_hit_json(view: MatchView) -> dict:
    """One /api/match hit: the policy, its 申报状态, what it gives, and why it fits."""
    policy = view.policy
    card = services().store.cards.get(policy.id)
    support = card.values("support")[:SUPPORT_SHOWN] or [
        c.text for c in policy.huiqi_evidence if c.where == "正文"][:SUPPORT_SHOWN]
    return {
        "id": policy.id, "title": policy.title, "url": policy.url, "issuer": policy.issuer,
        "level": policy.level, "region": policy.region_name or region_name(policy.region_code),
        "publish_date": policy.publish_date, "kind": policy.doc_kind,
        "deadline_status": view.deadline.status if view.deadline else "未知",
        "days_left": view.deadline.days_left if view.deadline else None,
        "support": support,
        "reasons": [{"condition": r.condition, "status": API_STATUS.get(r.status, "unknown"),
                     "evidence": r.evidence or r.detail} for r in view.reasons],
    }


def hit_of(policy: Policy) -> Hit:
    """A policy in the shape the feed template lists."""
    return Hit(id=policy.id, url=policy.url, title=policy.title, issuer=policy.issuer,
               doc_number=policy.doc_number, level=policy.level, region=policy.region_name,
               region_code=policy.region_code, publish_date=policy.publish_date,
               validity=policy.validity, doc_kind=policy.doc_kind, tags=policy.active_tags(),
               huiqi=policy.huiqi,
               snippet="")


def reasons_text(view: MatchView) -> str:
    lines = [" · ".join(x for x in (view.policy.issuer, view.policy.doc_number,
                                     view.policy.publish_date) if x)]
    for status in (MATCH, UNKNOWN, MISMATCH):
        found = [f"{r.condition}（{r.detail}）" for r in view.reasons if r.status == status]
        if found:
            lines.append(f"{status}：" + "；".join(found))
    return "\n".join(line for line in lines if line)
