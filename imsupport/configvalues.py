"""
Value readers for the configuration loader: each checks one TOML value and
raises ``_Bad`` with the problem in words an admin understands; ``_Table``
reads one table and remembers which keys were asked for, so that whatever is
left over is reported as unknown. Also the strict parser of the SPEC's
schedule syntax, shared with the schedule engine.
"""
from __future__ import annotations

import difflib
import json
import os
import re
from datetime import date, datetime, time
from types import MappingProxyType
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from imsupport.core.model import NODE_NAME


class ConfigError(Exception):
    """The configuration file is wrong; str() names the file, key and problem."""

RINGS = ("sequential", "parallel")
OFF_HOURS = ("autoreply", "offline")
SEED_MODES = ("replace", "missing", "never")
SCOPES = ("read", "control", "admin")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
STORAGE_SCHEMES = ("sqlite:", "postgresql://", "postgres://", "memory:")

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_LOCALPART = re.compile(r"[^\s\"&'/:<>@]{1,1023}")
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
PLUGIN_NAME = re.compile(r"[a-z0-9_]+")
_SPAN = re.compile(r"(\d\d):(\d\d)\s*-\s*(\d\d):(\d\d)")
_SCHEDULE_ITEM = re.compile(r"(?P<days>.+?)\s+(?P<span>\S+\s*-\s*\S+)")
_EXCEPTION = re.compile(r"(?P<day>\d{4}-\d\d-\d\d)\s+(?P<rest>closed|\d\d:\d\d\s*-\s*\d\d:\d\d)")
_REQUIRED: Any = object()


class _Bad(ValueError):
    """A value is wrong; the text follows the key path in the final message,
    and ``index`` points into a list so the path can name the very item."""

    def __init__(self, problem: str, index: int | None = None) -> None:
        super().__init__(problem)
        self.index = index


