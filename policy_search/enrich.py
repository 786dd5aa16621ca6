"""What follows every write of new or changed policies: auto tags, kinds, then cards.

Import, crawl and the crawl job all end here, so a policy is tagged and carded
however it arrived; a run that was killed half-way is caught up by the next one
(both steps pick the policies whose content changed since they last ran).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from policy_search.derive import DeriveSummary, KindSummary, derive_all, derive_kinds
from policy_search.tagging import TagRunSummary, tag_policies

# progress(done, total, step), as `index rebuild` reports its steps
StepProgress = Callable[[int, int, str], None]


@dataclass
class EnrichSummary:
    tags: TagRunSummary
    cards: DeriveSummary
    kinds: KindSummary | None = None

    def describe(self) -> str:
        kinds = f"文件类型 {self.kinds.policies} 条; " if self.kinds else ""
        return (f"自动标注 {self.tags.policies} 条 (其中 {self.tags.with_tags} 条有建议标签); "
                f"{kinds}政策卡片 {self.cards.policies} 条, 废止关联 {self.cards.repeal_links} 条")


def enrich_changed(store, progress: StepProgress | None = None) -> EnrichSummary:
    """Auto-tag and card every policy new or changed since its last processing."""
    def step(name: str):
        return (lambda done, total: progress(done, total, name)) if progress else None

    tags = tag_policies(store, progress=step("自动标注"))
    # the kind comes before the card: what a document is decides what its dates mean
    kinds = derive_kinds(store, progress=step("文件类型"))
    cards = derive_all(store, progress=step("政策卡片"))
    return EnrichSummary(tags, cards, kinds)
