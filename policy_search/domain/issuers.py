"""发文机关 as a person names them: codes and abbreviations resolved, cut names completed,
republishers dropped, place names not taken for agencies.

Exports fill the issuer column unevenly: an English code (MOHURD, NHC: the central organ's
host name), gov.cn's short forms of central organs (发展改革委, 外汇管理局), a name cut at a
fixed width (全国人民代表), a database or website that republished the document
(习近平重要讲话数据库), or only the place of the site the document came from (上海, 江西). The
central organs and their names are data (data/agencies.tsv), so are the names of
republishers (data/not_issuers.txt). A place alone is no issuer: the agency is then read
from the title ("市水务局关于…" on 天津's site is 天津市水务局), else left unknown.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from policy_search.domain.datafiles import data_lines
from policy_search.domain.regions import division_chain, find_place

# Words that end an agency's name in a title ("…人民政府关于", "…管理局通告").
_AGENCY_END = (
    r"(?:人民代表大会常务委员会|人民代表大会|人大常委会|人民政府办公厅|人民政府办公室|人民政府"
    r"|政府办公厅|政府办公室|政府|办公厅|办公室|委员会|总局|总署|管理局|监督管理局|局|厅|委|部|署"
    r"|办|院|中心|银行|法院|检察院)"
)
# What follows an issuer at the start of a title: the act it performs.
_ACT = r"(?:关于|印发|转发|批转|贯彻|落实|发布|公告|通告|令|命令|决定|通报|批复|函|意见|通知)"
# Several agencies issuing together: "市财政局、市国税局、市地税局关于…"
_TITLE_ISSUERS = re.compile(
    rf"^(?P<names>[\u4e00-\u9fff]{{1,24}}?{_AGENCY_END}(?:[、\s]+[\u4e00-\u9fff]{{1,24}}?{_AGENCY_END})*)"
    rf"\s*{_ACT}")
# Words of an act, not of a name: "上海市政府贯彻国务院关于…" is 上海市政府 acting.
_ACT_WORDS = re.compile(r"贯彻|落实|执行|实施|印发|转发|批转|关于|推进|加强|开展|做好|进一步|支持|促进|加快|深化|同意")
# "湖北省政府" is the colloquial name of 湖北省人民政府.
_COLLOQUIAL_GOVERNMENT = re.compile(r"^(?P<place>.+?[省市县区州旗盟])政府(?P<office>办公厅|办公室)?$")
# A status or tag some sites put before the title: [有效], （已废止）, 【转载】
_TITLE_PREFIX = re.compile(r"^\s*(?:[\[【（(][^\]】）)]{1,6}[\]】）)]\s*)+")
# Ends of agency names that an export may have cut ("全国人民代表" -> …大会).
_NAME_ENDS = ("人民代表大会常务委员会", "人民代表大会", "人民政府办公厅", "人民政府办公室", "人民政府",
              "常务委员会", "委员会", "办公厅", "办公室", "监督管理局", "管理局", "总局")
_SEPARATORS = re.compile(r"[、,，;；/]+")
MIN_CUT = 2  # the shortest cut end completed (政 of 人民政府 is too little to go on)
MIN_COMPLETED = 4  # a shorter name (国家, 中国) begins too many names to complete
_WHOLE = re.compile(_AGENCY_END + "$")


@dataclass(frozen=True)
class Agency:
    name: str
    codes: tuple[str, ...]
    names: tuple[str, ...]   # other Chinese names


@cache
def _agencies() -> tuple[dict[str, Agency], dict[str, Agency], dict[str, Agency]]:
    """(full name -> agency, English code -> agency, other Chinese name -> agency)."""
    by_name: dict[str, Agency] = {}
    by_code: dict[str, Agency] = {}
    by_alias: dict[str, Agency] = {}
    for line in data_lines("agencies.tsv"):
        name, *rest = line.split("\t")
        codes = tuple(c.strip().upper() for c in (rest[0] if rest else "").split(",") if c.strip())
        names = tuple(n.strip() for n in (rest[1] if len(rest) > 1 else "").split(",") if n.strip())
        agency = Agency(name.strip(), codes, names)
        by_name[agency.name] = agency
        for code in codes:
            by_code.setdefault(code, agency)
        for alias in names:
            by_alias.setdefault(alias, agency)
    return by_name, by_code, by_alias


@cache
def _not_issuers() -> re.Pattern:
    patterns = [line.strip() for line in data_lines("not_issuers.txt")]
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def agency_for_code(code: str | None) -> Agency | None:
    """The central organ an English abbreviation stands for (MOHURD, nhc), else None."""
    if not code or not code.strip().isascii():
        return None
    return _agencies()[1].get(code.strip().upper())


def is_central(name: str | None) -> bool:
    """A central organ's full name (国务院, 住房和城乡建设部 …)."""
    return bool(name) and name in _agencies()[0]


def is_republisher(name: str) -> bool:
    """A database, website or medium, not an issuing body."""
    return bool(_not_issuers().fullmatch(name))


