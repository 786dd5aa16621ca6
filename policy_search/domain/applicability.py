"""Where a policy applies, as opposed to where it was issued.

A policy applies in the region that issued it and everywhere below: a national one in every
province, city and county; a 湖南省 one in every Hunan city and county; a 长沙市 one in 长沙县.
Unless its text says otherwise: "上海市促进浦东新区商事调解规定" (issued by 上海市) applies only in
浦东新区, "东营市养犬管理条例" (approved by 山东省) only in 东营市, "国务院关于支持山西省…的意见"
only in 山西省, and a body that says "本规定适用于浦东新区行政区域内…" restricts itself the same way.

The restriction is read from the title first — divisions named in it that lie strictly inside
the issuing region — then from the clause that states what the text applies to (本办法适用于…).
A name in a passing context does not restrict: 台湾同胞, 推广浙江经验, 对口支援新疆, 上海证券交易所.
Every restriction keeps its evidence (the title or the sentence).

A title also restricts a national or provincial document to a zone it makes its subject:
one named by its province or city ("中华人民共和国海南自由贸易港法", "汕头经济特区科技创新条例",
"山东省青岛前湾保税港区条例", "广东太平岭核电厂"), by its cities' initials ("郑洛新国家自主创新
示范区条例": 郑州、洛阳、新乡), or by a name of its own (雄安新区, 横琴: data/zones.tsv); and
the Hong Kong and Macao SARs named in full ("内地与香港特别行政区…的安排", "…澳门特别行政区基本法").
A short name (海南, 汕头) counts only where a zone's name follows it, never as an example
("推广上海自由贸易试验区经验") or one of a list cut short by 等.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from policy_search.domain.datafiles import data_lines
from policy_search.domain.regions import (CROSS_BORDER, NATIONAL, aliases, divisions, is_within,
                                   level_of_code, region_label, short_name)


@dataclass(frozen=True)
class Applicability:
    codes: tuple[str, ...] = ()   # GB/T 2260 codes of where it applies; () when unknown
    evidence: str = ""            # the title or sentence that restricts it ("" when it does not)
    source: str = "issuer"        # issuer | title | text

    @property
    def restricted(self) -> bool:
        return self.source != "issuer"

    @property
    def level(self) -> str | None:
        """national / provincial / city / county: the broadest place it applies in."""
        if not self.codes:
            return None
        return min((level_of_code(c) for c in self.codes), key=_LEVEL_ORDER.index)

    def applies_in(self, region_code: str | None) -> bool:
        """Whether an enterprise in `region_code` is covered (the region or any above it)."""
        if not region_code:
            return False
        return any(is_within(region_code, code) for code in self.codes)

    def names(self) -> list[str]:
        return [region_label(code) or code for code in self.codes]


_LEVEL_ORDER = ("national", "provincial", "city", "county")

# Names next to these words are not where the policy applies.
# "内地与香港特别行政区…的安排" is an arrangement for Hong Kong: 与 after 内地 is no counterpart.
_PASSING_BEFORE = re.compile(r"(?:推广|学习|借鉴|对口|支援|援助|帮扶|赴|驻|来自|往来|参照|比照|复制"
                             r"|(?<!内地)与)$")
_PASSING_AFTER = re.compile(
    r"^(?:同胞|籍|经验|做法|模式|班|代表团|办事处|证券交易所|期货交易所|交易所|合作组织|大学|学院"
    r"|银行|公司|集团|地区服刑)")
# Short names (湖南, 浙江) only where a name can start or end: not "黄浦江苏州河".
_NAME_EDGE = set("、，,；;：:和与及等（(“\"《「【 关于在对支持同意促进推进加快深化")
# A zone's own name, after its place's name and a word of its own (青岛|前湾|保税港区,
# 广东|太平岭|核电厂): the zone is the title's subject, whose place a short name can name.
_AREA_WORD = (r"(?:经济特区|自由贸易港|自由贸易试验区|自贸试验区|自贸区|综合保税区|保税港区|保税区"
              r"|(?:国家)?自主创新示范区|高新技术产业开发区|高新区|经济技术开发区|经开区|国家级新区|新区"
              r"|深度合作区|合作区|综合实验区|示范区)")
_ZONE_WORD = _AREA_WORD[:-1] + r"|核电厂|核电站|核电基地|核电|水电站|电厂)"
_ZONE_AFTER = re.compile(r"(?:(?![的等和与及或至])[\u4e00-\u9fff]){0,4}?" + _ZONE_WORD)
# A zone named by its cities' initials is an area (郑洛新…示范区), never a plant (三门核电厂).
_AREA_AT = re.compile(_AREA_WORD)
_LIST_BEFORE = set("、，,和及与或")
# Provinces' and cities' names (湖南省, 长沙市) before a zone named by initials (长株潭).
_DIVISION_END = set("省市")
_APPLIES_CLAUSE = re.compile(
    r"(?:本|该)(?:办法|规定|条例|细则|意见|通知|方案|决定|措施|政策|规则)[^。；;\n]{0,12}?适用于"
    r"(?:在)?(?:本(?:省|市|区|县|自治区|自治州))?")
_LIST_SEPARATOR = re.compile(r"[、,，]|和|及|与|以及")
# District names that are also common words (阳泉市矿区, 攀枝花市东区): never read from text.
_GENERIC_NAMES = {"城区", "郊区", "矿区", "东区", "西区", "新区", "市中区", "市辖区", "开发区"}


def applicability_of(policy) -> Applicability:
    """Where a policy (anything with region_code, level, title, body_text) applies."""
    area = policy.region_code or (NATIONAL if getattr(policy, "level", None) == "national"
                                  else None)
    if not area:
        return Applicability()
    title = (getattr(policy, "title", "") or "").strip()
    codes = _narrowest([code for code, _ in mentions(title, area)]
                       + [code for code, _ in initials(title, area)])
    if codes:
        return Applicability(codes, title, "title")
    sentence, codes = _stated_scope(getattr(policy, "body_text", "") or "", area)
    if codes:
        return Applicability(codes, sentence, "text")
    return Applicability((area,))


def mentions(text: str, area: str) -> list[tuple[str, str]]:
    """(code, name as written) of the divisions strictly inside `area` that a text names where
    they can be what it applies to."""
    names = _names_inside(area)
    found = []
    pos = 0
    while pos < len(text):
        name = names.longest_at(text, pos)
        if name is None:
            pos += 1
            continue
        codes, kind = names.by_name[name]
        before, after = text[:pos], text[pos + len(name):]
        pos += len(name)
        if _PASSING_BEFORE.search(before[-4:]) or _PASSING_AFTER.match(after):
            continue
        if kind in (_SHORT, _STEM):
            # a short name alone may be part of a word (黄浦江苏州河); a city's without its
            # suffix (汕头, 青岛) is taken only for a zone it names, and not as one of a list
            # ("大连、上安、南通、福州四座电厂")
            zone = _ZONE_AFTER.match(after)
            if zone and not (before and before[-1] in _LIST_BEFORE):
                pos += zone.end()  # names in the zone's own name (宁波杭州湾新区) are not places
            else:
                edged = (not before or before[-1] in _NAME_EDGE or not after
                         or after[0] in _NAME_EDGE)
                if kind == _STEM or not edged:
                    continue
        found.extend((code, name) for code in codes)
    return found


def initials(text: str, area: str) -> list[tuple[str, str]]:
    """(code, initial) of the cities a zone's name abbreviates to their initials, each city
    one character of its name that no other city of its province has: 郑洛新国家自主创新示范区
    (郑州、洛阳、新乡), 长株潭 (长沙、株洲、湘潭). Only right after the start, a separator or a
    division's name; the cities must be inside `area` and in one province."""
    found = []
    for zone in _AREA_AT.finditer(text):
        for length in (4, 3, 2):
            start = zone.start() - length
            if start < 0 or (start and text[start - 1] not in _NAME_EDGE | _DIVISION_END):
                continue
            cities = _cities_of_initials(text[start:zone.start()], area)
            if cities:
                found.extend((code, initial) for code, initial in cities)
                break
    return found


