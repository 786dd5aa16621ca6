"""Where a policy applies: national, provincial, city and county policies, and texts that
restrict themselves to a part of their issuing region."""
from __future__ import annotations

import pytest

from policy_search.domain.applicability import applicability_of, mentions
from policy_search.domain.models import Policy
from policy_search.domain.regions import NATIONAL, find_region, region_label
from policy_search.domain.importer import policy_from_record
from tests.policy_search.corpus import all_documents


def policy(title: str, code: str | None, level: str | None = None, body: str = "") -> Policy:
    region = find_region(code) if code else None
    return Policy(id="p", title=title, region_code=code, region_name=region.name if region else None,
                  level=level, body_text=body)


CHANGSHA_COUNTY, CHANGSHA, HUNAN = "430121", "430100", "430000"


@pytest.mark.parametrize("code,level,covered,not_covered", [
    (NATIONAL, "national", [CHANGSHA_COUNTY, CHANGSHA, HUNAN, "310115", NATIONAL], []),
    (HUNAN, "provincial", [CHANGSHA_COUNTY, CHANGSHA, HUNAN, "430181", "433100"],
     [NATIONAL, "420000", "310115"]),
    (CHANGSHA, "city", [CHANGSHA_COUNTY, CHANGSHA, "430181"], [HUNAN, "430200", NATIONAL]),
    (CHANGSHA_COUNTY, "county", [CHANGSHA_COUNTY], [CHANGSHA, "430181", HUNAN, NATIONAL]),
])
def test_a_policy_applies_in_its_region_and_everywhere_below(code, level, covered, not_covered):
    applies = applicability_of(policy("关于支持小微企业发展的若干措施", code, level))
    assert applies.codes == (code,) and not applies.restricted and applies.level == level
    for place in covered:
        assert applies.applies_in(place), place
    for place in not_covered:
        assert not applies.applies_in(place), place


def test_a_national_policy_without_a_region_code_applies_everywhere():
    assert applicability_of(policy("个体工商户条例", None, "national")).codes == (NATIONAL,)
    assert applicability_of(policy("某文件", None, "provincial")).codes == ()


@pytest.mark.parametrize("title,issuer_code,expected", [
    ("上海市促进浦东新区商事调解规定", "310000", ("310115",)),
    ("上海市浦东新区深化“一业一证”改革规定", "310000", ("310115",)),
    ("东营市养犬管理条例", "370000", ("370500",)),
    ("长沙县人民政府关于印发长沙县…的通知", CHANGSHA, (CHANGSHA_COUNTY,)),
    ("国务院关于支持山西省进一步深化改革促进资源型经济转型发展的意见", NATIONAL, ("140000",)),
    ("国务院关于江苏、浙江、安徽省和上海市集资办电问题的批复", NATIONAL,
     ("310000", "320000", "330000", "340000")),
])
def test_a_title_naming_a_place_inside_the_issuing_region_restricts_it(title, issuer_code,
                                                                       expected):
    applies = applicability_of(policy(title, issuer_code, "provincial"))
    assert applies.codes == expected and applies.source == "title" and applies.evidence == title
    assert applies.restricted


@pytest.mark.parametrize("title,issuer_code", [
    ("湖南省人民政府关于进一步降低企业成本的通知", HUNAN),          # its own region
    ("上海市台湾同胞投资权益保护规定", "310000"),                  # a counterpart, not a place
    ("最高人民法院关于认可和执行台湾地区仲裁裁决的规定", NATIONAL),
    ("国务院办公厅关于推广浙江经验的通知", NATIONAL),               # passing mention
    ("上海市黄浦江苏州河滨水公共空间条例", "310000"),              # 江苏 inside 黄浦江苏州河
    ("关于在上海证券交易所设立科创板并试点注册制的实施意见", NATIONAL),
    ("关于窑街煤电集团吐鲁矿区红沙梁露天矿环境影响报告书的批复", NATIONAL),  # 矿区: a word
    ("湖南省长沙市关于支持企业发展的若干措施", CHANGSHA),
])
def test_passing_mentions_do_not_restrict(title, issuer_code):
    applies = applicability_of(policy(title, issuer_code))
    assert applies.codes == (issuer_code,) and not applies.restricted


