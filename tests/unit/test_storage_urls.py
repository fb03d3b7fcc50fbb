"""
Storage URLs are read in one place (``imsupport.store.urls``): the config
loader checks ``storage.url`` with the store's own parser, and every log line
or message that shows a URL hides its password the same way.
"""
from __future__ import annotations

import pytest

from imsupport.store.urls import redactUrl, sqlitePath


@pytest.mark.parametrize("url, path", [
    ("sqlite:///var/lib/imsupport/imsupport.sqlite", "/var/lib/imsupport/imsupport.sqlite"),
    ("sqlite:////var/lib/imsupport/imsupport.sqlite", "/var/lib/imsupport/imsupport.sqlite"),
    ("sqlite:/srv/x.sqlite", "/srv/x.sqlite"),
    ("sqlite:data/x.sqlite", "data/x.sqlite"),
    ("sqlite:x.sqlite", "x.sqlite"),
])
def test_sqlitePath(url: str, path: str) -> None:
    assert sqlitePath(url) == path


@pytest.mark.parametrize("url, problem", [
    ("sqlite://host/x.sqlite", "has no host"),
    ("sqlite://///x.sqlite", "has no host"),
    ("sqlite:", "names no SQLite file"),
    ("sqlite:///", "names no SQLite file"),
    ("sqlite:////", "names no SQLite file"),
    ("sqlite:///var/lib/", "names no SQLite file"),
    ("postgresql://db/x", "not a SQLite URL"),
])
def test_sqlitePathRefuses(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        sqlitePath(url)


@pytest.mark.parametrize("url, shown", [
    ("postgresql://bob:secret@db.example:6543/support?sslmode=require",
     "postgresql://bob@db.example:6543/support?sslmode=require"),
    # "@" in the password: the host starts after the last one
    ("postgresql://bob:p@ss@w@rd@db.example/support", "postgresql://bob@db.example/support"),
    ("postgres://bob:a/b:c@db/x", "postgres://bob@db/x"),
    ("postgresql://:secret@db/x", "postgresql://@db/x"),
    ("postgresql://db/x?user=bob&password=secret&sslmode=require",
     "postgresql://db/x?user=bob&sslmode=require"),
    ("postgresql://db/x?password=secret", "postgresql://db/x"),
    # nothing to hide: the URL as written
    ("postgresql://bob@db.example:5432/support?schema=s1",
     "postgresql://bob@db.example:5432/support?schema=s1"),
    ("postgresql:///support", "postgresql:///support"),
    ("sqlite:///var/lib/imsupport/imsupport.sqlite", "sqlite:///var/lib/imsupport/imsupport.sqlite"),
    ("sqlite:data/x.sqlite", "sqlite:data/x.sqlite"),
    ("memory:", "memory:"),
])
def test_redactUrl(url: str, shown: str) -> None:
    assert redactUrl(url) == shown
    assert "secret" not in redactUrl(url) and "rd@" not in redactUrl(url)
