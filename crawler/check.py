"""Checking a source before trusting it: each entry's first list page and one detail page.

`check_source` asks the source's sites what a crawl would ask first — through the same
Fetcher (robots.txt, per-host delay, the source's hosts, public addresses only for an
admin-added source) — and reports, per entry, how many items the first list page names
and which fields the first of them yields. A list with no items, an error, or a detail
page without a title, date or body is a problem, said in Chinese.

`fields_present` is the same judgement on every page a crawl stores: a crawl counts it
per source, so the dashboard notices when a source's pages start losing fields.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

from policy_search.domain.models import CHECKED_FIELDS, REQUIRED_FIELDS
from policy_search.domain.store import Store, now
from policy_search.domain.url_safety import check_url

from crawler import discover
from crawler.discover import ListItem
from crawler.extract import extract_page
from crawler.fetch import FetchError, Fetcher, FetchPolicy
from crawler.sources import CHECK_KEY, Entry, Source

MIN_BODY_CHARS = 20
SAMPLE_ITEMS = 3
# A trial of a source not yet saved (its link pattern, on the admin's form) lists more.
TRIAL_ITEMS = 20
# A check answers an admin waiting on a page: short timeouts, no retries.
QUICK_TIMEOUTS = {"connect_timeout": 5.0, "read_timeout": 10.0, "retries": 0}


def fields_present(page) -> list[str]:
    """The checked fields a page (an ExtractedPage or a Policy) has."""
    found = [name for name in ("title", "publish_date", "issuer", "doc_number")
             if (getattr(page, name, None) or "").strip()]
    if len((page.body_text or "").strip()) >= MIN_BODY_CHARS:
        found.append("body")
    return found


@dataclass
class DetailCheck:
    url: str
    fields: dict[str, str | None] = field(default_factory=dict)  # name -> value shown
    missing: list[str] = field(default_factory=list)
    body_chars: int = 0
    attachments: int = 0
    layout: str = ""
    error: str | None = None


@dataclass
class EntryCheck:
    kind: str
    url: str
    items: int = 0
    page_count: int | None = None
    sample: list[dict] = field(default_factory=list)
    detail: DetailCheck | None = None
    error: str | None = None
    # Links of the source's hosts on the list page that the link pattern leaves out (a
    # sample; only when asked for: the trial of a link pattern).
    unmatched: list[dict] = field(default_factory=list)
    unmatched_count: int = 0

    @property
    def problems(self) -> list[str]:
        if self.error:
            return [self.error]
        if not self.items:
            return ["列表页没有发现任何条目（页面可能由 JavaScript 生成，或地址、结构已变）"]
        if self.detail is None:
            return []
        if self.detail.error:
            return [f"详情页无法读取：{self.detail.error}"]
        lost = [CHECKED_FIELDS[name] for name in REQUIRED_FIELDS if name in self.detail.missing]
        return [f"详情页缺少：{'、'.join(lost)}"] if lost else []


@dataclass
class SourceCheck:
    id: str
    name: str
    entries: list[EntryCheck] = field(default_factory=list)
    error: str | None = None  # the source could not be checked at all
    checked_at: str = ""
    seconds: float = 0.0

    @property
    def problems(self) -> list[str]:
        if self.error:
            return [self.error]
        return [f"{entry.url}：{problem}" for entry in self.entries for problem in entry.problems]

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["ok"] = self.ok
        data["problems"] = self.problems
        for entry, checked in zip(data["entries"], self.entries):
            entry["problems"] = checked.problems
        return data


def quick_policy(settings) -> FetchPolicy:
    """The settings' fetch policy with a waiting admin's timeouts (never longer)."""
    policy = FetchPolicy.from_settings(settings)
    return dataclasses.replace(policy, **{
        name: min(getattr(policy, name), limit) for name, limit in QUICK_TIMEOUTS.items()})


def check_source(source: Source, fetcher: Fetcher, *, trial: bool = False) -> SourceCheck:
    """Each entry's first list page and its first item's detail page. A `trial` (of a
    source not yet saved) lists up to TRIAL_ITEMS items and the links the pattern leaves out."""
    started = time.monotonic()
    result = SourceCheck(source.id, source.name, checked_at=now())
    for host in source.allowed_hosts:
        fetcher.set_host_delay(host, source.delay)
    fetcher.allowed = source.allows
    fetcher.check_address = check_url if source.public_only else None
    for entry in source.entries:
        result.entries.append(check_entry(source, entry, fetcher, trial=trial))
    result.seconds = round(time.monotonic() - started, 2)
    return result


def check_entry(source: Source, entry: Entry, fetcher: Fetcher, *, trial: bool = False) -> EntryCheck:
    checked = EntryCheck(entry.kind, entry.url)
    try:
        items, checked.page_count, left_out = first_list(source, entry, fetcher)
    except FetchError as exc:
        checked.error = f"列表页无法获取：{exc.detail}"
        return checked
    except ValueError as exc:  # an answer that is not the list we expect
        checked.error = f"列表页无法解析：{exc}"
        return checked
    checked.items = len(items)
    shown = TRIAL_ITEMS if trial else SAMPLE_ITEMS
    checked.sample = [{"url": i.url, "title": i.title, "date": i.date} for i in items[:shown]]
    if trial:
        checked.unmatched_count = len(left_out)
        checked.unmatched = [{"url": i.url, "title": i.title} for i in left_out[:TRIAL_ITEMS]]
    if items:
        checked.detail = check_detail(source, items[0], fetcher)
    return checked


def first_list(source: Source, entry: Entry,
               fetcher: Fetcher) -> tuple[list[ListItem], int | None, list[ListItem]]:
    """The items of an entry's first list page (or first API answer), its page count, and
    the links of the source's hosts there that the link pattern leaves out."""
    def split(found: list[ListItem]) -> tuple[list[ListItem], list[ListItem]]:
        taken = [i for i in found if source.is_item(i.url)]
        return taken, [i for i in found if not source.is_item(i.url) and source.allows(i.url)]

    if entry.kind in ("trs", "links"):
        response = fetcher.get(entry.url, headers=entry.headers)
        page = discover.parse_link_list(response.text(), response.url, source.allows,
                                        source.link_selector)
        taken, left_out = split(page.items)
        return taken, page.page_count, left_out
    if entry.kind == "hanweb":
        column = fetcher.get(entry.url, headers=entry.headers)
        proxy = discover.hanweb_proxy(column.text(), column.url)
        if proxy is None:  # the column page holds its records inline
            found = discover.parse_hanweb_records(column.text(), column.url, source.allows)[0]
        else:
            base, form = proxy
            response = fetcher.get(discover.hanweb_records_url(base, 1), headers=entry.headers,
                                   data=form)
            found = discover.parse_hanweb_records(response.text(), response.url, source.allows)[0]
        taken, left_out = split(found)
        return taken, None, left_out
    parse = discover.parse_govcn_api if entry.kind == "govcn_api" else discover.parse_gkmlpt
    response = fetcher.get(entry.url.format(page=entry.first_page), headers=entry.headers)
    page = parse(response.text(), response.url)
    taken, left_out = split(page.items)
    return taken, page.page_count, left_out