def _cities_of_initials(run: str, area: str) -> list[tuple[str, str]]:
    matches = []
    for province, by_initial in _city_initials().items():
        if not (is_within(province, area) or is_within(area, province)):
            continue
        codes = [by_initial.get(char) for char in run]
        if all(codes) and len(set(codes)) == len(codes) and all(is_within(c, area) for c in codes):
            matches.append(list(zip(codes, run)))
    return matches[0] if len(matches) == 1 else []


@cache
def _city_initials() -> dict[str, dict[str, str]]:
    """Province code -> {character: city code} for the characters of its cities' names (市
    left out) that only one of its cities has."""
    seen: dict[str, dict[str, set[str]]] = {}
    for code, name in divisions().items():
        if level_of_code(code) != "city" or not name.endswith("市") or code in CROSS_BORDER:
            continue
        for char in set(name[:-1]):
            seen.setdefault(code[:2] + "0000", {}).setdefault(char, set()).add(code)
    return {province: {char: next(iter(codes)) for char, codes in chars.items() if len(codes) == 1}
            for province, chars in seen.items()}


def _stated_scope(body: str, area: str) -> tuple[str, tuple[str, ...]]:
    """The divisions an "本办法适用于…" clause lists at its start, with the sentence."""
    names = _names_inside(area)
    for clause in _APPLIES_CLAUSE.finditer(body[:20000]):
        pos, codes, complete = clause.end(), [], True
        while (name := names.longest_at(body, pos)) is not None:
            codes.extend(names.by_name[name][0])
            pos += len(name)
            separator = _LIST_SEPARATOR.match(body, pos)
            if separator is None:
                break
            pos = separator.end()
            if names.longest_at(body, pos) is None:
                complete = False  # a place it cannot read: not sure enough to restrict
        if codes and complete:
            start = max(body.rfind(s, 0, clause.start()) for s in "。；;\n") + 1
            end = min([i for i in (body.find(s, clause.end()) for s in "。；;\n") if i >= 0]
                      or [len(body)])
            return body[start:end + 1].strip(), _narrowest(codes)
    return "", ()


