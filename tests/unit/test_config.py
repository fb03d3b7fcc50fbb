"""
The configuration file is a public contract (SPEC section 13): these tests pin
the key names, the defaults, and that every mistake an admin can make comes
back as a ConfigError naming the file and the full key path.

Error cases are table-driven: each one edits a copy of a valid configuration
(held as Python data and written out as TOML) at one key path.
"""
from __future__ import annotations

import copy
import json
import os
import re
from dataclasses import MISSING, fields, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from imsupport.config import (
    ApiToken,
    Config,
    ConfigError,
    FiltersConfig,
    LimitsConfig,
    PluginsConfig,
    ServiceConfig,
    StorageConfig,
    WebConfig,
    XmppConfig,
    loadConfig,
    parseConfig,
)
from imsupport.configvalues import fieldDefault
from imsupport.core.model import FaqEntry, Group, Node, Operator
from imsupport.core.ratelimit import RateLimit
from imsupport.core.schedule import scheduleItems

REPO = Path(__file__).resolve().parents[2]

# The example of SPEC section 13, verbatim.
SPEC_EXAMPLE = '''
[service]
domain = "support.shop.example"     # component JID; node addresses live under it
default_language = "en"
command_prefix = "!"
admins = ["boss@shop.example"]       # may use admin console commands (R-ADDR-4, R-NODE-3)

[xmpp]
host = "127.0.0.1"                   # the XMPP server's component port (XEP-0114)
port = 5347
secret = "component-secret"

[storage]
url = "sqlite:///var/lib/imsupport/imsupport.sqlite"   # or "postgresql://user@host:5432/db"

[web]
endpoint = "tcp:8080:interface=127.0.0.1"              # a Twisted server endpoint string
public_url = "http://127.0.0.1:8080"                    # base of links given out
files_dir = "/var/lib/imsupport/files"
max_upload_bytes = 20_000_000

[[api_tokens]]
name = "crm"
token = "change-me"                  # stored hashed; scopes as in R-API-3
scopes = ["read", "control"]

[[operators]]
jid = "ivan@shop.example"
name = "Ivan"                        # shown to clients instead of the JID
languages = ["ru", "en"]
max_chats = 1
schedule = "Mon-Fri 09:00-18:00"     # optional; absent = always on shift
timezone = "Europe/Moscow"

[[nodes]]
name = "sales"                       # address sales@support.shop.example
title = "Sales questions"
languages = ["ru", "en"]
invite_timeout = 60
ring = "sequential"                  # or "parallel"
schedule = "Mon-Fri 09:00-18:00; Sat 10:00-14:00"   # optional; absent = always open
timezone = "Europe/Moscow"
off_hours = "autoreply"              # or "offline"

  [[nodes.groups]]
  name = "first"
  wave = 1
  operators = ["ivan@shop.example"]
  escalate_after = 120

  [[nodes.groups]]
  name = "experts"
  auto = false                       # reached only by redirect
  operators = ["guru@shop.example"]

[filters]
internal_domains = ["corp.shop.example", "intranet"]  # links there (and to subdomains) are blocked
profanity_allow = []                                   # words never blocked

[[faq]]
id = "delivery"
question = "How long does delivery take?"
answer = "Delivery takes 1-3 working days."
tags = ["delivery", "shipping"]
'''

# The SPEC example puts guru@shop.example in a group without declaring it as
# an operator, which the loader refuses; declaring it makes the example whole.
GURU = '''
[[operators]]
jid = "guru@shop.example"
'''
SPEC_COMPLETE = SPEC_EXAMPLE.replace("[[nodes]]", GURU + "\n[[nodes]]", 1)


# -- a tiny TOML writer, so cases can edit data instead of text -------------------

