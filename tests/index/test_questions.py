"""Questions as entrepreneurs type them: scaffolding dropped, everyday words mapped to
policy words (index/data/everyday_words.txt), lone characters optional, 文号 typed in
any form, highlight terms that are words."""
from __future__ import annotations

import pytest

from index.analysis import everyday_words
from index.query import EVERYDAY_WEIGHT, parse
from policy_search.domain.normalize import doc_number_canonical, find_typed_doc_number


def clause_texts(query):
    return [c.text for c in parse(query).clauses]


def alternatives(query, text):
    clause = next(c for c in parse(query).clauses if c.text == text)
    weights = {}
    for alt in clause.alternatives:  # a word and its parts join to the same text
        key = "".join(alt.words)
        weights[key] = max(weights.get(key, 0.0), alt.weight)
    return weights


@pytest.mark.parametrize("query, expected", [
    ("研发投入能不能少交企业所得税", ["研发投入", "少交", "企业所得税"]),
    ("社保费可以缓缴吗", ["社保费", "缓缴"]),
    ("怎么申请高新技术企业认定", ["高新技术企业", "认定"]),
    ("外国人来华工作许可怎么办理", ["外国人", "来华", "工作", "许可"]),
    ("企业注销需要哪些流程", ["企业", "注销", "流程"]),
    ("返乡创业有什么支持政策", ["返乡创业", "支持", "政策"]),
    ("小店房租能减免吗", ["小店", "房租", "减免"]),
    ("专精特新企业有没有奖励", ["专精特新", "企业", "奖励"]),
])
def test_question_scaffolding_is_dropped(query, expected):
    assert clause_texts(query) == expected


@pytest.mark.parametrize("query, phrase, policy_words", [
    ("研发投入能不能少交企业所得税", "少交", {"税收优惠", "减免", "加计扣除"}),
    ("研发投入能不能少交企业所得税", "研发投入", {"研发费用"}),
    ("新开的公司可以享受哪些扶持政策", "新开的公司", {"企业开办", "创业", "初创"}),
    ("开公司有什么补助", "开公司", {"企业开办", "创业"}),
    ("办食品厂需要什么手续", "手续", {"许可", "审批", "登记", "备案"}),
    ("办食品厂需要什么手续", "食品厂", {"食品生产"}),
    ("小店房租能减免吗", "房租", {"租金"}),
    ("招人有补贴吗", "招人", {"吸纳就业", "招用"}),
    ("企业上市政府有没有奖励", "企业上市", {"上市挂牌"}),
])
def test_everyday_words_are_also_searched_as_policy_words(query, phrase, policy_words):
    weights = alternatives(query, phrase)
    assert policy_words <= set(weights)
    # below the user's own words
    assert all(weights[w] <= EVERYDAY_WEIGHT < 1.0 for w in policy_words)
    assert max(weights.values()) == 1.0


def test_the_rewrite_says_how_the_question_was_read():
    rewrite = parse("研发投入能不能少交企业所得税").rewrite
    assert rewrite.changed
    assert rewrite.dropped == ["能不能"]
    assert "加计扣除" in rewrite.mapped["少交"]
    note = rewrite.note()
    assert note.startswith("按「") and note.endswith("」为您检索")
    assert "少交（税收优惠、减免" in note and "企业所得税" in note


def test_plain_keywords_are_not_rewritten():
    for query in ("小微企业 融资担保", "知识产权质押融资", "专精特新"):
        assert not parse(query).rewrite.changed, query


def test_everyday_phrases_match_on_word_boundaries_only():
    # 上市 maps to 上市挂牌, but not inside a longer word jieba keeps whole
    assert "上市公司" not in everyday_words().phrases
    texts = clause_texts("上市公司信息披露")
    assert "上市" not in texts


def test_every_mapping_line_is_read():
    table = everyday_words()
    assert table.suffixes == {"厂": ("生产",)}
    scaffolding = [k for k, v in table.phrases.items() if not v]
    mapped = [k for k, v in table.phrases.items() if v]
    assert len(scaffolding) >= 20 and len(mapped) >= 300


