"""
The schedule engine decides who may be offered a chat (R-ROUTE-6), whether a
node is open (R-NODE-1) and whether a temporary node exists yet (R-NODE-2).

Tables pin the behaviour people see: hours on the local wall clock, exceptions
replacing a date's hours, DST days in both directions. A property test then
checks nextChange against brute force: every flip in the engine happens on a
whole UTC minute (wall boundaries are whole minutes and the zones used have
whole-minute offsets), so sampling each minute is an exhaustive check.
"""
from __future__ import annotations

import ast
import math
from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imsupport.core.schedule import (
    HORIZON,
    Schedule,
    ScheduleError,
    activeWindow,
    parseException,
    scheduleItems,
    windowBounds,
    windowNextChange,
)

WEEKDAYS = "Mon-Fri 09:00-18:00; Sat 10:00-14:00"
NEW_YEAR = ("2026-12-31 10:00-14:00", "2027-01-01 closed")


def at(text: str) -> float:
    """POSIX seconds of an ISO time; without an offset it is UTC."""
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def iso(instant: float | None) -> str | None:
    if instant is None:
        return None
    return datetime.fromtimestamp(instant, UTC).strftime("%Y-%m-%dT%H:%M:%S")


# -- isOpen ----------------------------------------------------------------------

@pytest.mark.parametrize("text, zone, exceptions, when, expected", [
    # weekdays and ranges (2026-05-04 is a Monday)
    (WEEKDAYS, "UTC", (), "2026-05-04T09:00:00", True),
    (WEEKDAYS, "UTC", (), "2026-05-04T08:59:59", False),
    (WEEKDAYS, "UTC", (), "2026-05-04T17:59:59", True),
    (WEEKDAYS, "UTC", (), "2026-05-04T18:00:00", False),  # end is exclusive
    (WEEKDAYS, "UTC", (), "2026-05-08T12:00:00", True),  # Fri
    (WEEKDAYS, "UTC", (), "2026-05-09T12:00:00", True),  # Sat
    (WEEKDAYS, "UTC", (), "2026-05-09T15:00:00", False),
    (WEEKDAYS, "UTC", (), "2026-05-10T12:00:00", False),  # Sun
    # comma lists
    ("Mon,Wed 10:00-12:00", "UTC", (), "2026-05-04T11:00:00", True),
    ("Mon,Wed 10:00-12:00", "UTC", (), "2026-05-05T11:00:00", False),
    ("Mon,Wed 10:00-12:00", "UTC", (), "2026-05-06T11:00:00", True),
    ("Mon,Wed-Thu 10:00-12:00", "UTC", (), "2026-05-07T11:00:00", True),
    # 24:00 runs to midnight; overnight hours are two items
    ("Fri 22:00-24:00; Sat 00:00-06:00", "UTC", (), "2026-05-08T23:59:59", True),
    ("Fri 22:00-24:00; Sat 00:00-06:00", "UTC", (), "2026-05-09T00:00:00", True),
    ("Fri 22:00-24:00; Sat 00:00-06:00", "UTC", (), "2026-05-09T06:00:00", False),
    ("Sat 10:00-24:00", "UTC", (), "2026-05-10T00:00:00", False),
    # several spans in one day
    ("Mon 09:00-13:00; Mon 14:00-18:00", "UTC", (), "2026-05-04T13:30:00", False),
    ("Mon 09:00-13:00; Mon 14:00-18:00", "UTC", (), "2026-05-04T14:00:00", True),
    # time zones: the local wall clock decides
    (WEEKDAYS, "Europe/Moscow", (), "2026-05-04T06:00:00", True),  # 09:00 MSK
    (WEEKDAYS, "Europe/Moscow", (), "2026-05-04T05:59:59", False),
    (WEEKDAYS, "Europe/Moscow", (), "2026-05-04T15:00:00", False),  # 18:00 MSK
    (WEEKDAYS, "America/New_York", (), "2026-05-04T13:00:00", True),  # 09:00 EDT
    (WEEKDAYS, "America/New_York", (), "2026-05-04T12:59:00", False),
    (WEEKDAYS, "America/New_York", (), "2026-01-05T14:00:00", True),  # 09:00 EST
    (WEEKDAYS, "America/New_York", (), "2026-01-05T13:00:00", False),
    (WEEKDAYS, "Asia/Tokyo", (), "2026-05-09T23:30:00", False),  # Sun 08:30 local
    ("Sun 08:00-09:00", "Asia/Tokyo", (), "2026-05-09T23:30:00", True),
    # exceptions replace the date's weekly hours (2026-12-31 is a Thursday)
    (WEEKDAYS, "Europe/Moscow", NEW_YEAR, "2026-12-31T06:30:00", False),  # 09:30 MSK
    (WEEKDAYS, "Europe/Moscow", NEW_YEAR, "2026-12-31T07:00:00", True),  # 10:00 MSK
    (WEEKDAYS, "Europe/Moscow", NEW_YEAR, "2026-12-31T11:00:00", False),  # 14:00 MSK
    (WEEKDAYS, "Europe/Moscow", NEW_YEAR, "2027-01-01T09:00:00", False),  # Fri, closed
    (WEEKDAYS, "Europe/Moscow", NEW_YEAR, "2026-12-30T14:00:00", True),  # Wed 17:00 MSK
    ("Mon-Fri 09:00-18:00", "UTC", ("2026-05-09 10:00-12:00",), "2026-05-09T11:00:00", True),
    # several exceptions on one date are their union; "closed" adds nothing
    ("Mon-Fri 09:00-18:00", "UTC", ("2026-05-04 09:00-10:00", "2026-05-04 15:00-16:00"),
     "2026-05-04T09:30:00", True),
    ("Mon-Fri 09:00-18:00", "UTC", ("2026-05-04 09:00-10:00", "2026-05-04 15:00-16:00"),
     "2026-05-04T12:00:00", False),
    ("Mon-Fri 09:00-18:00", "UTC", ("2026-05-04 09:00-10:00", "2026-05-04 15:00-16:00"),
     "2026-05-04T15:30:00", True),
    ("Mon-Fri 09:00-18:00", "UTC", ("2026-05-04 closed", "2026-05-04 11:00-12:00"),
     "2026-05-04T11:00:00", True),
    # the exception date is the local one
    (WEEKDAYS, "Europe/Moscow", ("2026-05-05 closed",), "2026-05-04T21:00:00", False),
    # always open, unless an exception closes the date
    (None, "UTC", (), "2026-05-04T03:00:00", True),
    (None, "Europe/Moscow", ("2027-01-01 closed",), "2026-12-31T20:59:59", True),
    (None, "Europe/Moscow", ("2027-01-01 closed",), "2026-12-31T21:00:00", False),
    # DST forward (Berlin 2026-03-29 02:00 CET -> 03:00 CEST): 02:xx never happens
    ("Sun 02:00-03:00", "Europe/Berlin", (), "2026-03-29T00:59:59", False),
    ("Sun 02:00-03:00", "Europe/Berlin", (), "2026-03-29T01:00:00", False),
    ("Sun 02:30-04:00", "Europe/Berlin", (), "2026-03-29T01:00:00", True),  # 03:00 CEST
    # DST back (Berlin 2026-10-25 03:00 CEST -> 02:00 CET): 02:xx happens twice
    ("Sun 02:00-02:30", "Europe/Berlin", (), "2026-10-25T00:15:00", True),  # CEST pass
    ("Sun 02:00-02:30", "Europe/Berlin", (), "2026-10-25T00:45:00", False),
    ("Sun 02:00-02:30", "Europe/Berlin", (), "2026-10-25T01:15:00", True),  # CET pass
    ("Sun 02:00-02:30", "Europe/Berlin", (), "2026-10-25T01:45:00", False),
])
def test_isOpen(text, zone, exceptions, when, expected):
    assert Schedule.parse(text, zone, exceptions).isOpen(at(when)) is expected


