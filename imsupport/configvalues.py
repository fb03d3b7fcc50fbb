"""
Value readers for the configuration loader: each checks one TOML value and
raises ``Bad`` with the problem in words an admin understands; ``Table``
reads one table and remembers which keys were asked for, so that whatever is
left over is reported as unknown. ``Table.fields`` reads a dataclass's
fields, each missing key taking that field's default: a default is written
once, in its dataclass. The schedule syntax is the schedule engine's
(``imsupport.core.schedule``), the SQLite URL syntax the store's.
"""
from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import json
import os
import re
from collections.abc import Mapping
from datetime import date, datetime, time
from types import MappingProxyType
from typing import Any, Callable, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from imsupport.core.model import NODE_NAME
from imsupport.core.schedule import ScheduleError, parseException, scheduleItems
from imsupport.store.urls import SCHEMES, sqlitePath

__all__ = [
    "Bad", "Check", "ConfigError", "OFF_HOURS", "PLUGIN_NAME", "REQUIRED", "RINGS", "SCOPES",
    "SEED_MODES", "Table", "bareJid", "boolean", "choice", "domainName", "exception", "faqId",
    "fieldDefault", "frozen", "hostName", "httpUrl", "instant", "ipNetwork",
    "languageCode", "listOf", "localPath", "nodeName", "nonEmpty", "nonNegative",
    "optionalPath", "origin", "port",
    "positive", "positiveNumber", "schedule",
    "show", "storageUrl", "string", "timezone", "unique", "want", "word",
]


class ConfigError(Exception):
    """The configuration file is wrong; str() names the file, key and problem."""


RINGS = ("sequential", "parallel")
OFF_HOURS = ("autoreply", "offline")
SEED_MODES = ("replace", "missing", "never")
SCOPES = ("read", "control", "admin")

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_LOCALPART = re.compile(r"[^\s\"&'/:<>@]{1,1023}")
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
PLUGIN_NAME = re.compile(r"[a-z0-9_]+")
REQUIRED: Any = object()  # a key without a default: its absence is an error
Check = Callable[[Any], Any]
T = TypeVar("T")


class Bad(ValueError):
    """A value is wrong; the text follows the key path in the final message,
    and ``index`` points into a list so the path can name the very item."""

    def __init__(self, problem: str, index: int | None = None) -> None:
        super().__init__(problem)
        self.index = index


