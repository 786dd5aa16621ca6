"""The first run: what `policy-search run` queues on an empty store, and what the home
page says while the first crawl fills it (or after it failed).

On a store without crawled or imported policies, `run` queues the starter snapshot (when
the store is empty and the setting allows) and a crawl of every enabled source back to
`crawl_since`; the worker runs them in that order while the site already answers. The
home page reads `startup_status`: sources done and in progress, policies so far, the
newest arrivals — or, when every source failed, each reason and the offline path.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from policy_search import jobs
from policy_search.domain.models import SNAPSHOT_SOURCE, Policy
from policy_search.domain.normalize import parse_date
from policy_search.snapshot import snapshot_file, snapshot_summary
from policy_search.domain.store import Store

FIRST_RUN_BY = "首次运行"
FIRST_RUN_ARG = "first_run"
# The first crawl follows list pages back to crawl_since; this cap only stops a list
# that never ends (a site answering every page number with the same page).
FIRST_CRAWL_MAX_PAGES = 5000
NEWEST_SHOWN = 5
FAILED_STATUSES = ("failed", "blocked", "empty")
STATUS_LABELS = {"ok": "完成", "partial": "部分完成", "failed": "失败", "blocked": "被网站拦截",
                 "empty": "没有发现任何条目", "skipped": "跳过"}


def crawl_since(settings) -> str:
    """The crawl_since setting as an ISO date; ValueError names the bad value."""
    try:
        since = parse_date(settings.crawl_since)
    except ValueError as exc:
        raise ValueError(f"crawl_since: {exc}") from None
    if since is None:
        raise ValueError("crawl_since: 不能为空（例如 2019-01-01）")
    return since


def queue_first_run(store: Store, settings) -> list[str]:
    """Queue the snapshot and the first crawl when the store has nothing to serve yet;
    returns what was queued, as lines for the terminal."""
    since, snapshot = crawl_since(settings), snapshot_file(settings)  # both checked first
    lines = []
    active = jobs.active_jobs(store)
    if store.policies.count() == 0 and not any(j["kind"] == "snapshot" for j in active):
        if snapshot is not None:
            job_id = jobs.enqueue(store, "snapshot", {"path": snapshot.path}, FIRST_RUN_BY)
            count = f"{snapshot.documents} 条" if snapshot.documents else snapshot.path
            lines.append(f"离线快照（{snapshot.date}，{count}）已加入队列：任务 #{job_id}")
    if not store.policies.has_besides(SNAPSHOT_SOURCE) and not any(
            j["kind"] == "crawl" for j in active):
        job_id = jobs.enqueue(store, "crawl", {"since": since, "max_pages": FIRST_CRAWL_MAX_PAGES,
                                               FIRST_RUN_ARG: True}, FIRST_RUN_BY)
        lines.append(f"首次抓取（全部启用的来源，{since} 以来发布的政策）已加入队列：任务 #{job_id}")
    return lines


def requeue_interrupted(store: Store, failed_ids: list[int]) -> list[str]:
    """Queue again the first-run jobs found dead at start (a run killed with SIGKILL or a
    power cut: a clean stop requeues them itself), so the first crawl still completes."""
    lines = []
    for job_id in failed_ids:
        job = jobs.job_dict(store, job_id, log_lines=0)
        if job is None or job["created_by"] != FIRST_RUN_BY:
            continue
        try:
            again = jobs.enqueue(store, job["kind"], job["args"], FIRST_RUN_BY)
        except jobs.JobRefused:
            continue
        lines.append(f"任务 #{job_id}（{job['kind_label']}）上次被强制中断，已重新排队：任务 #{again}")
    return lines


@dataclass
class SourceLine:
    id: str
    name: str
    state: str  # waiting | running | done | failed
    label: str
    detail: str = ""


@dataclass
class StartupStatus:
    """What the home page shows about the first run; `phase` None means nothing."""

    phase: str | None = None  # crawling | failed
    job: dict | None = None
    sources: list[SourceLine] = field(default_factory=list)
    policies: int = 0  # crawled or imported so far (snapshot copies not counted)
    newest: list[Policy] = field(default_factory=list)
    snapshot: dict | None = None
    loading_snapshot: bool = False

    def count(self, state: str) -> int:
        return sum(1 for s in self.sources if s.state == state)

    @property
    def shown(self) -> bool:
        return bool(self.phase or self.snapshot or self.loading_snapshot)


def startup_status(store: Store, sources: Callable[[], list[tuple[str, str]]]) -> StartupStatus:
    """The first run's state for the home page. `sources()`: (id, name) of the enabled
    sources in crawl order, asked only while the first crawl runs (when it is over, its
    result names them)."""
    status = StartupStatus(snapshot=snapshot_summary(store))
    status.loading_snapshot = any(not j["finished"] for j in jobs.recent_jobs(store, "snapshot", limit=1))
    crawls = [j for j in jobs.recent_jobs(store, "crawl") if not j["args"].get("source")]
    if not crawls:
        return status
    latest = crawls[0]
    if not latest["finished"] and latest["args"].get(FIRST_RUN_ARG):
        status.phase, status.job = "crawling", latest
        status.sources = [_source_line(store, latest, source_id, name)
                          for source_id, name in sources()]
        status.policies = store.policies.count_besides_source(SNAPSHOT_SOURCE)
        status.newest = store.policies.newest_arrivals(NEWEST_SHOWN, besides_source=SNAPSHOT_SOURCE)
    elif latest["finished"] and not store.policies.has_besides(SNAPSHOT_SOURCE):
        lines = _failed_lines(store, latest)
        if lines:
            status.phase, status.job, status.sources = "failed", latest, lines
    return status


def _source_line(store: Store, job: dict, source_id: str, name: str) -> SourceLine:
    state = store.sources.state(source_id)
    started = job["started_at"]
    if job["state"] == jobs.RUNNING and state.get("last_status") == "running":
        found = store.policies.count_from_source(source_id)
        return SourceLine(source_id, name, "running", "正在抓取", f"已收录 {found} 条")
    if started and (state.get("last_run_at") or "") >= started:
        status = state.get("last_status") or ""
        figures = (state.get("state") or {}).get("last_figures") or {}
        if status in FAILED_STATUSES:
            return SourceLine(source_id, name, "failed", STATUS_LABELS[status],
                              state.get("last_error") or "")
        return SourceLine(source_id, name, "done", STATUS_LABELS.get(status, "完成"),
                          f"新增 {figures.get('new', 0)} 条")
    return SourceLine(source_id, name, "waiting", "等待中")


def _failed_lines(store: Store, job: dict) -> list[SourceLine]:
    """Every source's reason when the whole crawl came to nothing; [] when one worked."""
    results = jobs.job_result(store, job["id"]).get("sources") or []
    if job["state"] == jobs.FAILED and not results:
        return [SourceLine("", "抓取任务", "failed", "失败", job.get("error") or "")]
    if job["state"] not in (jobs.SUCCEEDED, jobs.FAILED) or not results:
        return []
    if any(r.get("status") not in FAILED_STATUSES for r in results):
        return []
    return [SourceLine(r.get("source_id", ""), r.get("name") or r.get("source_id", ""), "failed",
                       STATUS_LABELS.get(r.get("status"), r.get("status", "")), r.get("error") or "")
            for r in results]
