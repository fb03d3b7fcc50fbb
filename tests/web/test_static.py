"""GET /static/{path} and /widget.js (web/static.py) through StubTreq: the
package's files with their types and caching headers, revalidation, and
nothing but the files found at start (no listing, no escape, no dotfiles)."""
from __future__ import annotations

import hashlib
from email.utils import formatdate
from importlib import resources
from pathlib import Path

import pytest
import pytest_twisted
from treq.testing import StubTreq

from imsupport.web.app import WebSide
from imsupport.web.static import StaticFiles


def side(static: StaticFiles | None = None) -> StubTreq:
    return StubTreq(WebSide(lambda: None, lambda: True, lambda: True, static=static).resource())


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "static"
    (root / "vendor").mkdir(parents=True)
    (root / "app.js").write_text("export const a = 1;\n")
    (root / "look.css").write_text("body { color: #000 }\n")
    (root / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (root / "vendor" / "chart.umd.min.js").write_text("/* chart */\n")
    (root / "vendor" / "LICENSE").write_text("MIT\n")
    (root / "widget.js").write_text("(() => {})();\n")
    (root / ".secret.js").write_text("no")
    (root / "__init__.py").write_text("")
    (root / "tool.py").write_text("import os")
    (root / "blob.exe").write_bytes(b"MZ")
    (tmp_path / "outside.js").write_text("outside")
    return root


async def get(client: StubTreq, url: str, method: str = "GET", **headers: str):
    response = await client.request(method, url, headers={k.replace("_", "-"): v
                                                          for k, v in headers.items()})
    return response, await response.content()


def header(response, name: str) -> str | None:
    values = response.headers.getRawHeaders(name)
    return values[0] if values else None


@pytest_twisted.ensureDeferred
async def test_the_packages_page_files_with_type_cache_and_validators():
    client = side()
    package = resources.files("imsupport") / "web" / "static"
    for name, kind in [("webchat.js", "text/javascript; charset=utf-8"),
                       ("redact.js", "text/javascript; charset=utf-8"),
                       ("chatlog.js", "text/javascript; charset=utf-8"),
                       ("webchat.css", "text/css; charset=utf-8")]:
        response, body = await get(client, f"http://x/static/{name}")
        assert response.code == 200, name
        data = (package / name).read_bytes()
        assert body == data
        assert header(response, "content-type") == kind
        assert header(response, "cache-control") == "public, max-age=600"
        assert header(response, "etag") == '"' + hashlib.sha256(data).hexdigest()[:20] + '"'
        assert header(response, "last-modified").endswith(" GMT")
        assert header(response, "x-content-type-options") == "nosniff"
        assert response.length == len(data)


@pytest_twisted.ensureDeferred
async def test_the_widget_loader_at_its_fixed_address():
    response, body = await get(side(), "http://x/widget.js")
    assert response.code == 200
    assert body == (resources.files("imsupport") / "web" / "static" / "widget.js").read_bytes()
    assert header(response, "content-type") == "text/javascript; charset=utf-8"
    assert header(response, "cache-control") == "public, max-age=300"
    assert header(response, "access-control-allow-origin") == "*"
    assert header(response, "etag")


@pytest_twisted.ensureDeferred
async def test_types_by_ending_and_licence_files(folder):
    client = side(StaticFiles(folder))
    for path, kind in [("look.css", "text/css; charset=utf-8"), ("logo.svg", "image/svg+xml"),
                       ("vendor/chart.umd.min.js", "text/javascript; charset=utf-8"),
                       ("vendor/LICENSE", "text/plain; charset=utf-8")]:
        response, body = await get(client, f"http://x/static/{path}")
        assert response.code == 200, path
        assert header(response, "content-type") == kind
        assert body == (folder / path).read_bytes()


@pytest_twisted.ensureDeferred
async def test_revalidation_by_etag_and_by_date(folder):
    client = side(StaticFiles(folder))
    first, _ = await get(client, "http://x/static/app.js")
    etag = header(first, "etag")
    again, body = await get(client, "http://x/static/app.js", if_none_match=etag)
    assert again.code == 304 and body == b""
    assert header(again, "etag") == etag
    weak, _ = await get(client, "http://x/static/app.js", if_none_match=f'"other", W/{etag}')
    assert weak.code == 304
    stale, body = await get(client, "http://x/static/app.js", if_none_match='"old"')
    assert stale.code == 200 and body == b"export const a = 1;\n"
    since = formatdate((folder / "app.js").stat().st_mtime + 5, usegmt=True)
    dated, body = await get(client, "http://x/static/app.js", if_modified_since=since)
    assert dated.code == 304 and body == b""
    older = formatdate((folder / "app.js").stat().st_mtime - 3600, usegmt=True)
    changed, _ = await get(client, "http://x/static/app.js", if_modified_since=older)
    assert changed.code == 200
    garbage, _ = await get(client, "http://x/static/app.js", if_modified_since="yesterday")
    assert garbage.code == 200


@pytest_twisted.ensureDeferred
async def test_a_versioned_address_may_be_kept_for_a_year(folder):
    files = StaticFiles(folder)
    client = side(files)
    url = files.url("app.js")
    assert url.startswith("/static/app.js?v=")
    response, _ = await get(client, "http://x" + url)
    assert header(response, "cache-control") == "public, max-age=31536000, immutable"
    wrong, body = await get(client, "http://x/static/app.js?v=0123")
    assert wrong.code == 200 and body
    assert header(wrong, "cache-control") == "public, max-age=600"
    with pytest.raises(KeyError):
        files.url("missing.js")


@pytest_twisted.ensureDeferred
async def test_head_has_the_headers_without_the_body(folder):
    response, body = await get(side(StaticFiles(folder)), "http://x/static/app.js", "HEAD")
    assert response.code == 200 and body == b""
    assert header(response, "content-length") == str(len("export const a = 1;\n"))


@pytest_twisted.ensureDeferred
async def test_only_the_files_found_at_start(folder):
    client = side(StaticFiles(folder))
    for path in ["", "vendor", "vendor/", ".secret.js", "__init__.py", "tool.py", "blob.exe",
                 "../outside.js", "%2e%2e/outside.js", "vendor/../app.js", "..%2foutside.js",
                 "vendor%2f..%2f..%2foutside.js", "/etc/passwd", "app.js/", "APP.JS",
                 "nothing.js"]:
        response, body = await get(client, f"http://x/static/{path}")
        assert response.code == 404, path
        assert b"outside" not in body and b"export" not in body
    (folder / "later.js").write_text("// added after start\n")
    response, _ = await get(client, "http://x/static/later.js")
    assert response.code == 404


@pytest_twisted.ensureDeferred
async def test_no_widget_without_the_file_and_no_post(folder):
    (folder / "widget.js").unlink()
    client = side(StaticFiles(folder))
    response, _ = await get(client, "http://x/widget.js")
    assert response.code == 404
    response, _ = await get(side(), "http://x/static/webchat.js", "POST")
    assert response.code == 405
