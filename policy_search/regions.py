"""GB/T 2260 region codes: names to codes, and each code's parents.

A county's code is PPCCXX: its city is PPCC00 and its province PP0000; every
province sits under 100000 (全国). Filters use the parents so that asking for
湖南省 also finds 长沙市 and 长沙县 documents.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

NATIONAL = "100000"


@dataclass(frozen=True)
class Region:
    code: str
    name: str


@cache
def _table() -> tuple[dict[str, Region], dict[str, Region]]:
    by_code: dict[str, Region] = {}
    by_name: dict[str, Region] = {}
    text = resources.files("policy_search").joinpath("data/regions.tsv").read_text("utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, name, *rest = line.split("\t")
        region = Region(code, name)
        by_code[code] = region
        for alias in [name, *(rest[0].split(",") if rest and rest[0] else [])]:
            by_name.setdefault(alias.strip().lower(), region)
    return by_code, by_name


def find_region(text: str | None) -> Region | None:
    """The region a name or code stands for, or None when unknown."""
    if not text:
        return None
    by_code, by_name = _table()
    key = text.strip()
    if key in by_code:
        return by_code[key]
    return by_name.get(key.lower())


def region_name(code: str | None) -> str | None:
    region = _table()[0].get(code or "")
    return region.name if region else None


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
