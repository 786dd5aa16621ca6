"""Times as a person in China reads them: Beijing time (Asia/Shanghai), never raw UTC.

The store keeps timestamps as ISO 8601 in UTC (`store.now()`); pages, the CLI and the
human text of messages show them through `beijing_time`. Machine-readable timestamps
(Atom's <updated>, JSON) stay RFC 3339 as they are.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
FORMAT = "%Y-%m-%d %H:%M"
FORMAT_SECONDS = "%Y-%m-%d %H:%M:%S"


def to_beijing(value) -> dt.datetime | None:
    """A timestamp (ISO text, datetime or Unix seconds) as an aware Beijing datetime.

    A timestamp without an offset is UTC (how the store writes them); a bare date or
    anything unreadable gives None.
    """
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        moment = dt.datetime.fromtimestamp(value, dt.timezone.utc)
    elif isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str) and len(value.strip()) > 10:
        try:
            moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(BEIJING)


def beijing_time(value, *, seconds: bool = False) -> str:
    """'2024-05-01 14:03' in Beijing time; a date stays a date, nothing gives ''."""
    moment = to_beijing(value)
    if moment is None:
        return "" if value is None else str(value)
    return moment.strftime(FORMAT_SECONDS if seconds else FORMAT)


def beijing_day_start(day: str) -> str:
    """The UTC ISO timestamp (the store's form) at which a Beijing calendar day begins;
    '' for anything that is not a yyyy-mm-dd date."""
    try:
        date = dt.date.fromisoformat((day or "").strip())
    except ValueError:
        return ""
    start = dt.datetime.combine(date, dt.time(), BEIJING).astimezone(dt.timezone.utc)
    return start.replace(microsecond=0).isoformat()


def beijing_day_end(day: str) -> str:
    """The UTC ISO timestamp at which the Beijing day after `day` begins (exclusive end)."""
    try:
        date = dt.date.fromisoformat((day or "").strip())
    except ValueError:
        return ""
    return beijing_day_start((date + dt.timedelta(days=1)).isoformat())
