"""Body text without what the page put around the document: site chrome and markdown marks.

Government pages wrap a document in furniture — "下载 打印 全屏 收藏", "【字号：加大 还原 减小】",
"分享到", "扫一扫在手机打开当前页", "打印本页 关闭窗口", breadcrumbs, related links — and some
exports are markdown ("## 第一章 总则", "**…**", tables). Crawled or imported as text, that
furniture starts snippets and card evidence. The importer and the crawler's extraction both
pass bodies through `clean_body`.

Conservative by design: a line is removed only when it is nothing but chrome (or a run of
chrome lines holds it, like the 大 / 中 / 小 of a 字号 switch), and text glued to the
document is cut only at its very end. A line that says anything else stays.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# Lines that are chrome by themselves (compared without spaces, brackets and separators).
_STRONG = {
    "下载", "打印", "全屏", "收藏", "关闭", "关闭窗口", "打印本页", "打印此页", "打印页面",
    "返回顶部", "返回首页", "分享", "分享到", "分享到微信", "分享到微博", "分享到QQ空间",
    "分享到朋友圈", "微信扫一扫", "扫一扫在手机打开当前页", "扫一扫在手机打开", "扫一扫在手机上查看当前页面",
    "用手机扫描二维码", "放大字体", "缩小字体", "默认字体", "字号", "字体", "相关附件", "相关链接",
    "相关文档", "相关报道", "相关阅读", "相关新闻", "点击图片进入专题", "浏览次数", "阅读量", "访问量",
    "责任编辑", "关闭本页", "我要纠错", "纠错", "打印本文", "视力保护色", "我要打印", "打印文章",
    "扫一扫", "手机扫一扫", "扫码阅读", "扫码阅读手机版", "手机阅读", "手机版", "护眼", "护眼模式",
    "无障碍", "无障碍浏览", "长者模式", "关怀版", "适老版", "阅读次数",
}
# Lines that are chrome only beside strong ones (the sizes of a 字号 switch, separators).
_WEAK = {"大", "中", "小", "加大", "还原", "减小", "默认", "首页", "更多", "×",
         # where a share button sends the page: beside "分享" only
         "微信", "微博", "QQ", "QQ空间", "QQ好友", "朋友圈", "新浪微博", "腾讯微博", "人人网", "豆瓣"}
_SEPARATORS = re.compile(r"[\s\u3000【】\[\]()（）<>《》|｜·•:：>»«、,，/]+")
_COUNTER_PART = r"(?:浏览次数|阅读次数|浏览量|阅读量|阅读数|访问量|点击数|点击量|点击率)[:：]?\s*\d*\s*(?:次)?"
_COUNTER = re.compile(rf"^{_COUNTER_PART}$")
_EDITOR = re.compile(r"^[\[【]?责任编辑[:：]\s*([\u4e00-\u9fff]{0,4})[\]】]?$")
_HEX_KEY = re.compile(r"^[0-9a-f]{16,}:?$")
# links to the neighbouring documents: another document's title, never this one's text
_NEIGHBOUR = re.compile(r"^[【\[]?(?:上一篇|下一篇|上一条|下一条|上一页|下一页)[】\]]?\s*[:：]")
# a site's footer: its copyright and registration numbers
_FOOTER = re.compile(r"^版权所有|ICP备\s*\d|公网安备\s*\d|网站标识码\s*[:：]?\s*[0-9A-Za-z]")
_BREADCRUMB = re.compile(r"^(?:您的位置|您现在的位置|当前位置|所在位置)[:：]?(?:\s*首页)?\s*[>＞]?$")
_INLINE_CONTROLS = re.compile(
    r"(?:[\[【](?:放大字体|缩小字体|默认字体|打印|关闭窗口|关闭|返回顶部|收藏|打印本页)[\]】]\s*){2,}")
_SIZE_SWITCH = re.compile(r"[【\[]?\s*(?:字号|字体)\s*[:：]\s*(?:(?:大|中|小|加大|还原|减小|默认)\s*){2,}[】\]]?"
                          # bracketed without its label ("【大 中 小】"), or the letters of a
                          # switch ("A+ A A-", "字号：T | T")
                          r"|[【\[]\s*大\s*中\s*小\s*[】\]]"
                          r"|(?:(?:字号|字体)\s*[:：]?\s*)?(?:A[+＋]\s*A\s*A[-－]|A[-－]\s*A\s*A[+＋]|T\s*[|｜]\s*T)")
# At the very end of a body, glued to the last sentence ("…厅。字号").
_GLUED_TAIL = re.compile(r"(?<=[。）)」』”\"\n日发开])\s*(?:字号|打印本页|关闭窗口|扫一扫在手机打开当前页|返回顶部)\s*$")
# A page's byline above the document ("来源：黑龙江日报", "时间：2026-02-26", "发布时间：…
# 浏览次数：…"): looked for only among its first lines and before the text begins (a line
# with a sentence), whole lines only; "来源：…" after the text is the document's own.
BYLINE_LINES = 12
_TEXT_BEGUN = re.compile(r"[。；;！？]|.{60}")
_BYLINE_PART = (r"(?:(?:信息|文章|稿件|新闻)?来源[:：]\s*[^\s。，；:：]{1,20}"
                r"|(?:发布|发稿|更新)?(?:时间|日期)[:：]\s*\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?"
                r"|(?:作者|编辑|责任编辑)[:：]\s*[\u4e00-\u9fff]{0,4}"
                rf"|{_COUNTER_PART})")
_BYLINE = re.compile(rf"^{_BYLINE_PART}(?:[\s\u3000|｜]*{_BYLINE_PART})*$")
# markdown
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?=\S)")
_MD_QUOTE = re.compile(r"^\s{0,3}>\s+(?=\S)")
_MD_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$")
_MD_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_MD_TABLE_ROW = re.compile(r"^\s*\|(.+)\|\s*$")
_MD_BOLD = re.compile(r"(?<![*\w])(\*\*|__)(?=\S)([^*_\n]+?)(?<=\S)\1(?![*\w])")
_MD_LINK = re.compile(r"!?\[([^\]\n]+)\]\((?:https?://|/)[^)\s]*\)")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)


def clean_body(text: str | None) -> str:
    """The body without page chrome and markdown marks; real content is never removed."""
    if not text:
        return ""
    text = _HTML_COMMENT.sub("", text)
    lines = [_clean_line(line) for line in text.splitlines()]
    lines = _drop_chrome(lines)
    lines = _drop_byline(lines)
    body = "\n".join(line for line in lines if line.strip())
    for _ in range(3):
        stripped = _GLUED_TAIL.sub("", body).rstrip()
        if stripped == body:
            break
        body = stripped
    return body


def _drop_byline(lines: list[str]) -> list[str]:
    """Without the byline lines above the document's text: among the first BYLINE_LINES
    lines that say something, before the first line with a sentence, and with text after
    them (a last line "来源：…" closes the document)."""
    seen, begun = 0, False
    byline = set()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or begun or seen >= BYLINE_LINES:
            continue
        seen += 1
        if _BYLINE.match(stripped):
            byline.add(i)
        else:
            begun = bool(_TEXT_BEGUN.search(stripped))
    last_text = max((i for i, line in enumerate(lines) if line.strip() and i not in byline), default=-1)
    return [line for i, line in enumerate(lines) if i not in byline or i > last_text]


def _clean_line(line: str) -> str:
    if _MD_TABLE_SEPARATOR.match(line) and "-" in line:
        return ""
    row = _MD_TABLE_ROW.match(line)
    if row:
        line = "\u3000".join(cell.strip() for cell in row.group(1).split("|"))
    if _MD_RULE.match(line):
        return ""
    line = _MD_HEADING.sub("", line)
    line = _MD_QUOTE.sub("", line)
    line = _MD_LINK.sub(r"\1", line)
    line = _MD_BOLD.sub(r"\2", line)
    line = _INLINE_CONTROLS.sub("", line)
    return _SIZE_SWITCH.sub("", line) if _SIZE_SWITCH.fullmatch(line.strip()) else line


def _kind(line: str) -> str:
    """'strong' / 'weak' chrome, 'text', or '' for an empty line."""
    stripped = line.strip()
    if not stripped:
        return ""
    if _COUNTER.match(stripped) or _EDITOR.match(stripped) or _HEX_KEY.match(stripped) \
            or _NEIGHBOUR.match(stripped) or _FOOTER.search(stripped):
        return "strong"
    words = [w for w in _SEPARATORS.split(stripped) if w]
    if not words:
        return "weak"  # brackets and separators only: "【", "】", "|", ">"
    if all(w in _STRONG or w in _WEAK for w in words):
        return "strong" if any(w in _STRONG for w in words) else "weak"
    return "text"


def _drop_chrome(lines: list[str]) -> list[str]:
    kinds = [_kind(line) for line in lines]
    keep = [True] * len(lines)
    # a breadcrumb: 您的位置 首页 > 栏目 > 栏目
    for i, line in enumerate(lines):
        if _BREADCRUMB.match(line.strip()):
            keep[i] = False
            j = i + 1
            while j < len(lines):
                item = lines[j].strip()
                if item in (">", "＞", "»") or (kinds[j] in ("weak", "strong")):
                    keep[j] = False
                    j += 1
                    continue
                if j + 1 < len(lines) and lines[j + 1].strip() in (">", "＞", "»") and len(item) <= 12:
                    keep[j] = False
                    j += 1
                    continue
                if j > i + 1 and lines[j - 1].strip() in (">", "＞", "»") and len(item) <= 12:
                    keep[j] = False  # the last crumb
                break
    # runs of chrome lines: removed when one of them is certainly chrome
    i = 0
    while i < len(lines):
        if kinds[i] not in ("strong", "weak"):
            i += 1
            continue
        j = i
        while j < len(lines) and kinds[j] in ("strong", "weak", ""):
            j += 1
        if any(kinds[k] == "strong" for k in range(i, j)):
            for k in range(i, j):
                keep[k] = False
            # the title of a related link follows its key; an editor's name its label
            for k in range(i, j):
                stripped = lines[k].strip()
                if _HEX_KEY.match(stripped) and j < len(lines) and k == j - 1:
                    keep[j] = False
                editor = _EDITOR.match(stripped)
                if editor and not editor.group(1) and k == j - 1 and j < len(lines) \
                        and re.fullmatch(r"[\u4e00-\u9fff]{2,4}", lines[j].strip()):
                    keep[j] = False
        i = max(j, i + 1)
    # "上一篇：" on a line of its own: the neighbour's title is the next line
    for i, line in enumerate(lines):
        label = _NEIGHBOUR.match(line.strip())
        if label and not line.strip()[label.end():].strip():
            j = next((k for k in range(i + 1, len(lines)) if lines[k].strip()), None)
            if j is not None and len(lines[j].strip()) <= 80 and not _TEXT_BEGUN.search(lines[j].strip()):
                keep[j] = False
    # hex keys with their link title in the middle of a related-links block
    for i, line in enumerate(lines):
        if _HEX_KEY.match(line.strip()) and i + 1 < len(lines) and not keep[i]:
            keep[i + 1] = keep[i + 1] and not (i + 2 < len(lines) and (
                not keep[i + 2] or _HEX_KEY.match(lines[i + 2].strip())))
    return [line for line, kept in zip(lines, keep) if kept]


@dataclass
class CleanSummary:
    policies: int = 0
    cleaned: int = 0
    chars_removed: int = 0


def clean_stored_bodies(store, *, dry_run: bool = False, batch_size: int = 500,
                        progress: Callable[[int, int], None] | None = None) -> CleanSummary:
    """Pass every stored body through `clean_body`; write only the ones that change (the
    index follows them through the change log, enrich re-derives their tags and cards)."""
    summary = CleanSummary()
    total = store.policies.count()
    after = ""
    while True:
        batch = store.policies.body_texts(after, batch_size)
        if not batch:
            break
        with store.transaction():  # one commit per batch
            for policy_id, body in batch:
                summary.policies += 1
                cleaned = clean_body(body)
                if cleaned == body:
                    continue
                summary.cleaned += 1
                summary.chars_removed += len(body) - len(cleaned)
                if not dry_run:
                    store.policies.replace_body_text(policy_id, cleaned)
        after = batch[-1][0]
        if progress:
            progress(summary.policies, total)
    return summary
