"""What a document is — its kind — and whether it gives enterprises something (惠企), each
decision with the clue that made it.

Government documents say what they are at the end of their title: the 文种 (通知, 意见, 办法,
规定, 条例, 法, 决定, 批复, 公告, 报告, 规划 …). A 通知 that 印发 / 转发 another document is that
document, so its inner title is read instead; what a plain 通知 is about (申报 / 评选 / 征集 vs
任免 vs 公布名单) tells a call for applications from an announcement. The issuer settles the rest
(最高人民法院 issues 司法解释; a 令 or a 人大常委会 决定 is a law). The body decides only what
the title leaves open: a 通知 whose sections are 申报条件 / 申报材料 / 申报时间 is a call; a
document whose provisions name who gets what ("对…企业给予…补贴", "…企业享受…优惠") gives
enterprises something. A policy document that does is a 惠企措施; a law may do so too (中小企业
促进法), a tax law whose exemptions merely define its base does not (印花税法), and neither does a
law that mentions an enterprise benefit in a few of its many articles (退役军人保障法).

Pure text knowledge: anything with title, issuer, body_text (and optionally source_kind,
attachments) can be classified; `enrich` stores the decision, staff may correct it.
"""
from __future__ import annotations

import json
import re
import unicodedata
from bisect import bisect_right
from dataclasses import asdict, dataclass, field

# The kinds users filter by, in the order the site lists them.
HUIQI_MEASURE, APPLICATION_CALL, INTERPRETATION, LAW, JUDICIAL, REPORT_PLAN, ANNOUNCEMENT, OTHER = (
    "惠企措施", "申报通知", "政策解读", "法律法规", "司法解释", "工作报告与规划", "公告公示", "其他")
DOC_KINDS = (HUIQI_MEASURE, APPLICATION_CALL, INTERPRETATION, LAW, JUDICIAL, REPORT_PLAN,
             ANNOUNCEMENT, OTHER)
# What importers and the crawler stated before kinds were derived (kept as a clue only).
LEGACY_KINDS = ("政策原文", "政策解读", "申报通知", "其他")
SOURCE_KINDS = tuple(dict.fromkeys(LEGACY_KINDS + DOC_KINDS))
DEFAULT_SOURCE_KIND = "政策原文"  # "the source said nothing": the stored default
# The 惠企 flag as filters and facets show it.
HUIQI_YES, HUIQI_NO = "是", "否"
CLASSIFIER = "kind-rules"
# The version of the rules below. Bump it when they change (v2: the category a provision
# names most tangibly, lists read by their lead, 担保 / 贴息 "力度" for named enterprises;
# v3: a law's support counted in grants per article and list item, chapters found by their
# heading, economic activities as grantees, third parties and the state's declarations left
# out, forwarded 纪要 without "的通知"; v4: "享有下列…" lists, 给以, a fund arranged for or a
# scheme widened to enterprises or projects, a grant after a long list of projects, benefits
# withheld or passed on to an enterprise's own people left out; v6–v7 see bench/kind_labels.md;
# v8: prohibitions of benefits, and a plain loan judged by its own list item; v9: what a
# law's term covers, rewards for deeds of merit, public money for a public purpose and who
# handles a matter grant nothing; v10: taxes named by name, collective economic organisations,
# investment-protection laws, land for preferred projects, free-trade ports, intermediaries,
# 稳岗返还, and what workers claim left out):
# `kinds derive` — run by every import and crawl — then re-classifies what older rules
# classified, and re-derives cards and windows, which depend on the kind.
RULES_VERSION = "10"
RULES_STAMP = f"#kinds{RULES_VERSION}"
MAX_CLUE_CHARS = 160
MAX_SUPPORT_CLUES = 3


@dataclass
class Clue:
    """One piece of evidence: where it is, the words, and what they show."""

    where: str   # 标题 / 发文机关 / 正文 / 来源标注 / 人工校正
    text: str
    rule: str

    def describe(self) -> str:
        return f"{self.where}「{self.text}」：{self.rule}" if self.text else f"{self.where}：{self.rule}"


@dataclass
class KindDecision:
    kind: str
    huiqi: bool
    kind_clues: list[Clue] = field(default_factory=list)
    huiqi_clues: list[Clue] = field(default_factory=list)


def dump_clues(clues: list[Clue]) -> str:
    return json.dumps([asdict(c) for c in clues], ensure_ascii=False)


def load_clues(raw: str | None) -> list[Clue]:
    if not raw:
        return []
    try:
        return [Clue(**item) for item in json.loads(raw)]
    except (ValueError, TypeError):
        return [Clue("备注", raw, "")]


def huiqi_label(value: bool | None) -> str:
    return HUIQI_YES if value else HUIQI_NO


# --- the title --------------------------------------------------------------------

# Status marks and 文号 some sites put before the title: "[有效]", "（已废止）", "【…】".
_LEADING_MARK = re.compile(r"^(?:\[[^\]]{1,6}\]|\((?:已|现行)?(?:有效|失效|废止|修改|修订)\)|【[^】]{1,8}】)+")
_DOCNO_WRAPPED = re.compile(r"^[^《]{0,20}[〔\[]\d{4}[〕\]]\d+号《(?P<title>.+)》$")
_TRAILING_PARENS = re.compile(r"\([^()]{0,40}\)$")
_WRAPPER = re.compile(
    r"(?P<verb>印发|转发|批转|发布|公布|颁布|下发|修订印发|重新印发)(?P<inner>.+?)的?"
    r"(?P<outer>通知|函|公告|通告|决定|令)$")
_FORWARDED = re.compile(r"(?P<verb>批转|转发)(?P<inner>.{4,}(?:纪要|报告|请示|意见|办法|规定))$")
# Genres (文种) by the word a title ends with; longer words first.
_GENRES = (
    "答记者问", "政府工作报告", "工作报告", "实施细则", "实施办法", "指导意见", "实施意见",
    "若干意见", "若干措施", "若干规定", "修正案", "答复", "复函", "批复", "请示", "报告",
    "规划", "纲要", "计划", "要点", "预算", "决算", "条例", "细则", "办法", "规定", "规则",
    "守则", "决定", "决议", "通知", "通告", "公告", "公示", "通报", "意见", "措施", "举措",
    "政策", "方案", "指南", "问答", "解读", "图解", "函", "纪要", "讲话", "名单", "目录",
    "标准", "规范", "导则",
)
_LAW_END = re.compile(r"(?<![办方做想说看写用])法$")
_INTERPRETATION = re.compile(
    r"解读|答记者问|答问|问答|图解|一图(?:读懂|看懂|了解|速览)|读懂|吹风会|新闻发布会|政策解析")
_NEWS_OF_ISSUE = re.compile(r"^[^《关]{2,30}?(?:印发|出台|发布|公布)(?:了)?《[^》]+》$")
_NEWS_VERBS = re.compile(r"召开|签署|主持召开|会见|设宴|举行|出席|指出|强调|调研|考察|开幕|闭幕|宣传活动|开展.{0,8}宣传")
_ORDER = re.compile(r"(?:人民政府|政府|国务院|部|委员会|总局|局|署|行|办公厅)令|令\s*(?:第|\(\d{4}年第)")
_ORDER_BODY = re.compile(r"令\s*(?:\(\d{4}年\)\s*)?第\s*[0-9一二三四五六七八九十百零〇]+\s*号[\s\S]{0,200}?(?:现予公布|予以公布|现予发布|予以发布|公布施行)")
_COURTS = re.compile(r"最高人民法院|最高人民检察院")
_COURT_STYLE = re.compile(
    r"^关于(?:审理|办理|适用|执行|审查|认定)[^，]{0,60}?(?:案件|法律|刑法|民法)[^，]{0,60}?(?:解释|规定|批复|答复)$"
    r"|^人民(?:法院|检察院)[^，]{0,40}(?:规则|规定|解释)")
_PEOPLES_CONGRESS = re.compile(r"人民代表大会(?:常务委员会)?")
_AMENDS = re.compile(r"关于(?:修改|废止|修订|批准|暂时调整|授权)")
_PERSONNEL = re.compile(r"任免|任职|免职|职务|同志任|组成人员|人事")
_REPLY_GENRES = ("批复", "复函", "函", "答复", "请示")
_FORWARD_VERBS = ("批转", "转发", "印发")
_ANNOUNCE_GENRES = ("公告", "通告", "公示", "通报")
_ANNOUNCE_VERBS = ("公布", "公示")
_ANNOUNCE_TITLE = re.compile(r"公告\s*(?:\d{4}年)?第\s*\d+\s*号|^关于(?:命名|表彰|表扬|授予)")
_PLAN_GENRES = ("规划", "纲要", "计划", "要点", "预算", "决算")
_LAW_GENRES = ("条例", "修正案")
_RULE_GENRES = ("规定", "若干规定", "实施细则", "细则", "实施办法", "办法", "规则", "守则")
_POLICY_GENRES = ("通知", "意见", "指导意见", "实施意见", "若干意见", "若干措施", "措施", "举措",
                  "政策", "方案", "决定", "细则", "办法", "规定", "实施细则", "实施办法", "若干规定",
                  "指南", "规则")
