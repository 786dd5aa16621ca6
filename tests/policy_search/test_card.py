"""Card fields extracted from real documents and real sentences."""
import pytest

from policy_search.domain.card import (deadline_from_card, extract_card, extract_phones, find_sections, numbering_marks,
                                support_clauses)
from policy_search.domain.models import Policy
from tests.policy_search.corpus import real_policy

HONORS = "https://www.mee.gov.cn/xxgk2018/xxgk/xxgk06/201901/t20190115_689677.html"
TITLES = "https://www.mee.gov.cn/xxgk2018/xxgk/sthjbsh/202009/t20200928_800891.html"
STANDARDS = "https://www.mee.gov.cn/xxgk2018/xxgk/xxgk06/202009/t20200925_800515.html"
HENAN_JOBS = "https://www.henan.gov.cn/2019/01-08/729094.html"


def test_notice_with_run_together_headings():
    # The body lost its line breaks: "…培训基地四、申报条件（一）申报人员…"
    card = extract_card(real_policy(TITLES))
    conditions = card.values("conditions")
    assert conditions[0].startswith("申报人员从事生态环境保护相关专业技术工作")
    assert any("公务员" in c and "不得申报" in c for c in conditions)
    assert card.values("deadline")[0] == "于11月9日前"
    assert deadline_from_card(card, real_policy(TITLES)).end == "2020-11-09"
    assert card.values("phone") == ["（010）65645329", "13718923799", "（010）84665650"]
    assert card.values("address") == ["北京市朝阳区育慧南路1号A栋511室"]
    # evidence is the source sentence
    assert "报送工作" in card.get("deadline")[0].evidence


def test_beneficiaries_conditions_contacts_of_an_award_notice():
    card = extract_card(real_policy(HONORS))
    assert card.values("beneficiaries")[0].startswith("先进集体评选表彰对象：从事生态文明建设的基层单位")
    assert any("五年内未发生违法违纪" in c for c in card.values("conditions"))
    assert card.values("deadline") == ["截止日期为2019年2月28日"]
    assert card.values("address") == ["北京市西城区后英房胡同5号519室"]
    # two numbers after one label; the fax number after 传真 is not a phone to call
    assert card.values("phone") == ["（010）82268162", "66556336"]


def test_conditions_and_deadline_of_a_call_for_projects():
    card = extract_card(real_policy(STANDARDS))
    assert any("独立法人资格" in c for c in card.values("conditions"))
    assert card.values("deadline") == ["2020年10月9日前"]
    assert card.values("phone") == ["（010）50911177", "（010）84934069"]
    assert "安定门外北苑大羊坊8号" in card.values("address")[0]


def test_support_amounts_from_a_measures_document():
    support = extract_card(real_policy(HENAN_JOBS)).values("support")
    assert any("返还其上年度实际缴纳失业保险费的50%" in s for s in support)
    assert any("最高不超过15万元的创业担保贷款" in s for s in support)


@pytest.mark.parametrize("sentence,expected", [
    ("对新认定的国家级专精特新“小巨人”企业，给予一次性奖励50万元，所需资金由市财政承担。",
     ["给予一次性奖励50万元"]),
    ("对符合条件的企业，按实际贷款利息的50%给予贴息，单个企业年度贴息最高不超过100万元。",
     ["按实际贷款利息的50%给予贴息", "单个企业年度贴息最高不超过100万元"]),
    ("落实高新技术企业减按15%税率征收企业所得税、对企业研发费用加计扣除政策。",
     ["落实高新技术企业减按15%税率征收企业所得税、对企业研发费用加计扣除政策"]),
    ("对违反本条例规定的，处以5000元以上2万元以下罚款。", []),
    ("2019年全省地区生产总值增长7%。", []),
])
def test_support_clauses(sentence, expected):
    assert support_clauses(sentence) == expected


def test_numbering_sequence_tells_headings_from_words():
    text = "统一、规范管理。一、支持对象本市中小企业。二、申报条件注册满一年四、不在序列"
    marks = [(m.level, m.number) for m in numbering_marks(text) if m.level == 1]
    assert marks == [(1, 1), (1, 2)]
    sections = [(s.field, s.heading) for s in find_sections(text)]
    assert sections == [("beneficiaries", "支持对象"), ("conditions", "申报条件")]


def test_line_headed_sections_with_labels():
    text = ("关于组织申报2023年度中小企业发展专项资金的通知\n各有关单位：\n"
            "一、支持对象\n在长沙县注册登记、具有独立法人资格的中小微企业。\n"
            "二、支持标准\n对新获评的专精特新“小巨人”企业，给予一次性奖励50万元。\n"
            "三、申报时间\n2023年10月1日至10月31日。\n"
            "四、受理地址\n长沙县星沙街道开元东路1号县政务服务中心3楼12号窗口。\n"
            "五、联系方式\n县工信局中小企业科，联系电话：0731-84011234。\n")
    policy = Policy(id="x", title=text.split("\n", 1)[0], body_text=text, publish_date="2023-09-20")
    card = extract_card(policy)
    assert card.values("beneficiaries") == ["在长沙县注册登记、具有独立法人资格的中小微企业"]
    assert card.values("support") == ["给予一次性奖励50万元"]
    assert card.values("deadline") == ["2023年10月1日至10月31日"]
    assert card.values("address") == ["长沙县星沙街道开元东路1号县政务服务中心3楼12号窗口"]
    assert card.values("phone") == ["0731-84011234"]


def test_phones_skip_fax_and_keep_mobiles():
    phones = extract_phones("联系人：王青，电话：0731-88889999、13812345678；传真：0731-88880000。")
    assert [p.value for p in phones] == ["0731-88889999", "13812345678"]


def test_a_law_has_no_application_card():
    card = extract_card(real_policy("title:中华人民共和国增值税暂行条例")) if False else None
    # a law states no window, no contacts
    from tests.policy_search.corpus import all_documents
    key = next(k for k, d in all_documents().items() if d["title"] == "中华人民共和国契税法")
    card = extract_card(real_policy(key))
    assert card.values("deadline") == [] and card.values("phone") == []


GUARANTEES = "http://www.gov.cn/zhengce/content/2019-02/14/content_5365711.htm"


def test_an_institutions_subsidy_is_not_the_cards_support():
    # 国办发〔2019〕6号: the fee subsidy is for the guarantee agencies' business ("…的担保业务给予
    # 适当担保费补贴，提升融资担保机构可持续经营能力"); the card's 支持标准 is what a firm gets
    policy = real_policy(GUARANTEES)
    assert "给予适当担保费补贴，提升融资担保机构可持续经营能力" in policy.body_text
    support = extract_card(policy).values("support")
    assert not any("担保费补贴" in s for s in support), support