@lru_cache(maxsize=4096)
def is_place(name: str) -> bool:
    """A place name alone (上海, 乌兰察布市), which says where, not who."""
    return find_place(name) is not None and not re.search(_AGENCY_END + "$", name)


def clean_issuer(value: str | None, title: str = "", *, national: bool = False,
                 place: str | None = None) -> str | None:
    """The issuer as a person names it, or None when the value names none.

    `national`: the document is a national one, so gov.cn's short forms of central organs
    (发展改革委) mean those organs. `place`: where it was issued, to name a bare "市水务局"
    as 天津市水务局 (in the value, or in the title when the value names no issuer).
    """
    names = [_clean_name(part, title, national, place) for part in _SEPARATORS.split(value or "")]
    names = [n for n in names if n]
    if not names:
        return issuer_from_title(title, place)
    return "、".join(dict.fromkeys(names))


def _clean_name(raw: str, title: str, national: bool, place: str | None) -> str | None:
    name = " ".join(raw.split())
    if not name:
        return None
    by_name, _, by_alias = _agencies()
    agency = agency_for_code(name)
    if agency is not None:
        return agency.name
    if name.isascii() or is_republisher(name) or is_place(name):
        return None
    if name in by_name:
        return name
    if national and name in by_alias:
        return by_alias[name].name
    return formal_name(_with_place(name, place, title) or _completed(name, title) or name)


def _with_place(name: str, place: str | None, title: str = "") -> str | None:
    """"市民政局" of 上海市 -> 上海市民政局: an agency named by its level alone, on a site of
    that level (省/市/县/区 matching the place's own ending). A title that opens with the
    agency's full name ("江西省人民政府办公厅关于…" for 省政府办公厅) names it best."""
    if len(name) <= 2 or name[0] not in "省市县区" or not _WHOLE.search(name):
        return None
    opening = issuer_from_title(title, place) if title else None
    if opening and "、" not in opening and opening.endswith(name[-3:]) and division_chain(opening):
        return opening
    if not place:
        return None
    region = find_place(place)
    if region is None or region.name[-1] != name[0]:
        return None
    return region.name + name[1:]


def _completed(name: str, title: str) -> str | None:
    """A cut name made whole: the central organ it begins (the one the title names when
    several do, else the one the others extend), or the agency ending it was cut in
    (全国人民代表 -> 全国人民代表大会); None when it is whole or cannot be told."""
    if len(name) < MIN_COMPLETED or _WHOLE.search(name):
        return None
    by_name, _, _ = _agencies()
    candidates = sorted((n for n in by_name if n.startswith(name) and n != name), key=len)
    if candidates:
        named = [n for n in candidates
                 if n in title or any(alias in title for alias in by_name[n].names)]
        if named:
            return named[-1]  # the most specific one the title names
        shortest = candidates[0]
        return shortest if all(n.startswith(shortest) for n in candidates) else None
    completions = [name + end[cut:] for end in _NAME_ENDS
                   for cut in range(len(end) - 1, MIN_CUT - 1, -1)
                   if name.endswith(end[:cut]) and len(name) > cut]
    return min(completions, key=len) if completions else None


def issuer_from_title(title: str, place: str | None = None) -> str | None:
    """The agencies a title opens with ("北京市密云区人民政府关于…", "市民政局关于…"): named
    by a division, a central organ, or (with `place`) 省/市 of that place; else None."""
    text = _TITLE_PREFIX.sub("", " ".join((title or "").split()))
    match = _TITLE_ISSUERS.match(text)
    if match is None:
        return None
    found = []
    for part in re.split(r"[、\s]+", match.group("names")):
        names = [_qualified_agency(p, place) for p in _unjoined(part)]
        if None in names:
            return None  # one part not an agency: the title does not open with issuers
        found += names
    return "、".join(dict.fromkeys(found))


def _unjoined(part: str) -> list[str]:
    """Agencies written one after another without a separator ("福建省人民政府广东省人民政府"):
    split where one agency's name ends and a division's name begins."""
    for end in re.finditer(_AGENCY_END, part):
        rest = part[end.end():]
        if rest and division_chain(rest) and _WHOLE.search(rest):
            return [part[:end.end()], *_unjoined(rest)]
    return [part]


@lru_cache(maxsize=8192)
def _qualified_agency(part: str, place: str | None) -> str | None:
    by_name, _, by_alias = _agencies()
    if part in by_name:
        return part
    if part in by_alias:
        return by_alias[part].name
    if _ACT_WORDS.search(part):
        return None
    if division_chain(part.removeprefix("中共")) and not is_place(part):
        return formal_name(part)
    qualified = _with_place(part, place)
    return formal_name(qualified) if qualified else None


def formal_name(name: str) -> str:
    """A division's government by its formal name: 湖北省政府 -> 湖北省人民政府."""
    match = _COLLOQUIAL_GOVERNMENT.match(name)
    if match and division_chain(match["place"]) and \
            "".join(r.name for r in division_chain(match["place"])) == match["place"]:
        return f"{match['place']}人民政府{match['office'] or ''}"
    return name