# A call for applications: what the 通知 asks readers to do.
_APPLY_TITLE = re.compile(
    r"(?:申报|推荐|评选|推选|遴选|征集|报名|申请)(?:[^，。]{0,12}?)(?:工作|活动|指南|事项|通知|项目|$)"
    r"|(?:申报|项目)指南|评选表彰|认定(?:工作|申报)")
_NOT_APPLY_TITLE = re.compile(
    r"纳税|税收|统计|国际收支|外汇|申报业务|申报标准|申报纳税|征求|征集[^，。]{0,20}意见|领导小组|申报世界")
_APPLY_SECTIONS = re.compile(
    r"申报(?:条件|材料|时间|程序|要求|对象|方式|范围|流程|截止)|申请(?:条件|材料|时间|程序)"
    r"|推荐(?:条件|名额|程序|材料)|评选(?:条件|标准|程序)|报名(?:方式|时间|条件)"
    r"|征集(?:范围|要求|时间|方式)")
_APPLY_REQUEST = re.compile(
    r"请[^。；]{0,40}?(?:组织|做好|择优)[^。；]{0,40}?(?:申报|推荐)"
    r"|(?:申报|推荐|申请)材料[^。；]{0,40}?(?:前|之前)[^。；]{0,10}?(?:报送|提交|报)"
    r"|于\d{4}年\d{1,2}月\d{1,2}日(?:前|之前)[^。；]{0,30}(?:申报|推荐|报名|提交申请)")
_SUPPORT_SUBJECT = re.compile(
    r"扶持|资助|补贴|补助|奖补|奖励|专项资金|资金管理|引导资金|发展资金|贴息|优惠|减免|惠企|纾困|助企|"
    r"稳就业|促进就业|支持[^，]{0,12}(?:企业|发展|创业|就业)|若干(?:措施|政策)(?!问题)|政策措施|税收政策|减税|降费|"
    r"(?:支持|扶持|优惠)(?:措施|政策|办法)")
# A law whose purpose is to promote or support an economic activity (科技成果转化促进法, 民营
# 经济发展促进条例, 扶持…企业 …): support is its point. 文明行为促进条例, 终身教育促进条例 are
# not about enterprises at all.
_ECONOMIC = (r"产业|企业|经济|科技|科学技术|创新|就业|创业|投资|技术|农业|工业|制造|服务业|贸易|商务|会展|"
             r"物流|电子商务|金融|数字|信息化|软件|成果转化|农业机械化|中医药|"
             # patents are technology put to economic use (专利促进条例), like 成果转化
             r"专利|知识产权")
_PROMOTION_LAW = re.compile(
    rf"(?:促进|扶持|振兴|鼓励)[^，。]{{0,12}}?(?:{_ECONOMIC})|(?:{_ECONOMIC})[^，。]{{0,8}}?(?:促进|扶持|振兴|发展)"
    r"|科学技术进步|高新技术|开发区|试验区|示范区|自由贸易港")
# A law whose very subject is promoting a class of enterprises (中小企业促进法, 促进个体工商户
# 发展条例, 民营经济促进条例): one provision granting them something shows what it is for.
_ENTERPRISE_CLASSES = r"中小企业|小微企业|个体工商户|民营经济|民营企业|非公有制经济"
_ENTERPRISE_PROMOTION = re.compile(
    rf"(?:促进|扶持|支持)[^，。]{{0,8}}?(?:{_ENTERPRISE_CLASSES})"
    rf"|(?:{_ENTERPRISE_CLASSES})[^，。]{{0,6}}?(?:促进|发展|扶持)")
# … or whose first article says so ("为了扶持和引导乡镇企业…发展").
_PROMOTION_PURPOSE = re.compile(
    r"^[^。]{0,40}?第一条\s*为(?:了)?(?:扶持|促进|鼓励|支持)[^。，]{0,20}?(?:企业|产业|创业|就业|科技|创新|技术)")
# Support kinds a law's provisions must grant to count (its "services" are mostly the
# administration's own duties).
_LAW_CATEGORIES = {"资金", "税费", "融资", "用地", "人才"}
# … talent support only when something tangible comes with it (not "加强人才引进").
_LAW_TALENT = re.compile(r"人才公寓|安家|住房|落户|补贴|津贴|资助|奖励")
# In a law, a grant to persons (人员, 人才, 发明人 …) unless enterprises are named, or a reward for
# a contribution (an honour), is not support for enterprises.
_LAW_PERSONS = re.compile(r"人员|人才|专家|学者|发明人|设计人|科技工作者|劳动者")
_LAW_HONOUR = re.compile(r"(?:突出|重要|重大|显著)(?:贡献|成绩)|贡献突出|成绩显著|表现突出|表扬")


def clean_title(title: str | None) -> str:
    """The title without status marks, a leading 文号, trailing notes and spacing."""
    text = unicodedata.normalize("NFKC", title or "")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    text = "".join(lines)
    text = re.sub(r"\s+", "", text)
    text = _LEADING_MARK.sub("", text)
    wrapped = _DOCNO_WRAPPED.match(text)
    if wrapped:
        text = wrapped["title"]
    for _ in range(3):
        stripped = _TRAILING_PARENS.sub("", text)
        if stripped == text or not stripped:
            break
        text = stripped
    return text


def genre_of(title: str) -> str:
    """The 文种 a (cleaned) title ends with, '' when none."""
    text = title.strip("《》〈〉\"“”")
    for genre in _GENRES:
        if text.endswith(genre):
            return genre
    if _LAW_END.search(text):
        return "法"
    return ""


@dataclass
class TitleParts:
    title: str            # cleaned
    genre: str            # of the whole title
    verb: str = ""        # 印发 / 转发 / 公布 … when the title wraps another document
    inner: str = ""       # the wrapped document's title
    inner_genre: str = ""

    @property
    def effective_genre(self) -> str:
        """The genre of what the document really is: the printed one for 印发/转发."""
        if self.verb in ("印发", "转发", "批转", "下发", "修订印发", "重新印发", "发布", "颁布") \
                and self.inner_genre and self.genre in ("通知", "函", "决定"):
            return self.inner_genre
        return self.genre


def title_parts(title: str | None) -> TitleParts:
    text = clean_title(title)
    parts = TitleParts(text, genre_of(text))
    wrapped = _WRAPPER.search(text)
    if wrapped:
        first = re.search(r"[《〈]([^》〉]+)[》〉]", wrapped["inner"])
        inner = first.group(1) if first else wrapped["inner"].strip("《》〈〉\"“”")
        parts.verb, parts.inner = wrapped["verb"], inner
        inner_clean = inner
        for _ in range(2):
            inner_clean = _TRAILING_PARENS.sub("", inner_clean.strip("《》〈〉"))
        parts.inner_genre = genre_of(inner_clean.strip("《》〈〉"))
    else:
        # "国务院批转全国煤矸石…会议纪要": a forwarded document whose title drops "的通知"
        forwarded = _FORWARDED.search(text)
        if forwarded:
            parts.verb, parts.inner = forwarded["verb"], forwarded["inner"]
            parts.inner_genre = parts.genre
    return parts


# --- support provisions (the 惠企 flag) -----------------------------------------------

# What an enterprise may get, by kind of support. "优惠政策" / "优惠待遇" alone name no kind
# of support: a provision that only says so points to benefits defined elsewhere (_VAGUE).
_BENEFITS = {
    "资金": r"补贴|补助|奖补|资助|(?<!举报)奖励(?!办法|条例)|扶持资金|专项资金|引导资金|发展资金|贴息|以奖代补|资金支持|后补助|"
            # public money a provision directs to projects it prefers ("扶持…项目的财政资金，在
            # 同等条件下优先扶持…专利项目"), not public money in general
            r"财政资金(?=[^。；]{0,30}?(?:优先|择优|重点)(?:扶持|支持|补助|资助|安排))|"
            # premiums paid back to the employer that keeps its staff (稳岗返还): cash in hand
            r"稳岗返还|返还[^，。；]{0,24}?(?:失业保险费|社会保险费|保险费)",
    "税费": r"免征|减征|减按|减半(?:征收|缴纳)|加计扣除|抵免|抵扣|退税|免收|免缴|缓缴|税收优惠|税费减免|税费优惠|"
            r"减免[^，。；]{0,8}(?:税|费)|免除担保|减收|(?:税收|税费)[^，。；]{0,4}(?:扶持|减免|优惠)|"
            # a tax named by its name: "享受企业所得税优惠", "实行增值税减免"
            r"(?:所得|增值|消费|营业|关|印花|房产|契|资源|环境保护|城镇土地使用)税(?:的)?(?:优惠|减免)",
    "融资": r"贷款|融资担保|担保(?:服务|支持|费)|授信|信贷|风险补偿|再贷款|续贷|融资(?:支持|服务|优惠)|投资基金|引导基金",
    "用地": r"优先[^，。；]{0,8}(?:安排|保障|供应)[^，。；]{0,12}(?:用地|土地)|用地(?:指标|保障)|供地|"
            r"(?:房租|租金|场租)(?:补贴|减免|优惠)|减免[^，。；]{0,4}(?:房租|租金)|免费[^，。；]{0,8}(?:场地|用房|场所)|"
            r"标准厂房|降低[^，。；]{0,6}用地成本|弹性年期|先租后让",
    "人才": r"人才公寓|安家|落户|引进人才|人才引进",
    "服务": r"免费|帮办|代办|绿色通道|应急审批|快速审批|简化[^，。；]{0,10}(?:程序|手续|审批|环评|内容)|"
            r"咨询服务|一站式|创业培训|培训补贴|孵化",
    "资质": r"认定为|授予[^，。；]{0,10}称号|示范企业|优先(?:推荐|支持)",
}
_BENEFIT = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in (
    ("money", _BENEFITS["资金"]), ("tax", _BENEFITS["税费"]), ("finance", _BENEFITS["融资"]),
    ("land", _BENEFITS["用地"]), ("talent", _BENEFITS["人才"]), ("service", _BENEFITS["服务"]),
    ("qualification", _BENEFITS["资质"]))))
