"""
Opening hours and shifts (R-ROUTE-6, R-NODE-1, R-NODE-2) as pure functions of time.

The core asks a schedule two questions: "open now?" (to route a chat, to pick a
node's presence) and "when does that answer change?" (to set one timer instead
of polling). Both are answered on local wall-clock time in the schedule's zone,
because that is how admins write hours: "09:00" means nine on the office clock,
whatever the UTC offset is that day. Nothing here reads the clock, logs or does
I/O; callers pass ``now`` as POSIX seconds.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Span = tuple[int, int]  # [start, end) in minutes after local midnight; end may be 1440
Spans = tuple[Span, ...]

DAY_MINUTES = 24 * 60
FULL_DAY: Spans = ((0, DAY_MINUTES),)
HORIZON = 15 * 86400  # how far nextChange looks; callers re-ask after this long
# Most schedules flip within a day: look that far first, widen only if needed.
_REACHES = (86400, 4 * 86400, HORIZON)
UPCOMING_DAYS = 14  # exceptions this close are worth telling a client about
# UTC offsets are sampled this often to find DST jumps; real zones never
# change offset twice within it, so a change between two samples is one jump.
_OFFSET_SAMPLE = 6 * 3600
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_SPAN = re.compile(r"(\d\d):(\d\d)\s*-\s*(\d\d):(\d\d)")
_SCHEDULE_ITEM = re.compile(r"(?P<days>.+?)\s+(?P<span>\S+\s*-\s*\S+)")
_EXCEPTION = re.compile(r"(?P<day>\d{4}-\d\d-\d\d)\s+(?P<rest>closed|\d\d:\d\d\s*-\s*\d\d:\d\d)")


def _zoneInfo(name: str) -> ZoneInfo:
    """ZoneInfo raises KeyError or OSError for some bad names; callers expect ValueError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {name!r}") from None


