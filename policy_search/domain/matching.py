"""政策计算器: which policies fit an enterprise, and why.

An entrepreneur describes the enterprise (region, industry, size, age, ownership,
qualifications, needs). Only 惠企 documents are considered (policy_search.domain.kinds: a law on
veterans or a tax does not give an enterprise anything to act on). Each candidate is checked
condition by condition — from its tags (region, 行业, 企业类型) and from its card's 申报条件
(成立年限, 营业收入, 从业人数, 资质) — and every condition comes out as 符合 / 不符合 / 未知 with
the evidence. A tag restricts a policy only when its evidence stands in the title or in the
section naming who benefits (or staff set it); a word in passing leaves the condition 未知.
A need (资金, 融资 …) is met only by a support provision of the document — its card's 支持标准,
a sentence granting enterprises that kind of support — never by the word alone.

Ranking: the conditions met, then how specific the policy is (a call or measure of the
enterprise's own county before a national law), then open applications, then recency.
Pure domain logic: the site passes in candidates (from the index or the store).
"""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from policy_search.domain.applicability import applicability_of
from policy_search.domain.deadlines import (OUT_OF_FORCE, STANDING_YEARS, SUPERSEDED_YEARS, china_today,
                                            issued_on, policy_status, still_standing)
from policy_search.domain.kinds import (APPLICATION_CALL, HUIQI_MEASURE, INTERPRETATION, LAW, WORKERS_CLAIM, Clue,
                                 claimable_grants, claimable_scheme_support, claimable_support,
                                 concrete_claim, through_third_party)
from policy_search.domain.regions import (all_regions, find_region, level_of_code, parent_codes,
                                   region_name)
from policy_search.domain.tagging import load_evidence
from policy_search.domain.taxonomy import REGEX_PREFIX, current_taxonomy

MATCH, MISMATCH, UNKNOWN = "符合", "不符合", "未知"
VALIDITY = "有效性"
CONCRETE_SUPPORT = "具体扶持"
SIZES = ("小微", "中型", "大型")
OWNERSHIPS = ("民营", "国有", "外资", "港澳台资", "集体", "个体工商户")
QUALIFICATIONS = ("高新技术企业", "专精特新", "科技型中小企业", "专精特新小巨人", "规模以上企业",
                  "外贸企业", "农业经营主体", "瞪羚企业", "技术先进型服务企业")
# need (what the entrepreneur asks for) -> 支持方式 tag values that serve it
NEEDS = {
    "资金": ("资金补贴奖励", "税费减免", "降本减负"),
    "融资": ("融资信贷",),
    "人才": ("人才支持", "稳岗就业"),
    "用地": ("用地用房",),
    "税费": ("税费减免", "降本减负"),
    "创新": ("科技创新", "数字化转型"),
    "市场": ("市场开拓",),
    "用工": ("稳岗就业", "人才支持"),
    "数字化": ("数字化转型",),
    "绿色": ("绿色低碳",),
    "法律": ("法律服务",),
    "办事": ("政务服务便利",),
}
# need -> the kinds of support (policy_search.domain.kinds categories) and the words of a support
# provision that serve it
NEED_CATEGORIES = {"资金": ("资金",), "税费": ("税费",), "融资": ("融资",), "人才": ("人才",),
                   "用地": ("用地",), "办事": ("服务",)}
NEED_WORDS = {
    "资金": r"补贴|补助|奖励|奖补|资助|专项资金|扶持资金|引导资金|以奖代补|一次性|返还",
    "融资": r"贷款|贴息|担保|信贷|融资|授信|风险补偿|续贷|再贷款",
    "人才": r"人才|安家|专家|博士|技能|引进",
    "用地": r"用地|土地|厂房|租金|房租|场地|用房|供地",
    "税费": r"免征|减征|减按|减半|加计扣除|退税|税收优惠|税费|减免|缓缴|抵免",
    "创新": r"研发|研究开发|科技|创新|技术改造|专利|成果转化",
    "市场": r"展会|参展|市场开拓|开拓市场|出口|政府采购|品牌",
    "用工": r"就业|稳岗|社会保险补贴|吸纳|招用|用工|培训",
    "数字化": r"数字化|信息化|上云|智能化|工业互联网",
    "绿色": r"节能|减排|绿色|低碳|环保|循环",
    "法律": r"法律|律师|维权|合规",
    "办事": r"审批|一网通办|帮办|代办|便利|简化|绿色通道|服务",
}
# qualification -> the 企业类型 tag it proves
_QUAL_TAGS = {"高新技术企业": "高新技术企业", "专精特新": "专精特新", "专精特新小巨人": "专精特新",
              "科技型中小企业": "科技型中小企业", "规模以上企业": "规模以上企业",
              "外贸企业": "外贸企业", "农业经营主体": "农业经营主体"}
STARTUP_YEARS = 3  # 初创企业: established at most this many years

# Conditions whose 符合 says the policy fits this enterprise in particular (the region and
# the status of a policy are met by every candidate).
FIT_CONDITIONS = ("行业", "企业规模", "企业类型", "企业性质", "资质", "成立年限", "营业收入", "从业人数",
                  "需求")
# How specific a policy is: a call or measure of the enterprise's county before a law.
KIND_SPECIFICITY = {APPLICATION_CALL: 3, HUIQI_MEASURE: 2, INTERPRETATION: 1}
LEVEL_SPECIFICITY = {"county": 3, "city": 2, "provincial": 1, "national": 0}
OPEN_STATUSES = {"申报中": 2, "即将截止": 2, "未开始": 1, "长期有效": 1}
# Industry groups of the 2011 SME standard (工信部联企业〔2011〕300号): 中型 lower bounds
# (employees, revenue 万元) and 大型 lower bounds. A 中型 enterprise reaches both lower
# bounds of 中型; below either it is 小微.
_SIZE_BOUNDS = {
    "industrial": ((300, 2000), (1000, 40000)),
    "wholesale": ((20, 5000), (200, 40000)),
    "retail": ((50, 500), (300, 20000)),
    "transport": ((300, 3000), (1000, 30000)),
    "hospitality": ((100, 2000), (300, 10000)),
    "it": ((100, 1000), (2000, 100000)),
    "other": ((100, None), (300, None)),
}
_INDUSTRY_GROUP = {
    "采矿业": "industrial", "制造业": "industrial",
    "电力、热力、燃气及水生产和供应业": "industrial", "批发和零售业": "retail",
    "交通运输、仓储和邮政业": "transport", "住宿和餐饮业": "hospitality",
    "信息传输、软件和信息技术服务业": "it",
}