# -- nextChange --------------------------------------------------------------------

@pytest.mark.parametrize("text, zone, exceptions, start, changes", [
    # Moscow has no DST: 09:00 MSK is always 06:00 UTC
    (WEEKDAYS, "Europe/Moscow", (), "2026-05-08T12:00:00",  # Fri 15:00 MSK
     ["2026-05-08T15:00:00", "2026-05-09T07:00:00", "2026-05-09T11:00:00",
      "2026-05-11T06:00:00"]),
    (WEEKDAYS, "Europe/Moscow", NEW_YEAR, "2026-12-30T16:00:00",
     ["2026-12-31T07:00:00", "2026-12-31T11:00:00", "2027-01-02T07:00:00"]),
    # exactly on a boundary: the next one, not this one
    (WEEKDAYS, "UTC", (), "2026-05-04T09:00:00", ["2026-05-04T18:00:00"]),
    (WEEKDAYS, "UTC", (), "2026-05-04T08:59:59.5", ["2026-05-04T09:00:00"]),
    # touching spans and days do not count as changes
    ("Mon 09:00-13:00; Mon 13:00-18:00", "UTC", (), "2026-05-04T08:00:00",
     ["2026-05-04T09:00:00", "2026-05-04T18:00:00"]),
    ("Fri 22:00-24:00; Sat 00:00-06:00", "UTC", (), "2026-05-08T12:00:00",
     ["2026-05-08T22:00:00", "2026-05-09T06:00:00"]),
    # Berlin spring forward, 2026-03-29 01:00 UTC (02:00 CET -> 03:00 CEST)
    ("Sun 02:30-04:00", "Europe/Berlin", (), "2026-03-28T12:00:00",  # opens at the jump
     ["2026-03-29T01:00:00", "2026-03-29T02:00:00"]),
    ("Sun 01:00-02:30", "Europe/Berlin", (), "2026-03-28T12:00:00",  # closes at the jump
     ["2026-03-29T00:00:00", "2026-03-29T01:00:00"]),
    ("Sun 02:00-02:45", "Europe/Berlin", (), "2026-03-28T12:00:00",  # never that day
     ["2026-04-05T00:00:00", "2026-04-05T00:45:00"]),
    ("Sun 01:00-03:00", "Europe/Berlin", (), "2026-03-28T12:00:00",
     ["2026-03-29T00:00:00", "2026-03-29T01:00:00"]),
    ("Sun 03:00-05:00", "Europe/Berlin", (), "2026-03-28T12:00:00",
     ["2026-03-29T01:00:00", "2026-03-29T03:00:00"]),
    # Berlin fall back, 2026-10-25 01:00 UTC (03:00 CEST -> 02:00 CET)
    ("Sun 02:30-02:45", "Europe/Berlin", (), "2026-10-24T12:00:00",
     ["2026-10-25T00:30:00", "2026-10-25T00:45:00", "2026-10-25T01:30:00",
      "2026-10-25T01:45:00"]),
    ("Sun 01:00-02:30", "Europe/Berlin", (), "2026-10-24T12:00:00",  # re-opens at the jump
     ["2026-10-24T23:00:00", "2026-10-25T00:30:00", "2026-10-25T01:00:00",
      "2026-10-25T01:30:00"]),
    ("Sun 02:00-03:00", "Europe/Berlin", (), "2026-10-24T12:00:00",  # two hours on the clock
     ["2026-10-25T00:00:00", "2026-10-25T02:00:00"]),
    ("Sat-Sun 00:00-24:00", "Europe/Berlin", (), "2026-10-24T12:00:00",
     ["2026-10-25T23:00:00"]),
    # New York spring forward, 2026-03-08 07:00 UTC (02:00 EST -> 03:00 EDT)
    ("Sun 00:00-02:30", "America/New_York", (), "2026-03-07T12:00:00",
     ["2026-03-08T05:00:00", "2026-03-08T07:00:00"]),
    (WEEKDAYS, "America/New_York", (), "2026-03-06T12:00:00",  # Fri 07:00 EST
     ["2026-03-06T14:00:00", "2026-03-06T23:00:00", "2026-03-07T15:00:00",
      "2026-03-07T19:00:00", "2026-03-09T13:00:00"]),
    # New York fall back, 2026-11-01 06:00 UTC (02:00 EDT -> 01:00 EST)
    ("Sun 01:30-03:00", "America/New_York", (), "2026-10-31T12:00:00",
     ["2026-11-01T05:30:00", "2026-11-01T06:00:00", "2026-11-01T06:30:00",
      "2026-11-01T08:00:00"]),
    # Lord Howe moves by half an hour (2026-10-03 15:30 UTC: 02:00 -> 02:30)
    ("Sun 02:00-02:30", "Australia/Lord_Howe", (), "2026-10-03T12:00:00",
     ["2026-10-10T15:00:00", "2026-10-10T15:30:00"]),
    ("Sun 02:15-03:00", "Australia/Lord_Howe", (), "2026-10-03T12:00:00",
     ["2026-10-03T15:30:00", "2026-10-03T16:00:00"]),
])
def test_nextChange(text, zone, exceptions, start, changes):
    schedule = Schedule.parse(text, zone, exceptions)
    now, got = at(start), []
    for _ in changes:
        now = schedule.nextChange(now)
        got.append(iso(now))
        assert now is not None and schedule.isOpen(now) != schedule.isOpen(now - 1)
    assert got == changes


