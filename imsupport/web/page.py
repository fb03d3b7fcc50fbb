"""
The one-time upload page ``/u/{token}`` (SPEC 16) for clients that cannot
upload themselves: a plain HTML form that works without JavaScript, in the
language of the one who asked for it, whose file goes into that chat. The
form's body is parsed streaming (web/formdata.py) into the blob store; the
core keeps the file and sends it into the chat (``Uploads.pageUploaded``).

Every text comes from ``Uploads.pageText`` and is escaped by
twisted.web.template; the page loads nothing from anywhere (its CSP).
"""
from __future__ import annotations

from typing import Any, Generator

from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.logger import Logger
from twisted.web.iweb import IRequest
from twisted.web.template import Tag, flattenString, tags

from imsupport.core.files import Blobs, FileRefused, FilesFull, UploadPage, Uploads, safeType
from imsupport.core.model import FileRecord
from imsupport.web.files import FileParts, RecentlyUsed, header, shielded
from imsupport.web.formdata import FilePart, formBoundary

log = Logger()

PAGE_CSP = (b"default-src 'none'; form-action 'self'; style-src 'unsafe-inline'; "
            b"base-uri 'none'; frame-ancestors 'none'")
STYLE = ("body{font-family:sans-serif;max-width:36em;margin:2em auto;padding:0 1em;"
         "line-height:1.5;color:#222;background:#fff}"
         "button{font-size:1em;padding:.4em 1.2em;margin-top:.6em}"
         "input{font-size:1em;margin-top:.4em;display:block}")
FIELD = "file"  # the form's file input

# What a form's arrival comes to: status, text key and fields, the file kept.
Outcome = tuple[int, str, dict[str, Any], "FileRecord | None"]


class UploadPages:
    def __init__(self, parts: FileParts) -> None:
        self.parts = parts
        self.used: RecentlyUsed[UploadPage] = RecentlyUsed()
        self.underway: set[str] = set()

    def show(self, request: IRequest, token: str) -> Deferred[bytes]:
        uploads, _ = self.parts.require()
        page = uploads.page(token)
        if page is None or token in self.underway:
            return self._missing(request, uploads, token, page)
        form = tags.form(method="post", enctype="multipart/form-data",
                         **{"accept-charset": "utf-8"})(
            tags.label(text(uploads, page, "upload_page_choose"),
                       tags.input(type="file", name=FIELD, required="required")),
            tags.button(text(uploads, page, "upload_page_send"), type="submit"))
        intro = text(uploads, page, "upload_page_intro", max_mb=maxMegabytes(uploads))
        return render(request, 200, uploads, page, [tags.p(intro), form])

    def receive(self, request: IRequest, token: str) -> Deferred[bytes]:
        uploads, blobs = self.parts.require()
        page = uploads.page(token)
        if page is None or token in self.underway:
            return self._missing(request, uploads, token, page)
        self.underway.add(token)
        owner: UploadPage = page

        def done(outcome: Outcome) -> Deferred[bytes]:
            self.underway.discard(token)
            code, key, fields, record = outcome
            body = [tags.p(text(uploads, owner, key, **fields))]
            if record is not None:
                self.used.add(token, owner)
                link = tags.a(href=self.parts.fileUrl(record.token, record.name))(record.name)
                body.append(tags.p(link))
            return render(request, code, uploads, owner, body)

        def failed(failure: Any) -> Any:
            self.underway.discard(token)
            return failure

        return self._keep(request, uploads, blobs, owner).addCallbacks(done, failed)

    @inlineCallbacks
    def _keep(self, request: IRequest, uploads: Uploads, blobs: Blobs,
              page: UploadPage) -> Generator[Deferred[Any], Any, Outcome]:
        """The form's file into the blob store, then to the core: what to
        answer (status, text key, its fields, the record kept)."""
        boundary = formBoundary(header(request, b"content-type"))
        if boundary is None:
            return 400, "upload_page_bad_form", {}, None
        request.content.seek(0)
        reader = FilePart(request.content, boundary, FIELD)
        try:
            blob = yield blobs.write(reader.stream(), uploads.max_upload_bytes)
        except (FilesFull, ValueError) as e:
            return refusal(uploads, page, reader, e)
        if reader.error is not None or not reader.complete:
            return 400, "upload_page_bad_form", {}, None
        if not reader.filename:
            return 400, "upload_page_no_file", {}, None
        try:
            record: FileRecord = yield shielded(uploads.pageUploaded(
                page, reader.filename, safeType(reader.content_type), blob))
        except FilesFull as e:
            return refusal(uploads, page, reader, e)
        except FileRefused as e:  # the chat's quota: the reason is in the owner's language
            return 409, "upload_page_refused", {"reason": str(e)}, None
        return 200, "upload_page_sent", {"name": record.name}, record

    def _missing(self, request: IRequest, uploads: Uploads, token: str,
                 page: UploadPage | None) -> Deferred[bytes]:
        """410 for a page used here (or being used now), in its owner's
        language; 404 for anything else (the core cannot tell unknown from
        expired), in the service's."""
        page = self.used.get(token) or page
        if page is not None or token in self.underway:
            return message(request, 410, uploads, page, "upload_page_used")
        return message(request, 404, uploads, None, "upload_page_unknown")


def refusal(uploads: Uploads, page: UploadPage, reader: FilePart, error: Exception) -> Outcome:
    if reader.error is not None:
        return 400, "upload_page_bad_form", {}, None
    if isinstance(error, FilesFull):
        log.error("Could not store a file from the upload page of chat {chat}: {error}",
                  chat=page.chat_id, error=error)
        uploads.notStored(page.owner, page.chat_id, reader.filename or "", str(error))
        return 507, "upload_page_full", {}, None
    return 413, "upload_page_too_large", {"max_mb": maxMegabytes(uploads)}, None


def maxMegabytes(uploads: Uploads) -> str:
    return f"{uploads.max_upload_bytes / 1_000_000:.3g}"


def text(uploads: Uploads, page: UploadPage | None, key: str, **fields: Any) -> str:
    return uploads.pageText(page, key, **fields)


def message(request: IRequest, code: int, uploads: Uploads, page: UploadPage | None,
            key: str, **fields: Any) -> Deferred[bytes]:
    return render(request, code, uploads, page, [tags.p(text(uploads, page, key, **fields))])


def render(request: IRequest, code: int, uploads: Uploads, page: UploadPage | None,
           body: list[Tag]) -> Deferred[bytes]:
    request.setResponseCode(code)
    request.setHeader(b"content-type", b"text/html; charset=utf-8")
    request.setHeader(b"content-security-policy", PAGE_CSP)
    request.setHeader(b"x-frame-options", b"DENY")
    request.setHeader(b"x-content-type-options", b"nosniff")
    request.setHeader(b"referrer-policy", b"no-referrer")
    request.setHeader(b"cache-control", b"no-store")
    title = text(uploads, page, "upload_page_title")
    document = tags.html(lang=text(uploads, page, "upload_page_lang"))(
        tags.head(tags.meta(charset="utf-8"),
                  tags.meta(name="viewport", content="width=device-width, initial-scale=1"),
                  tags.title(title), tags.style(STYLE)),
        tags.body(tags.h1(title), *body))
    flattened: Deferred[bytes] = flattenString(None, document)
    return flattened.addCallback(lambda html: b"<!DOCTYPE html>\n" + html)
