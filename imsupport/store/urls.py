"""
Storage URLs: the one reading of a SQLite URL (the config loader checks
``storage.url`` with it, the store opens the file it names) and the one way a
URL is shown in logs and messages, without its password.
"""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

SCHEMES = ("sqlite:", "postgresql://", "postgres://", "memory:")
SQLITE_FORMS = "sqlite:///absolute/path, sqlite:////absolute/path or sqlite:relative/path"


def sqlitePath(url: str) -> str:
    """The file a ``sqlite:`` URL names, or ValueError.

    ``sqlite:///var/lib/x.sqlite`` and ``sqlite:////var/lib/x.sqlite`` (the
    SQLAlchemy spelling) -> ``/var/lib/x.sqlite``; ``sqlite:data/x.sqlite``
    -> ``data/x.sqlite``, which the caller resolves (the config loader against
    the configuration file's directory).
    """
    if url[:len("sqlite:")].lower() != "sqlite:":  # the store takes SQLITE: too, as before
        raise ValueError(f"storage URL {url!r} is not a SQLite URL")
    rest = url[len("sqlite:"):]
    if rest.startswith("////"):
        rest = rest[3:]
    elif rest.startswith("///"):
        rest = rest[2:]
    if rest.startswith("//"):
        raise ValueError(f"storage URL {url!r}: a SQLite URL has no host; write {SQLITE_FORMS}")
    if not rest or rest.endswith("/"):
        raise ValueError(f"storage URL {url!r} names no SQLite file")
    return rest


def redactUrl(url: str) -> str:
    """``url`` fit for a log line or a message: without the user's password
    (``user:password@``, where the password may itself contain "@") and
    without a ``password=`` query parameter; the rest, the user name too,
    stays as written."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    head, mark, query = rest.partition("?")
    userinfo, at, where = head.rpartition("@")
    if at:
        head = f"{userinfo.partition(':')[0]}@{where}"
    if mark:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(k == "password" for k, _ in pairs):
            query = urlencode([(k, v) for k, v in pairs if k != "password"])
            mark = mark if query else ""
    return f"{scheme}://{head}{mark}{query}"