def show(value: Any) -> str:
    """Render a TOML value the way the admin wrote it, for "got ..." hints."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)


def want(what: str, value: Any) -> Bad:
    return Bad(f"must be {what}, got {show(value)}")


class Table:
    """One TOML table being read; ``finish()`` reports the keys nobody asked for."""

    def __init__(self, file: str, path: str, data: dict[str, Any]) -> None:
        self.file, self.path, self.data = file, path, data
        self.seen: set[str] = set()

    def where(self, key: str, index: int | None = None) -> str:
        name = key if _BARE_KEY.fullmatch(key) else show(key)
        full = f"{self.path}.{name}" if self.path else name
        return full if index is None else f"{full}[{index}]"

    def fail(self, key: str, problem: str, index: int | None = None) -> ConfigError:
        return ConfigError(f"{self.file}: {self.where(key, index)} {problem}")

    def _raw(self, key: str, default: Any) -> tuple[bool, Any]:
        self.seen.add(key)
        if key in self.data:
            return True, self.data[key]
        if default is REQUIRED:
            unknown = [k for k in self.data if k not in self.seen]
            close = difflib.get_close_matches(key, unknown, n=1)
            hint = f" (is {show(close[0])} a misspelling?)" if close else ""
            raise self.fail(key, f"is required{hint}")
        return False, default

    def value(self, key: str, check: Check, default: Any = REQUIRED) -> Any:
        present, raw = self._raw(key, default)
        if not present:
            return raw
        try:
            return check(raw)
        except Bad as bad:
            raise self.fail(key, str(bad), bad.index) from None

    def fields(self, cls: type[Any], defaults: Mapping[str, Any] | None = None,
               **checks: Check) -> dict[str, Any]:
        """The keys named in ``checks`` (read in that order), each a field of
        the dataclass ``cls``; a missing key takes the field's default, or the
        one in ``defaults`` where it depends on the rest of the file
        (``REQUIRED`` there makes a key required whatever the field says)."""
        given = defaults or {}
        return {key: self.value(key, check,
                                given[key] if key in given else fieldDefault(cls, key))
                for key, check in checks.items()}

    def build(self, cls: type[T], defaults: Mapping[str, Any] | None = None,
              **checks: Check) -> T:
        """``cls`` made of ``fields(cls, defaults, **checks)``, the table then
        finished (a key nobody asked for is an error)."""
        made = cls(**self.fields(cls, defaults, **checks))
        self.finish()
        return made

    def table(self, key: str) -> Table:
        _, raw = self._raw(key, {})
        if not isinstance(raw, dict):
            raise self.fail(key, f"must be a table ([{key}]), got {show(raw)}")
        return Table(self.file, self.where(key), raw)

    def tables(self, key: str) -> list[Table]:
        _, raw = self._raw(key, [])
        if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
            raise self.fail(key, f"must be an array of tables ([[{key}]]), got {show(raw)}")
        return [Table(self.file, self.where(key, i), t) for i, t in enumerate(raw)]

    def finish(self) -> None:
        for key in self.data:
            if key not in self.seen:
                close = difflib.get_close_matches(key, sorted(self.seen), n=1)
                hint = f" (did you mean {show(close[0])}?)" if close else ""
                raise ConfigError(f"{self.file}: unknown key {self.where(key)}{hint}")


def fieldDefault(cls: type[Any], name: str) -> Any:
    """The default the dataclass ``cls`` declares for its field ``name``
    (a fresh one from a default_factory), ``REQUIRED`` where it has none."""
    for f in dataclasses.fields(cls):
        if f.name == name:
            if f.default is not dataclasses.MISSING:
                return f.default
            if f.default_factory is not dataclasses.MISSING:
                return f.default_factory()
            return REQUIRED
    raise TypeError(f"{cls.__name__} has no field {name!r}")


def listOf(check: Check, nonempty: bool = False) -> Callable[[Any], tuple[Any, ...]]:
    """A list whose items each pass ``check``; a repeat is always a mistake."""
    def checkList(v: Any) -> tuple[Any, ...]:
        if not isinstance(v, list) or (nonempty and not v):
            raise want("a non-empty list" if nonempty else "a list", v)
        out: list[Any] = []
        for i, item in enumerate(v):
            try:
                got = check(item)
            except Bad as bad:
                raise Bad(str(bad), i) from None
            if got in out:
                raise Bad(f"repeats {show(item)}", i)
            out.append(got)
        return tuple(out)
    return checkList


def unique(tables: list[Table], key: str, values: list[Any]) -> None:
    """Names are addresses or lookup keys: two with one name would shadow each other."""
    first: dict[Any, Table] = {}
    for t, v in zip(tables, values, strict=True):
        if v in first:
            raise t.fail(key, f"{show(v)} is already used by {first[v].path}")
        first[v] = t


# -- value checks: each returns the (normalised) value or raises Bad --------

def _int(minimum: int, what: str, maximum: int | None = None) -> Callable[[Any], int]:
    def check(v: Any) -> int:
        # bool is an int subclass in Python; `true` is never a count of seconds
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum \
                or (maximum is not None and v > maximum):
            raise want(what, v)
        return v
    return check


positive = _int(1, "a positive integer")
nonNegative = _int(0, "a non-negative integer")
port = _int(1, "a port number (1-65535)", 65535)


def positiveNumber(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v < float("inf"):
        raise want("a positive number", v)
    return float(v)


def boolean(v: Any) -> bool:
    if not isinstance(v, bool):
        raise want("true or false", v)
    return v


def string(v: Any) -> str:
    if not isinstance(v, str):
        raise want("a string", v)
    return v


def nonEmpty(v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise want("a non-empty string", v)
    return v


def word(v: Any) -> str:
    """Things typed after a command (``!faq <id>``) cannot contain spaces."""
    if not isinstance(v, str) or not v or any(c.isspace() for c in v):
        raise want("a non-empty string without spaces", v)
    return v


def faqId(v: Any) -> str:
    """A word (``!faq <id>``) that is also a path segment of the API
    (``/faq/{id}``): at most 64 characters, no "/"; any letters."""
    if not isinstance(v, str) or not v or len(v) > 64 \
            or any(c.isspace() or c == "/" for c in v):
        raise want('a word of at most 64 characters without spaces or "/"', v)
    return v


def choice(*allowed: str) -> Callable[[Any], str]:
    names = [show(a) for a in allowed]
    what = " or ".join(names) if len(names) == 2 else "one of " + ", ".join(names)

    def check(v: Any) -> str:
        if not isinstance(v, str) or v not in allowed:
            raise want(what, v)
        return v
    return check


def domainName(v: Any) -> str:
    if not isinstance(v, str) or len(v) > 253 or not _DOMAIN.fullmatch(v.lower()):
        raise want('a domain name like "support.shop.example"', v)
    return v.lower()


def hostName(v: Any) -> str:
    """A domain name or an IP address literal (IPv6 without brackets)."""
    if isinstance(v, str):
        try:
            return str(ipaddress.ip_address(v))
        except ValueError:
            pass
    if not isinstance(v, str) or len(v) > 253 or not _DOMAIN.fullmatch(v.lower()):
        raise want('a host name like "files.shop.example" or an IP address', v)
    return v.lower()


def ipNetwork(v: Any) -> str:
    """An address or a network: ``"10.0.0.0/8"``, ``"192.0.2.7"``, ``"2001:db8::/32"``."""
    if isinstance(v, str):
        try:
            return str(ipaddress.ip_network(v.strip(), strict=False))
        except ValueError:
            pass
    raise want('an IP address or network like "10.0.0.0/8"', v)


def bareJid(v: Any) -> str:
    if isinstance(v, str) and "/" in v:
        raise want('a bare JID without a resource (no "/...")', v)
    jid = v if isinstance(v, str) else ""
    local, at, domain = jid.partition("@")
    if not at or not _LOCALPART.fullmatch(local) or not _DOMAIN.fullmatch(domain.lower()):
        raise want('a bare JID like "ivan@shop.example"', v)
    return jid.lower()


def languageCode(v: Any) -> str:
    if not isinstance(v, str) or not _LANGUAGE.fullmatch(v):
        raise want('a lowercase language code like "en", "ru" or "pt-br"', v)
    return v.lower()


def nodeName(v: Any) -> str:
    if isinstance(v, str) and "+" in v:
        raise want('a name without "+" (chat addresses are <node>+<number>@domain)', v)
    if not isinstance(v, str) or not NODE_NAME.fullmatch(v):
        raise want('a name of a-z, 0-9, ".", "_", "-" starting with a letter or digit, '
                   'at most 63 characters', v)
    return v


def timezone(v: Any) -> str:
    try:
        ZoneInfo(name := nonEmpty(v))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise want('a known IANA time zone like "Europe/Moscow" or "UTC"', v) from None
    return name


def _scheduleText(parse: Callable[[str], Any]) -> Callable[[Any], str]:
    """Text the schedule engine parses with ``parse``, its own wording kept."""
    def check(v: Any) -> str:
        try:
            parse(text := string(v))
        except ScheduleError as e:
            raise Bad(str(e)) from None
        return text.strip()
    return check


schedule = _scheduleText(scheduleItems)  # "Mon-Fri 09:00-18:00; Sat 10:00-14:00"
exception = _scheduleText(parseException)  # "2026-12-31 10:00-14:00", "2027-01-01 closed"


def instant(v: Any) -> str:
    """TOML date-times are accepted too; stored as the ISO text the model keeps."""
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    text = v if isinstance(v, str) else "not a string"
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise want('an ISO 8601 date and time like "2026-05-01T09:00:00+03:00"', v) from None
    return text


def storageUrl(base: str) -> Callable[[Any], str]:
    """Relative SQLite paths follow the config file, so the demo runs from any cwd."""
    def check(v: Any) -> str:
        url = string(v)
        if not url.startswith(SCHEMES):
            raise want("a URL starting with " + ", ".join(SCHEMES), v)
        if not url.startswith("sqlite:"):
            return url
        try:
            path = sqlitePath(url)
        except ValueError:
            raise want('"sqlite:///absolute/path/file" or "sqlite:relative/path/file"',
                       v) from None
        return "sqlite://" + os.path.normpath(os.path.join(base, path))
    return check


def localPath(base: str) -> Callable[[Any], str]:
    return lambda v: os.path.normpath(os.path.join(base, nonEmpty(v)))


def optionalPath(base: str) -> Callable[[Any], str]:
    """As localPath, and "" for none."""
    return lambda v: "" if v == "" else localPath(base)(v)


def frozen(v: Any) -> Any:
    """A read-only copy of a TOML value (tables become read-only mappings,
    arrays tuples), so a plugin's options in the Config cannot change."""
    if isinstance(v, dict):
        return MappingProxyType({k: frozen(x) for k, x in v.items()})
    if isinstance(v, list):
        return tuple(frozen(x) for x in v)
    return v


_ORIGIN = re.compile(rf"(https?)://((?:\*\.)?{_LABEL}(?:\.{_LABEL})*)(?::(\d{{1,5}}))?")


def origin(v: Any) -> str:
    """A web origin, ``https://shop.example`` or ``http://localhost:8000``
    (``https://*.shop.example`` for its subdomains): no path, no slash at
    the end. What a Content-Security-Policy's frame-ancestors lists."""
    found = _ORIGIN.fullmatch(v.lower()) if isinstance(v, str) else None
    if found is None or (found.group(3) is not None and not 0 < int(found.group(3)) < 65536):
        raise want('an origin like "https://shop.example" (scheme, host and port only)', v)
    return found.group(0)


def httpUrl(v: Any) -> str:
    if not (url := nonEmpty(v)).startswith(("http://", "https://")):
        raise want('an http:// or https:// URL', v)
    return url

