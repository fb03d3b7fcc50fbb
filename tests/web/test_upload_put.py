"""PUT /upload/{slot} (XEP-0363 section 5) through StubTreq: no sockets."""
from __future__ import annotations

import hashlib

import pytest
import pytest_twisted
from twisted.internet.defer import CancelledError

from imsupport.web.app import WebSide
from tests.web.filefakes import MAX, PUBLIC, client, webSide


def url(token):
    return f"http://x/upload/{token}"


def error(response, status, code):
    assert response.code == status
    body = response.error()
    assert body["code"] == code, body
    return body["message"]


@pytest_twisted.inlineCallbacks
def test_put_keeps_the_bytes_and_hands_them_to_the_core(uploads, blobs):
    data = b"hello, operator\n"
    slot = uploads.addSlot(len(data), "text/plain; charset=utf-8", "notes.txt")
    response = yield client(webSide(uploads, blobs)).put(
        url(slot.token), data=data, headers={"content-type": "text/plain; charset=utf-8"})
    assert response.code == 201
    assert response.headers.getRawHeaders("location") == [
        f"{PUBLIC}/f/{slot.get_token}/notes.txt"]
    digest = hashlib.sha256(data).hexdigest()
    assert uploads.kept == [("slot", slot.token, (blob := uploads.kept[0][2]))]
    assert (blob.digest, blob.size) == (digest, len(data))
    assert blobs.stored() == [digest]
    assert open(blobs.path(digest), "rb").read() == data


@pytest_twisted.inlineCallbacks
def test_a_zero_byte_file(uploads, blobs):
    slot = uploads.addSlot(0, "application/octet-stream", "empty")
    response = yield client(webSide(uploads, blobs)).put(url(slot.token), data=b"")
    assert response.code == 201
    assert uploads.kept[0][2].size == 0


@pytest_twisted.inlineCallbacks
def test_unknown_and_expired_slots_are_404(uploads, blobs):
    stub = client(webSide(uploads, blobs))
    message = error((yield stub.put(url("nope"), data=b"x")), 404, "not_found")
    assert "expired" in message
    slot = uploads.addSlot(1, expires_at=uploads.now - 1)
    error((yield stub.put(url(slot.token), data=b"x",
                                headers={"content-type": "text/plain"})), 404, "not_found")
    assert uploads.kept == [] and blobs.writes == 0


@pytest_twisted.inlineCallbacks
def test_a_used_slot_is_410_and_keeps_the_first_file(uploads, blobs):
    slot = uploads.addSlot(3)
    stub = client(webSide(uploads, blobs))
    headers = {"content-type": "text/plain"}
    assert (yield stub.put(url(slot.token), data=b"one", headers=headers)).code == 201
    message = error((yield stub.put(url(slot.token), data=b"two", headers=headers)),
                          410, "gone")
    assert "already used" in message
    assert len(uploads.kept) == 1
    assert blobs.stored() == [hashlib.sha256(b"one").hexdigest()]


@pytest_twisted.inlineCallbacks
def test_a_body_larger_than_the_slot_is_413(uploads, blobs):
    slot = uploads.addSlot(3)
    response = yield client(webSide(uploads, blobs)).put(
        url(slot.token), data=b"four", headers={"content-type": "text/plain"})
    error(response, 413, "request_entity_too_large")
    assert uploads.kept == [] and blobs.writes == 0
    assert uploads.slot(slot.token) == slot, "the slot can still be used"


@pytest_twisted.inlineCallbacks
def test_a_body_smaller_than_the_slot_is_400(uploads, blobs):
    slot = uploads.addSlot(5)
    response = yield client(webSide(uploads, blobs)).put(
        url(slot.token), data=b"four", headers={"content-type": "text/plain"})
    message = error(response, 400, "bad_request")
    assert "5 bytes" in message and "4" in message
    assert uploads.kept == [] and blobs.writes == 0


@pytest_twisted.inlineCallbacks
def test_another_content_type_is_415(uploads, blobs):
    slot = uploads.addSlot(4, "image/png", "a.png")
    stub = client(webSide(uploads, blobs))
    for sent in ("text/html", "image/svg+xml", None):
        headers = {"content-type": sent} if sent else {}
        response = yield stub.put(url(slot.token), data=b"\x89PNG", headers=headers)
        message = error(response, 415, "unsupported_media_type")
        assert "image/png" in message
    # parameters and case do not count
    response = yield stub.put(url(slot.token), data=b"\x89PNG",
                              headers={"content-type": "Image/PNG; q=1"})
    assert response.code == 201


