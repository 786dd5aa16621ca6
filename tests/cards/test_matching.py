"""政策计算器: explanations for a handful of enterprise profiles over a fixture store."""
import datetime as dt

import pytest

from policy_search.card import CardItem, PolicyCard
from policy_search.derive import derive_all
from policy_search.matching import (MATCH, MISMATCH, UNKNOWN, EnterpriseProfile, match_policies,
                                    profile_filters)
from policy_search.models import Policy, Tag

TODAY = dt.date(2023, 10, 10)

POLICIES = [
    # id, title, region code, tags, body
    ("county-fund", "长沙县中小企业发展专项资金申报通知", "430121",
     {"industry": ["制造业"], "enterprise": ["中小企业"], "support": ["资金补贴奖励"]},
     "一、支持对象\n在长沙县注册的中小企业。\n二、申报条件\n（一）注册成立满2年以上；\n"
     "（二）上年度营业收入不低于500万元。\n三、支持标准\n给予一次性奖励20万元。\n"
     "四、申报时间\n2023年10月1日至10月31日。\n"),
    ("province-hitech", "湖南省高新技术企业研发奖补办法", "430000",
     {"industry": ["不限行业"], "enterprise": ["高新技术企业"], "support": ["科技创新"]},
     "一、申报条件\n申报企业须为有效期内的高新技术企业。\n二、支持标准\n按研发投入的10%给予奖补，最高100万元。\n"),
    ("national-loan", "小微企业融资支持措施", "100000",
     {"industry": ["不限行业"], "enterprise": ["小微企业"], "support": ["融资信贷"]},
     "对小微企业贷款给予贴息，贴息比例50%。本措施自2020年1月1日起施行，有效期2年。"),
    ("other-county", "浏阳市招商引资奖励办法", "430181",
     {"industry": ["制造业"], "support": ["资金补贴奖励"]}, "给予奖励100万元。"),
    ("startup", "长沙市初创企业创业补贴", "430100",
     {"enterprise": ["初创企业"], "support": ["资金补贴奖励"]},
     "一、申报条件\n企业成立不满3年。\n二、申报时间\n每年3月31日前。\n"),
]


@pytest.fixture
def fixture_store(store):
    for pid, title, code, tags, body in POLICIES:
        store.upsert_policy(Policy(id=pid, title=title, region_code=code, body_text=body,
                                   publish_date="2023-09-20"))
        store.replace_auto_tags(pid, [Tag(facet=f, value=v) for f, vs in tags.items() for v in vs])
    derive_all(store)
    return store


def run(store, profile, **kwargs):
    policies = store.get_policies(store.all_policy_ids())
    cards = store.get_cards([p.id for p in policies])
    return match_policies(profile, [(p, cards[p.id]) for p in policies], today=TODAY, **kwargs)


def reasons_of(result):
    return {(r.condition, r.status) for r in result.reasons}


def test_small_manufacturer_in_changsha_county(fixture_store):
    profile = EnterpriseProfile(region_code="430121", industry="制造业", revenue=800,
                                employees=60, age_years=5, ownership="民营", needs=["资金"])
    results = run(fixture_store, profile)
    ids = [r.policy_id for r in results]
    assert ids[0] == "county-fund"
    assert "other-county" not in ids          # 浏阳市 does not cover 长沙县
    assert "national-loan" not in ids         # expired (有效期2年 from 2020)
    assert "startup" not in ids               # founded 5 years ago: not 初创, 成立不满3年 fails
    top = results[0]
    assert {("地区", MATCH), ("行业", MATCH), ("企业规模", MATCH), ("需求", MATCH),
            ("成立年限", MATCH), ("营业收入", MATCH), ("申报状态", MATCH)} <= reasons_of(top)
    revenue = next(r for r in top.reasons if r.condition == "营业收入")
    assert revenue.detail == "要求不少于500万元，贵企业为800万元"
    assert "营业收入不低于500万元" in revenue.evidence
    # 高新 policy: the enterprise did not say it has the qualification → unknown, not excluded
    hitech = next(r for r in results if r.policy_id == "province-hitech")
    assert ("企业类型", UNKNOWN) in reasons_of(hitech)


