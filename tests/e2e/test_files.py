"""
Files end to end (issue 9, SPEC 16): real Prosody, the real ``twistd -n
imsupport`` process, slixmpp clients with their XEP-0363 plugin, and plain
HTTP to the service's web side, as browsers and IM clients use it.
"""
from __future__ import annotations

import hashlib
import http.server
import os
import sqlite3
import threading
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.e2e.test_chat_path import COMPONENT, SALES, nodes_toml, operator_rows
from tests.e2e.test_chat_path import wait_operator_followed as followed
from tests.e2e.xmppclient import IqFailed

CHAT1 = f"sales+1@{COMPONENT}"
LIMIT = 3_000_000
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(1_500_000)  # large enough to stream in chunks
HOSTILE_HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def fetch(method, url, data=None, headers=None):
    """(status, headers, body) of one request; HTTP errors are answers too."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def multipart(name, content, content_type, field="file"):
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
            f"filename=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n").encode() \
        + content + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def file_events(service):
    with sqlite3.connect(Path(service.workdir) / "db.sqlite") as conn:
        return conn.execute("SELECT chat_id, author, text FROM events WHERE kind = 'file' "
                            "ORDER BY chat_id, seq").fetchall()


@pytest.fixture
def chat(start_imsupport, xmpp_client):
    """A service whose Ivan is in chat #1 with Alice: (service, ivan, alice)."""
    def make(web_toml=""):
        ivan = xmpp_client("ivan")
        service = start_imsupport(nodes_toml(ivan.bare), operators=operator_rows(ivan),
                                  web_toml=f"max_upload_bytes = {LIMIT}\n{web_toml}")
        followed(service, ivan)
        alice = xmpp_client("alice")
        alice.send_message(SALES, "Hello, I have a photo of the broken parcel")
        ivan.wait_message(CHAT1, contains="New chat #1")
        ivan.send_message(CHAT1, "Hi, please send it")
        alice.wait_message(SALES, contains="please send it")
        alice.clear()
        ivan.clear()
        return service, ivan, alice
    return make


def test_a_clients_upload_reaches_the_operator_with_the_same_bytes(chat):
    service, ivan, alice = chat()
    url = alice.upload("broken parcel.png", PNG, "image/png", COMPONENT)
    assert url.startswith(f"{service.base_url}/f/") and url.endswith("/broken%20parcel.png")
    alice.send_file_link(SALES, url)
    got = ivan.wait_message(CHAT1, contains="/f/")
    assert got.body == url and got.oob == url  # the service's own link, with OOB
    status, headers, body = fetch("GET", got.body)
    assert status == 200 and hashlib.sha256(body).digest() == hashlib.sha256(PNG).digest()
    assert headers["Content-Type"].startswith("image/png")
    assert headers["Content-Length"] == str(len(PNG))
    assert headers["X-Content-Type-Options"] == "nosniff"
    # a part of it, as players and download managers ask
    status, headers, body = fetch("GET", url, headers={"Range": "bytes=100-199"})
    assert status == 206 and body == PNG[100:200]
    assert file_events(service) == [(1, "client", "broken parcel.png")]
    # the slot was for one PUT only
    status, _, _ = fetch("PUT", url.replace("/f/", "/upload/"), data=PNG)
    assert status in (404, 410)

    ivan.send_message(CHAT1, "!sfile parcel")
    hits = ivan.wait_message(CHAT1, contains="broken parcel.png")
    assert "Files" in hits.body
    alice.expect_no_message(SALES, within=0.5)  # the search answers the operator only