# Literal words one of which every benefit above contains: a literal alternation is scanned
# fast, so sentences are found by these first and the patterns run only on them.
_BENEFIT_HINT = re.compile("|".join((
    "补贴 补助 奖补 资助 奖励 扶持资金 专项资金 引导资金 发展资金 贴息 以奖代补 资金支持 后补助 财政资金 返还 "
    "免征 减征 减按 减半 加计扣除 抵免 抵扣 退税 免收 免缴 缓缴 税收优惠 税费 税收 减免 优惠 减收 免除 "
    "贷款 担保 授信 信贷 风险补偿 续贷 融资 基金 优先 用地 供地 房租 租金 场租 免费 厂房 弹性年期 "
    "先租后让 人才 安家 落户 帮办 代办 绿色通道 审批 简化 咨询服务 一站式 培训 孵化 认定为 称号 "
    "示范企业").split()))
_CATEGORY = {"money": "资金", "tax": "税费", "finance": "融资", "land": "用地", "talent": "人才",
             "service": "服务", "qualification": "资质"}
# Who gets it: enterprises and the like (not "单位和个人" in general) — also named by what
# they do ("从事农业机械维修经营活动的", "从事电子信息产品制造、软件开发的单位").
_ACTIVITY = (r"从事[^，。；：:]{1,40}?(?:生产|经营|开发|制造|销售|服务|作业|维修|加工|研发|养殖|种植|"
             r"利用|治理|改造|建设|贸易|运输)(?:活动|业务)?的(?:单位|企业|组织|经营者)?"
             r"|从事[^，。；：:]{1,40}?的(?:单位|企业|组织|经营者)")
_ORGANISATION = (r"(?:生产经营|农业生产经营|经营|作业服务|农业机械服务|中介服务)组织|集体经济组织(?!成员)(?=[^。；]{0,30}?(?:享受|可以申请|可申请|获得))|项目单位|建设单位|"
                 r"举办单位|节能服务机构|中介机构|"
                 # establishments named by what they are: 地方煤矿, 油田, 电厂, 农场, 商店 …
                 r"(?:煤矿|矿山|油田|气田|电厂|工厂|厂矿|农场|林场|牧场|渔场|养殖场|养殖小区|加工厂|商店|门店|经营网点|供应点|服务网点)"
                 r"(?!城镇|城市|所在地|地区|区域|职工)")
_BENEFICIARY = re.compile(
    r"企业|公司|个体工商户|个体经营|合作社|家庭农场|经营者|经营主体|市场主体|用人单位|创业|"
    r"投资者|项目|孵化器|众创空间|小微|中小|民营|私营|新兴技术|出口产品|先进技术|生产者|"
    r"经营组织|从事[^，。；]{1,20}的(?:单位|收入|所得)|" + _ACTIVITY + "|" + _ORGANISATION)
# Money that goes to the projects preferred or selected: a grant to them.
_PREFERRED_PROJECT = r"(?:优先|择优|重点)(?:扶持|补助|资助)[^。；]{0,60}?项目"
# A grant in so many words (the enterprise receives, may apply, is exempted …).
_GRANT = re.compile(
    r"给予|给以|享受|享有[^，。；]{0,6}?(?:下列|以下|优惠|补贴|补助|减免|扶持|税收)|"
    r"予以[^，。；]{0,8}?(?:补贴|补助|奖励|资助|支持|减免|贴息|倾斜|优先)|可以申请|可申请|"
    r"可以?(?:分别)?向[^。；]{0,40}?申请|安排[^，。；]{0,8}(?:补贴|补助)|实施[^，。；]{0,8}(?:优惠|减免)|"
    r"申请[^，。；]{0,10}(?:贷款|补贴|补助|减免)|申领|优先(?:安排|保障|给予|供应|支持|贷款)|"
    r"提供[^，。；]{0,16}(?:担保|贷款|补贴|资金|服务|场地|培训|咨询|便利|信贷|支持|扶持)|"
    r"退还|返还|发放|实行[^，。；]{0,8}(?:优惠|减免)|(?:落实|贯彻)[^，。；]{0,30}(?:优惠|补贴|减免|贴息|扣除)|"
    r"按规定[^，。；]{0,10}(?:补贴|补助|奖励)|降低[^，。；]{0,10}(?:费率|利率|收费|成本)|"
    r"(?:奖励|补贴|补助|资助|奖补|贴息)[^，。；]{0,8}(?:\d|[一二三四五六七八九十百千两]+)[^，。；]{0,4}(?:万元|元|%|％)|"
    r"最高[^，。；]{0,10}(?:万元|元)|"
    r"(?:通过|采取)[^，。；]{0,16}(?:补助|补贴|奖励|贴息|资助)等?(?:方式|措施|手段)|"
    r"通过[^，。；]{0,6}(?:补贴|补助|贴息|资助)支持|优先予以(?:安排|支持|扶持)|用于[^，。；]{0,30}(?:贴息|补贴|补助|奖励|资助)|"
    r"提供[^，。；]{0,20}(?:场所|用地|厂房|用房)|提高对[^，。；]{0,12}的(?:贷款|信贷)|增加[^，。；]{0,12}信贷投入|"
    r"扶持[^，。；]{0,10}(?:企业|项目|合作社)|向[^，。；]{0,20}(?:供应|出让|出租)|为[^，。；]{0,30}提供|"
    r"可以获得|获得[^，。；]{0,6}(?:补贴|补助|资助|奖励|贷款|贴息)|实行[^，。；]{0,8}(?:补贴|补助|奖励)|"
    r"提高[^，。；]{0,20}(?:补贴|补助|奖励|奖补)标准|"
    # "安排资金用于民营企业保证保险…的风险补偿", "将合同能源管理项目纳入专项资金支持范围"
    r"安排[^，。；]{0,12}(?:资金|基金)[^，。；]{0,12}?用于|"
    r"纳入[^，。；]{0,20}(?:资金|基金|补贴|补助|奖励|优惠)[^，。；]{0,10}(?:支持|扶持|补助|补贴|奖励|资助|适用)?范围|"
    # "加大对…初创企业信用担保力度": who gets what is named, unlike "加大扶持力度" or a bank's
    # "加大…信贷支持力度"
    r"加大对[^，。；]{1,24}(?:企业|项目)[^，。；]{0,8}(?:担保|贴息|补贴|补助)[^，。；]{0,4}力度|"
    # money given to the projects chosen ("国家补助资金只能择优补助，用在…可以完工投产的项目",
    # "优先扶持在本市实施转化的自主专利项目")
    + _PREFERRED_PROJECT)
# Benefits that are grants by themselves (an exemption, a simplification).
_SELF_GRANT = re.compile(
    r"免征|减征|减按|减半征收|免收|免缴|缓缴|抵免|退税|加计扣除|贴息|简化|免费|帮办|代办|绿色通道")
# Enterprises named as such: what service-type support and a law's support must name.
_ENTERPRISE = re.compile(
    r"企业|公司|个体工商户|个体经营|合作社|家庭农场|经营者|经营主体|市场主体|用人单位|创业者|自主创业|创业人员|创业项目|创业担保|"
    r"投资者|孵化器|众创空间|小微|中小|民营|私营|生产经营组织|经营组织|生产者|经营单位|" + _ACTIVITY + "|"
    + _ORGANISATION)
# A project or an activity as the one who gets money, a tax relief, a loan or land ("对列入…目录的
# 项目给予税收优惠", "…节能改造项目，享受税收优惠") — an enterprise's, unless persons or public
# bodies are named instead (_PUBLIC).
_PROJECT = re.compile(
    r"(?:对|为|向)[^。；]{0,40}?(?:项目|产业活动|开发利用活动)[^。；]{0,24}?(?:给予|提供|予以|实行|优先(?:供应|安排|保障))"
    # "对从事清洁生产研究…，实施…技术改造项目和…协议中载明的技术改造项目，由县级以上人民政府
    # 给予资金支持": a long list of projects, the grant after it
    r"|对[^。；]{0,90}?项目，(?:由|经)?[^，。；]{0,16}?给予"
    r"|将[^。；]{0,30}?项目纳入[^，。；]{0,20}(?:资金|基金|补贴|补助|奖励)"
    r"|(?:项目|产业活动)[^。；]{0,16}?(?:享受|可以申请|可申请|申请[^。；]{0,10}(?:补助|补贴|资金))"
    r"|(?:奖励|补贴|补助|资助|扶持|贴息)[^。；，]{0,30}?项目|" + _PREFERRED_PROJECT)
