"""The access log leaves out the secrets in addresses (web/accesslog.py)."""
from __future__ import annotations

import pytest
from twisted.internet.address import IPv4Address
from twisted.web.test.requesthelper import DummyRequest

from imsupport.web.accesslog import accessLogFormatter, redactedUri


@pytest.mark.parametrize(("uri", "logged"), [
    (b"/chat/sales/events?token=anna.k3j2.SIG&last=12:3",
     b"/chat/sales/events?token=-&last=12:3"),
    (b"/chat/sales/files?name=a.png&token=SECRET", b"/chat/sales/files?name=a.png&token=-"),
    (b"/f/SECRETTOKEN/photo.png", b"/f/-/photo.png"),
    (b"/u/SECRETTOKEN", b"/u/-"),
    (b"/upload/SLOTTOKEN", b"/upload/-"),
    (b"/t/12/1800000000/SIGNATURE", b"/t/12/1800000000/-"),
    (b"/api/v1/chats?q=token", b"/api/v1/chats?q=token"),
    (b"/admin/chats?mytoken=x", b"/admin/chats?mytoken=x"),
])
def test_secrets_in_addresses_are_not_logged(uri: bytes, logged: bytes) -> None:
    assert redactedUri(uri) == logged


def test_the_log_line_keeps_the_rest() -> None:
    request = DummyRequest([b""])
    request.uri = b"/chat/sales/events?token=SECRET"
    request.method = b"GET"
    request.clientproto = b"HTTP/1.1"
    request.code = 200
    request.sentLength = 10
    request.client = IPv4Address("TCP", "127.0.0.1", 5000)
    line = accessLogFormatter("[02/Dec/2026:18:00:00 +0000]", request)
    assert "SECRET" not in line
    assert '"GET /chat/sales/events?token=- HTTP/1.1" 200 10' in line
    assert line.startswith('"127.0.0.1"')
