"""
A web chat visitor's files (R-CLI-1, SPEC 16): ``POST /chat/{node}/files
?token=...&name=...`` with the file as the raw body under its own
Content-Type. The site refuses a body over ``max_upload_bytes`` as soon as
its headers announce it, or as soon as a chunked one grows past it, with
the limit in the visitor's language (``bodyLimit``); what arrives goes from
the request's temporary file into the blob store, and the core keeps it as
a ``file`` event of the visitor's chat, as an XEP-0363 upload would be.
"""
from __future__ import annotations

from typing import Any, Generator
from urllib.parse import parse_qs

from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.web.iweb import IRequest

from imsupport.core.files import Blob, Blobs, FileRefused, FilesFull, safeType
from imsupport.core.journal import Refused
from imsupport.core.model import FileRecord
from imsupport.web.chat.visit import ChatError, Visit, Visits, jsonLimit, query
from imsupport.web.errors import errorBody
from imsupport.web.files import declaredLength, header, shielded
from imsupport.web.limits import PathLimit

TOO_LARGE = "request_entity_too_large"


def megabytes(limit: int) -> str:
    return f"{limit / 1_000_000:.3g}"


class ChatUploads:
    def __init__(self, visits: Visits, blobs: Blobs | None) -> None:
        self.visits = visits
        self.blobs = blobs

    def bodyLimit(self, path: bytes) -> PathLimit | None:
        """Uploads take at most ``max_upload_bytes``, the JSON routes about
        a message's worth; either refused in the visitor's language."""
        target, _, raw = path.partition(b"?")
        parts = target.split(b"/")
        core = self.visits.core()
        if len(parts) < 3 or parts[1] != b"chat" or core is None:
            return None
        node = parts[2].decode("latin-1")
        args = parse_qs(raw.decode("latin-1"))

        def languages() -> tuple[str, ...]:
            token, lang = args.get("token", [None])[0], args.get("lang", [None])[0]
            return self.visits.languagesOf(node, token, lang)

        if len(parts) == 4 and parts[3] == b"files":
            limit = core.files.max_upload_bytes
            return PathLimit(limit, lambda: errorBody(TOO_LARGE, self.visits.text(
                languages(), "upload_page_too_large", max_mb=megabytes(limit))))
        most = jsonLimit(core)
        return PathLimit(most, lambda: errorBody(TOO_LARGE, self.visits.text(
            languages(), "webchat_body_too_large", limit=most)))

    @inlineCallbacks
    def receive(self, request: IRequest,
                visit: Visit) -> Generator[Deferred[Any], Any, FileRecord]:
        core, client, chat = visit.core, visit.client, visit.chat
        assert client is not None
        if self.blobs is None:
            raise self.visits.fail(visit, 503, "service_unavailable", "webchat_starting")
        if chat is None:
            raise self.visits.fail(visit, 409, "no_chat", "file_needs_chat")
        limit = core.files.max_upload_bytes
        tooLarge = self.visits.fail(visit, 413, TOO_LARGE, "upload_page_too_large",
                                    max_mb=megabytes(limit))
        declared = declaredLength(request)
        if declared is not None and declared > limit:
            raise tooLarge
        name = query(request, "name") or "file"
        full = self.visits.fail(visit, 507, "insufficient_storage", "upload_page_full")
        request.content.seek(0)
        try:
            blob: Blob = yield self.blobs.write(request.content, limit)
        except FilesFull as e:
            core.files.notStored(client, chat.id, name, str(e))
            raise full from e
        except ValueError as e:
            raise tooLarge from e
        if blob.size == 0:
            raise self.visits.fail(visit, 400, "bad_request", "file_empty")
        try:
            kept: FileRecord | Refused = yield shielded(core.clientUploaded(
                visit.node.name, client, name, safeType(header(request, b"content-type")),
                blob))
        except FileRefused as e:  # a quota, or the chat closed meanwhile
            raise ChatError(409, "refused", str(e)) from e
        except FilesFull as e:
            raise full from e
        if isinstance(kept, Refused):
            raise ChatError(503, "not_stored", kept.text)
        return kept