@dataclass
class EnterpriseProfile:
    region_code: str | None = None
    industry: str | None = None            # a 行业 taxonomy value, e.g. 制造业
    size: str | None = None                # 小微 | 中型 | 大型 (derived when not given)
    revenue: float | None = None           # 营业收入, 万元 per year
    employees: int | None = None           # 从业人数
    age_years: float | None = None         # years since establishment
    ownership: str | None = None           # 民营 | 国有 | 外资 | … | 个体工商户
    qualifications: list[str] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)

    def size_class(self) -> str | None:
        """小微 / 中型 / 大型: as stated, else from 从业人数 and 营业收入 (2011 standard)."""
        if self.size in SIZES:
            return self.size
        if self.ownership == "个体工商户":
            return "小微"
        if self.revenue is None and self.employees is None:
            return None
        medium, large = _SIZE_BOUNDS[_INDUSTRY_GROUP.get(self.industry or "", "other")]

        def reaches(bounds):
            emp, rev = bounds
            checks = []
            if emp is not None and self.employees is not None:
                checks.append(self.employees >= emp)
            if rev is not None and self.revenue is not None:
                checks.append(self.revenue >= rev)
            return bool(checks) and all(checks)
        if reaches(large):
            return "大型"
        return "中型" if reaches(medium) else "小微"

    def enterprise_types(self) -> dict[str, bool | None]:
        """企业类型 tag -> True (is), False (is not) or None (cannot tell)."""
        size = self.size_class()
        quals = set(self.qualifications)
        knows_quals = bool(quals)
        types: dict[str, bool | None] = {
            "小微企业": None if size is None else size == "小微",
            "中小企业": None if size is None else size in ("小微", "中型"),
            "个体工商户": None if self.ownership is None else self.ownership == "个体工商户",
            "民营企业": None if self.ownership is None else self.ownership in ("民营", "个体工商户"),
            "初创企业": None if self.age_years is None else self.age_years <= STARTUP_YEARS,
        }
        for qual, tag in _QUAL_TAGS.items():
            if qual in quals:
                types[tag] = True
            elif tag not in types or types[tag] is None:
                types.setdefault(tag, False if knows_quals else None)
        if "规模以上企业" not in quals and self.revenue is not None and \
                _INDUSTRY_GROUP.get(self.industry or "") == "industrial":
            types["规模以上企业"] = self.revenue >= 2000  # 规上工业: 主营业务收入 2000 万元
        if self.industry == "农、林、牧、渔业":
            types["农业经营主体"] = True
        return types

    def to_params(self) -> dict[str, list[str]]:
        """URL parameters (shareable link, saved feed)."""
        params: dict[str, list[str]] = {}
        for key, value in (("region", self.region_code), ("industry", self.industry),
                           ("size", self.size), ("revenue", self.revenue),
                           ("employees", self.employees), ("age", self.age_years),
                           ("ownership", self.ownership)):
            if value not in (None, ""):
                params[key] = [_number_text(value)]
        if self.qualifications:
            params["qual"] = list(self.qualifications)
        if self.needs:
            params["need"] = list(self.needs)
        return params

    @classmethod
    def from_params(cls, params: Mapping) -> EnterpriseProfile:
        """From URL parameters (a Flask MultiDict or a dict of lists/strings); bad numbers ignored.

        region accepts a code or a name (长沙县).
        """
        def one(key):
            value = params.get(key)
            if isinstance(value, (list, tuple)):
                value = value[0] if value else None
            return (str(value).strip() or None) if value is not None else None

        def many(key):
            if hasattr(params, "getlist"):
                values = params.getlist(key)
            else:
                value = params.get(key) or []
                values = value if isinstance(value, (list, tuple)) else [value]
            out = []
            for v in values:
                out += [p.strip() for p in re.split(r"[,，、]", str(v)) if p.strip()]
            return list(dict.fromkeys(out))

        region = find_region(one("region"))
        size = one("size")
        return cls(
            region_code=region.code if region else None,
            industry=one("industry"),
            size=size if size in SIZES else None,
            revenue=_number(one("revenue")),
            employees=int(n) if (n := _number(one("employees"))) is not None else None,
            age_years=_number(one("age")),
            ownership=one("ownership"),
            qualifications=many("qual"),
            needs=[n for n in many("need") if n in NEEDS],
        )

    def describe(self) -> str:
        parts = [region_name(self.region_code) or "", self.industry or "",
                 self.size_class() or "", self.ownership or "",
                 f"成立{_number_text(self.age_years)}年" if self.age_years is not None else "",
                 "、".join(self.qualifications)]
        return " · ".join(p for p in parts if p)


def _number(text: str | None) -> float | None:
    try:
        value = float(text) if text not in (None, "") else None
    except ValueError:
        return None
    return value if value is None or value >= 0 else None


def _number_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass
class Reason:
    condition: str   # 地区 / 行业 / 企业规模 / 企业类型 / 资质 / 成立年限 / 营业收入 / 从业人数 / 需求：资金 …
    status: str      # 符合 / 不符合 / 未知
    detail: str      # what was compared, in Chinese
    evidence: str = ""


@dataclass
class MatchResult:
    policy_id: str
    title: str
    score: float                       # conditions met that fit this enterprise in particular
    applies: bool                      # no condition is 不符合 (needs aside)
    reasons: list[Reason] = field(default_factory=list)
    specificity: int = 0               # kind and level: a county's call before a national law
    open_level: int = 0                # 2 applications open, 1 long-term or not yet, 0 unknown

    @property
    def matched(self) -> list[Reason]:
        return [r for r in self.reasons if r.status == MATCH]

    @property
    def unknown(self) -> list[Reason]:
        return [r for r in self.reasons if r.status == UNKNOWN]

    @property
    def may_not_stand(self) -> bool:
        """Old, and nobody stated that it is still in force."""
        return any(r.condition == VALIDITY and r.status == UNKNOWN for r in self.reasons)


# --- the conditions of a card's 申报条件 ------------------------------------------

_NUM = r"(\d+(?:\.\d+)?|[一二三四五六七八九十两百]+)"
_AGE_MIN = re.compile(r"(?:成立|注册|设立|经营|运营)(?:时间|年限)?(?:须|应)?(?:满|已满|超过|达到|在)?" + _NUM
                      + r"(?:个)?(?:周?年)(?:以上|及以上|\(含\)以上|（含）以上)")
_AGE_MAX = re.compile(r"(?:成立|注册|设立)(?:时间|年限)?(?:不满|未满|不超过|不足|在)" + _NUM
                      + r"(?:个)?(?:周?年)(?:以内|内|以下)?")
_REVENUE_MIN = re.compile(r"(?:营业收入|主营业务收入|销售收入|营收|销售额)[^，。；;]{0,14}?"
                          r"(?:不低于|达到|(?<!不)超过|(?<!不)高于|在|≥|>)\s*" + _NUM + r"\s*(万元|亿元)")
