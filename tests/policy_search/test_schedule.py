"""Crawl schedules: parsing, next/previous slot, and queueing due crawls once."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from policy_search import jobs
from policy_search.schedule import (ScheduleError, enqueue_due, next_run, parse_schedule,
                                    previous_run, schedule_from_settings, schedule_status)
from policy_search.settings import load_settings

CN = ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CN)


def test_empty_means_no_schedule():
    assert parse_schedule("") is None and parse_schedule("  ") is None
    assert schedule_from_settings(load_settings(environ={})) is None


def test_daily_time_next_run_today_then_tomorrow():
    daily = parse_schedule("02:00")
    assert next_run(daily, at(2024, 5, 1, 1, 59)) == at(2024, 5, 1, 2, 0)
    assert next_run(daily, at(2024, 5, 1, 2, 0)) == at(2024, 5, 2, 2, 0)  # strictly after
    assert next_run(daily, at(2024, 12, 31, 23, 0)) == at(2025, 1, 1, 2, 0)
    assert previous_run(daily, at(2024, 5, 1, 2, 0)) == at(2024, 5, 1, 2, 0)
    assert previous_run(daily, at(2024, 5, 1, 1, 0)) == at(2024, 4, 30, 2, 0)


def test_several_times_and_days():
    schedule = parse_schedule("mon,thu 02:00, 14:30; sat 12:00")
    # 2024-05-01 is a Wednesday.
    assert next_run(schedule, at(2024, 5, 1, 9, 0)) == at(2024, 5, 2, 2, 0)
    assert next_run(schedule, at(2024, 5, 2, 2, 0)) == at(2024, 5, 2, 14, 30)
    assert next_run(schedule, at(2024, 5, 2, 15, 0)) == at(2024, 5, 4, 12, 0)
    assert next_run(schedule, at(2024, 5, 4, 12, 0)) == at(2024, 5, 6, 2, 0)
    workdays = parse_schedule("mon-fri 03:30")
    assert next_run(workdays, at(2024, 5, 3, 4, 0)) == at(2024, 5, 6, 3, 30)  # Fri → Mon
    weekend = parse_schedule("sat-sun 08:00")  # wraps nothing; fri-mon would wrap
    assert {d.weekday() for d in (next_run(weekend, at(2024, 5, 1, 0, 0)),
                                  next_run(weekend, at(2024, 5, 4, 9, 0)))} == {5, 6}
    wrap = parse_schedule("fri-mon 08:00")
    assert next_run(wrap, at(2024, 5, 6, 9, 0)) == at(2024, 5, 10, 8, 0)
    chinese = parse_schedule("周二 06:15")
    assert next_run(chinese, at(2024, 5, 1, 0, 0)) == at(2024, 5, 7, 6, 15)


def test_every_interval():
    schedule = parse_schedule("every 6h")
    assert next_run(schedule, at(2024, 5, 1, 6, 0)) == at(2024, 5, 1, 12, 0)
    assert next_run(schedule, at(2024, 5, 1, 19, 0)) == at(2024, 5, 2, 0, 0)
    assert next_run(parse_schedule("every 90m"), at(2024, 5, 1, 1, 0)) == at(2024, 5, 1, 1, 30)


def test_time_zone_is_respected():
    schedule = parse_schedule("02:00", "Asia/Shanghai")
    utc = dt.datetime(2024, 5, 1, 17, 0, tzinfo=dt.timezone.utc)  # 01:00 in Beijing on 5-2
    assert next_run(schedule, utc) == dt.datetime(2024, 5, 1, 18, 0, tzinfo=dt.timezone.utc)
    london = parse_schedule("02:00", "Europe/London")
    assert next_run(london, utc).astimezone(dt.timezone.utc).hour == 1  # BST


@pytest.mark.parametrize("text, message", [
    ("25:00", "HH:MM"), ("2点", "HH:MM"), ("funday 02:00", "未知的星期"),
    ("every 0h", "间隔"), ("mon", "无法理解"), ("02:60", "HH:MM"),
])
def test_bad_schedules_say_what_is_wrong(text, message):
    with pytest.raises(ScheduleError, match=message):
        parse_schedule(text)


def test_unknown_time_zone():
    with pytest.raises(ScheduleError, match="未知的时区"):
        parse_schedule("02:00", "Mars/Olympus")


def test_schedule_from_settings():
    settings = load_settings(environ={}, crawl_schedule="03:00", schedule_timezone="UTC")
    schedule = schedule_from_settings(settings)
    assert next_run(schedule, dt.datetime(2024, 5, 1, 4, 0, tzinfo=dt.timezone.utc)).hour == 3


def test_enqueue_due_fires_each_slot_once(store):
    daily = parse_schedule("02:00")
    # First sight at noon: the 02:00 slot has passed but is only recorded.
    assert enqueue_due(store, daily, at(2024, 5, 1, 12, 0)) is None
    assert jobs.list_jobs(store) == []
    assert enqueue_due(store, daily, at(2024, 5, 2, 1, 59)) is None
    job_id = enqueue_due(store, daily, at(2024, 5, 2, 2, 0, 30))
    assert job_id is not None
    job = jobs.job_dict(store, job_id)
    assert job["kind"] == "crawl" and job["args"] == {} and job["created_by"] == "定时任务"
    assert enqueue_due(store, daily, at(2024, 5, 2, 3, 0)) is None  # same slot: once
    status = schedule_status(store, daily, at(2024, 5, 2, 3, 0))
    assert status["next_run"] == at(2024, 5, 3, 2, 0).isoformat()
    assert status["last_job_id"] == job_id and status["enabled"]


def test_a_slot_while_a_crawl_runs_is_not_queued_twice(store):
    daily = parse_schedule("02:00")
    enqueue_due(store, daily, at(2024, 5, 1, 12, 0))
    first = enqueue_due(store, daily, at(2024, 5, 2, 2, 1))
    # The first crawl is still queued at the next slot: refused, noted on it, slot served.
    assert enqueue_due(store, daily, at(2024, 5, 3, 2, 1)) is None
    assert any("定时抓取" in line and "未加入" in line for line in jobs.job_dict(store, first)["log"])
    assert enqueue_due(store, daily, at(2024, 5, 3, 2, 30)) is None
    assert len(jobs.list_jobs(store)) == 1


def test_missed_slots_are_caught_up_once(store):
    daily = parse_schedule("02:00")
    enqueue_due(store, daily, at(2024, 5, 1, 12, 0))
    # No worker for three days: one crawl, not three.
    assert enqueue_due(store, daily, at(2024, 5, 4, 9, 0)) is not None
    assert enqueue_due(store, daily, at(2024, 5, 4, 9, 1)) is None
    assert len(jobs.list_jobs(store)) == 1


def test_no_schedule_does_nothing(store):
    assert enqueue_due(store, None) is None
    assert schedule_status(store, None)["enabled"] is False
