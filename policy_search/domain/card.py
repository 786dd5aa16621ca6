"""The policy card: the six facts an entrepreneur looks for first, each with its evidence.

惠及对象 (who benefits), 申报条件 (conditions), 支持标准 (amounts, rates, caps),
申报时间 / 兑现时限 (window or deadline), 受理地址 and 咨询电话. Rule-based: application
notices and support measures follow a small set of section headings (一、支持对象 /
（二）申报条件 / 三、支持标准 / 四、申报时间 / 五、联系方式 …) and phrasings ("最高奖励50万元",
"按实际贷款利息的50%给予贴息", "联系电话：0731-…"). Headings are found even in bodies whose
line breaks were lost in crawling ("…培训基地四、申报条件（一）申报人员…"), by following the
numbering sequence. Every value keeps the sentence it came from, so staff can check it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from policy_search.domain.deadlines import Deadline, find_dates, parse_window
from policy_search.domain.kinds import for_an_institution
from policy_search.domain.windows import application_window, states_windows

# field key -> label shown to users
CARD_FIELDS = {
    "beneficiaries": "惠及对象",
    "conditions": "申报条件",
    "support": "支持标准",
    "deadline": "申报时间",
    "address": "受理地址",
    "phone": "咨询电话",
}
MAX_ITEMS = {"beneficiaries": 3, "conditions": 8, "support": 8, "deadline": 3, "address": 2,
             "phone": 4}
MAX_VALUE = 240  # characters of a value shown on the card

# Section headings per field, most specific first. A heading is the text right after a
# numbering mark (一、 （一） 1. 第X条) or a label followed by a colon.
HEADINGS = {
    "beneficiaries": (
        "惠及对象", "支持对象", "扶持对象", "补贴对象", "补助对象", "奖励对象", "资助对象",
        "申报对象", "申报主体", "适用对象", "适用范围", "支持范围", "扶持范围", "实施对象",
        "服务对象", "享受对象", "政策对象", "评选表彰对象", "评选对象", "表彰对象", "征集对象",
        "认定对象", "申请对象", "奖补对象", "培训对象",
    ),
    "conditions": (
        "申报条件", "申请条件", "申报要求", "基本条件", "推荐条件", "认定条件", "资格条件",
        "支持条件", "补贴条件", "奖励条件", "享受条件", "评选条件", "入选条件", "准入条件",
        "申报资格", "条件要求", "具体条件", "评价条件", "认定标准",
    ),
    "support": (
        "支持标准", "补贴标准", "补助标准", "奖励标准", "资助标准", "扶持标准", "奖补标准",
        "支持方式", "支持内容", "扶持政策", "奖励办法", "补贴方式", "资助方式", "支持措施",
        "扶持方式", "奖补方式", "资金支持", "奖励政策", "补助方式", "扶持内容",
    ),
    "deadline": (
        "申报时间", "申报期限", "申报截止时间", "受理时间", "受理期限", "报送时间",
        "申请时间", "申请期限", "时间安排", "申报日期", "截止时间", "兑现时限", "办理时限",
        "申报时限", "征集时间", "报名时间", "推荐时间",
    ),
    "address": ("受理地址", "受理地点", "申报地点", "办理地点", "受理窗口", "报送地址",
                "办理地址", "申报地址", "受理单位", "受理部门"),
    "phone": ("联系方式", "咨询电话", "联系电话", "联系人及联系方式", "咨询方式", "联系人",
              "咨询服务", "政策咨询"),
}
_MEASURE_VERB = re.compile(r"调整|加大|落实|提高|完善|实施|推进|加强|强化|优化|健全|创新|扩大|降低|鼓励|规范|做好|开展|建立")
_HEADING_LOOKUP = sorted(((h, f) for f, hs in HEADINGS.items() for h in hs),
                         key=lambda x: -len(x[0]))

_CN = "一二三四五六七八九十"
_LEVEL1 = re.compile(rf"([{_CN}]{{1,3}})、")
_LEVEL2 = re.compile(rf"[（(]([{_CN}]{{1,3}})[)）]")
_LEVEL3 = re.compile(r"(?<![\d.])(\d{1,2})[、.．](?!\d)")
_ARTICLE = re.compile(rf"第([{_CN}百零〇]{{1,5}})条")
_CHAPTER = re.compile(rf"第([{_CN}]{{1,3}})章")
_LINE_START = set("。；;：:\n\r 　!！?？）)】>》\"”")
_SENTENCE = re.compile(r"[^。；;！!？?\n]+[。；;！!？?]?")

# 支持标准: a support verb and an amount or rate in one clause
_AMOUNT = re.compile(
    r"(?:\d+(?:\.\d+)?|[一二三四五六七八九十百千两]+)\s*(?:万元|亿元|千元|元|%|％|倍|个百分点)"
    r"|百分之[一二三四五六七八九十百]+|减半|全额|免征|免收|免缴")
_SUPPORT_VERB = re.compile(
    r"奖励|补贴|补助|资助|贴息|奖补|扶持资金|返还|减免|免征|减半征收|减按|给予|一次性|报销|担保费"
    r"|贷款|授信|支持资金|专项资金|优惠")
_GIVE = re.compile(r"给予|奖励|补贴|补助|资助|贴息|奖补|返还|减按|减半|免征|免收|免缴|报销|最高|不超过|上限|一次性|可申请")
_NOT_SUPPORT = re.compile(r"罚款|处以|没收|违法所得|罚金|赔偿|收取|征收.*税率|工资|考试|职工人数")
# 惠及对象 / 申报条件 phrasings when no heading names the section
_APPLIES_TO = re.compile(
    r"(?:本|上述|以上|该)(?:办法|政策|措施|细则|通知|规定|方案|条款|意见|实施细则|项目)"
    r"(?:所称[^，。]{0,20})?适用于|(?:支持|扶持|补贴|补助|奖励|资助|申报|适用|服务|惠及|奖补)对象(?:为|是|包括|主要包括|主要为|:|：)")
_CONDITION_CUE = re.compile(
    r"(?:申报|申请|享受|认定|推荐|参评)[^。；]{0,12}(?:应当?|须|需|必须)(?:同时)?(?:具备|满足|符合|具有)"
    r"|(?:符合|具备|满足)(?:以下|下列|如下)(?:条件|要求)|(?:申报|申请)(?:单位|企业|主体|人)(?:应当?|须|需|必须)")
# 申报时间: a sentence that speaks about applying or handing in
_APPLY_CUE = re.compile(r"申报|申请|报送|提交|推荐|受理|报名|征集|截止|截至|报至|送达|寄送|登录|报我|发送|报回执|参评|申领|传真|电邮")
_DEADLINE_SENTENCE = re.compile(r"截止|截至|前|之日起|常年|长期受理|随时|至|到|—|-")
# 受理地址
_ADDRESS = re.compile(
    r"(?:(?:受理|申报|办理|报送|通讯|通信|联系|邮寄|办公|材料报送|递交)?地址|(?:受理|申报|办理|报送|递交)地点)(?:为|是|在)?\s*[:：]?\s*"
    r"(?P<value>[^。；;\n:：]{4,80}?)(?=(?:附件|邮编|邮政编码|电话|联系电话|联系人|传真|邮箱|电子邮箱|E-?mail|网址|咨询电话|[。；;\n]|$))",
    re.I)
_PLACE_WORDS = re.compile(r"[省市县区镇乡街道路号楼室层栋院大厦中心窗口大楼政务]")
# 咨询电话: a label, then one or several numbers
_PHONE_LABEL = re.compile(r"(?:咨询|联系|服务|监督|举报|投诉|办公)?(?:电话|热线|座机|手机)(?:号码)?\s*[:：为]?\s*")
_PHONE = re.compile(
    r"(?<!\d)1[3-9]\d{9}(?!\d)"
    r"|(?:[（(]0\d{2,3}[)）]\s*-?\s*|0\d{2,3}\s*[-—－]\s*)?\d{7,8}(?!\d)(?:\s*[-—－转]\s*\d{1,5})?"
    r"|(?<!\d)(?:400|800)[-\s]?\d{3}[-\s]?\d{4}(?!\d)|(?<!\d)12345(?!\d)")
_PHONE_SEP = re.compile(r"\s*(?:、|，|,|/|或|及|和|;|；)?\s*")


@dataclass
class CardItem:
    value: str
    evidence: str = ""
    origin: str = "auto"   # auto | staff
    by: str = ""
    at: str = ""


@dataclass
class PolicyCard:
    policy_id: str = ""
    fields: dict[str, list[CardItem]] = field(default_factory=dict)

    def get(self, name: str) -> list[CardItem]:
        return self.fields.get(name, [])

    def values(self, name: str) -> list[str]:
        return [item.value for item in self.get(name) if item.value]

    def to_dict(self) -> dict:
        return {name: [{"value": i.value, "evidence": i.evidence, "origin": i.origin,
                        "by": i.by, "at": i.at} for i in self.get(name)]
                for name in CARD_FIELDS}


@dataclass
class Section:
    field: str
    heading: str
    start: int   # where the content begins
    end: int


# --- sections --------------------------------------------------------------------


@dataclass
class _Mark:
    pos: int        # where the mark starts
    after: int      # where the text after the mark starts
    level: int
    number: int


def _cn_int(text: str) -> int:
    from policy_search.domain.deadlines import cn_number

    return cn_number(text) or 0


def _strong_start(text: str, pos: int) -> bool:
    return pos == 0 or text[pos - 1] in _LINE_START


def numbering_marks(text: str) -> list[_Mark]:
    """Heading marks in order, each level kept only when it follows its numbering sequence.

    The first mark of a run must stand at a line or sentence start; later ones may
    follow text directly (bodies whose line breaks were lost), as long as the number is
    the next one expected — which tells "四、申报条件" from "统一、规范".
    """
    marks: list[_Mark] = []
    for level, pattern in ((0, _CHAPTER), (1, _LEVEL1), (1, _ARTICLE), (2, _LEVEL2), (3, _LEVEL3)):
        expected = 1
        for match in pattern.finditer(text):
            number = _cn_int(match[1])
            strong = _strong_start(text, match.start())
            if number == expected and (strong or number > 1):
                marks.append(_Mark(match.start(), match.end(), level, number))
                expected += 1
            elif number == 1 and strong:  # a new run (e.g. 1. restarts under each 一、)
                marks.append(_Mark(match.start(), match.end(), level, number))
                expected = 2
            elif strong and level >= 2 and number > 1:
                # sub-numbering restarts under each section; accept a plausible next one
                marks.append(_Mark(match.start(), match.end(), level, number))
                expected = number + 1
    marks.sort(key=lambda m: (m.pos, m.level))
    return marks


def find_sections(text: str) -> list[Section]:
    """Sections whose heading names a card field, with the extent of their content."""
    marks = numbering_marks(text)
    sections: list[Section] = []
    for i, mark in enumerate(marks):
        found = _heading_at(text, mark.after)
        if not found:
            continue
        name, heading, content_start = found
        end = len(text)
        for later in marks[i + 1:]:
            if later.level <= mark.level:
                end = later.pos
                break
        sections.append(Section(name, heading, content_start, end))
    for match in re.finditer(r"(?:^|(?<=[\n。；]))\s*[【\[]?(" + "|".join(
            re.escape(h) for h, _ in _HEADING_LOOKUP) + r")[】\]]?\s*(?:[:：]|\n)", text):
        name = dict(_HEADING_LOOKUP)[match[1]]
        if any(s.start <= match.start() < s.end and s.field == name for s in sections):
            continue
        end = _label_end(text, match.end())
        sections.append(Section(name, match[1], match.end(), end))
    return sorted(sections, key=lambda s: s.start)


def _heading_at(text: str, pos: int) -> tuple[str, str, int] | None:
    """The field whose heading opens the text at pos, e.g. "申报条件（一）…" → conditions.

    The heading may carry a few words before the keyword ("候选先进集体推荐条件") but
    must end at punctuation, a sub-mark or the start of the content.
    """
    window = text[pos:pos + 30]
    stop = re.search(r"[。；;：:\n（(]", window)
    scope = window[:stop.start()] if stop else window
    for heading, name in _HEADING_LOOKUP:
        at = scope.find(heading)
        if at < 0 or at > 16:
            continue
        end = pos + at + len(heading)
        rest = text[end:end + 3]
        # A heading, not a sentence that happens to start with the word: "申报条件按…" is content.
        if at > 0 and _MEASURE_VERB.search(scope[:at]):
            continue  # "调整求职创业补贴方式": the title of a measure, not a card section
        if at == 0:
            end += len(rest) - len(rest.lstrip(":：\n 　"))
            return name, heading, end
        if not stop:
            continue
        if stop and scope[at + len(heading):].strip("及和与、 ") and len(scope) > at + len(heading) + 8:
            continue
        end += len(rest) - len(rest.lstrip(":：\n 　"))
        return name, heading, end
    return None


def _label_end(text: str, start: int) -> int:
    """A "申报条件：…" label runs to the next numbering mark, label or paragraph."""
    newline = text.find("\n\n", start)
    end = newline if newline >= 0 else len(text)
    next_label = re.search(r"[\n。；](?:" + "|".join(re.escape(h) for h, _ in _HEADING_LOOKUP)
                           + r")[:：]", text[start:end])
    return start + next_label.start() + 1 if next_label else end


# --- values ----------------------------------------------------------------------


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    end = len(text) if end is None else end
    return [(start + m.start(), start + m.end()) for m in _SENTENCE.finditer(text[start:end])
            if m.group(0).strip()]


def _clip(value: str) -> str:
    value = re.sub(r"\s+", " ", value).strip(" ，,;；:：。")
    return value if len(value) <= MAX_VALUE else value[:MAX_VALUE - 1] + "…"


def _sentence_at(text: str, pos: int) -> str:
    spans = sentence_spans(text, max(0, pos - 300), min(len(text), pos + 300))
    for start, end in spans:
        if start <= pos < end:
            return text[start:end].strip()
    return text[max(0, pos - 60):pos + 60].strip()


def _strip_mark(sentence: str) -> str:
    return re.sub(rf"^(?:[{_CN}]{{1,3}}、|[（(][{_CN}]{{1,3}}[)）]|\d{{1,2}}[、.．](?!\d))\s*", "",
                  sentence.strip())


def _add(items: list[CardItem], value: str, evidence: str, limit: int) -> None:
    value = _clip(value)
    if not value or len(items) >= limit or any(i.value == value for i in items):
        return
    items.append(CardItem(value=value, evidence=evidence.strip()))


def _section_sentences_with_heading(text: str, sections: list[Section], name: str
                                    ) -> list[tuple[str, str]]:
    out = []
    for section in sections:
        if section.field == name:
            out += [(text[s:e].strip(), section.heading)
                    for s, e in sentence_spans(text, section.start, section.end)]
    return [(s, h) for s, h in out if len(_strip_mark(s)) >= 2]


def _section_sentences(text: str, sections: list[Section], name: str) -> list[str]:
    out = []
    for section in sections:
        if section.field == name:
            out += [text[s:e].strip() for s, e in sentence_spans(text, section.start, section.end)]
    return [s for s in out if len(_strip_mark(s)) >= 2]


def extract_beneficiaries(text: str, sections: list[Section]) -> list[CardItem]:
    items: list[CardItem] = []
    limit = MAX_ITEMS["beneficiaries"]
    for sentence in _section_sentences(text, sections, "beneficiaries"):
        _add(items, _strip_mark(sentence), sentence, limit)
    if items:
        return items
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        match = _APPLIES_TO.search(sentence)
        if match:
            _add(items, sentence[match.start():], sentence, limit)
    return items


def extract_conditions(text: str, sections: list[Section]) -> list[CardItem]:
    items: list[CardItem] = []
    limit = MAX_ITEMS["conditions"]
    for sentence in _section_sentences(text, sections, "conditions"):
        _add(items, _strip_mark(sentence), sentence, limit)
    if items:
        return items
    spans = sentence_spans(text)
    for i, (start, end) in enumerate(spans):
        sentence = text[start:end]
        if _CONDITION_CUE.search(sentence):
            _add(items, _strip_mark(sentence), sentence, limit)
            # "符合下列条件：" announces the list that follows
            if re.search(r"(?:下列|以下|如下)(?:条件|要求)[:：]?\s*$", sentence.strip("。")):
                for s2, e2 in spans[i + 1:i + 6]:
                    follow = text[s2:e2]
                    if not re.match(rf"\s*(?:[（(][{_CN}]{{1,3}}[)）]|\d{{1,2}}[、.．])", follow):
                        break
                    _add(items, _strip_mark(follow), follow, limit)
    return items


def support_clauses(sentence: str) -> list[str]:
    """The clauses of a sentence that state an amount or rate of support.

    "对新认定的企业，给予一次性奖励50万元，所需资金由…" → "给予一次性奖励50万元".
    """
    clauses = [c for c in re.split(r"[，,；;。]", sentence) if c.strip()]
    found = []
    for i, clause in enumerate(clauses):
        if not _AMOUNT.search(clause) or _NOT_SUPPORT.search(clause):
            continue
        context = clause if _GIVE.search(clause) else ""
        if not context and i > 0 and _GIVE.search(clauses[i - 1]) and _SUPPORT_VERB.search(
                clauses[i - 1] + clause):
            context = clauses[i - 1] + "，" + clause
        if context and _SUPPORT_VERB.search(sentence):
            found.append(_strip_mark(context))
    return found


def extract_support(text: str, sections: list[Section]) -> list[CardItem]:
    items: list[CardItem] = []
    limit = MAX_ITEMS["support"]
    in_section = _section_sentences(text, sections, "support")
    for sentence in in_section:
        for clause in support_clauses(sentence):
            _add(items, clause, sentence, limit)
    if not items:
        # a 支持方式 section without amounts: its statements are the support
        for sentence in in_section:
            if _SUPPORT_VERB.search(sentence) and not re.match(r"[（(]", sentence.strip()[-1:]):
                _add(items, _strip_mark(sentence), sentence, limit)
    if items:
        return items
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        if for_an_institution(sentence):
            continue  # a guarantee agency's fee subsidy is no 支持标准 an enterprise reads
        for clause in support_clauses(sentence):
            _add(items, clause, sentence, limit)
    return items


def extract_deadline(text: str, sections: list[Section], anchor: str | None,
                     title: str = "") -> list[CardItem]:
    """Sentences stating an application window; the window phrase is the value.

    Only windows in which someone applies (申报, 申请, 报名, 推荐 …) count: reporting duties,
    tax filing, creditor claims and deadlines of the authorities' own work are left out
    (`policy_search.domain.windows`).
    """
    items: list[CardItem] = []
    limit = MAX_ITEMS["deadline"]
    for sentence, heading in _section_sentences_with_heading(text, sections, "deadline"):
        window, decision = application_window(sentence, anchor, title=title, heading=heading)
        if not decision.is_application:
            continue
        if window is None:
            # a bare date in a 申报时间 section is the deadline itself
            if find_dates(sentence):
                _add(items, _strip_mark(sentence), sentence, limit)
            continue
        _add(items, window.text or _strip_mark(sentence), sentence, limit)
    if items:
        return items
    scored = []
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        if not _APPLY_CUE.search(sentence) or not _DEADLINE_SENTENCE.search(sentence):
            continue
        window, decision = application_window(sentence, anchor, title=title)
        if window is None or window.kind == "unknown" or not decision.is_application:
            continue
        if window.kind == "window" and not window.end and not window.relative:
            continue
        score = (2 if re.search(r"截止|截至|前|之日起", sentence) else 0) + \
                (2 if re.search(r"申报|申请|报名|推荐|受理", sentence) else 1)
        scored.append((-score, start, window.text, sentence))
    for _, _, value, sentence in sorted(scored)[:limit]:
        _add(items, value, sentence, limit)
    return items


def extract_address(text: str, sections: list[Section]) -> list[CardItem]:
    items: list[CardItem] = []
    limit = MAX_ITEMS["address"]
    for section in sections:
        if section.field == "address":
            content = text[section.start:section.end]
            sentence = _SENTENCE.search(content)
            if sentence and _PLACE_WORDS.search(sentence.group(0)):
                _add(items, _strip_mark(sentence.group(0)).rstrip("。；;"), sentence.group(0), limit)
    for match in _ADDRESS.finditer(text):
        value = match["value"].strip()
        if not _PLACE_WORDS.search(value) or re.match(r"(?:和|及|、|等)", value):
            continue
        if re.search(r"网址|http|www\.", value):
            continue
        _add(items, value, _sentence_at(text, match.start("value")), limit)
    return items


def extract_phones(text: str) -> list[CardItem]:
    items: list[CardItem] = []
    limit = MAX_ITEMS["phone"]
    for label in _PHONE_LABEL.finditer(text):
        if text[max(0, label.start() - 2):label.start()].endswith("传真"):
            continue
        pos = label.end()
        while True:
            match = _PHONE.match(text, pos)
            if not match:
                break
            evidence = _sentence_at(text, match.start())
            _add(items, re.sub(r"\s+", "", match.group(0)), evidence, limit)
            sep = _PHONE_SEP.match(text, match.end())
            pos = sep.end() if sep else match.end()
    return items


def card_text(policy) -> str:
    """Body and attachment text: the conditions of a 申报通知 often sit in its 附件."""
    parts = [policy.body_text or ""]
    parts += [a.text for a in getattr(policy, "attachments", []) if getattr(a, "text", "")]
    return "\n\n".join(p for p in parts if p)


def extract_card(policy) -> PolicyCard:
    """The auto card of a policy (anything with id, body_text, attachments, dates)."""
    text = card_text(policy)
    sections = find_sections(text)
    anchor = policy.publish_date or policy.written_date or _signature_date(text)
    card = PolicyCard(policy_id=policy.id)
    card.fields["beneficiaries"] = extract_beneficiaries(text, sections)
    card.fields["conditions"] = extract_conditions(text, sections)
    card.fields["support"] = extract_support(text, sections)
    card.fields["deadline"] = (extract_deadline(text, sections, anchor, getattr(policy, "title", "") or "")
                               if states_windows(policy) else [])
    card.fields["address"] = extract_address(text, sections)
    card.fields["phone"] = extract_phones(text)
    return card


def _signature_date(text: str) -> str | None:
    """The date a notice is signed with, near its end: the anchor when no date is known."""
    dates = find_dates(text[-400:])
    return dates[-1].isoformat() if dates else None


def deadline_from_card(card: PolicyCard, policy) -> Deadline:
    """The normalized application window of a policy from its card's 申报时间 field.

    The first item that yields a window wins (staff items come first when present); auto items
    count only for the kinds of document that state windows (`windows.states_windows`).
    """
    anchor = policy.publish_date or policy.written_date or _signature_date(card_text(policy))
    auto_allowed = states_windows(policy)
    for item in card.get("deadline"):
        if item.origin != "staff" and not auto_allowed:
            continue  # staff may state a window for any document; the rules only for some kinds
        for phrase in (item.value, item.evidence):
            window = parse_window(phrase, anchor) if phrase else None
            if window is not None:
                window.evidence = item.evidence or item.value
                return window
            if phrase and item.origin == "staff":
                dates = find_dates(phrase)
                if dates:
                    return Deadline(kind="window", end=dates[-1].isoformat(), text=phrase,
                                    evidence=phrase)
    return Deadline(kind="unknown")

