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
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

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
_PASSING_BEFORE = re.compile(r"(?:推广|学习|借鉴|对口|支援|援助|帮扶|赴|驻|来自|与)$")
_PASSING_AFTER = re.compile(
    r"^(?:同胞|籍|经验|做法|模式|班|代表团|办事处|证券交易所|期货交易所|交易所|合作组织|大学|学院"
    r"|银行|公司|集团|地区服刑)")
# Short names (湖南, 浙江) only where a name can start or end: not "黄浦江苏州河".
_NAME_EDGE = set("、，,；;：:和与及等（(“\"《「【 关于在对支持同意促进推进加快深化")
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
    codes = _narrowest(code for code, _ in mentions(title, area))
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
        code, short = names.by_name[name]
        before, after = text[:pos], text[pos + len(name):]
        pos += len(name)
        if _PASSING_BEFORE.search(before[-4:]) or _PASSING_AFTER.match(after):
            continue
        if short and not (not before or before[-1] in _NAME_EDGE or not after
                          or after[0] in _NAME_EDGE):
            continue
        found.append((code, name))
    return found


def _stated_scope(body: str, area: str) -> tuple[str, tuple[str, ...]]:
    """The divisions an "本办法适用于…" clause lists at its start, with the sentence."""
    names = _names_inside(area)
    for clause in _APPLIES_CLAUSE.finditer(body[:20000]):
        pos, codes, complete = clause.end(), [], True
        while (name := names.longest_at(body, pos)) is not None:
            codes.append(names.by_name[name][0])
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


@dataclass(frozen=True)
class _Names:
    by_name: dict[str, tuple[str, bool]]   # name -> (code, is a short name)
    lengths: dict[str, tuple[int, ...]]   # first character -> lengths of its names, longest first

    def longest_at(self, text: str, pos: int) -> str | None:
        for length in self.lengths.get(text[pos:pos + 1], ()):
            name = text[pos:pos + length]
            if name in self.by_name:
                return name
        return None


@cache
def _names_inside(area: str) -> _Names:
    """The names of the divisions strictly inside `area`. A name two divisions share inside
    the area (朝阳区 in the whole country) is left out: it cannot tell which."""
    seen: dict[str, set[str]] = {}
    short: set[str] = set()

    def add(name: str, code: str, is_short: bool = False) -> None:
        if len(name) < 2 or name in _GENERIC_NAMES:
            return
        seen.setdefault(name, set()).add(code)
        if is_short:
            short.add(name)

    for code, name in divisions().items():
        if code == area or code in CROSS_BORDER or not is_within(code, area):
            continue
        add(name, code)
        if level_of_code(code) == "provincial":
            add(short_name(name), code, is_short=True)
    for alias, region in aliases().items():  # the deployment's other names (湘西州, 长沙)
        if region.code != area and region.code not in CROSS_BORDER and \
                is_within(region.code, area) and not alias.isascii():
            add(alias, region.code, is_short=not re.search(r"[省市区县州旗盟]$", alias))
    by_name = {name: (next(iter(codes)), name in short)
               for name, codes in seen.items() if len(codes) == 1}
    lengths: dict[str, set[int]] = {}
    for name in by_name:
        lengths.setdefault(name[0], set()).add(len(name))
    return _Names(by_name, {c: tuple(sorted(ls, reverse=True)) for c, ls in lengths.items()})
