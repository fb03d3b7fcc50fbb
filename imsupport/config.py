"""
The configuration file (SPEC section 13): TOML, unknown keys are errors that
name the key's path. ``loadConfig(path)`` returns a Config or raises
ConfigError with a message an admin can act on.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from imsupport.core.model import Directory


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


def loadConfig(path: str) -> Config:
    """Read and validate a configuration file."""
    raise NotImplementedError  # filled in by the config module work
