"""A policy's metadata as people read it: who issued it, where and at what level, its 主题分类.

Exports and sites describe documents coarsely or in their own codes: a city's regulation
filed under its province (菏泽市…条例 as 省 · 山东省), a central organ's English code in the
region column (MOHURD), a place in the issuer column (上海), 主题分类 with backslashes. The
same tidying runs on import, on every crawled page, and over a whole store
(`policy-search metadata tidy`), so an upgrade re-derives what older rules stored; the
store's change log then takes the changes to the index.

Where a document was issued is taken, most trusted first, from the issuer named in it
("北京市密云区人民政府" -> 密云区), a bare place in the issuer column (乌兰察布 -> 乌兰察布市),
then the divisions its title opens with — but only when they are narrower than what the
record says (a record of 山东省 may be a 菏泽市 document; a record of 菏泽市 is not made
provincial by its title). A title that opens with an agency ("北京市密云区人民政府关于…") was
issued by the last division named; one that opens with a place ("上海市浦东新区…规定",
"鹤壁市浚县古城保护条例") by the first: the others say where it applies
(`policy_search.domain.applicability`). A central organ's document stays national.

A status marker that a site or an export put before or after the title ("（已废止）关于…的通知",
"[有效]浙江省人民政府关于…的通知") is no part of it: it is taken off, and gives the validity
when the record states none.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from policy_search.domain.issuers import (agency_for_code, clean_issuer, is_central, is_place,
                                   issuer_from_title)
from policy_search.domain.models import Policy
from policy_search.domain.regions import (NATIONAL, Region, division_chain, find_place, find_region,
                                   is_within, level_of_code, region_name)
from policy_search.domain.subjects import subject_label


@dataclass
class Origin:
    """Where and at what level a document was issued."""
    level: str | None
    code: str | None
    name: str | None


def tidy_metadata(policy: Policy) -> Policy:
    """Clean the policy's title, issuer, level, region and subject in place; returns it."""
    title, status = strip_status_marker(policy.title or "")
    if status:
        policy.title = title
        if policy.validity in (None, "", UNKNOWN_VALIDITY):
            policy.validity = status
    origin, agency = _recorded_origin(policy)
    raw_issuer = policy.issuer
    place = _place_of_issuer(raw_issuer)
    national = origin.level == "national" or origin.code == NATIONAL
    issuer = clean_issuer(raw_issuer, policy.title or "", national=national,
                          place=(place.name if place and _narrower(place, origin) else origin.name))
    if issuer is None and agency is not None:
        issuer = agency
    policy.issuer = issuer
    origin = _refined(origin, issuer, place, policy.title or "")
    policy.level, policy.region_code, policy.region_name = origin.level, origin.code, origin.name
    policy.subject = subject_label(policy.subject)
    return policy


# A status marker in any bracket, at the title's start or end; the longest first (部分失效).
_STATUSES = {"现行有效": "有效", "有效": "有效", "部分失效": "部分失效", "部分废止": "部分失效",
             "已失效": "失效", "失效": "失效", "已废止": "废止", "废止": "废止"}
_MARK = r"[\[【（(〔〖［]\s*(" + "|".join(sorted(_STATUSES, key=len, reverse=True)) + r")\s*[\]】）)〕〗］]"
_LEADING_MARK = re.compile(r"^\s*" + _MARK + r"\s*")
_TRAILING_MARK = re.compile(r"\s*" + _MARK + r"\s*$")
UNKNOWN_VALIDITY = "未知"


def strip_status_marker(title: str) -> tuple[str, str | None]:
    """The title without a leading or trailing status marker, and the validity it gives
    (None without one): "（已废止）关于…的通知" -> ("关于…的通知", "废止")."""
    status = None
    for mark in (_LEADING_MARK, _TRAILING_MARK):
        found = mark.search(title)
        rest = mark.sub("", title, count=1) if found else title
        if found and rest.strip():
            title, status = rest.strip(), status or _STATUSES[found.group(1)]
    return title, status