def test_a_clause_of_the_text_restricts_it():
    body = ("第一条 为了……，制定本条例。\n第二条 本条例适用于绍兴市行政区域内曹娥江流域水环境保护工作。\n"
            "第三条 ……")
    applies = applicability_of(policy("浙江省曹娥江流域水环境保护条例", "330000", "provincial", body))
    assert applies.codes == ("330600",) and applies.source == "text"
    assert applies.evidence == "第二条 本条例适用于绍兴市行政区域内曹娥江流域水环境保护工作。"
    listed = applicability_of(policy("新乡市北部矿山生态保护与修复条例", "410700", "city",
                                     "本条例适用于本市卫辉市、辉县市、凤泉区行政区域内露天矿山的保护管理。"))
    assert [region_label(c) for c in listed.codes] == ["凤泉区", "卫辉市", "辉县市"]
    # a list with a place it cannot read (市中区 is also a common word): no restriction
    unsure = applicability_of(policy("济南市公共场所禁止吸烟的规定", "370100", "city",
                                     "本规定适用于历下区、市中区、槐荫区的辖区。"))
    assert unsure.codes == ("370100",) and not unsure.restricted
    whole = applicability_of(policy("某市条例", "370100", "city", "本条例适用于本市行政区域。"))
    assert whole.codes == ("370100",) and not whole.restricted


def test_the_quoted_shanghai_regulation_applies_only_in_pudong():
    doc = next(d for d in all_documents().values() if d["title"] == "上海市促进浦东新区商事调解规定")
    imported = policy_from_record(doc)
    assert imported.region_code == "310000"  # issued by 上海市, as stored
    applies = applicability_of(imported)
    assert applies.names() == ["浦东新区"]
    assert applies.applies_in("310115") and not applies.applies_in("310101")
    assert not applies.applies_in(CHANGSHA_COUNTY)


def test_names_ambiguous_in_the_country_need_their_parent():
    assert find_region("朝阳区") is None
    assert find_region("北京市朝阳区").code == "110105"
    assert find_region("长春市朝阳区").code == "220104"
    assert region_label("110105") == "北京市朝阳区"
    assert region_label("310115") == "浦东新区"
    # inside 北京市 the name is unique again
    assert mentions("关于朝阳区…的通知", "110000") == [("110105", "朝阳区")]
    assert mentions("关于朝阳区…的通知", NATIONAL) == []


def test_the_policy_calculator_reads_where_a_policy_applies():
    from policy_search.domain.matching import MATCH, MISMATCH, EnterpriseProfile, match_policy

    def region_reason(title: str, code: str, level: str, body: str = ""):
        profile = EnterpriseProfile(region_code=CHANGSHA_COUNTY)
        result = match_policy(profile, policy(title, code, level, body))
        return next(r for r in result.reasons if r.condition == "地区")

    national = region_reason("关于支持小微企业发展的若干措施", NATIONAL, "national")
    assert national.status == MATCH and "全国" in national.detail
    assert region_reason("湖南省支持小微企业的若干措施", HUNAN, "provincial").status == MATCH
    restricted = region_reason("湖南省关于支持浏阳市小微企业发展的若干措施", HUNAN, "provincial")
    assert restricted.status == MISMATCH and "浏阳市" in restricted.detail and "标题限定" in restricted.detail


# --- zones a title makes its subject ----------------------------------------------------

