"""The crawl run: sources → list pages → detail pages → policies in the store.

Every policy is written in its own transaction as soon as it is extracted, and each
source's progress (validators of fetched pages, whether a run is in progress) is kept
in the store's source state, so a run killed at any point can simply be started again:
an unfinished run is redone without the early stop at known items, and pages already
stored come back as 304 or "unchanged".
"""
from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from policy_search.domain.metadata import tidy_metadata
from policy_search.domain.models import SNAPSHOT_SOURCE, Policy, policy_id_for
from policy_search.domain.deadlines import china_today
from policy_search.domain.normalize import doc_number_key, parse_date
from policy_search.domain.store import ADDED, UPDATED, Store, now
from policy_search.domain.url_safety import check_url
from policy_search.domain.urls import canonical_url

from crawler import discover
from crawler.attachments import (ExtractionLimits, fill_attachment, known_attachment,
                                 merge_cover_note, wants_text)
from crawler.check import fields_present
from crawler.discover import ListItem
from crawler.extract import ExtractedPage, extract_page, title_key
from crawler.fetch import BlockedError, FetchError, Fetcher, FetchPolicy, Response, page_problem
from crawler.sources import ADMIN_KEYS, Entry, Source, SourceError, load_all_sources

CHECKPOINT_EVERY = 10
MAX_FAILURES_KEPT = 50
Progress = Callable[[str], None]


@dataclass
class SourceResult:
    """What one source's run did; `status` is ok | partial | failed | blocked | empty | skipped."""

    source_id: str
    name: str
    status: str = "ok"
    error: str | None = None
    list_pages: int = 0
    pages_fetched: int = 0
    not_modified: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    failed: int = 0
    attachments: int = 0
    # Attachments left for a later crawl by the per-page and per-run caps.
    attachments_skipped: int = 0
    # Recent documents re-checked though no list page led to them, and how many had changed.
    rechecked: int = 0
    recheck_changed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    # Detail pages extracted, and how many of them yielded each checked field: the
    # dashboard compares runs to see a source whose pages start losing fields.
    extracted: int = 0
    fields: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "partial")

    def count_fields(self, policy) -> None:
        self.extracted += 1
        for name in fields_present(policy):
            self.fields[name] = self.fields.get(name, 0) + 1

    def fail(self, url: str, reason: str) -> None:
        self.failed += 1
        if len(self.failures) < MAX_FAILURES_KEPT:
            self.failures.append((url, reason))

    def summary(self) -> str:
        line = (f"{self.source_id} ({self.name}): {STATUS_NAMES.get(self.status, self.status)}；"
                f"列表页 {self.list_pages}，抓取 {self.pages_fetched}，新增 {self.new}，"
                f"更新 {self.updated}，未变 {self.unchanged + self.not_modified}，"
                f"重复转载 {self.duplicates}，失败 {self.failed}")
        if self.rechecked:
            line += f"，复查近期文件 {self.rechecked}（已修改 {self.recheck_changed}）"
        if self.attachments_skipped:
            line += f"，附件未下载 {self.attachments_skipped}（超过上限，之后的抓取再下载）"
        if self.error:
            line += f"\n    原因: {self.error}"
        for url, reason in self.failures:
            line += f"\n    失败: {reason}"
        if self.failed > len(self.failures):
            line += (f"\n    另有 {self.failed - len(self.failures)} 个失败未逐条记录"
                     f"（每个来源每次最多记录 {MAX_FAILURES_KEPT} 个）")
        return line

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


STATUS_NAMES = {"ok": "完成", "partial": "部分失败", "failed": "失败", "blocked": "被网站拦截",
                "empty": "没有发现任何条目（来源可能已失效）", "skipped": "跳过"}