def _recorded_origin(policy: Policy) -> tuple[Origin, str | None]:
    """The record's own level and region; a central organ's code in the region column
    (MOHURD) means a national document of that organ (returned as the second value)."""
    code, name, level = policy.region_code, policy.region_name, policy.level
    agency = None
    if not code and name:
        found = agency_for_code(name)
        if found is not None:
            agency = found.name
            code, name, level = NATIONAL, region_name(NATIONAL), "national"
        elif name.isascii():
            name = None  # a code nobody can read is no place
        else:
            region = find_region(name)
            code, name = (region.code, region.name) if region else (None, name)
    if code and not level:
        level = level_of_code(code)
    return Origin(level, code, name), agency


def _place_of_issuer(issuer: str | None) -> Region | None:
    """The division an issuer column that names only a place stands for (上海, 乌兰察布)."""
    parts = [p.strip() for p in (issuer or "").replace("，", "、").split("、") if p.strip()]
    places = {r.code: r for r in (find_place(p) for p in parts if is_place(p)) if r}
    return next(iter(places.values())) if len(places) == 1 else None


def _narrower(region: Region, origin: Origin) -> bool:
    """Strictly inside the recorded region (anything is, when none is recorded)."""
    if not origin.code:
        return True
    return region.code != origin.code and is_within(region.code, origin.code)


def _refined(origin: Origin, issuer: str | None, place: Region | None, title: str) -> Origin:
    first = (issuer or "").split("、")[0]
    if is_central(first) and origin.code in (None, NATIONAL):
        return Origin("national", NATIONAL, region_name(NATIONAL))
    chain = division_chain(first)
    if chain:
        found = chain[-1]  # an issuer named by its place: the last division named
    elif place is not None:
        found = place
    else:
        found = _title_division(title)
    if found is None or not _narrower(found, origin):
        return origin
    return Origin(level_of_code(found.code), found.code, found.name)


def _title_division(title: str) -> Region | None:
    """Where a title says the document comes from: the last division of an opening agency's
    name, else the first division the title opens with."""
    chain = division_chain(title)
    if not chain:
        return None
    opening = issuer_from_title(title)
    if opening and division_chain(opening.split("、")[0]) == chain:
        return chain[-1]
    return chain[0]


# --- over a whole store -----------------------------------------------------------------

@dataclass
class TidySummary:
    policies: int = 0
    changed: int = 0
    fields: dict[str, int] | None = None   # field -> policies whose field changed

    def describe(self) -> str:
        names = {"issuer": "发文机关", "level": "层级", "region_name": "发文地区", "subject": "主题分类",
                 "title": "标题", "validity": "有效性"}
        parts = [f"{names.get(k, k)} {v}" for k, v in sorted((self.fields or {}).items())]
        detail = f"（{'，'.join(parts)}）" if parts else ""
        return f"检查 {self.policies} 篇，整理 {self.changed} 篇{detail}"


_TIDIED = ("title", "validity", "issuer", "level", "region_code", "region_name", "subject")


def tidy_store(store, *, dry_run: bool = False,
               progress: Callable[[int, int], None] | None = None) -> TidySummary:
    """Re-apply the tidying to every stored policy; save (and log for the index) the ones
    that change. `dry_run`: count them only."""
    ids = store.policies.all_ids()
    summary = TidySummary(fields={})
    for start in range(0, len(ids), 200):
        batch = store.policies.get_many(ids[start:start + 200])
        changed = []
        for policy in batch:
            before = {name: getattr(policy, name) for name in _TIDIED}
            tidy_metadata(policy)
            diff = [name for name in _TIDIED if getattr(policy, name) != before[name]]
            summary.policies += 1
            if diff:
                changed.append(policy)
                for name in diff:
                    if name != "region_code":
                        summary.fields[name] = summary.fields.get(name, 0) + 1
        summary.changed += len(changed)
        if changed and not dry_run:
            with store.transaction():
                for policy in changed:
                    store.policies.upsert(policy)
        if progress:
            progress(min(start + 200, len(ids)), len(ids))
    return summary
