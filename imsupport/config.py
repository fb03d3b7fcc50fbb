"""
The configuration file (SPEC section 13): TOML, unknown keys are errors that
name the key's path. ``loadConfig(path)`` returns a Config or raises
ConfigError with a message an admin can act on.

Every value is read through ``_Table``, which remembers the keys it was asked
for: whatever is left over is a typo, and a typo silently leaving a default in
force is the worst kind of configuration bug. Every message starts with the
file and names the full key path (``nodes[0].groups[1].wave``) because the
admin fixing it has only the file in front of them.
"""
from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from imsupport.core.model import NODE_NAME, Directory, FaqEntry, Group, Node, Operator

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
_SPAN = re.compile(r"(\d\d):(\d\d)\s*-\s*(\d\d):(\d\d)")
_SCHEDULE_ITEM = re.compile(r"(?P<days>.+?)\s+(?P<span>\S+\s*-\s*\S+)")
_EXCEPTION = re.compile(r"(?P<day>\d{4}-\d\d-\d\d)\s+(?P<rest>closed|\d\d:\d\d\s*-\s*\d\d:\d\d)")
_REQUIRED: Any = object()


class ConfigError(Exception):
    """The configuration file is wrong; str() names the file, key and problem."""


@dataclass(frozen=True)
class ServiceConfig:
    domain: str
    default_language: str = "en"
    command_prefix: str = "!"
    admins: tuple[str, ...] = ()
    operator_grace: int = 300  # R-CHAT-7
    # directory seeding: "replace" (the TOML is the truth at every start),
    # "missing" (only seed an empty store), "never"
    seed_directory: str = "replace"


@dataclass(frozen=True)
class XmppConfig:
    host: str = "127.0.0.1"
    port: int = 5347
    secret: str = ""
    reconnect_max_delay: float = 30.0


@dataclass(frozen=True)
class StorageConfig:
    url: str = "sqlite:///var/lib/imsupport/imsupport.sqlite"


@dataclass(frozen=True)
class WebConfig:
    endpoint: str = "tcp:8080:interface=127.0.0.1"
    public_url: str = "http://127.0.0.1:8080"
    files_dir: str = "/var/lib/imsupport/files"
    max_upload_bytes: int = 20_000_000


@dataclass(frozen=True)
class ApiToken:
    name: str
    token: str
    scopes: tuple[str, ...] = ("read",)


@dataclass(frozen=True)
class FiltersConfig:
    internal_domains: tuple[str, ...] = ()
    profanity_allow: tuple[str, ...] = ()


@dataclass(frozen=True)
class LimitsConfig:
    max_message_bytes: int = 65536  # R-SEC-3: larger bodies are refused