def crawl_sources(store: Store, settings, *, source_ids: list[str] | None = None,
                  since: str | None = None, max_pages: int | None = None,
                  progress: Progress | None = None, sources: list[Source] | None = None,
                  fetcher: Fetcher | None = None, limits: ExtractionLimits | None = None,
                  parallel: int | None = None,
                  on_result: Callable[[SourceResult], None] | None = None) -> list[SourceResult]:
    """Crawl the enabled sources (or the ones named) and report each source's figures.

    Sources on different hosts run at once (`parallel`, default the crawl_parallel_hosts
    setting); sources sharing a host run one after another in one lane, and every
    request still waits for its host (see HostGate). `progress` and `on_result` are
    called in the caller's thread, so they may write to the store or raise to stop the
    crawl (a job's cancellation): the other lanes stop at their next page.
    """
    if sources is None:
        sources, problems = load_all_sources(settings, store)
        if problems and not sources:
            raise SourceError("; ".join(problems))
    if source_ids:
        unknown = set(source_ids) - {s.id for s in sources}
        if unknown:
            raise ValueError(f"未知的来源: {', '.join(sorted(unknown))}")
        chosen = [s for s in sources if s.id in source_ids]
    else:
        chosen = [s for s in sources if s.enabled]
    since_date = parse_since(since)
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher(FetchPolicy.from_settings(settings))
    progress = progress or (lambda message: None)
    lanes = host_lanes(chosen)
    width = max(1, min(parallel or settings.crawl_parallel_hosts, len(lanes)))
    writes = threading.Lock()

    def run_one(source: Source, report: Progress) -> SourceResult:
        return SourceRun(store, settings, source, fetcher, since=since_date,
                         max_pages=max_pages or settings.crawl_max_pages, progress=report,
                         limits=limits, writes=writes).run()

    try:
        if width == 1:
            results = []
            for source in chosen:
                results.append(run_one(source, progress))
                if on_result:
                    on_result(results[-1])
            return results
        by_id = LaneRunner(lanes, width, run_one, store).run(progress, on_result)
        return [by_id[s.id] for s in chosen if s.id in by_id]
    finally:
        if own_fetcher:
            fetcher.close()


def host_lanes(sources: list[Source]) -> list[list[Source]]:
    """Sources grouped so that no two groups share a host (a host covers its subdomains);
    each group keeps the given order."""
    lanes: list[list[Source]] = []
    hosts: list[set[str]] = []
    for source in sources:
        mine = set(source.allowed_hosts)
        touching = [i for i, theirs in enumerate(hosts) if hosts_overlap(mine, theirs)]
        if not touching:
            lanes.append([source])
            hosts.append(mine)
            continue
        first = touching[0]
        for other in reversed(touching[1:]):  # this source joins lanes that were apart
            lanes[first].extend(lanes.pop(other))
            hosts[first] |= hosts.pop(other)
        lanes[first].append(source)
        hosts[first] |= mine
    # Lanes merged above lost the given order within them; restore it.
    order = {s.id: i for i, s in enumerate(sources)}
    return [sorted(lane, key=lambda s: order[s.id]) for lane in lanes]


def hosts_overlap(a: set[str], b: set[str]) -> bool:
    return any(x == y or x.endswith("." + y) or y.endswith("." + x) for x in a for y in b)


class CrawlStopped(BaseException):
    """Unwinds a lane when the crawl was stopped (the caller's progress raised)."""


class LaneRunner:
    """Runs lanes of sources in threads; funnels their progress and results to the
    caller's thread through a queue."""

    def __init__(self, lanes: list[list[Source]], width: int,
                 run_one: Callable[[Source, Progress], SourceResult], store: Store):
        self.lanes = lanes
        self.width = width
        self.run_one = run_one
        self.store = store
        self.events: queue.Queue = queue.Queue()
        self.halt = threading.Event()

    def report(self, message: str) -> None:
        if self.halt.is_set():
            raise CrawlStopped()
        self.events.put(("progress", message))

    def lane(self, sources: list[Source]) -> None:
        try:
            for source in sources:
                if self.halt.is_set():
                    break
                self.events.put(("result", self.run_one(source, self.report)))
        except CrawlStopped:
            pass
        except BaseException as exc:  # a bug in one lane stops the crawl, loudly
            self.events.put(("error", exc))
        finally:
            self.store.close()  # this thread's own connection
            self.events.put(("lane_done", None))

    def run(self, progress: Progress,
            on_result: Callable[[SourceResult], None] | None) -> dict[str, SourceResult]:
        results: dict[str, SourceResult] = {}
        stop: BaseException | None = None
        with ThreadPoolExecutor(self.width, thread_name_prefix="crawl-lane") as pool:
            for lane in self.lanes:
                pool.submit(self.lane, lane)
            running = len(self.lanes)
            while running:
                try:
                    kind, value = self.events.get()
                    if kind == "lane_done":
                        running -= 1
                    elif kind == "error":
                        raise value
                    elif stop is None and kind == "progress":
                        progress(value)
                    elif kind == "result":
                        results[value.source_id] = value
                        if stop is None and on_result:
                            on_result(value)
                except BaseException as exc:  # cancellation, worker stop, Ctrl-C, a bug
                    if stop is None:
                        stop = exc
                    self.halt.set()
        if stop is not None:
            raise stop
        return results


