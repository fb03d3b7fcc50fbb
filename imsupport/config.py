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
import os
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from imsupport.configvalues import (
    OFF_HOURS,
    PLUGIN_NAME,
    RINGS,
    SCOPES,
    SEED_MODES,
    ConfigError,
    _bareJid,
    _bool,
    _choice,
    _domain,
    _exception,
    _frozen,
    _httpUrl,
    _instant,
    _language,
    _listOf,
    _localPath,
    _name,
    _nodeName,
    _nonNegative,
    _port,
    _positive,
    _positiveNumber,
    _schedule,
    _show,
    _storageUrl,
    _Table,
    _text,
    _timezone,
    _unique,
    _word,
)
from imsupport.core.model import Directory, FaqEntry, Group, Node, Operator
from imsupport.core.ratelimit import CLIENT_LIMIT, OPERATOR_LIMIT, RateLimit


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
    # R-RUN-3: while the store cannot write, a person's message waits this
    # long (seconds) before it is refused to its sender ...
    hold_timeout: float = 30.0
    # ... and is refused at once while this many writes are waiting already
    max_held_writes: int = 10_000


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
    profanity_files: tuple[str, ...] = ()  # admins' own word lists, added to the shipped ones


@dataclass(frozen=True)
class LimitsConfig:
    max_message_bytes: int = 65536  # R-SEC-3: larger bodies are refused
    client_rate: RateLimit = CLIENT_LIMIT  # R-SEC-3: per client
    operator_rate: RateLimit = OPERATOR_LIMIT  # operators and admins
    # Stanzas larger than this on the component link are skipped and refused
    # to their sender; at least WIRE_FACTOR x max_message_bytes.
    max_stanza_bytes: int = 1048576


WIRE_FACTOR = 6  # a body's bytes on the wire at worst (&apos; for ')


@dataclass(frozen=True)
class PluginsConfig:
    """[plugins]: the eligibility check deadline, and each plugin's own table
    ([plugins.<name>]) as a read-only mapping; plugins validate their keys."""
    check_timeout: float = 2.0
    options: Mapping[str, Mapping[str, Any]] = field(
        default_factory=lambda: MappingProxyType({}), hash=False)


@dataclass(frozen=True)
class Config:
    service: ServiceConfig
    xmpp: XmppConfig = field(default_factory=XmppConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    web: WebConfig = field(default_factory=WebConfig)
    api_tokens: tuple[ApiToken, ...] = ()
    filters: FiltersConfig = field(default_factory=FiltersConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    plugins: PluginsConfig = field(default_factory=PluginsConfig)
    directory: Directory = field(default_factory=Directory)
    path: str = ""


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
        escalate_after=t.value("escalate_after", _nonNegative, 120),
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


def _filters(t: _Table, base: str) -> FiltersConfig:
    filters = FiltersConfig(
        internal_domains=t.value("internal_domains", _listOf(_domain), ()),
        profanity_allow=t.value("profanity_allow", _listOf(_name), ()),
        profanity_files=t.value("profanity_files", _listOf(_localPath(base)), ()),
    )
    t.finish()
    return filters


def _limits(t: _Table) -> LimitsConfig:
    message = t.value("max_message_bytes", _positive, 65536)
    least = WIRE_FACTOR * message
    stanza = t.value("max_stanza_bytes", _positive, max(LimitsConfig.max_stanza_bytes, least))
    if stanza < least:
        raise t.fail("max_stanza_bytes", f"must be at least {WIRE_FACTOR} times "
                     f"max_message_bytes ({least}), so that an escaped body fits, got {stanza}")
    limits = LimitsConfig(max_message_bytes=message, max_stanza_bytes=stanza,
                          client_rate=_rateLimit(t, "client", CLIENT_LIMIT, message),
                          operator_rate=_rateLimit(t, "operator", OPERATOR_LIMIT, message))
    t.finish()
    return limits


def _rateLimit(t: _Table, who: str, default: RateLimit, largest: int) -> RateLimit:
    limit = RateLimit(
        message_burst=t.value(f"{who}_message_burst", _positive, default.message_burst),
        messages_per_second=t.value(f"{who}_messages_per_second", _positiveNumber,
                                    default.messages_per_second),
        byte_burst=t.value(f"{who}_byte_burst", _positive, default.byte_burst),
        bytes_per_second=t.value(f"{who}_bytes_per_second", _positiveNumber,
                                 default.bytes_per_second))
    if limit.byte_burst < largest:
        raise t.fail(f"{who}_byte_burst", f"must be at least max_message_bytes ({largest}), "
                     f"or the largest allowed message could never pass; got {limit.byte_burst}")
    return limit


def _plugins(t: _Table) -> PluginsConfig:
    """Every key but check_timeout is a plugin's table, read by the plugin."""
    options = {}
    for name, raw in t.data.items():
        if name == "check_timeout":
            continue
        if not isinstance(raw, dict):
            close = difflib.get_close_matches(name, ["check_timeout"], n=1)
            if close:
                raise ConfigError(f"{t.file}: unknown key {t.where(name)} "
                                  f'(did you mean "{close[0]}"?)')
            raise t.fail(name, f"must be a table ([plugins.{name}]) of that plugin's "
                         f"options, got {_show(raw)}")
        if not PLUGIN_NAME.fullmatch(name):
            raise t.fail(name, 'is not a plugin name (plugin names use a-z, 0-9 and "_")')
        t.seen.add(name)
        options[name] = _frozen(raw)
    plugins = PluginsConfig(
        check_timeout=t.value("check_timeout", _positiveNumber, 2.0),
        options=MappingProxyType(options),
    )
    t.finish()
    return plugins


def _storage(t: _Table, base: str) -> StorageConfig:
    storage = StorageConfig(
        url=t.value("url", _storageUrl(base), StorageConfig.url),
        hold_timeout=t.value("hold_timeout", _positiveNumber, StorageConfig.hold_timeout),
        max_held_writes=t.value("max_held_writes", _positive, StorageConfig.max_held_writes),
    )
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
        filters=_filters(root.table("filters"), base),
        limits=_limits(root.table("limits")),
        plugins=_plugins(root.table("plugins")),
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