def test_lone_characters_are_optional_and_never_highlighted():
    parsed = parse("办食品厂需要什么手续")
    lone = [c for c in parsed.clauses if c.text == "办"]
    assert lone and lone[0].optional
    assert not any(c.optional for c in parsed.clauses if c.text != "办")
    for terms in (parsed.highlight_terms(primary=True), parsed.highlight_terms()):
        assert all(len(t) > 1 for t in terms), terms
    assert "开" not in parse("开公司有什么补助").highlight_terms()
    # a query of one character is still searched and marked
    assert parse("煤").highlight_terms() == ["煤"]


def test_multi_word_policy_words_are_marked_as_phrases():
    terms = parse("开公司有什么补助").highlight_terms(primary=True)
    assert "开办企业" in terms and "企业" not in terms


@pytest.mark.parametrize("typed", [
    "国办发〔2019〕6号", "国办发2019年6号", "国办发〔2019〕06号", "国办发〔2019〕6",
    "国办发 2019 6号", "国办发(2019)6号", "国办发【2019】6号", "国办发[2019]第6号",
    "国办发（2019）6号", "国办发20196号", "国办发 〔2019〕 6 号",
])
def test_every_typed_form_of_a_doc_number_has_one_key(typed):
    assert doc_number_canonical(typed) == "国办发|2019|6"
    parsed = parse(typed)
    assert "国办发|2019|6" in parsed.doc_number_keys


def test_doc_numbers_without_year_and_other_text():
    assert doc_number_canonical("国令第706号") == "国令||706"
    assert doc_number_canonical("公告2018年第14号") == "公告|2018|14"
    assert find_typed_doc_number("补贴2019年6月发放") is None
    found = find_typed_doc_number("关于国办发2019年6号的解读")
    assert "国办发|2019|6" in found.keys()
    assert clause_texts("国办发2019年6号 解读")[-1] == "解读"


# Everyday words for kinds of people, businesses, premises, permits and money that policy
# texts never use (员工, 外卖骑手, 网店, 小饭馆, 租厂房, 无抵押 …): each reaches the policy's word.
@pytest.mark.parametrize("query, phrase, policy_words", [
    ("员工社保补贴怎么申请", "员工", {"职工", "从业人员"}),
    ("外卖骑手有什么保障", "外卖骑手", {"网约配送员", "新就业形态劳动者"}),
    ("开网店需要营业执照吗", "开网店", {"网络经营", "电子商务经营者"}),
    ("小饭馆能减免房租吗", "小饭馆", {"小餐饮", "餐饮服务"}),
    ("租厂房有补贴吗", "租厂房", {"厂房租金", "租赁厂房"}),
    ("无抵押贷款怎么申请", "无抵押", {"信用贷款"}),
    ("加盟店需要备案吗", "加盟店", {"特许经营"}),
    ("网吧要办什么证", "网吧", {"互联网上网服务营业场所"}),
    ("摆地摊要办什么证", "摆地摊", {"流动商贩", "摊贩"}),
    ("个体老板能贷款吗", "个体老板", {"个体工商户"}),
    ("交税能不能缓缴", "交税", {"纳税"}),
    # hiring a group the employment policies name: the group's hiring, not the group's rights
    ("招残疾人有补贴吗", "招残疾人", {"安排残疾人就业", "招用残疾人"}),
    ("招大学生有什么补贴", "招大学生", {"高校毕业生", "吸纳就业"}),
])
def test_everyday_words_for_people_businesses_and_permits(query, phrase, policy_words):
    weights = alternatives(query, phrase)
    assert policy_words <= set(weights)
    assert all(weights[w] <= EVERYDAY_WEIGHT for w in policy_words)
    assert max(weights.values()) == 1.0


@pytest.mark.parametrize("query, phrase, own", [
    ("开网店", "开网店", ("网店",)),
    ("送外卖有补贴吗", "送外卖", ("外卖",)),
    ("无抵押贷款怎么申请", "无抵押", ("抵押",)),
])
def test_a_mapped_phrase_does_not_require_its_lone_characters(query, phrase, own):
    # unmapped, 开 / 送 / 无 would be optional clauses: the mapping must not require them
    clause = next(c for c in parse(query).clauses if c.text == phrase)
    assert clause.alternatives[0].words == own and clause.alternatives[0].weight == 1.0
    assert not any(alt.weight == 1.0 and len(alt.words[0]) == 1 for alt in clause.alternatives)
