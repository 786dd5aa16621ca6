"""The 公众号 digest: the new policies of a period, grouped, one line each, ready to paste.

A federation's WeChat official account posts "本周新政策" every week. The digest lists the
policies published in the period (those a search finds), grouped by 支持方式 (or 文件类型),
each with a one-line summary (its card's 支持标准, else its first sentence that says
something), its deadline and a link.

Formats: `wechat` — HTML with inline styles only: the 公众号 editor drops <style>, scripts,
classes and external resources on paste, so nothing else is relied on; `html` — a whole
page with its own stylesheet (e-mail, a web page); `markdown`; `text`.
"""
from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from policy_search.domain.card import PolicyCard
from policy_search.domain.deadlines import (
    CLOSED, CLOSING, LONG_TERM, NOT_STARTED, OPEN, UNKNOWN, policy_status,
)
from policy_search.domain.models import Policy

FORMATS = ("wechat", "html", "markdown", "text")
GROUPINGS = {"support": "支持方式", "kind": "文件类型", "none": "不分组"}
OTHER_GROUP = "其他政策"
EMPTY = "本期没有新发布的政策。"
FOOTER = "以上内容由政策超市整理，政策以发文机关公布的原文为准。"
SUMMARY_CHARS = 80
MAX_PERIOD_DAYS = 366
_PERIOD = re.compile(r"^\s*(\d{1,3})\s*([dwm天周月])\s*$", re.I)
_UNIT_DAYS = {"d": 1, "天": 1, "w": 7, "周": 7, "m": 30, "月": 30}
_SENTENCE = re.compile(r"[^。；;！!？?\n]+[。；;！!？?]?")
# A sentence that only leads into the text: "现将有关事项通知如下：", "为…，制定本办法。"
_PREAMBLE = re.compile(r"(?:如下|以下)[:：]?\s*$|^(?:各|现将|经研究|根据|为(?:了)?贯彻|为深入贯彻)"
                       r"|^为(?:了)?.*制定本(?:法|条例|办法|规定|细则|方案|意见|措施|规则|决定|计划)")
_NUMBERING = re.compile(r"^\s*(?:[（(][一二三四五六七八九十\d]{1,3}[)）]|[一二三四五六七八九十\d]{1,3}[、.．]"
                        r"|第[一二三四五六七八九十百零〇\d]{1,5}条)\s*")
_HEADING = re.compile(r"^[\u4e00-\u9fff]{2,8}[:：]?$")
# Lines of the document's frame rather than its content: its 文号, its list of 附件.
_FRAME = re.compile(r"^附件[\d一二三四五六七八九十]*[:：]|^\S{1,20}[〔\[［(（]\d{4}[〕\]］)）]\s*\d+\s*号$")


class PeriodError(ValueError):
    """A period the user wrote that cannot be read; the message is Chinese."""


def period_start(since: str, today: dt.date) -> dt.date:
    """The first day of the period: "7d" (since the day a week ago: a weekly digest overlaps
    the last one by a day rather than miss what was published after it), "2w", "1m" (30
    days), or a date (2024-05-01)."""
    text = (since or "").strip()
    match = _PERIOD.match(text)
    if match:
        days = int(match.group(1)) * _UNIT_DAYS[match.group(2).lower()]
        if not 1 <= days <= MAX_PERIOD_DAYS:
            raise PeriodError(f"时间段应在 1–{MAX_PERIOD_DAYS} 天之间")
        return today - dt.timedelta(days=days)
    try:
        start = dt.date.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"无法识别的时间段 {text!r}：写作 7d、2w、1m 或 2024-05-01") from None
    if start > today:
        raise PeriodError("起始日期不能晚于今天")
    if (today - start).days > MAX_PERIOD_DAYS:
        raise PeriodError(f"时间段最长 {MAX_PERIOD_DAYS} 天")
    return start


