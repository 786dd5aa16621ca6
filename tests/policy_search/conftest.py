"""Fixtures of the job tests: a store, and fake job kinds registered for one test."""
from __future__ import annotations

import threading

import pytest

from policy_search import jobs


class Gate:
    """Lets a test hold a fake job at a progress report and release it."""

    def __init__(self):
        self.reached = threading.Event()
        self.release = threading.Event()


@pytest.fixture
def fake_kinds():
    """Registers test kinds; restores the registry (real kinds' handlers too) afterwards."""
    saved = {name: (kind, kind.handler) for name, kind in jobs.KINDS.items()}
    gate = Gate()

    def count(ctx: jobs.JobContext) -> dict:
        n = int(ctx.args.get("n", 5))
        ctx.progress(0, n, "计数")
        for i in range(n):
            ctx.progress(i + 1, n, note=f"第 {i + 1} 个")
        ctx.progress(n, n, "收尾")
        ctx.log("计数完毕")
        return {"counted": n}

    def held(ctx: jobs.JobContext) -> dict:
        ctx.progress(1, 10, "等待放行")
        gate.reached.set()
        while not gate.release.wait(0.01):
            ctx.progress(note="等待中")
        ctx.progress(10, 10, "放行")
        return {"released": True}

    def broken(ctx: jobs.JobContext) -> dict:
        ctx.progress(1, 2, "出错前")
        raise RuntimeError("模拟的故障")

    jobs.register_kind("test-count", "计数", count)
    jobs.register_kind("test-held", "等待", held, exclusive=True)
    jobs.register_kind("test-broken", "故障", broken)
    yield gate
    gate.release.set()
    for name in list(jobs.KINDS):
        if name not in saved:
            del jobs.KINDS[name]
    for name, (kind, handler) in saved.items():
        jobs.KINDS[name] = kind
        kind.handler = handler