_REVENUE_MAX = re.compile(r"(?:营业收入|主营业务收入|销售收入|营收|销售额)[^，。；;]{0,14}?"
                          r"(?:不超过|(?<!不)低于|不高于|少于|<|≤)\s*" + _NUM + r"\s*(万元|亿元)")
_EMPLOYEES_MIN = re.compile(r"(?:从业人员|职工|员工|在职人员|用工)[^，。；;]{0,10}?" + _NUM
                            + r"\s*(?:人|名)(?:以上|及以上)")
_EMPLOYEES_MAX = re.compile(r"(?:从业人员|职工|员工)[^，。；;]{0,10}?(?:不超过|少于|低于|不足)\s*"
                            + _NUM + r"\s*(?:人|名)")
_NEGATED = re.compile(r"除外|不包括|不含|不属于|不得")


def _num(text: str) -> float | None:
    from policy_search.domain.deadlines import cn_number

    try:
        return float(text)
    except ValueError:
        value = cn_number(text)
        return float(value) if value is not None else None


def _wan(amount: str, unit: str) -> float | None:
    value = _num(amount)
    return None if value is None else value * (10000 if unit == "亿元" else 1)


def card_condition_reasons(profile: EnterpriseProfile, conditions: Iterable[str]) -> list[Reason]:
    """成立年限, 营业收入, 从业人数 and 资质 thresholds stated in 申报条件 items, checked."""
    reasons: list[Reason] = []
    for text in conditions:
        checks = []
        for pattern, name, attr, compare, unit in (
            (_AGE_MIN, "成立年限", "age_years", "min", "年"),
            (_AGE_MAX, "成立年限", "age_years", "max", "年"),
            (_REVENUE_MIN, "营业收入", "revenue", "min", "万元"),
            (_REVENUE_MAX, "营业收入", "revenue", "max", "万元"),
            (_EMPLOYEES_MIN, "从业人数", "employees", "min", "人"),
            (_EMPLOYEES_MAX, "从业人数", "employees", "max", "人"),
        ):
            match = pattern.search(text)
            if not match:
                continue
            limit = _wan(match[1], match[2]) if name == "营业收入" else _num(match[1])
            if limit is None:
                continue
            checks.append((name, attr, compare, limit, unit, match.group(0)))
        for name, attr, compare, limit, unit, phrase in checks:
            have = getattr(profile, attr)
            want = f"{'不少于' if compare == 'min' else '不超过'}{_number_text(limit)}{unit}"
            if have is None:
                reasons.append(Reason(name, UNKNOWN, f"要求{want}，未填写", text))
                continue
            ok = have >= limit if compare == "min" else have <= limit
            reasons.append(Reason(name, MATCH if ok else MISMATCH,
                                  f"要求{want}，贵企业为{_number_text(have)}{unit}", text))
        for qual in QUALIFICATIONS:
            if qual in text and not _NEGATED.search(text) and re.search(
                    r"(?:为|是|属于|获得|认定为|取得|具有|具备)[^，。；]{0,8}" + qual, text):
                if qual in profile.qualifications or (
                        qual == "专精特新" and "专精特新小巨人" in profile.qualifications):
                    reasons.append(Reason("资质", MATCH, f"要求{qual}，贵企业具备", text))
                elif profile.qualifications:
                    reasons.append(Reason("资质", MISMATCH, f"要求{qual}，贵企业未填写该资质", text))
                else:
                    reasons.append(Reason("资质", UNKNOWN, f"要求{qual}，未填写资质", text))
    # one reason per condition and status: the first evidence is enough
    seen, unique = set(), []
    for reason in reasons:
        key = (reason.condition, reason.status, reason.detail)
        if key not in seen:
            seen.add(key)
            unique.append(reason)
    return unique


# --- the tags ----------------------------------------------------------------------


# The place a title begins with: "宁波市科技创新促进条例", "汕头经济特区…", "景宁畲族自治县…".
_TITLE_PLACE = re.compile(
    r"^([\u4e00-\u9fff]{2,7}?)(省|自治区|市|自治州|自治县|县|区|经济特区|特别行政区)(?=[\u4e00-\u9fff《])")
_PLACE_SUFFIX = re.compile(r"(?:省|自治区|市|自治州|自治县|县|区|经济特区|特别行政区)$")


def _core(name: str) -> str:
    return _PLACE_SUFFIX.sub("", name or "")


def title_place(title: str) -> str | None:
    """The place a title says the policy is for, when it begins with one, else None."""
    found = _TITLE_PLACE.match(title or "")
    return found.group(1) + found.group(2) if found else None


@lru_cache(maxsize=1)
def _place_names() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(region name, the names a title may use for it) for every known region but 全国."""
    return tuple((r.name, tuple(n for n in {r.name, _core(r.name)} if len(n) >= 2))
                 for r in all_regions() if r.code != "100000")


@lru_cache(maxsize=256)
def _covered_places(region_code: str) -> tuple[frozenset, frozenset]:
    """The place names (without 省/市/县) of a region's chain up to 全国, and of the
    regions below it: a title naming one of these is about the enterprise's place."""
    chain = frozenset(_core(region_name(code) or "") for code in parent_codes(region_code))
    below = frozenset(_core(r.name) for r in all_regions() if region_code in parent_codes(r.code))
    return chain, below


def _named_places(title: str) -> list[str]:
    """Known provinces and cities a title names anywhere ("鼓励投资开发海南岛")."""
    return [name for name, spellings in _place_names() if any(n in title for n in spellings)]


# A zone the title names: the policy is for enterprises there (开发区, 合作区, 保税区 …).
_ZONE = re.compile(r"[\u4e00-\u9fff]{2,12}?(?:经济技术开发区|开发区|合作区|试验区|示范区|保税港区|保税区|"
                   r"出口加工区|加工区|高新区|新区|自由贸易试验区|自贸区|产业园区?)")


def _region_reason(profile: EnterpriseProfile, policy) -> Reason:
    title = policy.title or ""
    zone = _ZONE.search(title)
    if zone and profile.region_code:
        return Reason("地区", MISMATCH, f"政策只适用于{zone.group(0)}内，未表明企业位于该区域", title)
    place = title_place(title) or next(iter(_named_places(title)), None)
    if place and profile.region_code:
        # the title says where it applies, whatever the source filed it under (a city's
        # regulation is often filed under its province)
        chain, below = _covered_places(profile.region_code)
        if _core(place) not in chain and _core(place) not in below:
            return Reason("地区", MISMATCH,
                          f"政策适用于{place}，不含{region_name(profile.region_code)}", policy.title)
    applies = applicability_of(policy)
    if not applies.codes:
        return Reason("地区", UNKNOWN, "政策未标注地区")
    name = "、".join(applies.names())
    if applies.restricted:
        name += f"（{'标题' if applies.source == 'title' else '原文'}限定）"
    if profile.region_code is None:
        return Reason("地区", UNKNOWN, f"政策适用于{name}，未填写企业所在地")
    if applies.applies_in(profile.region_code):
        return Reason("地区", MATCH, f"政策适用于{name}，覆盖{region_name(profile.region_code)}")
    return Reason("地区", MISMATCH, f"政策适用于{name}，不含{region_name(profile.region_code)}")


