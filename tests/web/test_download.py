"""GET and HEAD /f/{token}/{name}: headers that keep a browser from running
what it downloads (R-SEC-4), Range, HEAD, names that try to escape."""
from __future__ import annotations

import hashlib
import io
from urllib.parse import quote

import pytest
import pytest_twisted

from tests.web.filefakes import client, raw, webSide

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>fetch('/api/v1/chats')</script></body></html>"


def store(uploads, blobs, data, name, content_type):
    blob = blobs.write(io.BytesIO(data), len(data)).result
    return uploads.addFile(blob, name, content_type)


def link(record, name=None):
    return f"http://x/f/{record.token}/{quote(record.name if name is None else name, safe='')}"


@pytest_twisted.inlineCallbacks
def test_an_attachment_with_every_safety_header(uploads, blobs):
    data = b"%PDF-1.7 not really\n" * 100
    record = store(uploads, blobs, data, "report.zip", "application/zip")
    response = yield client(webSide(uploads, blobs)).get(link(record))
    assert response.code == 200
    assert response.body == data
    assert response.header("content-type") == "application/zip"
    assert response.length == len(data)
    assert response.header("x-content-type-options") == "nosniff"
    assert response.header("content-security-policy") == "sandbox"
    assert response.header("content-disposition") == (
        "attachment; filename=\"report.zip\"; filename*=UTF-8''report.zip")
    assert response.header("cache-control").startswith("private, max-age=")
    assert response.header("accept-ranges") == "bytes"


@pytest.mark.parametrize("data, name, content_type", [
    (HTML, "page.html", "text/html"),
    (SVG, "drawing.svg", "image/svg+xml"),
    (HTML, "looks-safe.txt", "application/xhtml+xml"),
    (b"%PDF-1.4 /JavaScript", "manual.pdf", "application/pdf"),
])
@pytest_twisted.inlineCallbacks
def test_html_and_svg_with_script_are_sandboxed_attachments(uploads, blobs, data, name,
                                                            content_type):
    record = store(uploads, blobs, data, name, content_type)
    response = yield client(webSide(uploads, blobs)).get(link(record))
    assert response.code == 200
    assert response.header("content-type") == content_type
    assert response.header("content-disposition").startswith("attachment;")
    assert response.header("content-security-policy") == "sandbox"
    assert response.header("x-content-type-options") == "nosniff"
    assert response.body == data, "the same bytes, only never run"


@pytest.mark.parametrize("content_type", ["image/png", "image/webp", "text/plain"])
@pytest_twisted.inlineCallbacks
def test_safe_types_are_served_inline(uploads, blobs, content_type):
    record = store(uploads, blobs, b"\x89PNG....", "picture.png", content_type)
    response = yield client(webSide(uploads, blobs)).get(link(record))
    assert response.header("content-disposition") == (
        "inline; filename=\"picture.png\"; filename*=UTF-8''picture.png")
    assert response.header("content-security-policy") is None
    assert response.header("x-content-type-options") == "nosniff"


@pytest_twisted.inlineCallbacks
def test_a_non_ascii_name_has_an_ascii_fallback(uploads, blobs):
    name = 'Отчёт "за" май 100%.pdf'
    record = store(uploads, blobs, b"pdf", name, "application/octet-stream")
    response = yield client(webSide(uploads, blobs)).get(link(record))
    assert response.code == 200
    disposition = response.header("content-disposition")
    assert disposition == ("attachment; filename=\"_____ ____ ___ 100_.pdf\"; "
                           "filename*=UTF-8''" + quote(name, safe="!#$&+^`|"))
    disposition.encode("ascii")