@pytest.mark.parametrize("text, zone, exceptions, start", [
    (None, "UTC", (), "2026-05-04T00:00:00"),
    (None, "Europe/Berlin", (), "2026-03-28T12:00:00"),
    ("Mon-Sun 00:00-24:00", "Europe/Berlin", (), "2026-03-28T12:00:00"),
    # the only open day is closed three weeks running: nothing within the horizon
    ("Mon 09:00-10:00", "UTC", ("2026-05-04 closed", "2026-05-11 closed",
                                "2026-05-18 closed"), "2026-05-03T00:00:00"),
    # an exception after the horizon is not seen yet
    (None, "UTC", ("2026-06-30 closed",), "2026-05-04T00:00:00"),
])
def test_nextChangeNone(text, zone, exceptions, start):
    assert Schedule.parse(text, zone, exceptions).nextChange(at(start)) is None


def test_nextChangeLooksAsFarAsTheHorizon():
    schedule = Schedule.parse(None, "UTC", ("2026-05-18 closed",))
    now = at("2026-05-18T00:00:00") - HORIZON
    assert schedule.nextChange(now) == at("2026-05-18T00:00:00")
    assert schedule.nextChange(now - 1) is None


ZONES = ["UTC", "Europe/Moscow", "Europe/Berlin", "America/New_York",
         "Australia/Lord_Howe", "Asia/Kathmandu"]