def test_qualifications_decide_the_hitech_policy(fixture_store):
    with_qual = EnterpriseProfile(region_code="430121", qualifications=["高新技术企业"])
    result = next(r for r in run(fixture_store, with_qual) if r.policy_id == "province-hitech")
    assert ("企业类型", MATCH) in reasons_of(result) and ("资质", MATCH) in reasons_of(result)
    other = EnterpriseProfile(region_code="430121", qualifications=["专精特新"])
    ranked = run(fixture_store, other, include_unmet=True)
    result = next(r for r in ranked if r.policy_id == "province-hitech")
    assert not result.applies and ("企业类型", MISMATCH) in reasons_of(result)


def test_large_enterprise_is_told_why_not(fixture_store):
    profile = EnterpriseProfile(region_code="430121", industry="制造业", employees=2000,
                                revenue=90000, age_years=20)
    assert profile.size_class() == "大型"
    ranked = run(fixture_store, profile, include_unmet=True)
    fund = next(r for r in ranked if r.policy_id == "county-fund")
    assert not fund.applies
    assert ("企业规模", MISMATCH) in reasons_of(fund)
    # applicable ones come first
    assert [r.applies for r in ranked] == sorted([r.applies for r in ranked], reverse=True)


def test_young_startup_gets_the_startup_subsidy(fixture_store):
    profile = EnterpriseProfile(region_code="430121", age_years=1, size="小微")
    results = run(fixture_store, profile)
    startup = next(r for r in results if r.policy_id == "startup")
    assert {("企业类型", MATCH), ("成立年限", MATCH)} <= reasons_of(startup)
    deadline = next(r for r in startup.reasons if r.condition == "申报状态")
    assert deadline.detail.startswith("申报中")


def test_empty_profile_leaves_conditions_unknown(fixture_store):
    results = run(fixture_store, EnterpriseProfile())
    fund = next(r for r in results if r.policy_id == "county-fund")
    assert ("地区", UNKNOWN) in reasons_of(fund) and ("营业收入", UNKNOWN) in reasons_of(fund)


def test_profile_round_trips_through_url_params():
    profile = EnterpriseProfile.from_params({"region": "长沙县", "industry": "制造业",
                                             "revenue": "800", "employees": "60", "age": "2.5",
                                             "qual": ["高新技术企业,专精特新"], "need": ["资金", "乱写"]})
    assert profile.region_code == "430121"
    assert profile.qualifications == ["高新技术企业", "专精特新"] and profile.needs == ["资金"]
    again = EnterpriseProfile.from_params(profile.to_params())
    assert again == profile
    # region means "applies in": the index adds the divisions above (长沙市, 湖南省, 全国)
    assert profile_filters(profile)["region"] == ["430121"]


@pytest.mark.parametrize("industry,employees,revenue,size", [
    ("制造业", 250, 15000, "小微"), ("制造业", 500, 30000, "中型"), ("制造业", 1200, 50000, "大型"),
    ("批发和零售业", 30, 6000, "小微"), ("信息传输、软件和信息技术服务业", 150, 1500, "中型"),
    (None, 50, None, "小微"),
])
def test_size_from_employees_and_revenue(industry, employees, revenue, size):
    assert EnterpriseProfile(industry=industry, employees=employees,
                             revenue=revenue).size_class() == size


def test_card_conditions_from_staff_items_are_used(fixture_store):
    fixture_store.set_staff_card_field("startup", "conditions",
                                       [CardItem("企业成立不满5年，从业人员10人以上")], "alice")
    profile = EnterpriseProfile(region_code="430121", age_years=4, employees=5)
    ranked = run(fixture_store, profile, include_unmet=True)
    startup = next(r for r in ranked if r.policy_id == "startup")
    assert ("成立年限", MATCH) in reasons_of(startup)
    assert ("从业人数", MISMATCH) in reasons_of(startup)
    assert isinstance(fixture_store.get_card("startup"), PolicyCard)
