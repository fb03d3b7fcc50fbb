"""The one-time upload page /u/{token}: a plain form, in the owner's
language, escaped, used once; its body parsed streaming."""
from __future__ import annotations

import hashlib
import re

import pytest
import pytest_twisted

from tests.web.filefakes import MAX, PUBLIC, client, webSide

BOUNDARY = "----imsupport-test-boundary"


def form(*parts, boundary=BOUNDARY, close=True):
    """A multipart/form-data body of (name, filename or None, type, bytes)."""
    body = b""
    for name, filename, content_type, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if content_type:
            body += f"Content-Type: {content_type}\r\n".encode()
        body += b"\r\n" + data + b"\r\n"
    if close:
        body += f"--{boundary}--\r\n".encode()
    return body


def post(stub, page, body, content_type=f"multipart/form-data; boundary={BOUNDARY}"):
    return stub.post(f"http://x/u/{page.token}", data=body,
                     headers={"content-type": content_type})


def checkPage(response, status):
    """Every page: the status, HTML, the headers that keep it to itself."""
    assert response.code == status
    assert response.header("content-type") == "text/html; charset=utf-8"
    csp = response.header("content-security-policy")
    assert "default-src 'none'" in csp and "form-action 'self'" in csp
    assert response.header("x-frame-options") == "DENY"
    assert response.header("x-content-type-options") == "nosniff"
    assert response.header("cache-control") == "no-store"
    html = response.body.decode()
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"<(script|link|img|iframe|object)\b", html), "nothing loaded"
    assert not re.search(r"\b(src|href)=\"(https?:)?//", html.replace(PUBLIC, "")), html
    return html


@pytest_twisted.inlineCallbacks
def test_the_page_is_a_plain_form_in_the_owners_language(uploads, blobs):
    page = uploads.addPage()
    response = yield client(webSide(uploads, blobs)).get(f"http://x/u/{page.token}")
    html = checkPage(response, 200)
    assert re.search(r'<form [^>]*method="post"', html)
    assert 'enctype="multipart/form-data"' in html
    assert len(re.findall(r"<input ", html)) == 1
    assert re.search(r'<input [^>]*type="file"[^>]*name="file"|'
                     r'<input [^>]*name="file"[^>]*type="file"', html)
    assert re.search(r'<button [^>]*type="submit"', html)
    assert 'lang="upload_page_lang owner"' in html
    for key in ("upload_page_title owner", "upload_page_choose owner",
                "upload_page_send owner", "upload_page_intro owner max_mb=0.1"):
        assert key in html, key
    assert uploads.pages, "showing the page does not use it"


@pytest_twisted.inlineCallbacks
def test_a_file_sent_through_the_page_goes_to_the_core(uploads, blobs):
    page = uploads.addPage()
    uploads.max_upload_bytes = 1_000_000
    data = bytes(range(256)) * 600  # over twisted's in-memory body size
    stub = client(webSide(uploads, blobs))
    response = yield post(stub, page, form(("file", "photo.jpg", "image/jpeg", data)))
    html = checkPage(response, 200)
    assert "upload_page_sent owner name=photo.jpg" in html
    [(kind, token, name, content_type, blob)] = uploads.kept
    assert (kind, token, name, content_type) == ("page", page.token, "photo.jpg", "image/jpeg")
    assert blob.digest == hashlib.sha256(data).hexdigest() and blob.size == len(data)
    assert open(blobs.path(blob.digest), "rb").read() == data
    [record] = uploads.files.values()
    assert f'href="{PUBLIC}/f/{record.token}/photo.jpg"' in html


@pytest_twisted.inlineCallbacks
def test_the_page_works_once(uploads, blobs):
    page = uploads.addPage()
    stub = client(webSide(uploads, blobs))
    body = form(("file", "a.txt", "text/plain", b"first"))
    assert (yield post(stub, page, body)).code == 200
    again = yield post(stub, page, form(("file", "b.txt", "text/plain", b"second")))
    assert "upload_page_used owner" in checkPage(again, 410)
    shown = yield stub.get(f"http://x/u/{page.token}")
    assert "upload_page_used owner" in checkPage(shown, 410)
    assert len(uploads.kept) == 1
    assert blobs.stored() == [hashlib.sha256(b"first").hexdigest()]


@pytest_twisted.inlineCallbacks
def test_unknown_and_expired_pages_are_404(uploads, blobs):
    stub = client(webSide(uploads, blobs))
    response = yield stub.get("http://x/u/nope")
    assert "upload_page_unknown service" in checkPage(response, 404)
    expired = uploads.addPage(expires_at=uploads.now - 1)
    response = yield stub.get(f"http://x/u/{expired.token}")
    assert "upload_page_unknown service" in checkPage(response, 404)
    response = yield post(stub, expired, form(("file", "a.txt", "text/plain", b"late")))
    assert "upload_page_unknown service" in checkPage(response, 404)
    assert uploads.kept == [] and blobs.writes == 0


@pytest_twisted.inlineCallbacks
def test_every_text_is_escaped(uploads, blobs):
    page = uploads.addPage()
    plain = uploads.pageText
    uploads.pageText = lambda page, key, **fields: f"<script>{plain(page, key, **fields)}</script>"
    stub = client(webSide(uploads, blobs))
    for response in [(yield stub.get(f"http://x/u/{page.token}")),
                     (yield post(stub, page, form(("file", "a&b.html", "text/html",
                                                   b"<script>alert(2)</script>"))))]:
        html = checkPage(response, 200)
        assert "&lt;script&gt;upload_page_title owner&lt;/script&gt;" in html
        assert "<script>" not in html
    assert "name=a&amp;b.html" in html
    assert uploads.kept[0][2] == "a&b.html", "the name as sent: the core makes it safe"


