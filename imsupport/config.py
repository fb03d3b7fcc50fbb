"""
The configuration file (SPEC section 13): TOML, unknown keys are errors that
name the key's path. ``loadConfig(path)`` returns a Config or raises
ConfigError with a message an admin can act on.

Every value is read through ``Table`` (``imsupport.configvalues``), which
remembers the keys it was asked for: whatever is left over is a typo, and a
typo silently leaving a default in force is the worst kind of configuration
bug. Every message starts with the file and names the full key path
(``nodes[0].groups[1].wave``) because the admin fixing it has only the file in
front of them. Each default is written once, in its dataclass field (here, or
in ``imsupport.core.model`` for the directory read by ``configdirectory``):
``Table.fields`` takes a missing key's default from there.
"""
from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from imsupport.configdirectory import readFaq, readNodes, readOperators
from imsupport.confighooks import HooksConfig, readHooks, readWebhooks
from imsupport.configvalues import (
    PLUGIN_NAME,
    REQUIRED,
    SCOPES,
    SEED_MODES,
    ConfigError,
    Table,
    bareJid,
    boolean,
    choice,
    domainName,
    fieldDefault,
    frozen,
    hostName,
    httpUrl,
    ipNetwork,
    languageCode,
    listOf,
    localPath,
    nonEmpty,
    nonNegative,
    optionalPath,
    origin,
    port,
    positive,
    positiveNumber,
    show,
    storageUrl,
    unique,
    word,
)
from imsupport.configweb import WebUser, readWebUsers
from imsupport.core.events import Webhook
from imsupport.core.filters import MessageFilter
from imsupport.core.model import Directory
from imsupport.core.ratelimit import CLIENT_LIMIT, OPERATOR_LIMIT, RateLimit
from imsupport.core.statistics import ANSWER_TARGET

__all__ = [
    "ApiToken", "Config", "ConfigError", "FiltersConfig", "LimitsConfig", "PluginsConfig",
    "ServiceConfig", "StorageConfig", "WIRE_FACTOR", "WebConfig", "WebUser", "XmppConfig",
    "loadConfig", "parseConfig",
]


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
    # R-CLI-5: after a chat with an operator, ask its client for a rating 1-5
    ask_rating: bool = True


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
    slot_lifetime: float = 300.0  # seconds an XEP-0363 upload slot may be used
    upload_page_lifetime: float = 3600.0  # seconds a one-time upload page lives
    files_per_chat: int = 50  # files one chat may hold
    upload_bytes_per_day: int = 200_000_000  # bytes one sender may upload a (UTC) day
    fetch_allow: tuple[str, ...] = ()  # hosts fetched from although they resolve privately
    shared_dir: str = ""  # files here are shared files (R-CMD-6); "" = none
    transcript_link_lifetime: float = 30 * 86400.0  # seconds a !history transcript link works
    widget_origins: tuple[str, ...] = ()  # sites that may embed the web chat (frame-ancestors)
    # proxies whose X-Forwarded-For names the sender (web/peers.py)
    trusted_proxies: tuple[str, ...] = ("127.0.0.0/8", "::1/128")


@dataclass(frozen=True)
class StatsConfig:
    answer_target: float = ANSWER_TARGET  # seconds: the SLA target of a first response


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

    def build(self) -> MessageFilter:
        """The message filter this table configures; it reads the word lists
        now, and a bad one is a ValueError naming the file."""
        return MessageFilter.fromConfig(self.internal_domains, self.profanity_allow,
                                        self.profanity_files)


@dataclass(frozen=True)
class LimitsConfig:
    max_message_bytes: int = 65536  # R-SEC-3: larger bodies are refused
    client_rate: RateLimit = CLIENT_LIMIT  # R-SEC-3: per client
    operator_rate: RateLimit = OPERATOR_LIMIT  # operators and admins
    # Stanzas larger than this on the component link are skipped and refused
    # to their sender; at least WIRE_FACTOR x max_message_bytes.
    max_stanza_bytes: int = 1048576
    web_chat_burst: int = 10  # new web chats one address may start at once
    web_chats_per_hour: float = 60.0  # and then, sustained


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
    hooks: HooksConfig = field(default_factory=HooksConfig)  # [hooks] (SPEC 15)
    webhooks: tuple[Webhook, ...] = ()  # [[webhooks]], seeded into the store at start
    stats: StatsConfig = field(default_factory=StatsConfig)  # [stats] (R-STAT-1)
    web_users: tuple[WebUser, ...] = ()  # [[web_users]]: the admin pages' log-ins (SPEC 17)


def _service(t: Table) -> ServiceConfig:
    return t.build(ServiceConfig, domain=domainName, default_language=languageCode,
                   command_prefix=word, admins=listOf(bareJid), operator_grace=nonNegative,
                   seed_directory=choice(*SEED_MODES), ask_rating=boolean)


def _xmpp(t: Table) -> XmppConfig:
    return t.build(XmppConfig, {"secret": REQUIRED}, host=nonEmpty, port=port,
                   secret=nonEmpty, reconnect_max_delay=positiveNumber)


def _storage(t: Table, base: str) -> StorageConfig:
    return t.build(StorageConfig, url=storageUrl(base), hold_timeout=positiveNumber,
                   max_held_writes=positive)