def _merge(spans: Sequence[Span]) -> Spans:
    """Union of spans, so that touching items ("09:00-13:00; 13:00-18:00") read as one."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


class ScheduleError(ValueError):
    """Schedule or exception text is wrong. The message is a phrase that reads
    after the name of the key holding the text ("has an impossible time
    25:00"), which is how the config loader reports it."""


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _minutes(hh: str, mm: str, end: bool) -> int:
    """24:00 may end a span (open until midnight); nothing else past 23:59."""
    h, m = int(hh), int(mm)
    if m > 59 or h > 24 or (h == 24 and (m or not end)):
        raise ScheduleError(f"has an impossible time {hh}:{mm}")
    return h * 60 + m


def _span(text: str) -> Span:
    match = _SPAN.fullmatch(text.strip())
    if not match:
        raise ScheduleError(f'has {_quoted(text)} where a time span like "09:00-18:00" belongs')
    h1, m1, h2, m2 = match.groups()
    start, end = _minutes(h1, m1, False), _minutes(h2, m2, True)
    if start >= end:
        raise ScheduleError(f"has a span {_quoted(text)} that does not end after it starts "
                            '(split overnight hours: "Fri 22:00-24:00; Sat 00:00-06:00")')
    return start, end


def _days(text: str) -> tuple[int, ...]:
    days: list[int] = []
    for part in text.split(","):
        first, _, last = (p.strip() for p in part.partition("-"))
        if first not in DAYS or (last and last not in DAYS):
            raise ScheduleError(f"has days {_quoted(text)}; days are {', '.join(DAYS)}, "
                                'as "Mon", "Mon-Fri" or "Mon,Wed"')
        a, b = DAYS.index(first), DAYS.index(last or first)
        if b < a:
            raise ScheduleError(f"has a day range {_quoted(part.strip())} that runs backwards")
        days.extend(range(a, b + 1))
    return tuple(sorted(set(days)))


def scheduleItems(text: str) -> tuple[tuple[tuple[int, ...], int, int], ...]:
    """Parse SPEC schedule syntax into (weekdays 0=Mon.., start, end minute) items.

    Pure and strict so a typo fails at start-up (the config loader checks
    every schedule with it) instead of quietly keeping a node closed.
    """
    items = []
    for item in (i.strip() for i in text.split(";")):
        if not item:
            continue  # a trailing ";" is harmless
        match = _SCHEDULE_ITEM.fullmatch(item)
        if not match:
            raise ScheduleError(f'has {_quoted(item)} where an item like '
                                '"Mon-Fri 09:00-18:00" belongs')
        items.append((_days(match["days"]), *_span(match["span"])))
    if not items:
        raise ScheduleError('must list opening hours like '
                            '"Mon-Fri 09:00-18:00; Sat 10:00-14:00"')
    return tuple(items)


def parseException(text: str) -> tuple[date, Spans]:
    """One "YYYY-MM-DD HH:MM-HH:MM" or "YYYY-MM-DD closed" exception, with the
    span rules of schedule items; the config loader checks exceptions with it."""
    match = _EXCEPTION.fullmatch(text.strip())
    if not match:
        raise ScheduleError('must be "YYYY-MM-DD HH:MM-HH:MM" or "YYYY-MM-DD closed", '
                            f"got {_quoted(text)}")
    try:
        day = date.fromisoformat(match["day"])
    except ValueError:
        raise ScheduleError(f"must be a real calendar date, got {_quoted(text)}") from None
    return day, (() if match["rest"] == "closed" else (_span(match["rest"]),))


def _wallInstants(day: date, minute: int, zone: ZoneInfo) -> set[int]:
    """POSIX seconds at which the wall clock reads ``day`` + ``minute``.

    Both folds: an ambiguous time happens twice; for a nonexistent one the two
    conversions bracket the jump (the jump itself is found separately).
    """
    wall = datetime.combine(day, time()) + timedelta(minutes=minute)
    return {int(wall.replace(tzinfo=zone, fold=fold).timestamp()) for fold in (0, 1)}


def _offsetJumps(zone: ZoneInfo, since: float, until: float) -> Iterator[int]:
    """Instants in (since, until] where the UTC offset changes, to the second.

    The wall clock jumps there, which can open or close without any span
    boundary being reached (e.g. falling back from 02:59 to 02:00 re-enters
    a 01:00-02:30 span).
    """
    def offset(t: int) -> timedelta | None:
        return datetime.fromtimestamp(t, zone).utcoffset()

    low = math.floor(since)
    lowOffset = offset(low)
    while low < until:
        high = min(low + _OFFSET_SAMPLE, math.ceil(until))
        highOffset = offset(high)
        if highOffset != lowOffset:
            a, b = low, high  # offset(a) is the old one, offset(b) the new one
            while b - a > 1:
                middle = (a + b) // 2
                a, b = (middle, b) if offset(middle) == lowOffset else (a, middle)
            yield b
        low, lowOffset = high, highOffset


@dataclass(frozen=True)
class Schedule:
    """Weekly hours in a zone plus dated exceptions; build it with ``parse``."""

    timezone: str = "UTC"
    weekly: tuple[Spans, ...] | None = None  # seven days, Monday first; None = always open
    exceptions: tuple[tuple[date, Spans], ...] = ()  # one entry per date, () = closed
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _byDate: dict[date, Spans] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_zone", _zoneInfo(self.timezone))
        object.__setattr__(self, "_byDate", dict(self.exceptions))

    @classmethod
    def parse(cls, text: str | None, timezone: str = "UTC",
              exceptions: Sequence[str] = ()) -> Schedule:
        """Read the SPEC syntax; ``text`` None is "always open" (exceptions still apply).

        A holiday closes even a round-the-clock node, so exceptions are kept
        for ``None`` too; with no exceptions such a schedule is open forever.
        """
        weekly = None
        if text is not None:
            days: list[list[Span]] = [[] for _ in range(7)]
            for weekdays, start, end in scheduleItems(text):
                for weekday in weekdays:
                    days[weekday].append((start, end))
            weekly = tuple(_merge(spans) for spans in days)
        byDate: dict[date, list[Span]] = {}
        for item in exceptions:
            day, spans = parseException(item)
            byDate.setdefault(day, []).extend(spans)  # same date twice = union
        return cls(timezone, weekly, tuple(sorted((d, _merge(s)) for d, s in byDate.items())))

    @property
    def alwaysOpen(self) -> bool:
        return self.weekly is None and not self.exceptions

    def spansOn(self, day: date) -> Spans:
        """A dated exception replaces the weekday's hours for that whole date."""
        if day in self._byDate:
            return self._byDate[day]
        return FULL_DAY if self.weekly is None else self.weekly[day.weekday()]

    def isOpen(self, now: float) -> bool:
        if self.alwaysOpen:
            return True
        local = datetime.fromtimestamp(now, self._zone)
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.spansOn(local.date()))

    def nextChange(self, now: float) -> float | None:
        """The first instant after ``now`` (within HORIZON) where isOpen flips, else None.

        Every flip happens at a span boundary on the wall clock or at a jump of
        the UTC offset, so those candidates are checked in order; a candidate
        that turns out not to flip (a boundary inside a DST gap, two touching
        days) is skipped. Between candidates the answer cannot change.
        """
        if self.alwaysOpen:
            return None
        for reach in _REACHES:
            found = self._firstChange(now, now + reach)
            if found is not None:
                return found
        return None

    def _firstChange(self, now: float, until: float) -> float | None:
        """nextChange limited to (now, until]; exact for any flip in that range."""
        candidates = set(_offsetJumps(self._zone, now, until))
        day = datetime.fromtimestamp(now, self._zone).date() - timedelta(days=1)
        lastDay = datetime.fromtimestamp(until, self._zone).date() + timedelta(days=1)
        while day <= lastDay:
            for start, end in self.spansOn(day):
                candidates |= _wallInstants(day, start, self._zone)
                candidates |= _wallInstants(day, end, self._zone)
            day += timedelta(days=1)
        state = self.isOpen(now)
        for instant in sorted(c for c in candidates if now < c <= until):
            if self.isOpen(instant) != state:
                return float(instant)
        return None

    def describe(self, language: str = "en", now: float | None = None) -> str:
        """Hours for an off-hours autoreply, e.g. "Mon-Fri 09:00-18:00 (Europe/Moscow time)".

        With ``now``, exceptions in the coming UPCOMING_DAYS days follow, since
        "closed on 1 Jan" is exactly what a client writing on 30 Dec needs.
        """
        words = _WORDS.get(language.lower().split("-")[0], _WORDS["en"])
        if self.weekly is None:
            hours = words.always
        else:
            hours = ", ".join(f"{_dayRun(words, first, last)} {_spansText(words, spans)}"
                              for first, last, spans in _runs(self.weekly))
        upcoming = [] if now is None else self._upcoming(now)
        if self.weekly is None and not upcoming:
            return hours
        parts = [f"{hours} {words.zone.format(zone=self.timezone)}"]
        parts += [f"{d.day} {words.months[d.month - 1]}: "
                  f"{_spansText(words, spans) or words.closed}" for d, spans in upcoming]
        return "; ".join(parts)

    def _upcoming(self, now: float) -> list[tuple[date, Spans]]:
        today = datetime.fromtimestamp(now, self._zone).date()
        horizon = today + timedelta(days=UPCOMING_DAYS)
        return [(d, spans) for d, spans in self.exceptions if today <= d < horizon]


