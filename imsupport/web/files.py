"""
The HTTP side of files (SPEC 14, 16; R-SEC-4): the XEP-0363 PUT to
``/upload/{slot}`` and the downloads at ``/f/{token}/{name}``. An adapter:
the core's ``Uploads`` says which slots and files exist and keeps what
arrived; the ``Blobs`` store holds the bytes. Errors are werkzeug
HTTPExceptions, which WebSide answers in the project's JSON error shape.
"""
from __future__ import annotations

import unicodedata
from collections import OrderedDict
from typing import Any, Callable, Generator, Generic, TypeVar
from urllib.parse import quote

from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.iweb import IRequest
from twisted.web.static import File
from werkzeug.exceptions import (
    BadRequest,
    Conflict,
    Gone,
    LengthRequired,
    NotFound,
    RequestEntityTooLarge,
    ServiceUnavailable,
    UnsupportedMediaType,
)

from imsupport.core.files import Blob, Blobs, FilesFull, Uploads, safeType, servedInline
from imsupport.core.model import FileRecord
from imsupport.web.errors import InsufficientStorage

log = Logger()

CACHE_SECONDS = 24 * 3600  # a download may be kept by the browser (not by proxies) this long
REMEMBERED = 10_000  # used tokens remembered, to tell "used" (410) from "unknown" (404)
RFC5987_SAFE = "!#$&+^`|"  # attr-char besides letters, digits and -._~

T = TypeVar("T")


class RecentlyUsed(Generic[T]):
    """Tokens used through this process, newest last, at most ``size``. The
    core answers None for an unknown, expired or used slot or page alike;
    this memory lets a second use get 410 Gone instead of 404."""

    def __init__(self, size: int = REMEMBERED) -> None:
        self.size = size
        self._items: OrderedDict[str, T] = OrderedDict()

    def add(self, token: str, value: T) -> None:
        self._items[token] = value
        self._items.move_to_end(token)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def get(self, token: str) -> T | None:
        return self._items.get(token)

    def __contains__(self, token: object) -> bool:
        return token in self._items


class FileParts:
    """What the file routes and the upload pages are built around: the core's
    uploads (None until the core is up), the blob store, the public URL."""

    def __init__(self, uploads: Callable[[], Uploads | None], blobs: Blobs | None,
                 public_url: str) -> None:
        self._uploads = uploads
        self.blobs = blobs
        self.public_url = public_url.rstrip("/")

    def ready(self) -> tuple[Uploads, Blobs] | None:
        uploads = self._uploads()
        if uploads is None or self.blobs is None:
            return None
        return uploads, self.blobs

    def require(self) -> tuple[Uploads, Blobs]:
        parts = self.ready()
        if parts is None:
            raise ServiceUnavailable("The service is starting; try again in a moment.")
        return parts

    def fileUrl(self, token: str, name: str) -> str:
        return f"{self.public_url}/f/{quote(token, safe='')}/{quote(name, safe='')}"

    def maxBody(self) -> int:
        """The largest file the service takes now (0 before the core is up)."""
        parts = self.ready()
        return parts[0].max_upload_bytes if parts else 0


def allowOtherOrigins(request: IRequest) -> None:
    """CORS for slots and downloads, so IM clients running in a browser
    (Converse.js, Movim) can PUT and GET across origins. Any origin is
    fine: the secret is the token in the URL, and no cookie or credential
    is ever taken."""
    request.setHeader(b"access-control-allow-origin", b"*")
    request.setHeader(b"access-control-allow-methods", b"PUT, GET, HEAD, OPTIONS")
    request.setHeader(b"access-control-allow-headers", b"Content-Type")
    request.setHeader(b"access-control-expose-headers",
                      b"Content-Length, Content-Range, Content-Disposition, Location")
    request.setHeader(b"access-control-max-age", b"86400")


def preflight(request: IRequest) -> bytes:
    """A browser's CORS preflight (OPTIONS) of a slot or a download."""
    allowOtherOrigins(request)
    request.setResponseCode(204)
    return b""


