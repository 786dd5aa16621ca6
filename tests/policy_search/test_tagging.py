"""Tagger rules on real sentences of the shared corpus: positive, negative, negated."""
from __future__ import annotations

import json

import pytest

from policy_search.domain.models import Attachment, Policy
from policy_search.domain.tagging import (
    _prepare, is_negated, load_evidence, propose, score_value, section_mask, split_sentences,
)
from policy_search.domain.taxonomy import load_shipped


@pytest.fixture(scope="module")
def taxonomy():
    return load_shipped()


def score(taxonomy, facet, value, text, title="通知"):
    policy = Policy(id="x", title=title, body_text=text)
    return score_value(taxonomy.get(facet, value), _prepare(policy, taxonomy), taxonomy)[0]


def values(proposals, facet):
    return {p.value for p in proposals if p.facet == facet}


# Real sentences (河南省人民政府关于做好当前和今后一个时期促进就业工作的实施意见, 国办发〔2019〕6号 …)
TAX_SENTENCE = ("清理规范涉企收费有关政策，落实小微企业免征增值税、小型微利企业减半征收企业所得税、"
                "金融机构向小微企业提供贷款的利息收入及担保机构向中小企业提供信用担保收入免征增值税等扶持政策。")
EXCEPT_SENTENCE = ("规范银行业金融机构和融资担保、再担保机构的收费行为，除贷款利息和担保费外，"
                   "不得以保证金、承诺费、咨询费、顾问费、注册费、资料费等名义收取不合理费用。")
NOT_INCLUDED_SENTENCE = "全员劳动生产率增速高于地区生产总值增速，项目（不含房地产开发）投资增速高于全部投资增速。"
SUBSIDY_EXCEPT = "目前除了二十三个煤矿城镇中财政已经给予补贴的十二个城镇外，对划归直属的新汶、兖州、鹤壁等矿区，实行包干。"


def test_positive_triggers_on_a_real_sentence(taxonomy):
    assert score(taxonomy, "support", "税费减免", TAX_SENTENCE) > 0
    assert score(taxonomy, "enterprise", "小微企业", TAX_SENTENCE) > 0
    assert score(taxonomy, "support", "用地用房", TAX_SENTENCE) == 0


def test_except_clause_negates_the_trigger(taxonomy):
    # 除贷款利息和担保费外: 贷款 is excluded, not offered.
    prepared = _prepare(Policy(id="x", title="通知", body_text=EXCEPT_SENTENCE), taxonomy)
    value = taxonomy.get("support", "融资信贷")
    _, evidence = score_value(value, prepared, taxonomy)
    assert "贷款" not in {e.match for e in evidence}
    assert score(taxonomy, "support", "资金补贴奖励", SUBSIDY_EXCEPT) == 0
    # The same trigger outside the 除…外 clause counts.
    assert score(taxonomy, "support", "资金补贴奖励", "对符合条件的企业给予一次性补贴。") > 0


def test_not_included_negates_the_trigger(taxonomy):
    assert score(taxonomy, "industry", "房地产业", NOT_INCLUDED_SENTENCE) == 0
    assert score(taxonomy, "industry", "房地产业", "项目包括房地产开发投资。") > 0


def test_is_negated_stays_inside_its_clause():
    text = "不包括金融机构，对小微企业给予贷款贴息。"
    start = text.index("贷款")
    assert not is_negated(text, start, start + 2, ["不包括"], 18)
    assert is_negated(text, text.index("金融"), text.index("金融") + 2, ["不包括"], 18)
    # 扣除 is not 除…外
    text = "研发费用加计扣除比例提高到100%，此外还有奖励。"
    assert not is_negated(text, text.index("奖励"), text.index("奖励") + 2, ["除"], 18)


def test_negative_phrases_void_look_alike_words(taxonomy):
    anti = "为了规范反倾销和反补贴调查听证程序，保障反倾销和反补贴调查的公平、公正，制定本规则。"
    assert score(taxonomy, "support", "资金补贴奖励", anti) == 0
    school = "为了妥善处理中小学校学生伤害事故，保障中小学生和学校的合法权益，制定本条例。"
    assert score(taxonomy, "enterprise", "中小企业", school) == 0
    assert score(taxonomy, "industry", "教育", school) > 0


def test_title_and_beneficiary_section_weigh_more_than_body(taxonomy):
    body = score(taxonomy, "enterprise", "小微企业", "加强对小微企业的服务。")
    title = score(taxonomy, "enterprise", "小微企业", "加强服务。", title="关于支持小微企业发展的通知")
    section = score(taxonomy, "enterprise", "小微企业",
                    "一、总体要求\n加强服务。\n二、支持对象\n本市小微企业。\n三、保障措施\n加强领导。")
    assert title > section > body > 0


def test_section_mask_ends_at_the_next_heading_of_its_level():
    text = "一、支持对象\n（一）小微企业。\n（二）个体工商户。\n二、支持方式\n贷款贴息。"
    mask = section_mask(text, ["支持对象"])
    assert mask[text.index("个体工商户")] and not mask[text.index("贷款")]
    # "适用对象：…" inside a long line also opens the section
    text = "第二条 适用对象：在本市注册的科技型中小企业。\n第三条 其他。"
    mask = section_mask(text, ["适用对象"])
    assert mask[text.index("科技型")] and not mask[text.index("其他")]


def test_evidence_spans_point_into_the_text(taxonomy, shared):
    with open(shared("corpus", "documents.jsonl"), encoding="utf-8") as f:
        doc = next(json.loads(line) for line in f
                   if "切实支持小微企业和“三农”发展" in json.loads(line)["title"])
    policy = Policy(id="x", title=doc["title"], body_text=doc["body"],
                    attachments=[Attachment(name="附件", url="http://x/a.pdf", text="附件：申报对象为小微企业。")])
    proposals = propose(policy, taxonomy)
    assert "融资信贷" in values(proposals, "support")
    assert "小微企业" in values(proposals, "enterprise")
    texts = {"title": policy.title, "body": policy.body_text, "attachment:0": policy.attachments[0].text}
    for proposal in proposals:
        assert 0.5 <= proposal.confidence <= 0.99
        stored = load_evidence(proposal.to_tag().evidence)
        assert stored == proposal.evidence
        for e in stored:
            assert texts[e.field][e.start:e.end] == e.text
            assert texts[e.field][e.match_start:e.match_end] == e.match
            assert e.start <= e.match_start < e.match_end <= e.end


def test_a_document_about_no_business_gets_no_support_or_enterprise_tags(taxonomy):
    policy = Policy(id="x", title="国务院办公厅关于2019年部分节假日安排的通知",
                    body_text="经国务院批准，现将2019年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。")
    assert propose(policy, taxonomy) == []


def test_split_sentences_keeps_spans():
    text = "  第一句。第二句；\n第三句"
    sentences = split_sentences(text, "body")
    assert [s.text for s in sentences] == ["第一句。", "第二句；", "第三句"]
    assert all(text[s.start:s.end] == s.text for s in sentences)


def test_plain_text_evidence_is_read_as_a_note():
    [note] = load_evidence("人工添加")
    assert note.field == "note" and note.text == "人工添加"