@dataclass(frozen=True)
class Config:
    service: ServiceConfig
    xmpp: XmppConfig = field(default_factory=XmppConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    web: WebConfig = field(default_factory=WebConfig)
    api_tokens: tuple[ApiToken, ...] = ()
    filters: FiltersConfig = field(default_factory=FiltersConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    directory: Directory = field(default_factory=Directory)
    path: str = ""


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
    for t, v in zip(tables, values):
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
    if isinstance(v, str) and "/" in v:
        raise _want('a bare JID without a resource (no "/...")', v)
    local, at, domain = v.partition("@") if isinstance(v, str) else ("", "", "")
    if not at or not _LOCALPART.fullmatch(local) or not _DOMAIN.fullmatch(domain.lower()):
        raise _want('a bare JID like "ivan@shop.example"', v)
    return v.lower()


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
    try:
        ZoneInfo(_name(v))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise _want('a known IANA time zone like "Europe/Moscow" or "UTC"', v) from None
    return v


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
    start, end = _minutes(*match.group(1, 2), False), _minutes(*match.group(3, 4), True)
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
    scheduleItems(_text(v))
    return v.strip()


def _exception(v: Any) -> str:
    match = _EXCEPTION.fullmatch(_text(v).strip())
    if not match:
        raise _want('"YYYY-MM-DD HH:MM-HH:MM" or "YYYY-MM-DD closed"', v)
    try:
        date.fromisoformat(match["day"])
    except ValueError:
        raise _want("a real calendar date", v) from None
    if match["rest"] != "closed":
        _span(match["rest"])
    return v.strip()


def _instant(v: Any) -> str:
    """TOML date-times are accepted too; stored as the ISO text the model keeps."""
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    try:
        datetime.fromisoformat(v if isinstance(v, str) else "not a string")
    except ValueError:
        raise _want('an ISO 8601 date and time like "2026-05-01T09:00:00+03:00"', v) from None
    return v


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


def _httpUrl(v: Any) -> str:
    if not _name(v).startswith(("http://", "https://")):
        raise _want('an http:// or https:// URL', v)
    return v


# -- sections ------------------------------------------------------------------

def _service(t: _Table) -> ServiceConfig:
    service = ServiceConfig(
        domain=t.value("domain", _domain),
        default_language=t.value("default_language", _language, "en"),
        command_prefix=t.value("command_prefix", _word, "!"),
        admins=t.value("admins", _listOf(_bareJid), ()),
        operator_grace=t.value("operator_grace", _nonNegative, 300),
        seed_directory=t.value("seed_directory", _choice(*SEED_MODES), "replace"),
    )
    t.finish()
    return service


def _xmpp(t: _Table) -> XmppConfig:
    xmpp = XmppConfig(
        host=t.value("host", _name, "127.0.0.1"),
        port=t.value("port", _port, 5347),
        secret=t.value("secret", _name),
        reconnect_max_delay=t.value("reconnect_max_delay", _positiveNumber, 30.0),
    )
    t.finish()
    return xmpp


def _web(t: _Table, base: str) -> WebConfig:
    web = WebConfig(
        endpoint=t.value("endpoint", _name, WebConfig.endpoint),
        public_url=t.value("public_url", _httpUrl, WebConfig.public_url),
        files_dir=t.value("files_dir", _localPath(base), WebConfig.files_dir),
        max_upload_bytes=t.value("max_upload_bytes", _positive, WebConfig.max_upload_bytes),
    )
    t.finish()
    return web


def _apiTokens(tables: list[_Table]) -> tuple[ApiToken, ...]:
    tokens = []
    for t in tables:
        tokens.append(ApiToken(
            name=t.value("name", _name),
            token=t.value("token", _name),
            scopes=t.value("scopes", _listOf(_choice(*SCOPES), True), ("read",)),
        ))
        t.finish()
    _unique(tables, "name", [a.name for a in tokens])
    _unique(tables, "token", [a.token for a in tokens])
    return tuple(tokens)


def _operators(tables: list[_Table], language: str, domain: str) -> tuple[Operator, ...]:
    operators = []
    for t in tables:
        jid = t.value("jid", _bareJid)
        if jid.partition("@")[2] == domain:  # invitations would loop back into the service
            raise t.fail("jid", f"{_show(jid)} is an address of this service ({domain}), "
                         "not an operator's account")
        written = t.data["jid"].partition("@")[0]  # "Anna", not "anna", greets clients
        operators.append(Operator(
            jid=jid,
            name=t.value("name", _name, written),
            languages=t.value("languages", _listOf(_language, True), (language,)),
            max_chats=t.value("max_chats", _positive, 1),
            schedule=t.value("schedule", _schedule, None),
            timezone=t.value("timezone", _timezone, "UTC"),
            exceptions=t.value("exceptions", _listOf(_exception), ()),
        ))
        t.finish()
    _unique(tables, "jid", [o.jid for o in operators])
    return tuple(operators)


def _group(t: _Table, node: str, declared: set[str]) -> Group:
    group = Group(
        name=t.value("name", _nodeName),
        operators=t.value("operators", _listOf(_bareJid), ()),
        wave=t.value("wave", _positive, 1),
        auto=t.value("auto", _bool, True),
        escalate_after=t.value("escalate_after", _positive, 120),
        max_declines=t.value("max_declines", _positive, 1),
    )
    t.finish()
    for i, jid in enumerate(group.operators):
        if jid not in declared:
            raise t.fail("operators", f"names {_show(jid)}, which is not declared in "
                         f"[[operators]] (group {_show(node + '/' + group.name)})", i)
    return group


def _checkWindow(t: _Table, node: Node) -> None:
    """A temporary node that closes before it opens is a typo, not a plan."""
    if node.active_from is None or node.active_until is None:
        return
    zone = ZoneInfo(node.timezone)
    start, end = (datetime.fromisoformat(s) for s in (node.active_from, node.active_until))
    start, end = (d if d.tzinfo else d.replace(tzinfo=zone) for d in (start, end))
    if end <= start:
        raise t.fail("active_until", f"({node.active_until}) must be later than "
                     f"active_from ({node.active_from})")


def _node(t: _Table, language: str, declared: set[str]) -> Node:
    name = t.value("name", _nodeName)
    groupTables = t.tables("groups")
    node = Node(
        name=name,
        title=t.value("title", _text, ""),
        languages=t.value("languages", _listOf(_language, True), (language,)),
        invite_timeout=t.value("invite_timeout", _positive, 60),
        ring=t.value("ring", _choice(*RINGS), "sequential"),
        schedule=t.value("schedule", _schedule, None),
        timezone=t.value("timezone", _timezone, "UTC"),
        exceptions=t.value("exceptions", _listOf(_exception), ()),
        off_hours=t.value("off_hours", _choice(*OFF_HOURS), "autoreply"),
        active_from=t.value("active_from", _instant, None),
        active_until=t.value("active_until", _instant, None),
        client_grace=t.value("client_grace", _positive, 600),
        idle_timeout=t.value("idle_timeout", _positive, 1800),
        groups=tuple(_group(g, name, declared) for g in groupTables),
    )
    t.finish()
    _unique(groupTables, "name", [g.name for g in node.groups])
    _checkWindow(t, node)
    return node


def _faq(tables: list[_Table]) -> tuple[FaqEntry, ...]:
    entries = []
    for t in tables:
        entries.append(FaqEntry(
            id=t.value("id", _word),
            question=t.value("question", _name),
            answer=t.value("answer", _name),
            tags=t.value("tags", _listOf(_name), ()),
        ))
        t.finish()
    _unique(tables, "id", [e.id for e in entries])
    return tuple(entries)


def _filters(t: _Table) -> FiltersConfig:
    filters = FiltersConfig(
        internal_domains=t.value("internal_domains", _listOf(_domain), ()),
        profanity_allow=t.value("profanity_allow", _listOf(_name), ()),
    )
    t.finish()
    return filters


def _limits(t: _Table) -> LimitsConfig:
    limits = LimitsConfig(max_message_bytes=t.value("max_message_bytes", _positive, 65536))
    t.finish()
    return limits


def _storage(t: _Table, base: str) -> StorageConfig:
    storage = StorageConfig(url=t.value("url", _storageUrl(base), StorageConfig.url))
    t.finish()
    return storage


def parseConfig(text: str, path: str = "<string>") -> Config:
    """Validate configuration text; ``path`` names it in errors and anchors
    relative paths (a pseudo-name like "<string>" anchors them at the cwd)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: TOML syntax error: {e}") from None
    real = not (path.startswith("<") and path.endswith(">"))
    base = os.path.dirname(os.path.abspath(path)) if real else os.getcwd()
    root = _Table(path, "", data)
    service = _service(root.table("service"))
    language = service.default_language
    operatorTables, nodeTables = root.tables("operators"), root.tables("nodes")
    operators = _operators(operatorTables, language, service.domain)
    declared = {o.jid for o in operators}
    nodes = [_node(t, language, declared) for t in nodeTables]
    _unique(nodeTables, "name", [n.name for n in nodes])
    config = Config(
        service=service,
        xmpp=_xmpp(root.table("xmpp")),
        storage=_storage(root.table("storage"), base),
        web=_web(root.table("web"), base),
        api_tokens=_apiTokens(root.tables("api_tokens")),
        filters=_filters(root.table("filters")),
        limits=_limits(root.table("limits")),
        directory=Directory(nodes=tuple(nodes), operators=operators,
                            faq=_faq(root.tables("faq"))),
        path=os.path.abspath(path) if real else "",
    )
    root.finish()
    return config


def loadConfig(path: str | os.PathLike[str]) -> Config:
    """Read and validate a configuration file; every failure is a ConfigError
    whose message starts with the path, never a traceback for the admin."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise ConfigError(f"{name}: configuration file not found "
                          f"(looked at {os.path.abspath(name)})") from None
    except OSError as e:
        raise ConfigError(f"{name}: cannot read the configuration file: {e.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{name}: not UTF-8 text (bad byte at offset {e.start})") from None
    return parseConfig(text, name)
