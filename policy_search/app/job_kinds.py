"""The real job kinds a worker runs: crawl (the crawler, then tags, cards and the index),
reindex (a full rebuild), import (a file uploaded on the admin page), snapshot (the
starter snapshot on first run) and notify (a delivery round)."""
from __future__ import annotations

from policy_search import jobs
from policy_search.app import ingest
from policy_search.app.delivery import round_job

def run_crawl(ctx: jobs.JobContext) -> dict:
    """Crawl one source or every enabled one (hosts in parallel), then update the index."""
    from crawler.sources import load_all_sources

    settings = ctx.settings
    sources, problems = load_all_sources(settings, ctx.store)
    for problem in problems:
        ctx.log(problem)
    wanted = ctx.args.get("source")
    if wanted:
        if wanted not in {s.id for s in sources}:
            raise ValueError(f"未知的来源：{wanted}")
        chosen = [s for s in sources if s.id == wanted]
    else:
        # A source disabled on the admin page is kept in the store, not in the TOML.
        chosen = [s for s in sources if s.enabled and ctx.store.sources.state(s.id)["enabled"]]
    total = len(chosen)
    ctx.progress(0, total, "准备抓取")
    finished = []
    step = f"抓取 {total} 个来源（不同网站同时进行）"

    def source_done(result) -> None:
        finished.append(result)
        ctx.log(result.summary())
        ctx.progress(len(finished), total, step)

    ctx.progress(0, total, step)
    # Sources on different hosts run at once; progress and results come back here.
    crawled = ingest.crawl(
        ctx.store, settings, note=ctx.log, source_ids=[s.id for s in chosen], sources=sources,
        since=ctx.args.get("since"), max_pages=ctx.args.get("max_pages"),
        progress=lambda message: ctx.progress(note=message.strip()), on_result=source_done,
        step=lambda name: ctx.progress(total, total, name))
    results, explanation = crawled.results, crawled.explanation
    if explanation:
        ctx.log(explanation)
    result = {
        "sources": [{k: v for k, v in r.to_dict().items()} for r in results],
        "new": sum(r.new for r in results),
        "updated": sum(r.updated for r in results),
        "failed": sum(r.failed for r in results),
        "explanation": explanation,
        "index": crawled.index_note,
    }
    return {**result, **crawl_outcome(results, explanation)}


def crawl_outcome(results, explanation: str | None) -> dict:
    """成功 when every source was crawled without a failed page, 失败 when no source could
    be crawled (the reason: each source's), else 部分失败; with the counts."""
    ok = [r for r in results if r.ok]
    bad = [r for r in results if not r.ok]
    pages_failed = sum(r.failed for r in results)
    summary = (f"来源：成功 {len(ok)} 个，失败 {len(bad)} 个；文件：新增 {sum(r.new for r in results)} 篇，"
               f"更新 {sum(r.updated for r in results)} 篇；未能获取的页面 {pages_failed} 个")
    counts = {"sources_ok": len(ok), "sources_failed": len(bad), "summary": summary}
    if not results:
        return {**counts, "outcome": jobs.FAILED, "summary": "没有可抓取的来源",
                "error": "没有可抓取的来源：所有来源都已停用"}
    if not ok:
        reason = explanation or "；".join(f"{r.name}：{r.error or r.status}" for r in bad)
        return {**counts, "outcome": jobs.FAILED, "error": reason}
    if bad or pages_failed:
        return {**counts, "outcome": jobs.PARTIAL}
    return counts


def run_reindex(ctx: jobs.JobContext) -> dict:
    """A full rebuild beside the live index, switched atomically at the end."""
    from index.build import rebuild

    ctx.progress(0, 0, "准备重建索引")
    report = rebuild(ctx.store, ctx.settings.index_path,
                     progress=lambda done, total, step: ctx.progress(done, total, step))
    ctx.log(f"新索引 {report.generation}：{report.documents} 篇，分词 {report.analyzed} 篇，"
            f"缓存 {report.from_cache} 篇，追加变更 {report.caught_up} 篇，用时 {report.seconds:.1f} 秒")
    return {"generation": report.generation, "documents": report.documents,
            "analyzed": report.analyzed, "from_cache": report.from_cache,
            "caught_up": report.caught_up, "seconds": round(report.seconds, 2),
            "removed": report.removed_generations,
            "summary": f"{report.documents} 篇，重新分词 {report.analyzed} 篇"}