@dataclass
class TagFact:
    """A tag value as a condition: does the policy restrict itself to it, and where it says so."""

    value: str
    restricts: bool
    evidence: str
    in_title: bool = False


def tag_facts(policy, facet: str) -> list[TagFact]:
    """A policy's tags of one facet; a tag restricts when staff set it (or it came without
    evidence, e.g. imported) or its evidence stands in the title or the 适用对象 section."""
    facts = []
    for tag in policy.tags:
        if tag.facet != facet or tag.rejected:
            continue
        evidence = load_evidence(tag.evidence)
        telling = [e for e in evidence if e.field == "title" or e.in_section]
        restricts = tag.origin == "staff" or not evidence or bool(telling)
        shown = (telling or evidence)[0].text if evidence else ""
        facts.append(TagFact(tag.value, restricts, shown,
                             any(e.field == "title" for e in evidence)))
    return facts


_GENERAL_TARGET = re.compile(r"小微企业|中小企业|中小微企业|民营企业|个体工商户|市场主体|各类企业")


def _industry_reason(profile: EnterpriseProfile, policy) -> Reason:
    facts = tag_facts(policy, "industry")
    if not facts:
        return Reason("行业", UNKNOWN, "政策未标注行业")
    open_to_all = next((f for f in facts if f.value == "不限行业"), None)
    if open_to_all:
        return Reason("行业", MATCH, "政策不限行业", open_to_all.evidence)
    shown = "、".join(f.value for f in facts)
    if profile.industry is None:
        return Reason("行业", UNKNOWN, f"政策面向{shown}，未填写行业", facts[0].evidence)
    same = next((f for f in facts if f.value == profile.industry), None)
    if same:
        return Reason("行业", MATCH, f"政策面向{shown}", same.evidence)
    restricting = [f for f in facts if f.restricts]
    general = _GENERAL_TARGET.search(policy.title or "")
    if restricting and general:
        # "支持小微企业和“三农”发展": enterprises of a size in any industry, or that industry
        return Reason("行业", UNKNOWN, f"政策面向{general.group(0)}及{shown}", policy.title)
    if restricting:
        return Reason("行业", MISMATCH, f"政策面向{shown}，贵企业属{profile.industry}",
                      restricting[0].evidence)
    return Reason("行业", UNKNOWN, f"政策提及{shown}，未限定行业", facts[0].evidence)


# "…光伏产业…", "…稀土行业…": a policy for one sector, named in the title.
_SECTOR = re.compile(r"([\u4e00-\u9fff]{2,8}?)(?:产业|行业)")
_NOT_A_SECTOR = re.compile(
    r"^(?:关于|促进|加快|推进|推动|支持|扶持|发展|做好|新兴|战略性新兴|相关|重点|优势|特色|主导|传统|"
    r"现代|各|全|本|有关|实体|中小|民营)+$|实体经济|中小企业|民营经济")


def _sector_reason(profile: EnterpriseProfile, policy, reason: Reason) -> Reason:
    """A sector the title names decides the 行业 condition when tags left it open or only
    matched it as "不限行业" or in passing."""
    if profile.industry is None or (reason.status == MATCH and reason.evidence == policy.title):
        return reason
    title = policy.title or ""
    for match in _SECTOR.finditer(title):
        # "国务院关于促进光伏产业…": the sector is what follows the last 关于 / 促进 …
        sector = re.split(r"关于|促进|加快|推进|推动|支持|扶持|做好|发展|和|与|的", match.group(1))[-1]
        if len(sector) < 2 or _NOT_A_SECTOR.search(sector):
            continue
        value = current_taxonomy().facets["industry"].get(profile.industry) \
            if "industry" in current_taxonomy().facets else None
        # the value's names and its strong keywords (a weak one like 机械 says little)
        words = [w for w in ([*value.terms, *(k for k, weight in value.keywords.items()
                                             if weight >= 2)] if value else [profile.industry])
                 if not w.startswith(REGEX_PREFIX)]
        if any(w in sector or sector in w for w in words):
            return Reason("行业", MATCH, f"政策面向{sector}{match.group(0)[-2:]}", title)
        return Reason("行业", MISMATCH,
                      f"政策面向{sector}{match.group(0)[-2:]}，贵企业属{profile.industry}", title)
    return reason


# "中华人民共和国乡镇企业法", "劳动就业服务企业管理规定": a policy for one kind of enterprise.
_TITLE_CATEGORY = re.compile(
    r"([\u4e00-\u9fff]{2,12}?)企业(?=法|条例|规定|办法|管理|发展|促进|权益|的|和|、|若干|改革)")
_CATEGORY_PREFIX = re.compile(
    r"^(?:中华人民共和国|关于|国务院|促进|支持|扶持|鼓励|加快|推进|推动|做好|发展|保障|"
    r"[\u4e00-\u9fff]{2,6}?(?:省|自治区|市|县|区))+")
_GENERIC_CATEGORY = re.compile(
    r"各类|广大|中小|小微|小型|微型|民营|私营|非公有|国有|全民所有制|集体|外商|外资|台湾|华侨|港澳|个体")


def _category_reason(profile: EnterpriseProfile, policy) -> Reason | None:
    """A kind of enterprise the title names and the profile cannot claim: 乡镇企业,
    劳动就业服务企业 … (sizes, ownership and known types are decided elsewhere)."""
    title = policy.title or ""
    found = _TITLE_CATEGORY.search(title)
    if not found:
        return None
    category = _CATEGORY_PREFIX.sub("", found.group(1))
    if len(category) < 2 or _GENERIC_CATEGORY.search(category):
        return None
    taxonomy = current_taxonomy()
    for facet in ("enterprise", "industry"):
        for value in taxonomy.facets[facet].active_values() if facet in taxonomy.facets else []:
            words = [w for w in (*value.terms, *value.keywords) if not w.startswith(REGEX_PREFIX)]
            if any(w in category + "企业" for w in words if len(w) >= 2):
                return None  # a known type or industry: tags and the 行业 check decide
    return Reason("企业类型", MISMATCH, f"政策面向{category}企业，贵企业未表明属于此类", title)