@dataclass
class DigestItem:
    id: str
    title: str
    link: str | None          # where readers go: the policy's page on the site (else 原文)
    issuer: str | None
    doc_number: str | None
    date: str | None
    summary: str
    deadline: str             # "申报截止 2024-05-31（还剩 12 天）", "长期受理", "" when unknown
    status: str


@dataclass
class DigestGroup:
    name: str
    items: list[DigestItem] = field(default_factory=list)


@dataclass
class Digest:
    title: str
    start: dt.date
    end: dt.date
    description: str          # the search, in words ("地区：长沙县；支持方式：资金补贴奖励")
    groups: list[DigestGroup]
    more_link: str | None = None   # the same search on the site

    @property
    def count(self) -> int:
        return sum(len(g.items) for g in self.groups)


# --- what each policy says in a line ------------------------------------------------

def summary_line(policy: Policy, card: PolicyCard | None) -> str:
    """The 支持标准 of its card, else its first sentence that is not a lead-in; clipped."""
    for value in (card.values("support") if card else []):
        line = _NUMBERING.sub("", value).strip()
        if len(line) >= 4:
            return _clip(line)
    for match in _SENTENCE.finditer(_without_title(policy.body_text or "", policy.title)):
        sentence = _NUMBERING.sub("", match.group(0)).strip()
        if (len(sentence) >= 8 and not _PREAMBLE.search(sentence) and not _HEADING.match(sentence)
                and not _FRAME.search(sentence)):
            return _clip(sentence)
    return ""


def _without_title(body: str, title: str) -> str:
    """The body without the title many pages repeat as its first line (a summary that
    says the title again tells nothing)."""
    head = re.sub(r"\s+", "", title or "")
    if len(head) < 6:
        return body
    taken, matched = 0, 0
    for char in body:
        taken += 1
        if char.isspace():
            continue
        if char != head[matched]:
            return body
        matched += 1
        if matched == len(head):
            return body[taken:]
    return body


def _clip(text: str, limit: int = SUMMARY_CHARS) -> str:
    text = re.sub(r"\s+", " ", text).strip(" ，,;；:：")
    return text if len(text) <= limit else text[:limit - 1].rstrip(" ，,;；:：") + "…"


def deadline_line(policy: Policy, day: dt.date) -> tuple[str, str]:
    """(申报状态, the line a reader needs: the end and days left while open)."""
    deadline = getattr(policy, "deadline", None)
    if deadline is None:
        return UNKNOWN, ""
    status = policy_status(policy, day)
    end = deadline.next_end(day)
    if status in (OPEN, CLOSING) and end is not None:
        left = (end - day).days
        return status, f"申报截止 {end.isoformat()}（{'今天截止' if left == 0 else f'还剩 {left} 天'}）"
    if status == NOT_STARTED:
        return status, f"申报时间 {deadline.describe()}（尚未开始）"
    if status == LONG_TERM:
        return status, "长期受理"
    if status == CLOSED and end is not None:
        return status, f"申报已于 {end.isoformat()} 截止"
    return status, ""


def group_key(policy: Policy, grouping: str, order: list[str]) -> str:
    """The group a policy is listed under: its first 支持方式 in the taxonomy's order (each
    policy is listed once), or its 文件类型."""
    if grouping == "kind":
        return policy.doc_kind or OTHER_GROUP
    if grouping == "none":
        return ""
    values = policy.active_tags().get("support", [])
    ranked = sorted(values, key=lambda v: order.index(v) if v in order else len(order))
    return ranked[0] if ranked else OTHER_GROUP


def grouped(policies: Iterable[Policy], grouping: str, order: list[str]
            ) -> list[tuple[str, list[Policy]]]:
    """Policies by group, groups in the taxonomy's order (others last), order kept inside."""
    groups: dict[str, list[Policy]] = {}
    for policy in policies:
        groups.setdefault(group_key(policy, grouping, order), []).append(policy)
    rank = {name: n for n, name in enumerate(order)}
    return sorted(groups.items(), key=lambda kv: (kv[0] == OTHER_GROUP, rank.get(kv[0], len(rank)),
                                                  kv[0]))


