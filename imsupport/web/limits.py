"""
Request bodies over the limit are refused before they are read (SPEC 16).

twisted.web reads a request's whole body into ``request.content`` (memory
below 100 kB, a temporary file above) before any resource sees it, so a
2 GB PUT would be written to /tmp before a route could refuse it. The
site's requests answer 413 and close the connection as soon as the headers
announce a body over the limit, or as soon as a body without a declared
length (chunked) grows past it; nothing of such a body is kept.

Some paths have a limit of their own (``PathLimit``: the web chat's uploads
take exactly ``max_upload_bytes``, its JSON routes far less), refused with
their own message (the visitor's language): the request's path is known
once its headers are in, before its body.

They also leave multipart bodies unparsed: twisted.web would otherwise read
a whole POSTed form into memory to fill ``request.args``; the upload page
parses its form streaming (web/formdata.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from typing import Any, Callable

from twisted.logger import Logger
from twisted.web.iweb import INonQueuedRequestFactory
from twisted.web.server import Request, Site
from zope.interface import implementer

from imsupport.web.accesslog import accessLogFormatter
from imsupport.web.errors import errorBody

log = Logger()

# What a multipart form adds around its file (boundaries, part headers, other
# fields): the site takes bodies up to max_upload_bytes plus this.
FORM_OVERHEAD = 64 * 1024


@dataclass(frozen=True)
class PathLimit:
    """A path's own body limit, and the JSON error body that refuses more."""

    limit: int
    refusal: Callable[[], bytes]


PathLimits = Callable[[bytes], "PathLimit | None"]  # the raw path (with its query) -> limit


class BodyLimitedRequest(Request):
    """A request whose body may not pass ``limit()`` bytes, or its path's
    own limit when ``paths`` gives one."""

    def __init__(self, channel: Any, limit: Callable[[], int],
                 paths: PathLimits | None = None) -> None:
        super().__init__(channel, parsePOSTFormSubmission=False)
        self._limit = limit
        self._paths = paths
        self._own: PathLimit | None = None
        self._most = 0
        self._received = 0
        self.refused = False

    def gotLength(self, length: int | None) -> None:
        # the request line is parsed by now; this request has no path of its own yet
        path = getattr(self.channel, "_path", b"") if self._paths is not None else b""
        self._own = self._paths(path) if self._paths is not None else None
        self._most = self._own.limit if self._own is not None else self._limit()
        if length is not None and length > self._most:
            self._refuse(length)
            return
        super().gotLength(length)

    def handleContentChunk(self, data: bytes) -> None:
        if self.refused:
            return
        self._received += len(data)
        if self._received > self._most:
            self._refuse(None)
            return
        super().handleContentChunk(data)

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:
        if not self.refused:
            super().requestReceived(command, path, version)

    def _refuse(self, length: int | None) -> None:
        """Answer 413 at once, on the raw connection (the request has no
        method or path yet), and close it: the rest of the body is never
        read, and what came of it is dropped."""
        self.refused = True
        if self.content is not None:
            self.content.close()
        self.content = BytesIO()
        # twisted.web would answer "100 Continue" after gotLength returns.
        self.requestHeaders.removeHeader(b"expect")
        log.info("Refused a request body from {peer} ({size}): the limit is {limit} bytes",
                 size="chunked, past the limit" if length is None else f"{length} bytes",
                 peer=getattr(self.client, "host", "?"), limit=self._most)
        body = self._own.refusal() if self._own is not None else errorBody(
            "request_entity_too_large",
            f"The request body is larger than the limit of {self._most} bytes.")
        channel = self.channel
        transport = channel.transport
        if transport is None:
            return
        transport.write(
            b"HTTP/1.1 413 Request Entity Too Large\r\n"
            b"Content-Type: application/json\r\n"
            b"Content-Length: %d\r\n"
            b"Connection: close\r\n\r\n" % len(body) + body)
        channel.loseConnection()


@implementer(INonQueuedRequestFactory)
class BodyLimit:
    """The site's request factory: every request's body is limited to
    ``limit()`` bytes, asked when its headers have arrived (so a limit that
    is known only once the service is up applies from then on)."""

    def __init__(self, limit: Callable[[], int], paths: PathLimits | None = None) -> None:
        self.limit = limit
        self.paths = paths

    def __call__(self, channel: Any) -> BodyLimitedRequest:
        return BodyLimitedRequest(channel, self.limit, self.paths)


def limitedSite(resource: Any, limit: Callable[[], int], reactor: Any,
                paths: PathLimits | None = None) -> Site:
    site = Site(resource, requestFactory=BodyLimit(limit, paths), reactor=reactor,
                logFormatter=accessLogFormatter)
    site.displayTracebacks = False
    return site