@pytest_twisted.inlineCallbacks
def test_a_disk_full_write_is_507_and_nothing_is_linked(uploads, blobs):
    slot = uploads.addSlot(3)
    blobs.full = True
    response = yield client(webSide(uploads, blobs)).put(
        url(slot.token), data=b"abc", headers={"content-type": "text/plain"})
    message = error(response, 507, "insufficient_storage")
    assert "nothing was kept" in message
    assert uploads.kept == [] and blobs.stored() == []
    assert uploads.slot(slot.token) == slot
    # the chat is told: the core hears whose upload failed, and why
    [(owner, chat_id, name, reason)] = uploads.failed
    assert (owner, chat_id, name) == (slot.owner, None, slot.name)
    assert "No space left" in reason


@pytest_twisted.inlineCallbacks
def test_the_core_failing_to_keep_it_is_507(uploads, blobs):
    slot = uploads.addSlot(3)
    uploads.full = True
    response = yield client(webSide(uploads, blobs)).put(
        url(slot.token), data=b"abc", headers={"content-type": "text/plain"})
    error(response, 507, "insufficient_storage")
    assert uploads.kept == []


@pytest_twisted.inlineCallbacks
def test_a_chunked_put_without_length_is_411(uploads, blobs):
    slot = uploads.addSlot(3)
    side = webSide(uploads, blobs)
    from twisted.web.test.requesthelper import DummyRequest
    request = DummyRequest([b"upload", slot.token.encode()])
    request.method = b"PUT"
    request.requestHeaders.setRawHeaders(b"content-type", [b"text/plain"])
    with pytest.raises(Exception) as raised:
        yield side.files.put(request, slot.token)
    assert raised.value.code == 411
    assert uploads.kept == []


@pytest_twisted.inlineCallbacks
def test_before_the_core_is_up_uploads_are_503(blobs):
    response = yield client(webSide(None, blobs)).put(url("t"), data=b"x")
    error(response, 503, "service_unavailable")


@pytest_twisted.inlineCallbacks
def test_other_methods_on_a_slot_are_405(uploads, blobs):
    slot = uploads.addSlot(3)
    response = yield client(webSide(uploads, blobs)).post(url(slot.token), data=b"abc")
    error(response, 405, "method_not_allowed")


def test_the_site_limit_follows_the_core(uploads, blobs):
    from twisted.internet.testing import MemoryReactorClock

    from imsupport.web.limits import FORM_OVERHEAD
    core = [None]
    side = WebSide(lambda: None, lambda: True, lambda: True, uploads=lambda: core[0],
                   blobs=blobs, public_url=PUBLIC)
    limit = side.site(MemoryReactorClock()).requestFactory.limit
    assert limit() == FORM_OVERHEAD, "before the core is up, no file is taken"
    core[0] = uploads
    assert limit() == MAX + FORM_OVERHEAD


def test_a_client_going_away_does_not_cancel_the_cores_keeping(uploads, blobs):
    """Klein cancels a route's Deferred when the connection is lost; the
    core's Deferred must run to its end (stored and linked, or not)."""
    from io import BytesIO

    from twisted.internet.defer import Deferred
    from twisted.web.test.requesthelper import DummyRequest

    slot = uploads.addSlot(3)
    cancelled = []
    keeping = Deferred(canceller=cancelled.append)
    uploads.uploaded = lambda slot, blob: keeping
    side = webSide(uploads, blobs)
    request = DummyRequest([b"upload", slot.token.encode()])
    request.method = b"PUT"
    request.content = BytesIO(b"abc")
    request.requestHeaders.setRawHeaders(b"content-type", [b"text/plain"])
    request.requestHeaders.setRawHeaders(b"content-length", [b"3"])
    answer = side.files.put(request, slot.token)
    answer.addErrback(lambda failure: failure.trap(CancelledError))
    answer.cancel()
    assert cancelled == []
    keeping.callback("kept")  # and nothing is left unhandled
    assert slot.token not in side.files.underway


@pytest_twisted.inlineCallbacks
def test_browser_clients_may_put_and_get_across_origins(uploads, blobs):
    data = b"from a web client"
    slot = uploads.addSlot(len(data))
    web = client(webSide(uploads, blobs))
    preflight = yield web.request("OPTIONS", url(slot.token),
                                  headers={"origin": "https://chat.example.org",
                                           "access-control-request-method": "PUT"})
    assert preflight.code == 204
    assert preflight.header("access-control-allow-origin") == "*"
    assert "PUT" in preflight.header("access-control-allow-methods")
    assert preflight.header("access-control-allow-headers") == "Content-Type"
    assert slot.token in uploads.slots  # a preflight uses nothing up
    response = yield web.put(url(slot.token), data=data,
                             headers={"content-type": "text/plain",
                                      "origin": "https://chat.example.org"})
    assert response.code == 201 and response.header("access-control-allow-origin") == "*"
    [record] = uploads.files.values()
    download = yield web.get(f"http://x/f/{record.token}/{record.name}")
    assert download.body == data and download.header("access-control-allow-origin") == "*"
    refused = yield web.put(url("nosuchslot" * 3), data=data)
    assert refused.code == 404 and refused.header("access-control-allow-origin") == "*"