def run_import(ctx: jobs.JobContext) -> dict:
    """Import an uploaded file (JSONL/CSV/XLSX) with the importer, then tag, card and index
    what changed. The upload is removed afterwards, unless the job goes back to the queue."""
    from pathlib import Path

    from policy_search.domain.importer import ImportFileError, import_file

    path = Path(ctx.args["path"])
    name = ctx.args.get("name") or path.name
    if not path.is_file():
        raise ValueError(f"上传的文件已不存在：{name}（请重新上传）")
    requeued = False
    try:
        summary = import_file(ctx.store, path, fmt=ctx.args.get("format") or "auto",
                              source_id=ctx.args.get("source") or "import",
                              progress=_import_progress(ctx, f"导入 {name}"))
    except ImportFileError as exc:
        raise ValueError(f"{name}: {exc}") from None
    except (jobs.WorkerStopping, KeyboardInterrupt):
        requeued = True  # the job runs again from the start: it needs its file
        raise
    finally:
        if not requeued:
            path.unlink(missing_ok=True)
    for reject in summary.rejected[:MAX_REJECTS_LOGGED]:
        ctx.log(f"第 {reject.line} 行已跳过：{reject.reason}")
    if len(summary.rejected) > MAX_REJECTS_LOGGED:
        ctx.log(f"另有 {len(summary.rejected) - MAX_REJECTS_LOGGED} 行被拒绝")
    ctx.log(f"{name}：新增 {summary.added}，更新 {summary.updated}，未变 {summary.unchanged}，"
            f"拒绝 {len(summary.rejected)}")
    result = {"file": name, "added": summary.added, "updated": summary.updated,
              "unchanged": summary.unchanged, "rejected": len(summary.rejected)}
    return {**result, "index": _enrich_and_index(ctx, summary.added + summary.updated),
            **import_outcome(result)}


def run_snapshot(ctx: jobs.JobContext) -> dict:
    """Load the starter snapshot (first run), then tag, card and index it."""
    from policy_search.snapshot import load_snapshot, snapshot_file

    snapshot = snapshot_file(ctx.settings)
    if snapshot is None:
        ctx.log("离线快照已在设置中关闭（starter_snapshot = off），未载入")
        return {"added": 0}
    result = load_snapshot(ctx.store, snapshot,
                           progress=_import_progress(ctx, f"载入离线快照（{snapshot.date}）"))
    for line in result["rejects"]:
        ctx.log(line)
    ctx.log(f"离线快照：新增 {result['added']}，更新 {result['updated']}，"
            f"未变 {result['unchanged']}，拒绝 {result['rejected']}")
    return {**result, "index": _enrich_and_index(ctx, result["added"] + result["updated"]),
            **import_outcome(result)}


def import_outcome(result: dict) -> dict:
    """部分失败 when rows were rejected, 失败 when every row was (or the file had none)."""
    kept = result["added"] + result["updated"] + result["unchanged"]
    summary = (f"新增 {result['added']}，更新 {result['updated']}，未变 {result['unchanged']}，"
               f"拒绝 {result['rejected']}")
    if not kept:
        reason = "所有行都被拒绝（原因见日志）" if result["rejected"] else "文件中没有政策记录"
        return {"outcome": jobs.FAILED, "summary": summary, "error": reason}
    return {"outcome": jobs.PARTIAL if result["rejected"] else jobs.SUCCEEDED, "summary": summary}


MAX_REJECTS_LOGGED = 50


def _import_progress(ctx: jobs.JobContext, step: str):
    """The importer's progress as the job's: per mille of the file read, rows so far."""
    def report(progress) -> None:
        ctx.progress(round(progress.done_fraction * 1000), 1000, step,
                     note=f"已读 {progress.rows} 行")
    return report


def _enrich_and_index(ctx: jobs.JobContext, changed: int) -> str:
    return ingest.enrich_and_sync(
        ctx.store, ctx.settings, changed, note=ctx.log, step=lambda name: ctx.progress(step=name),
        enrich_progress=lambda done, total, step: ctx.progress(done, total, step))


def register_real_kinds() -> None:
    jobs.set_handler("crawl", run_crawl)
    jobs.set_handler("reindex", run_reindex)
    jobs.set_handler("import", run_import)
    jobs.set_handler("snapshot", run_snapshot)
    jobs.set_handler("notify", round_job)