# "…单位，给予资金奖励", "对…的单位和个人，可以予以资金支持", "单位和个人投资进行防沙治沙的，
# 在投资阶段免征各种税收": a unit that does something gets something (an enterprise, unless a
# public body is named). And "…的，可以申请…补助": whoever does it.
_UNIT_GRANTEE = re.compile(
    r"(?:对|向|给予)[^。；]{0,40}?单位[^。；]{0,48}?(?:给予|提供|予以|可以予以|资金|补助|补贴|贴息|减免|优惠)"
    r"|单位[^。；]{0,30}?的，[^。；]{0,30}?(?:免征|减征|减半征收|享受|可以申请|可申请|给予)")
_DOER = re.compile(
    r"，[^。；]{0,24}?可以?(?:按照[^，。；]{0,12})?(?:向[^。；]{0,40}?)?申请[^。；]{0,30}?"
    r"(?:补助|补贴|资金|贴息|贷款|资助|奖励|减免)"
    r"|(?:的|者)，[^。；]{0,24}?(?:享受|免征|减征|减半征收|给予[^，。；]{0,10}(?:补贴|补助|奖励|资助|贴息|优惠|扶持))")
# An economic activity, product or transaction as the one who gets money or a tax relief (a law
# names them rather than enterprises: "单位和个人从事专利技术转让…业务，依法享受税收优惠", "其技术
# 交易的收入享受…税收优惠", "对列入推广目录的节能技术、节能产品，实行税收优惠", "采取贷款贴息
# 等方式支持专利运用"). Counted for laws only: a policy document names its applicants.
_ECONOMIC_ACTIVITY = re.compile(
    r"从事[^，。；：]{0,30}?(?:生产|经营|开发|制造|销售|研发|转让|贸易|运输|加工|咨询|技术)[^，。；：]{0,10}?(?:业务|活动)"
    r"|(?:科研开发|研究开发|开发|生产|经营|研发|制造|转化)(?:和|、)?(?:生产)?活动|(?:交易|合同)[^。；]{0,20}?当事人|(?:交易|转让|经营|销售)[^，。；]{0,4}(?:收入|所得)"
    r"|列入[^，。；]{1,30}?目录的[^，。；]{0,24}?(?:技术|产品|项目|设备)"
    r"|(?:技术|产品|设备|专利|成果)[^，。；]{0,8}?(?:的)?(?:推广|运用|实施|应用|转化|产业化|使用)"
    r"|(?:技术改造|技术研究开发|研究开发|节能改造|综合利用)[^，。；]{0,6}项目")
_NOT_A_GRANTEE = re.compile(r"收费项目|研究项目|科研项目|资助项目申请|基础研究|建设项目环境|政府投资项目")
# Who is not an enterprise: persons, schools, charities, public bodies, regions.
_PUBLIC = re.compile(
    r"老年人|残疾人|学生|儿童|未成年人|幼儿园|学前教育机构|学校|高等院校|高等学校|志愿者|志愿服务|慈善组织|捐赠人|"
    r"献血|移民|受灾群众|困难群体|困难人员|困难家庭|军人|烈士|教师|医师|村民|居民|公民|家庭|农户|"
    r"事业单位|公益性|养老机构|养老服务组织|社会组织|民族自治地方|民族乡|聚居|贫困地区|地方人民政府|灾区|"
    r"申请人和依托单位")
# Not a benefit: sanctions, misuse, duties, honours, levies.
_NOT_BENEFIT = re.compile(
    r"骗取|冒领|挪用|截留|套取|追回|追缴|收回|取消[^，。；]{0,10}(?:资格|待遇|补贴)|"
    # a prohibition ("不得含有下列…内容：（一）给予特定经营者税收优惠", "不得对本单位职工…给予
    # 补贴"), not a rule against claiming twice ("同一项目不得重复享受")
    r"不得(?:(?!重复|同时|叠加|兼得)[^，。；]){0,30}?(?:享受|给予|申请|含有|包含|出台|制定)|"
    # a benefit withheld ("限制被列入严重失信名单的企业享受财政资金补助"), or one an enterprise
    # gives its own people ("高新技术企业…给予个人的股权奖励")
    r"限制[^，。；]{0,24}?享受|给予(?:个人|职工|员工|科技人员|技术人员)的|"
    r"罚款|罚金|处分|违法|处以|责令|没收|不予|追究|举报|见义勇为|反补贴|补贴调查|倾销|警告|"
    r"(?:作出|做出)[^，。；]{0,10}(?:成绩|贡献)|表彰|征收[^，。；]{0,10}(?:费|金)|应当缴纳|收取|"
    r"补贴金额|接受[^，。；]{0,6}补贴|出口国|进口产品|补缴|无力缴纳|滞纳金|捐赠|"
    r"(?:小额贷款公司|融资担保公司|私募|投资管理机构|地方金融组织)[^，。；]{0,12}应当(?![^。；]{0,30}给予支持)|"
    r"工资|奖金|福利待遇|伙食补助|生活补助|差旅费|抚恤|优待金|医疗补助金|独生子女|计划生育|不得向|费征收|征缴|利息(?:所得|收入|支出)|(?:较好|明显|突出|显著)的(?:省|市|县|地方|地区)|的(?:省（区、市）|市（地、州、盟）|县（市、区、旗）)|"
    r"(?:对|向)(?:(?!企业|公司|单位|创业)[^，。；]){0,12}(?:厂长|经理|负责人|人员|个人|职工|举报人)[^，。；]{0,10}给予|"
    # an agency's duties and a law's definitions grant nothing
    r"下列职责|履行[^，。；]{0,6}职责|用语的含义|"
    # … nor does a provision whose subject is a benefit as a matter to handle or settle, saying
    # who does ("(五)…退税事宜由国家税务局系统负责办理", "退税数额的计算、退税的申请及批准程序等，
    # 由国家税务总局另行制定", "(六)营业税的退税问题，由省、自治区、直辖市人民政府规定")
    r"^[^，。；]*(?:事宜|事项|手续|问题|程序|计算)等?[，,]?由[^，。；]{1,24}?"
    r"(?:负责|办理|审核|另行制定|另行规定|规定|制定)|本[^，。；]{0,6}所称|汇算清缴|纳税申报表|为应纳税额|应缴应退|"
    r"计算公式|不得(?:减征|免征|减免)|"
    # what a law's term covers ("审计法第二十四条所称国际组织和外国政府援助、贷款项目，包括：…"):
    # the scope of a supervision or a rule, not a grant — unlike "…所称研究开发费用的加计扣除，
    # 是指企业…", which spells out the relief an enterprise claims
    r"所称[^。；]{0,40}?[，,]?包括|"
    # an honour for a contribution or a deed of merit ("抢险救护有功的", "提出合理化建议，效果
    # 显著的"), a policy still to be made
    r"(?:突出|重要|重大)贡献|贡献突出|(?:成绩|效果)显著|显著成绩|有功|合理化建议|"
    # public money spent for a public purpose — steadying consumer prices (价格调节基金 "为平抑
    # …价格异常波动而实施的价格补贴"), compensating a price the government caps — grants no
    # enterprise anything it can seek
    r"平抑|价格(?:异常)?波动|价格管制|价格上涨|价格补贴|"
    r"探索建立|研究制定|(?:配合|抓紧|加快)[^，。；]{0,10}制定|制定[^，。；]{0,20}(?:优惠|补贴|扶持)政策")
# A loan is support only on better terms than a bank's (贴息, 担保, 优惠, 政策性 …): "非公有制企业
# 可以向银行申请贷款" states a right, "…公司可以向中国人民银行申请再贷款" an operation.
_PLAIN_LOAN = re.compile(r"^(?:贷款|再贷款|授信|信贷)$")
_CONCESSION = re.compile(r"贴息|担保|优惠|低息|低利率|无息|免息|财政|政策性|风险补偿|优先|倾斜|扶持|加大|增加|"
                         r"支持|小额|创业|降低|提高|便利|信用贷款|中长期")
# A grant workers claim for themselves — a worker's 技能提升补贴, a graduate's 求职创业补贴 —
# whatever enterprise the sentence names on the way ("…申领条件由企业在职职工参加失业保险3年以上
# 放宽至…"): no support for the enterprise.
WORKERS_CLAIM = re.compile(
    r"技能提升补贴|求职创业补贴|(?:申领|领取)(?:条件|对象)[^，。；]{0,4}?(?:由|为)?[^，。；]{0,4}?(?:在职)?职工"
    r"|(?:在职职工|职工个人|劳动者个人)[^，。；]{0,12}(?:申领|领取)")