def check_detail(source: Source, item: ListItem, fetcher: Fetcher) -> DetailCheck:
    """The fields a crawl would store for this item (the list's title and date fill in
    what the page lacks, as the crawl does)."""
    checked = DetailCheck(item.url)
    try:
        response = fetcher.get(item.url)
        page = extract_page(response.text(), response.url, body_selector=source.body_selector,
                            title_selector=source.title_selector)
    except FetchError as exc:
        checked.error = exc.detail
        return checked
    except Exception as exc:  # an unreadable page is what the check is there to find
        checked.error = f"{type(exc).__name__}: {exc}"
        return checked
    page.title = page.title or item.title
    page.publish_date = page.publish_date or item.date
    page.doc_number = page.doc_number or item.doc_number
    page.issuer = page.issuer or item.extra.get("issuer")
    present = fields_present(page)
    body = (page.body_text or "").strip()
    checked.fields = {name: (f"{len(body)} 字" if name == "body" else getattr(page, name))
                      for name in CHECKED_FIELDS if name in present}
    checked.missing = [name for name in CHECKED_FIELDS if name not in present]
    checked.body_chars = len(body)
    checked.attachments = len(page.attachments)
    checked.layout = page.layout
    return checked


def check_sources(sources: list[Source], policy: FetchPolicy, *,
                  trial: bool = False) -> list[SourceCheck]:
    """Check several sources with one fetcher (one connection and delay per host)."""
    fetcher = Fetcher(policy)
    try:
        return [check_source(source, fetcher, trial=trial) for source in sources]
    finally:
        fetcher.close()


def save_check(store: Store, result: SourceCheck) -> None:
    """Keep a source's last check with it (the admin sources page shows it)."""
    store.sources.save_state(result.id, state={CHECK_KEY: result.to_dict()})