def _tomlKey(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _tomlValue(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_tomlValue(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_tomlKey(k)} = {_tomlValue(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def _isTables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def toToml(data: dict[str, Any], prefix: str = "") -> str:
    lines = [f"{_tomlKey(k)} = {_tomlValue(v)}" for k, v in data.items()
             if not isinstance(v, dict) and not _isTables(v)]
    for k, v in data.items():
        name = prefix + _tomlKey(k)
        if isinstance(v, dict):
            lines += [f"[{name}]", toToml(v, name + ".")]
        elif _isTables(v):
            for item in v:
                lines += [f"[[{name}]]", toToml(item, name + ".")]
    return "\n".join(lines) + "\n"


BASE: dict[str, Any] = {
    "service": {"domain": "support.shop.example", "admins": ["boss@shop.example"]},
    "xmpp": {"secret": "component-secret"},
    "api_tokens": [{"name": "crm", "token": "change-me", "scopes": ["read", "control"]}],
    "operators": [
        {"jid": "ivan@shop.example", "name": "Ivan", "languages": ["ru", "en"]},
        {"jid": "guru@shop.example"},
    ],
    "nodes": [{
        "name": "sales",
        "groups": [
            {"name": "first", "operators": ["ivan@shop.example"]},
            {"name": "experts", "auto": False, "operators": ["guru@shop.example"]},
        ],
    }],
    "faq": [{"id": "delivery", "question": "How long?", "answer": "1-3 days."}],
}

DELETE = object()


def edited(path: str, value: Any) -> dict[str, Any]:
    """A copy of BASE with ``value`` at the dotted ``path`` (numbers index lists)."""
    data = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if isinstance(node, list):
        node[int(last)] = value
    elif value is DELETE:
        del node[last]
    else:
        node[last] = value
    return data


def write(directory: Path, text: str, name: str = "x.toml") -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def loadError(tmp_path: Path) -> str:
    """Load from a relative path, as an admin would type it, and return the message."""
    os.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        loadConfig(os.path.join("etc", "x.toml") if (tmp_path / "etc").exists() else "x.toml")
    return str(caught.value)


@pytest.fixture(autouse=True)
def _keepCwd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(os.getcwd())  # restored after each test


# -- the SPEC example ---------------------------------------------------------------

def test_specExampleEveryValueLands(tmp_path: Path) -> None:
    config = loadConfig(write(tmp_path, SPEC_COMPLETE))
    assert config.service == ServiceConfig(
        domain="support.shop.example", default_language="en", command_prefix="!",
        admins=("boss@shop.example",), operator_grace=300, seed_directory="replace")
    assert config.xmpp == XmppConfig(host="127.0.0.1", port=5347, secret="component-secret",
                                     reconnect_max_delay=30.0)
    assert config.storage == StorageConfig(url="sqlite:///var/lib/imsupport/imsupport.sqlite")
    assert config.web == WebConfig(
        endpoint="tcp:8080:interface=127.0.0.1", public_url="http://127.0.0.1:8080",
        files_dir="/var/lib/imsupport/files", max_upload_bytes=20_000_000)
    assert config.api_tokens == (ApiToken("crm", "change-me", ("read", "control")),)
    assert config.filters == FiltersConfig(
        internal_domains=("corp.shop.example", "intranet"), profanity_allow=())
    assert config.limits == LimitsConfig(max_message_bytes=65536)
    assert config.directory.operators == (
        Operator(jid="ivan@shop.example", name="Ivan", languages=("ru", "en"), max_chats=1,
                 schedule="Mon-Fri 09:00-18:00", timezone="Europe/Moscow"),
        Operator(jid="guru@shop.example", name="guru", languages=("en",)),
    )
    assert config.directory.nodes == (Node(
        name="sales", title="Sales questions", languages=("ru", "en"), invite_timeout=60,
        ring="sequential", schedule="Mon-Fri 09:00-18:00; Sat 10:00-14:00",
        timezone="Europe/Moscow", off_hours="autoreply",
        groups=(
            Group(name="first", operators=("ivan@shop.example",), wave=1, escalate_after=120),
            Group(name="experts", operators=("guru@shop.example",), auto=False),
        )),)
    assert config.directory.faq == (FaqEntry(
        id="delivery", question="How long does delivery take?",
        answer="Delivery takes 1-3 working days.", tags=("delivery", "shipping")),)
    assert config.path == str(tmp_path / "x.toml")


def test_specExampleVerbatimNamesTheUndeclaredOperator(tmp_path: Path) -> None:
    write(tmp_path, SPEC_EXAMPLE)
    message = loadError(tmp_path)
    assert message == (
        'x.toml: nodes[0].groups[1].operators[0] names "guru@shop.example", which is not '
        'declared in [[operators]] (group "sales/experts")')


def test_parseConfigTakesText() -> None:
    config = parseConfig(SPEC_COMPLETE)
    assert config.service.domain == "support.shop.example"
    assert config.path == ""
    with pytest.raises(ConfigError, match=r"^<string>: xmpp\.secret is required"):
        parseConfig('[service]\ndomain = "a.example"\n')


# -- defaults -----------------------------------------------------------------------

MINIMAL = '''
[service]
domain = "support.shop.example"
[xmpp]
secret = "s"
'''


def test_minimalConfigGetsTheDefaults(tmp_path: Path) -> None:
    config = loadConfig(write(tmp_path, MINIMAL))
    assert config == Config(service=ServiceConfig(domain="support.shop.example"),
                            xmpp=XmppConfig(secret="s"), path=str(tmp_path / "x.toml"))
    assert config.service.operator_grace == 300
    assert config.service.seed_directory == "replace"
    assert config.storage.url == "sqlite:///var/lib/imsupport/imsupport.sqlite"
    assert config.limits.max_message_bytes == 65536
    assert config.plugins == PluginsConfig(check_timeout=2.0)
    assert dict(config.plugins.options) == {}


def test_directoryDefaults(tmp_path: Path) -> None:
    text = MINIMAL.replace('domain = ', 'default_language = "ru"\ndomain = ') + '''
[[operators]]
jid = "Anna@Shop.Example"
[[nodes]]
name = "help"
  [[nodes.groups]]
  name = "all"
  operators = ["anna@shop.example"]
'''
    directory = loadConfig(write(tmp_path, text)).directory
    assert directory.operators == (
        Operator(jid="anna@shop.example", name="Anna", languages=("ru",)),)
    assert directory.nodes == (Node(
        name="help", languages=("ru",),
        groups=(Group(name="all", operators=("anna@shop.example",)),)),)
    node = directory.nodes[0]
    assert (node.invite_timeout, node.ring, node.off_hours, node.timezone) == (
        60, "sequential", "autoreply", "UTC")
    assert (node.client_grace, node.idle_timeout, node.schedule, node.exceptions) == (
        600, 1800, None, ())
    group = node.groups[0]
    assert (group.wave, group.auto, group.escalate_after, group.max_declines) == (1, True, 120, 1)


# Every default is written once, in its dataclass field: a changed field
# default is what the loader then gives for a missing key. The text names
# every table but leaves out every key that has a default.
EVERY_TABLE = MINIMAL + '''
[[api_tokens]]
name = "crm"
token = "t"
[[operators]]
jid = "anna@shop.example"
[[nodes]]
name = "help"
  [[nodes.groups]]
  name = "all"
[[faq]]
id = "delivery"
question = "Q?"
answer = "A."
'''
_READ_FROM = {
    ServiceConfig: lambda c: c.service, XmppConfig: lambda c: c.xmpp,
    StorageConfig: lambda c: c.storage, WebConfig: lambda c: c.web,
    ApiToken: lambda c: c.api_tokens[0], FiltersConfig: lambda c: c.filters,
    LimitsConfig: lambda c: c.limits, PluginsConfig: lambda c: c.plugins,
    Operator: lambda c: c.directory.operators[0], Node: lambda c: c.directory.nodes[0],
    Group: lambda c: c.directory.nodes[0].groups[0], FaqEntry: lambda c: c.directory.faq[0],
}
# Defaults that depend on the rest of the file, so no field holds them:
CONTEXTUAL = {
    (XmppConfig, "secret"),  # required, although a test's XmppConfig() may leave it empty
    (Operator, "name"), (Operator, "languages"), (Node, "languages"),  # jid, default_language
    (LimitsConfig, "max_stanza_bytes"),  # at least WIRE_FACTOR x max_message_bytes
    (PluginsConfig, "options"),  # the [plugins.<name>] tables
    (Group, "operators"),  # () would leave the group empty; names must be declared
    (Node, "groups"),  # [[nodes.groups]] tables, not a value
}
DEFAULTED = [(cls, f.name) for cls in _READ_FROM for f in fields(cls)
             if (f.default is not MISSING or f.default_factory is not MISSING)
             and (cls, f.name) not in CONTEXTUAL]


def _another(value: Any) -> Any:
    """A value of the same kind that no default has."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 7
    if isinstance(value, str):
        return value + "-changed"
    if isinstance(value, tuple):
        return value + ("changed",)
    if isinstance(value, RateLimit):
        return replace(value, message_burst=value.message_burst + 7)
    return "changed"  # None: schedules, windows


def test_theLoaderAndTheDataclassesAgreeOnEveryDefault(tmp_path: Path) -> None:
    config = loadConfig(write(tmp_path, EVERY_TABLE))
    assert {cls for cls, _ in DEFAULTED} == set(_READ_FROM)
    for cls, name in DEFAULTED:
        assert getattr(_READ_FROM[cls](config), name) == fieldDefault(cls, name), (cls, name)


@pytest.mark.parametrize("cls, name", DEFAULTED, ids=lambda x: getattr(x, "__name__", x))
def test_aMissingKeyTakesItsFieldsDefault(monkeypatch: pytest.MonkeyPatch, cls: type,
                                          name: str) -> None:
    changed = _another(fieldDefault(cls, name))
    declared = next(f for f in fields(cls) if f.name == name)
    monkeypatch.setattr(declared, "default", changed)
    config = parseConfig(EVERY_TABLE)
    assert getattr(_READ_FROM[cls](config), name) == changed


# -- accepted variations --------------------------------------------------------------

def _node(c: Config) -> Node:
    return c.directory.nodes[0]


def _ivan(c: Config) -> Operator:
    return c.directory.operators[0]


MOSCOW = timezone(timedelta(hours=3))

ACCEPTED = [
    ("service.domain", "Support.Shop.EXAMPLE", lambda c: c.service.domain, "support.shop.example"),
    ("service.domain", "localhost", lambda c: c.service.domain, "localhost"),
    ("service.admins", ["Boss@Shop.Example"], lambda c: c.service.admins, ("boss@shop.example",)),
    ("service.operator_grace", 0, lambda c: c.service.operator_grace, 0),
    ("service.seed_directory", "missing", lambda c: c.service.seed_directory, "missing"),
    ("service.seed_directory", "never", lambda c: c.service.seed_directory, "never"),
    ("service.command_prefix", "/", lambda c: c.service.command_prefix, "/"),
    ("xmpp.reconnect_max_delay", 60, lambda c: c.xmpp.reconnect_max_delay, 60.0),
    ("xmpp.reconnect_max_delay", 2.5, lambda c: c.xmpp.reconnect_max_delay, 2.5),
    ("xmpp.port", 5275, lambda c: c.xmpp.port, 5275),
    ("xmpp.host", "xmpp.internal", lambda c: c.xmpp.host, "xmpp.internal"),
    ("limits.max_message_bytes", 1000, lambda c: c.limits.max_message_bytes, 1000),
    ("limits.client_message_burst", 5, lambda c: c.limits.client_rate.message_burst, 5),
    ("limits.client_messages_per_second", 0.5,
     lambda c: c.limits.client_rate.messages_per_second, 0.5),
    ("limits.operator_byte_burst", 70000, lambda c: c.limits.operator_rate.byte_burst, 70000),
    ("limits.operator_bytes_per_second", 1000,
     lambda c: c.limits.operator_rate.bytes_per_second, 1000.0),
    ("limits.max_stanza_bytes", 4194304, lambda c: c.limits.max_stanza_bytes, 4194304),
    # an escaped body of max_message_bytes must fit: the default grows with it
    ("limits.max_message_bytes", 262144, lambda c: c.limits.max_stanza_bytes, 6 * 262144),
    ("plugins.check_timeout", 0.5, lambda c: c.plugins.check_timeout, 0.5),
    ("plugins.check_timeout", 3, lambda c: c.plugins.check_timeout, 3.0),
    ("plugins.onthephone", {"path": "/run/phone.txt"},
     lambda c: dict(c.plugins.options["onthephone"]), {"path": "/run/phone.txt"}),
    ("plugins.crm_busy_2", {}, lambda c: dict(c.plugins.options), {"crm_busy_2": {}}),
    ("storage.url", "memory:", lambda c: c.storage.url, "memory:"),
    ("storage.url", "postgresql://imsupport@db:5432/imsupport", lambda c: c.storage.url,
     "postgresql://imsupport@db:5432/imsupport"),
    ("storage.url", "postgres://db/x", lambda c: c.storage.url, "postgres://db/x"),
    ("storage.url", "sqlite:/srv/x.sqlite", lambda c: c.storage.url, "sqlite:///srv/x.sqlite"),
    # four slashes, as SQLAlchemy spells an absolute path, read the same as three
    ("storage.url", "sqlite:////srv/x.sqlite", lambda c: c.storage.url, "sqlite:///srv/x.sqlite"),
    ("storage.url", "sqlite:////srv/../x.sqlite", lambda c: c.storage.url, "sqlite:///x.sqlite"),
    ("web.public_url", "https://support.shop.example/", lambda c: c.web.public_url,
     "https://support.shop.example/"),
    ("web.fetch_allow", ["Upload.Shop.Example", "10.0.0.5", "fd00::1"],
     lambda c: c.web.fetch_allow, ("upload.shop.example", "10.0.0.5", "fd00::1")),
    ("web.slot_lifetime", 60, lambda c: c.web.slot_lifetime, 60),
    ("web.widget_origins", ["https://Shop.Example", "http://127.0.0.1:8000",
                            "https://*.shop.example"], lambda c: c.web.widget_origins,
     ("https://shop.example", "http://127.0.0.1:8000", "https://*.shop.example")),
    ("web.files_per_chat", 5, lambda c: c.web.files_per_chat, 5),
    ("web.trusted_proxies", ["10.1.2.3/8", "192.0.2.7", "2001:DB8::/32"],
     lambda c: c.web.trusted_proxies, ("10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32")),
    ("limits.web_chat_burst", 3, lambda c: c.limits.web_chat_burst, 3),
    ("limits.web_chats_per_hour", 0.5, lambda c: c.limits.web_chats_per_hour, 0.5),
    ("api_tokens.0.scopes", ["admin"], lambda c: c.api_tokens[0].scopes, ("admin",)),
    ("filters.profanity_allow", ["hell"], lambda c: c.filters.profanity_allow, ("hell",)),
    ("filters.internal_domains", ["Corp.Example"], lambda c: c.filters.internal_domains,
     ("corp.example",)),
    ("operators.0.jid", "IVAN@shop.example", lambda c: _ivan(c).jid, "ivan@shop.example"),
    ("service.admins", ["a\\40b.example@gw.shop.example"], lambda c: c.service.admins,
     ("a\\40b.example@gw.shop.example",)),  # an XEP-0106 escaped gateway user
    ("operators.0.max_chats", 3, lambda c: _ivan(c).max_chats, 3),
    ("operators.0.languages", ["pt-BR", "en"], lambda c: _ivan(c).languages, ("pt-br", "en")),
    ("operators.0.schedule", "Mon,Wed 10:00-12:00", lambda c: _ivan(c).schedule,
     "Mon,Wed 10:00-12:00"),
    ("operators.0.exceptions", ["2026-12-31 10:00-14:00", "2027-01-01 closed"],
     lambda c: _ivan(c).exceptions, ("2026-12-31 10:00-14:00", "2027-01-01 closed")),
    ("nodes.0.title", "", lambda c: _node(c).title, ""),
    ("nodes.0.name", "sales.ru_2-b", lambda c: _node(c).name, "sales.ru_2-b"),
    ("nodes.0.ring", "parallel", lambda c: _node(c).ring, "parallel"),
    ("nodes.0.off_hours", "offline", lambda c: _node(c).off_hours, "offline"),
    ("nodes.0.schedule", " Mon-Fri 09:00-13:00; Mon-Fri 14:00-18:00; Sat 10:00-24:00; ",
     lambda c: _node(c).schedule, "Mon-Fri 09:00-13:00; Mon-Fri 14:00-18:00; Sat 10:00-24:00;"),
    ("nodes.0.timezone", "America/Argentina/Buenos_Aires", lambda c: _node(c).timezone,
     "America/Argentina/Buenos_Aires"),
    ("nodes.0.active_from", "2026-05-01T09:00:00+03:00", lambda c: _node(c).active_from,
     "2026-05-01T09:00:00+03:00"),
    ("nodes.0.active_until", "2026-05-31", lambda c: _node(c).active_until, "2026-05-31"),
    ("nodes.0.active_from", datetime(2026, 5, 1, 9, tzinfo=MOSCOW),
     lambda c: _node(c).active_from, "2026-05-01T09:00:00+03:00"),  # a TOML date-time
    ("nodes.0.client_grace", 60, lambda c: _node(c).client_grace, 60),
    ("nodes.0.idle_timeout", 600, lambda c: _node(c).idle_timeout, 600),
    ("nodes.0.exceptions", ["2027-01-07 closed"], lambda c: _node(c).exceptions,
     ("2027-01-07 closed",)),
    ("nodes.0.groups.0.operators", ["Ivan@Shop.Example"],
     lambda c: _node(c).groups[0].operators, ("ivan@shop.example",)),
    ("nodes.0.groups.0.wave", 2, lambda c: _node(c).groups[0].wave, 2),
    ("nodes.0.groups.0.escalate_after", 30, lambda c: _node(c).groups[0].escalate_after, 30),
    ("nodes.0.groups.0.escalate_after", 0, lambda c: _node(c).groups[0].escalate_after, 0),
    ("nodes.0.groups.0.max_declines", 2, lambda c: _node(c).groups[0].max_declines, 2),
    ("faq.0.tags", ["a", "b"], lambda c: c.directory.faq[0].tags, ("a", "b")),
]


@pytest.mark.parametrize("path, value, get, expected", ACCEPTED,
                         ids=[f"{c[0]}={c[1]!r}" for c in ACCEPTED])
def test_accepted(tmp_path: Path, path: str, value: Any, get: Any, expected: Any) -> None:
    config = loadConfig(write(tmp_path, toToml(edited(path, value))))
    assert get(config) == expected


def test_theSameGroupNameMayAppearInTwoNodes(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["nodes"].append(copy.deepcopy(data["nodes"][0]) | {"name": "support"})
    config = loadConfig(write(tmp_path, toToml(data)))
    assert [n.name for n in config.directory.nodes] == ["sales", "support"]


def test_pluginTablesPassThroughReadOnly(tmp_path: Path) -> None:
    """Keys inside [plugins.<name>] are the plugin's business: any key, any
    value, kept in file order, and nobody downstream can change them."""
    text = MINIMAL + '''
[plugins]
check_timeout = 0.25
[plugins.zeta]
anything = "goes"
[plugins.alpha]
hosts = ["a", "b"]
retries = 3
  [plugins.alpha.auth]
  user = "u"
'''
    config = loadConfig(write(tmp_path, text))
    plugins = config.plugins
    assert plugins.check_timeout == 0.25
    assert list(plugins.options) == ["zeta", "alpha"]
    assert plugins.options["zeta"] == {"anything": "goes"}
    alpha = plugins.options["alpha"]
    assert alpha == {"hosts": ("a", "b"), "retries": 3, "auth": {"user": "u"}}
    with pytest.raises(TypeError):
        alpha["retries"] = 4  # type: ignore[index]
    with pytest.raises(TypeError):
        alpha["auth"]["user"] = "v"  # type: ignore[index]
    with pytest.raises(TypeError):
        plugins.options["new"] = {}  # type: ignore[index]
    hash(config)  # the Config stays usable as a key


# -- errors: each names the file and the key path --------------------------------------

REJECTED = [
    # unknown keys
    ("nodes.0.groups.1.wavee", 2, 'unknown key nodes[0].groups[1].wavee (did you mean "wave"?)'),
    ("servce", {"domain": "x"}, "unknown key servce"),
    ("logging", {"level": "info"}, "unknown key logging"),
    ("service.domian", "x.example", "unknown key service.domian"),
    ("service.admin", ["boss@shop.example"], 'unknown key service.admin (did you mean "admins"?)'),
    ("xmpp.password", "x", "unknown key xmpp.password"),
    ("storage.path", "/tmp/x", "unknown key storage.path"),
    ("web.port", 8080, "unknown key web.port"),
    ("limits.max_message_size", 5, "unknown key limits.max_message_size"),
    ("filters.internal_domain", ["x"], "unknown key filters.internal_domain"),
    ("api_tokens.0.scope", ["read"], "unknown key api_tokens[0].scope"),
    ("operators.1.nick", "G", "unknown key operators[1].nick"),
    ("nodes.0.grups", [{"name": "x"}], "unknown key nodes[0].grups"),
    ("nodes.0.max_chats", 2, "unknown key nodes[0].max_chats"),
    ("faq.0.tag", ["x"], "unknown key faq[0].tag"),
    ("nodes.0.weird key", 1, 'unknown key nodes[0]."weird key"'),
    # missing required keys
    ("service.domain", DELETE, "service.domain is required"),
    ("service", DELETE, "service.domain is required"),
    ("xmpp.secret", DELETE, "xmpp.secret is required"),
    ("xmpp", DELETE, "xmpp.secret is required"),
    ("operators.0.jid", DELETE, "operators[0].jid is required"),
    ("nodes.0.name", DELETE, "nodes[0].name is required"),
    ("nodes.0.groups.1.name", DELETE, "nodes[0].groups[1].name is required"),
    ("faq.0.id", DELETE, "faq[0].id is required"),
    ("faq.0.question", DELETE, "faq[0].question is required"),
    ("faq.0.answer", DELETE, "faq[0].answer is required"),
    ("api_tokens.0.name", DELETE, "api_tokens[0].name is required"),
    ("api_tokens.0.token", DELETE, "api_tokens[0].token is required"),
    # wrong shapes and types
    ("service", "support.shop.example", 'service must be a table ([service]), got "support'),
    ("nodes", {"name": "x"}, "nodes must be an array of tables ([[nodes]])"),
    ("operators", ["ivan@shop.example"], "operators must be an array of tables ([[operators]])"),
    ("nodes.0.invite_timeout", "sixty",
     'nodes[0].invite_timeout must be a positive integer, got "sixty"'),
    ("nodes.0.invite_timeout", 0, "nodes[0].invite_timeout must be a positive integer, got 0"),
    ("nodes.0.invite_timeout", True,
     "nodes[0].invite_timeout must be a positive integer, got true"),
    ("nodes.0.invite_timeout", 1.5, "nodes[0].invite_timeout must be a positive integer, got 1.5"),
    ("nodes.0.client_grace", 0, "nodes[0].client_grace must be a positive integer"),
    ("nodes.0.idle_timeout", "30m", 'nodes[0].idle_timeout must be a positive integer, got "30m"'),
    ("nodes.0.groups.0.wave", 0, "nodes[0].groups[0].wave must be a positive integer"),
    ("nodes.0.groups.0.wave", "1", 'nodes[0].groups[0].wave must be a positive integer, got "1"'),
    ("nodes.0.groups.0.auto", "no", 'nodes[0].groups[0].auto must be true or false, got "no"'),
    ("nodes.0.groups.0.auto", 0, "nodes[0].groups[0].auto must be true or false, got 0"),
    ("nodes.0.groups.0.escalate_after", -5,
     "nodes[0].groups[0].escalate_after must be a non-negative integer, got -5"),
    ("nodes.0.groups.1.max_declines", 0,
     "nodes[0].groups[1].max_declines must be a positive integer"),
    ("nodes.0.groups.0.operators", "ivan@shop.example",
     'nodes[0].groups[0].operators must be a list, got "ivan@shop.example"'),
    ("operators.0.max_chats", 0, "operators[0].max_chats must be a positive integer, got 0"),
    ("service.operator_grace", -1,
     "service.operator_grace must be a non-negative integer, got -1"),
    ("service.operator_grace", False,
     "service.operator_grace must be a non-negative integer, got false"),
    ("service.seed_directory", "always",
     'service.seed_directory must be one of "replace", "missing", "never", got "always"'),
    ("service.command_prefix", "", 'service.command_prefix must be a non-empty string without'),
    ("service.admins", "boss@shop.example", 'service.admins must be a list, got "boss@'),
    ("service.admins", ["boss@shop.example/phone"],
     "service.admins[0] must be a bare JID without a resource"),
    ("xmpp.port", 70000, "xmpp.port must be a port number (1-65535), got 70000"),
    ("xmpp.port", "5347", 'xmpp.port must be a port number (1-65535), got "5347"'),
    ("xmpp.host", 5, "xmpp.host must be a non-empty string, got 5"),
    ("xmpp.secret", "", 'xmpp.secret must be a non-empty string, got ""'),
    ("xmpp.reconnect_max_delay", 0, "xmpp.reconnect_max_delay must be a positive number, got 0"),
    ("xmpp.reconnect_max_delay", True, "xmpp.reconnect_max_delay must be a positive number"),
    ("web.endpoint", "", 'web.endpoint must be a non-empty string, got ""'),
    ("web.endpoint", 8080, "web.endpoint must be a non-empty string, got 8080"),
    ("web.public_url", "127.0.0.1:8080", "web.public_url must be an http:// or https:// URL"),
    ("web.files_dir", "", 'web.files_dir must be a non-empty string'),
    ("web.max_upload_bytes", 0, "web.max_upload_bytes must be a positive integer"),
    ("web.slot_lifetime", 0, "web.slot_lifetime must be a positive number"),
    ("web.upload_page_lifetime", -1, "web.upload_page_lifetime must be a positive number"),
    ("web.transcript_link_lifetime", 0, "web.transcript_link_lifetime must be a positive number"),
    ("web.files_per_chat", 0, "web.files_per_chat must be a positive integer"),
    ("web.upload_bytes_per_day", "lots", "web.upload_bytes_per_day must be a positive integer"),
    ("web.fetch_allow", ["*.shop.example"], "web.fetch_allow"),
    ("web.fetch_allow", "upload.shop.example", "web.fetch_allow"),
    ("web.shared_dir", 5, "web.shared_dir"),
    ("web.widget_origins", ["https://shop.example/"],
     'web.widget_origins[0] must be an origin like "https://shop.example"'),
    ("web.widget_origins", ["shop.example"], "web.widget_origins[0] must be an origin"),
    ("web.widget_origins", ["https://shop.example", "ftp://x"],
     "web.widget_origins[1] must be an origin"),
    ("web.widget_origins", "https://shop.example", "web.widget_origins must be a list"),
    ("web.trusted_proxies", ["proxy.shop.example"],
     'web.trusted_proxies[0] must be an IP address or network like "10.0.0.0/8"'),
    ("web.trusted_proxies", ["10.0.0.0/33"], "web.trusted_proxies[0] must be an IP address"),
    ("limits.web_chat_burst", 0, "limits.web_chat_burst must be a positive integer"),
    ("limits.web_chats_per_hour", -1, "limits.web_chats_per_hour must be a positive number"),
    ("limits.max_message_bytes", "64k", 'limits.max_message_bytes must be a positive integer'),
    ("limits.client_byte_burst", 1000,
     "limits.client_byte_burst must be at least max_message_bytes (65536)"),
    ("limits.operator_messages_per_second", 0,
     "limits.operator_messages_per_second must be a positive number, got 0"),
    ("limits.client_message_burst", 2.5,
     "limits.client_message_burst must be a positive integer, got 2.5"),
    ("limits.max_stanza_bytes", "1M", 'limits.max_stanza_bytes must be a positive integer'),
    ("limits.max_stanza_bytes", 100000,
     "limits.max_stanza_bytes must be at least 6 times max_message_bytes (393216), so that "
     "an escaped body fits, got 100000"),
    ("filters.internal_domains", ["http://corp"], "filters.internal_domains[0] must be a domain"),
    ("filters.profanity_allow", "hell", "filters.profanity_allow must be a list"),
    ("faq.0.tags", [1], "faq[0].tags[0] must be a non-empty string, got 1"),
    ("faq.0.answer", "", 'faq[0].answer must be a non-empty string'),
    # domain, names, JIDs
    ("service.domain", "not a domain!", 'service.domain must be a domain name like'),
    ("service.domain", "-bad.example", "service.domain must be a domain name"),
    ("service.domain", "a..example", "service.domain must be a domain name"),
    ("service.domain", "", "service.domain must be a domain name"),
    ("nodes.0.name", "Sales", 'nodes[0].name must be a name of a-z, 0-9'),
    ("nodes.0.name", "_sales", "nodes[0].name must be a name of a-z, 0-9"),
    ("nodes.0.name", "sales\n", "nodes[0].name must be a name of a-z, 0-9"),
    ("nodes.0.name", "sales+1", 'nodes[0].name must be a name without "+" (chat addresses'),
    ("nodes.0.name", "s" * 64, "nodes[0].name must be a name of a-z, 0-9, "),
    ("faq.0.id", "a/b", 'faq[0].id must be a word of at most 64 characters without spaces'),
    ("faq.0.id", "x" * 65, 'faq[0].id must be a word of at most 64 characters without spaces'),
    ("nodes.0.groups.0.name", "first line", "nodes[0].groups[0].name must be a name of"),
    ("nodes.0.groups.1.name", "first",
     'nodes[0].groups[1].name "first" is already used by nodes[0].groups[0]'),
    ("operators.1.jid", "IVAN@shop.example",
     'operators[1].jid "ivan@shop.example" is already used by operators[0]'),
    ("operators.0.jid", "ivan", 'operators[0].jid must be a bare JID like "ivan@shop.example"'),
    ("operators.0.jid", "@shop.example", "operators[0].jid must be a bare JID like"),
    ("operators.0.jid", "iv an@shop.example", "operators[0].jid must be a bare JID like"),
    ("operators.0.jid", "ivan@shop.example/home", "operators[0].jid must be a bare JID without"),
    ("operators.0.name", "", 'operators[0].name must be a non-empty string, got ""'),
    ("operators.1.jid", "guru@support.shop.example",
     'operators[1].jid "guru@support.shop.example" is an address of this service'),
    ("nodes.0.groups.0.operators", ["nobody@shop.example"],
     'nodes[0].groups[0].operators[0] names "nobody@shop.example", which is not declared in '
     '[[operators]] (group "sales/first")'),
    ("nodes.0.groups.0.operators", ["ivan@shop.example", "Ivan@shop.example"],
     'nodes[0].groups[0].operators[1] repeats "Ivan@shop.example"'),
    ("faq.0.id", "two words", 'faq[0].id must be a word of at most 64 characters without spaces'),
    # choices and languages
    ("nodes.0.ring", "random", 'nodes[0].ring must be "sequential" or "parallel", got "random"'),
    ("nodes.0.off_hours", "closed",
     'nodes[0].off_hours must be "autoreply" or "offline", got "closed"'),
    ("api_tokens.0.scopes", ["read", "write"],
     'api_tokens[0].scopes[1] must be one of "read", "control", "admin", got "write"'),
    ("api_tokens.0.scopes", [], "api_tokens[0].scopes must be a non-empty list, got []"),
    ("service.default_language", "English", 'service.default_language must be a lowercase'),
    ("nodes.0.languages", [], "nodes[0].languages must be a non-empty list, got []"),
    ("nodes.0.languages", ["EN"], 'nodes[0].languages[0] must be a lowercase language code'),
    ("nodes.0.languages", ["en", "en"], 'nodes[0].languages[1] repeats "en"'),
    ("operators.0.languages", ["ru", "russian"], "operators[0].languages[1] must be a lowercase"),
    # time zones, schedules, exceptions, windows
    ("nodes.0.timezone", "Mars/Olympus", 'nodes[0].timezone must be a known IANA time zone'),
    ("nodes.0.timezone", "Europe", "nodes[0].timezone must be a known IANA time zone"),
    ("nodes.0.timezone", "../../etc/passwd", "nodes[0].timezone must be a known IANA"),
    ("operators.0.timezone", "MSK+3", "operators[0].timezone must be a known IANA time zone"),
    ("nodes.0.schedule", "Mon-Fri 9:00-18:00", 'nodes[0].schedule has "9:00-18:00" where a time'),
    ("nodes.0.schedule", "Mon-Fry 09:00-18:00", 'nodes[0].schedule has days "Mon-Fry"'),
    ("nodes.0.schedule", "mon 09:00-18:00", 'nodes[0].schedule has days "mon"'),
    ("nodes.0.schedule", "Mon-Fri 09:00-25:00", "nodes[0].schedule has an impossible time 25:00"),
    ("nodes.0.schedule", "Mon 09:60-10:00", "nodes[0].schedule has an impossible time 09:60"),
    ("nodes.0.schedule", "Mon 24:00-24:00", "nodes[0].schedule has an impossible time 24:00"),
    ("nodes.0.schedule", "Fri 22:00-06:00",
     'nodes[0].schedule has a span "22:00-06:00" that does not end after it starts'),
    ("nodes.0.schedule", "Fri-Mon 09:00-18:00",
     'nodes[0].schedule has a day range "Fri-Mon" that runs backwards'),
    ("nodes.0.schedule", "always", 'nodes[0].schedule has "always" where an item like'),
    ("nodes.0.schedule", "Mon-Fri", 'nodes[0].schedule has "Mon-Fri" where an item like'),
    ("nodes.0.schedule", "", "nodes[0].schedule must list opening hours"),
    ("nodes.0.schedule", " ; ", "nodes[0].schedule must list opening hours"),
    ("nodes.0.schedule", 9, "nodes[0].schedule must be a string, got 9"),
    ("operators.0.schedule", "Mon-Fri 09:00-18:00, Sat", "operators[0].schedule has"),
    ("nodes.0.exceptions", ["2026-13-01 closed"],
     'nodes[0].exceptions[0] must be a real calendar date, got "2026-13-01 closed"'),
    ("nodes.0.exceptions", ["2026-12-31"],
     'nodes[0].exceptions[0] must be "YYYY-MM-DD HH:MM-HH:MM" or "YYYY-MM-DD closed"'),
    ("nodes.0.exceptions", ["31.12.2026 closed"], "nodes[0].exceptions[0] must be \"YYYY-MM-DD"),
    ("nodes.0.exceptions", ["2026-12-31 open"], 'nodes[0].exceptions[0] must be "YYYY-MM-DD'),
    ("nodes.0.exceptions", ["2026-12-31 09:00-24:30"],
     "nodes[0].exceptions[0] has an impossible time 24:30"),
    ("nodes.0.exceptions", ["2026-12-31 14:00-10:00"], "nodes[0].exceptions[0] has a span"),
    ("nodes.0.exceptions", "2026-12-31 closed", 'nodes[0].exceptions must be a list, got "2026'),
    ("operators.0.exceptions", ["2027-01-01 shut"],
     'operators[0].exceptions[0] must be "YYYY-MM-DD HH:MM-HH:MM" or "YYYY-MM-DD closed", '
     'got "2027-01-01 shut"'),
    ("nodes.0.active_from", "next monday",
     'nodes[0].active_from must be an ISO 8601 date and time like'),
    ("nodes.0.active_until", 5, "nodes[0].active_until must be an ISO 8601 date and time"),
    # storage
    ("storage.url", "mysql://db/x", "storage.url must be a URL starting with sqlite:, "
     "postgresql://, postgres://, memory:"),
    ("storage.url", "sqlite:", 'storage.url must be "sqlite:///absolute/path/file" or'),
    ("storage.url", "sqlite:///", 'storage.url must be "sqlite:///absolute/path/file" or'),
    ("storage.url", "sqlite:data/", 'storage.url must be "sqlite:///absolute/path/file" or'),
    ("storage.url", "sqlite://host/x", 'storage.url must be "sqlite:///absolute/path/file" or'),
    ("storage.url", "sqlite://///x", 'storage.url must be "sqlite:///absolute/path/file" or'),
    ("storage.url", "sqlite:////", 'storage.url must be "sqlite:///absolute/path/file" or'),
    ("storage.url", 1, "storage.url must be a string, got 1"),
    # plugins: the core checks the shape; each plugin checks its own table's keys
    ("plugins", 5, "plugins must be a table ([plugins]), got 5"),
    ("plugins.check_timeout", 0, "plugins.check_timeout must be a positive number, got 0"),
    ("plugins.check_timeout", -1.5, "plugins.check_timeout must be a positive number"),
    ("plugins.check_timeout", "2s", 'plugins.check_timeout must be a positive number, got "2s"'),
    ("plugins.check_timeout", True, "plugins.check_timeout must be a positive number, got true"),
    ("plugins.timeout", 2, 'unknown key plugins.timeout (did you mean "check_timeout"?)'),
    ("plugins.onthephone", "/run/phone.txt",
     "plugins.onthephone must be a table ([plugins.onthephone]) of that plugin's options, "
     'got "/run/phone.txt"'),
    ("plugins.OnThePhone", {"path": "/x"},
     'plugins.OnThePhone is not a plugin name (plugin names use a-z, 0-9 and "_")'),
    ("plugins.on-the-phone", {}, "plugins.on-the-phone is not a plugin name"),
    ("plugins.on the phone", {}, 'plugins."on the phone" is not a plugin name'),
]


@pytest.mark.parametrize("path, value, expected", REJECTED,
                         ids=[f"{c[0]}={'DELETE' if c[1] is DELETE else repr(c[1])}"
                              for c in REJECTED])
def test_rejected(tmp_path: Path, path: str, value: Any, expected: str) -> None:
    write(tmp_path, toToml(edited(path, value)))
    message = loadError(tmp_path)
    assert message.startswith(f"x.toml: {expected}"), message


def test_duplicateNodeNames(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["nodes"].append({"name": "sales"})
    write(tmp_path, toToml(data))
    assert loadError(tmp_path) == 'x.toml: nodes[1].name "sales" is already used by nodes[0]'


@pytest.mark.parametrize("key, first, second, expected", [
    ("faq", "id", "delivery", 'faq[1].id "delivery" is already used by faq[0]'),
    ("api_tokens", "name", "crm", 'api_tokens[1].name "crm" is already used by api_tokens[0]'),
    ("api_tokens", "token", "change-me", 'api_tokens[1].token "change-me" is already used'),
])
def test_duplicateEntries(tmp_path: Path, key: str, first: str, second: str,
                          expected: str) -> None:
    data = copy.deepcopy(BASE)
    twin = copy.deepcopy(data[key][0])
    for k in twin:
        if k != first and isinstance(twin[k], str):
            twin[k] = twin[k] + "-2"
    data[key].append(twin | {first: second})
    write(tmp_path, toToml(data))
    assert loadError(tmp_path).startswith(f"x.toml: {expected}")


@pytest.mark.parametrize("start, end", [
    ("2026-05-31T00:00:00+03:00", "2026-05-01T00:00:00+03:00"),
    ("2026-05-01T09:00", "2026-05-01T09:00"),
    ("2026-05-01T09:00:00+00:00", "2026-05-01T10:00"),  # 10:00 in Moscow is 07:00 UTC
])
def test_activeWindowMustNotRunBackwards(tmp_path: Path, start: str, end: str) -> None:
    data = edited("nodes.0.timezone", "Europe/Moscow")
    data["nodes"][0] |= {"active_from": start, "active_until": end}
    write(tmp_path, toToml(data))
    assert loadError(tmp_path).startswith(
        f"x.toml: nodes[0].active_until ({end}) must be later than active_from ({start})")


def test_requiredKeyMisspelledGetsAHint(tmp_path: Path) -> None:
    data = edited("service.domain", DELETE)
    data["service"]["domian"] = "support.shop.example"
    write(tmp_path, toToml(data))
    assert loadError(tmp_path) == (
        'x.toml: service.domain is required (is "domian" a misspelling?)')


# -- files, syntax, paths ----------------------------------------------------------------

@pytest.mark.parametrize("text, where", [
    ('[service]\ndomain = support.shop.example\n', "line 2, column 10"),
    ('[service]\ndomain = "a.example"\n[service]\n', "line 3, column 9"),
    ('[service]\ndomain = "a.example\n', "line 2, column 20"),
    ('[service\n', "line 1, column 9"),
])
def test_tomlSyntaxErrorGivesLineAndColumn(tmp_path: Path, text: str, where: str) -> None:
    write(tmp_path, text)
    message = loadError(tmp_path)
    assert message.startswith("x.toml: TOML syntax error: ")
    assert f"(at {where})" in message


def test_missingFile(tmp_path: Path) -> None:
    message = loadError(tmp_path)
    assert message.startswith("x.toml: configuration file not found")
    assert str(tmp_path / "x.toml") in message


def test_directoryInsteadOfFile(tmp_path: Path) -> None:
    (tmp_path / "x.toml").mkdir()
    assert loadError(tmp_path).startswith("x.toml: cannot read the configuration file: ")


def test_notUtf8(tmp_path: Path) -> None:
    (tmp_path / "x.toml").write_bytes(b'[service]\ndomain = "\xff"\n')
    assert loadError(tmp_path).startswith("x.toml: not UTF-8 text")


def test_utf8ByteOrderMarkIsTolerated(tmp_path: Path) -> None:
    (tmp_path / "x.toml").write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert loadConfig(tmp_path / "x.toml").service.domain == "support.shop.example"


def test_errorsStartWithThePathAsGiven(tmp_path: Path) -> None:
    write(tmp_path / "etc", toToml(edited("nodes.0.ring", "loud")))
    assert loadError(tmp_path).startswith(os.path.join("etc", "x.toml") + ": nodes[0].ring")


def test_relativePathsFollowTheConfigFile(tmp_path: Path) -> None:
    text = MINIMAL + '[storage]\nurl = "sqlite:data/imsupport.sqlite"\n' \
        '[web]\nfiles_dir = "../var/files"\n'
    write(tmp_path / "etc", text)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.chdir(elsewhere)
    config = loadConfig(os.path.join("..", "etc", "x.toml"))
    assert config.storage.url == f"sqlite://{tmp_path}/etc/data/imsupport.sqlite"
    assert config.web.files_dir == str(tmp_path / "var" / "files")
    assert config.path == str(tmp_path / "etc" / "x.toml")


def test_absolutePathsStayAbsolute(tmp_path: Path) -> None:
    text = MINIMAL + '[storage]\nurl = "sqlite:///srv/db.sqlite"\n[web]\nfiles_dir = "/srv/f"\n'
    config = loadConfig(write(tmp_path / "etc", text))
    assert (config.storage.url, config.web.files_dir) == ("sqlite:///srv/db.sqlite", "/srv/f")


# -- the schedule syntax ---------------------------------------------------------------------

@pytest.mark.parametrize("text, items", [
    ("Mon-Fri 09:00-18:00", (((0, 1, 2, 3, 4), 540, 1080),)),
    ("Mon-Fri 09:00-18:00; Sat 10:00-14:00",
     (((0, 1, 2, 3, 4), 540, 1080), ((5,), 600, 840))),
    ("Mon,Wed 10:00-12:00", (((0, 2), 600, 720),)),
    ("Mon-Tue, Thu - Fri 00:00 - 24:00", (((0, 1, 3, 4), 0, 1440),)),
    ("Sun 23:00-23:59;", (((6,), 1380, 1439),)),
])
def test_scheduleItems(text: str, items: tuple[Any, ...]) -> None:
    assert scheduleItems(text) == items


# -- the shipped example -----------------------------------------------------------------------

EXAMPLE = REPO / "etc" / "imsupport.toml"


def test_shippedExampleParses() -> None:
    config = loadConfig(EXAMPLE)
    assert config.service.domain == "support.shop.example"
    assert config.storage.url == "sqlite:///var/lib/imsupport/imsupport.sqlite"
    sales = config.directory.node("sales")
    assert sales is not None
    assert [g.name for g in sales.groups] == ["first", "experts"]
    assert config.directory.operator("ivan@shop.example") is not None
    assert [e.id for e in config.directory.faq][:1] == ["delivery"]
    assert [t.name for t in config.api_tokens][:1] == ["crm"]


DOCUMENTED = [
    (cls.__name__, f.name)
    for cls in (ServiceConfig, XmppConfig, StorageConfig, WebConfig, ApiToken, FiltersConfig,
                LimitsConfig, PluginsConfig, Operator, Node, Group, FaqEntry)
    for f in fields(cls) if f.name not in ("groups", "options", "client_rate", "operator_rate")
] + [("onthephone", "path")] + [
    ("WebUser", key) for key in ("name", "password", "password_hash", "role")] + [
    ("LimitsConfig", f"{who}_{f.name}") for who in ("client", "operator")
    for f in fields(RateLimit)]


@pytest.mark.parametrize("owner, key", DOCUMENTED, ids=[f"{o}.{k}" for o, k in DOCUMENTED])
def test_shippedExampleDocumentsEveryKey(owner: str, key: str) -> None:
    """An admin learns the keys from this file; a key it never mentions is a secret."""
    assert re.search(rf"^\s*#?\s*{key}\s*=", EXAMPLE.read_text(), re.M), f"{owner}.{key}"