@pytest.mark.parametrize("title,issuer_code,expected", [
    # a national document whose subject is one place applies there, not 全国
    ("中华人民共和国海南自由贸易港法", NATIONAL, ["海南省"]),
    ("国务院关于鼓励投资开发海南岛的规定", NATIONAL, ["海南省"]),
    ("关于新建雄安新区至忻州高速铁路环境影响报告书的批复", NATIONAL, ["保定市"]),
    ("关于颁发广东太平岭核电厂1、2号机组建造许可证的通知", NATIONAL, ["广东省"]),
    ("关于颁发阳江核电厂5、6号机组运行许可证的通知", NATIONAL, ["阳江市"]),
    ("国务院办公厅关于建设山西阳城电厂问题的复函", NATIONAL, ["山西省"]),
    ("最高人民法院关于内地与香港特别行政区相互执行仲裁裁决的安排", NATIONAL, ["香港特别行政区"]),
    ("中华人民共和国澳门特别行政区基本法", NATIONAL, ["澳门特别行政区"]),
    ("关于对强化监督定点帮扶发现问题进行督办的函（西咸新区）", NATIONAL, ["西安市", "咸阳市"]),
    # a regulation for a zone applies in the zone's city (or cities), not the whole province
    ("汕头经济特区科技创新条例", "440000", ["汕头市"]),
    ("横琴粤澳深度合作区发展促进条例", "440000", ["珠海市"]),
    ("山东省青岛前湾保税港区条例", "370000", ["青岛市"]),
    ("郑洛新国家自主创新示范区条例", "410000", ["郑州市", "洛阳市", "新乡市"]),
    ("长株潭国家自主创新示范区条例", "430000", ["长沙市", "株洲市", "湘潭市"]),
    ("宁波杭州湾新区条例", "330000", ["宁波市"]),   # 杭州 inside the zone's own name
])
def test_a_title_whose_subject_is_a_zone_applies_there(title, issuer_code, expected):
    applies = applicability_of(policy(title, issuer_code))
    assert sorted(applies.names()) == sorted(expected) and applies.source == "title"
    assert not applies.applies_in(CHANGSHA_COUNTY) or "长沙市" in expected


@pytest.mark.parametrize("title,issuer_code", [
    ("国务院关于推广上海自由贸易试验区可复制改革试点经验的通知", NATIONAL),  # an example
    ("国务院关于建设大连、上安、南通、福州四座电厂问题的批复", NATIONAL),     # one of many
    ("关于三门核电厂3、4号机组环境影响报告书（建造阶段）的批复", NATIONAL),    # 三门 no initials
    ("关于印发《秦山核电厂1号机组运行许可证有效期限延续前综合检查报告》的函", NATIONAL),
    ("国务院关于鼓励华侨和香港澳门同胞投资的规定", NATIONAL),                 # counterparts
    ("中国公民因私事往来香港地区或者澳门地区的暂行管理办法", NATIONAL),
    ("最高人民法院关于认可和执行台湾地区法院民事判决的规定", NATIONAL),
    ("关于窑街煤电集团吐鲁矿区红沙梁露天矿环境影响报告书的批复", NATIONAL),
    ("关于印发汕头市…的通知", "440500"),                                    # its own city
])
def test_zones_named_in_passing_do_not_restrict(title, issuer_code):
    applies = applicability_of(policy(title, issuer_code))
    assert applies.codes == (issuer_code,) and not applies.restricted


def test_a_national_zone_law_is_not_found_for_changsha_county_by_search_or_match():
    from policy_search.domain.matching import MISMATCH, EnterpriseProfile, match_policy

    law = policy("中华人民共和国海南自由贸易港法", NATIONAL, "national")
    assert not applicability_of(law).applies_in(CHANGSHA_COUNTY)
    assert applicability_of(law).applies_in("460100")
    reason = next(r for r in match_policy(EnterpriseProfile(region_code=CHANGSHA_COUNTY), law).reasons
                  if r.condition == "地区")
    assert reason.status == MISMATCH


def test_every_zone_of_the_table_names_known_divisions():
    from policy_search.domain.applicability import _zones
    from policy_search.domain.regions import divisions

    assert _zones()["雄安新区"] == ("130600",)
    for name, codes in _zones().items():
        assert codes and all(code in divisions() for code in codes), name