# Support in name only: "享受相应的优惠政策", "给予政策支持", "制定优惠政策" — benefits defined
# elsewhere, or a government's intention, not something granted here.
_VAGUE = re.compile(r"优惠政策|优惠待遇|优惠措施|政策支持|扶持政策|政策扶持|支持政策|优惠条件")
# A provision is a sentence; a list belongs to the sentence that leads into it
# ("对下列企业…给予税收优惠：（一）…；（二）…").
_SENTENCE = re.compile(r"[^。；;！!？?\n]+")
_LIST_LEAD = re.compile(r"[：:]\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[（(][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+、|\d+[.．、])")
MAX_PROVISION_CHARS = 400
MAX_LIST_CHARS = 900
# A chapter or section of a law and its heading; a heading about support or promotion (扶持措施,
# 激励措施, 鼓励措施, 优惠待遇, 专利促进, 促进与保障 …) — not about health, civility or credit.
_HEADING = re.compile(r"(?:^|\n)[ \t　]*(?:#+[ \t]*)?(?:第[一二三四五六七八九十]+章|[一二三四五六七八九十]+、)"
                      r"[ \t　]*(?P<name>[^\n。；]{0,20})")
_SUPPORT_HEADING = re.compile(r"扶持|优惠|激励|鼓励|促进|资金支持|财税支持|财政支持|政策支持|创新支持")
# … and one named for nothing but support (扶持措施, 优惠待遇, 激励措施, 财税支持)
_DEVOTED_HEADING = re.compile(r"^(?!.*(?:就业|创业|人员|人才|移民|养老|教育|学校|慈善|捐赠|后期))"
                              r".*(?:扶持|优惠|激励措施|资金支持|财税支持|财政支持)")
_NOT_SUPPORT_HEADING = re.compile(r"健康|文明|精神|心理|志愿|信用|守信|失信|阅读|倡导|献血|慈善|公益|宣传|"
                                  r"减量|全民|社会促进")
# A law's provision that only encourages or obliges a third party — banks, insurers, investors,
# "社会力量", enterprises as givers — to provide something: the state's intention, not a grant
# ("鼓励金融机构为中小企业提供贷款", "金融机构应当…提供信贷支持", "鼓励企业…对科技创新给予奖励").
_THIRD_PARTY = re.compile(
    r"(?:鼓励|引导|倡导|动员|督促|推动|支持)(?:和|、)?(?:支持|引导|鼓励|扶持|规范)?[^，。；]{0,12}?"
    r"(?:金融机构|银行|保险机构|保险公司|担保机构|金融组织|小额贷款公司|社会资本|社会资金|社会力量|投资机构)"
    r"|(?:鼓励|引导|倡导|动员)(?:和|、)?(?:支持|引导|鼓励|扶持)?[^，。；]{0,20}?(?:企业|孵化器|众创空间|载体|"
    r"行业协会|商会|单位和个人|个人)[^，。；]{0,30}?(?:为|对|向)[^，。；]{0,30}?(?:提供|给予|投入)"
    r"|(?:金融机构|银行|保险机构|信用合作社|担保机构)[^，。；]{0,20}应当"
    # the state declaring a policy of its own ("国家对…实行税收优惠等扶持政策", "国家通过财政补贴
    # 支持…推广", "国家依照有关税收法律…实行税收优惠"): what an enterprise gets is set elsewhere
    r"|^(?:第[一二三四五六七八九十百零〇]+条\s*)?国家(?:依照|按照|根据|对|通过|运用|采取)[^。；]{0,60}?"
    r"(?:(?:实行|给予|采取)[^。；]{0,10}?政策|支持[^。；]{0,30}?(?:推广|发展|使用))"
    # … or a government's duty to carry out reliefs set elsewhere ("应当落实国家…税收优惠政策")
    r"|(?:应当|要|负责)(?:及时|全面)?(?:落实|执行|兑现)[^。；]{0,40}?(?:优惠|补贴|减免|扶持)")
# A law that protects rights or sets duties of good administration (权益保护条例, 优化营商环境
# 条例 …): the support it mentions is incidental unless a chapter is devoted to it.
_PROTECTIVE_LAW = re.compile(r"权益|保护(?:条例|规定|法|办法)|保障(?:条例|规定|法|办法)|营商环境|监督管理")
_INVESTOR_PROTECTION = re.compile(r"投资(?:权益)?(?:保护|保障)")
_TAX_LAW = re.compile(r"税(?:法|暂行条例|条例)(?:实施条例|实施细则)?$")
_TAX_RELIEF_HEADING = re.compile(r"税收优惠")
_CHAPTER = re.compile(r"(?:^|\n)\s*(?:#+\s*)?第[一二三四五六七八九十]+章")
_ARTICLE = re.compile(r"(?:^|[\n。；])\s*第[一二三四五六七八九十百零〇]+条")
LAW_MIN_SUPPORT = 3          # a law needs several support articles …
LAW_MIN_SHARE = 0.06         # … and they must be a share of the law, not a passing mention …
CHAPTER_MIN_SUPPORT = 2      # … or stand in a chapter devoted to support
PROMOTION_MIN_SUPPORT = 2    # an economic promotion law (促进法, 扶持条例 …) is about support: fewer do
PROMOTION_MIN_SHARE = 0.02
POLICY_MIN_SUPPORT = 2
TITLE_ONLY_CHARS = 200       # less text than this: a record without its body


@dataclass
class SupportSentence:
    text: str
    category: str
    names_enterprise: bool = True
    start: int = -1           # where the provision starts in the text (-1: not known)
    implicit: bool = False    # the grantee is only "whoever does it" ("…的，可以申请补助")
    activity: bool = False    # the grantee is an economic activity or product (laws only)


def provisions(text: str):
    """(start, text) of each provision: a sentence, with the list it leads into."""
    unit: list | None = None      # [start, text]
    for piece in _SENTENCE.finditer(text):
        sentence = piece.group(0)
        if not sentence.strip():
            continue
        if unit is not None and len(unit[1]) < MAX_LIST_CHARS and (
                _LIST_LEAD.search(unit[1])
                or (_LIST_ITEM.match(sentence) and re.search(r"[：:]", unit[1]))):
            unit[1] += ("" if _LIST_LEAD.search(unit[1]) else "；") + sentence.strip()
            continue
        if unit is not None:
            yield unit[0], unit[1]
        unit = [piece.start(), sentence.strip()]
    if unit is not None:
        yield unit[0], unit[1]


def support_sentences(text: str, limit_chars: int = 200_000, *,
                      implicit_beneficiary: bool = False) -> list[SupportSentence]:
    """Provisions in which an enterprise is granted something (one per provision, in order).

    implicit_beneficiary: the document is a support scheme (its title says 奖补办法, 扶持
    措施 …), so "对年度研发投入超过500万元的，给予补助" grants its readers something even
    without naming them.
    """
    found: list[SupportSentence] = []
    text = text[:limit_chars]
    for start, sentence in provisions(text):
        if len(sentence) > MAX_LIST_CHARS or not _BENEFIT_HINT.search(sentence):
            continue
        if len(sentence) > MAX_PROVISION_CHARS and "；" not in sentence:
            continue
        support = support_in(sentence, implicit_beneficiary=implicit_beneficiary)
        if support is not None:
            support.start = start
            found.append(support)
    return found

# A grant an enterprise can claim, in so many words — what serves a need (policy_search.domain.matching):
# "给予…补贴", "可申请…贷款", "免征", an amount …; not "鼓励和扶持…发展".
_DIRECT_GRANT = re.compile(
    r"给予|享受|可申请|可以申请|申领|返还|优先(?:安排|保障|给予|供应|贷款)|予以(?:补贴|补助|奖励|资助|贴息|减免)|"
    r"提供[^，。；]{0,16}(?:担保|贷款|补贴|资金|场地|资助|用房)|免征|减按|减征|减半|免收|免缴|缓缴|抵免|"
    r"退税|加计扣除|贴息|(?:奖励|补贴|补助|资助|奖补)[^，。；]{0,8}(?:\d|[一二三四五六七八九十百千两]+)[^，。；]{0,4}(?:万元|元|%|％)")
# Support that reaches an enterprise only through an institution, or tax mechanics.
_INSTITUTIONS = r"金融机构|银行|管理机构|运营机构|担保机构|服务机构|保险机构|运营管理"
_INDIRECT = re.compile(
    rf"(?:奖励|补贴|补助|资助|奖补|支持)[^，。；]{{0,16}}(?:{_INSTITUTIONS}|地方|各地|省（区、市）)"
    r"|利息(?:所得|收入|支出)|(?:所得|收入)[^，。；]{0,6}(?:免征|减征)[^，。；]{0,4}所得税"
    # a subsidy for an institution's business, whose next clause says whom it strengthens
    # ("…的担保业务给予适当担保费补贴，提升融资担保机构可持续经营能力")
    r"|(?:担保|再担保|贷款|信贷|保险)业务[^，。；]{0,4}(?:给予|予以)"
    # a guarantee agency's payment for a defaulting borrower (代偿) compensated to the agency
    r"|代偿[^，。；]{0,4}(?:给予|予以)"
    rf"|(?:补贴|补助|奖励|奖补|资助|补偿)[^。；]{{0,6}}[，,][^，。；]{{0,4}}(?:提升|增强|提高|补充|调动|激发)"
    rf"[^，。；]{{0,6}}(?:{_INSTITUTIONS})[^，。；]{{0,12}}(?:能力|资本|实力|积极性)")


