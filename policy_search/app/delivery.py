"""Subscriptions delivered: a round (policy_search.domain.notify) wired to the live index for
matching and to the site's parameter parsing (web.params: a subscribed search is what
/api/search takes); the round as a job (kind `notify`), queued after crawls and imports."""
from __future__ import annotations

from urllib.parse import parse_qsl

from policy_search import jobs
from policy_search.app.ingest import sync_index as follow_index
from policy_search.settings import Settings
from policy_search.domain.subscriptions import ACTIVE

ROUND_KINDS = ("crawl", "import")  # a finished job of these kinds is followed by a round


def parse_search_query(query: str):
    """A search URL query string read as /api/search reads it (web.params.ParamError)."""
    from werkzeug.datastructures import MultiDict

    from web.params import parse_search_args

    return parse_search_args(MultiDict(parse_qsl(query.lstrip("?"), keep_blank_values=True)))


def canonical_search_query(query: str) -> str:
    """The query string of a search as the site writes it, without sort or paging."""
    state = parse_search_query(query)
    return state.query_string(sort="relevance", page=1, size=state.default_size)


class IndexMatcher:
    """policy_search.domain.notify.Matcher on the live index of the data directory."""

    def __init__(self, settings: Settings, store, index=None):
        from index.search import SearchIndex

        self.index_path = settings.index_path
        self.owned = index is None  # closed with the matcher when it opened it itself
        self.index = index or SearchIndex(settings.index_path)

    def close(self) -> None:
        if self.owned:
            self.index.close()

    def searchable_seq(self) -> int | None:
        from index import layout

        generation = layout.current_generation(self.index_path)
        if generation is None:
            return None
        seq = layout.sync_seq(generation)
        self.index.refresh(force=True)  # the searcher sees at least what seq says
        return seq

    def search_ids(self, query: str, candidates: list[str] | None) -> set[str]:
        request = parse_search_query(query).to_request(highlight=False, facets=False)
        return self.index.matching_ids(request, candidates) or set()

    def scope_ids(self, filters: dict[str, list[str]], candidates: list[str] | None) -> set[str]:
        from index.api import SearchRequest

        return self.index.matching_ids(SearchRequest(filters=filters), candidates) or set()


def sync_index(store, settings: Settings) -> str:
    """Apply the store's changes to the index first: a round sends what is searchable."""
    return follow_index(store, settings, missing="尚无索引")


def deliver(store, settings: Settings, *, note, dry_run: bool = False, progress=None):
    """One delivery round on an index brought up to date first (its note goes to `note`):
    a dry run too, so it shows what a round now would send (the index is derived data,
    not a delivery record). The round's report."""
    from policy_search.domain.channels import Sender
    from policy_search.domain.notify import run_round

    note(sync_index(store, settings))
    matcher = IndexMatcher(settings, store)
    try:
        return run_round(store, settings, matcher, Sender(settings), dry_run=dry_run,
                         progress=progress)
    finally:
        matcher.close()


def round_job(ctx: jobs.JobContext) -> dict:
    """The `notify` job: bring the index up to date, then one delivery round."""
    ctx.progress(0, 0, "更新索引")

    def updated(line: str) -> None:
        ctx.log(line)
        ctx.progress(0, 0, "推送")

    report = deliver(ctx.store, ctx.settings, note=updated,
                     progress=lambda done, total: ctx.progress(done, total, "推送"))
    for line in report.notes + [o.describe() for o in report.outcomes]:
        ctx.log(line)
    ctx.log(report.summary())
    return round_outcome(report)


def round_outcome(report) -> dict:
    """成功 when no delivery failed; 部分失败 when some did; 失败 when every digest that was
    due failed (the channels are down, or the settings are wrong); with the counts."""
    counts = {"subscriptions": len(report.outcomes), "sent": report.sent, "failed": report.failed}
    if not report.failed:
        return counts
    if not report.sent:
        return {**counts, "outcome": jobs.FAILED, "summary": report.summary(),
                "error": f"{report.failed} 个订阅的推送全部失败，见任务日志"}
    return {**counts, "outcome": jobs.PARTIAL, "summary": report.summary()}


def queue_round_after(store, job) -> int | None:
    """After a crawl or import job succeeded: queue a delivery round (see queue_round)."""
    if job is None or job.kind not in ROUND_KINDS or job.state != jobs.SUCCEEDED:
        return None
    return queue_round(store, f"工作进程（{jobs.kind_label(job.kind)}之后）")


def queue_round(store, by: str) -> int | None:
    """Queue a delivery round when some subscription is active; its job id (None: none
    needed, or one is queued already)."""
    if not store.subscriptions.counts().get(ACTIVE):
        return None
    try:
        return jobs.enqueue(store, "notify", {}, by)
    except jobs.JobRefused:
        return None
