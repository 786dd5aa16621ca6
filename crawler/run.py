"""The crawl run: sources → list pages → detail pages → policies in the store.

Every policy is written in its own transaction as soon as it is extracted, and each
source's progress (validators of fetched pages, whether a run is in progress) is kept
in the store's source state, so a run killed at any point can simply be started again:
an unfinished run is redone without the early stop at known items, and pages already
stored come back as 304 or "unchanged".
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from policy_search.models import Policy, policy_id_for
from policy_search.normalize import doc_number_key, parse_date
from policy_search.store import ADDED, UPDATED, Store, now
from policy_search.url_safety import check_url
from policy_search.urls import canonical_url

from crawler import discover
from crawler.attachments import (ExtractionLimits, fill_attachment, known_attachment,
                                 merge_cover_note, wants_text)
from crawler.discover import ListItem
from crawler.extract import ExtractedPage, extract_page, fold
from crawler.fetch import BlockedError, FetchError, Fetcher, FetchPolicy, Response
from crawler.sources import DEFINITION_KEY, Entry, Source, SourceError, load_all_sources

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
    failures: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "partial")

    def fail(self, url: str, reason: str) -> None:
        self.failed += 1
        if len(self.failures) < MAX_FAILURES_KEPT:
            self.failures.append((url, reason))

    def summary(self) -> str:
        line = (f"{self.source_id} ({self.name}): {STATUS_NAMES.get(self.status, self.status)}；"
                f"列表页 {self.list_pages}，抓取 {self.pages_fetched}，新增 {self.new}，"
                f"更新 {self.updated}，未变 {self.unchanged + self.not_modified}，"
                f"重复转载 {self.duplicates}，失败 {self.failed}")
        if self.error:
            line += f"\n    原因: {self.error}"
        for url, reason in self.failures[:5]:
            line += f"\n    失败: {reason}"
        return line

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


STATUS_NAMES = {"ok": "完成", "partial": "部分失败", "failed": "失败", "blocked": "被网站拦截",
                "empty": "没有发现任何条目（来源可能已失效）", "skipped": "跳过"}


def crawl_sources(store: Store, settings, *, source_ids: list[str] | None = None,
                  since: str | None = None, max_pages: int | None = None,
                  progress: Progress | None = None, sources: list[Source] | None = None,
                  fetcher: Fetcher | None = None,
                  limits: ExtractionLimits | None = None) -> list[SourceResult]:
    """Crawl the enabled sources (or the ones named) and report each source's figures.

    The main job calls this and tells the user plainly which source failed and why.
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
    since_date = parse_date(since) if since else None
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher(FetchPolicy.from_settings(settings))
    results = []
    try:
        for source in chosen:
            run = SourceRun(store, settings, source, fetcher, since=since_date,
                            max_pages=max_pages or settings.crawl_max_pages,
                            progress=progress or (lambda message: None), limits=limits)
            results.append(run.run())
    finally:
        if own_fetcher:
            fetcher.close()
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
                 limits: ExtractionLimits | None):
        self.store = store
        self.settings = settings
        self.source = source
        self.fetcher = fetcher
        self.since = since
        self.max_pages = max_pages
        self.progress = progress
        self.limits = limits
        self.result = SourceResult(source.id, source.name)
        saved = store.source_state(source.id)
        self.saved = saved
        # The crawl's own keys only: the definition in the same row belongs to the admin
        # pages, and writing back a copy taken now would undo an edit made during the run.
        self.state: dict = {k: v for k, v in (saved.get("state") or {}).items()
                            if k != DEFINITION_KEY}
        self.pages: dict[str, list] = dict(self.state.get("pages") or {})
        self.pending: dict[str, list] = dict(self.state.get("pending_interprets") or {})
        # A run that did not finish last time is redone in full (no early stop).
        self.resuming = bool(self.state.get("in_progress"))
        self.items_seen = 0
        self.lists_unchanged = 0
        self.retry: list[str] = list(self.state.get("retry") or [])
        self.failed_details: list[str] = []
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
        for host in source.allowed_hosts:
            self.fetcher.set_host_delay(host, source.delay)
        self.fetcher.allowed = source.allows
        self.fetcher.check_address = check_url if source.public_only else None
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
        self.state["failures"] = result.failures[:20]
        runs = int(self.saved.get("runs") or 0) + 1
        zero_runs = 0 if result.new else int(self.saved.get("zero_runs") or 0) + 1
        self.save_state(status=result.status, error=result.error, runs=runs,
                        zero_runs=zero_runs, blocked=result.status == "blocked",
                        last_run_at=now())

    def save_state(self, *, status: str | None = None, error: str | None = None,
                   **fields) -> None:
        self.state["pages"] = self.pages
        self.state["pending_interprets"] = self.pending
        changes = dict(fields)
        if status is not None:
            changes["last_status"] = status
            changes["last_error"] = error
        self.store.save_source_state(self.source.id, state=self.state, **changes)
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
        return self.store.conn.execute(
            "SELECT 1 FROM policy_links WHERE url = ? LIMIT 1", (key,)
        ).fetchone() is not None

    # --- detail pages ------------------------------------------------------

    def crawl_detail(self, item: ListItem) -> None:
        key = canonical_url(item.url)
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
        if response.not_modified:
            self.result.not_modified += 1
            return
        self.result.pages_fetched += 1
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
        outcome = self.store_policy(policy, page)
        if outcome == ADDED:
            self.result.new += 1
        elif outcome == UPDATED:
            self.result.updated += 1
        elif outcome == "duplicate":
            self.result.duplicates += 1
        else:
            self.result.unchanged += 1
        self.pages[key] = [response.etag, response.last_modified]
        self.progress(f"[{self.source.id}] {outcome}: {policy.title[:40]}")

    def to_policy(self, page: ExtractedPage, item: ListItem, response: Response) -> Policy:
        url = canonical_url(item.url)
        title = page.title or item.title or ""
        doc_number = page.doc_number or item.doc_number
        source = self.source
        return Policy(
            id=policy_id_for(url, title), title=title, url=url, source_id=source.id,
            level=source.level, region_code=source.region_code, region_name=source.region_name,
            issuer=page.issuer or item.extra.get("issuer") or None, doc_number=doc_number,
            doc_number_key=doc_number_key(doc_number), index_number=page.index_number,
            subject=page.subject, written_date=page.written_date,
            publish_date=page.publish_date or item.date, effective_date=page.effective_date,
            expiry_date=page.expiry_date, validity=page.validity, source_kind=page.doc_kind,
            body_text=page.body_text, body_html=page.body_html, attachments=page.attachments,
            fetched_at=now(),
        )

    def fetch_attachments(self, policy: Policy) -> None:
        for index, attachment in enumerate(policy.attachments):
            if not wants_text(attachment) or not self.source.allows(attachment.url):
                continue
            known = known_attachment(self.store, attachment.url)
            if known is not None:
                known.name = attachment.name or known.name
                policy.attachments[index] = known
                continue
            try:
                response = self.fetcher.get(attachment.url)
            except BlockedError:
                raise
            except FetchError as exc:
                self.result.fail(attachment.url, f"附件: {exc.detail}")
                continue
            self.result.attachments += 1
            error = fill_attachment(attachment, response.content, self.limits)
            if error:
                self.result.fail(attachment.url, f"附件无法提取文字 ({error}): {attachment.url}")
        policy.body_text = merge_cover_note(policy.body_text, policy.attachments)

    def store_policy(self, policy: Policy, page: ExtractedPage) -> str:
        duplicate_of = self.same_document(policy)
        if duplicate_of is not None:
            # One policy, several source links: the first sighting stays the record.
            with self.store.transaction() as conn:
                conn.execute(
                    "INSERT OR IGNORE INTO policy_links (policy_id, url, source_id, first_seen_at)"
                    " VALUES (?, ?, ?, ?)", (duplicate_of, policy.url, policy.source_id, now()),
                )
            return "duplicate"
        existing = self.store.get_policy(policy.id)
        self.link_interpretation(policy, page, existing)
        return self.store.upsert_policy(policy)

    def same_document(self, policy: Policy) -> str | None:
        """The id of an already stored policy with this 文号 and title from another address."""
        if not policy.doc_number_key:
            return None
        for other_id in self.store.find_by_doc_number_key(policy.doc_number_key):
            if other_id == policy.id:
                return None
            other = self.store.conn.execute(
                "SELECT title FROM policies WHERE id = ?", (other_id,)).fetchone()
            if other is not None and fold(other["title"]) == fold(policy.title):
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
            row = self.store.conn.execute(
                "SELECT policy_id FROM policy_links WHERE url = ? LIMIT 1", (canonical_url(url),)
            ).fetchone()
            if row is not None:
                return row["policy_id"]
            if self.store.conn.execute("SELECT 1 FROM policies WHERE id = ?", (candidate,)).fetchone():
                return candidate
        if title:
            name = title.strip("《》 ")
            row = self.store.conn.execute(
                "SELECT id FROM policies WHERE source_kind != '政策解读' AND (title = ? OR title LIKE ?)"
                " ORDER BY length(title) LIMIT 1", (name, f"%{name}%"),
            ).fetchone()
            if row is not None and len(name) >= 6:
                return row["id"]
        return None

    def resolve_pending(self) -> None:
        """Link interpretations whose policy was crawled after them (or the other way round)."""
        for interpretation_id, (url, title) in list(self.pending.items()):
            interpretation = self.store.get_policy(interpretation_id)
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
                self.store.upsert_policy(interpretation)
                del self.pending[interpretation_id]


def parse_since(value: str | None) -> str | None:
    return parse_date(value) if value else None


def today() -> str:
    return dt.date.today().isoformat()