def _web(t: Table, base: str) -> WebConfig:
    return t.build(WebConfig, endpoint=nonEmpty, public_url=httpUrl,
                   files_dir=localPath(base), max_upload_bytes=positive,
                   slot_lifetime=positiveNumber, upload_page_lifetime=positiveNumber,
                   files_per_chat=positive, upload_bytes_per_day=positive,
                   fetch_allow=listOf(hostName), shared_dir=optionalPath(base),
                   transcript_link_lifetime=positiveNumber, widget_origins=listOf(origin),
                   trusted_proxies=listOf(ipNetwork))


def _apiTokens(tables: list[Table]) -> tuple[ApiToken, ...]:
    tokens = tuple(t.build(ApiToken, name=nonEmpty, token=nonEmpty,
                           scopes=listOf(choice(*SCOPES), True)) for t in tables)
    unique(tables, "name", [a.name for a in tokens])
    unique(tables, "token", [a.token for a in tokens])
    return tokens


def _filters(t: Table, base: str) -> FiltersConfig:
    return t.build(FiltersConfig, internal_domains=listOf(domainName),
                   profanity_allow=listOf(nonEmpty), profanity_files=listOf(localPath(base)))


def _limits(t: Table) -> LimitsConfig:
    message = t.value("max_message_bytes", positive,
                      fieldDefault(LimitsConfig, "max_message_bytes"))
    least = WIRE_FACTOR * message
    stanza = t.value("max_stanza_bytes", positive,
                     max(fieldDefault(LimitsConfig, "max_stanza_bytes"), least))
    if stanza < least:
        raise t.fail("max_stanza_bytes", f"must be at least {WIRE_FACTOR} times "
                     f"max_message_bytes ({least}), so that an escaped body fits, got {stanza}")
    limits = LimitsConfig(max_message_bytes=message, max_stanza_bytes=stanza,
                          client_rate=_rateLimit(t, "client", message),
                          operator_rate=_rateLimit(t, "operator", message),
                          web_chat_burst=t.value("web_chat_burst", positive,
                                                 fieldDefault(LimitsConfig, "web_chat_burst")),
                          web_chats_per_hour=t.value(
                              "web_chats_per_hour", positiveNumber,
                              fieldDefault(LimitsConfig, "web_chats_per_hour")))
    t.finish()
    return limits


_RATE_CHECKS = {"message_burst": positive, "messages_per_second": positiveNumber,
                "byte_burst": positive, "bytes_per_second": positiveNumber}


def _rateLimit(t: Table, who: str, largest: int) -> RateLimit:
    """``<who>_message_burst`` ...: the fields of ``LimitsConfig.<who>_rate``,
    each defaulting to that limit's own value."""
    default = fieldDefault(LimitsConfig, f"{who}_rate")
    limit = RateLimit(**{name: t.value(f"{who}_{name}", check, getattr(default, name))
                         for name, check in _RATE_CHECKS.items()})
    if limit.byte_burst < largest:
        raise t.fail(f"{who}_byte_burst", f"must be at least max_message_bytes ({largest}), "
                     f"or the largest allowed message could never pass; got {limit.byte_burst}")
    return limit


def _plugins(t: Table) -> PluginsConfig:
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
                         f"options, got {show(raw)}")
        if not PLUGIN_NAME.fullmatch(name):
            raise t.fail(name, 'is not a plugin name (plugin names use a-z, 0-9 and "_")')
        t.seen.add(name)
        options[name] = frozen(raw)
    plugins = PluginsConfig(options=MappingProxyType(options),
                            **t.fields(PluginsConfig, check_timeout=positiveNumber))
    t.finish()
    return plugins


def parseConfig(text: str, path: str = "<string>") -> Config:
    """Validate configuration text; ``path`` names it in errors and anchors
    relative paths (a pseudo-name like "<string>" anchors them at the cwd)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: TOML syntax error: {e}") from None
    real = not (path.startswith("<") and path.endswith(">"))
    base = os.path.dirname(os.path.abspath(path)) if real else os.getcwd()
    root = Table(path, "", data)
    service = _service(root.table("service"))
    language = service.default_language
    operatorTables, nodeTables = root.tables("operators"), root.tables("nodes")
    operators = readOperators(operatorTables, language, service.domain)
    nodes = readNodes(nodeTables, language, {o.jid for o in operators})
    config = Config(
        service=service,
        xmpp=_xmpp(root.table("xmpp")),
        storage=_storage(root.table("storage"), base),
        web=_web(root.table("web"), base),
        api_tokens=_apiTokens(root.tables("api_tokens")),
        filters=_filters(root.table("filters"), base),
        limits=_limits(root.table("limits")),
        plugins=_plugins(root.table("plugins")),
        directory=Directory(nodes=nodes, operators=operators, faq=readFaq(root.tables("faq"))),
        path=os.path.abspath(path) if real else "",
        hooks=readHooks(root.table("hooks")),
        webhooks=readWebhooks(root.tables("webhooks")),
        stats=root.table("stats").build(StatsConfig, answer_target=positiveNumber),
        web_users=readWebUsers(root.tables("web_users")),
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