def _enterprise_reasons(profile: EnterpriseProfile, policy) -> list[Reason]:
    """企业类型 tags: any one the enterprise is counts (a policy for 小微企业 or 专精特新)."""
    category = _category_reason(profile, policy)
    if category:
        return [category]
    facts = tag_facts(policy, "enterprise")
    if not facts:
        return []
    types = profile.enterprise_types()
    size_tags = {"小微企业", "中小企业"}
    # what the title or the 适用对象 section names decides; a type met in passing does not
    considered = ([f for f in facts if f.in_title] or [f for f in facts if f.restricts]
                  or facts)
    condition = "企业规模" if {f.value for f in considered} <= size_tags else "企业类型"
    shown = "、".join(f.value for f in considered)
    yes = [f for f in considered if types.get(f.value)]
    if yes:
        return [Reason(condition, MATCH, f"政策面向{shown}，贵企业属{'、'.join(f.value for f in yes)}",
                       yes[0].evidence)]
    restricting = [f for f in considered if f.restricts]
    if restricting and all(types.get(f.value) is False for f in restricting):
        return [Reason(condition, MISMATCH, f"政策面向{shown}，贵企业不属于", restricting[0].evidence)]
    if not restricting:
        return [Reason(condition, UNKNOWN, f"政策提及{shown}，未限定企业类型", facts[0].evidence)]
    return [Reason(condition, UNKNOWN, f"政策面向{shown}，无法判断", restricting[0].evidence)]


# Ownership a title restricts a policy to (企业性质 on the form): a law for 外商投资企业 is
# not for a private company.
_OWNERSHIP_TARGETS = (
    (re.compile(r"外商投资|外资企业|外国投资|外国企业"), ("外资",)),
    (re.compile(r"台湾同胞|台胞|港澳|华侨|香港|澳门"), ("港澳台资",)),
    (re.compile(r"国有企业|国营|全民所有制"), ("国有",)),
    (re.compile(r"集体企业|集体所有制"), ("集体",)),
    (re.compile(r"民营|私营|非公有制"), ("民营", "个体工商户")),
    (re.compile(r"个体工商户|个体经济"), ("个体工商户",)),
)


# A tax only enterprises with legal personality pay: an 个体工商户 pays 个人所得税 on its
# 经营所得 instead, so a policy on 企业所得税 gives it nothing.
_CORPORATE_TAX = re.compile(r"企业所得税")


def _ownership_reason(profile: EnterpriseProfile, policy) -> Reason | None:
    title = policy.title or ""
    if profile.ownership == "个体工商户" and _CORPORATE_TAX.search(title):
        return Reason("企业性质", MISMATCH, "政策关于企业所得税，个体工商户缴纳个人所得税（经营所得），不适用",
                      title)
    for pattern, owners in _OWNERSHIP_TARGETS:
        found = pattern.search(title)
        if not found:
            continue
        shown = "、".join(owners)
        if profile.ownership is None:
            return Reason("企业性质", UNKNOWN, f"政策面向{shown}企业，未填写企业性质", title)
        if profile.ownership in owners:
            return Reason("企业性质", MATCH, f"政策面向{shown}企业", title)
        return Reason("企业性质", MISMATCH, f"政策面向{shown}企业，贵企业为{profile.ownership}", title)
    return None


# --- needs: met by support provisions ------------------------------------------------


def support_evidence(policy, card, need: str, fit=None) -> str | None:
    """A sentence of the policy granting enterprises the support the need asks for, or None.

    Looked for in the card's 支持标准 (support statements with their amounts), the support
    sentences that made the policy 惠企, the evidence of its 支持方式 tags, then the rest of
    the grants of its text. Each must be support an enterprise can claim
    (policy_search.domain.kinds.claimable_support) of the kind the need asks for — never the
    word in passing ("鼓励金融机构加强融资服务").

    fit: whether a sentence's grant is for this enterprise (True, False, or None: cannot
    tell). A grant for someone else is never the evidence; one that surely fits is preferred
    to one that may (企业所得税法's 减按20% before its 农、林、牧、渔业 exemptions, for a shop).
    """
    words = re.compile(NEED_WORDS[need])
    categories = NEED_CATEGORIES.get(need, ())

    def serves(sentence: str, *, scheme: bool = False) -> bool:
        if not sentence or not words.search(sentence):
            return False
        if sentence.rstrip("。 ").endswith(("：", ":")):
            return False  # a list's lead without its items says to whom only in them
        support = (claimable_scheme_support if scheme else claimable_support)(sentence)
        return support is not None and (not categories or support.category in categories)

    maybe = None
    for text, scheme in _evidence_candidates(policy, card, need, fit):
        if not serves(text, scheme=scheme):
            continue
        verdict = fit(text) if fit else True
        if verdict is True:
            return text
        if verdict is None:
            maybe = maybe or text
    return maybe


def _evidence_candidates(policy, card, need: str, fit):
    """(sentence, read as a scheme's) in the order support_evidence prefers them."""
    # a measure's or call's own 支持标准 speaks to its applicants without naming them
    scheme = getattr(policy, "doc_kind", "") in (HUIQI_MEASURE, APPLICATION_CALL)
    if card is not None:
        for item in card.get("support"):
            if item.evidence and fit and fit(item.evidence) is False:
                continue  # the clause's sentence says whom it is for: someone else
            yield from ((text, scheme) for text in (item.evidence, item.value))
    for clue in getattr(policy, "huiqi_evidence", []) or []:
        if isinstance(clue, Clue) and clue.where == "正文":
            yield clue.text, False
    for tag in policy.tags:
        if tag.facet == "support" and not tag.rejected and tag.value in NEEDS.get(need, ()):
            yield from ((evidence.text, False) for evidence in load_evidence(tag.evidence))
    # another grant of its text, stated as something to claim (a rate, an amount, where to
    # apply): the card and the clues show only a few of a long policy's grants
    yield from ((grant, scheme) for grant in policy_grants(policy) if _claims_concretely(grant))


@lru_cache(maxsize=8192)
def _claims_concretely(grant: str) -> bool:
    """concrete_claim, remembered: a /match request asks it of the same grants for every need."""
    return concrete_claim(grant)


def _needs_reasons(profile: EnterpriseProfile, policy, card) -> list[Reason]:
    reasons = []

    def fit(sentence: str) -> bool | None:
        """Support for someone else (hiring 就业困难人员, new firms …) meets no need of this one."""
        return grant_fit(profile, sentence, policy.title or "").fits
    for need in profile.needs:
        evidence = support_evidence(policy, card, need, fit)
        if evidence:
            reasons.append(Reason(f"需求：{need}", MATCH, f"提供{need}方面的支持", evidence))
        else:
            reasons.append(Reason(f"需求：{need}", MISMATCH, f"未见提供{need}方面支持的条款"))
    return reasons