def build_digest(policies: list[Policy], cards: dict[str, PolicyCard], *, start: dt.date,
                 end: dt.date, title: str, description: str = "", grouping: str = "support",
                 order: list[str] | None = None, link_for: Callable[[Policy], str | None],
                 more_link: str | None = None) -> Digest:
    groups = []
    for name, members in grouped(policies, grouping, order or []):
        items = []
        for policy in members:
            status, deadline = deadline_line(policy, end)
            items.append(DigestItem(
                id=policy.id, title=policy.title, link=link_for(policy), issuer=policy.issuer,
                doc_number=policy.doc_number, date=policy.publish_date or policy.written_date,
                summary=summary_line(policy, cards.get(policy.id)), deadline=deadline,
                status=status))
        groups.append(DigestGroup(name, items))
    return Digest(title, start, end, description, groups, more_link)


def period_words(start: dt.date, end: dt.date) -> str:
    if start == end:
        return f"{start.year}年{start.month}月{start.day}日"
    tail = f"{end.month}月{end.day}日" if start.year == end.year else \
        f"{end.year}年{end.month}月{end.day}日"
    return f"{start.year}年{start.month}月{start.day}日—{tail}"


# --- formats --------------------------------------------------------------------------

def render(digest: Digest, fmt: str) -> str:
    renderers = {"wechat": render_wechat, "html": render_html, "markdown": render_markdown,
                 "text": render_text}
    if fmt not in renderers:
        raise ValueError(f"未知的格式 {fmt}（可选：{' / '.join(FORMATS)}）")
    return renderers[fmt](digest)


def _intro(digest: Digest) -> str:
    words = f"{period_words(digest.start, digest.end)}，共 {digest.count} 条新发布政策"
    return words + (f"（{digest.description}）" if digest.description else "") + "。"


def _meta(item: DigestItem) -> str:
    return " · ".join(x for x in (item.issuer, item.doc_number, item.date) if x)


_E = html.escape
# Inline styles of the wechat format (the 公众号 editor keeps style attributes only).
_W = {
    "wrap": "margin:0;padding:0;font-size:15px;line-height:1.75;color:#333333;"
            "font-family:-apple-system,BlinkMacSystemFont,'PingFang SC','Microsoft YaHei',sans-serif;",
    "intro": "margin:0 0 16px;padding:10px 12px;background-color:#f7f7f7;border-radius:4px;"
             "font-size:14px;color:#555555;",
    "group": "margin:24px 0 10px;padding:0 0 0 10px;border-left:4px solid #b3261e;font-size:17px;"
             "font-weight:bold;color:#b3261e;line-height:1.4;",
    "item": "margin:0 0 16px;padding:0 0 12px;border-bottom:1px solid #eeeeee;",
    "title": "margin:0 0 4px;font-size:16px;font-weight:bold;color:#1f2328;line-height:1.5;",
    "summary": "margin:0 0 4px;font-size:15px;color:#333333;",
    "meta": "margin:0 0 2px;font-size:13px;color:#888888;",
    "deadline": "margin:0 0 2px;font-size:14px;font-weight:bold;color:#c0392b;",
    "link": "margin:0;font-size:13px;color:#576b95;word-break:break-all;",
    "a": "color:#576b95;text-decoration:none;",
    "footer": "margin:20px 0 0;font-size:13px;color:#888888;",
}


