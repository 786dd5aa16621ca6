"""Is a deadline an application window? One sentence at a time, with the words that decided.

A policy text is full of dates that look like windows: "每年三月三十一日前向…报送上一年度工作报告",
"于次年3月31日前…提交自查报告", "每年1月1日至6月30日…报送上一年度年度报告", "次年三月一日至六月三十日内申报
纳税", "自公告之日起四十五日内，向清算组申报债权", "请各地于6月底前将落实情况报送我部". None of them is
a window in which someone can apply for something; only sentences whose subject is an application,
a registration or a nomination (申报, 申请, 报名, 推荐, 参评 …) are — "请申报单位于5月31日前将申报材料
报送…", "推荐截止日期为8月31日", "报名时间截至2月17日".

The decision looks at the clause that holds the date and its neighbours, in this order:
  1. what rules a window out whatever else is said: tax filing, creditor claims, legal procedure,
     comment periods, publicity periods, validity and policy periods, statistics "as of" a date,
     filings (备案, 年检, 开户), requests about a report (退回, 延期), a cut-off for counting
     qualifications, a body filing on persons' applications it received ("由…高校受理申请，并于
     每年4月底前…集中申报"), and a date that qualifies a past event ("…前已批准设立的企业");
  2. in the date's own clause, then with its neighbours: what is handed in when it is an
     application (申报材料, 申请表, 推荐名单, 报名回执 …): yes; a date that bounds the authority's
     own work (…前审核/拨付/遴选, own clause only): no; what a duty hands in (报告, 总结, 情况,
     数据, 方案, 意见, 年度计划, 配额, 许可证 …): no; an application verb (申报, 申请, 报名 …): yes;
  3. the section heading the sentence stands under (申报时间, 报名时间 …): yes;
  4. a submission (报送, 提交 …) in a document whose title calls for applications: yes;
  5. anything else: no.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from policy_search.domain.deadlines import Deadline, normalize_date_text, parse_window
from policy_search.domain.kinds import classify

# --- what rules a window out -------------------------------------------------------------

_RULED_OUT = (
    ("纳税申报", re.compile(r"纳税申报|申报纳税|申报缴纳|缴纳[^，,。；;]{0,12}税|汇算清缴|扣缴|预缴|缴税|完税")),
    ("债权申报", re.compile(r"债权")),
    ("诉讼、复议等法律程序", re.compile(
        r"复议|诉讼|起诉|上诉|再审|仲裁|申诉|控告|听证|异议|抗诉|保全|赔偿请求|申辩|认领|追诉")),
    ("征求意见", re.compile(r"征求意见|意见建议|书面意见|修改意见|反馈意见")),
    ("公示期", re.compile(r"公示(?:期|时间|日期|截止)|予以公示|公示[^，,。；;]{0,6}天")),
    ("有效期或政策执行期", re.compile(
        r"有效期|施行|执行期|实施期|期满|放宽|扩展至|扩大至|调整为|延长至|延续至|阶段性")),
    ("统计截至日期", re.compile(
        r"截至[^，,。；;]{0,16}(?:[，,])?(?:全国|全省|全市|全区|全县|我[国省市区县]|本[省市区县]|共|累计|已)")),
    ("备案、年检等登记事项", re.compile(r"备案|备查|年检|年度检查|年度检验|开户")),
    ("对报告的退回、延期", re.compile(r"退回|撤回|延期|延迟|补正")),
    ("计算资格的截止时点", re.compile(r"时间点|计算至|计算截止|统计截止")),
)
# A date that qualifies a past event ("1993年12月31日前已批准设立的企业", "…实施前在国有土地上建成
# 的房屋"): a condition on who or what, not a time to act.
_DATE_CONDITION = re.compile(
    r"[^，,。；;]{0,4}?(?:前|以前|之前|期间|以后|之后)?[，,]?[^，,。；;]{0,20}?"
    r"(?:已经?|建成|设立|成立|作出|发生|取得|获得|批准|受理|实施|修建|生效)[^。；;]{0,30}?的")
# A body that receives persons' applications and files them on by a date ("符合条件的毕业生提出
# 申请，由…高校受理申请，并于每年4月底前向…集中申报，…拨付到…毕业生本人银行账户"): the date
# bounds the body's filing, not anyone's application — a window for someone else.
_FILED_ON = re.compile(
    r"(?:受理|收集|收取|汇总|初审)[^，,。；;]{0,8}申请[^。；;]{0,60}?(?:集中|统一|汇总|批量)(?:申报|报送|上报|报)")
_PERSONS_APPLY = re.compile(
    r"(?:毕业生|学生|职工|劳动者|居民|农户|个人|人员)[^，,。；;]{0,6}(?:提出|提交|自愿)?申请"
    r"|(?:本人|个人)(?:的)?(?:银行)?(?:账户|社会保障卡)")
# A date bounding what the authority does: 审核, 拨付, 遴选 … (checked on the date's clause only).
_PROCESSING = re.compile(
    r"(?:办理|审核|审批|审查|答复|作出|核发|拨付|兑现|分配给|下达|公布|公告|发放|处理|遴选|评选|评审)"
    r"(?!申报|申请|报名|推荐|材料|手续)")

# --- what is handed in -------------------------------------------------------------------

# The object of an application: these decide "yes" even beside duty words.
_APPLICATION_THING = re.compile(
    r"申报(?:材料|书|表|资料|项目|文件|截止|时间|期限|系统|平台|单位|企业|主体|工作)"
    r"|(?:项目|资金|奖励|补贴|补助|认定|评选|评审)申报"
    r"|申请(?:材料|书|表|资料|报告|截止|时间|期限)"
    r"|推荐(?:材料|表|名单|汇总表|函|意见|对象|人选|企业|项目|截止|时间)"
    r"|报名(?:表|回执|材料|截止|时间|系统|方式)|参评材料|候选人?|自荐|揭榜|投稿")
# What a duty hands in: reports, data, plans, opinions; permits and quotas needed to operate.
_DUTY_THING = re.compile(
    r"(?<!申请)(?<!申报)报告|年报|总结|小结|情况|数据|报表|台账|清单|名录|目录|资料"
    r"|(?:年度|次年|工作|实施|发展|用水|取水|分配)[^，,。；;]{0,6}计划|(?:实施|工作|活动|整改|试算)方案"
    r"|意见|建议|回执|联系人|联络人|管理员|链接|信息|配额|指标|许可证?")
_APPLICATION_VERB = re.compile(r"申报|申请|报名|推荐|参评|参选|申领|应征")
_SUBMIT = re.compile(r"报送|提交|上报|报至|报我|寄送|发送|送达|上传|传真|递交|提出")
# Headings of a section that states the application window (card.HEADINGS["deadline"] in part).
_APPLICATION_HEADING = re.compile(r"申报|申请|报名|推荐|征集|受理")
# A title that calls for applications, nominations or registrations.
_APPLICATION_TITLE = re.compile(
    r"申报|申请|报名|推荐|评选|评审|认定|遴选|征集|揭榜|选拔|招募|入库")
_COMMENT_TITLE = re.compile(r"征求[^，。]{0,40}意见")
_DATE_TOKEN = re.compile(
    r"(?:(?:19|20)\d{2}年)?\d{1,2}月(?:\d{1,2}日|底|末)|(?:19|20)\d{2}年(?:底|末)|\d{1,2}日前")
_CLAUSE = re.compile(r"[^，,；;：:。！？!?]+")


@dataclass(frozen=True)
class WindowDecision:
    is_application: bool
    reason: str       # Chinese, for staff and the policy page: "申报事项", "报告义务" …
    cue: str = ""     # the words of the sentence that decided

    def describe(self) -> str:
        return f"{self.reason}：{self.cue}" if self.cue else self.reason


def judge_window(sentence: str, window_text: str = "", *, title: str = "",
                 heading: str = "") -> WindowDecision:
    """Whether the window a sentence states is one in which someone can apply.

    window_text: the phrase that states the window (Deadline.text, folded), to find its clause;
    title: the document's title; heading: the card section the sentence stands under.
    """
    if not window_text:  # the caller knows no phrase: the first date written stands for it
        first = _DATE_TOKEN.search(normalize_date_text(sentence))
        window_text = first.group(0) if first else ""
    clauses = [m.group(0) for m in _CLAUSE.finditer(normalize_date_text(sentence))] or [""]
    at = _clause_of(clauses, normalize_date_text(window_text)) if window_text else 0
    near = "，".join(clauses[max(0, at - 1):at + 2]) if window_text else "，".join(clauses)
    own = clauses[at] if window_text else near
    for reason, pattern in _RULED_OUT:
        found = pattern.search(near)
        if found:
            return WindowDecision(False, reason, found.group(0))
    folded = normalize_date_text(sentence)
    filed_on = _FILED_ON.search(near)
    if filed_on and _PERSONS_APPLY.search(folded):
        return WindowDecision(False, "单位代个人集中申报", filed_on.group(0))
    start = folded.find(normalize_date_text(window_text)) if window_text else -1
    if start >= 0:
        condition = _DATE_CONDITION.match(folded, start + len(normalize_date_text(window_text)))
        if condition:
            return WindowDecision(False, "日期是条件", condition.group(0))
    # The date's own clause first, then with its neighbours: "应在每年十二月底前，向…申报下一年度的
    # 掘路计划" hands in a plan, "企业可于每年3月1日至4月30日…提出申请" applies, "…填报《排污许可证申请表》，
    # 并在2018年底之前取得排污许可证" obtains a permit needed to operate.
    for scope in (own, near):
        found = _APPLICATION_THING.search(scope)
        if found:
            return WindowDecision(True, "申报事项", found.group(0))
        processing = _PROCESSING.search(own) if scope is own else None
        if processing and not _APPLICATION_VERB.search(own):
            return WindowDecision(False, "办理时限", processing.group(0))
        found = _DUTY_THING.search(scope)
        if found:
            return WindowDecision(False, "报送义务", found.group(0))
        found = _APPLICATION_VERB.search(scope)
        if found:
            return WindowDecision(True, "申报事项", found.group(0))
    if heading and _APPLICATION_HEADING.search(heading):
        return WindowDecision(True, "申报时间一节", heading)
    submit = _SUBMIT.search(near)
    if submit and is_application_call(title):
        return WindowDecision(True, "申报通知中的报送期限", submit.group(0))
    return WindowDecision(False, "没有申报事项")


def application_window(sentence: str, anchor=None, *, title: str = "", heading: str = ""
                       ) -> tuple[Deadline | None, WindowDecision]:
    """The window a sentence states (None: none) and whether it is an application window."""
    window = parse_window(sentence, anchor)
    decision = judge_window(sentence, window.text if window else "", title=title, heading=heading)
    return window, decision


def is_application_call(title: str) -> bool:
    """A title that calls for applications (申报, 推荐, 评选 …), not for comments."""
    title = normalize_date_text(title or "")
    return bool(_APPLICATION_TITLE.search(title)) and not _COMMENT_TITLE.search(title)


def _clause_of(clauses: list[str], phrase: str) -> int:
    """The clause that holds the window phrase (or its first part, when a phrase spans two)."""
    for i, clause in enumerate(clauses):
        if phrase and phrase in clause:
            return i
    head = phrase[:6]
    for i, clause in enumerate(clauses):
        if head and head in clause:
            return i
    return 0


# --- which documents state windows ---------------------------------------------------------

# Application windows are stated by calls to apply and by measures that give enterprises
# something (policy_search.domain.kinds); a law's or a report's dates are duties or periods, whatever
# their sentence says.
WINDOW_KINDS = frozenset({"申报通知", "惠企措施"})


def kind_states_windows(doc_kind: str | None) -> bool:
    """Whether a document of this kind can state an application window (the card's 申报时间)."""
    return doc_kind in WINDOW_KINDS


def states_windows(policy) -> bool:
    """Whether this policy's kind states windows; a policy whose kind was not derived yet (a
    record read outside the store's enrich step) is classified here rather than guessed."""
    kind = policy.doc_kind if getattr(policy, "kind_by", "") else classify(policy).kind
    return kind_states_windows(kind)