def test_html_is_served_as_an_attachment_in_a_sandbox(chat):
    service, ivan, alice = chat()
    # found as IM clients find it: among the items of the client's own server
    own_server = alice.bare.split("@", 1)[1]
    url = alice.upload("invoice.html", HOSTILE_HTML, "text/html", own_server)
    alice.send_file_link(SALES, url)
    assert ivan.wait_message(CHAT1, contains="/f/").body == url
    status, headers, body = fetch("GET", url)
    assert status == 200 and body == HOSTILE_HTML
    assert headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_a_slot_over_the_limit_is_refused_with_the_limit(chat):
    service, ivan, alice = chat()
    info = alice.iq_get(COMPONENT, "disco_info")
    assert "urn:xmpp:http:upload:0" in str(info) and str(LIMIT) in str(info)
    with pytest.raises(IqFailed) as refused:
        alice.request_slot(COMPONENT, "film.mkv", LIMIT + 1, "video/x-matroska")
    assert refused.value.condition == "not-acceptable"
    assert f"<max-file-size>{LIMIT}</max-file-size>" in refused.value.xml
    # a PUT of another size than the slot's is refused, and nothing is linked
    put, get = alice.request_slot(COMPONENT, "note.txt", 10, "text/plain")
    status, _, _ = fetch("PUT", put, data=b"0123456789ABC", headers={"Content-Type": "text/plain"})
    assert status in (400, 413)
    assert fetch("GET", get)[0] == 404


def test_an_operators_page_upload_reaches_the_client_intact_and_works_once(chat):
    service, ivan, alice = chat()
    ivan.send_message(CHAT1, "!file")
    note = ivan.wait_message(CHAT1, contains="/u/")
    page = next(word for word in note.body.split() if "/u/" in word).rstrip(".")
    status, headers, body = fetch("GET", page)
    assert status == 200 and b"<form" in body and b'type="file"' in body
    manual = b"%PDF-1.4\n" + os.urandom(200_000)
    form, form_headers = multipart("manual.pdf", manual, "application/pdf")
    status, _, _ = fetch("POST", page, data=form, headers=form_headers)
    assert status == 200
    got = alice.wait_message(SALES, contains="/f/")
    assert got.oob == got.body and got.body.endswith("/manual.pdf")
    assert fetch("GET", got.body)[2] == manual
    # used once: the page is gone, whatever comes to it again
    assert fetch("POST", page, data=form, headers=form_headers)[0] == 410
    assert fetch("GET", page)[0] == 410
    alice.expect_no_message(SALES, within=0.5)

    # the client's own page (!upload) puts its file in the chat the same way
    alice.send_message(SALES, "!upload")
    offer = alice.wait_message(SALES, contains="/u/")
    client_page = next(w for w in offer.body.split() if "/u/" in w).rstrip(".")
    form, form_headers = multipart("receipt.jpg", b"\xff\xd8\xff" + os.urandom(5000),
                                   "image/jpeg")
    assert fetch("POST", client_page, data=form, headers=form_headers)[0] == 200
    assert ivan.wait_message(CHAT1, contains="/receipt.jpg").oob
    assert [(author, name) for _, author, name in file_events(service)] == \
        [(ivan.bare, "manual.pdf"), ("client", "receipt.jpg")]


class _Media(http.server.BaseHTTPRequestHandler):
    content = b"OggS" + os.urandom(30_000)

    def do_GET(self):  # noqa: N802 - the stdlib's name
        self.send_response(200)
        self.send_header("Content-Type", "audio/ogg")
        self.send_header("Content-Length", str(len(self.content)))
        self.end_headers()
        self.wfile.write(self.content)

    def log_message(self, *args):
        pass


@pytest.fixture
def media_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Media)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def test_a_link_from_another_server_is_fetched_only_where_allowed(chat, media_server):
    service, ivan, alice = chat(web_toml='fetch_allow = ["localhost"]')
    allowed = f"http://localhost:{media_server}/media/voice.ogg"
    alice.send_file_link(SALES, allowed)
    got = ivan.wait_message(CHAT1, contains="/f/")
    assert got.body.startswith(f"{service.base_url}/f/") and got.body.endswith("/voice.ogg")
    assert fetch("GET", got.body)[2] == _Media.content
    # loopback by its address is not listed: the link goes as it was, with a note
    private = f"http://127.0.0.1:{media_server}/media/other.ogg"
    alice.send_file_link(SALES, private)
    assert ivan.wait_message(CHAT1, contains="could not be kept")
    assert ivan.wait_message(CHAT1, contains=private).body == private
    assert [name for _, _, name in file_events(service)] == ["voice.ogg"]