def _narrowest(codes) -> tuple[str, ...]:
    """Codes without those that contain another one named (上海市浦东新区 -> 浦东新区)."""
    unique = list(dict.fromkeys(codes))
    return tuple(sorted(c for c in unique
                        if not any(o != c and is_within(o, c) for o in unique)))


# Kinds of names: a division's full name or other name (浦东新区, 长沙), a zone's (雄安新区);
# a province's short name (湖南); a city's name without 市 (汕头), only before a zone's name.
_FULL, _SHORT, _STEM = "full", "short", "stem"


@dataclass(frozen=True)
class _Names:
    by_name: dict[str, tuple[tuple[str, ...], str]]   # name -> (codes, kind)
    lengths: dict[str, tuple[int, ...]]   # first character -> lengths of its names, longest first

    def longest_at(self, text: str, pos: int) -> str | None:
        for length in self.lengths.get(text[pos:pos + 1], ()):
            name = text[pos:pos + length]
            if name in self.by_name:
                return name
        return None


@cache
def _names_inside(area: str) -> _Names:
    """The names of the divisions (and named zones) strictly inside `area`. A name two
    divisions share inside the area (朝阳区 in the whole country) is left out: it cannot tell
    which. Hong Kong and Macao are named only in full, Taiwan never."""
    seen: dict[str, set[str]] = {}
    kinds: dict[str, str] = {}
    stems: dict[str, set[str]] = {}

    def add(name: str, code: str, kind: str = _FULL) -> None:
        if len(name) < 2 or name in _GENERIC_NAMES:
            return
        seen.setdefault(name, set()).add(code)
        kinds[name] = kind

    for code, name in divisions().items():
        if code == area or not is_within(code, area):
            continue
        if code in CROSS_BORDER:
            if code != CROSS_BORDER[0]:
                add(name, code)
            continue
        add(name, code)
        if level_of_code(code) == "provincial":
            add(short_name(name), code, _SHORT)
        elif level_of_code(code) == "city" and name.endswith("市") and len(name) > 2:
            stems.setdefault(name[:-1], set()).add(code)
    for alias, region in aliases().items():  # the deployment's other names (湘西州, 长沙)
        if region.code != area and region.code not in CROSS_BORDER and \
                is_within(region.code, area) and not alias.isascii():
            add(alias, region.code, _FULL if re.search(r"[省市区县州旗盟]$", alias) else _SHORT)
    for stem, codes in stems.items():  # a name of its own (吉林省's 吉林) wins over a stem
        if stem not in seen:
            seen[stem], kinds[stem] = codes, _STEM
    by_name = {name: ((next(iter(codes)),), kinds[name])
               for name, codes in seen.items() if len(codes) == 1}
    for name, codes in _zones().items():
        if all(code != area and is_within(code, area) for code in codes):
            by_name[name] = (codes, _FULL)
    lengths: dict[str, set[int]] = {}
    for name in by_name:
        lengths.setdefault(name[0], set()).add(len(name))
    return _Names(by_name, {c: tuple(sorted(ls, reverse=True)) for c, ls in lengths.items()})


@cache
def _zones() -> dict[str, tuple[str, ...]]:
    """Named zones that no division's name names (data/zones.tsv): name -> division codes."""
    zones = {}
    for line in data_lines("zones.tsv"):
        name, codes, *_ = line.split("\t")
        zones[name.strip()] = tuple(c.strip() for c in codes.split(",") if c.strip())
    return zones