class FileRoutes:
    def __init__(self, parts: FileParts) -> None:
        self.parts = parts
        self.used: RecentlyUsed[bool] = RecentlyUsed()
        self.underway: set[str] = set()

    @inlineCallbacks
    def put(self, request: IRequest, token: str) -> Generator[Deferred[Any], Any, bytes]:
        """XEP-0363 section 5: the body must be exactly what the slot declared."""
        allowOtherOrigins(request)
        uploads, blobs = self.parts.require()
        slot = uploads.slot(token)
        if slot is None:
            if token in self.used:
                raise Gone("This upload slot was already used; ask for a new one.")
            raise NotFound("There is no such upload slot, or it has expired; ask for a new one.")
        if token in self.underway:
            raise Conflict("An upload to this slot is already under way.")
        length = declaredLength(request)
        if length is None:
            raise LengthRequired("The PUT must carry a Content-Length.")
        if length > slot.size:
            raise RequestEntityTooLarge(
                f"The slot is for {slot.size} bytes; this body has {length}.")
        if length != slot.size:
            raise BadRequest(f"The slot is for {slot.size} bytes; this body has {length}.")
        sent_type = safeType(header(request, b"content-type"))
        if sent_type != safeType(slot.content_type):
            raise UnsupportedMediaType(
                f"The slot is for {slot.content_type}; this body is {sent_type}.")
        self.underway.add(token)
        try:
            blob = yield storeBody(blobs, request, slot.size)
            if blob.size != slot.size:
                raise BadRequest(f"The slot is for {slot.size} bytes; {blob.size} arrived.")
            yield uploaded(uploads.uploaded(slot, blob))
        except InsufficientStorage as e:
            uploads.notStored(slot.owner, None, slot.name, str(e.__cause__ or e.description))
            raise
        finally:
            self.underway.discard(token)
        self.used.add(token, True)
        request.setResponseCode(201)
        request.setHeader(b"location", self.parts.fileUrl(slot.get_token, slot.name).encode())
        request.setHeader(b"content-type", b"application/json")
        return b"{}"

    @inlineCallbacks
    def download(self, request: IRequest, token: str,
                 name: str) -> Generator[Deferred[Any], Any, File]:
        """The file's bytes, under headers that keep a browser from running
        them (R-SEC-4); twisted's static.File does HEAD, Range and
        Content-Length."""
        allowOtherOrigins(request)
        uploads, blobs = self.parts.require()
        record: FileRecord | None = yield shielded(uploads.fileByToken(token))
        if record is None or record.name != name:
            raise NotFound("There is no such file.")
        if not blobs.exists(record.digest):
            log.error("The bytes of file {id} ({digest}) are missing from the file store",
                      id=record.id, digest=record.digest)
            raise NotFound("The file's contents are missing on the server.")
        request.setHeader(b"x-content-type-options", b"nosniff")
        request.setHeader(b"cache-control", b"private, max-age=%d" % CACHE_SECONDS)
        request.setHeader(b"referrer-policy", b"no-referrer")
        inline = servedInline(record.content_type)
        request.setHeader(b"content-disposition",
                          contentDisposition("inline" if inline else "attachment", record.name))
        if not inline:
            request.setHeader(b"content-security-policy", b"sandbox")
        resource = File(blobs.path(record.digest))
        resource.type = record.content_type
        resource.encoding = None
        request.postpath = []  # nothing below the file: static.File is served as is
        return resource


def header(request: IRequest, name: bytes) -> str | None:
    value = request.getHeader(name)
    return None if value is None else value.decode("latin-1")


def declaredLength(request: IRequest) -> int | None:
    value = header(request, b"content-length")
    if value is None or not value.strip().isdigit():
        return None
    return int(value)


@inlineCallbacks
def storeBody(blobs: Blobs, request: IRequest,
              limit: int) -> Generator[Deferred[Any], Any, Blob]:
    """The request's body (its temporary file) into the blob store."""
    request.content.seek(0)
    try:
        blob: Blob = yield blobs.write(request.content, limit)
    except FilesFull as e:
        log.error("Could not store an upload: {error}", error=e)
        raise InsufficientStorage() from e
    except ValueError as e:
        raise RequestEntityTooLarge(f"The body is larger than {limit} bytes.") from e
    return blob


@inlineCallbacks
def uploaded(kept: Deferred[T]) -> Generator[Deferred[Any], Any, T]:
    """The core keeping an upload; FilesFull is the 507 too."""
    try:
        result: T = yield shielded(kept)
    except FilesFull as e:
        log.error("Could not keep an upload: {error}", error=e)
        raise InsufficientStorage() from e
    return result


def shielded(work: Deferred[T]) -> Deferred[T]:
    """``work``'s result, in a Deferred whose cancellation leaves ``work``
    alone. Klein cancels a route's Deferred when its client goes away; the
    core's keeping of a file must still end as it would have (stored and
    linked, or not at all), not half-way."""
    result: Deferred[T] = Deferred()

    def settle(outcome: Any) -> None:
        if not result.called:
            if isinstance(outcome, Failure):
                result.errback(outcome)
            else:
                result.callback(outcome)
        elif isinstance(outcome, Failure):
            log.failure("Keeping a file failed after its request had gone", outcome)

    work.addBoth(settle)
    return result


def contentDisposition(kind: str, name: str) -> bytes:
    """RFC 6266 with the RFC 5987 UTF-8 name, and an ASCII fallback for
    clients that know only ``filename``."""
    encoded = quote(name, safe=RFC5987_SAFE)
    return f"{kind}; filename=\"{asciiName(name)}\"; filename*=UTF-8''{encoded}".encode("ascii")


def asciiName(name: str) -> str:
    """The name in printable ASCII: accents dropped, other characters, quotes,
    backslashes and percent signs (which some browsers decode) as ``_``."""
    text = "".join(
        c if " " <= c <= "~" and c not in '"\\%' else "_"
        for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return text.strip() or "file"
