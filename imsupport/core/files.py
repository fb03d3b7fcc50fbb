"""
Files (R-CLI-1, R-CMD-5, R-CMD-6, R-SEC-4, SPEC 16): the values and pure
rules every side of file handling shares, and the ports between them.

- A *slot* (XEP-0363) lets one sender PUT one file of a declared size and
  type to ``/upload/{token}`` before it expires; the file is then
  downloadable at ``/f/{get_token}/{name}``.
- An *upload page* (``/u/{token}``) is the same for text-only clients and
  operators (``!upload``, ``!file`` without an id): a plain HTML form, used
  once, that puts the file straight into its chat.
- A *blob* is stored bytes, named by their SHA-256 under ``files_dir``.

Nothing derived from a client's file name ever becomes a path: names are
only shown, and offered as the download's name, after ``safeName``.
"""
from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol
from urllib.parse import quote, unquote, urlsplit

from twisted.internet.defer import Deferred

from imsupport.core.model import FileRecord

NAME_CHARS = 120  # a file name is cut to this many characters (its extension kept)
FALLBACK_NAME = "file"
ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no look-alikes (l, 1, o, 0)

# Types served inline (a browser shows them): raster images, plain text and
# common audio and video, none of which can carry script (R-SEC-4's safe
# types); everything else is an attachment with a sandbox CSP. SVG is not
# here: it can carry script; nor is PDF, whose viewers run scripts and forms.
INLINE_TYPES = frozenset({
    "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "text/plain",
    "audio/mpeg", "audio/ogg", "audio/mp4", "video/mp4", "video/webm",
})
GENERIC_TYPE = "application/octet-stream"
_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_HTTP = re.compile(r"^https?://[^\s/?#]+", re.IGNORECASE)
_FILE_NAME = re.compile(r"[^/]\.[A-Za-z0-9]{1,8}$")


@dataclass(frozen=True)
class Slot:
    """One XEP-0363 upload slot."""

    token: str  # /upload/{token}
    get_token: str  # the download token the file gets: /f/{get_token}/{name}
    owner: str  # the bare JID that asked for it
    name: str  # safeName of the requested file name
    size: int  # bytes: the PUT must carry exactly these
    content_type: str  # the PUT's Content-Type must be this
    expires_at: float


@dataclass(frozen=True)
class SlotRefusal:
    """Why a slot is not given (XEP-0363 section 4)."""

    condition: str  # TOO_LARGE, QUOTA or BAD_REQUEST
    text: str
    max_size: int = 0  # with TOO_LARGE
    retry_at: float = 0.0  # with QUOTA: when the sender may try again


TOO_LARGE = "file-too-large"
QUOTA = "quota"
BAD_REQUEST = "bad-request"


@dataclass(frozen=True)
class SlotUrls:
    """Where a given slot's PUT goes and where its file will be."""

    put: str
    get: str


@dataclass(frozen=True)
class UploadPage:
    """A one-time upload page for a chat (``!upload``, ``!file``)."""

    token: str  # /u/{token}
    chat_id: int
    owner: str  # who asked: the chat's client's bare JID, or an operator's
    expires_at: float


@dataclass(frozen=True)
class Blob:
    """Bytes that are stored: their SHA-256 (hex) and length."""

    digest: str
    size: int


class FilesFull(Exception):
    """The bytes could not be written (the disk is full, an I/O error):
    nothing was kept, nothing is linked."""


class FileRefused(Exception):
    """A file is not taken into its chat (the chat's quota, the chat is
    closed); str() is the reason, in the sender's language."""


class FetchError(Exception):
    """A file on another server could not be fetched; the text says why
    (for the operator's note)."""


# -- the ports ---------------------------------------------------------------------------

class Blobs(Protocol):
    """Where the bytes live (imsupport/store/blobs.py)."""

    def write(self, source: BinaryIO, limit: int) -> Deferred[Blob]:
        """Copy ``source`` (read to its end, in chunks, off the reactor thread)
        into the store; FilesFull when the disk refuses, ValueError when more
        than ``limit`` bytes come. A partial write never stays."""

    def path(self, digest: str) -> str:
        """The file that holds these bytes (for serving them)."""

    def exists(self, digest: str) -> bool: ...


class Fetcher(Protocol):
    """Fetching a file another server holds (imsupport/web/fetch.py)."""

    def fetch(self, url: str, limit: int) -> Deferred[tuple[Blob, str, str]]:
        """(blob, name, content type) of the file at ``url``; FetchError when
        it may not or cannot be fetched (scheme, address, size, HTTP error)."""


