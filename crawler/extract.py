"""Detail-page extraction: the fields of one policy from one HTML page.

One generic reader covers the known layouts because they all state their metadata as
label → value pairs (gov.cn `table.bd1` and `policyLibraryOverview_header`, the Hanweb
信息公开 table, Hunan `xxgk_top_frame` lists): labels are recognised by their words, not
by row positions. `<meta>` tags come next, then patterns in the text for unknown pages.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import nh3
from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from lxml import etree

from policy_search.domain.cleaning import clean_body
from policy_search.domain.models import VALIDITIES, Attachment
from policy_search.domain.normalize import clean_doc_number, find_doc_number, parse_date

# Label words (spaces and colons removed) -> field.
LABELS = {
    "标题": "title", "名称": "title", "文件名称": "title", "文件标题": "title",
    "索引号": "index_number",
    "主题分类": "subject", "主题": "subject", "信息分类": "subject", "分类": "subject",
    "发文机关": "issuer", "发文单位": "issuer", "发布机构": "issuer", "发布机关": "issuer",
    "制发机关": "issuer", "发文机构": "issuer", "成文机关": "issuer",
    "发文字号": "doc_number", "文号": "doc_number", "发文文号": "doc_number",
    "成文日期": "written_date", "成文时间": "written_date", "发文日期": "written_date",
    "印发日期": "written_date", "生成日期": "written_date",
    "发布日期": "publish_date", "发布时间": "publish_date", "公开日期": "publish_date",
    "公开时间": "publish_date",
    "有效性": "validity", "时效性": "validity", "效力状态": "validity", "有效状态": "validity",
    "实施日期": "effective_date", "生效日期": "effective_date", "施行日期": "effective_date",
    "废止日期": "expiry_date", "失效日期": "expiry_date", "有效期至": "expiry_date",
}
DATE_FIELDS = ("written_date", "publish_date", "effective_date", "expiry_date")
# Where the body is, most specific first; a source may name its own selector.
BODY_SELECTORS = (
    "#UCAP-CONTENT", "#zoom", ".TRS_UEDITOR", ".TRS_Editor", ".trs_editor_view",
    ".pages_content", ".article-content", ".article_content", "#content", ".content",
)
META_TITLE = ("ArticleTitle", "og:title", "title", "Title")
META_DATE = ("PubDate", "firstpublishedtime", "publishdate", "PublishDate", "pubdate",
             "article:published_time")
ATTACHMENT_EXT = re.compile(
    r"\.(pdf|docx?|xlsx?|et|wps|ofd|zip|rar|7z|txt|csv|pptx?)$", re.I
)
_EMPTY_VALUES = {"", "无", "-", "—", "/", "／", "暂无", "null", "none"}
_BLOCK = frozenset({
    "p", "div", "br", "tr", "td", "th", "li", "ul", "ol", "table", "tbody", "thead",
    "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "blockquote", "pre",
    "dl", "dt", "dd", "center", "form", "hr", "caption", "header", "footer",
})
_SKIP = frozenset({"script", "style", "noscript", "template", "head", "iframe", "object",
                   "select", "button", "input", "textarea"})
_SPACES = re.compile(r"[ \t\r\n\f\v\xa0\u2002\u2003\u2009\u200b]+")
_LABEL_VALUE = re.compile(r"^\s*([\u4e00-\u9fff][\u4e00-\u9fff \u3000\xa0]{0,12}?)\s*[:：]\s*(.*)$", re.S)
_INTERPRETATION_TITLE = re.compile(r"解读|图解|答记者问|政策问答|一图读懂|问答")
_RELATED_DOC = re.compile(r"相关文件|政策原文|原文链接|文件原文|相关政策|原文：")
_RELATED_INTERPRETATION = re.compile(r"相关解读|政策解读|解读文章|图解")
_SIGNATURE_END = re.compile(
    r"(政府|办公厅|办公室|委员会|局|厅|部|委|院|署|会|中心|小组|指挥部|党组|公司)$"
)
_URL_DATE = (
    re.compile(r"/t((?:19|20)\d{2})(\d{2})(\d{2})_\d+"),
    re.compile(r"/((?:19|20)\d{2})-(\d{1,2})/(\d{1,2})/"),
    re.compile(r"/art/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/"),
)
# Bounds on the tree the extractor walks, far above real pages (the shared pages reach
# depth 24, 2,000 elements, 30 links). Past them, elements keep their text but lose
# their tags: a hostile page costs bounded time and memory instead of a RecursionError.
MAX_DEPTH = 150
MAX_ELEMENTS = 20_000
MAX_LINKS = 5_000  # <a> elements considered per page (attachments, interpretations)
_UNREAD = ("script", "style", "noscript", "template")
_PARSER = etree.HTMLParser(encoding="utf-8", huge_tree=True)
ALLOWED_TAGS = {
    "p", "br", "div", "span", "b", "strong", "i", "em", "u", "sub", "sup", "a", "img",
    "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "colgroup", "col",
    "ul", "ol", "li", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
    "pre", "hr", "center",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"}, "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"}, "th": {"colspan", "rowspan", "align"},
    "p": {"align"}, "div": {"align"}, "table": {"border"},
}


@dataclass
class ExtractedPage:
    """What one detail page says, before it becomes a Policy."""

    url: str | None
    title: str | None = None
    issuer: str | None = None
    doc_number: str | None = None
    index_number: str | None = None
    subject: str | None = None
    written_date: str | None = None
    publish_date: str | None = None
    effective_date: str | None = None
    expiry_date: str | None = None
    validity: str = "未知"
    doc_kind: str = "政策原文"
    body_text: str = ""
    body_html: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    # An interpretation's link (or name) of the policy it explains.
    interprets_url: str | None = None
    interprets_title: str | None = None
    # A policy page's links to interpretations of it.
    interpretation_urls: list[str] = field(default_factory=list)
    layout: str = "generic"

    def to_json(self) -> dict:
        return {
            "url": self.url, "title": self.title, "issuer": self.issuer,
            "doc_number": self.doc_number, "index_number": self.index_number,
            "topic": self.subject, "written_date": self.written_date,
            "publish_date": self.publish_date, "effective_date": self.effective_date,
            "expiry_date": self.expiry_date, "validity": self.validity,
            "doc_kind": self.doc_kind, "interprets_url": self.interprets_url,
            "interprets_title": self.interprets_title,
            "interpretation_urls": self.interpretation_urls, "layout": self.layout,
            "body": self.body_text,
            "attachments": [{"name": a.name, "url": a.url, "media_type": a.media_type}
                            for a in self.attachments],
        }


def extract_page(html: str, url: str | None = None, *, body_selector: str | None = None,
                 title_selector: str | None = None) -> ExtractedPage:
    """Every field the page states; missing ones stay None."""
    soup = parse_html(html)
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    page = ExtractedPage(url=url, layout=detect_layout(soup))
    metas = read_meta_tags(soup)
    container = find_body(soup, body_selector)
    # Read label/value pairs outside the body only: body text may contain "标题：" lines.
    if container is not None:
        placeholder = soup.new_tag("span")
        container.replace_with(placeholder)
        labelled = read_labelled_fields(soup)
        placeholder.replace_with(container)
    else:
        labelled = read_labelled_fields(soup)

    page.body_text = clean_body(block_text(container)) if container is not None else ""
    page.body_html = sanitize_html(container, url) if container is not None else ""
    page.attachments = find_attachments(soup, container, url)
    fill_fields(page, labelled, metas, soup, title_selector)
    link_interpretations(page, soup, container, url)
    return page


def parse_html(html: str, unread: tuple[str, ...] = _UNREAD) -> BeautifulSoup:
    """The page as a BeautifulSoup tree of bounded depth and size.

    libxml2 (through lxml, in C) parses first and the tree is bounded there; BeautifulSoup
    reads the bounded result. Parsed directly, BeautifulSoup builds 100,000 unclosed
    <span> as 100,000 levels (its tree walks then recurse or cost depth × size).
    libxml2 itself stops reading a document nested deeper than 2,048 levels. The elements
    named in `unread` (scripts, styles…) are dropped first.
    """
    root = etree.HTML(html.encode("utf-8", "replace"), parser=_PARSER)
    if root is None:  # nothing to parse (empty, or only spaces)
        return BeautifulSoup("", "lxml")
    if unread:
        etree.strip_elements(root, *unread, with_tail=False)
    bound_tree(root)
    return BeautifulSoup(etree.tostring(root, encoding="unicode", method="html"), "lxml")


def bound_tree(root) -> None:
    """Replace by their text the elements past MAX_DEPTH, MAX_ELEMENTS or MAX_LINKS.

    Each limit is found by an XPath query (in C), so a normal page costs three queries
    and nothing else; only the elements past a limit are touched from Python.
    """
    flatten(root.xpath("/*" * (MAX_DEPTH + 1)))  # the topmost elements too deep
    first_past = root.xpath(f"(//*)[{MAX_ELEMENTS + 1}]")
    if first_past:  # it, its later siblings, and the later siblings of its ancestors
        rest = [first_past[0], *first_past[0].itersiblings()]
        rest += [later for ancestor in first_past[0].iterancestors()
                 for later in ancestor.itersiblings()]
        flatten([element for element in rest if isinstance(element.tag, str)])
    flatten(root.xpath(f"(//a)[position() > {MAX_LINKS}]"))


def flatten(elements: list) -> None:
    by_parent: dict = {}
    for element in elements:
        by_parent.setdefault(element.getparent(), set()).add(element)
    for parent, chosen in by_parent.items():
        flatten_children(parent, chosen)


def flatten_children(parent, chosen: set) -> None:
    """Put the text of the chosen children (and their tails) where they stood, in one
    pass over the parent: dropping them one at a time is quadratic in wide pages."""
    pending: list[str] = []
    anchor = None  # the kept child the pending text follows (None: the parent's text)

    def attach() -> None:
        text = "".join(pending)
        pending.clear()
        if anchor is None:
            parent.text = (parent.text or "") + text
        else:
            anchor.tail = (anchor.tail or "") + text

    for child in list(parent):
        if child in chosen:
            pending.append("".join(child.itertext()) + (child.tail or ""))
            parent.remove(child)
        else:
            if pending:
                attach()
            anchor = child
    if pending:
        attach()


def detect_layout(soup: BeautifulSoup) -> str:
    if soup.select_one("div.policyLibraryOverview_header"):
        return "govcn-new"
    if soup.select_one("table.bd1"):
        return "govcn-old"
    if soup.select_one(".xxgk_top_frame"):
        return "hunan-xxgk"
    if soup.find("meta", attrs={"name": "ArticleTitle"}) and soup.select_one("#zoom"):
        return "hanweb"
    if soup.select_one(".TRS_Editor, .TRS_UEDITOR"):
        return "trs"
    return "generic"


def read_meta_tags(soup: BeautifulSoup) -> dict[str, str]:
    metas: dict[str, str] = {}
    for meta in soup.find_all("meta"):
        name = meta.get("name") or meta.get("property")
        content = meta.get("content")
        if name and content and content.strip() and name not in metas:
            metas[name] = content.strip()
    return metas


def find_body(soup: BeautifulSoup, body_selector: str | None = None) -> Tag | None:
    for selector in ((body_selector,) if body_selector else ()) + BODY_SELECTORS:
        found = soup.select_one(selector)
        if found is not None and clean_space(found.get_text()):
            return found
    return densest_block(soup)


def densest_block(soup: BeautifulSoup) -> Tag | None:
    """The element holding the most paragraph text that is not link text."""
    scores: dict[int, tuple[int, Tag]] = {}
    for para in soup.find_all(["p", "br"]):
        parent = para.parent
        if parent is None:
            continue
        text = para.get_text() if para.name == "p" else str(para.next_sibling or "")
        weight = len(clean_space(text)) - 3 * sum(len(a.get_text()) for a in para.find_all("a"))
        if weight > 0:
            current = scores.get(id(parent), (0, parent))
            scores[id(parent)] = (current[0] + weight, parent)
    if scores:
        return max(scores.values(), key=lambda item: item[0])[1]
    candidates = soup.find_all(["div", "td", "article", "section"])
    best, best_score = None, 0
    for element in candidates:
        if element.find(["div", "td", "article", "section"]):
            continue
        text = len(clean_space(element.get_text()))
        links = sum(len(a.get_text()) for a in element.find_all("a"))
        if text - 3 * links > best_score:
            best, best_score = element, text - 3 * links
    return best or soup.body


def clean_space(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def text_head(element: Tag, length: int) -> str:
    """The start of clean_space(element.get_text()), at least `length` characters when the
    text has them: reads no further, so asking it of a large parent per link stays cheap."""
    parts: list[str] = []
    seen = 0
    for string in element.strings:
        parts.append(string)
        seen += len(string.strip())
        if seen >= length:
            break
    return clean_space("".join(parts))


def block_text(element: Tag) -> str:
    """Text with one line per paragraph, table cell or line break."""
    lines: list[str] = []
    current: list[str] = []

    def flush() -> None:
        line = clean_space("".join(current)).strip("\u3000 ")
        current.clear()
        if line:
            lines.append(line)

    def walk(node: Tag, depth: int) -> None:
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                if type(child) is NavigableString:
                    current.append(str(child))
                continue
            if not isinstance(child, Tag) or child.name in _SKIP:
                continue
            if child.name == "br":
                flush()
            elif child.name in _BLOCK:
                flush()
                if depth > 300:  # pathological nesting: keep the text, lose the lines
                    current.append(child.get_text(" "))
                else:
                    walk(child, depth + 1)
                flush()
            else:
                walk(child, depth + 1)

    walk(element, 0)
    flush()
    return "\n".join(lines)


def sanitize_html(element: Tag, base_url: str | None) -> str:
    """The body as safe HTML: tables, paragraphs and links kept, scripts and styles gone."""
    if base_url:
        for tag, attr in (("a", "href"), ("img", "src")):
            for node in element.find_all(tag):
                if node.get(attr):
                    node[attr] = urljoin(base_url, node[attr].strip())
    return nh3.clean(
        str(element), tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https"}, link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def read_labelled_fields(soup: BeautifulSoup) -> dict[str, str]:
    """label → value pairs from metadata tables and lists; the first value per field wins."""
    found: dict[str, str] = {}
    for element in soup.find_all(["td", "th", "li", "dt", "span", "p", "div", "b", "strong"]):
        if element.find(["td", "li", "table", "div", "p"]):
            continue
        text = element.get_text(" ").replace("\u3000", " ").replace("\xa0", " ")
        if not text.strip() or len(text) > 300:
            continue
        pair = label_value(text)
        if pair is None:
            continue
        name, value = pair
        if value is None:
            sibling = next_value_element(element)
            value = sibling.get_text(" ") if sibling is not None else ""
        value = clean_space(value.replace("\u3000", " "))
        if name not in found and value.lower() not in _EMPTY_VALUES:
            found[name] = value
        elif name not in found:
            found[name] = ""
    return {k: v for k, v in found.items() if v}


def label_value(text: str) -> tuple[str, str | None] | None:
    """(field, value) for 'label：value', (field, None) for a bare label, else None."""
    match = _LABEL_VALUE.match(text)
    if match:
        name = LABELS.get(re.sub(r"\s+", "", match.group(1)))
        if name:
            value = match.group(2).strip()
            return name, value if value else None
        return None
    bare = re.sub(r"\s+", "", text)
    name = LABELS.get(bare)
    return (name, None) if name else None


def next_value_element(element: Tag) -> Tag | None:
    # A bare label inside <b>/<span> sits in a cell: its value is the next cell.
    node = element
    while node is not None and node.name in ("b", "strong", "span") and node.parent is not None:
        text = clean_space(node.get_text())
        if text_head(node.parent, len(text) + 1) != text:
            break
        node = node.parent
    sibling = node.find_next_sibling() if node is not None else None
    return sibling


def fill_fields(page: ExtractedPage, labelled: dict[str, str], metas: dict[str, str],
                soup: BeautifulSoup, title_selector: str | None) -> None:
    page.title = clean_title(
        labelled.get("title") or first_meta(metas, META_TITLE)
        or selected_text(soup, title_selector) or heading_title(soup) or page_title(soup)
    )
    page.issuer = labelled.get("issuer") or metas.get("ContentSource") or None
    doc_number = labelled.get("doc_number")
    page.doc_number = clean_doc_number(doc_number) if doc_number else None
    page.index_number = labelled.get("index_number")
    page.subject = labelled.get("subject")
    for name in DATE_FIELDS:
        setattr(page, name, safe_date(labelled.get(name)))
    page.validity = normalize_validity(labelled.get("validity"))

    lines = page.body_text.splitlines()
    if page.publish_date is None:
        page.publish_date = (safe_date(first_meta(metas, META_DATE))
                             or date_in_page_text(soup) or date_in_url(page.url))
    if page.written_date is None:
        page.written_date = signature_date(lines) or page.publish_date
    if page.layout == "generic":
        # Unknown pages: the 文号 near the top, the signature above the closing date.
        if page.doc_number is None:
            head = "\n".join(lines[:8])
            page.doc_number = clean_doc_number(find_doc_number(head)) if head else None
        if page.issuer is None:
            page.issuer = signature_issuer(lines)
    if page.title and _INTERPRETATION_TITLE.search(page.title):
        page.doc_kind = "政策解读"
    elif page.title and re.search(r"申报|申请.{0,6}(通知|指南)|征集.{0,10}项目", page.title):
        page.doc_kind = "申报通知"


def first_meta(metas: dict[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        if metas.get(name):
            return metas[name]
    return None


def selected_text(soup: BeautifulSoup, selector: str | None) -> str | None:
    if not selector:
        return None
    found = soup.select_one(selector)
    return clean_space(found.get_text()) if found else None


def heading_title(soup: BeautifulSoup) -> str | None:
    for selector in ("h1", ".article-title", ".title", "h2"):
        found = soup.select_one(selector)
        if found is not None:
            text = clean_space(found.get_text())
            if 4 <= len(text) <= 200:
                return text
    return None


def page_title(soup: BeautifulSoup) -> str | None:
    if soup.title is None:
        return None
    text = clean_space(soup.title.get_text())
    # "文件标题_栏目_网站名": the longest part is the document's title.
    parts = [p.strip() for p in re.split(r"\s*[_|｜]\s*|\s+-\s+", text) if p.strip()]
    return max(parts, key=len) if parts else None


def clean_title(title: str | None) -> str | None:
    if not title:
        return None
    title = re.sub(r"<[^>]+>", "", title)
    return clean_space(title.replace("\u3000", " ")) or None


def safe_date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return parse_date(value)
    except ValueError:
        return None


def normalize_validity(value: str | None) -> str:
    if not value:
        return "未知"
    value = clean_space(value)
    for known in ("部分失效", "失效", "废止", "有效"):
        if known in value:
            return "有效" if value in ("现行有效", "有效") or known == "有效" else known
    return value if value in VALIDITIES else "未知"


_DATE_LINE = re.compile(
    r"^[\s(（]*((?:19|20)\d{2}\s*[年.\-/]\s*\d{1,2}\s*[月.\-/]\s*\d{1,2}\s*日?"
    r"|[〇○零一二三四五六七八九OＯ]{4}年[一二三四五六七八九十]{1,3}月[一二三四五六七八九十]{1,3}日)[\s)）]*$"
)


def signature_date(lines: list[str]) -> str | None:
    """The date line closing the document (成文日期 of a signed notice)."""
    for line in reversed(lines[-12:]):
        if _DATE_LINE.match(line.replace("\u3000", " ")):
            return safe_date(line)
    return None


def signature_issuer(lines: list[str]) -> str | None:
    tail = lines[-12:]
    for index in range(len(tail) - 1, 0, -1):
        if _DATE_LINE.match(tail[index].replace("\u3000", " ")):
            candidate = clean_space(tail[index - 1].replace("\u3000", " "))
            if 2 <= len(candidate) <= 40 and _SIGNATURE_END.search(candidate):
                return candidate
    return None


def date_in_page_text(soup: BeautifulSoup) -> str | None:
    text = soup.get_text(" ")[:20000]
    match = re.search(r"(?:发布|公开|发文)(?:日期|时间)\s*[:：]\s*([0-9年月日.\-/ ]{8,20})", text)
    return safe_date(match.group(1)) if match else None


def date_in_url(url: str | None) -> str | None:
    if not url:
        return None
    for pattern in _URL_DATE:
        match = pattern.search(url)
        if match:
            return safe_date("-".join(match.groups()))
    return None


def is_attachment_url(url: str) -> bool:
    path = urlsplit(url).path
    return bool(ATTACHMENT_EXT.search(path))


_ATTACHMENT_BLOCK = re.compile(r"fujian|attach|xgfj|appendix", re.I)


def is_attachment_block(tag: Tag) -> bool:
    # Plain attribute checks: CSS substring selectors cost more than the whole parse.
    classes = tag.get("class")
    names = " ".join(classes) if isinstance(classes, list) else (classes or "")
    return bool(_ATTACHMENT_BLOCK.search(names + " " + (tag.get("id") or "")))


def find_attachments(soup: BeautifulSoup, container: Tag | None, base_url: str | None
                     ) -> list[Attachment]:
    """Document links in the body and in the page's attachment blocks, each once."""
    areas: list[Tag] = [container] if container is not None else []
    areas += soup.find_all(is_attachment_block)
    seen: set[str] = set()
    found: list[Attachment] = []
    for area in areas:
        for link in area.find_all("a", href=True):
            href = link["href"].strip()
            if href.startswith(("javascript:", "mailto:", "#")):
                continue
            absolute = urljoin(base_url, href) if base_url else href
            if not is_attachment_url(absolute) or absolute in seen:
                continue
            seen.add(absolute)
            name = clean_space(link.get_text()) or absolute.rsplit("/", 1)[-1]
            found.append(Attachment(name=name, url=absolute, media_type=media_type_for(absolute)))
    return found


