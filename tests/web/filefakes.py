"""Fakes of the two ports the web side of files uses: the core's Uploads
and the Blobs store (a real temporary directory), kept to the protocols of
imsupport/core/files.py; and a test client over the service's own Site."""
from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from treq.testing import StubTreq
from twisted.internet import _producer_helpers
from twisted.internet.defer import Deferred, fail, inlineCallbacks, succeed
from twisted.internet.task import Clock, Cooperator
from twisted.internet.testing import MemoryReactorClock, StringTransport

from imsupport.core.files import (
    Blob,
    FileRefused,
    FilesFull,
    Slot,
    UploadPage,
    newToken,
    safeName,
    safeType,
)
from imsupport.core.model import FileRecord
from imsupport.web.app import WebSide

PUBLIC = "https://support.example.com"
MAX = 100_000


class DirBlobs:
    """Bytes in a directory, named by their SHA-256; ``full`` makes every
    write fail as a full disk does (after reading, nothing kept)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.full = False
        self.writes = 0

    def write(self, source: BinaryIO, limit: int) -> Deferred[Blob]:
        self.writes += 1
        partial = self.root / f"partial-{uuid.uuid4().hex}"
        digest = hashlib.sha256()
        size = 0
        try:
            with open(partial, "wb") as out:
                while chunk := source.read(65536):
                    size += len(chunk)
                    if size > limit:
                        raise ValueError(f"more than {limit} bytes")
                    if self.full:
                        raise FilesFull("No space left on device")
                    digest.update(chunk)
                    out.write(chunk)
        except Exception as e:
            partial.unlink()
            return fail(e)
        os.replace(partial, self.root / digest.hexdigest())
        return succeed(Blob(digest.hexdigest(), size))

    def path(self, digest: str) -> str:
        return str(self.root / digest)

    def exists(self, digest: str) -> bool:
        return (self.root / digest).is_file()

    def stored(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir())


@dataclass
class FakeUploads:
    """The core's side: slots and pages that exist until used or expired
    (``now`` past ``expires_at``), files by download token."""

    max_upload_bytes: int = MAX
    now: float = 1000.0
    slots: dict[str, Slot] = field(default_factory=dict)
    pages: dict[str, UploadPage] = field(default_factory=dict)
    files: dict[str, FileRecord] = field(default_factory=dict)
    kept: list[tuple[Any, ...]] = field(default_factory=list)
    full: bool = False  # the core's keeping fails as with a full disk
    refusal: str | None = None  # the core refuses page files with this reason (a quota)
    failed: list[tuple[Any, ...]] = field(default_factory=list)  # notStored's calls

    def addSlot(self, size: int, content_type: str = "text/plain", name: str = "a.txt",
                expires_at: float = 2000.0) -> Slot:
        slot = Slot(newToken(), newToken(), "alice@example.net", safeName(name), size,
                    safeType(content_type), expires_at)
        self.slots[slot.token] = slot
        return slot

    def addPage(self, expires_at: float = 2000.0) -> UploadPage:
        page = UploadPage(newToken(), 7, "alice@example.net", expires_at)
        self.pages[page.token] = page
        return page

    def addFile(self, blob: Blob, name: str, content_type: str) -> FileRecord:
        record = FileRecord(id="abcd2345", token=newToken(), name=name, size=blob.size,
                            content_type=content_type, digest=blob.digest,
                            created_at=self.now, uploader="alice@example.net", chat_id=7)
        self.files[record.token] = record
        return record

    def slot(self, token: str) -> Slot | None:
        slot = self.slots.get(token)
        return slot if slot is not None and slot.expires_at > self.now else None

    def uploaded(self, slot: Slot, blob: Blob) -> Deferred[FileRecord]:
        if self.full:
            return fail(FilesFull("the store refused the file"))
        del self.slots[slot.token]
        record = self.addFile(blob, slot.name, slot.content_type)
        self.kept.append(("slot", slot.token, blob))
        return succeed(record)

    def page(self, token: str) -> UploadPage | None:
        page = self.pages.get(token)
        return page if page is not None and page.expires_at > self.now else None

    def pageUploaded(self, page: UploadPage, name: str, content_type: str,
                     blob: Blob) -> Deferred[FileRecord]:
        if self.full:
            return fail(FilesFull("the store refused the file"))
        if self.refusal is not None:
            return fail(FileRefused(self.refusal))
        del self.pages[page.token]
        record = self.addFile(blob, safeName(name), safeType(content_type))
        self.kept.append(("page", page.token, name, content_type, blob))
        return succeed(record)

    def fileByToken(self, token: str) -> Deferred[FileRecord | None]:
        return succeed(self.files.get(token))

    def notStored(self, owner: str, chat_id: int | None, name: str, reason: str) -> None:
        self.failed.append((owner, chat_id, name, reason))

    def pageText(self, page: UploadPage | None, key: str, **fields: Any) -> str:
        """The key and its fields, so tests see which text was asked for."""
        who = "owner" if page is not None else "service"
        return " ".join([key, who, *(f"{k}={v}" for k, v in sorted(fields.items()))])


def webSide(uploads: FakeUploads | None, blobs: DirBlobs | None) -> WebSide:
    return WebSide(lambda: None, lambda: True, lambda: True, uploads=lambda: uploads,
                   blobs=blobs, public_url=PUBLIC)


@dataclass
class Reply:
    code: int
    headers: Any  # without the connection's own: Content-Length is ``length``
    body: bytes
    length: Any  # the Content-Length the server sent (twisted's client keeps it apart)

    def header(self, name: str) -> str | None:
        values = self.headers.getRawHeaders(name)
        return values[0] if values else None

    def error(self) -> dict[str, str]:
        """The project's JSON error, checked for its shape."""
        assert self.header("content-type") == "application/json"
        error = json.loads(self.body)["error"]
        assert set(error) == {"code", "message"} and error["message"], error
        return error


