"""Progress lines of long commands on stderr: redrawn in place on a terminal, throttled
to about one a second in a log, and the last report of each step always shown."""
from __future__ import annotations

import sys
import time

import click


class _Line:
    """One line on stderr: on a terminal each report overwrites the last."""

    def __init__(self, interval: float = 1.0):
        self.interval = interval
        self.tty = sys.stderr.isatty()
        self.open = False  # a terminal line waits for its newline
        self.last = float("-inf")

    def due(self, finished: bool) -> bool:
        now = time.monotonic()
        if not finished and now - self.last < self.interval:
            return False
        self.last = now
        return True

    def show(self, line: str) -> None:
        if self.tty:
            click.echo("\r" + line + "\x1b[K", err=True, nl=False)
            self.open = True
        else:
            click.echo(line, err=True)

    def close(self) -> None:
        if self.open:
            click.echo("", err=True)
            self.open = False

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class CountProgress(_Line):
    """`step: done/total (percent, rate 篇/秒)`, called as progress(done, total[, step]).

    A new step starts a new line; a step's last report (done == total) is always shown,
    so a log ends with the totals. A step's clock starts when the one before it ended
    (callers report after a batch of work, not before); its rate is shown once it has
    run a second.
    """

    def __init__(self, label: str, unit: str = "篇", interval: float = 1.0):
        super().__init__(interval)
        self.label = label
        self.unit = unit
        self.step: str | None = None
        self.started = self.seen = time.monotonic()

    def __call__(self, done: int, total: int, step: str | None = None) -> None:
        step = step or self.label
        now = time.monotonic()
        if step != self.step:
            self.close()
            self.step, self.started, self.last = step, self.seen, float("-inf")
        self.seen = now
        if not self.due(finished=done >= total):
            return
        parts = [f"{done / total:.0%}"] if total else []
        if done and now - self.started >= 1.0:
            parts.append(f"{done / (now - self.started):.0f} {self.unit}/秒")
        self.show(f"{step}: {done}/{total}" + (f" ({', '.join(parts)})" if parts else ""))


class ImportProgress(_Line):
    """An import's share of the file read, rows and outcome counts so far."""

    def __init__(self, label: str, interval: float = 1.0):
        super().__init__(interval)
        self.label = label
        self.started = time.monotonic()

    def __call__(self, progress) -> None:
        if not self.due(finished=progress.done_fraction >= 1.0):
            return
        rate = progress.rows / max(time.monotonic() - self.started, 1e-6)
        s = progress.summary
        self.show(f"{self.label}: {progress.done_fraction:6.1%}  {progress.rows} 行"
                  f"  新增 {s.added}  更新 {s.updated}  未变 {s.unchanged}  拒绝 {len(s.rejected)}"
                  f"  ({rate:.0f} 行/秒)")