MEDIA_TYPES = {
    "pdf": "application/pdf", "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ofd": "application/ofd", "wps": "application/vnd.ms-works", "et": "application/vnd.ms-excel",
    "zip": "application/zip", "rar": "application/vnd.rar", "txt": "text/plain",
    "csv": "text/csv",
}


def media_type_for(url: str) -> str:
    ext = urlsplit(url).path.rsplit(".", 1)[-1].lower()
    return MEDIA_TYPES.get(ext, "application/octet-stream")


def link_interpretations(page: ExtractedPage, soup: BeautifulSoup, container: Tag | None,
                         base_url: str | None) -> None:
    """Who explains whom: an interpretation's 相关文件 link, a policy's 相关解读 links."""
    listed = set(page.interpretation_urls)
    for link in soup.find_all("a", href=True, limit=MAX_LINKS):
        href = link["href"].strip()
        if href.startswith(("javascript:", "#", "mailto:")) or is_attachment_url(href):
            continue
        text = clean_space(link.get_text())
        # Only the start of the line the link stands in is read: its parent may be the
        # whole page.
        context = text_head(link.parent, 40)[:40] if link.parent is not None else text
        absolute = urljoin(base_url, href) if base_url else href
        if page.doc_kind == "政策解读":
            if page.interprets_url is None and _RELATED_DOC.search(context) and text:
                page.interprets_url, page.interprets_title = absolute, text
        elif (_RELATED_INTERPRETATION.search(context) or text.startswith("解读")) \
                and _INTERPRETATION_TITLE.search(text):
            if absolute not in listed:
                listed.add(absolute)
                page.interpretation_urls.append(absolute)
    if page.doc_kind == "政策解读" and page.interprets_title is None and page.title:
        named = re.search(r"《(.+?)》", page.title)
        if named:
            page.interprets_title = named.group(1)
        else:
            body_named = re.search(r"(?:相关文件|政策原文)[:：]\s*(\S.{3,80})", page.body_text)
            if body_named:
                page.interprets_title = body_named.group(1).strip()


def title_key(text: str) -> str:
    """Width-folded text without spaces: for comparing titles across sites."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))