def _body(digest: Digest, attr: Callable[[str], str]) -> list[str]:
    """The digest's HTML, each element given its look by attr(role): an inline style
    (wechat) or a class (html)."""
    out = [f'<p{attr("intro")}>{_E(_intro(digest))}</p>']
    for group in digest.groups:
        if group.name:
            out.append(f'<p{attr("group")}>{_E(group.name)}（{len(group.items)}）</p>')
        for item in group.items:
            out.append(f'<section{attr("item")}>')
            out.append(f'<p{attr("title")}>{_E(item.title)}</p>')
            for role, line in (("summary", item.summary), ("deadline", item.deadline),
                               ("meta", _meta(item))):
                if line:
                    out.append(f'<p{attr(role)}>{_E(line)}</p>')
            if item.link:
                out.append(f'<p{attr("link")}>详情：<a href="{_E(item.link)}"{attr("a")}>'
                           f'{_E(item.link)}</a></p>')
            out.append("</section>")
    if not digest.count:
        out.append(f'<p{attr("summary")}>{EMPTY}</p>')
    footer = FOOTER
    if digest.more_link:
        footer += f"更多政策：{digest.more_link}"
    out.append(f'<p{attr("footer")}>{_E(footer)}</p>')
    return out


def render_wechat(digest: Digest) -> str:
    """HTML for the 公众号 editor: <section>/<p>/<a> with inline styles, no classes, no
    <style>, no scripts, no images."""
    lines = _body(digest, lambda role: f' style="{_W[role]}"')
    return "\n".join([f'<section style="{_W["wrap"]}">', *lines, "</section>"]) + "\n"


_HTML_STYLE = """
body{margin:0;background:#f6f7f9;color:#1f2328;font:16px/1.7 "Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif}
main{max-width:720px;margin:0 auto;padding:20px 16px 40px;background:#fff}
h1{font-size:1.4rem;margin:0 0 8px}
p{margin:0 0 4px}
.intro{color:#5c6370;margin:0 0 20px}
.group{font-size:1.1rem;font-weight:700;color:#b3261e;border-left:4px solid #b3261e;padding-left:8px;margin:28px 0 10px}
.item{border-bottom:1px solid #dfe3e8;padding:0 0 12px;margin:0 0 14px}
.title{font-weight:700}
.deadline{color:#b3261e;font-weight:600}
.meta,.link,.footer{color:#5c6370;font-size:.9rem}
a{color:#0b57d0;text-decoration:none;word-break:break-all}
"""


def render_html(digest: Digest) -> str:
    """A whole page with its own small stylesheet (e-mail, a web page)."""
    head = ["<!doctype html>", '<html lang="zh-CN">', "<head>", '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_E(digest.title)}</title>", f"<style>{_HTML_STYLE}</style>", "</head>",
            "<body>", "<main>", f"<h1>{_E(digest.title)}</h1>"]
    lines = _body(digest, lambda role: f' class="{role}"' if role != "a" else "")
    return "\n".join([*head, *lines, "</main>", "</body>", "</html>"]) + "\n"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def render_markdown(digest: Digest) -> str:
    out = [f"# {_md(digest.title)}", "", _md(_intro(digest)), ""]
    for group in digest.groups:
        if group.name:
            out += [f"## {_md(group.name)}（{len(group.items)}）", ""]
        for number, item in enumerate(group.items, 1):
            title = f"[{_md(item.title)}](<{item.link}>)" if item.link else _md(item.title)
            out.append(f"{number}. **{title}**")
            for line in (item.summary, item.deadline, _meta(item)):
                if line:
                    out.append(f"   {_md(line)}  ")
            out.append("")
    if not digest.count:
        out += [EMPTY, ""]
    out.append(FOOTER + (f"[查看更多政策](<{digest.more_link}>)" if digest.more_link else ""))
    return "\n".join(out) + "\n"


def render_text(digest: Digest) -> str:
    out = [digest.title, _intro(digest), ""]
    for group in digest.groups:
        if group.name:
            out += [f"【{group.name}】（{len(group.items)}）", ""]
        for number, item in enumerate(group.items, 1):
            out.append(f"{number}. {item.title}")
            out += [f"   {line}" for line in (item.summary, item.deadline, _meta(item), item.link)
                    if line]
            out.append("")
    if not digest.count:
        out += [EMPTY, ""]
    out.append(FOOTER + (f"更多政策：{digest.more_link}" if digest.more_link else ""))
    return "\n".join(out) + "\n"