# --- whom each grant is for -----------------------------------------------------------
#
# A policy fits an enterprise when at least one of its grants is for an enterprise like it:
# 企业所得税法's 减按20% is for 小型微利企业, its 研究开发费用加计扣除 for enterprises that do
# research, its 专用设备 credit for manufacturers buying equipment; a 就业促进条例's 社会保险补贴
# is for employers hiring 就业困难人员; 开业贷款 for a firm in its first months. Who a grant is
# for is read from the grant itself (and an activity the title names, 小微企业项目环评); the
# tags and the card say whom the policy as a whole is for (above).

_INDUSTRIAL = ("制造业", "采矿业", "电力、热力、燃气及水生产和供应业")
_TECH_INDUSTRIES = ("科学研究和技术服务业", "信息传输、软件和信息技术服务业")
_TECH_QUALS = ("高新技术企业", "专精特新", "专精特新小巨人", "科技型中小企业", "技术先进型服务企业",
               "瞪羚企业")


def _size_is(*sizes: str):
    def check(profile: EnterpriseProfile) -> bool | None:
        size = profile.size_class()
        return None if size is None else size in sizes
    return check


def _owner_is(*owners: str):
    def check(profile: EnterpriseProfile) -> bool | None:
        return None if profile.ownership is None else profile.ownership in owners
    return check


def _has_qual(*quals: str):
    def check(profile: EnterpriseProfile) -> bool | None:
        if any(q in profile.qualifications for q in quals):
            return True
        return False if profile.qualifications else None  # none stated: cannot tell
    return check


def _in_industry(*industries: str, quals: tuple[str, ...] = (), maybe: tuple[str, ...] = ()):
    """A check: the enterprise is in one of `industries` (or holds one of `quals`); in an
    industry of `maybe` only some enterprises are (a manufacturer may process farm produce)."""
    def check(profile: EnterpriseProfile) -> bool | None:
        if any(q in profile.qualifications for q in quals):
            return True
        if profile.industry is None or profile.industry in maybe:
            return None
        return profile.industry in industries
    return check


def _does_research(profile: EnterpriseProfile) -> bool | None:
    if "创新" in profile.needs or any(q in profile.qualifications for q in _TECH_QUALS) \
            or profile.industry in _TECH_INDUSTRIES:
        return True
    return False if profile.qualifications else None


def _exports(profile: EnterpriseProfile) -> bool:
    return "外贸企业" in profile.qualifications or "市场" in profile.needs


def _never(_profile: EnterpriseProfile) -> bool:
    return False


# Whom a grant names (any one of them fits): (pattern, as the reason shows it, check).
_WHO = (
    (r"小型微利企业|小微企业|小型微型企业|小型企业|微型企业|(?<![中大])小企业", "小微企业", _size_is("小微")),
    (r"中小微企业|中小企业", "中小企业", _size_is("小微", "中型")),
    (r"个体工商户|个体经营", "个体工商户", _owner_is("个体工商户")),
    (r"民营企业|民营经济组织|私营企业|非公有制企业", "民营企业", _owner_is("民营", "个体工商户")),
    (r"外商投资企业|外资企业|外国投资者", "外商投资企业", _owner_is("外资")),
    (r"高新技术企业", "高新技术企业", _has_qual("高新技术企业")),
    (r"专精特新", "专精特新企业", _has_qual("专精特新", "专精特新小巨人")),
    (r"科技型中小企业|科技型企业", "科技型企业", _has_qual("科技型中小企业", "高新技术企业")),
    (r"技术先进型服务企业", "技术先进型服务企业", _has_qual("技术先进型服务企业")),
    (r"农民专业合作社|合作社|家庭农场|农业生产经营组织|农业经营主体|农业产业化",
     "农业经营主体", _in_industry("农、林、牧、渔业", quals=("农业经营主体",))),
    (r"软件企业|集成电路", "软件和集成电路企业", _in_industry("信息传输、软件和信息技术服务业")),
    # founders and job seekers are persons, not the enterprise
    (r"创业人员|自主创业|失业人员创办|毕业生创办|人员创办", "创业人员", _never),
)
# Kinds of body a profile is not: financial bodies, investors, operators of a scheme.
_SPECIAL_KIND = (r"创业投资|融资担保(?:机构|公司)|再担保机构|担保机构|金融机构|银行|保险机构|小额贷款|福利企业|"
                 r"劳动就业服务企业|乡镇企业|节能服务|职业中介|培训机构|孵化器|众创空间|种子企业|种业企业|"
                 r"电网企业|居民企业|养老机构|民办|鼓励类企业")
# What the grant is for, when it names an activity (any one fits).
_ACTIVITY = (
    (r"研究开发|研发|(?<!高)新技术|新产品|新工艺|技术转让|技术进步|科技成果|技术开发|技术中心|专利",
     "研发和技术创新", _does_research),
    (r"建设项目|环评|环境影响评价|专用设备|技术改造|厂房|生产线|设备购置|购置[^，。；]{0,6}设备",
     "建设项目、技术改造和设备投资", _in_industry(*_INDUSTRIAL)),
    (r"出口|外贸|进出口|跨境", "出口和外贸", _exports),
    (r"农、林、牧、渔|农业|农产品|种植|养殖|畜牧|渔业|林业|农机",
     "农业生产经营", _in_industry("农、林、牧、渔业", quals=("农业经营主体",), maybe=("制造业",))),
    (r"公共基础设施|环境保护、节能节水项目|节能节水项目|资源综合利用|合同能源管理|境外|发行[^，。；]{0,6}债券|"
     r"上市", "特定项目或业务", _never),
)
# Conditions a grant sets that a profile cannot claim or that depend on its age.
_HIRING = re.compile(r"(?:招用|吸纳|安置|录用|雇用|招收|聘用|与)[^，。；]{0,24}?(?:失业人员|就业困难人员|残疾人|"
                     r"退役军人|军人|高校毕业生|毕业生|贫困劳动力|下岗|农民工|脱贫|就业人员)|劳动密集型")
# A grant whose recipients another provision defines ("本法第三条第三款规定的所得").
_CROSS_REFERENCE = re.compile(r"本(?:法|条例|规定|办法)第[^，。；]{1,12}(?:条|款|项)规定的")
# A grant persons claim for themselves: what workers claim (kinds.WORKERS_CLAIM, no support
# for the enterprise at all), and a founder's loan (support for a new business, not this one).
_PERSONS_CLAIM = re.compile(
    WORKERS_CLAIM.pattern +
    # a person who starts a business borrows as a person ("符合…条件的人员自主创业的，可申请…
    # 创业担保贷款"): not a loan an existing firm can take
    r"|(?:人员|个人|劳动者|毕业生|农民工|退役军人)[^，。；]{0,4}自主创业的"
    r"|(?:合伙经营|合伙|组织起来)[^，。；]{0,4}创业的")
