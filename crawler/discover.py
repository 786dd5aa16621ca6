"""List discovery: the detail URLs a list page or list API names, and how many pages follow.

Families: TRS WCM static lists (`index_N.html`, page count in `createPageHTML(N, …)`),
Hanweb JCMS (`dataproxy.jsp` answering XML records), Guangdong gkmlpt (JSON), and the
gov.cn policy-library search API (JSON).
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urljoin, urlsplit

from policy_search.domain.normalize import find_doc_number, parse_date

from crawler.extract import parse_html

_PAGE_COUNT = re.compile(r"createPageHTML\s*\(([^)]*)\)")
_COUNT_VAR = re.compile(r"(?:countPage|pageCount|totalPage)\s*[=:]\s*['\"]?(\d+)")
_DATE = re.compile(r"(?:19|20)\d{2}\s*[-./年]\s*\d{1,2}\s*[-./月]\s*\d{1,2}")
_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
_TOTAL_RECORD = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>|totalRecord\s*[:=]\s*['\"]?(\d+)", re.I)
_DATAPROXY = re.compile(r"[\w/.:-]*dataproxy\.jsp\?[^\"'<>\s\]]+")
_HIGHLIGHT = re.compile(r"</?em>|<[^>]+>")
MAX_ROW_CHARS = 1000


@dataclass
class ListItem:
    url: str
    title: str | None = None
    date: str | None = None
    doc_number: str | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class ListPage:
    items: list[ListItem]
    page_count: int | None = None


def safe_date(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return parse_date(text)
    except ValueError:
        return None


def parse_link_list(html: str, base_url: str, is_item, link_selector: str | None = None
                    ) -> ListPage:
    """Item links of a static list page (TRS and most others) and its page count."""
    # Bounded like a detail page (depth, elements, links); <noscript> fallbacks kept.
    soup = parse_html(html, unread=())
    links = soup.select(link_selector) if link_selector else soup.find_all("a", href=True)
    items: list[ListItem] = []
    seen: set[str] = set()
    row_texts: dict[int, str] = {}  # links sharing a row (or a large parent) read it once
    for link in links:
        href = (link.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        url = urljoin(base_url, href)
        if url in seen or not is_item(url):
            continue
        seen.add(url)
        title = (link.get("title") or link.get_text(" ")).strip() or None
        row = link.find_parent(["li", "tr", "dd", "p"]) or link.parent
        if row is None:
            row_text = ""
        elif id(row) in row_texts:
            row_text = row_texts[id(row)]
        else:
            # A row's date and 文号 sit near its link; a parent holding thousands of
            # links is no row, and searching all of it per link would be quadratic.
            row_text = row_texts[id(row)] = row.get_text(" ")[:MAX_ROW_CHARS]
        date_match = _DATE.search(row_text.replace(title or "", ""))
        items.append(ListItem(
            url=url, title=" ".join(title.split()) if title else None,
            date=safe_date(date_match.group(0)) if date_match else None,
            doc_number=find_doc_number(row_text.replace(title or "", "")),
        ))
    return ListPage(items=items, page_count=trs_page_count(html))


def trs_page_count(html: str) -> int | None:
    """N of `createPageHTML(N, current, "index", "html")` (or a countPage variable)."""
    match = _PAGE_COUNT.search(html)
    if match:
        for argument in match.group(1).split(","):
            argument = argument.strip().strip("'\"")
            if argument.isdigit():
                return int(argument)
    match = _COUNT_VAR.search(html)
    return int(match.group(1)) if match else None


def trs_page_url(entry, index: int) -> str:
    """URL of list page `index` (0 = the first page) of a TRS entry."""
    if index == 0:
        return entry.url
    template = entry.page_url or re.sub(r"index(\.\w+)$", r"index_{n}\1", entry.url)
    if "{n}" not in template:
        raise ValueError(f"page_url needs {{n}}: {template}")
    return template.format(n=entry.first_n + index - 1)


# --- Hanweb JCMS -------------------------------------------------------------

def hanweb_proxy(html: str, column_url: str) -> tuple[str, dict[str, str]] | None:
    """(dataproxy.jsp URL, form fields) from a Hanweb column page, or None."""
    match = _DATAPROXY.search(html.replace("&amp;", "&"))
    if not match:
        return None
    proxy = urljoin(column_url, match.group(0))
    params = dict(parse_qsl(urlsplit(proxy).query, keep_blank_values=True))
    form = {"col": "1", "appid": params.get("appid", "1"), "webid": params.get("webid", ""),
            "path": params.get("path", "/"), "columnid": params.get("columnid", ""),
            "sourceContentType": params.get("sourceContentType", "1"),
            "unitid": params.get("unitid", ""), "webname": params.get("webname", ""),
            "permissiontype": params.get("permissiontype", "0")}
    base = urljoin(column_url, urlsplit(proxy).path)
    return base, form


def hanweb_records_url(proxy_base: str, start: int, per_request: int = 45, perpage: int = 15) -> str:
    return f"{proxy_base}?startrecord={start}&endrecord={start + per_request - 1}&perpage={perpage}"


def parse_hanweb_records(xml: str, base_url: str, is_item) -> tuple[list[ListItem], int | None]:
    """Items of a dataproxy.jsp answer (or of a column page's inline datastore) and the total."""
    items: list[ListItem] = []
    for record in _RECORD.findall(xml):
        page = parse_link_list(record, base_url, is_item)
        items.extend(page.items)
    total = _TOTAL_RECORD.search(xml)
    count = int(total.group(1) or total.group(2)) if total else None
    return items, count


# --- JSON APIs ---------------------------------------------------------------

def parse_gkmlpt(text: str, base_url: str, page_size_hint: int = 100) -> ListPage:
    data = json.loads(text)
    items = []
    for article in data.get("articles") or []:
        url = article.get("url")
        if not url:
            continue
        created = article.get("create_time") or article.get("first_publish_time")
        date = None
        if isinstance(created, (int, float)):
            date = dt.datetime.fromtimestamp(created, dt.timezone(dt.timedelta(hours=8))).date().isoformat()
        else:
            date = safe_date(str(created)) if created else None
        items.append(ListItem(url=urljoin(base_url, url), title=article.get("title"), date=date,
                              doc_number=article.get("document_number") or None,
                              extra={"issuer": article.get("publisher")}))
    total = data.get("total")
    per_page = len(data.get("articles") or []) or page_size_hint
    pages = -(-int(total) // per_page) if isinstance(total, int) and per_page else None
    return ListPage(items=items, page_count=pages)


def parse_govcn_api(text: str, base_url: str) -> ListPage:
    """The sousuo.www.gov.cn search API: code 200 ok, 1001 no hits."""
    data = json.loads(text)
    code = data.get("code")
    if code == 1001:
        return ListPage(items=[], page_count=0)
    if code not in (200, "200", None):
        raise ValueError(f"gov.cn 检索接口返回 code={code}: {data.get('msg', '')}")
    vo = data.get("searchVO") or {}
    records = list(vo.get("listVO") or [])
    for category in (vo.get("catMap") or {}).values():
        records.extend((category or {}).get("listVO") or [])
    items = []
    for record in records:
        url = record.get("url")
        if not url:
            continue
        date = safe_date(record.get("pubtimeStr"))
        if date is None and isinstance(record.get("pubtime"), (int, float)):
            date = dt.datetime.fromtimestamp(record["pubtime"] / 1000,
                                             dt.timezone(dt.timedelta(hours=8))).date().isoformat()
        items.append(ListItem(
            url=urljoin(base_url, url), title=_HIGHLIGHT.sub("", record.get("title") or "") or None,
            date=date, doc_number=record.get("pcode") or None,
            extra={"issuer": record.get("puborg"), "index_number": record.get("index"),
                   "subject": record.get("childtype")},
        ))
    pages = vo.get("totalpage")
    return ListPage(items=items, page_count=int(pages) if str(pages or "").isdigit() else None)