def _show(value: Any) -> str:
    """Render a TOML value the way the admin wrote it, for "got ..." hints."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)


def _want(what: str, value: Any) -> _Bad:
    return _Bad(f"must be {what}, got {_show(value)}")


class _Table:
    """One TOML table being read; ``finish()`` reports the keys nobody asked for."""

    def __init__(self, file: str, path: str, data: dict[str, Any]) -> None:
        self.file, self.path, self.data = file, path, data
        self.seen: set[str] = set()

    def where(self, key: str, index: int | None = None) -> str:
        name = key if _BARE_KEY.fullmatch(key) else _show(key)
        full = f"{self.path}.{name}" if self.path else name
        return full if index is None else f"{full}[{index}]"

    def fail(self, key: str, problem: str, index: int | None = None) -> ConfigError:
        return ConfigError(f"{self.file}: {self.where(key, index)} {problem}")

    def _raw(self, key: str, default: Any) -> tuple[bool, Any]:
        self.seen.add(key)
        if key in self.data:
            return True, self.data[key]
        if default is _REQUIRED:
            unknown = [k for k in self.data if k not in self.seen]
            close = difflib.get_close_matches(key, unknown, n=1)
            hint = f" (is {_show(close[0])} a misspelling?)" if close else ""
            raise self.fail(key, f"is required{hint}")
        return False, default

    def value(self, key: str, check: Callable[[Any], Any], default: Any = _REQUIRED) -> Any:
        present, raw = self._raw(key, default)
        if not present:
            return raw
        try:
            return check(raw)
        except _Bad as bad:
            raise self.fail(key, str(bad), bad.index) from None

    def table(self, key: str) -> _Table:
        _, raw = self._raw(key, {})
        if not isinstance(raw, dict):
            raise self.fail(key, f"must be a table ([{key}]), got {_show(raw)}")
        return _Table(self.file, self.where(key), raw)

    def tables(self, key: str) -> list[_Table]:
        _, raw = self._raw(key, [])
        if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
            raise self.fail(key, f"must be an array of tables ([[{key}]]), got {_show(raw)}")
        return [_Table(self.file, self.where(key, i), t) for i, t in enumerate(raw)]

    def finish(self) -> None:
        for key in self.data:
            if key not in self.seen:
                close = difflib.get_close_matches(key, sorted(self.seen), n=1)
                hint = f" (did you mean {_show(close[0])}?)" if close else ""
                raise ConfigError(f"{self.file}: unknown key {self.where(key)}{hint}")


def _listOf(check: Callable[[Any], Any],
            nonempty: bool = False) -> Callable[[Any], tuple[Any, ...]]:
    """A list whose items each pass ``check``; a repeat is always a mistake."""
    def checkList(v: Any) -> tuple[Any, ...]:
        if not isinstance(v, list) or (nonempty and not v):
            raise _want("a non-empty list" if nonempty else "a list", v)
        out: list[Any] = []
        for i, item in enumerate(v):
            try:
                got = check(item)
            except _Bad as bad:
                raise _Bad(str(bad), i) from None
            if got in out:
                raise _Bad(f"repeats {_show(item)}", i)
            out.append(got)
        return tuple(out)
    return checkList


def _unique(tables: list[_Table], key: str, values: list[Any]) -> None:
    """Names are addresses or lookup keys: two with one name would shadow each other."""
    first: dict[Any, _Table] = {}
    for t, v in zip(tables, values, strict=True):
        if v in first:
            raise t.fail(key, f"{_show(v)} is already used by {first[v].path}")
        first[v] = t


# -- value checks: each returns the (normalised) value or raises _Bad --------

def _int(minimum: int, what: str, maximum: int | None = None) -> Callable[[Any], int]:
    def check(v: Any) -> int:
        # bool is an int subclass in Python; `true` is never a count of seconds
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum \
                or (maximum is not None and v > maximum):
            raise _want(what, v)
        return v
    return check


_positive = _int(1, "a positive integer")
_nonNegative = _int(0, "a non-negative integer")
_port = _int(1, "a port number (1-65535)", 65535)


def _positiveNumber(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v < float("inf"):
        raise _want("a positive number", v)
    return float(v)


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise _want("true or false", v)
    return v


def _text(v: Any) -> str:
    if not isinstance(v, str):
        raise _want("a string", v)
    return v


def _name(v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise _want("a non-empty string", v)
    return v


def _word(v: Any) -> str:
    """Things typed after a command (``!faq <id>``) cannot contain spaces."""
    if not isinstance(v, str) or not v or any(c.isspace() for c in v):
        raise _want("a non-empty string without spaces", v)
    return v


def _choice(*allowed: str) -> Callable[[Any], str]:
    names = [_show(a) for a in allowed]
    what = " or ".join(names) if len(names) == 2 else "one of " + ", ".join(names)

    def check(v: Any) -> str:
        if not isinstance(v, str) or v not in allowed:
            raise _want(what, v)
        return v
    return check


def _domain(v: Any) -> str:
    if not isinstance(v, str) or len(v) > 253 or not _DOMAIN.fullmatch(v.lower()):
        raise _want('a domain name like "support.shop.example"', v)
    return v.lower()


def _bareJid(v: Any) -> str:
    text = v if isinstance(v, str) else ""
    if "/" in text:
        raise _want('a bare JID without a resource (no "/...")', v)
    local, at, domain = text.partition("@")
    if not at or not _LOCALPART.fullmatch(local) or not _DOMAIN.fullmatch(domain.lower()):
        raise _want('a bare JID like "ivan@shop.example"', v)
    return text.lower()


def _language(v: Any) -> str:
    if not isinstance(v, str) or not _LANGUAGE.fullmatch(v):
        raise _want('a lowercase language code like "en", "ru" or "pt-br"', v)
    return v.lower()


def _nodeName(v: Any) -> str:
    if isinstance(v, str) and "+" in v:
        raise _want('a name without "+" (chat addresses are <node>+<number>@domain)', v)
    if not isinstance(v, str) or not NODE_NAME.fullmatch(v):
        raise _want('a name of a-z, 0-9, ".", "_", "-" starting with a letter or digit', v)
    return v


def _timezone(v: Any) -> str:
    name = _name(v)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise _want('a known IANA time zone like "Europe/Moscow" or "UTC"', v) from None
    return name


def _minutes(hh: str, mm: str, end: bool) -> int:
    """24:00 may end a span (open until midnight); nothing else past 23:59."""
    h, m = int(hh), int(mm)
    if m > 59 or h > 24 or (h == 24 and (m or not end)):
        raise _Bad(f"has an impossible time {hh}:{mm}")
    return h * 60 + m


def _span(text: str) -> tuple[int, int]:
    match = _SPAN.fullmatch(text.strip())
    if not match:
        raise _Bad(f'has {_show(text)} where a time span like "09:00-18:00" belongs')
    start, end = _minutes(match[1], match[2], False), _minutes(match[3], match[4], True)
    if start >= end:
        raise _Bad(f"has a span {_show(text)} that does not end after it starts "
                   '(split overnight hours: "Fri 22:00-24:00; Sat 00:00-06:00")')
    return start, end


def _days(text: str) -> tuple[int, ...]:
    days: list[int] = []
    for part in text.split(","):
        first, _, last = (p.strip() for p in part.partition("-"))
        if first not in DAYS or (last and last not in DAYS):
            raise _Bad(f"has days {_show(text)}; days are {', '.join(DAYS)}, "
                       'as "Mon", "Mon-Fri" or "Mon,Wed"')
        a, b = DAYS.index(first), DAYS.index(last or first)
        if b < a:
            raise _Bad(f"has a day range {_show(part.strip())} that runs backwards")
        days.extend(range(a, b + 1))
    return tuple(sorted(set(days)))


def scheduleItems(text: str) -> tuple[tuple[tuple[int, ...], int, int], ...]:
    """Parse SPEC schedule syntax into (weekdays 0=Mon.., start, end minute) items.

    Pure and strict so a typo fails at start-up instead of quietly keeping a
    node closed; the schedule engine can build on the same parse.
    """
    items = []
    for item in (i.strip() for i in text.split(";")):
        if not item:
            continue  # a trailing ";" is harmless
        match = _SCHEDULE_ITEM.fullmatch(item)
        if not match:
            raise _Bad(f'has {_show(item)} where an item like "Mon-Fri 09:00-18:00" belongs')
        items.append((_days(match["days"]), *_span(match["span"])))
    if not items:
        raise _Bad('must list opening hours like "Mon-Fri 09:00-18:00; Sat 10:00-14:00"')
    return tuple(items)


def _schedule(v: Any) -> str:
    text = _text(v)
    scheduleItems(text)
    return text.strip()


def _exception(v: Any) -> str:
    text = _text(v).strip()
    match = _EXCEPTION.fullmatch(text)
    if not match:
        raise _want('"YYYY-MM-DD HH:MM-HH:MM" or "YYYY-MM-DD closed"', v)
    try:
        date.fromisoformat(match["day"])
    except ValueError:
        raise _want("a real calendar date", v) from None
    if match["rest"] != "closed":
        _span(match["rest"])
    return text


def _instant(v: Any) -> str:
    """TOML date-times are accepted too; stored as the ISO text the model keeps."""
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    text = v if isinstance(v, str) else "not a string"
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise _want('an ISO 8601 date and time like "2026-05-01T09:00:00+03:00"', v) from None
    return text


def _storageUrl(base: str) -> Callable[[Any], str]:
    """Relative SQLite paths follow the config file, so the demo runs from any cwd."""
    def check(v: Any) -> str:
        url = _text(v)
        if not url.startswith(STORAGE_SCHEMES):
            raise _want("a URL starting with " + ", ".join(STORAGE_SCHEMES), v)
        if not url.startswith("sqlite:"):
            return url
        rest = url[len("sqlite:"):]
        rest = rest[2:] if rest.startswith("///") else rest
        if not rest or rest.startswith("//") or rest.endswith("/"):
            raise _want('"sqlite:///absolute/path/file" or "sqlite:relative/path/file"', v)
        return "sqlite://" + os.path.normpath(os.path.join(base, rest))
    return check


def _localPath(base: str) -> Callable[[Any], str]:
    return lambda v: os.path.normpath(os.path.join(base, _name(v)))


def _frozen(v: Any) -> Any:
    """A read-only copy of a TOML value (tables become read-only mappings,
    arrays tuples), so a plugin's options in the Config cannot change."""
    if isinstance(v, dict):
        return MappingProxyType({k: _frozen(x) for k, x in v.items()})
    if isinstance(v, list):
        return tuple(_frozen(x) for x in v)
    return v


def _httpUrl(v: Any) -> str:
    url = _name(v)
    if not url.startswith(("http://", "https://")):
        raise _want('an http:// or https:// URL', v)
    return url


# -- sections ------------------------------------------------------------------
