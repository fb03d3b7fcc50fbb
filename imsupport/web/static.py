"""
The web pages' static files (SPEC 14): ``GET /static/{path}`` serves what
ships in the package folder ``imsupport/web/static/`` (listed in setup.cfg's
package_data), and ``GET /widget.js`` the embeddable loader from there.

Only the files found there at start are served, by their exact relative
path: nothing else is reachable (no directory listing, no ``..``, no
dotfiles, no Python files), and only names with a known type. Each file
is read once; its ETag is a hash of its bytes, so a browser revalidates
cheaply (304). ``url(name)`` gives a versioned address (``?v=`` its ETag)
that browsers may keep for a year, since a changed file gets a new one.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Iterator

from twisted.web.iweb import IRequest
from werkzeug.exceptions import NotFound

# what is served, by the name's ending; anything else is not served
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/vnd.microsoft.icon",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}
PLAIN = "text/plain; charset=utf-8"  # extensionless licence files (LICENSE, NOTICE)
MAX_AGE = 600  # seconds an unversioned file may be used without asking again
WIDGET_MAX_AGE = 300  # the loader's address is fixed in other sites' pages
VERSIONED_MAX_AGE = 365 * 24 * 3600
WIDGET = "widget.js"


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    etag: str  # quoted, as sent
    modified: float  # the package file's time, for Last-Modified


def contentType(name: str) -> str | None:
    base = name.rsplit("/", 1)[-1]
    if "." not in base:
        return PLAIN if base.isupper() else None
    return TYPES.get("." + base.rsplit(".", 1)[1].lower())


def walk(folder: Traversable, prefix: str = "") -> Iterator[tuple[str, Traversable]]:
    """(relative path, file) for every servable file under ``folder``."""
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.startswith((".", "_")):
            continue
        path = prefix + entry.name
        if entry.is_dir():
            yield from walk(entry, path + "/")
        elif entry.is_file() and contentType(path) is not None:
            yield path, entry


def packageFolder() -> Traversable:
    return resources.files("imsupport") / "web" / "static"


def modifiedTime(entry: Traversable) -> float:
    stat = getattr(entry, "stat", None)  # a pathlib.Path; a zip member has none
    return float(stat().st_mtime) if callable(stat) else 0.0


class StaticFiles:
    """The files of ``folder`` (the package's static folder by default)."""

    def __init__(self, folder: Traversable | None = None) -> None:
        self.assets: dict[str, Asset] = {}
        for name, entry in walk(packageFolder() if folder is None else folder):
            body = entry.read_bytes()
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            self.assets[name] = Asset(body, contentType(name) or PLAIN, etag,
                                      modifiedTime(entry))

    def url(self, name: str) -> str:
        """``/static/{name}?v={etag}``: an address that changes with the file."""
        asset = self.assets.get(name)
        if asset is None:
            raise KeyError(f"no static file {name!r}")
        return f"/static/{name}?v={asset.etag.strip(chr(34))}"

    def serve(self, request: IRequest, name: str) -> bytes:
        """The file ``name`` (a path relative to the folder), or NotFound."""
        asset = self.assets.get(name)
        if asset is None:
            raise NotFound()
        version = request.args.get(b"v", [b""])[0].decode("ascii", "replace")
        if version and '"' + version + '"' == asset.etag:
            cache = f"public, max-age={VERSIONED_MAX_AGE}, immutable"
        else:
            cache = f"public, max-age={WIDGET_MAX_AGE if name == WIDGET else MAX_AGE}"
        return answer(request, asset, cache)

    def widget(self, request: IRequest) -> bytes:
        """``/widget.js``: the loader other sites embed with one script tag."""
        asset = self.assets.get(WIDGET)
        if asset is None:
            raise NotFound()
        request.setHeader(b"access-control-allow-origin", b"*")
        return answer(request, asset, f"public, max-age={WIDGET_MAX_AGE}")


def answer(request: IRequest, asset: Asset, cache: str) -> bytes:
    request.setHeader(b"content-type", asset.content_type.encode())
    request.setHeader(b"cache-control", cache.encode())
    request.setHeader(b"etag", asset.etag.encode())
    request.setHeader(b"x-content-type-options", b"nosniff")
    if asset.modified:
        request.setHeader(b"last-modified", formatdate(asset.modified, usegmt=True).encode())
    if notModified(request, asset):
        request.setResponseCode(304)
        return b""
    request.setHeader(b"content-length", str(len(asset.body)).encode())
    return asset.body


def notModified(request: IRequest, asset: Asset) -> bool:
    """If-None-Match decides when sent; otherwise If-Modified-Since."""
    match = request.getHeader(b"if-none-match")
    if match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in match.decode("latin-1").split(",")}
        return "*" in tags or asset.etag in tags
    since = request.getHeader(b"if-modified-since")
    if since is None or not asset.modified:
        return False
    try:
        when = parsedate_to_datetime(since.decode("latin-1")).timestamp()
    except (TypeError, ValueError):
        return False
    return int(asset.modified) <= when
