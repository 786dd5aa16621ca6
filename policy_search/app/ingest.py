"""Policies coming in, each way written once for the command line and the jobs: a crawl,
then tags, kinds and cards for what changed, then the index brought up to date."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from policy_search.settings import Settings

NOTHING_CHANGED = "没有新增或更新的政策，索引无需更新"
NO_INDEX = "尚无索引：请运行重建索引任务"

Note = Callable[[str], None]
StepProgress = Callable[[int, int, str], None]


@dataclass
class Crawled:
    """What a crawl brought: each source's result, why sources failed (None: none did),
    and what the index did about it (None: it was not asked to follow)."""
    results: list
    explanation: str | None
    index_note: str | None

    @property
    def changed(self) -> int:
        return sum(r.new + r.updated for r in self.results)


def sync_index(store, settings: Settings, *, missing: str = NO_INDEX) -> str:
    """Apply the store's changes to the live index (none is created); what was done."""
    from index.build import sync

    report = sync(store, settings.index_path, create=False)
    if report.generation is None:
        return missing
    return f"索引已更新：{report.applied} 篇写入，{report.deleted} 篇删除"


def enrich_and_sync(store, settings: Settings, changed: int, *, note: Note,
                    step: Callable[[str], None] = lambda name: None,
                    enrich_progress: StepProgress | None = None,
                    follow_index: bool = True) -> str | None:
    """Tags, kinds and cards for what changed, then the index (when `follow_index`);
    each outcome goes to `note`, each step's name to `step`. The index's note, if any."""
    if changed:
        from policy_search.domain.derive import enrich_changed

        step("自动标注与政策卡片")
        note(enrich_changed(store, progress=enrich_progress).describe())
    if not follow_index:
        return None
    step("更新索引")
    index_note = sync_index(store, settings) if changed else NOTHING_CHANGED
    note(index_note)
    return index_note


def crawl(store, settings: Settings, *, note: Note, source_ids: list[str] | None = None,
          sources: list | None = None, since: str | None = None, max_pages: int | None = None,
          progress: Callable[[str], None] | None = None, on_result=None,
          step: Callable[[str], None] = lambda name: None,
          enrich_progress: StepProgress | None = None, follow_index: bool = True) -> Crawled:
    """Crawl the sources named (None: every enabled one; an empty list: none), then enrich
    and index what changed (see enrich_and_sync). SourceError or ValueError for a bad
    source or date."""
    from crawler.run import crawl_sources, explain_failures

    results = crawl_sources(store, settings, source_ids=source_ids, sources=sources,
                            since=since, max_pages=max_pages, progress=progress,
                            on_result=on_result) if source_ids != [] else []
    changed = sum(r.new + r.updated for r in results)
    index_note = enrich_and_sync(store, settings, changed, note=note, step=step,
                                 enrich_progress=enrich_progress, follow_index=follow_index)
    return Crawled(results, explain_failures(results), index_note)
