"""政策计算器: which policies fit an enterprise, and why.

An entrepreneur describes the enterprise (region, industry, size, age, ownership,
qualifications, needs). Each candidate policy is checked condition by condition — from
its tags (region, 行业, 企业类型, 支持方式) and from its card's 申报条件 (成立年限, 营业收入,
从业人数, 资质) — and every condition comes out as 符合 / 不符合 / 未知 with the evidence.
Pure domain logic: the site passes in candidates (from the index or the store).
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from policy_search.applicability import applicability_of
from policy_search.regions import find_region, region_name

MATCH, MISMATCH, UNKNOWN = "符合", "不符合", "未知"
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
# qualification -> the 企业类型 tag it proves
_QUAL_TAGS = {"高新技术企业": "高新技术企业", "专精特新": "专精特新", "专精特新小巨人": "专精特新",
              "科技型中小企业": "科技型中小企业", "规模以上企业": "规模以上企业",
              "外贸企业": "外贸企业", "农业经营主体": "农业经营主体"}
STARTUP_YEARS = 3  # 初创企业: established at most this many years

# Weights: how much a condition says about fit.
WEIGHTS = {"地区": 3.0, "行业": 2.0, "企业规模": 2.0, "企业类型": 2.5, "资质": 2.5,
           "成立年限": 1.5, "营业收入": 1.5, "从业人数": 1.0, "需求": 2.0, "有效性": 0.0,
           "申报状态": 0.5}
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
    condition: str   # 地区 / 行业 / 企业规模 / 企业类型 / 资质 / 成立年限 / 营业收入 / 从业人数 / 需求 …
    status: str      # 符合 / 不符合 / 未知
    detail: str      # what was compared, in Chinese
    evidence: str = ""


@dataclass
class MatchResult:
    policy_id: str
    title: str
    score: float
    applies: bool                      # no condition is 不符合
    reasons: list[Reason] = field(default_factory=list)

    @property
    def matched(self) -> list[Reason]:
        return [r for r in self.reasons if r.status == MATCH]

    @property
    def unmet(self) -> list[Reason]:
        return [r for r in self.reasons if r.status == MISMATCH]

    @property
    def unknown(self) -> list[Reason]:
        return [r for r in self.reasons if r.status == UNKNOWN]


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
    from policy_search.deadlines import cn_number

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


def _region_reason(profile: EnterpriseProfile, policy) -> Reason:
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


def _industry_reason(profile: EnterpriseProfile, tags: dict[str, list[str]]) -> Reason:
    values = tags.get("industry", [])
    if not values:
        return Reason("行业", UNKNOWN, "政策未标注行业")
    if "不限行业" in values:
        return Reason("行业", MATCH, "政策不限行业")
    shown = "、".join(values)
    if profile.industry is None:
        return Reason("行业", UNKNOWN, f"政策面向{shown}，未填写行业")
    if profile.industry in values:
        return Reason("行业", MATCH, f"政策面向{shown}")
    return Reason("行业", MISMATCH, f"政策面向{shown}，贵企业属{profile.industry}")


def _enterprise_reasons(profile: EnterpriseProfile, tags: dict[str, list[str]]) -> list[Reason]:
    """企业类型 tags: any one the enterprise is counts (a policy for 小微企业 or 专精特新)."""
    values = [v for v in tags.get("enterprise", [])]
    if not values:
        return []
    types = profile.enterprise_types()
    size_tags = {"小微企业", "中小企业"}
    results = {v: types.get(v) for v in values}
    condition = "企业规模" if set(values) <= size_tags else "企业类型"
    shown = "、".join(values)
    yes = [v for v, ok in results.items() if ok]
    if yes:
        return [Reason(condition, MATCH, f"政策面向{shown}，贵企业属{'、'.join(yes)}")]
    if all(ok is False for ok in results.values()):
        return [Reason(condition, MISMATCH, f"政策面向{shown}，贵企业不属于")]
    return [Reason(condition, UNKNOWN, f"政策面向{shown}，无法判断")]


def _needs_reason(profile: EnterpriseProfile, tags: dict[str, list[str]]) -> Reason | None:
    if not profile.needs:
        return None
    offered = tags.get("support", [])
    wanted = {v for need in profile.needs for v in NEEDS.get(need, ())}
    if not offered:
        return Reason("需求", UNKNOWN, "政策未标注支持方式")
    served = [v for v in offered if v in wanted]
    if served:
        return Reason("需求", MATCH, f"提供{'、'.join(served)}")
    return Reason("需求", MISMATCH, f"提供{'、'.join(offered)}，与所需{'、'.join(profile.needs)}不符")


# --- the whole -----------------------------------------------------------------------


def match_policy(profile: EnterpriseProfile, policy, card=None,
                 today: dt.date | None = None) -> MatchResult:
    """Check one policy (a Policy with tags; card: its PolicyCard or None)."""
    today = today or dt.date.today()
    tags = policy.active_tags()
    reasons = [_region_reason(profile, policy), _industry_reason(profile, tags),
               *_enterprise_reasons(profile, tags)]
    need = _needs_reason(profile, tags)
    if need:
        reasons.append(need)
    if card is not None:
        reasons += card_condition_reasons(profile, card.values("conditions"))
    if policy.validity in ("失效", "废止"):
        reasons.append(Reason("有效性", MISMATCH, f"政策已{policy.validity}"))
    deadline = getattr(policy, "deadline", None)
    if deadline is not None and deadline.kind != "unknown":
        status = deadline.status(today, in_force=policy.validity not in ("失效", "废止"))
        if status == "已截止":
            reasons.append(Reason("申报状态", MISMATCH, "申报已截止", deadline.evidence))
        else:
            reasons.append(Reason("申报状态", MATCH, f"{status}（{deadline.describe()}）",
                                  deadline.evidence))
    score = 0.0
    for reason in reasons:
        weight = WEIGHTS.get(reason.condition, 1.0)
        score += weight if reason.status == MATCH else (-1.5 * weight if reason.status == MISMATCH
                                                          else 0.0)
    applies = not any(r.status == MISMATCH and r.condition != "需求" for r in reasons)
    return MatchResult(policy.id, policy.title, round(score, 2), applies, reasons)


def match_policies(profile: EnterpriseProfile, candidates: Iterable[tuple], *,
                   today: dt.date | None = None, include_unmet: bool = False,
                   limit: int | None = None) -> list[MatchResult]:
    """Rank (policy, card) pairs for the profile: applicable ones, best score first.

    Ties go to the newer policy. include_unmet keeps the ones with a 不符合 condition
    (ranked after the applicable ones), for a "why not" view.
    """
    results = []
    for policy, card in candidates:
        result = match_policy(profile, policy, card, today)
        if result.applies or include_unmet:
            results.append((result, policy.publish_date or ""))
    results.sort(key=lambda pair: (not pair[0].applies, -pair[0].score, _neg(pair[1])))
    ranked = [r for r, _ in results]
    return ranked[:limit] if limit else ranked


def _neg(date: str) -> str:
    # newest first inside one score: invert the digits of the ISO date
    return "".join(chr(ord("9") - ord(c) + ord("0")) if c.isdigit() else c for c in date)


def profile_filters(profile: EnterpriseProfile) -> dict[str, list[str]]:
    """Search filters that pre-select candidates: the policies that apply in the enterprise's
    region (those for it and every division above it), in force (validity 有效 or 未知).
    Keys as in /api/search.
    """
    filters: dict[str, list[str]] = {"validity": ["有效", "未知"]}
    if profile.region_code:
        filters["region"] = [profile.region_code]
    return filters