@pytest_twisted.inlineCallbacks
def test_a_form_without_a_file_is_400(uploads, blobs):
    page = uploads.addPage()
    stub = client(webSide(uploads, blobs))
    response = yield post(stub, page, form(("file", "", "application/octet-stream", b"")))
    assert "upload_page_no_file owner" in checkPage(response, 400)
    response = yield post(stub, page, form(("note", None, None, b"hello")))
    assert "upload_page_no_file owner" in checkPage(response, 400)
    assert uploads.kept == [] and page.token in uploads.pages, "the page can still be used"


@pytest_twisted.inlineCallbacks
def test_a_zero_byte_file_is_a_file(uploads, blobs):
    page = uploads.addPage()
    response = yield post(client(webSide(uploads, blobs)), page,
                          form(("file", "empty.txt", "text/plain", b"")))
    checkPage(response, 200)
    assert uploads.kept[0][4].size == 0


@pytest_twisted.inlineCallbacks
def test_other_fields_are_skipped(uploads, blobs):
    page = uploads.addPage()
    body = form(("before", None, None, b"x" * 5000), ("file", "a.txt", "text/plain", b"data"),
                ("after", None, None, b"y"))
    response = yield post(client(webSide(uploads, blobs)), page, body)
    checkPage(response, 200)
    assert uploads.kept[0][4].size == 4


@pytest.mark.parametrize("body, content_type", [
    (form(("file", "a.txt", "text/plain", b"data"), close=False),
     f"multipart/form-data; boundary={BOUNDARY}"),
    (b"garbage without any boundary", f"multipart/form-data; boundary={BOUNDARY}"),
    (form(("file", "a.txt", "text/plain", b"data")), "multipart/form-data"),
    (form(("file", "a.txt", "text/plain", b"data")), "application/x-www-form-urlencoded"),
    (b"", f"multipart/form-data; boundary={BOUNDARY}"),
])
@pytest_twisted.inlineCallbacks
def test_a_broken_form_is_400_and_nothing_is_kept(uploads, blobs, body, content_type):
    page = uploads.addPage()
    response = yield post(client(webSide(uploads, blobs)), page, body, content_type)
    assert "upload_page_bad_form owner" in checkPage(response, 400)
    assert uploads.kept == [] and page.token in uploads.pages


@pytest_twisted.inlineCallbacks
def test_a_file_over_the_limit_is_413(uploads, blobs):
    page = uploads.addPage()
    response = yield post(client(webSide(uploads, blobs)), page,
                          form(("file", "big.bin", "application/octet-stream",
                                b"z" * (MAX + 1))))
    assert "upload_page_too_large owner max_mb=0.1" in checkPage(response, 413)
    assert uploads.kept == [] and blobs.stored() == []


@pytest_twisted.inlineCallbacks
def test_a_disk_full_write_is_507(uploads, blobs):
    page = uploads.addPage()
    blobs.full = True
    response = yield post(client(webSide(uploads, blobs)), page,
                          form(("file", "a.txt", "text/plain", b"data")))
    assert "upload_page_full owner" in checkPage(response, 507)
    assert uploads.kept == [] and blobs.stored() == [] and page.token in uploads.pages
    assert [f[:3] for f in uploads.failed] == [(page.owner, page.chat_id, "a.txt")]


@pytest_twisted.inlineCallbacks
def test_the_core_failing_to_keep_it_is_507(uploads, blobs):
    page = uploads.addPage()
    uploads.full = True
    response = yield post(client(webSide(uploads, blobs)), page,
                          form(("file", "a.txt", "text/plain", b"data")))
    assert "upload_page_full owner" in checkPage(response, 507)


@pytest_twisted.inlineCallbacks
def test_a_file_the_chat_refuses_is_409_with_the_reason(uploads, blobs):
    page = uploads.addPage()
    uploads.refusal = "This chat already holds 50 files."
    response = yield post(client(webSide(uploads, blobs)), page,
                          form(("file", "a.txt", "text/plain", b"data")))
    assert "upload_page_refused owner" in checkPage(response, 409)
    assert "50 files" in checkPage(response, 409)
    assert uploads.kept == []


@pytest_twisted.inlineCallbacks
def test_before_the_core_is_up_the_page_is_503(blobs):
    response = yield client(webSide(None, blobs)).get("http://x/u/t")
    assert response.code == 503
    assert response.error()["code"] == "service_unavailable"


def test_a_client_going_away_does_not_cancel_the_cores_keeping(uploads, blobs):
    from io import BytesIO

    from twisted.internet.defer import CancelledError, Deferred
    from twisted.web.test.requesthelper import DummyRequest

    page = uploads.addPage()
    cancelled = []
    keeping = Deferred(canceller=cancelled.append)
    uploads.pageUploaded = lambda *args: keeping
    side = webSide(uploads, blobs)
    request = DummyRequest([b"u", page.token.encode()])
    request.method = b"POST"
    request.content = BytesIO(form(("file", "a.txt", "text/plain", b"data")))
    request.requestHeaders.setRawHeaders(
        b"content-type", [f"multipart/form-data; boundary={BOUNDARY}".encode()])
    answer = side.pages.receive(request, page.token)
    answer.addErrback(lambda failure: failure.trap(CancelledError))
    answer.cancel()
    assert cancelled == []
    assert page.token not in side.pages.underway
    keeping.callback(None)
