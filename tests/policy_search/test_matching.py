"""政策计算器: explanations for a handful of enterprise profiles over a fixture store."""
import datetime as dt

import pytest

from policy_search.domain.card import CardItem, PolicyCard
from policy_search.domain.derive import derive_all, derive_kinds
from policy_search.domain.matching import (MATCH, MISMATCH, UNKNOWN, EnterpriseProfile, match_policies,
                                    profile_filters)
from policy_search.domain.models import Policy, Tag

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
        store.policies.upsert(Policy(id=pid, title=title, region_code=code, body_text=body,
                                     publish_date="2023-09-20"))
        store.tags.replace_auto(pid, [Tag(facet=f, value=v) for f, vs in tags.items() for v in vs])
    derive_kinds(store)
    derive_all(store)
    assert all(p.huiqi for p in store.policies.get_many(store.policies.all_ids()))
    return store


def run(store, profile, **kwargs):
    policies = store.policies.get_many(store.policies.all_ids())
    cards = store.cards.get_many([p.id for p in policies])
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
    assert {("地区", MATCH), ("行业", MATCH), ("企业规模", MATCH), ("需求：资金", MATCH),
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
    fixture_store.cards.set_staff_field("startup", "conditions",
                                        [CardItem("企业成立不满5年，从业人员10人以上")], "alice")
    profile = EnterpriseProfile(region_code="430121", age_years=4, employees=5)
    ranked = run(fixture_store, profile, include_unmet=True)
    startup = next(r for r in ranked if r.policy_id == "startup")
    assert ("成立年限", MATCH) in reasons_of(startup)
    assert ("从业人数", MISMATCH) in reasons_of(startup)
    assert isinstance(fixture_store.cards.get("startup"), PolicyCard)


# --- 惠企 only, needs met by support provisions, restrictions with evidence, ranking ------

from policy_search.domain.derive import derive_kinds as _derive_kinds  # noqa: E402
from policy_search.domain.tagging import Evidence, dump_evidence  # noqa: E402

MEASURE_BODY = ("一、支持对象\n在本县注册的中小企业。\n二、支持措施\n"
                "对新认定的中小企业给予一次性奖励10万元。\n"
                "鼓励银行加强融资服务，改善企业融资环境。\n")


def evidence(field: str, text: str, in_section: bool = False) -> str:
    return dump_evidence([Evidence(field=field, start=0, end=len(text), text=text, match=text[:2],
                                   match_start=0, match_end=2, weight=2.0, in_section=in_section)])


def add_policy(store, pid, title, body, tags, *, code="430121", date="2023-09-01", level=None):
    store.policies.upsert(Policy(id=pid, title=title, region_code=code, body_text=body,
                                 publish_date=date, level=level, validity="有效"))
    store.tags.replace_auto(pid, tags)


def test_a_need_is_met_only_by_a_support_provision(store):
    add_policy(store, "measure", "长沙县支持中小企业发展若干措施", MEASURE_BODY, [
        Tag("support", "资金补贴奖励", evidence=evidence("body", "对新认定的中小企业给予一次性奖励10万元")),
        # the tagger read 融资 in a sentence that only encourages banks: no support provision
        Tag("support", "融资信贷", evidence=evidence("body", "鼓励银行加强融资服务，改善企业融资环境")),
    ])
    _derive_kinds(store)
    profile = EnterpriseProfile(region_code="430121", needs=["资金", "融资"])
    result = run(store, profile)[0]
    needs = {r.condition: r for r in result.reasons if r.condition.startswith("需求")}
    assert needs["需求：资金"].status == MATCH
    assert needs["需求：资金"].evidence == "对新认定的中小企业给予一次性奖励10万元"
    assert needs["需求：融资"].status == MISMATCH and not needs["需求：融资"].evidence
    assert result.applies  # a need not served lowers the rank, it does not exclude


def test_only_huiqi_policies_match(store):
    add_policy(store, "law", "长沙县城市市容和环境卫生管理条例",
               "第一条 为了加强城市市容和环境卫生管理，制定本条例。\n"
               "第二条 对在市容管理工作中作出显著成绩的单位和个人给予表彰奖励。\n",
               [Tag("support", "资金补贴奖励")])
    add_policy(store, "measure", "长沙县支持中小企业发展若干措施", MEASURE_BODY, [])
    _derive_kinds(store)
    ranked = run(store, EnterpriseProfile(region_code="430121", needs=["资金"]), include_unmet=True)
    law = next(r for r in ranked if r.policy_id == "law")
    assert not law.applies and ("惠企", MISMATCH) in reasons_of(law)
    assert [r.policy_id for r in ranked if r.applies] == ["measure"]
    assert profile_filters(EnterpriseProfile())["huiqi"] == ["是"]


def test_tags_restrict_only_with_telling_evidence(store):
    body_only = evidence("body", "推动制造业企业技术改造。")
    in_title = evidence("title", "长沙县制造业企业技术改造补助办法")
    add_policy(store, "general", "长沙县支持企业发展若干措施", MEASURE_BODY,
               [Tag("industry", "制造业", evidence=body_only)])
    add_policy(store, "manufacturing", "长沙县制造业企业技术改造补助办法", MEASURE_BODY,
               [Tag("industry", "制造业", evidence=in_title)])
    _derive_kinds(store)
    software = EnterpriseProfile(region_code="430121", industry="信息传输、软件和信息技术服务业")
    ranked = {r.policy_id: r for r in run(store, software, include_unmet=True)}
    general = next(r for r in ranked["general"].reasons if r.condition == "行业")
    assert ranked["general"].applies and general.status == UNKNOWN and "未限定" in general.detail
    manufacturing = next(r for r in ranked["manufacturing"].reasons if r.condition == "行业")
    assert not ranked["manufacturing"].applies and manufacturing.status == MISMATCH
    assert manufacturing.evidence == "长沙县制造业企业技术改造补助办法"


def test_ranking_fit_then_specificity_then_open_then_recency(store):
    call = ("一、申报条件\n在长沙县注册的企业。\n二、支持标准\n对符合条件的企业给予补助10万元。\n"
            "三、申报时间\n2023年10月1日至10月31日。\n")
    add_policy(store, "county-call", "长沙县企业技术改造补助申报通知", call, [], level="county")
    add_policy(store, "national-old", "关于支持中小企业发展的若干措施", MEASURE_BODY, [],
               code="100000", level="national", date="2023-01-01")
    add_policy(store, "national-new", "关于支持小型企业发展的若干措施", MEASURE_BODY, [],
               code="100000", level="national", date="2023-06-01")
    add_policy(store, "fits", "关于支持制造业企业发展的若干措施", MEASURE_BODY,
               [Tag("industry", "制造业", evidence=evidence("title", "制造业"))],
               code="100000", level="national", date="2020-01-01")
    _derive_kinds(store)
    derive_all(store)
    profile = EnterpriseProfile(region_code="430121", industry="制造业")
    ids = [r.policy_id for r in run(store, profile)]
    # the one that fits the industry first, then the county's own call (open), then newer
    assert ids == ["fits", "county-call", "national-new", "national-old"]


# --- real documents: the issue's examples gone for their cause; what titles restrict --------

from policy_search.domain.importer import policy_from_record  # noqa: E402
from policy_search.domain.matching import match_policy, policy_grants  # noqa: E402
from tests.policy_search.corpus import all_documents  # noqa: E402

ISSUE_EXAMPLES = ["中华人民共和国退役军人保障法", "中华人民共和国预备役人员法", "中华人民共和国印花税法",
                  "中华人民共和国契税法", "最高人民法院、最高人民检察院关于办理袭警刑事案件适用法律若干问题的解释",
                  "最高人民法院关于审理食品药品惩罚性赔偿纠纷案件适用法律若干问题的解释"]
JOBS = "http://www.gov.cn/zhengce/content/2018-12/05/content_5345808.htm"
GUARANTEES = "http://www.gov.cn/zhengce/content/2019-02/14/content_5365711.htm"
PV = "http://www.gov.cn/zhengce/content/2013-07/15/content_2632.htm"
MACHINERY = "http://www.gov.cn/zhengce/content/2018-12/29/content_5353308.htm"


def real_store(store, keys):
    from policy_search.domain.tagging import tag_policies

    for key in keys:
        store.policies.upsert(policy_from_record(all_documents()[key]))
    tag_policies(store)
    _derive_kinds(store)
    derive_all(store)
    return {p.title: p.id for p in store.policies.get_many(store.policies.all_ids())}


def test_the_issues_examples_are_not_matches(store):
    """Laws on veterans, reservists and taxes and court interpretations gave a 长沙县
    manufacturer needing 资金 and 融资 "matches": none of them gives an enterprise anything."""
    ids = real_store(store, ["title:" + t for t in ISSUE_EXAMPLES] + [JOBS, GUARANTEES])
    profile = EnterpriseProfile(region_code="430121", industry="制造业", size="小微",
                                qualifications=["专精特新"], needs=["资金", "融资"])
    ranked = run(store, profile, include_unmet=True)
    applicable = [r.title for r in ranked if r.applies]
    assert set(applicable) == {all_documents()[JOBS]["title"], all_documents()[GUARANTEES]["title"]}
    for title in ISSUE_EXAMPLES:
        result = next(r for r in ranked if r.title == title)
        assert ("惠企", MISMATCH) in reasons_of(result)
    top = next(r for r in ranked if r.title == all_documents()[GUARANTEES]["title"])
    need = next(r for r in top.reasons if r.condition == "需求：融资")
    assert need.status == MATCH and "担保" in need.evidence
    assert set(ids) >= set(ISSUE_EXAMPLES)


def test_what_titles_restrict(store):
    keys = ["title:宁波市科技创新促进条例", "title:郑洛新国家自主创新示范区条例", "title:中华人民共和国乡镇企业法",
            "title:国务院关于鼓励外商投资的规定", PV, MACHINERY, "title:中华人民共和国中小企业促进法",
            "title:中华人民共和国企业所得税法"]
    real_store(store, keys)
    by_title = {p.title: p for p in store.policies.get_many(store.policies.all_ids())}
    cards = store.cards.get_many(store.policies.all_ids())

    def reason(profile, title, condition):
        policy = by_title[title]
        result = match_policy(profile, policy, cards[policy.id], TODAY)
        return next((r for r in result.reasons if r.condition == condition), None), result

    hangzhou = EnterpriseProfile(region_code="330100", industry="信息传输、软件和信息技术服务业",
                                 ownership="民营", size="小微")
    place, result = reason(hangzhou, "宁波市科技创新促进条例", "地区")
    assert place.status == MISMATCH and "宁波市" in place.detail and not result.applies
    place, _ = reason(EnterpriseProfile(region_code="410100"), "郑洛新国家自主创新示范区条例", "地区")
    assert place.status == MISMATCH and "示范区" in place.detail
    kind, _ = reason(hangzhou, "中华人民共和国乡镇企业法", "企业类型")
    assert kind.status == MISMATCH and "乡镇企业" in kind.detail
    owner, _ = reason(hangzhou, "国务院关于鼓励外商投资的规定", "企业性质")
    assert owner.status == MISMATCH
    owner, _ = reason(EnterpriseProfile(ownership="外资"), "国务院关于鼓励外商投资的规定", "企业性质")
    assert owner.status == MATCH
    pv_title = all_documents()[PV]["title"]
    sector, _ = reason(hangzhou, pv_title, "行业")
    assert sector.status == MISMATCH and "光伏" in sector.detail
    farm = EnterpriseProfile(region_code="370100", industry="农、林、牧、渔业", size="小微")
    sector, _ = reason(farm, all_documents()[MACHINERY]["title"], "行业")
    assert sector.status == MATCH
    # a law counts only with support an enterprise can claim: rates, amounts, where to apply
    _, framework = reason(hangzhou, "中华人民共和国中小企业促进法", "具体扶持")
    assert not framework.applies
    # named for what is missing: the law is 惠企 (its badge says so), no "不符合 惠企" beside it
    assert any(r.condition == "具体扶持" and r.status == MISMATCH and "具体扶持" in r.detail
               for r in framework.reasons)
    assert not any(r.condition == "惠企" for r in framework.reasons)
    _, tax = reason(hangzhou, "中华人民共和国企业所得税法", "具体扶持")
    assert tax.applies
    # … which an 个体工商户 does not pay: it pays 个人所得税 on its 经营所得
    shop = EnterpriseProfile(region_code="410100", ownership="个体工商户", industry="批发和零售业")
    owner, result = reason(shop, "中华人民共和国企业所得税法", "企业性质")
    assert owner.status == MISMATCH and "个体工商户" in owner.detail and not result.applies
    owner, _ = reason(hangzhou, "中华人民共和国企业所得税法", "企业性质")
    assert owner is None or owner.status != MISMATCH
    # "国务院关于促进光伏产业健康发展的若干意见": the sector is 光伏, not "关于促进光伏"
    sector, _ = reason(hangzhou, pv_title, "行业")
    assert sector.detail.startswith("政策面向光伏产业")


def test_claimable_support_names_what_the_enterprise_claims():
    from policy_search.domain.kinds import concrete_claim

    # 上海市促进科技成果转化条例: the enterprise claims a named instrument
    assert concrete_claim("符合条件的企业可以按照国家规定，享受研究开发费用税前加计扣除、仪器设备加速折旧、"
                          "高新技术企业所得税优惠等政策")
    # 汕头经济特区科技创新条例: an amount-free instrument, the enterprise as the subject
    assert concrete_claim("第十五条 企业开发新技术、新产品、新工艺或者从事核心技术、关键技术和共性技术研究的，"
                          "按照有关规定享受研究开发费用税前加计扣除、科研仪器设备加速折旧、技术开发与转让税收减免等优惠政策")
    # 山东省促进科技成果转化条例: what governments may do, nothing an enterprise claims
    assert not concrete_claim("第二十四条 县级以上人民政府可以通过设立引导资金、提供贷款贴息、发放补助资金以及风险补偿、"
                              "示范推广等方式，对科技成果转化项目给予支持")


# --- whom each grant is for (扶持对象) --------------------------------------------------

from policy_search.domain.kinds import claimable_grants  # noqa: E402
from policy_search.domain.matching import grant_fit  # noqa: E402

EIA = "https://www.mee.gov.cn/xxgk2018/xxgk/xxgk03/202009/t20200923_800016.html"
RESTAURANT = EnterpriseProfile(region_code="360100", industry="住宿和餐饮业", size="小微", ownership="民营",
                               employees=15, needs=["资金", "用工", "融资"])
LOGISTICS = EnterpriseProfile(region_code="500000", industry="交通运输、仓储和邮政业", revenue=8000,
                              employees=400, ownership="民营", needs=["市场", "融资"])
MAKER = EnterpriseProfile(region_code="430121", industry="制造业", size="小微", ownership="民营",
                          qualifications=["专精特新"], needs=["资金", "融资"])
LAB = EnterpriseProfile(region_code="310000", industry="科学研究和技术服务业", size="小微", age_years=2,
                        qualifications=["科技型中小企业"], needs=["资金", "创新"])


def grant(title: str, words: str) -> str:
    """The grant of a real document that contains the words."""
    return next(g for g in claimable_grants(all_documents()["title:" + title]["body"]) if words in g)


def test_each_grant_of_the_corporate_income_tax_law_is_for_some_enterprises():
    law = "中华人民共和国企业所得税法"
    small = grant(law, "小型微利企业")
    assert grant_fit(RESTAURANT, small).fits is True
    assert grant_fit(LOGISTICS, small).fits is False and "小微企业" in grant_fit(LOGISTICS, small).detail
    research = grant(law, "研究开发费用")
    assert grant_fit(LAB, research).fits is True          # needs 创新, a 科技型中小企业
    assert grant_fit(LOGISTICS, research).fits is None    # no qualification stated: cannot tell
    equipment = grant(law, "专用设备")
    assert grant_fit(MAKER, equipment).fits is True
    assert grant_fit(RESTAURANT, equipment).fits is False
    farming = grant(law, "农、林、牧、渔业")
    assert grant_fit(EnterpriseProfile(industry="农、林、牧、渔业"), farming).fits is True
    assert grant_fit(LAB, farming).fits is False
    # a manufacturer may process farm produce, or not: the relief is not claimed for it
    assert grant_fit(MAKER, farming).fits is None
    assert grant_fit(RESTAURANT, grant(law, "民族自治地方")).fits is False


def test_the_reason_a_manufacturer_fits_the_income_tax_law_is_its_small_firm_rate(store):
    real_store(store, ["title:中华人民共和国企业所得税法"])
    [policy] = store.policies.get_many(store.policies.all_ids())
    small_maker = EnterpriseProfile(region_code="430121", industry="制造业", size="小微")
    reason = next(r for r in match_policy(small_maker, policy, None, TODAY).reasons
                  if r.condition == "扶持对象")
    assert reason.status == "符合" and "小微企业" in reason.detail, reason
    assert "小型微利企业" in reason.evidence and "农" not in reason.detail


def test_grants_for_hiring_particular_persons_or_through_banks_fit_no_enterprise_as_such():
    hiring = grant("山东省就业促进条例", "登记失业人员")
    fit = grant_fit(RESTAURANT, hiring)
    assert fit.fits is False and "失业人员" in fit.detail
    # 上海市促进中小企业发展条例: the state encourages banks to lend to small firms
    banks = grant("上海市促进中小企业发展条例", "鼓励金融机构")
    assert grant_fit(LAB, banks).fits is False
    # 北京市促进中小企业发展条例: compensation for guarantee agencies, not for the enterprise …
    agencies = "对代偿率控制在合理区间的担保、再担保机构，给予一定比例的代偿补偿"
    assert grant_fit(MAKER, agencies).fits is False
    # … while an agency that acts for small firms grants them something
    acting = ("各级政府性融资担保、再担保机构要重点支持单户担保金额500万元及以下的小微企业和“三农”主体，"
              "优先为贷款信用记录和有效抵质押品不足但产品有市场、项目有前景、技术有竞争力的小微企业提供担保增信")
    assert grant_fit(RESTAURANT, acting).fits is True


def test_a_grant_persons_claim_for_themselves_fits_no_enterprise():
    # 国务院关于做好当前和今后一个时期促进就业工作的若干意见: the 技能提升补贴 is the worker's
    worker = "将技术技能提升补贴申领条件由企业在职职工参加失业保险3年以上放宽至参保1年以上"
    fit = grant_fit(MAKER, worker)
    assert fit.fits is False and "个人申领" in fit.detail
    assert grant_fit(MAKER, "毕业年度高校毕业生求职创业补贴由高校受理申请").fits is False
    # … while training its staff on the firm's own application is the firm's grant
    assert grant_fit(MAKER, "企业职工参加职业技能培训的，由企业申请给予职业培训补贴").fits is True


def test_a_policy_none_of_whose_grants_fits_is_left_out_with_its_reason(store):
    real_store(store, ["title:中华人民共和国企业所得税法", "title:河南省就业促进条例", EIA, GUARANTEES, JOBS])
    by_title = {p.title: p for p in store.policies.get_many(store.policies.all_ids())}
    cards = store.cards.get_many(store.policies.all_ids())

    def result(profile, title):
        policy = by_title[title]
        return match_policy(profile, policy, cards[policy.id], TODAY)

    def grantee(res):
        return next(r for r in res.reasons if r.condition == "扶持对象")

    # 企业所得税法 has nothing for a 中型 logistics firm wanting markets and loans …
    tax = result(LOGISTICS, "中华人民共和国企业所得税法")
    assert not tax.applies and grantee(tax).status == MISMATCH
    # … and 减按20% for a small restaurant
    tax = result(RESTAURANT, "中华人民共和国企业所得税法")
    assert tax.applies and grantee(tax).status == MATCH and "小型微利企业" in grantee(tax).evidence
    # 河南省就业促进条例: its loans and subsidies are for firms hiring 失业人员 or 就业困难人员
    shop = EnterpriseProfile(region_code="410100", industry="批发和零售业", ownership="个体工商户",
                             employees=6, revenue=120, needs=["融资", "用工"])
    jobs_law = result(shop, "河南省就业促进条例")
    assert not jobs_law.applies and grantee(jobs_law).status == MISMATCH
    assert not any(r.status == MATCH for r in jobs_law.reasons if r.condition.startswith("需求"))
    # 关于优化小微企业项目环评工作的意见: for firms building projects — a manufacturer, not a lab
    eia = all_documents()[EIA]["title"]
    assert result(MAKER, eia).applies
    lab = result(LAB, eia)
    assert not lab.applies and "建设项目" in grantee(lab).detail
    # the guarantee fund and the employment measures are for small firms of any trade
    for key in (GUARANTEES, JOBS):
        assert result(RESTAURANT, all_documents()[key]["title"]).applies


def test_a_policy_that_may_no_longer_stand_comes_after_the_others_saying_so(store):
    # like a 2018 国务院 意见 whose measures ran 2019–2020: validity not stated, published more
    # than deadlines.STANDING_YEARS before the day asked
    for pid, date, validity in (("old", "2018-11-01", "未知"), ("stated", "2018-11-01", "有效"),
                                ("young", "2023-09-01", "未知")):
        store.policies.upsert(Policy(id=pid, title="关于支持中小企业发展的若干措施", region_code="100000",
                                     body_text=MEASURE_BODY, publish_date=date, validity=validity))
    # a law stands until repealed, whatever its age
    store.policies.upsert(Policy(
        id="law", title="长沙县中小企业扶持条例", region_code="430121", publish_date="2010-01-01",
        validity="未知", body_text="第一条 为了扶持中小企业，制定本条例。\n"
        "第二条 对新认定的中小企业给予一次性奖励10万元。\n第三条 中小企业贷款给予贴息50%。\n"
        "第四条 中小企业免征地方水利建设基金。\n"))
    _derive_kinds(store)
    profile = EnterpriseProfile(region_code="430121", needs=["资金"])
    day = dt.date(2026, 11, 30)
    order = match_policies(
        profile, [(p, None) for p in store.policies.get_many(store.policies.all_ids())], today=day)
    ranked = {r.policy_id: r for r in order}
    old = ranked["old"]
    ids = [r.policy_id for r in order]
    assert old.applies and ids.index("old") > max(ids.index("stated"), ids.index("young"))
    assert old.score == ranked["stated"].score  # equal otherwise: only its age puts it after
    reason = next(r for r in old.reasons if r.condition == "有效性")
    assert reason.status == UNKNOWN and "2018年发布" in reason.detail and "未注明有效期" in reason.detail
    assert "核实" in reason.detail
    assert ranked["stated"].applies and ranked["young"].applies
    assert store.policies.get("law").doc_kind == "法律法规"
    assert not any(r.condition == "有效性" for r in ranked["law"].reasons)
    # the same policy, asked about in 2020, still stood
    earlier = match_policies(profile, [(store.policies.get("old"), None)], today=dt.date(2020, 6, 1))
    assert [r.policy_id for r in earlier] == ["old"] and not earlier[0].may_not_stand
    # three terms on (deadlines.SUPERSEDED_YEARS) it is left out, saying why when asked;
    # one stated in force, and the law, are not
    later = dt.date(2034, 6, 1)
    candidates = [(p, None) for p in store.policies.get_many(store.policies.all_ids())]
    assert {r.policy_id for r in match_policies(profile, candidates, today=later)} >= {"stated", "law"}
    assert "old" not in {r.policy_id for r in match_policies(profile, candidates, today=later)}
    why = next(r for r in match_policies(profile, candidates, today=later, include_unmet=True)
               if r.policy_id == "old")
    reason = next(r for r in why.reasons if r.condition == "有效性")
    assert reason.status == MISMATCH and "已超过15年" in reason.detail and "2018年发布" in reason.detail


FOREIGN_TAXES = "title:国务院关于外商投资企业和外国企业适用增值税、消费税、营业税等税收暂行条例有关问题的通知"


def test_support_for_someone_else_meets_no_need(store):
    """A subsidy to guarantee institutions (its purpose clause names them) meets no need of a
    firm, and a sentence saying who handles refunds is no grant to check the firm against."""
    real_store(store, [GUARANTEES, FOREIGN_TAXES])
    by_title = {p.title: p for p in store.policies.get_many(store.policies.all_ids())}
    cards = store.cards.get_many(store.policies.all_ids())
    guarantees = by_title[all_documents()[GUARANTEES]["title"]]
    profile = EnterpriseProfile(region_code="430121", industry="制造业", size="小微", needs=["资金"])
    result = match_policy(profile, guarantees, cards[guarantees.id], TODAY)
    need = next(r for r in result.reasons if r.condition == "需求：资金")
    assert "担保费补贴" not in need.evidence, need
    assert "担保费补贴，提升融资担保机构可持续经营能力" in guarantees.body_text  # the sentence is there
    foreign = by_title[all_documents()[FOREIGN_TAXES]["title"]]
    handled = ("退税事宜", "另行制定", "退税问题")
    assert not any(w in grant for grant in policy_grants(foreign) for w in handled)
    result = match_policy(EnterpriseProfile(region_code="430121", industry="制造业"), foreign,
                          cards[foreign.id], TODAY)
    grantee = next((r for r in result.reasons if r.condition == "扶持对象"), None)
    assert grantee is None or not any(w in grantee.evidence for w in handled)


EMPLOYMENT = "http://www.gov.cn/zhengce/content/2018-12/05/content_5345808.htm"


def test_premiums_paid_back_to_an_employer_meet_the_need_for_money(store):
    """稳岗返还: the unemployment-insurance premiums returned to a firm that keeps its staff are
    money in its hand — the need 资金 is met by that provision, not left unmet."""
    titles = real_store(store, [EMPLOYMENT])
    policy = store.policies.get(titles[all_documents()[EMPLOYMENT]["title"]])
    card = store.cards.get_many([policy.id])[policy.id]
    profile = EnterpriseProfile(region_code="430121", industry="制造业", size="小微", needs=["资金"])
    need = next(r for r in match_policy(profile, policy, card, TODAY).reasons if r.condition == "需求：资金")
    assert need.status == MATCH, need
    assert "返还" in need.evidence


def test_a_founders_personal_loan_meets_no_need_of_a_firm(store):
    """促进就业 measures: the 15万 创业担保贷款 is for a person starting a business; the 300万
    one for small firms hiring such persons. A small manufacturer needing loans gets neither
    as evidence that the need is met."""
    titles = real_store(store, [EMPLOYMENT])
    policy = store.policies.get(titles[all_documents()[EMPLOYMENT]["title"]])
    card = store.cards.get_many([policy.id])[policy.id]
    assert any("15万元的创业担保贷款" in value for value in card.values("support"))
    profile = EnterpriseProfile(region_code="430121", industry="制造业", size="小微", needs=["融资"])
    need = next(r for r in match_policy(profile, policy, card, TODAY).reasons if r.condition == "需求：融资")
    assert "15万元的创业担保贷款" not in need.evidence, need  # nor the card's clause of it
    fit = grant_fit(profile, "符合创业担保贷款申请条件的人员自主创业的，可申请最高不超过15万元的创业担保贷款")
    assert fit.fits is False
    # … and so do persons who start one together (河南 实施意见)
    assert grant_fit(profile, "合伙经营或组织起来创业的，可申请最高不超过150万元的创业担保贷款").fits is False


def test_a_need_is_shown_with_the_item_of_a_list_not_its_bare_lead(store):
    """企业所得税法 第二十七条 "企业的下列所得，可以免征、减征企业所得税：" says what an enterprise
    gets only in its items: the evidence that the need 税费 is met names one."""
    titles = real_store(store, ["title:中华人民共和国企业所得税法"])
    policy = store.policies.get(titles["中华人民共和国企业所得税法"])
    card = store.cards.get_many([policy.id]).get(policy.id)
    profile = EnterpriseProfile(region_code="430100", industry="信息传输、软件和信息技术服务业",
                                employees=180, revenue=6000, needs=["税费"])
    need = next(r for r in match_policy(profile, policy, card, TODAY).reasons if r.condition == "需求：税费")
    assert need.status == MATCH and need.evidence
    assert not need.evidence.rstrip("。").endswith("："), need


def test_a_grant_that_surely_fits_is_preferred_as_evidence_to_one_that_may(store):
    """企业所得税法实施条例 for a high-tech manufacturer wanting tax relief: its 农、林、牧、渔业
    exemptions may fit a manufacturer (processing farm products), its R&D and high-tech reliefs
    surely do — they are what the need is shown with."""
    titles = real_store(store, ["title:中华人民共和国企业所得税法实施条例"])
    policy = store.policies.get(titles["中华人民共和国企业所得税法实施条例"])
    card = store.cards.get_many([policy.id]).get(policy.id)
    profile = EnterpriseProfile(region_code="110000", industry="制造业", size="中型",
                                qualifications=["高新技术企业"], needs=["税费"])
    need = next(r for r in match_policy(profile, policy, card, TODAY).reasons if r.condition == "需求：税费")
    assert need.status == MATCH
    assert "农、林、牧、渔" not in need.evidence, need