# Enterprises by name (not founders or groups of people: 残疾人自主创业 is for persons).
_COMPANY = re.compile(
    r"企业|公司|个体工商户|合作社|家庭农场|经营者|经营主体|市场主体|用人单位|孵化器|众创空间|生产经营组织")


def claimable_support(sentence: str) -> SupportSentence | None:
    """Support an enterprise can claim from one sentence: a support provision naming
    enterprises, granted in so many words, not through an institution (None otherwise)."""
    support = support_in(sentence)
    if support is None or not _COMPANY.search(sentence.replace("企业所得税", "")):
        return None  # (企业所得税 is a tax, not an enterprise)
    if not _DIRECT_GRANT.search(sentence) or _INDIRECT.search(sentence):
        return None
    return support


def claimable_scheme_support(sentence: str) -> SupportSentence | None:
    """Support a measure or call grants its applicants in one provision, naming them or not
    ("对…的，给予补助"): granted in so many words, not through an institution (None otherwise)."""
    support = support_in(sentence, implicit_beneficiary=True)
    if support is None or not _DIRECT_GRANT.search(sentence) or _INDIRECT.search(sentence):
        return None
    return support


def for_an_institution(sentence: str) -> bool:
    """Is the support of the sentence an institution's (a subsidy for a guarantee agency's
    business, money for banks or regions) that reaches enterprises only through it?"""
    return bool(_INDIRECT.search(sentence))


def through_third_party(text: str) -> bool:
    """Does the provision only encourage or oblige a third party (a bank, an investor, an
    enterprise as giver) to provide the support, or declare a policy set elsewhere?"""
    return bool(_THIRD_PARTY.search(text))


def claimable_grants(text: str, *, scheme: bool = False) -> list[str]:
    """The grants of a text an enterprise can claim, each a provision or — for a list — its
    lead with one item ("企业的下列所得，可以免征…：从事农、林、牧、渔业项目的所得"): what the
    政策计算器 checks against an enterprise, grant by grant. scheme: a measure or call, whose
    provisions speak to its applicants without naming them ("对…的，给予补助")."""
    claim = claimable_scheme_support if scheme else claimable_support
    grants = []
    for support in support_sentences(text, implicit_beneficiary=scheme):
        lead, colon, items = support.text.replace(":", "：").partition("：")
        units = [lead + colon + item for item in items.split("；") if item.strip()] \
            if colon and "；" in items else [support.text]
        grants += [unit for unit in units if claim(unit) is not None]
    return grants


# What makes a support provision something to act on: a rate, an amount, where to apply …
_CONCRETE = re.compile(
    r"\d+(?:\.\d+)?\s*(?:%|％|万元|亿元|元|倍|个百分点)|百分之[一二三四五六七八九十]+|减半|"
    r"可以申请|可申请|可以向[^，。；]{1,20}申请|向[^，。；]{1,20}(?:申请|申报)|申领")
# … or a named instrument the enterprise itself claims ("符合条件的企业可以按照国家规定，享受研究
# 开发费用税前加计扣除"), not one the state declares ("国家实行…减征、免征…等措施").
_INSTRUMENT = re.compile(r"加计扣除|加速折旧|税前扣除|税前列支|减按|免征|减征|抵免|退税|贴息|担保贷款|"
                         r"先租后让|弹性年期|风险补偿|税收减免|税费减免|社会保险补贴|社保补贴|岗位补贴|"
                         r"房租补贴|租金补贴|培训补贴|创业补贴|购置补贴|作业补贴|开业贷款")
# The enterprise is the sentence's subject ("企业在新增加的就业岗位中…，按照有关规定享受…") and
# claims it.
_CLAIMANT = re.compile(r"^(?:第[一二三四五六七八九十百零〇]+条\s*)?[^，。；]{0,24}?"
                       r"(?:企业|公司|个体工商户|合作社|经营者|用人单位|孵化器|众创空间|投资者|经营组织)")
_CLAIM = re.compile(r"享受|可以申请|可申请|减按")
_DECLARED = re.compile(r"^(?:第[一二三四五六七八九十百零〇]+条\s*)?(?:国家|国务院|各级人民政府|县级以上|省|市|本市|本省|"
                       r"地方各级)")


def concrete_claim(sentence: str) -> bool:
    """Does the provision state support an enterprise can claim from it — a rate, an amount,
    where to apply, or an instrument it claims itself — rather than only that the state
    "实行…优惠" or "设立…资金"?"""
    if claimable_support(sentence) is None:
        return False
    if _CONCRETE.search(sentence):
        return True
    return bool(_INSTRUMENT.search(sentence) and _CLAIMANT.search(sentence) and _CLAIM.search(sentence)
                and not _DECLARED.search(sentence))


# Which support a provision is about when it names several: the most tangible one, not the
# first ("落实…对…孵化器…的税费优惠" is tax relief, though 孵化 comes first).
_CATEGORY_ORDER = tuple(_CATEGORY)


def _category_of(sentence: str) -> str | None:
    """The support category of a provision, or None when it names no benefit (a plain loan
    on a bank's terms is none)."""
    found = set()
    for match in _BENEFIT.finditer(sentence):
        if match.lastgroup == "finance" and _PLAIN_LOAN.match(match.group(0)) \
                and not _CONCESSION.search(_item_at(sentence, match.start())):
            continue
        found.add(match.lastgroup)
    for name in _CATEGORY_ORDER:
        if name in found:
            return _CATEGORY[name]
    return None


def _item_at(sentence: str, position: int) -> str:
    """The list item holding `position` (a list's items are separate grants: "享有下列权利：
    …（五）依照国家信贷政策的规定向有关专业银行申请贷款；（六）…优惠…" offers no better loan
    because another item names a benefit), or the sentence when it is no list."""
    lead, colon, _ = sentence.partition("：")
    if not colon or position < len(lead):
        return sentence
    start = max(sentence.rfind("；", 0, position), len(lead)) + 1
    end = sentence.find("；", position)
    return sentence[start:] if end < 0 else sentence[start:end]


def _grantee_part(sentence: str) -> str:
    """Where a provision says who gets the support: the lead of a list when the lead names
    them ("对下列科技成果转化项目…予以支持：（一）…（五）…贫困地区…" is for projects, whatever
    the items mention), else the whole provision."""
    lead, colon, _ = sentence.partition("：")
    if colon and (_PROJECT.search(lead) or _BENEFICIARY.search(lead)):
        return lead
    return sentence


_SUPPORT_LEAD = re.compile(r"扶持|支持|优惠|激励|奖励|资助|补贴|补助|减免|给予|享受|享有|资金|贴息|扣除|免征|减征")


def _without_excluded_items(sentence: str) -> str:
    """A list provision without the items that are no benefit ("专项资金用于：（一）专利申请
    资助；…（九）专利工作表彰、奖励" grants the first items, whatever the last one says)."""
    lead, colon, items = sentence.partition("：")
    if not colon or "；" not in items or _NOT_BENEFIT.search(lead):
        return sentence
    kept = [item for item in items.split("；") if not _NOT_BENEFIT.search(item)]
    return lead + colon + "；".join(kept) if kept else sentence


def support_in(sentence: str, *, implicit_beneficiary: bool = False) -> SupportSentence | None:
    """The support one provision grants enterprises, or None (a mention, a duty, a sanction,
    a benefit for persons or public bodies, or support in name only)."""
    sentence = _without_excluded_items(sentence)
    lead, colon, items = sentence.partition("：")
    if colon and "；" in items and not _SUPPORT_LEAD.search(lead):
        # a list whose lead announces no support ("按照下列规定开展监督评估：…", "依法追究
        # 刑事责任：…"): its items are provisions of their own, unless the lead excludes them
        if _NOT_BENEFIT.search(lead):
            return None
        for item in items.split("；"):
            found = _support_of(item, implicit_beneficiary)
            if found is not None:
                return SupportSentence(sentence, found.category, found.names_enterprise,
                                       implicit=found.implicit, activity=found.activity)
        return None
    return _support_of(sentence, implicit_beneficiary)


def _support_of(sentence: str, implicit_beneficiary: bool) -> SupportSentence | None:
    category = _category_of(sentence)
    if category is None:
        return None
    if not (_GRANT.search(sentence) or _SELF_GRANT.search(sentence)):
        return None
    enterprise = bool(_ENTERPRISE.search(sentence))
    economic = category in ("资金", "税费", "融资", "用地") and not _NOT_A_GRANTEE.search(sentence)
    activity = False
    if not enterprise:
        if _PUBLIC.search(_grantee_part(sentence)):
            return None  # for persons, schools, charities or regions
        if not implicit_beneficiary and not (_BENEFICIARY.search(sentence) or _UNIT_GRANTEE.search(sentence)
                                             or _DOER.search(sentence)):
            activity = economic and bool(_ECONOMIC_ACTIVITY.search(sentence))
            if not activity:
                return None
    if category in ("服务", "资质") and not enterprise:
        return None  # a simplification for "projects" is the administration's own business
    if _NOT_BENEFIT.search(sentence) or WORKERS_CLAIM.search(sentence):
        return None
    project = not enterprise and economic and bool(_PROJECT.search(sentence) or re.search(_ACTIVITY, sentence))
    implicit = not enterprise and not project and not activity and economic and bool(
        _UNIT_GRANTEE.search(sentence) or _DOER.search(sentence))
    return SupportSentence(sentence, category, enterprise or project, implicit=implicit,
                           activity=activity and not project)