# DST jumps and their eves, so random starts often straddle one
ANCHORS = [at(t) for t in ("2026-03-08T07:00:00", "2026-03-29T01:00:00",
                           "2026-04-04T14:30:00", "2026-10-03T15:30:00",
                           "2026-10-25T01:00:00", "2026-11-01T06:00:00",
                           "2026-12-31T00:00:00")]
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def spans(draw: st.DrawFn) -> str:
    """Half-hour steps hit the DST gaps and overlaps (02:00-03:00) often."""
    start = draw(st.integers(0, 47)) * 30
    end = draw(st.integers(start // 30 + 1, 48)) * 30
    return f"{clock(start)}-{clock(end)}"


@st.composite
def items(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        first = draw(st.integers(0, 6))
        last = draw(st.integers(first, 6))
        days = DAY_NAMES[first] if first == last else f"{DAY_NAMES[first]}-{DAY_NAMES[last]}"
    else:
        chosen = draw(st.lists(st.integers(0, 6), min_size=1, max_size=4, unique=True))
        days = ",".join(DAY_NAMES[d] for d in sorted(chosen))
    return f"{days} {draw(spans())}"


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Schedule, float]:
    zone = draw(st.sampled_from(ZONES))
    now = draw(st.sampled_from(ANCHORS)) + draw(st.integers(-3 * 86400, 3 * 86400)) \
        + draw(st.sampled_from([0, 0.5]))
    text = draw(st.none() | st.lists(items(), min_size=1, max_size=4).map("; ".join))
    today = datetime.fromtimestamp(now, UTC).date()
    exceptions = draw(st.lists(st.tuples(st.integers(-1, 16), st.none() | spans()),
                               max_size=4))
    written = [f"{today + timedelta(days=offset)} {span or 'closed'}"
               for offset, span in exceptions]
    return Schedule.parse(text, zone, written), now


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_nextChangeMatchesBruteForce(scenario):
    schedule, now = scenario
    state = schedule.isOpen(now)
    change = schedule.nextChange(now)
    end = change if change is not None else now + HORIZON
    minute = math.floor(now / 60) * 60 + 60
    while minute < end:
        assert schedule.isOpen(minute) == state, iso(minute)
        minute += 60
    if change is not None:
        assert change == int(change) and now < change <= now + HORIZON
        assert schedule.isOpen(change) != state
        assert schedule.isOpen(change - 1) == state
        assert schedule.nextChange((now + change) / 2) == change


# -- describe ---------------------------------------------------------------------

@pytest.mark.parametrize("text, zone, exceptions, language, now, expected", [
    (WEEKDAYS, "Europe/Moscow", (), "en", None,
     "Mon-Fri 09:00-18:00, Sat 10:00-14:00 (Europe/Moscow time)"),
    (WEEKDAYS, "Europe/Moscow", (), "ru", None,
     "Пн-Пт 09:00-18:00, Сб 10:00-14:00 (время Europe/Moscow)"),
    (WEEKDAYS, "Europe/Moscow", (), "ru-RU", None,
     "Пн-Пт 09:00-18:00, Сб 10:00-14:00 (время Europe/Moscow)"),
    (WEEKDAYS, "UTC", (), "de", None, "Mon-Fri 09:00-18:00, Sat 10:00-14:00 (UTC time)"),
    # consecutive equal days merge, others do not
    ("Mon-Wed 09:00-18:00; Thu-Fri 09:00-18:00", "UTC", (), "en", None,
     "Mon-Fri 09:00-18:00 (UTC time)"),
    ("Mon,Wed 10:00-12:00", "UTC", (), "en", None,
     "Mon 10:00-12:00, Wed 10:00-12:00 (UTC time)"),
    ("Mon-Fri 09:00-18:00; Wed 18:00-20:00", "UTC", (), "en", None,
     "Mon-Tue 09:00-18:00, Wed 09:00-20:00, Thu-Fri 09:00-18:00 (UTC time)"),
    ("Sat-Sun 10:00-16:00", "UTC", (), "en", None, "Sat-Sun 10:00-16:00 (UTC time)"),
    # spans of one day; touching ones read as one
    ("Mon-Fri 09:00-13:00; Mon-Fri 14:00-18:00; Sat 10:00-24:00", "UTC", (), "en", None,
     "Mon-Fri 09:00-13:00 and 14:00-18:00, Sat 10:00-24:00 (UTC time)"),
    ("Mon-Fri 09:00-13:00; Mon-Fri 14:00-18:00", "UTC", (), "ru", None,
     "Пн-Пт 09:00-13:00 и 14:00-18:00 (время UTC)"),
    ("Mon-Fri 09:00-13:00; Mon-Fri 13:00-18:00", "UTC", (), "en", None,
     "Mon-Fri 09:00-18:00 (UTC time)"),
    # always open
    (None, "UTC", (), "en", None, "open around the clock"),
    (None, "Europe/Moscow", (), "ru", None, "круглосуточно"),
    (None, "Europe/Moscow", NEW_YEAR, "en", None, "open around the clock"),
    # upcoming exceptions only with now, only the next 14 local days
    (WEEKDAYS, "Europe/Moscow", NEW_YEAR, "en", None,
     "Mon-Fri 09:00-18:00, Sat 10:00-14:00 (Europe/Moscow time)"),
    (WEEKDAYS, "Europe/Moscow", NEW_YEAR, "en", at("2026-12-28T12:00:00"),
     ("Mon-Fri 09:00-18:00, Sat 10:00-14:00 (Europe/Moscow time); "
      "31 Dec: 10:00-14:00; 1 Jan: closed")),
    (WEEKDAYS, "Europe/Moscow", NEW_YEAR, "ru", at("2026-12-28T12:00:00"),
     ("Пн-Пт 09:00-18:00, Сб 10:00-14:00 (время Europe/Moscow); "
      "31 дек: 10:00-14:00; 1 янв: выходной")),
    (WEEKDAYS, "Europe/Moscow", NEW_YEAR, "en", at("2026-12-31T21:30:00"),  # 1 Jan MSK
     "Mon-Fri 09:00-18:00, Sat 10:00-14:00 (Europe/Moscow time); 1 Jan: closed"),
    (WEEKDAYS, "Europe/Moscow", NEW_YEAR, "en", at("2026-12-18T12:00:00"),
     "Mon-Fri 09:00-18:00, Sat 10:00-14:00 (Europe/Moscow time); 31 Dec: 10:00-14:00"),
    (WEEKDAYS, "Europe/Moscow", NEW_YEAR, "en", at("2026-12-17T12:00:00"),
     "Mon-Fri 09:00-18:00, Sat 10:00-14:00 (Europe/Moscow time)"),
    (WEEKDAYS, "UTC", ("2026-05-04 09:00-10:00", "2026-05-04 15:00-16:00"), "en",
     at("2026-05-04T00:00:00"),
     "Mon-Fri 09:00-18:00, Sat 10:00-14:00 (UTC time); 4 May: 09:00-10:00 and 15:00-16:00"),
    (None, "Europe/Moscow", NEW_YEAR, "en", at("2026-12-28T12:00:00"),
     "open around the clock (Europe/Moscow time); 31 Dec: 10:00-14:00; 1 Jan: closed"),
])
def test_describe(text, zone, exceptions, language, now, expected):
    assert Schedule.parse(text, zone, exceptions).describe(language, now) == expected


def test_describeDefaultsToEnglish():
    assert Schedule.parse("Mon 09:00-10:00").describe() == "Mon 09:00-10:00 (UTC time)"


# -- parsing ----------------------------------------------------------------------

def test_parseNormalises():
    schedule = Schedule.parse("Mon-Tue 09:00-12:00; Mon 11:00-13:00", "UTC",
                              ["2026-05-04 closed", "2026-05-04 10:00-11:00",
                               " 2026-05-03 12:00-24:00 "])
    assert schedule.weekly == (((540, 780),), ((540, 720),), (), (), (), (), ())
    assert schedule.exceptions == ((date(2026, 5, 3), ((720, 1440),)),
                                   (date(2026, 5, 4), ((600, 660),)))
    assert schedule == Schedule.parse("Mon 09:00-13:00; Tue 09:00-12:00", "UTC",
                                      ["2026-05-03 12:00-24:00", "2026-05-04 10:00-11:00"])
    assert hash(schedule) == hash(Schedule.parse(
        "Mon 09:00-13:00; Tue 09:00-12:00", "UTC",
        ["2026-05-03 12:00-24:00", "2026-05-04 10:00-11:00"]))
    with pytest.raises(FrozenInstanceError):
        schedule.timezone = "Europe/Moscow"  # type: ignore[misc]


@pytest.mark.parametrize("text, zone, exceptions", [
    ("always", "UTC", ()),
    ("", "UTC", ()),
    ("Mon 18:00-09:00", "UTC", ()),
    ("Mon 09:00-25:00", "UTC", ()),
    ("Mon 09:00-18:00", "Mars/Olympus", ()),
    ("Mon 09:00-18:00", "Europe", ()),
    ("Mon 09:00-18:00", "", ()),
    (None, "Nope/Zone", ()),
    (None, "UTC", ("2026-13-01 closed",)),
    (None, "UTC", ("2026-02-30 closed",)),
    (None, "UTC", ("2026-12-31",)),
    (None, "UTC", ("2026-12-31 open",)),
    (None, "UTC", ("2026-12-31 14:00-10:00",)),
    (None, "UTC", ("2026-12-31 10:00-24:30",)),
    (None, "UTC", ("2026-12-31 10:00-14:00; 15:00-16:00",)),
    (None, "UTC", ("2026-12-31 Mon 10:00-14:00",)),
    (None, "UTC", ("tomorrow closed",)),
])
def test_parseRejectsGarbage(text, zone, exceptions):
    with pytest.raises(ValueError):
        Schedule.parse(text, zone, exceptions)


# -- the syntax: parsed here, checked by the config loader with the same parser ------

@pytest.mark.parametrize("text, parsed", [
    ("2026-12-31 closed", (date(2026, 12, 31), ())),
    (" 2026-12-31  10:00 - 14:00 ", (date(2026, 12, 31), ((600, 840),))),
    ("2027-01-01 00:00-24:00", (date(2027, 1, 1), ((0, 1440),))),
])
def test_parseException(text, parsed):
    assert parseException(text) == parsed


@pytest.mark.parametrize("parse, text, message", [
    (parseException, "2026-02-30 closed", 'must be a real calendar date, got "2026-02-30 closed"'),
    (parseException, "2026-12-31 10:00-14:00;",
     'must be "YYYY-MM-DD HH:MM-HH:MM" or "YYYY-MM-DD closed", got "2026-12-31 10:00-14:00;"'),
    (parseException, "2026-12-31 10:00-24:30", "has an impossible time 24:30"),
    (scheduleItems, "Mon-Fri 09:00-25:00", "has an impossible time 25:00"),
    (scheduleItems, "Пн 09:00-18:00", 'has days "Пн"; days are Mon, Tue, Wed, Thu, Fri, Sat, '
     'Sun, as "Mon", "Mon-Fri" or "Mon,Wed"'),
])
def test_syntaxErrorsReadAfterTheKeyThatHoldsTheText(parse, text, message):
    with pytest.raises(ScheduleError) as caught:
        parse(text)
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


def test_theCoreDoesNotImportTheConfigReaders():
    core = Path(__file__).resolve().parents[2] / "imsupport" / "core"
    assert (core / "schedule.py").exists()
    for path in sorted(core.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        imported |= {a.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                     for a in node.names}
        assert "imsupport.configvalues" not in imported, path


# -- temporary nodes ---------------------------------------------------------------

LAUNCH = ("2026-05-01T09:00:00+03:00", "2026-05-10T18:00:00+03:00")


@pytest.mark.parametrize("active_from, active_until, zone, now, active, change", [
    (*LAUNCH, "UTC", "2026-05-01T05:59:59", False, "2026-05-01T06:00:00"),
    (*LAUNCH, "UTC", "2026-05-01T06:00:00", True, "2026-05-10T15:00:00"),
    (*LAUNCH, "America/New_York", "2026-05-10T14:59:59", True, "2026-05-10T15:00:00"),
    (*LAUNCH, "UTC", "2026-05-10T15:00:00", False, None),
    # no offset: the node's own zone
    ("2026-05-01T09:00", "2026-05-01T18:00", "Europe/Moscow", "2026-05-01T05:59:59",
     False, "2026-05-01T06:00:00"),
    ("2026-05-01T09:00", "2026-05-01T18:00", "Europe/Moscow", "2026-05-01T06:00:00",
     True, "2026-05-01T15:00:00"),
    ("2026-05-01T09:00", "2026-05-01T18:00", "UTC", "2026-05-01T06:00:00",
     False, "2026-05-01T09:00:00"),
    ("2026-05-01", "2026-05-02", "Europe/Moscow", "2026-04-30T21:00:00",
     True, "2026-05-01T21:00:00"),
    # in summer and across a DST change; a nonexistent local time reads as fold=0
    ("2026-03-28T12:00", "2026-03-29T12:00", "Europe/Berlin", "2026-03-29T09:59:59",
     True, "2026-03-29T10:00:00"),
    ("2026-03-29T02:30", None, "Europe/Berlin", "2026-03-29T01:29:59",
     False, "2026-03-29T01:30:00"),
    ("2026-05-01T06:00:00Z", None, "Asia/Tokyo", "2026-05-01T06:00:00", True, None),
    # unbounded sides
    (None, "2026-05-10T18:00:00+03:00", "UTC", "2020-01-01T00:00:00",
     True, "2026-05-10T15:00:00"),
    ("2026-05-01T09:00:00+03:00", None, "UTC", "2030-01-01T00:00:00", True, None),
    (None, None, "UTC", "2026-05-01T00:00:00", True, None),
    # an empty window never opens
    ("2026-05-02T00:00:00Z", "2026-05-01T00:00:00Z", "UTC", "2026-04-01T00:00:00",
     False, None),
])
def test_activeWindow(active_from, active_until, zone, now, active, change):
    assert activeWindow(active_from, active_until, zone, at(now)) is active
    got = windowNextChange(active_from, active_until, zone, at(now))
    assert iso(got) == change
    if got is not None:
        assert activeWindow(active_from, active_until, zone, got) is not active
        assert activeWindow(active_from, active_until, zone, got - 1) is active


def test_windowBoundsReadNaiveTimesInTheNodesZone():
    # the config loader refuses a window that closes before it opens with these bounds
    assert windowBounds("2026-05-01T09:00", "2026-05-01T09:00:00+03:00", "Europe/Moscow") == (
        at("2026-05-01T06:00:00"), at("2026-05-01T06:00:00"))
    assert windowBounds(None, None, "UTC") == (-math.inf, math.inf)


@pytest.mark.parametrize("active_from, active_until, zone", [
    ("soon", None, "UTC"),
    (None, "2026-05-32T00:00:00", "UTC"),
    ("2026-05-01T09:00", None, "Nope/Zone"),
])
def test_activeWindowRejectsGarbage(active_from, active_until, zone):
    with pytest.raises(ValueError):
        activeWindow(active_from, active_until, zone, 0.0)
    with pytest.raises(ValueError):
        windowNextChange(active_from, active_until, zone, 0.0)
