"""iCalendar (RFC 5545) text for application deadlines: one all-day event per policy.

Written by hand because it is small: text values escaped (backslash, semicolon, comma,
newline), lines folded at 75 octets without splitting a UTF-8 character, CRLF endings.
A yearly window ("每年3月31日前") becomes one event that repeats every year.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

CRLF = "\r\n"
MAX_OCTETS = 75
PRODID = "-//政策超市//申报截止日历//ZH"
# Control characters RFC 5545 does not allow in a text value (HTAB is allowed).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


@dataclass
class CalendarEvent:
    uid: str
    day: dt.date                 # the deadline (an all-day event)
    summary: str
    description: str = ""
    url: str | None = None
    yearly: bool = False
    categories: list[str] = field(default_factory=list)


def escape_text(value: str) -> str:
    """A TEXT value: backslash, semicolon, comma escaped; any line break as \\n."""
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


def fold_line(line: str) -> str:
    """Split a content line into lines of at most 75 octets; continuations start with a space."""
    if len(line.encode("utf-8")) <= MAX_OCTETS:
        return line
    parts, current, size = [], [], 0
    limit = MAX_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size = [], 0
            limit = MAX_OCTETS - 1  # the leading space of a continuation line counts
        current.append(char)
        size += width
    parts.append("".join(current))
    return (CRLF + " ").join(parts)


def _date(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def _event_lines(event: CalendarEvent, stamp: str) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape_text(event.uid)}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{_date(event.day)}",
        f"DTEND;VALUE=DATE:{_date(event.day + dt.timedelta(days=1))}",
    ]
    if event.yearly:
        lines.append("RRULE:FREQ=YEARLY")
    lines.append(f"SUMMARY:{escape_text(event.summary)}")
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.url:
        # URI values are not TEXT: no escaping, but no line breaks may get in.
        lines.append(f"URL:{_CONTROL.sub('', event.url).replace(chr(10), '')}")
    if event.categories:
        lines.append("CATEGORIES:" + ",".join(escape_text(c) for c in event.categories))
    lines += ["TRANSP:TRANSPARENT", "END:VEVENT"]
    return lines


def calendar_text(name: str, events: list[CalendarEvent], *,
                  now: dt.datetime | None = None) -> str:
    """The whole VCALENDAR, folded, CRLF-terminated."""
    now = now or dt.datetime.now(dt.timezone.utc)
    stamp = now.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{escape_text(PRODID)}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        "X-WR-TIMEZONE:Asia/Shanghai",
    ]
    for event in events:
        lines += _event_lines(event, stamp)
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + CRLF for line in lines)
