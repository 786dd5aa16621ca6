"""Document kind and 惠企 flag on real documents of every kind (../shared/corpus), each
decision with the clue that made it."""
from __future__ import annotations

import json

import pytest

from policy_search.domain.importer import policy_from_record
from policy_search.domain.kinds import (DOC_KINDS, classify, clean_title, dump_clues, load_clues,
                                 support_in, support_sentences, title_parts)
from policy_search.domain.models import Policy
from tests.policy_search.corpus import all_documents
from tests.conftest import shared_path


def decide(key: str):
    return classify(policy_from_record(all_documents()[key]))


# (document key, kind, 惠企, a word the kind's evidence shows)
REAL = [
    ("http://www.jiangxi.gov.cn/art/2020/2/9/art_4969_1497540.html", "惠企措施", True, "若干措施"),
    ("http://www.gov.cn/zhengce/content/2018-12/05/content_5345808.htm", "惠企措施", True, "若干意见"),
    ("https://www.shanghai.gov.cn/nw12344/20200815/0001-12344_9825.html", "惠企措施", True, "通知"),
    ("http://gyxxh.tj.gov.cn/ZWGK4147/ZCWJ6355/wjwj/202106/t20210629_5489776.html", "申报通知", True,
     "申报推荐"),
    ("https://www.mee.gov.cn/xxgk2018/xxgk/xxgk06/201804/t20180418_629684.html", "申报通知", False,
     "推荐材料"),
    ("https://www.mee.gov.cn/xxgk2018/xxgk/xxgk15/202101/t20210108_816625.html", "政策解读", False,
     "答记者问"),
    ("https://www.mee.gov.cn/xxgk2018/xxgk/xxgk15/202101/t20210113_817275.html", "政策解读", False,
     "印发《"),
    ("title:中华人民共和国中小企业促进法", "法律法规", True, "法"),
    ("title:中华人民共和国企业所得税法实施条例", "法律法规", True, "条例"),
    ("title:上海市促进就业若干规定", "法律法规", True, "若干规定"),
    ("http://www.jiangxi.gov.cn/art/2020/3/11/art_4975_1566791.html", "法律法规", False, "关于废止"),
    ("title:最高人民法院、最高人民检察院关于办理危害税收征管刑事案件适用法律若干问题的解释", "司法解释",
     False, "最高人民法院"),
    ("title:关于审理使用人脸识别技术处理个人信息相关民事案件适用法律若干问题的规定", "司法解释", False,
     "关于审理"),
    ("https://s.fjlib.net:6443/interlibSSO/goto/385/+c-s-9odnokd9bnl9bm/pd/gzbg/detail.html?id="
     "c93c6c18e18d4ec6b1dd2f30581f15e8", "工作报告与规划", False, "政府工作报告"),
    ("https://www.mee.gov.cn/xxgk2018/xxgk/xxgk03/202203/t20220323_972383.html", "工作报告与规划", False,
     "规划"),
    ("http://www.jiangxi.gov.cn/art/2020/2/20/art_18830_1508831.html", "公告公示", False, "通告"),
    ("https://www.mee.gov.cn/xxgk2018/xxgk/xxgk04/202208/t20220810_991388.html", "公告公示", False, "公布"),
    ("http://www.gov.cn/zhengce/content/2018-11/27/content_5343832.htm", "其他", False, "批复"),
    ("http://www.jiangxi.gov.cn/art/2020/3/3/art_4980_1515143.html", "其他", False, "任"),
]


@pytest.mark.parametrize("key,kind,huiqi,word", REAL, ids=[r[0][-28:] for r in REAL])
def test_kind_and_flag_of_real_documents(key, kind, huiqi, word):
    decision = decide(key)
    assert (decision.kind, decision.huiqi) == (kind, huiqi)
    assert decision.kind_clues and decision.huiqi_clues
    assert any(word in clue.text for clue in decision.kind_clues), decision.kind_clues


def test_every_kind_is_covered_by_the_real_documents():
    assert {kind for _, kind, _, _ in REAL} == set(DOC_KINDS)


def test_support_evidence_is_a_sentence_granting_enterprises_something():
    decision = decide("http://www.jiangxi.gov.cn/art/2020/2/9/art_4969_1497540.html")
    texts = [clue.text for clue in decision.huiqi_clues if clue.where == "正文"]
    assert texts and "企业" in texts[0]
    assert any(w in texts[0] for w in ("贷款", "贴息", "担保", "信贷", "融资"))
    # each clue names its kind of support
    assert all("支持" in clue.rule for clue in decision.huiqi_clues if clue.where == "正文")