def _clip(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= MAX_CLUE_CHARS else text[:MAX_CLUE_CHARS - 1] + "…"


def _support_clues(sentences: list[SupportSentence]) -> list[Clue]:
    """A few telling sentences: support an enterprise can claim in so many words first, then
    different kinds of support."""
    sentences = sorted(sentences, key=lambda s: not concrete_claim(s.text))
    picked: list[SupportSentence] = []
    for sentence in sentences:
        if sentence.category not in {p.category for p in picked}:
            picked.append(sentence)
    for sentence in sentences:
        if len(picked) >= MAX_SUPPORT_CLUES:
            break
        if sentence not in picked:
            picked.append(sentence)
    return [Clue("正文", _clip(s.text), f"给予企业{s.category}支持")
            for s in picked[:MAX_SUPPORT_CLUES]]


# --- classification -----------------------------------------------------------------


@dataclass
class _Doc:
    title: TitleParts
    issuer: str
    text: str
    source_kind: str
    support_scheme: bool = False  # a standalone 办法 about 资金 / 奖励 / 扶持

    @property
    def head(self) -> str:
        return self.text[:600]


def _doc(policy) -> _Doc:
    parts = [getattr(policy, "body_text", "") or ""]
    parts += [a.text for a in getattr(policy, "attachments", []) or [] if getattr(a, "text", "")]
    return _Doc(title_parts(getattr(policy, "title", "")), getattr(policy, "issuer", None) or "",
                "\n".join(p for p in parts if p), getattr(policy, "source_kind", "") or "")


def classify(policy) -> KindDecision:
    """Kind and 惠企 flag of a policy (anything with title, issuer, body_text …), with clues."""
    doc = _doc(policy)
    subject = _SUPPORT_SUBJECT.search(doc.title.inner or doc.title.title)
    # A support scheme about enterprises need not name them in every sentence.
    implicit = (bool(subject) and not _LAW_END.search(doc.title.title)
                and doc.title.genre not in _LAW_GENRES
                and len(_ENTERPRISE.findall(doc.title.title + doc.text[:20000])) >= 3)
    support = support_sentences(doc.text, implicit_beneficiary=implicit)
    kind, kind_clues = _kind_by_form(doc)
    if kind is None:
        kind, kind_clues = _kind_by_content(doc, support)
    huiqi, huiqi_clues = _huiqi(kind, doc, support)
    if kind == LAW and doc.support_scheme and huiqi:
        kind = HUIQI_MEASURE
        kind_clues = [Clue("标题", doc.title.title[-12:], "扶持、奖补或资金管理办法，给予企业扶持：惠企措施")]
    if kind in (OTHER, HUIQI_MEASURE) and kind_clues and kind_clues[0].rule.startswith("政策文件"):
        kind = HUIQI_MEASURE if huiqi else OTHER
        kind_clues[0].rule = ("政策文件，其条款给予企业扶持：惠企措施" if huiqi
                              else "政策文件，未见给予企业的具体扶持：其他")
    return KindDecision(kind, huiqi, kind_clues, huiqi_clues)


def _kind_by_form(doc: _Doc) -> tuple[str | None, list[Clue]]:
    """What the title, issuer and opening say the document is; None when they leave it open."""
    t = doc.title
    title, genre, effective = t.title, t.genre, t.effective_genre
    if _ORDER.search(title):
        return LAW, [Clue("标题", _ORDER.search(title).group(0), "以“令”公布：法规或规章")]
    if genre in ("政府工作报告", "工作报告") or (genre == "报告" and "政府工作报告" in title):
        return REPORT_PLAN, [Clue("标题", title[-12:], "政府或机关的工作报告")]
    interpretation = _INTERPRETATION.search(title)
    if interpretation and not (t.verb and interpretation.start() >= title.find(t.inner)):
        return INTERPRETATION, [Clue("标题", interpretation.group(0), "解读、问答或图解")]
    if _NEWS_OF_ISSUE.match(title):
        return INTERPRETATION, [Clue("标题", title[:30], "新闻稿：介绍刚印发的文件")]
    court = _COURTS.search(doc.issuer) or _COURTS.match(title)
    if court:
        where = "发文机关" if _COURTS.search(doc.issuer) else "标题"
        return JUDICIAL, [Clue(where, court.group(0), "最高人民法院、最高人民检察院发布：司法解释")]
    if _COURT_STYLE.search(title):
        return JUDICIAL, [Clue("标题", title[:24], "审理、办理案件适用法律的解释或规定：司法解释")]
    if effective in _PLAN_GENRES:
        return REPORT_PLAN, [Clue("标题", (t.inner if effective != genre else title)[-16:],
                                  f"文种为“{effective}”：规划、计划或预算")]
    if genre in _REPLY_GENRES or (t.verb and genre == "函"):
        return OTHER, [Clue("标题", genre, f"文种为“{genre}”：答复或往来函件")]
    if genre in _ANNOUNCE_GENRES or _ANNOUNCE_TITLE.search(title):
        word = genre if genre in _ANNOUNCE_GENRES else _ANNOUNCE_TITLE.search(title).group(0)
        return ANNOUNCEMENT, [Clue("标题", word, "公告、通告、公示或通报")]
    if t.verb in _ANNOUNCE_VERBS and genre == "通知":
        return ANNOUNCEMENT, [Clue("标题", t.verb, "公布名单、结果或范围的通知：公告公示")]
    if genre == "法" or genre in _LAW_GENRES or (not t.verb and genre == "条例"):
        return LAW, [Clue("标题", title[-8:], f"文种为“{genre}”：法律或法规")]
    if genre == "决定" and not t.verb and (_AMENDS.search(title) or _PEOPLES_CONGRESS.search(title)):
        return LAW, [Clue("标题", (_AMENDS.search(title) or _PEOPLES_CONGRESS.search(title)).group(0),
                          "修改、废止法规规章或人大常委会的决定：法律法规")]
    if effective in ("决议", "纪要", "讲话") and not (t.verb in _FORWARD_VERBS and effective == "纪要"):
        # a 纪要 that a government 批转 / 转发 is policy: what it gives decides (below)
        return OTHER, [Clue("标题", effective, "决议、会议纪要或讲话")]
    order = _ORDER_BODY.search(doc.head)
    if order and genre not in ("通知",):
        return LAW, [Clue("正文", _clip(order.group(0)[:40]), "以“令”公布：法规或规章")]
    if genre in _RULE_GENRES and not t.verb and not genre == "指南":
        if "关于" not in title or genre in ("规定", "若干规定"):
            subject = _SUPPORT_SUBJECT.search(title)
            if subject and genre in ("办法", "实施办法", "细则", "实施细则"):
                # 专项资金管理办法, 奖励办法 …: a support scheme when it gives enterprises something
                doc.support_scheme = True
            return LAW, [Clue("标题", title[-10:], f"独立成文的“{genre}”：法规或规章")]
    if _PERSONNEL.search(title) and genre in ("通知", "决定", ""):
        return OTHER, [Clue("标题", _PERSONNEL.search(title).group(0), "人事任免")]
    if not genre and _NEWS_VERBS.search(title):
        return OTHER, [Clue("标题", _NEWS_VERBS.search(title).group(0), "新闻报道")]
    return None, []


def _kind_by_content(doc: _Doc, support: list[SupportSentence]) -> tuple[str, list[Clue]]:
    """A 通知 / 意见 / 办法 …: a call for applications, or a policy document."""
    t = doc.title
    title = t.title
    apply = _APPLY_TITLE.search(title)
    if apply and not _NOT_APPLY_TITLE.search(title) and t.genre in ("通知", "指南", "") \
            and t.verb not in ("印发", "转发", "批转", "公布"):
        return APPLICATION_CALL, [Clue("标题", apply.group(0), "组织申报、推荐、评选或征集")]
    sections = {m.group(0) for m in _APPLY_SECTIONS.finditer(doc.text[:8000])}
    request = _APPLY_REQUEST.search(doc.text[:8000])
    if t.genre in ("通知", "指南", "") and (len(sections) >= 2 or (sections and request) or request) \
            and not _NOT_APPLY_TITLE.search(title) and t.verb not in ("印发", "转发", "批转"):
        evidence = request.group(0) if request else "、".join(sorted(sections))
        return APPLICATION_CALL, [Clue("正文", _clip(evidence), "写明申报条件、材料或截止时间")]
    hint = doc.source_kind
    if hint == INTERPRETATION:
        return INTERPRETATION, [Clue("来源标注", hint, "来源网站标注为政策解读")]
    if hint in DOC_KINDS and hint not in (OTHER, HUIQI_MEASURE):
        return hint, [Clue("来源标注", hint, "导入数据标注的文件类型")]
    genre = t.effective_genre or t.genre
    return OTHER, [Clue("标题", genre or title[-6:], "政策文件")]


def _chapters(text: str) -> list[tuple[int, int, str]]:
    """(start, end, heading) of each chapter (第…章) of a law, or of each numbered section
    (一、…) when it has no chapters."""
    headings = list(_CHAPTER.finditer(text))
    pattern = _CHAPTER if headings else _HEADING
    matches = [m for m in _HEADING.finditer(text) if pattern is _HEADING or "章" in m.group(0)[:12]]
    spans = []
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        spans.append((match.start(), end, match.group(0).strip().lstrip("#").strip()))
    return spans


def _support_chapters(text: str) -> list[tuple[int, int, str]]:
    """(start, end, heading) of each chapter whose heading is about support or promotion."""
    return [(a, b, h) for a, b, h in _chapters(text)
            if _SUPPORT_HEADING.search(h) and not _NOT_SUPPORT_HEADING.search(h)]


def _article_starts(text: str) -> list[int]:
    return [m.end() - len(m.group(0).lstrip("\n。； \t　")) for m in _ARTICLE.finditer(text)]


def _grants_of(support: list[SupportSentence], starts: list[int]) -> set[tuple]:
    """The grants a law's provisions make, counted as a reader would: one per article and kind
    of support (the paragraphs of one article granting the same kind are one grant), and one
    per item of a list that names a grantee or a benefit ("对下列企业…给予税收优惠：（一）吸纳
    …的企业；（二）…" grants as many times as it has items)."""
    grants = set()
    for s in support:
        article = bisect_right(starts, s.start)
        grants.add((article, s.category))
        lead, colon, items = s.text.replace(":", "：").partition("：")
        if colon and "；" in items:
            for number, item in enumerate(items.split("；")):
                if (_BENEFIT_HINT.search(item) or _ENTERPRISE.search(item)) \
                        and not _NOT_BENEFIT.search(item) and not _PUBLIC.search(item):
                    grants.add((article, s.category, number))
    return grants


def _for_persons_only(provision: str) -> bool:
    """Does a law's provision grant persons (人员, 人才, 发明人 …) only? A list is read item by
    item: "专项资金用于：（一）专利申请、专利技术实施和转化的资助；…（五）专利宣传培训与人才
    培养" grants the patents' use in its first item, whatever a later one names."""
    lead, colon, items = provision.partition("：")
    grantee = _grantee_part(provision)
    if grantee != provision or not colon or "；" not in items:
        return bool(_LAW_PERSONS.search(grantee))
    granting = [item for item in items.split("；") if _BENEFIT_HINT.search(item)]
    return not granting or all(_LAW_PERSONS.search(item) for item in granting)


def _law_huiqi(doc: _Doc, support: list[SupportSentence]) -> tuple[bool, list[Clue]]:
    """A law gives enterprises something when its support provisions — money, tax relief,
    loans, land or talent support naming who among enterprises gets it — are a real part of
    it: several of them, and a share of the law or a chapter devoted to support."""
    t = doc.title
    chapters = _support_chapters(doc.text)
    opening = re.sub(r"^[#\s]*第[一二三四五六七八九十]+章[^\n]*\n", "", doc.text.lstrip())[:200]
    promotion = _PROMOTION_LAW.search(t.title) or _PROMOTION_PURPOSE.search(opening)

    def chapter_of(s: SupportSentence, heading: re.Pattern = _SUPPORT_HEADING) -> str | None:
        return next((h for a, b, h in chapters if a <= s.start < b and heading.search(h)), None)

    # "…的，可以申请补助" gives whoever does it something: an economic actor in a support
    # chapter or a law promoting an economic activity, anyone at all elsewhere.
    support = [s for s in support if s.category in _LAW_CATEGORIES and not _THIRD_PARTY.search(s.text)
               and not _LAW_HONOUR.search(s.text)
               and (s.category != "人才" or _LAW_TALENT.search(s.text))
               and (s.names_enterprise or ((s.implicit or s.activity) and (promotion or chapter_of(s))
                                           and not _for_persons_only(s.text)))]
    if _TAX_LAW.search(t.title):
        # a tax law's exemptions define what is taxed (goods, services, producers); only its
        # 税收优惠 chapter's reliefs for enterprises by kind grant something (小型微利企业 …)
        support = [s for s in support if chapter_of(s, _TAX_RELIEF_HEADING)
                   and _COMPANY.search(_grantee_part(s.text))]
    clues = _support_clues(support)
    starts = _article_starts(doc.text)
    articles = max(1, len(starts))
    granting = len(_grants_of(support, starts))
    share = granting / articles
    in_chapter = [s for s in support if chapter_of(s)]
    chaptered = len(_grants_of(in_chapter, starts))
    if any(s.names_enterprise and chapter_of(s, _DEVOTED_HEADING) for s in in_chapter):
        chaptered = max(chaptered, CHAPTER_MIN_SUPPORT)  # a chapter named for support: one grant shows it
    least, least_share = ((PROMOTION_MIN_SUPPORT, PROMOTION_MIN_SHARE) if promotion
                          else (LAW_MIN_SUPPORT, LAW_MIN_SHARE))
    if _PROTECTIVE_LAW.search(t.title) and not _PROMOTION_LAW.search(t.title) \
            and not _INVESTOR_PROTECTION.search(t.title):
        # only a support chapter makes it a support law — unless its title also promotes an
        # economic activity (专利促进和保护条例): then promotion is half its subject; or the
        # ones it protects are investors, whose enterprises its grants reach (台湾同胞投资保护条例)
        share = 0.0
    for_enterprises = _ENTERPRISE_PROMOTION.search(t.title)
    if for_enterprises and granting:
        clues.insert(0, Clue("标题", for_enterprises.group(0), "促进企业发展的法规，且有条款给予企业扶持"))
        return True, clues
    if granting >= least and (share >= least_share or chaptered >= CHAPTER_MIN_SUPPORT) \
            or chaptered >= CHAPTER_MIN_SUPPORT:
        if chaptered >= CHAPTER_MIN_SUPPORT:
            clues.insert(0, Clue("正文", _clip(chapter_of(in_chapter[0])),
                                 f"扶持、优惠专章有{chaptered}条给予企业扶持"))
        elif promotion:
            clues.insert(0, Clue("标题", promotion.group(0), "促进、扶持类法规"))
        return True, clues
    reason = (f"仅{granting}条给予企业扶持（共{articles}条），不是其主要内容"
              if support else "未见给予企业资金、税费、融资等扶持的条款")
    return False, [Clue("正文", "", reason)]


def _huiqi(kind: str, doc: _Doc, support: list[SupportSentence]) -> tuple[bool, list[Clue]]:
    if kind in (JUDICIAL, REPORT_PLAN, ANNOUNCEMENT):
        return False, [Clue("文件类型", kind, "不直接给予企业扶持")]
    t = doc.title
    forwarded_minutes = t.verb in _FORWARD_VERBS and t.effective_genre == "纪要"
    if kind == OTHER and (t.genre in _REPLY_GENRES
                          or (t.effective_genre in ("决议", "纪要", "讲话") and not forwarded_minutes)
                          or _PERSONNEL.search(t.title)
                          or (not t.genre and _NEWS_VERBS.search(t.title))):
        return False, [Clue("文件类型", t.genre or "新闻", "答复、任免或新闻，不直接给予企业扶持")]
    if kind == LAW and not doc.support_scheme:
        return _law_huiqi(doc, support)
    support = [s for s in support if not s.activity]  # a policy names whom it gives something
    clues = _support_clues(support)
    if kind == APPLICATION_CALL:
        money = re.search(r"专项资金|扶持资金|资金|补助|补贴|奖补|奖励|扶持|贴息", t.title)
        if money:
            return True, [Clue("标题", money.group(0), "申报所得为资金、补助或扶持"), *clues[:2]]
        applicants = re.search(r"企业|公司|项目单位|合作社|个体工商户", t.title) or \
            re.search(r"(?:申报|申请|推荐)(?:单位|主体)?(?:为|是|应为|须为|应当为)?[^。；]{0,20}企业"
                      r"|企业[^。；]{0,10}(?:申报|申请)", doc.text[:6000])
        gain = re.search(r"示范|认定|资金|补助|补贴|奖励|扶持|支持|称号|资质", t.title + doc.text[:6000])
        if applicants and gain:
            return True, [Clue("标题" if applicants.string is t.title else "正文",
                               _clip(applicants.group(0)), "企业可申报，获得认定、资金或支持"),
                          *clues[:2]]
        return False, [Clue("正文", "", "申报对象不是企业，或申报所得不是扶持")]
    subject = _SUPPORT_SUBJECT.search(t.inner or t.title)
    if len(support) >= POLICY_MIN_SUPPORT or (subject and support):
        if subject:
            clues.append(Clue("标题", subject.group(0), "标题表明扶持、奖补或优惠"))
        return True, clues
    if subject and len(doc.text) < TITLE_ONLY_CHARS:
        # a list entry without its text: the title is all there is to go by
        return True, [Clue("标题", subject.group(0), "标题表明扶持、奖补或优惠（正文缺失）")]
    return False, [Clue("正文", "", "未见给予企业资金、税费、融资等扶持的条款")]
