"""Figures for the admin pages: source health with alarms, and the dashboard's counts.

Everything here reads the store (and the data directory's size); the index's own status
(generation, staleness) comes from index.index_status and is added by the web layer.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import statistics
from pathlib import Path

from policy_search import jobs
from policy_search.domain.models import ATTACHMENT_ERRORS, CHECKED_FIELDS, LEVEL_NAMES, REQUIRED_FIELDS
from policy_search.domain.store import Store

REVIEW_STATE_NAMES = {"new": "待审核", "reviewed": "已审核"}
# A source alarms after this many runs in a row without a new item…
ZERO_RUNS_ALARM = 3
# …or when its detail-page failure rate is at least this high and this much above its usual.
FAILURE_RATE_ALARM = 0.5
FAILURE_RATE_JUMP = 0.3
HISTORY_JOBS = 20
# Pages losing fields: judged on runs that extracted at least FIELD_MIN_PAGES pages. A
# field the source's pages usually carry is missing from this share more of them…
FIELD_MIN_PAGES = 3
FIELD_DROP_ALARM = 0.4
# …or, with no earlier run to compare, a field no usable page lacks is missing from
# at least this share.
FIELD_MISSING_ALARM = 0.5


def _field(source, name: str, default=None):
    if isinstance(source, dict):
        return source.get(name, default)
    return getattr(source, name, default)


def crawl_history(store: Store, limit: int = HISTORY_JOBS) -> dict[str, list[dict]]:
    """Per-source figures of the latest finished crawl jobs, newest first."""
    rows = store.jobs.finished_results("crawl", jobs.FINISHED_STATES, limit)
    history: dict[str, list[dict]] = {}
    for row in rows:
        for figures in (json.loads(row["result"] or "{}").get("sources") or []):
            if figures.get("source_id"):
                history.setdefault(figures["source_id"], []).append(
                    {**figures, "job_id": row["id"], "finished_at": row["finished_at"]})
    return history


def _failure_rate(figures: dict) -> float | None:
    attempted = ((figures.get("pages_fetched") or 0) + (figures.get("not_modified") or 0)
                 + (figures.get("failed") or 0))
    return (figures.get("failed") or 0) / attempted if attempted else None


def _coverage(figures: dict) -> dict[str, float] | None:
    """Share of a run's extracted pages that had each field; None for too few pages."""
    pages = figures.get("extracted") or 0
    if pages < FIELD_MIN_PAGES:
        return None
    found = figures.get("fields") or {}
    return {name: (found.get(name) or 0) / pages for name in CHECKED_FIELDS}


def field_alarms(figures: dict, history: list[dict]) -> list[str]:
    """Fields a source's pages lost in its last run, compared with its earlier runs."""
    now = _coverage(figures)
    if now is None:
        return []
    earlier = [c for c in (_coverage(h) for h in history) if c is not None]
    alarms = []
    for name, label in CHECKED_FIELDS.items():
        if earlier:
            usual = statistics.median(c[name] for c in earlier)
            if usual - now[name] >= FIELD_DROP_ALARM:
                alarms.append(f"页面丢失字段：有{label}的页面从通常的 {usual:.0%} 降到 {now[name]:.0%}"
                              "（页面结构可能已变，可在来源页“检查”）")
        elif name in REQUIRED_FIELDS and 1 - now[name] >= FIELD_MISSING_ALARM:
            alarms.append(f"页面缺少字段：{1 - now[name]:.0%} 的页面没有提取到{label}"
                          "（页面结构可能与提取规则不符，可在来源页“检查”）")
    return alarms


def source_alarms(state: dict, history: list[dict], *, zero_runs_alarm: int = ZERO_RUNS_ALARM) -> list[str]:
    """Why a source needs an admin's look (Chinese, one sentence each)."""
    alarms = []
    if state.get("blocked"):
        alarms.append("来源被网站拦截（403/验证码等），需管理员确认后解除")
    if (state.get("zero_runs") or 0) >= zero_runs_alarm:
        alarms.append(f"连续 {state['zero_runs']} 次抓取没有新条目（网站可能改版或栏目已停更）")
    if state.get("last_status") in ("failed", "empty"):
        alarms.append("上次抓取" + ("失败" if state["last_status"] == "failed" else "没有发现任何条目")
                      + (f"：{state['last_error']}" if state.get("last_error") else ""))
    rate = (state.get("state") or {}).get("error_rate")
    earlier = [r for r in (_failure_rate(h) for h in history[1:]) if r is not None]
    if rate is not None and rate >= FAILURE_RATE_ALARM:
        usual = statistics.median(earlier) if earlier else None
        if usual is None:
            alarms.append(f"提取失败率 {rate:.0%}（偏高）")
        elif rate - usual >= FAILURE_RATE_JUMP:
            alarms.append(f"提取失败率从通常的 {usual:.0%} 升至 {rate:.0%}（页面结构可能已变）")
    figures = (state.get("state") or {}).get("last_figures") or {}
    alarms += field_alarms(figures, history[1:] if history else [])
    return alarms


