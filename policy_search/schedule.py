"""Crawl schedules: when the worker queues a crawl of all sources by itself.

The setting `crawl_schedule` holds rules separated by ";". A rule is optional days and
one or more times of day, in the time zone `schedule_timezone`:

    02:00                       every day at 02:00
    02:00, 14:30                every day at both times
    mon,thu 02:00               Mondays and Thursdays (周一,周四 works too)
    mon-fri 03:30; sat 12:00    two rules
    every 6h                    00:00, 06:00, 12:00, 18:00 (also "every 90m")

The worker asks enqueue_due() before each look at the queue. The last slot that fired is
kept in the store, so several workers queue a slot once, and a slot missed while no
worker ran is caught up once when one starts again (like anacron). A schedule seen for
the first time only records the current slot: configuring "02:00" at noon does not start
a crawl at once.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from policy_search import jobs
from policy_search.domain.store import Store

DAY_NAMES = {
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
    "周一": 0, "周二": 1, "周三": 2, "周四": 3, "周五": 4, "周六": 5, "周日": 6, "周天": 6,
}
ALL_DAYS = frozenset(range(7))
SCHEDULE_USER = "定时任务"


class ScheduleError(ValueError):
    """A crawl_schedule the worker cannot read; the message says what is wrong."""


@dataclass(frozen=True)
class Rule:
    days: frozenset[int]
    times: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Schedule:
    text: str
    rules: tuple[Rule, ...]
    tz: dt.tzinfo

    def slots_on(self, day: dt.date) -> list[dt.datetime]:
        times = sorted({t for rule in self.rules if day.weekday() in rule.days for t in rule.times})
        return [dt.datetime(day.year, day.month, day.day, h, m, tzinfo=self.tz) for h, m in times]


def parse_schedule(text: str | None, timezone: str = "Asia/Shanghai") -> Schedule | None:
    """The schedule of a crawl_schedule setting; None when it is empty (no schedule)."""
    if not text or not text.strip():
        return None
    try:
        tz = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"未知的时区：{timezone}") from None
    rules = tuple(_parse_rule(part.strip(), text) for part in text.split(";") if part.strip())
    if not rules:
        raise ScheduleError(f"定时设置为空：{text!r}")
    return Schedule(text.strip(), rules, tz)


def _parse_rule(part: str, whole: str) -> Rule:
    every = re.fullmatch(r"every\s+(\d+)\s*([hm])", part, re.IGNORECASE)
    if every:
        minutes = int(every.group(1)) * (60 if every.group(2).lower() == "h" else 1)
        if not 1 <= minutes <= 24 * 60:
            raise ScheduleError(f"间隔须在 1 分钟到 24 小时之间：{part!r}")
        return Rule(ALL_DAYS, tuple(divmod(m, 60) for m in range(0, 24 * 60, minutes)))
    match = re.fullmatch(r"(?:(?P<days>[^\d\s][^\s]*)\s+)?(?P<times>\d.*)", part)
    if not match:
        raise ScheduleError(f"无法理解定时设置 {whole!r} 中的 {part!r}（例如 \"02:00\" 或 \"mon-fri 03:30\"）")
    days = _parse_days(match.group("days")) if match.group("days") else ALL_DAYS
    times = tuple(_parse_time(t.strip(), whole) for t in match.group("times").split(",") if t.strip())
    if not times:
        raise ScheduleError(f"定时设置缺少时间：{part!r}")
    return Rule(days, times)


def _parse_days(text: str) -> frozenset[int]:
    if text.lower() in ("daily", "每天", "*"):
        return ALL_DAYS
    days: set[int] = set()
    for piece in text.lower().split(","):
        first, _, last = piece.partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise ScheduleError(f"未知的星期：{piece!r}（可用 mon…sun 或 周一…周日）")
        start, end = DAY_NAMES[first], DAY_NAMES[last or first]
        span = range(start, end + 1) if start <= end else [*range(start, 7), *range(0, end + 1)]
        days.update(span)
    return frozenset(days)


def _parse_time(text: str, whole: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ScheduleError(f"时间应写作 HH:MM（00:00–23:59）：{text!r}（在 {whole!r} 中）")
    return int(match.group(1)), int(match.group(2))


def schedule_from_settings(settings) -> Schedule | None:
    return parse_schedule(getattr(settings, "crawl_schedule", ""),
                          getattr(settings, "schedule_timezone", "Asia/Shanghai") or "Asia/Shanghai")


def next_run(schedule: Schedule, after: dt.datetime) -> dt.datetime:
    """The first slot strictly after `after` (an aware datetime)."""
    local = after.astimezone(schedule.tz)
    for offset in range(0, 9):
        for slot in schedule.slots_on(local.date() + dt.timedelta(days=offset)):
            if slot > after:
                return slot
    raise ScheduleError(f"定时设置没有任何时间点：{schedule.text!r}")


def previous_run(schedule: Schedule, at: dt.datetime) -> dt.datetime | None:
    """The latest slot at or before `at`, looking back one week."""
    local = at.astimezone(schedule.tz)
    for offset in range(0, 9):
        slots = [s for s in schedule.slots_on(local.date() - dt.timedelta(days=offset)) if s <= at]
        if slots:
            return slots[-1]
    return None


def enqueue_due(store: Store, schedule: Schedule | None, moment: dt.datetime | None = None, *,
                name: str = "crawl", kind: str = "crawl", args: dict | None = None) -> int | None:
    """Queue the scheduled job when a slot has come since the last one; its id or None.

    A slot whose job is refused (a crawl already runs) counts as served, with a log line
    on the job that covers it, so the worker does not retry it every few seconds.
    """
    if schedule is None:
        return None
    moment = moment or dt.datetime.now(dt.timezone.utc)
    slot = previous_run(schedule, moment)
    if slot is None:
        return None
    with store.transaction():
        row = store.jobs.last_slot(name)
        if row is not None and dt.datetime.fromisoformat(row["last_slot"]) >= slot:
            return None
        job_id = None
        if row is not None:
            try:
                job_id = jobs.enqueue(store, kind, args or {}, SCHEDULE_USER)
            except jobs.JobRefused as refused:
                if refused.conflicting_id:
                    store.jobs.append_log(refused.conflicting_id,
                                          f"定时{jobs.kind_label(kind)}（{slot.isoformat()}）未加入："
                                          "本任务尚未结束")
        store.jobs.record_slot(name, slot.isoformat(), job_id)
    return job_id


def schedule_status(store: Store, schedule: Schedule | None, moment: dt.datetime | None = None,
                    *, name: str = "crawl") -> dict:
    """For the admin page: the schedule, its next slot, the last slot served and its job."""
    moment = moment or dt.datetime.now(dt.timezone.utc)
    row = store.jobs.last_slot(name)
    return {
        "schedule": schedule.text if schedule else "",
        "enabled": schedule is not None,
        "timezone": str(schedule.tz) if schedule else None,
        "next_run": next_run(schedule, moment).isoformat() if schedule else None,
        "last_slot": row["last_slot"] if row else None,
        "last_job_id": row["job_id"] if row else None,
    }