def explain_failures(results: list[SourceResult]) -> str | None:
    """A plain sentence for the user when sources could not be crawled, else None."""
    bad = [r for r in results if r.status in ("failed", "blocked", "empty")]
    if not bad:
        return None
    lines = ["以下来源未能抓取："]
    lines += [f"  - {r.name} ({r.source_id}): {r.error or STATUS_NAMES[r.status]}" for r in bad]
    lines.append("可以改用离线导入: policy-search import FILE (JSONL/CSV/XLSX)，再建立索引。")
    return "\n".join(lines)


class SourceRun:
    def __init__(self, store: Store, settings, source: Source, fetcher: Fetcher, *,
                 since: str | None, max_pages: int, progress: Progress,
                 limits: ExtractionLimits | None, writes: threading.Lock | None = None):
        self.store = store
        self.settings = settings
        self.source = source
        # This source's view of the crawl's fetcher: its hosts and delay, shared politeness.
        self.fetcher = fetcher.for_source(source.allows, delay=source.delay,
                                          check_address=check_url if source.public_only else None)
        # Held while a policy is checked against the store and written: sources crawled
        # at once must not both miss that the other just stored the same document.
        self.writes = writes or threading.Lock()
        self.since = since
        self.max_pages = max_pages
        self.progress = progress
        self.limits = limits
        self.result = SourceResult(source.id, source.name)
        saved = store.sources.state(source.id)
        self.saved = saved
        # The crawl's own keys only: the definition and the last check in the same row
        # belong to the admin pages, and writing back a copy taken now would undo an
        # edit (or a check) made during the run.
        self.state: dict = {k: v for k, v in (saved.get("state") or {}).items()
                            if k not in ADMIN_KEYS}
        self.pages: dict[str, list] = dict(self.state.get("pages") or {})
        self.pending: dict[str, list] = dict(self.state.get("pending_interprets") or {})
        # A run that did not finish last time is redone in full (no early stop).
        self.resuming = bool(self.state.get("in_progress"))
        self.items_seen = 0
        self.lists_unchanged = 0
        self.retry: list[str] = list(self.state.get("retry") or [])
        self.failed_details: list[str] = []
        # When each detail page was last fetched or revalidated (ISO date), for re-checks.
        self.checked: dict[str, str] = dict(self.state.get("checked") or {})
        self.seen: set[str] = set()
        self.attachments_fetched = 0  # downloads this run, for crawl_attachments_per_run
        self._since_checkpoint = 0
        self.pending_list_validators = None

    # --- the run -----------------------------------------------------------

    def run(self) -> SourceResult:
        started = time.monotonic()
        source = self.source
        if self.saved.get("blocked"):
            self.result.status = "blocked"
            self.result.error = (self.saved.get("last_error") or "来源已被标记为拦截") + \
                "（管理员确认后解除拦截标记再抓取）"
            return self.result
        self.state["in_progress"] = True
        self.save_state(status="running")
        self.progress(f"[{source.id}] 开始: {source.name}" + ("（续上次未完成的抓取）" if self.resuming else ""))
        entry_errors: list[str] = []
        try:
            for url in self.retry:  # detail pages that failed last time
                if self.source.is_item(url):
                    self.crawl_detail(ListItem(url=url))
            for entry in source.entries:
                try:
                    self.crawl_entry(entry)
                except BlockedError:
                    raise
                except FetchError as exc:
                    entry_errors.append(exc.detail)
                    self.result.fail(exc.url, exc.detail)
                except ValueError as exc:  # a list page or API answer we cannot read
                    entry_errors.append(f"{entry.url}: {exc}")
                    self.result.fail(entry.url, str(exc))
            if len(entry_errors) < len(source.entries):  # the site answers: worth a look
                self.recheck_recent()
            self.resolve_pending()
        except BlockedError as exc:
            self.result.status = "blocked"
            self.result.error = exc.detail
        self.result.seconds = round(time.monotonic() - started, 2)
        self.finish(entry_errors)
        self.progress("  " + self.result.summary().replace("\n", "\n  "))
        return self.result

    def finish(self, entry_errors: list[str]) -> None:
        result = self.result
        if result.status != "blocked":
            if entry_errors and len(entry_errors) == len(self.source.entries):
                result.status = "failed"
                result.error = "；".join(dict.fromkeys(entry_errors))[:1000]
            elif self.items_seen == 0 and not self.lists_unchanged:
                result.status = "empty"
                result.error = result.error or "列表页没有发现任何条目（页面可能由 JavaScript 生成，或地址/结构已变）"
            elif entry_errors or result.failed:
                result.status = "partial"
                result.error = "；".join(dict.fromkeys(entry_errors))[:1000] or None
        attempted = result.pages_fetched + result.not_modified + result.failed
        # Not finished: the next run walks every list page again instead of stopping early.
        self.state["in_progress"] = bool(entry_errors) or result.status == "blocked"
        self.state["retry"] = list(dict.fromkeys(self.failed_details))[:500]
        self.state["last_figures"] = {k: v for k, v in result.to_dict().items() if k != "failures"}
        self.state["error_rate"] = round(result.failed / attempted, 3) if attempted else 0.0
        self.state["failures"] = result.failures
        keep_from = (china_today() - dt.timedelta(
            days=max(self.settings.recheck_days, self.settings.recheck_every_days))).isoformat()
        self.state["checked"] = {url: day for url, day in self.checked.items() if day >= keep_from}
        runs = int(self.saved.get("runs") or 0) + 1
        zero_runs = 0 if result.new else int(self.saved.get("zero_runs") or 0) + 1
        self.save_state(status=result.status, error=result.error, runs=runs,
                        zero_runs=zero_runs, blocked=result.status == "blocked",
                        last_run_at=now())

    def save_state(self, *, status: str | None = None, error: str | None = None,
                   **fields) -> None:
        self.state["pages"] = self.pages
        self.state["pending_interprets"] = self.pending
        self.state["checked"] = self.checked
        changes = dict(fields)
        if status is not None:
            changes["last_status"] = status
            changes["last_error"] = error
        self.store.sources.save_state(self.source.id, state=self.state, **changes)
        self._since_checkpoint = 0

    def checkpoint(self) -> None:
        self._since_checkpoint += 1
        if self._since_checkpoint >= CHECKPOINT_EVERY:
            self.save_state()

    # --- list pages --------------------------------------------------------

    def crawl_entry(self, entry: Entry) -> None:
        walkers = {"trs": self.walk_static, "links": self.walk_static,
                   "hanweb": self.walk_hanweb, "gkmlpt": self.walk_json,
                   "govcn_api": self.walk_json}
        walkers[entry.kind](entry)

    def fetch_list(self, url: str, entry: Entry, *, data: dict | None = None) -> Response:
        """A list page, conditional unless the last run did not finish."""
        validators = None if (self.resuming or data is not None) else self.pages.get(canonical_url(url))
        response = self.fetcher.get(
            url, headers=entry.headers, data=data,
            etag=validators[0] if validators else None,
            last_modified=validators[1] if validators else None,
        )
        self.result.list_pages += 1
        if not response.not_modified and data is None:
            self.pending_list_validators = (canonical_url(url), [response.etag, response.last_modified])
        return response

    def remember_list(self) -> None:
        # A list page's validators are kept only after its items were handled, so a
        # kill in between does not turn the page into a 304 next time.
        pending = getattr(self, "pending_list_validators", None)
        if pending and (pending[1][0] or pending[1][1]):
            self.pages[pending[0]] = pending[1]
        self.pending_list_validators = None

    def walk_static(self, entry: Entry) -> None:
        page_count = None
        limit = 1 if entry.kind == "links" else self.max_pages
        for index in range(limit):
            if page_count is not None and index >= page_count:
                break
            url = discover.trs_page_url(entry, index) if entry.kind == "trs" else entry.url
            try:
                response = self.fetch_list(url, entry)
            except FetchError as exc:
                if index > 0 and exc.reason == "http_404":
                    break  # past the last page
                raise
            if response.not_modified:
                self.lists_unchanged += 1
                self.progress(f"[{self.source.id}] 列表未变: {url}")
                break
            page = discover.parse_link_list(response.text(), response.url, self.source.is_item,
                                            self.source.link_selector)
            if index == 0:
                page_count = page.page_count
            more = self.handle_items(url, page.items, first=index == 0)
            self.remember_list()
            if not more:
                break

    def walk_hanweb(self, entry: Entry) -> None:
        column = self.fetch_list(entry.url, entry)
        if column.not_modified:
            self.lists_unchanged += 1
            return
        html = column.text()
        proxy = discover.hanweb_proxy(html, column.url)
        inline, _ = discover.parse_hanweb_records(html, column.url, self.source.is_item)
        if proxy is None:
            if self.handle_items(entry.url, inline, first=True):
                self.remember_list()
            return
        self.remember_list()
        base, form = proxy
        start, per_request = 1, 45
        for index in range(self.max_pages):
            url = discover.hanweb_records_url(base, start, per_request)
            response = self.fetch_list(url, entry, data=form)
            items, total = discover.parse_hanweb_records(response.text(), response.url,
                                                          self.source.is_item)
            if not self.handle_items(url, items, first=index == 0):
                break
            start += per_request
            if not items or (total is not None and start > total):
                break

    def walk_json(self, entry: Entry) -> None:
        parse = discover.parse_govcn_api if entry.kind == "govcn_api" else discover.parse_gkmlpt
        page_count = None
        for index in range(self.max_pages):
            number = entry.first_page + index
            if page_count is not None and index >= page_count:
                break
            url = entry.url.format(page=number)
            response = self.fetch_list(url, entry)
            if response.not_modified:
                self.lists_unchanged += 1
                break
            try:
                page = parse(response.text(), response.url)
            except ValueError as exc:
                raise ValueError(f"无法解析接口响应 {url}: {exc}") from None
            page.items = [i for i in page.items if self.source.is_item(i.url)]
            if index == 0:
                page_count = page.page_count
            more = self.handle_items(url, page.items, first=index == 0)
            self.remember_list()
            if not more:
                break

    def handle_items(self, list_url: str, items: list[ListItem], *, first: bool) -> bool:
        """Crawl a list page's items; False when paging should stop here."""
        self.items_seen += len(items)
        self.progress(f"[{self.source.id}] 列表 {list_url}: {len(items)} 条")
        if not items:
            return False
        fresh = 0
        old = 0
        for item in items:
            if self.since and item.date and item.date < self.since:
                old += 1
                continue
            if not self.is_known(item.url):
                fresh += 1
            self.crawl_detail(item)
            self.checkpoint()
        self.save_state()
        if self.since and old:
            return False  # lists are newest first: the rest is older still
        # Incremental runs stop at the first list page holding nothing new.
        return self.resuming or fresh > 0

    def is_known(self, url: str) -> bool:
        key = canonical_url(url)
        if key in self.pages:
            return True
        # A snapshot copy is not "known": its crawled record is still to be fetched.
        return self.store.policies.is_linked_elsewhere(key, besides_source=SNAPSHOT_SOURCE)

    # --- detail pages ------------------------------------------------------

    def crawl_detail(self, item: ListItem, *, recheck: bool = False) -> None:
        key = canonical_url(item.url)
        self.seen.add(key)
        validators = self.pages.get(key)
        try:
            response = self.fetcher.get(
                item.url, etag=validators[0] if validators else None,
                last_modified=validators[1] if validators else None,
            )
        except BlockedError:
            raise
        except FetchError as exc:
            self.result.fail(item.url, exc.detail)
            self.failed_details.append(item.url)
            return
        self.checked[key] = today()
        if recheck:
            self.result.rechecked += 1
        if response.not_modified:
            self.result.not_modified += 1
            return
        self.result.pages_fetched += 1
        problem = page_problem(response)
        if problem:
            self.result.fail(item.url, f"{problem}: {item.url}")
            self.failed_details.append(item.url)
            return
        try:
            page = extract_page(response.text(), response.url,
                                body_selector=self.source.body_selector,
                                title_selector=self.source.title_selector)
        except Exception as exc:  # one unreadable page never ends the run
            self.result.fail(item.url, f"无法解析页面 {item.url}: {exc.__class__.__name__}: {exc}")
            return
        if not page.title and not item.title:
            self.result.fail(item.url, f"页面没有标题，跳过: {item.url}")
            return
        policy = self.to_policy(page, item, response)
        self.fetch_attachments(policy)
        self.result.count_fields(policy)
        outcome = self.store_policy(policy, page, noticed="recheck" if recheck else "list")
        if outcome == ADDED:
            self.result.new += 1
        elif outcome == UPDATED:
            self.result.updated += 1
            self.result.recheck_changed += int(recheck)
        elif outcome == "duplicate":
            self.result.duplicates += 1
        else:
            self.result.unchanged += 1
        if not any(a.text_error.startswith("skipped:") for a in policy.attachments):
            # (with attachments left for later, the next fetch must not be a 304)
            self.pages[key] = [response.etag, response.last_modified]
        self.progress(f"[{self.source.id}] {outcome}: {policy.title[:40]}")

    def recheck_recent(self) -> None:
        """Re-check recent documents that no list page led to in this run.

        A site that edits a document keeps it in its place on the list, so an unchanged
        list says nothing about its pages: documents published in the last recheck_days
        are revalidated (conditional GET) when their last check is recheck_every_days old.
        """
        days = self.settings.recheck_days
        if days <= 0:
            return
        start = (china_today() - dt.timedelta(days=days)).isoformat()
        if self.since and self.since > start:
            start = self.since
        due = (china_today() - dt.timedelta(days=self.settings.recheck_every_days)).isoformat()
        for url, title, published in self.store.policies.recent_documents(self.source.id, start):
            if url in self.seen or self.checked.get(url, "") > due:
                continue
            self.crawl_detail(ListItem(url=url, title=title, date=published), recheck=True)
            self.checkpoint()
        self.save_state()

    def to_policy(self, page: ExtractedPage, item: ListItem, response: Response) -> Policy:
        url = canonical_url(item.url)
        title = page.title or item.title or ""
        doc_number = page.doc_number or item.doc_number
        source = self.source
        return tidy_metadata(Policy(
            id=policy_id_for(url, title), title=title, url=url, source_id=source.id,
            level=source.level, region_code=source.region_code, region_name=source.region_name,
            issuer=page.issuer or item.extra.get("issuer") or None, doc_number=doc_number,
            doc_number_key=doc_number_key(doc_number), index_number=page.index_number,
            subject=page.subject, written_date=page.written_date,
            publish_date=page.publish_date or item.date, effective_date=page.effective_date,
            expiry_date=page.expiry_date, validity=page.validity, source_kind=page.doc_kind,
            body_text=page.body_text, body_html=page.body_html, attachments=page.attachments,
            fetched_at=now(),
        ))

    def fetch_attachments(self, policy: Policy) -> None:
        per_page = self.settings.crawl_attachments_per_page
        downloads = 0
        for index, attachment in enumerate(policy.attachments):
            if not wants_text(attachment) or not self.source.allows(attachment.url):
                continue
            known = known_attachment(self.store, attachment.url)
            if known is not None:
                known.name = attachment.name or known.name
                policy.attachments[index] = known
                continue
            # Caps: a page listing thousands of files must not hold the crawl for days.
            # What is left stays listed, marked, and is fetched when the page comes again.
            if downloads >= per_page or self.attachments_fetched >= self.settings.crawl_attachments_per_run:
                which = f"每页 {per_page} 个" if downloads >= per_page else \
                    f"每个来源每次 {self.settings.crawl_attachments_per_run} 个"
                attachment.text_error = f"skipped: 超过{which}附件的上限"
                self.result.attachments_skipped += 1
                continue
            downloads += 1
            self.attachments_fetched += 1
            try:
                response = self.fetcher.get(attachment.url)
            except BlockedError:
                raise
            except FetchError as exc:
                attachment.text_error = f"download: {exc.detail}"[:300]
                self.result.fail(attachment.url, f"附件: {exc.detail}")
                continue
            self.result.attachments += 1
            error = fill_attachment(attachment, response.content, self.limits)
            if error:
                self.result.fail(attachment.url, f"附件无法提取文字 ({error}): {attachment.url}")
        policy.body_text = merge_cover_note(policy.body_text, policy.attachments)

    def store_policy(self, policy: Policy, page: ExtractedPage, *, noticed: str = "list") -> str:
        with self.writes:
            # The crawled record replaces a snapshot copy kept under another id (the
            # snapshot had no address for it, or another one); under its own id, the
            # store replaces it.
            copy = self.store.policies.find_snapshot_copy(policy.title, policy.doc_number_key)
            if copy is not None and copy != policy.id:
                self.store.policies.delete(copy)
            duplicate_of = self.same_document(policy)
            if duplicate_of is not None:
                # One policy, several source links: the first sighting stays the record.
                self.store.policies.link(duplicate_of, policy.url, policy.source_id)
                return "duplicate"
            existing = self.store.policies.get(policy.id)
            self.link_interpretation(policy, page, existing)
            return self.store.policies.upsert(policy, history=noticed)

    def same_document(self, policy: Policy) -> str | None:
        """The id of an already stored policy with this 文号 and title from another address."""
        if not policy.doc_number_key:
            return None
        for other_id in self.store.policies.find_by_doc_number_key(policy.doc_number_key):
            if other_id == policy.id:
                return None
            other_title = self.store.policies.title_of(other_id)
            if other_title is not None and title_key(other_title) == title_key(policy.title):
                return other_id
        return None

    # --- interpretations ---------------------------------------------------

    def link_interpretation(self, policy: Policy, page: ExtractedPage,
                            existing: Policy | None) -> None:
        if page.doc_kind == "政策解读":
            target = self.find_policy(page.interprets_url, page.interprets_title)
            if target and target != policy.id:
                policy.interprets = target
            elif existing is not None and existing.interprets:
                policy.interprets = existing.interprets
            elif page.interprets_url or page.interprets_title:
                self.pending[policy.id] = [page.interprets_url, page.interprets_title]
        elif existing is not None and existing.interprets:
            policy.interprets = existing.interprets
        for url in page.interpretation_urls:
            self.pending.setdefault(policy_id_for(canonical_url(url), ""), [policy.url, policy.title])

    def find_policy(self, url: str | None, title: str | None) -> str | None:
        if url:
            candidate = policy_id_for(canonical_url(url), "")
            linked = self.store.policies.id_at(canonical_url(url))
            if linked is not None:
                return linked
            if self.store.policies.exists(candidate):
                return candidate
        if title:
            name = title.strip("《》 ")
            found = self.store.policies.find_by_title(name, besides_kind="政策解读")
            if found is not None and len(name) >= 6:
                return found
        return None

    def resolve_pending(self) -> None:
        """Link interpretations whose policy was crawled after them (or the other way round)."""
        with self.writes:
            self._resolve_pending()

    def _resolve_pending(self) -> None:
        for interpretation_id, (url, title) in list(self.pending.items()):
            interpretation = self.store.policies.get(interpretation_id)
            if interpretation is None:
                continue
            if interpretation.interprets:
                del self.pending[interpretation_id]
                continue
            target = self.find_policy(url, title)
            if target and target != interpretation_id:
                interpretation.interprets = target
                if interpretation.source_kind != "政策解读":
                    interpretation.source_kind = "政策解读"
                self.store.policies.upsert(interpretation)
                del self.pending[interpretation_id]


def parse_since(value: str | None) -> str | None:
    return parse_date(value) if value else None


def today() -> str:
    return china_today().isoformat()