def test_head_gives_the_headers_and_no_body(uploads, blobs):
    data = b"x" * 5000
    record = store(uploads, blobs, data, "a.bin", "application/octet-stream")
    answer = raw(webSide(uploads, blobs),
                 f"HEAD {link(record)[len('http://x'):]} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"HTTP/1.1 200 OK"
    assert b"Content-Length: 5000" in lines
    assert b"Content-Security-Policy: sandbox" in lines
    assert b"Content-Type: application/octet-stream" in lines
    assert body == b""


@pytest_twisted.inlineCallbacks
def test_range_requests(uploads, blobs):
    data = bytes(range(256)) * 40
    record = store(uploads, blobs, data, "a.bin", "application/octet-stream")
    stub = client(webSide(uploads, blobs))
    response = yield stub.get(link(record), headers={"range": "bytes=100-199"})
    assert response.code == 206
    assert response.header("content-range") == f"bytes 100-199/{len(data)}"
    assert response.length == 100
    assert response.body == data[100:200]
    response = yield stub.get(link(record), headers={"range": "bytes=-10"})
    assert response.code == 206
    assert response.body == data[-10:]
    response = yield stub.get(link(record), headers={"range": f"bytes={len(data) + 5}-"})
    assert response.code == 416
    assert response.header("content-range") == f"bytes */{len(data)}"


@pytest_twisted.inlineCallbacks
def test_a_zero_byte_file(uploads, blobs):
    record = store(uploads, blobs, b"", "empty.txt", "text/plain")
    response = yield client(webSide(uploads, blobs)).get(link(record))
    assert response.code == 200
    assert response.length == 0
    assert response.body == b""


@pytest_twisted.inlineCallbacks
def test_a_name_url_encoded_as_a_client_would(uploads, blobs):
    for name in ["my file (1).txt", "100%41.txt", "a+b&c=d#e?.txt", "日本語.txt"]:
        record = store(uploads, blobs, name.encode(), name, "text/plain")
        response = yield client(webSide(uploads, blobs)).get(link(record))
        assert response.code == 200, name
        assert response.body == name.encode()


@pytest.mark.parametrize("path", [
    "../report.zip", "%2e%2e%2freport.zip", "..%2Freport.zip", "%2e%2e/%2e%2e/etc/passwd",
    "/etc/passwd", "%2Fetc%2Fpasswd", "report.zip%00.png", "report.zip/..", "REPORT.ZIP",
    "report.zip%20", "", "x" * 1000,
])
@pytest_twisted.inlineCallbacks
def test_names_other_than_the_files_are_404(uploads, blobs, path):
    record = store(uploads, blobs, b"secret", "report.zip", "application/zip")
    response = yield client(webSide(uploads, blobs)).get(f"http://x/f/{record.token}/{path}")
    assert response.code == 404
    assert response.error()["code"] == "not_found"
    assert response.header("content-disposition") is None


@pytest_twisted.inlineCallbacks
def test_a_long_name_as_kept_is_served(uploads, blobs):
    name = "x" * 115 + ".txt"
    record = store(uploads, blobs, b"long", name, "text/plain")
    response = yield client(webSide(uploads, blobs)).get(link(record))
    assert response.code == 200


@pytest_twisted.inlineCallbacks
def test_an_unknown_token_is_404(uploads, blobs):
    store(uploads, blobs, b"secret", "report.zip", "application/zip")
    response = yield client(webSide(uploads, blobs)).get("http://x/f/nope/report.zip")
    assert response.code == 404
    assert response.error()["code"] == "not_found"


@pytest_twisted.inlineCallbacks
def test_missing_bytes_are_a_json_404_and_logged(uploads, blobs, caplog):
    from twisted.logger import globalLogPublisher
    seen = []
    globalLogPublisher.addObserver(seen.append)
    try:
        record = store(uploads, blobs, b"gone soon", "a.txt", "text/plain")
        (blobs.root / record.digest).unlink()
        response = yield client(webSide(uploads, blobs)).get(link(record))
    finally:
        globalLogPublisher.removeObserver(seen.append)
    assert response.code == 404
    assert response.header("content-type") == "application/json"
    assert response.header("content-disposition") is None
    assert response.error() == {"code": "not_found",
                             "message": "The file's contents are missing on the server."}
    assert any(e.get("digest") == hashlib.sha256(b"gone soon").hexdigest() for e in seen)


@pytest_twisted.inlineCallbacks
def test_no_upload_to_a_download_url(uploads, blobs):
    record = store(uploads, blobs, b"data", "a.txt", "text/plain")
    response = yield client(webSide(uploads, blobs)).put(link(record), data=b"other")
    assert response.code == 405
    assert open(blobs.path(record.digest), "rb").read() == b"data"