@pytest.mark.parametrize("title", ["中华人民共和国退役军人保障法", "中华人民共和国预备役人员法",
                                   "中华人民共和国印花税法", "中华人民共和国契税法"])
def test_laws_mentioning_a_benefit_in_passing_are_not_huiqi(title):
    """The issue's /match examples: a few articles about 创业担保贷款 or 减征 in a law about
    veterans or a tax do not make it a policy that gives enterprises something."""
    decision = decide("title:" + title)
    assert decision.kind == "法律法规" and not decision.huiqi
    assert "主要内容" in decision.huiqi_clues[0].rule or "未见" in decision.huiqi_clues[0].rule


@pytest.mark.parametrize("title", ["最高人民法院、最高人民检察院关于办理袭警刑事案件适用法律若干问题的解释",
                                   "最高人民法院关于审理食品药品惩罚性赔偿纠纷案件适用法律若干问题的解释"])
def test_judicial_interpretations_are_never_huiqi(title):
    decision = decide("title:" + title)
    assert (decision.kind, decision.huiqi) == ("司法解释", False)


# Titles as lists publish them (../shared/corpus/metadata.jsonl has no bodies).
TITLE_ONLY = [
    ("一图读懂《上海市先进制造业“十四五”规划》", "政策解读"),
    ("《上海市加大吸引和利用外资若干措施》政策图解", "政策解读"),
    ("云南省人民政府办公厅关于印发云南省行政机关政策解读工作办法的通知", "其他"),
    ("上海市经济和信息化委员会关于开展2019年本市首版次软件产品专项申报的通知", "申报通知"),
    ("2018年上海市新闻出版专项资金申报指南", "申报通知"),
    ("药品GMP认证审查公示（第318号）", "公告公示"),
    ("河南省人民政府关于扶持小微企业发展的意见", "惠企措施"),
    ("四川省人民政府办公厅关于开展“四川省建设长江上游生态屏障先进集体和先进个人”评选表彰工作的通知",
     "申报通知"),
    ("上海市“十三五”规划工作领导小组办公室关于发布上海市“十四五”规划前期课题研究遴选结果的公告",
     "公告公示"),
]