# Where a grant names its recipient: before it says what they get.
_GRANT_VERB = re.compile(r"给予|享受|可以申请|可申请|可以向|可以按|申请|减按|免征|减征|加计扣除|抵免|提供")
_PLACE = re.compile(r"民族自治地方|西部地区|贫困地区|革命老区|边境|特定地区|经济特区|开发区内|示范区内|"
                    r"自由贸易试验区|保税区|入驻|园区内|基地内")
_NEW_FIRM = re.compile(r"新办|新创办|新设立|新成立|新开办|初创|开业|在本市创办|创办小企业|"
                       r"(?:成立|注册|创办)[^，。；]{0,6}?(?:不满|未满|不超过|以内|内)")
_MONTHS = re.compile(r"(\d+|[一二三四五六七八九十]+)个月")


def _named(text: str, table) -> list[tuple[str, object]]:
    return [(label, check) for pattern, label, check in table if re.search(pattern, text)]


@dataclass
class GrantFit:
    """One grant of a policy checked against the enterprise."""

    text: str
    fits: bool | None
    detail: str


def _recipient(text: str) -> str:
    """Where a grant names who gets it: what comes before it says what they get, and — for a
    list's item — the item ("企业的下列所得，可以免征…：从事农、林、牧、渔业项目的所得")."""
    lead, colon, item = text.partition("：")
    verb = _GRANT_VERB.search(lead)
    return (lead[:verb.start()] if verb else lead) + (colon + item if colon else "")


def _special_recipient(recipient: str) -> str | None:
    """A kind of body no profile is (a guarantee agency, an investor …) named as the one who
    gets the grant — not as the one who acts ("担保机构要重点支持小微企业")."""
    for found in re.finditer(_SPECIAL_KIND, recipient):
        if not re.match(r"[^，。；]{0,4}?(?:要|应当|应|为|向|对|在|等|提供)", recipient[found.end():]) \
                and not re.search(r"(?:鼓励|支持|引导|推动)[^，。；]{0,10}$", recipient[:found.start()]):
            return found.group(0)
    return None


def _verdict(profile: EnterpriseProfile, named) -> bool | None:
    checks = [check(profile) for _, check in named]
    return True if True in checks else (None if None in checks else False)


def grant_fit(profile: EnterpriseProfile, text: str, title: str = "") -> GrantFit:
    """Is this grant for an enterprise like this one? Every condition the grant sets must
    hold: whom it names as getting it (any one of them), the activity its instrument is for,
    hiring particular persons, a place, the firm's age; a grant that names none of them is
    for enterprises in general."""
    recipient = _recipient(text)
    if through_third_party(text):
        return GrantFit(text, False, "经由金融机构等第三方，或仅为政府的政策表述")
    special = _special_recipient(recipient)
    if special:
        return GrantFit(text, False, f"面向{special}")
    if _PERSONS_CLAIM.search(text):
        return GrantFit(text, False, "由职工、毕业生等个人申领")
    if hiring := _HIRING.search(text):  # a condition it states, whatever another article adds
        return GrantFit(text, False, f"以{hiring.group(0)}为条件")
    if _CROSS_REFERENCE.search(text):
        return GrantFit(text, None, "扶持对象由其他条款规定")
    if _PLACE.search(recipient):
        return GrantFit(text, False, f"限于{_PLACE.search(recipient).group(0)}")
    verdicts: list[tuple[str, bool | None]] = []
    who = _named(recipient, _WHO)
    if who:
        verdicts.append(("、".join(label for label, _ in who), _verdict(profile, who)))
    # the instrument says the activity (研究开发费用加计扣除 is for firms that do research)
    activity = _named(text, _ACTIVITY) or _named(title, _ACTIVITY[:3])
    if activity:
        verdicts.append(("、".join(label for label, _ in activity), _verdict(profile, activity)))
    if _NEW_FIRM.search(recipient):
        months = _MONTHS.search(recipient)
        limit = (_num(months.group(1)) or 0) / 12 if months else STARTUP_YEARS
        age = profile.age_years
        verdicts.append((f"成立{_number_text(round(limit, 1))}年内的企业",
                         None if age is None else age <= limit))
    if not verdicts:
        return GrantFit(text, True, "面向企业，未限定类型")
    shown = "；".join(label for label, _ in verdicts)
    if any(v is False for _, v in verdicts):
        return GrantFit(text, False, f"面向{shown}")
    if any(v is None for _, v in verdicts):
        return GrantFit(text, None, f"面向{shown}，无法判断")
    return GrantFit(text, True, f"面向{shown}")


_GRANTS_CACHED = 4096
_grants_cache: dict[tuple, tuple[str, ...]] = {}


def policy_grants(policy) -> tuple[str, ...]:
    """The grants of a policy an enterprise can claim (policy_search.domain.kinds.claimable_grants),
    remembered by the policy and its text (a /match request checks the same candidates again)."""
    scheme = getattr(policy, "doc_kind", "") in (HUIQI_MEASURE, APPLICATION_CALL)
    text = getattr(policy, "body_text", "") or ""
    key = (getattr(policy, "id", ""), hash(text), scheme)
    grants = _grants_cache.get(key)
    if grants is None:
        if len(_grants_cache) >= _GRANTS_CACHED:
            _grants_cache.clear()
        grants = _grants_cache[key] = tuple(claimable_grants(text, scheme=scheme))
    return grants


def _title_activity_reason(profile: EnterpriseProfile, policy) -> Reason | None:
    """An activity the title names (小微企业项目环评, 技术改造, 研发, 出口) is what the policy
    is about: it fits enterprises that have it."""
    title = policy.title or ""
    named = _named(title, _ACTIVITY[:3])
    if not named:
        return None
    checks = [check(profile) for _, check in named]
    shown = "、".join(label for label, _ in named)
    if True in checks:
        return Reason("扶持对象", MATCH, f"政策关于{shown}", title)
    if None in checks:
        return Reason("扶持对象", UNKNOWN, f"政策关于{shown}，无法判断是否适用", title)
    return Reason("扶持对象", MISMATCH, f"政策关于{shown}，与贵企业的行业、资质或需求不符", title)


def _grantee_reason(profile: EnterpriseProfile, policy) -> Reason | None:
    """扶持对象: is one of the policy's grants for an enterprise like this one? None when the
    policy states no grant to check (a call whose text is only its conditions)."""
    fits = [grant_fit(profile, g, policy.title or "") for g in policy_grants(policy)]
    if not fits:
        return _title_activity_reason(profile, policy)
    good = next((f for f in fits if f.fits is True), None)
    if good:
        return Reason("扶持对象", MATCH, good.detail, good.text)
    if all(f.fits is False for f in fits):
        shown = "；".join(dict.fromkeys(f.detail for f in fits))
        return Reason("扶持对象", MISMATCH, f"扶持条款{_clip_detail(shown)}，贵企业不符", fits[0].text)
    unsure = next(f for f in fits if f.fits is None)
    return Reason("扶持对象", UNKNOWN, unsure.detail, unsure.text)


