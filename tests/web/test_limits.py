"""Bodies over the limit are refused before they are read, at the Request
level: the service's Site over a StringTransport, no sockets."""
from __future__ import annotations

import json
from io import BytesIO

import pytest
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.web.resource import Resource

from imsupport.web.limits import BodyLimitedRequest, PathLimit, limitedSite

LIMIT = 1000


class Recorder(Resource):
    isLeaf = True

    def __init__(self):
        super().__init__()
        self.seen = []

    def render(self, request):
        self.seen.append((request.method, request.content.read(), dict(request.args)))
        return b"ok"


@pytest.fixture
def server():
    resource = Recorder()
    limit = [LIMIT]
    site = limitedSite(resource, lambda: limit[0], MemoryReactorClock())
    channel = site.buildProtocol(None)
    transport = StringTransport()
    channel.makeConnection(transport)
    return resource, channel, transport, limit


def head(method, length=None, extra=b""):
    lines = [f"{method} /upload/t HTTP/1.1".encode(), b"Host: x"]
    if length is not None:
        lines.append(b"Content-Length: %d" % length)
    return b"\r\n".join(lines) + b"\r\n" + extra + b"\r\n"


def refused(transport):
    status, _, rest = transport.value().partition(b"\r\n")
    assert status == b"HTTP/1.1 413 Request Entity Too Large"
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert b"Connection: close" in headers.split(b"\r\n")
    error = json.loads(body)["error"]
    assert error["code"] == "request_entity_too_large"
    assert str(LIMIT) in error["message"]
    assert transport.disconnecting
    return True


def test_a_declared_length_over_the_limit_is_refused_before_the_body(server):
    resource, channel, transport, _ = server
    channel.dataReceived(head("PUT", 2_000_000_000))
    assert refused(transport)
    request = channel._channel.requests[-1]
    assert isinstance(request, BodyLimitedRequest) and request.refused
    channel.dataReceived(b"x" * 50_000)  # what a client sends anyway is dropped
    assert request.content.getvalue() == b""
    assert resource.seen == []


def test_no_100_continue_for_a_refused_body(server):
    resource, channel, transport, _ = server
    channel.dataReceived(head("PUT", LIMIT + 1, b"Expect: 100-continue\r\n"))
    assert refused(transport)
    assert b"100 Continue" not in transport.value()


def test_a_chunked_body_is_refused_as_it_passes_the_limit(server):
    resource, channel, transport, _ = server
    channel.dataReceived(head("POST", None, b"Transfer-Encoding: chunked\r\n"))
    request = channel._channel.requests[-1]
    channel.dataReceived(b"%x\r\n%s\r\n" % (600, b"a" * 600))
    assert transport.value() == b"" and not request.refused
    channel.dataReceived(b"%x\r\n%s\r\n" % (600, b"b" * 600))
    assert refused(transport)
    assert request.content.getvalue() == b""
    channel.dataReceived(b"0\r\n\r\n")
    assert resource.seen == []


def test_a_body_at_the_limit_reaches_the_resource(server):
    resource, channel, transport, _ = server
    channel.dataReceived(head("PUT", LIMIT) + b"z" * LIMIT)
    assert transport.value().startswith(b"HTTP/1.1 200 OK")
    assert resource.seen == [(b"PUT", b"z" * LIMIT, {})]


def test_the_limit_is_asked_for_each_request(server):
    resource, channel, transport, limit = server
    limit[0] = 10
    channel.dataReceived(head("PUT", 11))
    assert transport.value().startswith(b"HTTP/1.1 413")


@pytest.mark.parametrize("chunked", [False, True])
def test_large_bodies_wait_in_a_temporary_file_not_in_memory(server, chunked):
    resource, channel, transport, limit = server
    limit[0] = 10_000_000
    size = 150_000
    if chunked:
        channel.dataReceived(head("PUT", None, b"Transfer-Encoding: chunked\r\n"))
        channel.dataReceived(b"%x\r\n%s\r\n" % (size, b"q" * size))
    else:
        channel.dataReceived(head("PUT", size))
        channel.dataReceived(b"q" * (size - 1))
    request = channel._channel.requests[-1]
    assert not isinstance(request.content, BytesIO)
    assert request.content.fileno() >= 0
    channel.dataReceived(b"0\r\n\r\n" if chunked else b"q")
    assert resource.seen[0][1] == b"q" * size


def test_a_multipart_form_is_not_parsed_into_args(server):
    resource, channel, transport, _ = server
    body = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
            b"Content-Type: text/plain\r\n\r\nhello\r\n--b--\r\n")
    channel.dataReceived(head("POST", len(body),
                              b"Content-Type: multipart/form-data; boundary=b\r\n") + body)
    assert transport.value().startswith(b"HTTP/1.1 200 OK")
    [(method, content, args)] = resource.seen
    assert args == {}, "twisted.web would read the whole form into memory for request.args"
    assert content == body


def test_a_path_may_have_a_limit_and_a_refusal_of_its_own():
    seen = []

    def own(path):
        seen.append(path)
        if path.startswith(b"/small"):
            return PathLimit(10, lambda: b'{"error": {"code": "x", "message": "only ten"}}')
        return None

    resource = Recorder()
    site = limitedSite(resource, lambda: LIMIT, MemoryReactorClock(), own)
    for path, size, status in [(b"/small?q=1", 11, b"413"), (b"/small", 10, b"200"),
                               (b"/other", 11, b"200"), (b"/other", LIMIT + 1, b"413")]:
        channel = site.buildProtocol(None)
        transport = StringTransport()
        channel.makeConnection(transport)
        channel.dataReceived(b"PUT %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                             % (path, size) + b"z" * size)
        assert transport.value().startswith(b"HTTP/1.1 " + status), (path, size)
        if path.startswith(b"/small") and status == b"413":
            assert transport.value().endswith(b'"only ten"}}')
    assert seen[0] == b"/small?q=1", "the path with its query, before the body"