@pytest.mark.parametrize("title,kind", TITLE_ONLY)
def test_titles_without_text(title, kind):
    records = {}
    with open(shared_path("corpus", "metadata.jsonl"), encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["title"] == title:
                records[title] = record
                break
    assert title in records, "the title is a real list entry"
    assert classify(policy_from_record(records[title])).kind == kind


def test_source_label_is_a_clue_not_the_answer():
    """An importer's or crawler's 政策原文 / 申报通知 does not decide against the title."""
    key = "title:中华人民共和国印花税法"
    policy = policy_from_record(all_documents()[key])
    policy.source_kind = "申报通知"
    assert classify(policy).kind == "法律法规"
    bare = Policy(id="x", title="关于做好有关工作的通知", source_kind="政策解读")
    decision = classify(bare)
    assert decision.kind == "政策解读" and decision.kind_clues[0].where == "来源标注"


def test_titles_are_read_past_status_marks_and_wrappers():
    assert clean_title("[有效]浙江省人民政府关于印发浙江省盐业体制改革实施方案的通知") == \
        "浙江省人民政府关于印发浙江省盐业体制改革实施方案的通知"
    parts = title_parts("发改经体〔2016〕2120号《国家发展改革委国家能源局关于印发〈售电公司准入与退出管理办法〉"
                        "和〈有序放开配电网业务管理办法〉的通知》")
    assert (parts.verb, parts.inner_genre, parts.genre) == ("印发", "办法", "通知")
    assert title_parts("中华人民共和国商务部令（2018年第2号）\n反倾销和反补贴调查听证会规则").genre == "规则"


def test_sanctions_and_honours_are_not_support():
    text = ("对骗取补贴的企业，追回补贴资金并处以罚款。"
            "对在促进就业工作中作出显著成绩的单位和个人给予表彰和奖励。"
            "对新认定的高新技术企业给予一次性奖励20万元。")
    found = support_sentences(text)
    assert [s.text for s in found] == ["对新认定的高新技术企业给予一次性奖励20万元"]
    assert found[0].category == "资金"


def test_clues_round_trip_through_json():
    decision = decide("title:中华人民共和国中小企业促进法")
    assert load_clues(dump_clues(decision.huiqi_clues)) == decision.huiqi_clues
    assert load_clues("手工备注")[0].text == "手工备注"


# Provisions of real laws and measures (../shared/corpus), both ways, for the rules of
# kinds.RULES_VERSION 2.
def test_a_provision_is_the_support_it_names_most_tangibly():
    # 浙江省数字经济促进条例: tax relief, though 孵化器 (a service) is named first
    tax = ("第五十一条 县级以上人民政府及其有关部门应当落实国家和省对高新技术企业研发、信息技术产品制造、"
           "软件开发、信息服务以及科技企业孵化器、大学科技园和众创空间等线上线下创新创业平台的税费优惠，"
           "并为相关单位和个人办理税费优惠提供便利")
    assert support_in(tax).category == "税费"
    # 重庆市…促进内外贸一体化发展的实施意见: a service and nothing more tangible
    service = ("创新企业内外贸一体化支持机制，推广实施对企服务网格员向企业法人报到制度、代办专员制度、"
               "部门负责人联系重点企业制度")
    assert support_in(service).category == "服务"


def test_financial_bodies_granting_enterprises_support_are_not_their_duties():
    # 浙江省数字经济促进条例 第五十二条: loans and guarantees for enterprises …
    grant = ("第五十二条 本省实行有利于数字经济发展的金融政策，对符合国家和省数字经济产业政策的项目、企业、"
             "园区、平台和创新人才，金融机构、地方金融组织应当在贷款、政策性融资担保以及其他金融服务等方面"
             "给予支持")
    assert support_in(grant).category == "融资"
    # … 上海市地方金融监督管理条例: a regulated body's own duty
    duty = ("第十八条 地方金融组织应当依法规范经营，严守风险底线，禁止从事下列活动：（一）吸收存款或者变相"
            "吸收存款；（二）出借、出租许可证件或者试点文件；（三）非法受托投资、自营或者受托发放贷款；"
            "（四）国家和本市禁止从事的其他活动")
    assert support_in(duty) is None


def test_more_guarantees_for_named_enterprises_is_support_more_bank_credit_is_not():
    # 深圳经济特区人工智能产业促进条例
    assert support_in("发挥中小微企业融资担保基金作用，加大对人工智能初创企业信用担保力度").category == "融资"
    # 重庆市…促进内外贸一体化发展的实施意见: the state encourages banks
    assert support_in("鼓励金融机构加大对内外贸融合发展企业的信贷支持力度，提升内外贸一体化金融服务水平") is None


def test_a_list_is_for_whom_its_lead_names():
    # 上海市促进农业科技进步若干规定: for transfer activities, whatever the items mention (高等学校)
    activities = ("对下列农业科技成果转化活动，根据国家和本市有关规定给予税收、贷款的优惠或者研发经费的补助："
                  "（一）企业与科研院所、高等学校、农业技术推广机构合作，向农户推广农业新品种、新技术的；"
                  "（二）农业科技成果权利人采取成果转让、以成果作为投资或者许可他人使用成果等方式转化农业科技成果的")
    assert support_in(activities) is not None
    # 中华人民共和国促进科技成果转化法 第十二条: for projects, though an item names 贫困地区
    projects = ("第十二条 对下列科技成果转化项目，国家通过政府采购、研究开发资助、发布产业技术指导目录、示范推广"
                "等方式予以支持：（一）能够显著提高产业技术水平、经济效益或者能够形成促进社会经济健康发展的新产业的；"
                "（五）能够改善民生和提高公共健康水平的；（六）能够促进现代农业或者农村经济发展的；"
                "（七）能够加快民族地区、边远地区、贫困地区社会经济发展的")
    assert support_in(projects) is not None
    # 山东省实施《中华人民共和国残疾人保障法》办法: the lead names persons
    persons = ("第四十七条 县（市、区）人民政府和有关部门应当对残疾人给予下列优惠待遇：（一）对贫困重度残疾人，"
               "按照有关规定发放生活补贴；（二）对符合条件的残疾人，给予城乡最低生活保障或者供养")
    assert support_in(persons) is None


# Laws by the rules of kinds.RULES_VERSION 3: what a law grants is counted as a reader counts
# it (per article and kind of support, per item of a list), in the chapter devoted to it.
LAWS = [
    # a 促进与保障 chapter: parties to registered technology contracts get tax relief on the income
    ("title:北京市技术市场条例", True, "促进与保障"),
    # a 鼓励措施 chapter: funds for 清洁生产先进单位, tax relief for 清洁生产项目
    ("title:山东省清洁生产促进条例", True, "鼓励措施"),
    # a 专利促进 chapter: the fund's list of 资助 keeps its grants although its last item is 表彰
    ("title:洛阳市专利促进与保护条例", True, "专利促进"),
    # 第十七条 "对下列企业、人员依法给予税收优惠：（一）…的企业；（二）…" grants once per item
    ("title:中华人民共和国就业促进法", True, ""),
    # three paragraphs of one article exempting the same enterprises from duties are one grant
    ("title:国务院关于鼓励台湾同胞投资的规定", False, ""),
    # a 税收优惠 chapter of exemptions for goods and producers defines what is taxed
    ("title:中华人民共和国增值税法", False, ""),
    # the state encouraging banks and declaring its policies (实行…优惠等扶持政策) grants nothing here
    ("title:中华人民共和国节约能源法", False, ""),
    ("title:中华人民共和国农业法", False, ""),
    # a 鼓励与支持 chapter of rewards for citizens' good deeds
    ("title:东营市文明行为促进条例", False, ""),
    # an agency's list of duties (…支付…补贴) and one clause for employers
    ("title:河南省失业保险条例", False, ""),
]


@pytest.mark.parametrize("key,huiqi,heading", LAWS, ids=[k[6:] for k, _, _ in LAWS])
def test_what_a_law_grants_enterprises(key, huiqi, heading):
    decision = decide(key)
    assert decision.kind == "法律法规" and decision.huiqi is huiqi, decision.huiqi_clues
    if heading:
        assert heading in decision.huiqi_clues[0].text and "专章" in decision.huiqi_clues[0].rule
    if not huiqi:
        assert "主要内容" in decision.huiqi_clues[0].rule or "未见" in decision.huiqi_clues[0].rule


def test_the_income_of_an_economic_activity_is_a_grantee_in_a_law():
    # 北京市技术市场条例 第二十五条: no enterprise is named, the transaction's income is
    party = ("第二十五条 技术交易当事人持技术合同登记机构的登记证明，向主管财政、税务部门提出申请，经审核批准，"
             "其技术交易的收入享受国家规定的税收优惠政策")
    found = support_in(party)
    assert found is not None and found.activity and found.category == "税费"
    # … which a policy document, naming its applicants, does not count
    assert not classify(Policy(id="p", title="关于做好技术交易工作的通知", body_text=party + "。")).huiqi


def test_a_list_whose_lead_grants_nothing_is_read_item_by_item():
    # 宁波市全民健身条例 第三十七条: evaluations, one of which decides 经费补助 — no grant
    evaluation = ("第三十七条 市和区县（市）有关主管部门应当建立有公众参与的全民健身工作监督评估制度，按照下列规定"
                  "开展监督评估：（一）市和区县（市）体育主管部门应当每年对公共体育设施免费开放、开放时间等情况"
                  "进行评估，根据评估结果确定预算资金安排和经费补助；（二）市和区县（市）体育主管部门应当对经营性"
                  "体育设施的经营者履行政府购买服务协议的情况进行评估，根据评估结果确定是否继续向其购买服务")
    assert support_in(evaluation) is None
    # 河南省失业保险条例: "依法追究刑事责任：（一）弄虚作假骗取…补贴的" is a sanction throughout
    sanction = "构成犯罪的，依法追究刑事责任：（一）以欺诈手段骗取失业保险金的；（二）挪用失业保险基金的"
    assert support_in(sanction) is None


def test_honours_and_policies_still_to_be_made_are_not_support():
    # 国务院办公厅关于深入开展消费扶贫助力打赢脱贫攻坚战的指导意见
    assert support_in("对参与消费扶贫有突出贡献的企业、社会组织和个人，采取适当方式给予奖励激励") is None
    # 关于生态环境领域进一步深化“放管服”改革，推动经济高质量发展的指导意见
    assert support_in("加快建立生态环境保护“领跑者”制度，探索建立“领跑者”财政补贴、金融信贷支持等政策") is None


def test_a_forwarded_document_without_its_notice_is_read_as_forwarded():
    parts = title_parts("国务院批转全国煤矸石、石煤综合利用经验交流会议纪要")
    assert (parts.verb, parts.inner_genre) == ("批转", "纪要")
    # 批转省经贸委、纺织总会关于纺织行业深化改革调整… grants 棉纺企业 压锭补贴 and 出口退税
    decision = decide(next(k for k, d in all_documents().items()
                           if d["title"].startswith("批转省经贸委、纺织总会关于纺织行业深化改革调整")))
    assert (decision.kind, decision.huiqi) == ("惠企措施", True)


# kinds.RULES_VERSION 4: forms of granting the rules of version 3 did not read.
def test_a_list_of_what_enterprises_enjoy_grants_per_item():
    # 河南省发展民营科技企业条例 第七条: "享有下列权利" leads into the benefits
    rights = ("第七条 民营科技企业的合法权益受法律保护，同时享有下列权利：（一）国家和省规定的税收优惠待遇；"
              "（二）承担科技计划项目；（三）申请科技开发贷款；（四）优先推荐参加各种评比")
    found = support_in(rights)
    assert found is not None and found.names_enterprise and found.category == "税费"
    decision = decide("title:河南省发展民营科技企业条例")
    assert decision.huiqi, decision.huiqi_clues


def test_a_fund_arranged_for_enterprises_or_a_scheme_widened_to_their_projects_is_a_grant():
    # 浙江省民营企业发展促进条例 第二十五条
    fund = "县级以上人民政府可以安排资金用于民营企业保证保险和信用保险的风险补偿等"
    assert support_in(fund) is not None
    # 北京市实施《中华人民共和国节约能源法》办法: the projects are put in the fund's scope
    scope = "本市将合同能源管理项目纳入有关专项资金支持范围"
    found = support_in(scope)
    assert found is not None and found.names_enterprise and found.category == "资金"
    # … while a fund the government must set up for a cause still grants nobody
    assert support_in("第七条 市、县（市）、区人民政府应当设立专利专项资金，加大对专利促进和保护工作的财政支持力度") is None


def test_a_grant_after_a_long_list_of_projects_is_for_the_projects():
    # 中华人民共和国清洁生产促进法 第三十一条
    projects = ("第三十一条 对从事清洁生产研究、示范和培训，实施国家清洁生产重点技术改造项目和本法第二十八条规定的"
                "自愿节约资源、削减污染物排放量协议中载明的技术改造项目，由县级以上人民政府给予资金支持")
    found = support_in(projects)
    assert found is not None and found.names_enterprise
    decision = decide("title:中华人民共和国清洁生产促进法")
    assert decision.huiqi and "鼓励措施" in decision.huiqi_clues[0].text, decision.huiqi_clues


def test_an_archaic_grant_verb_is_a_grant():
    # 国务院批转全国煤矸石、石煤综合利用经验交流会议纪要 (1979): 给以 for 给予
    assert support_in("对生产出口产品的企业从多方面给以补贴和奖励") is not None
    assert support_in("对生产出口产品的企业从多方面给以鼓励和支持") is None  # no benefit named


def test_benefits_withheld_or_passed_on_to_staff_are_not_support():
    # 台州市企业信用促进条例: a restriction on benefits
    assert support_in("限制被列入严重失信名单的企业享受财政资金补助等政策扶持") is None
    # 山东省新旧动能转换促进条例: an enterprise rewarding its own people
    assert support_in("高新技术企业转化科技成果给予个人的股权奖励，可以在规定期限内分期缴纳个人所得税") is None
    decision = decide("title:台州市企业信用促进条例")
    assert not decision.huiqi, decision.huiqi_clues


@pytest.mark.parametrize("title", ["河南省实施《中华人民共和国中小企业促进法》办法", "促进个体工商户发展条例"])
def test_a_law_promoting_a_class_of_enterprises_needs_one_grant_to_show_it(title):
    """Its subject is those enterprises' development: one provision granting them something
    (the others are the state's undertakings for them) shows what it is for."""
    decision = decide(f"title:{title}")
    assert decision.huiqi, decision.huiqi_clues
    assert decision.huiqi_clues[0].where == "标题", decision.huiqi_clues


def test_a_law_of_another_subject_needs_more_than_one_grant():
    # 浙江省数字经济促进条例: one grant in 62 articles; its subject is an economy, not enterprises
    assert not decide("title:浙江省数字经济促进条例").huiqi


def test_money_given_to_the_projects_preferred_or_selected_is_a_grant():
    # 郑州市专利促进和保护条例 第十条: public money steered to patent projects
    preferred = ("第十条 扶持生产、研发和技术改造项目的财政资金，在同等条件下优先扶持在本市实施转化的自主专利项目"
                 "以及可能产生自主专利技术的项目")
    found = support_in(preferred)
    assert found is not None and found.category == "资金" and found.names_enterprise
    # 国务院批转全国煤矸石、石煤综合利用经验交流会议纪要 (1979): subsidies for the projects chosen
    selected = ("国家补助资金只能择优补助，用在技术上成熟、经济上合理，有资源、有规划、有设计、有劳力、有施工力量的，"
                "在一年内（少数项目两年内）可以完工投产的项目")
    found = support_in(selected)
    assert found is not None and found.names_enterprise
    # … while public money in general, or its audit, grants nobody
    assert support_in("各级财政资金应当优先保障义务教育") is None
    assert support_in("审计机关应当加强对财政资金使用情况的审计监督") is None
    decision = decide("http://www.gov.cn/zhengce/content/2018-04/12/content_5281620.htm")
    assert (decision.kind, decision.huiqi) == ("惠企措施", True), decision.huiqi_clues


def test_a_law_promoting_patents_counts_the_patent_grants_of_its_fund():
    """专利促进 is an economic promotion (like 成果转化); its fund's list grants the patents'
    use in its first item, whatever a later item (人才培养) names; and a title that promotes as
    well as protects is not a protective law only."""
    decision = decide("title:郑州市专利促进和保护条例")
    assert decision.huiqi, decision.huiqi_clues
    assert decision.huiqi_clues[0].text == "专利促进", decision.huiqi_clues
    # a law that only protects patents still needs a support chapter
    assert not decide("title:上海市专利保护条例").huiqi


# kinds.RULES_VERSION 8 (from errors first seen on the fresh3 set, which the note says)
def test_a_benefit_a_provision_forbids_is_no_grant():
    # 公平竞争审查条例 第十条: what a policy must not contain lists the benefits it forbids
    forbidden = ("第十条 起草单位起草的政策措施，没有法律、行政法规依据或者未经国务院批准，不得含有下列影响生产经营成本的内容："
                 "（一）给予特定经营者税收优惠；（二）给予特定经营者选择性、差异化的财政奖励或者补贴；"
                 "（三）给予特定经营者要素获取、行政事业性收费、政府性基金、社会保险费等方面的优惠；（四）其他影响生产经营成本的内容。")
    assert support_in(forbidden) is None
    assert not decide("title:公平竞争审查条例").huiqi
    # 山东省节约能源条例 第三十四条: a subsidy an enterprise must not pay its own staff
    assert support_in("能源生产经营单位不得无偿或者低于市场价格向本单位职工提供能源，"
                      "不得对本单位职工按能源消费量给予补贴") is None
    # … while a rule against claiming twice leaves the grant a grant
    twice = "对新认定的国家级专精特新“小巨人”企业，给予一次性奖励50万元，同一企业不得重复享受"
    found = support_in(twice)
    assert found is not None and found.category == "资金"


def test_a_plain_loan_is_judged_by_its_own_list_item():
    # 中华人民共和国城镇集体所有制企业条例 第二十一条: a right to apply for a loan on a bank's terms
    # is no support because another item of the list names 优惠待遇
    rights = ("第二十一条 集体企业在国家法律、法规的规定范围内享有下列权利：(一)对其全部财产享有占有、使用、收益和处分的权利，"
              "拒绝任何形式的平调；(二)自主安排生产、经营、服务活动；(五)依照国家信贷政策的规定向有关专业银行申请贷款；"
              "(七)享受国家政策规定的各种优惠待遇；(十)奖惩职工。")
    found = support_in(rights)
    assert found is None or found.category != "融资"
    assert not decide("title:中华人民共和国城镇集体所有制企业条例").huiqi
    # a loan on better terms in its own item is still support
    found = support_in("第七条 民营科技企业享有下列权利：（一）按照规定申请政策性科技开发贷款；（二）参加各种评比")
    assert found is not None and found.category == "融资"


# kinds.RULES_VERSION 9 (from laws a reviewer found flagged 惠企 on the shared corpus)
def test_what_a_term_of_a_law_covers_is_no_grant():
    # 中华人民共和国审计法实施条例 第二十二条: the projects an audit covers, some of them loans
    scope = ("第二十二条 审计法第二十四条所称国际组织和外国政府援助、贷款项目，包括：(一)国际组织、外国政府及其机构"
             "向中国政府及其机构提供的贷款项目；(二)国际组织、外国政府及其机构向中国企业事业组织以及其他组织提供的"
             "由中国政府及其机构担保的贷款项目；(三)国际组织、外国政府及其机构向中国政府及其机构提供的援助和赠款项目")
    assert support_in(scope) is None
    assert not decide("title:中华人民共和国审计法实施条例").huiqi
    # … while a definition that spells out the relief an enterprise claims stays a grant
    relief = ("第九十五条 企业所得税法第三十条第(一)项所称研究开发费用的加计扣除，是指企业为开发新技术、新产品、"
              "新工艺发生的研究开发费用，未形成无形资产计入当期损益的，在按照规定据实扣除的基础上，按照研究开发费用的50%加计扣除")
    assert support_in(relief) is not None
    assert decide("title:中华人民共和国企业所得税法实施条例").huiqi


def test_a_reward_for_a_deed_of_merit_is_no_grant():
    # 中华人民共和国矿山安全法实施条例 第四条: rewards for those who prevent accidents or rescue
    merit = ("第四条 各级人民政府、政府有关部门或者企业事业单位对有下列情形之一的单位和个人，按照国家有关规定给予奖励："
             "(二)防止矿山事故或者抢险救护有功的；(四)在矿山安全生产方面提出合理化建议，效果显著的；"
             "(五)在改善矿山劳动条件或者预防矿山事故方面有发明创造和科研成果，效果显著的")
    assert support_in(merit) is None
    assert support_in("对检举、揭发属实和协助查处不正当竞争行为有功的，给予适当奖励并为其保密") is None
    assert not decide("title:中华人民共和国矿山安全法实施条例").huiqi
    # a reward for what an enterprise achieves for itself stays support
    found = support_in("对首次认定为高新技术企业的，给予一次性奖励20万元")
    assert found is not None and found.category == "资金"


def test_public_money_for_a_public_purpose_is_no_grant():
    # 青岛市价格条例: the 价格调节基金 steadies consumer prices and compensates capped prices
    fund = ("价格调节基金主要用于下列事项：（一）为平抑基本生活必需品价格异常波动而实施的价格补贴、贷款贴息等；"
            "（二）因政府价格管制而给予公用事业生产经营单位的政策性补贴；（三）因基本生活必需品价格上涨而给予低收入群体的"
            "临时价格补贴；（四）对粮食、蔬菜、畜禽等农副产品生产流通环节的价格补贴；（五）市、区（市）人民政府确定的其他事项")
    assert support_in(fund) is None
    assert not decide("title:青岛市价格条例").huiqi


def test_who_handles_a_matter_is_no_grant():
    # 国务院关于外商投资企业和外国企业适用增值税…有关问题的通知 二(五): which office handles refunds
    assert support_in("(五)增值税、消费税的退税事宜由国家税务局系统负责办理，各级国库要认真审核，严格把关",
                      implicit_beneficiary=True) is None
    assert support_in("退税数额的计算、退税的申请及批准程序等，由国家税务总局另行制定",
                      implicit_beneficiary=True) is None
    assert support_in("(六)营业税的退税问题，由省、自治区、直辖市人民政府规定", implicit_beneficiary=True) is None
    # … while the refund an enterprise itself obtains is a grant
    found = support_in("(三)外商投资企业生产的产品直接出口或销售给出口企业出口的，按照《中华人民共和国增值税暂行条例》"
                       "的规定，凭出口报关单和已纳税凭证，一次办理退税")
    assert found is not None and found.category == "税费"


# kinds.RULES_VERSION 10 (from the errors of fresh2 and fresh3, studied once their figures were
# taken: those splits count as seen from then on)
def test_a_tax_named_by_its_name_is_a_tax_relief():
    # 宁波市职业教育校企合作促进条例: a relief of a named tax, not of "税收" in general
    found = support_in("企业委托职业院校开发新产品、新技术、新工艺发生的研究开发费用，可以按照国家规定享受企业所得税优惠")
    assert found is not None and found.category == "税费" and found.names_enterprise
    found = support_in("对符合条件的小型微利企业，实行增值税减免")
    assert found is not None and found.category == "税费"
    # the tax itself, levied or computed, is no relief
    assert support_in("企业应当按照规定缴纳企业所得税") is None
    assert decide("title:宁波市职业教育校企合作促进条例").huiqi


def test_a_collective_economic_organisation_that_gets_something_is_a_grantee():
    # 中华人民共和国农村集体经济组织法 第六章 扶持措施: the organisation runs a business and is taxed
    found = support_in("第五十条 农村集体经济组织依法履行纳税义务，依法享受税收优惠")
    assert found is not None and found.names_enterprise
    decision = decide("title:中华人民共和国农村集体经济组织法")
    assert decision.huiqi and "扶持措施" in decision.huiqi_clues[0].text
    # … but its members are persons, and an organisation's duty is no grant to it
    member = ("符合条件的复员军官、自主就业的退役军士和义务兵回入伍时户口所在地落户，属于农村集体经济组织成员但没有"
              "承包农村土地的，可以申请承包农村土地，农村集体经济组织或者村民委员会、村民小组应当优先解决")
    found = support_in(member)
    assert found is None or not found.names_enterprise
    assert not decide("title:退役军人安置条例").huiqi


def test_an_investment_protection_law_counts_its_grants_to_investors():
    # 山东省台湾同胞投资保护条例: land for investors' projects, rewards and funding for their
    # enterprises — the protected are enterprises, so what it grants them counts as in any law
    found = support_in("对集约用地的鼓励类台湾同胞投资工业项目优先供应土地，在确定土地出让底价时，可以按照不低于"
                       "所在地土地等别相应的工业用地出让最低价标准的百分之七十执行")
    assert found is not None and found.category == "用地" and found.names_enterprise
    decision = decide("title:山东省台湾同胞投资保护条例")
    assert decision.huiqi, decision.huiqi_clues
    # one that only promises equal treatment and quotes the state's preferences stays 否
    assert not decide("title:中华人民共和国台湾同胞投资保护法").huiqi
    # … and a law protecting persons' rights still needs a support chapter
    assert not decide("title:上海市华侨权益保护条例").huiqi


def test_a_free_trade_port_law_is_a_zone_law():
    # 中华人民共和国海南自由贸易港法: like a development zone's law, its reliefs for the zone's
    # enterprises are what it is for ("对注册在海南自由贸易港符合条件的企业，实行企业所得税优惠")
    decision = decide("title:中华人民共和国海南自由贸易港法")
    assert decision.huiqi and decision.huiqi_clues[0].text == "自由贸易港", decision.huiqi_clues


def test_an_intermediary_agency_is_a_business_that_can_be_granted_something():
    # 北京市就业援助规定: 职业中介机构 receive 职业介绍补贴, employers tax relief and loan subsidies
    found = support_in("免费为就业困难人员提供职业介绍、职业指导等服务的职业中介机构，按照国家和本市有关规定享受职业介绍补贴")
    assert found is not None and found.names_enterprise
    assert decide("title:北京市就业援助规定").huiqi


def test_premiums_paid_back_to_an_employer_are_money():
    # 国务院关于做好当前和今后一个时期促进就业工作的若干意见 (一): 稳岗返还
    found = support_in("对不裁员或少裁员的参保企业，可返还其上年度实际缴纳失业保险费的50%")
    assert found is not None and found.category == "资金" and found.names_enterprise
    # what an offender must hand back is no grant
    assert support_in("骗取稳岗返还资金的，由人力资源社会保障部门责令返还") is None


def test_compensation_for_a_guarantee_agencys_payouts_is_the_agencys():
    # 江西 金融支持防控疫情 15.: the 风险补偿 goes to the agencies that paid for defaulting firms
    from policy_search.domain.kinds import claimable_support, for_an_institution
    sentence = ("15.各级财政部门对疫情防控重点保障企业及受疫情影响较大企业的融资担保代偿给予风险补偿，"
                "并提高代偿容忍度至10%")
    assert for_an_institution(sentence) and claimable_support(sentence) is None
    # a firm's own guaranteed loan with a subsidy stays claimable
    assert claimable_support("对受疫情影响较大的小微企业，给予担保费补贴50%") is not None


def test_what_workers_claim_is_not_the_enterprises_support():
    # 国发〔2018〕39号: the 技能提升补贴 is claimed by the workers, whatever 企业 the sentence names
    relaxed = ("2019年1月1日至2020年12月31日，将技术技能提升补贴申领条件由企业在职职工参加失业保险3年以上"
               "放宽至参保1年以上")
    assert support_in(relaxed) is None
    decision = decide("http://www.gov.cn/zhengce/content/2018-12/05/content_5345808.htm")
    assert decision.huiqi and not any("技能提升补贴" in clue.text for clue in decision.huiqi_clues)