class Uploads(Protocol):
    """What the web side asks of the core about uploads and downloads
    (SupportCore.files provides it)."""

    max_upload_bytes: int

    def slot(self, token: str) -> Slot | None:
        """The unexpired, unused slot ``/upload/{token}`` is for."""

    def uploaded(self, slot: Slot, blob: Blob) -> Deferred[FileRecord]:
        """The slot's PUT arrived whole: keep the file (its download link is
        the slot's GET URL). The slot is used up."""

    def page(self, token: str) -> UploadPage | None:
        """The unexpired, unused page ``/u/{token}`` is."""

    def pageUploaded(self, page: UploadPage, name: str, content_type: str,
                     blob: Blob) -> Deferred[FileRecord]:
        """The page's form brought a file: kept, and sent into its chat as
        the one who asked for the page. The page is used up."""

    def fileByToken(self, token: str) -> Deferred[FileRecord | None]: ...

    def urlOf(self, record: FileRecord) -> str:
        """The kept file's download URL."""

    def notStored(self, owner: str, chat_id: int | None, name: str, reason: str) -> None:
        """An upload of ``owner``'s could not be stored (FilesFull): the
        chat it was for (a page's; a slot's, the owner's open chats as
        their client) is told, so its operators know a file was tried."""

    def pageText(self, page: UploadPage | None, key: str, **fields: Any) -> str:
        """A text of the page in the language of the one who asked for it;
        with no page (an unknown or expired token), in the service's."""


# -- pure rules ----------------------------------------------------------------------------

def newToken() -> str:
    """A URL-safe secret for a slot, page or download (192 bits)."""
    return secrets.token_urlsafe(24)


def newFileId() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(8))


def safeName(name: str) -> str:
    """What is shown of a file name and offered as the download's name: no
    directories, no control characters or characters file systems refuse,
    no leading dots, at most NAME_CHARS characters (the extension kept);
    ``file`` when nothing is left. Never used as a path."""
    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = _UNSAFE.sub("_", text).strip().lstrip(".").strip()
    if len(text) > NAME_CHARS:
        stem, dot, extension = text.rpartition(".")
        if dot and 0 < len(extension) <= 16 and stem:
            text = stem[:NAME_CHARS - len(extension) - 1].rstrip() + "." + extension
        else:
            text = text[:NAME_CHARS]
    return text or FALLBACK_NAME


def safeType(content_type: str | None) -> str:
    """A declared content type as kept: lower-case ``type/subtype``, its
    parameters dropped; anything malformed is the generic type."""
    value = (content_type or "").split(";", 1)[0].strip().lower()
    return value if _TYPE.match(value) else GENERIC_TYPE


def servedInline(content_type: str) -> bool:
    """Whether a browser may show it in place (R-SEC-4); else it is a
    download (attachment) under a sandbox Content-Security-Policy."""
    return content_type in INLINE_TYPES


def downloadUrl(public_url: str, token: str, name: str) -> str:
    """The service's link to a kept file: /f/{token}/{name}."""
    return f"{public_url.rstrip('/')}/f/{token}/{quote(name, safe='')}"


def uploadUrl(public_url: str, token: str) -> str:
    """Where a slot's PUT goes: /upload/{token}."""
    return f"{public_url.rstrip('/')}/upload/{token}"


def pageUrl(public_url: str, token: str) -> str:
    """A one-time upload page: /u/{token}."""
    return f"{public_url.rstrip('/')}/u/{token}"


def tokenOf(public_url: str, url: str) -> str | None:
    """The download token when ``url`` is one of the service's own file
    links, else None."""
    base = public_url.rstrip("/") + "/f/"
    if not url.startswith(base):
        return None
    token = url[len(base):].split("/", 1)[0]
    return token if _TOKEN.fullmatch(token) else None


def fileLink(text: str, oob: str | None, public_url: str | None = None) -> str | None:
    """The link that makes a message a file (SPEC 16): its XEP-0066 OOB URL,
    or a body that is nothing but one http(s) link to a file: a last path
    segment with an extension, as upload services make them, or any of the
    service's own download links (under ``public_url``), whose file name
    may have none."""
    if oob and _HTTP.match(oob.strip()):
        return oob.strip()
    body = text.strip()
    if _HTTP.match(body) and not any(c.isspace() for c in body):
        path = urlsplit(body).path
        if _FILE_NAME.search(unquote(path.rsplit("/", 1)[-1])):
            return body
        if public_url is not None and tokenOf(public_url, body) is not None:
            return body
    return None


def fileEventData(record: FileRecord, url: str) -> dict[str, Any]:
    """What a chat's ``file`` event keeps of the file (SPEC 16)."""
    return {"file_id": record.id, "url": url, "size": record.size,
            "content_type": record.content_type}