class _Words(NamedTuple):
    days: tuple[str, ...]
    months: tuple[str, ...]
    zone: str
    always: str
    closed: str
    also: str  # joins two spans of one day


# Kept here rather than in the message catalogs: these are formatting pieces
# (day and month abbreviations), not sentences a translator rewrites.
_WORDS = {
    "en": _Words(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
                 ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
                 "({zone} time)", "open around the clock", "closed", " and "),
    "ru": _Words(("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"),
                 ("янв", "фев", "мар", "апр", "мая", "июн",
                  "июл", "авг", "сен", "окт", "ноя", "дек"),
                 "(время {zone})", "круглосуточно", "выходной", " и "),
}


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _spansText(words: _Words, spans: Spans) -> str:
    return words.also.join(f"{_clock(start)}-{_clock(end)}" for start, end in spans)


def _dayRun(words: _Words, first: int, last: int) -> str:
    return words.days[first] if first == last else f"{words.days[first]}-{words.days[last]}"


def _runs(weekly: tuple[Spans, ...]) -> list[tuple[int, int, Spans]]:
    """Consecutive open days with equal hours, as (first, last, spans)."""
    runs: list[tuple[int, int, Spans]] = []
    for weekday, spans in enumerate(weekly):
        if not spans:
            continue
        if runs and runs[-1][1] == weekday - 1 and runs[-1][2] == spans:
            runs[-1] = (runs[-1][0], weekday, spans)
        else:
            runs.append((weekday, weekday, spans))
    return runs


# -- temporary nodes (R-NODE-2) ------------------------------------------------

def windowBounds(activeFrom: str | None, activeUntil: str | None,
                 timezone: str) -> tuple[float, float]:
    """The window as POSIX seconds; a bound without a UTC offset is node-local
    time (fold=0, as the config loader reads it), a missing bound is unbounded."""
    zone = _zoneInfo(timezone)

    def instant(text: str | None, unbounded: float) -> float:
        if text is None:
            return unbounded
        moment = datetime.fromisoformat(text)
        return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).timestamp()
    return instant(activeFrom, -math.inf), instant(activeUntil, math.inf)


def activeWindow(active_from: str | None, active_until: str | None,
                 timezone: str, now: float) -> bool:
    """Whether a temporary node is inside its [active_from, active_until) window."""
    start, end = windowBounds(active_from, active_until, timezone)
    return start <= now < end


def windowNextChange(active_from: str | None, active_until: str | None,
                     timezone: str, now: float) -> float | None:
    """When activeWindow next flips after ``now``; None when it never will."""
    start, end = windowBounds(active_from, active_until, timezone)
    state = start <= now < end
    for bound in (start, end):
        if now < bound < math.inf and (start <= bound < end) != state:
            return bound
    return None