def _clip_detail(text: str, most: int = 80) -> str:
    return text if len(text) <= most else text[:most - 1] + "…"


# --- the whole -----------------------------------------------------------------------


def _concrete(policy, card) -> bool:
    """Does a law state support an enterprise could claim from it (not only that the
    state "实行…优惠" or "设立…资金")? See policy_search.domain.kinds.concrete_claim."""
    texts = [c.text for c in getattr(policy, "huiqi_evidence", []) or []
             if isinstance(c, Clue) and c.where == "正文"]
    if card is not None:
        texts += [i.evidence or i.value for i in card.get("support")]
    return any(concrete_claim(t) for t in texts)


def _first_support(policy) -> str:
    return next((c.text for c in getattr(policy, "huiqi_evidence", []) or []
                 if isinstance(c, Clue) and c.where == "正文"), "")


def match_policy(profile: EnterpriseProfile, policy, card=None,
                 today: dt.date | None = None) -> MatchResult:
    """Check one policy (a Policy with tags, kind and 惠企 flag; card: its PolicyCard or None)."""
    today = today or china_today()
    industry = _sector_reason(profile, policy, _industry_reason(profile, policy))
    reasons = [_region_reason(profile, policy), industry,
               *_enterprise_reasons(profile, policy), *_needs_reasons(profile, policy, card)]
    ownership = _ownership_reason(profile, policy)
    if ownership:
        reasons.append(ownership)
    grantee = _grantee_reason(profile, policy)
    if grantee and grantee.status == UNKNOWN and profile.needs and not any(
            r.status == MATCH for r in reasons if r.condition.startswith("需求")):
        # nothing shows the policy is for this enterprise, nor that it meets a need of it
        grantee = Reason("扶持对象", MISMATCH, f"{grantee.detail}，且未见满足贵企业所需"
                         f"（{'、'.join(profile.needs)}）的条款", grantee.evidence)
    if grantee:
        reasons.append(grantee)
    if card is not None:
        reasons += card_condition_reasons(profile, card.values("conditions"))
    if getattr(policy, "doc_kind", "") == LAW and getattr(policy, "huiqi", False) \
            and not _concrete(policy, card):
        # named for what is missing, not "惠企": the law is 惠企 (its badge says so), it only
        # states no support an enterprise could claim from it
        reasons.append(Reason(CONCRETE_SUPPORT, MISMATCH, "法律法规，未写明企业可申请或可享受的具体扶持（比例、金额或申请途径）",
                              _first_support(policy)))
    if not getattr(policy, "huiqi", False):
        clue = (getattr(policy, "huiqi_evidence", None) or [None])[0]
        reasons.append(Reason("惠企", MISMATCH, f"{policy.doc_kind}，不直接给予企业扶持",
                              clue.describe() if isinstance(clue, Clue) else ""))
    if policy.validity in OUT_OF_FORCE:
        reasons.append(Reason(VALIDITY, MISMATCH, f"政策已{policy.validity}"))
    elif getattr(policy, "doc_kind", "") != LAW and not still_standing(policy, today):
        # A law stands until repealed. A policy document whose validity nobody stated may
        # well still stand (many 意见 run for a decade), but the site cannot say so beyond
        # what such documents commonly run (deadlines.STANDING_YEARS): it is listed after
        # those that stand, saying so, rather than left out or shown as certain — until it
        # is so old that it has as a rule been replaced (SUPERSEDED_YEARS): then left out.
        year = issued_on(policy).year  # not None: an undated policy is taken to stand
        evidence = policy.publish_date or policy.written_date or policy.doc_number or ""
        if still_standing(policy, today, SUPERSEDED_YEARS):
            reasons.append(Reason(VALIDITY, UNKNOWN, f"{year}年发布，未注明有效期，已超过{STANDING_YEARS}年，"
                                  "请向发文机关核实是否仍然有效", evidence))
        else:
            reasons.append(Reason(VALIDITY, MISMATCH, f"{year}年发布，未注明有效期，已超过{SUPERSEDED_YEARS}年，"
                                  "多已被后来的政策取代或清理", evidence))
    deadline = policy.deadline
    status = "未知"
    if deadline is not None and deadline.kind != "unknown":
        status = policy_status(policy, today)
        if status == "已截止":
            reasons.append(Reason("申报状态", MISMATCH, "申报已截止", deadline.evidence))
        else:
            reasons.append(Reason("申报状态", MATCH, f"{status}（{deadline.describe()}）",
                                  deadline.evidence))
    fit = sum(1 for r in reasons if r.status == MATCH and r.condition.split("：")[0] in FIT_CONDITIONS
              and r.detail != "政策不限行业")
    applies = not any(r.status == MISMATCH and not r.condition.startswith("需求") for r in reasons)
    level = policy.level or (level_of_code(policy.region_code) if policy.region_code else "national")
    specificity = KIND_SPECIFICITY.get(policy.doc_kind, 0) + LEVEL_SPECIFICITY.get(level, 0)
    return MatchResult(policy.id, policy.title, float(fit), applies, reasons, specificity,
                       OPEN_STATUSES.get(status, 0))


def match_policies(profile: EnterpriseProfile, candidates: Iterable[tuple], *,
                   today: dt.date | None = None, include_unmet: bool = False,
                   limit: int | None = None) -> list[MatchResult]:
    """Rank (policy, card) pairs for the profile: applicable ones first; then the conditions
    met; among equals, those that may no longer stand after the others; then how specific
    the policy is, open applications, and the newer policy.

    include_unmet keeps the ones with a 不符合 condition (after the applicable ones), for a
    "why not" view.
    """
    results = []
    for policy, card in candidates:
        result = match_policy(profile, policy, card, today)
        if result.applies or include_unmet:
            results.append((result, policy.publish_date or policy.written_date or ""))
    results.sort(key=lambda pair: (not pair[0].applies, -pair[0].score, pair[0].may_not_stand,
                                   -pair[0].specificity, -pair[0].open_level, _neg(pair[1])))
    ranked = [r for r, _ in results]
    return ranked[:limit] if limit else ranked


def _neg(date: str) -> str:
    # newest first inside one score: invert the digits of the ISO date
    return "".join(chr(ord("9") - ord(c) + ord("0")) if c.isdigit() else c for c in date)


def profile_filters(profile: EnterpriseProfile) -> dict[str, list[str]]:
    """Search filters that pre-select candidates: 惠企 policies in force (validity 有效 or
    未知) that apply in the enterprise's region (those for it and every division above it).
    Keys as in /api/search.
    """
    filters: dict[str, list[str]] = {"validity": ["有效", "未知"], "huiqi": ["是"]}
    if profile.region_code:
        filters["region"] = [profile.region_code]
    return filters