def sources_health(store: Store, sources=(), *, zero_runs_alarm: int = ZERO_RUNS_ALARM) -> list[dict]:
    """Every source (the configured ones, plus any the store knows) with its last run,
    figures, error rate, blocked/enabled state and alarms; JSON-able.

    `sources`: objects or dicts with id, name, level, region_code, region_name, enabled
    (crawler.sources.Source fits).
    """
    known = {str(_field(s, "id")): s for s in sources}
    stored = store.sources.ids()
    history = crawl_history(store)
    attachment_problems = store.policies.attachment_problems()
    result = []
    for source_id in [*known, *(s for s in stored if s not in known)]:
        source = known.get(source_id, {})
        state = store.sources.state(source_id)
        extra = state.get("state") or {}
        figures = extra.get("last_figures") or {}
        level = _field(source, "level")
        result.append({
            "id": source_id,
            "name": _field(source, "name") or source_id,
            "configured": source_id in known,
            "level": level,
            "level_label": LEVEL_NAMES.get(level, level or ""),
            "region_code": _field(source, "region_code"),
            "region_name": _field(source, "region_name"),
            "enabled": bool(_field(source, "enabled", True)) and bool(state.get("enabled", True)),
            "blocked": bool(state.get("blocked")),
            "last_run_at": state.get("last_run_at"),
            "last_status": state.get("last_status"),
            "last_error": state.get("last_error"),
            "runs": state.get("runs") or 0,
            "zero_runs": state.get("zero_runs") or 0,
            "in_progress": bool(extra.get("in_progress")),
            "pages": figures.get("pages_fetched", 0),
            "list_pages": figures.get("list_pages", 0),
            "new": figures.get("new", 0),
            "updated": figures.get("updated", 0),
            "unchanged": (figures.get("unchanged", 0) or 0) + (figures.get("not_modified", 0) or 0),
            "failed": figures.get("failed", 0),
            "error_rate": extra.get("error_rate"),
            "failures": extra.get("failures") or [],
            "check": extra.get("check"),
            "alarms": source_alarms(state, history.get(source_id, []),
                                    zero_runs_alarm=zero_runs_alarm),
            "attachments_without_text": attachments_without_text(
                attachment_problems.get(source_id, [])),
        })
    return result


def attachments_without_text(problems: list[dict]) -> list[dict]:
    """A source's attachments that gave no text, counted by reason (in words)."""
    counts: dict[str, dict] = {}
    for problem in problems:
        code = problem["reason"].partition(":")[0].strip()
        label = ATTACHMENT_ERRORS.get(code, problem["reason"])
        entry = counts.setdefault(label, {"reason": label, "count": 0, "example": problem["example"]})
        entry["count"] += problem["count"]
    return sorted(counts.values(), key=lambda p: -p["count"])


def set_source_enabled(store: Store, source_id: str, enabled: bool) -> None:
    """Enable or disable a source for crawls of all sources (kept in the store)."""
    store.sources.save_state(source_id, enabled=enabled)


def disk_usage(data_dir: str | Path) -> dict:
    """Bytes used under the data directory: the store (with WAL), the index, the rest."""
    root = Path(data_dir)
    parts = {"store": 0, "index": 0, "other": 0}
    seen: set[tuple[int, int]] = set()
    for dirpath, _dirs, files in os.walk(root):
        rel = Path(dirpath).relative_to(root).parts
        for name in files:
            try:
                info = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue  # removed while we walked (an old index generation)
            if info.st_nlink > 1:  # a segment two index generations share counts once
                if (info.st_dev, info.st_ino) in seen:
                    continue
                seen.add((info.st_dev, info.st_ino))
            size = info.st_size
            if not rel and name.startswith("policies.sqlite3"):
                parts["store"] += size
            elif rel and rel[0] == "index":
                parts["index"] += size
            else:
                parts["other"] += size
    total = sum(parts.values())
    free = None
    if root.exists():
        stat = os.statvfs(root)
        free = stat.f_bavail * stat.f_frsize
    return {**parts, "total": total, "free": free, "total_human": human_bytes(total),
            "free_human": human_bytes(free) if free is not None else None}


def human_bytes(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


def dashboard_figures(store: Store, data_dir: str | Path, *, moment: dt.datetime | None = None,
                      errors: int = 10) -> dict:
    """Counts by level/region/review state, policies added this week, disk use, running
    jobs, live workers and the last errors (failed jobs, failing sources); JSON-able."""
    moment = moment or dt.datetime.now(dt.timezone.utc)
    stats = store.policies.stats()
    week_ago = (moment - dt.timedelta(days=7)).isoformat()
    added_week = store.policies.count_first_seen_since(week_ago)
    failed_jobs = [
        {"job_id": j["id"], "kind_label": j["kind_label"], "error": j["error"],
         "at": j["finished_at"]}
        for j in jobs.list_jobs(store, limit=errors, state=jobs.FAILED)
    ]
    failing_sources = [
        {"source_id": r["id"], "status": r["last_status"], "error": r["last_error"],
         "at": r["last_run_at"]}
        for r in store.sources.failing(errors)
    ]
    return {
        "policies": store.policies.count(),
        "by_level": [{"level": k, "label": LEVEL_NAMES.get(k, k), "count": v}
                     for k, v in stats["level"].most_common()],
        "by_region": [{"region": k, "count": v} for k, v in stats["region"].most_common()],
        "by_review_state": [{"state": k, "label": REVIEW_STATE_NAMES.get(k, k), "count": v}
                            for k, v in stats["review_state"].most_common()],
        "added_this_week": added_week,
        "disk": disk_usage(data_dir),
        "active_jobs": jobs.active_jobs(store),
        "workers": jobs.live_workers(store),
        "failed_jobs": failed_jobs,
        "failing_sources": failing_sources,
    }
