"""
System messages in the person's language (R-CLI-2).

A catalog per language lives in ``imsupport/locale/<lang>/messages.toml``;
``Translator.text(key, languages, **fields)`` picks the first of the person's
languages that has the key, then the service default, then English.
"""
from __future__ import annotations

import tomllib
from importlib import resources
from typing import Iterable, Mapping

FALLBACK = "en"


def loadCatalogs() -> dict[str, dict[str, str]]:
    """Every catalog shipped in imsupport/locale, keyed by language code."""
    catalogs: dict[str, dict[str, str]] = {}
    root = resources.files("imsupport") / "locale"
    for entry in root.iterdir():
        messages = entry / "messages.toml"
        if entry.is_dir() and messages.is_file():
            catalogs[entry.name] = tomllib.loads(messages.read_text("utf-8"))
    return catalogs


class Translator:
    def __init__(self, catalogs: Mapping[str, Mapping[str, str]] | None = None,
                 default: str = FALLBACK) -> None:
        self.catalogs = dict(catalogs if catalogs is not None else loadCatalogs())
        self.default = default

    def language(self, languages: Iterable[str]) -> str:
        """The first language of ``languages`` we have a catalog for."""
        for lang in languages:
            base = lang.lower().split("-")[0]
            if base in self.catalogs:
                return base
        return self.default if self.default in self.catalogs else FALLBACK

    def text(self, key: str, languages: Iterable[str] = (), /, **fields: object) -> str:
        for lang in (self.language(languages), self.default, FALLBACK):
            template = self.catalogs.get(lang, {}).get(key)
            if template is not None:
                return template.format(**fields)
        raise KeyError(f"no message {key!r} in any catalog")


def formatDuration(seconds: float) -> str:
    """A short, language-neutral wait time: ``0:42``, ``12:05``, ``1:02:03``."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"