class SteppedProducers:
    """twisted.web drives a pull producer (static.File's) with the global
    reactor's cooperator; in these tests a Clock drives it, stepped by the
    client's pump (installed by tests/web/conftest.py)."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.cooperator = Cooperator(scheduler=lambda f: self.clock.callLater(0, f))

    def install(self, monkeypatch: Any) -> None:
        monkeypatch.setattr(_producer_helpers, "cooperate", self.cooperator.cooperate)

    def step(self) -> None:
        self.clock.advance(0)


PRODUCERS = SteppedProducers()


class Client:
    """StubTreq over the Site the service listens with (its request factory
    included, not treq's plain Site), pumping the in-memory connection and
    the producers until the whole answer is there."""

    def __init__(self, side: WebSide) -> None:
        self.stub = StubTreq(side.resource())
        self.stub._agent._serverFactory = side.site(MemoryReactorClock())

    def _pumped(self, d: Deferred[Any]) -> Deferred[Any]:
        done: list[Any] = []
        d.addBoth(lambda result: done.append(result) or result)
        for _ in range(10_000):
            if done:
                return d
            PRODUCERS.step()
            self.stub.flush()
        raise AssertionError("no answer")

    @inlineCallbacks
    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        response = yield self._pumped(self.stub.request(method, url, **kwargs))
        body = yield self._pumped(response.content())
        return Reply(response.code, response.headers, body, response.length)

    def get(self, url: str, **kwargs: Any) -> Deferred[Reply]:
        return self.request("GET", url, **kwargs)

    def head(self, url: str, **kwargs: Any) -> Deferred[Reply]:
        return self.request("HEAD", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> Deferred[Reply]:
        return self.request("PUT", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Deferred[Reply]:
        return self.request("POST", url, **kwargs)


def client(side: WebSide) -> Client:
    return Client(side)


def raw(side: WebSide, data: bytes, steps: int = 100) -> bytes:
    """What the service's Site writes back for these request bytes, on a
    StringTransport (the connection's own headers included)."""
    channel = side.site(MemoryReactorClock()).buildProtocol(None)
    transport = StringTransport()
    channel.makeConnection(transport)
    channel.dataReceived(data)
    for _ in range(steps):
        PRODUCERS.step()
    return transport.value()
