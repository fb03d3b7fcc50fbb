"""
Where files come in and go out (R-CLI-1, R-CMD-5, R-CMD-6, R-SEC-4, SPEC 16):
XEP-0363 slots with their limits and quotas, one-time upload pages, links in
messages (the service's own, or another server's, which are fetched and
kept), shared files, and the search behind ``!sfile``. The web side reaches
it through the ``Uploads`` port; the chat side (the client desk, an
operator's words) asks it to resolve a message's link into a file of the
chat, and then stores and relays that itself.
"""
from __future__ import annotations

import mimetypes
import os
from dataclasses import replace
from typing import Any, Callable

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure

from imsupport.config import WebConfig
from imsupport.core.chat import Chat
from imsupport.core.chats import Chats
from imsupport.core.files import (
    BAD_REQUEST,
    QUOTA,
    TOO_LARGE,
    Blob,
    Blobs,
    Fetcher,
    FetchError,
    FileRefused,
    FilesFull,
    Slot,
    SlotRefusal,
    UploadPage,
    downloadUrl,
    fileLink,
    newFileId,
    newToken,
    pageUrl,
    safeName,
    safeType,
    tokenOf,
    uploadUrl,
)
from imsupport.core.i18n import Translator
from imsupport.core.model import FileRecord
from imsupport.core.team import Team
from imsupport.core.timers import Timers
from imsupport.store.interfaces import IStore

log = Logger()

DAY = 86400.0
MAX_PENDING = 10_000  # slots and pages waiting to be used, in all
SEARCH_HITS = 10


class NotAFile(Exception):
    """A link of the service's own that names no kept file: it is text."""


class FileDesk:
    def __init__(self, *, settings: WebConfig, clock: IReactorTime, store: IStore,
                 chats: Chats, team: Team, translator: Translator,
                 fetcher: Fetcher | None = None, blobs: Blobs | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self.store = store
        self.chats = chats
        self.team = team
        self.translator = translator
        self.fetcher = fetcher
        self.blobs = blobs
        self.max_upload_bytes = settings.max_upload_bytes
        self._slots: dict[str, Slot] = {}
        self._pages: dict[str, UploadPage] = {}
        self._timers = Timers(clock)
        # told when a page's upload has been kept: the chat side sends it
        # into the chat as the one who asked for the page
        self.pageFiles: list[Callable[[UploadPage, FileRecord], object]] = []
        # told when an upload could not be stored: the chat side notes it in the chat
        self.failures: list[Callable[[Chat, str, str], object]] = []

    # -- texts and links ---------------------------------------------------------------

    def languagesOf(self, who: str, chat: Chat | None = None) -> tuple[str, ...]:
        if who in self.team:
            return self.team.languages(who)
        if chat is not None:
            return chat.record.languages
        return self.chats.clientLanguages.get(who, (self.translator.default,))

    def text(self, who: str, key: str, chat: Chat | None = None, **fields: Any) -> str:
        return self.translator.text(key, self.languagesOf(who, chat), **fields)

    def linkIn(self, text: str, oob: str | None) -> str | None:
        """The link that makes a message a file (files.fileLink), the
        service's own links known by their token."""
        return fileLink(text, oob, self.settings.public_url)

    def urlOf(self, record: FileRecord) -> str:
        return downloadUrl(self.settings.public_url, record.token, record.name)

    def putUrl(self, slot: Slot) -> str:
        return uploadUrl(self.settings.public_url, slot.token)

    def getUrl(self, slot: Slot) -> str:
        return downloadUrl(self.settings.public_url, slot.get_token, slot.name)

    # -- XEP-0363 slots ----------------------------------------------------------------

    def requestSlot(self, who: str, filename: str, size: int,
                    content_type: str | None) -> Deferred[Slot | SlotRefusal]:
        limit = self.max_upload_bytes
        if size <= 0:
            return succeed(SlotRefusal(BAD_REQUEST, self.text(who, "file_empty")))
        if size > limit:
            return succeed(SlotRefusal(TOO_LARGE, self.text(who, "file_too_large", size=size,
                                                            limit=limit), max_size=limit))
        if len(self._slots) + len(self._pages) >= MAX_PENDING:
            self._prune()
        if len(self._slots) + len(self._pages) >= MAX_PENDING:
            return succeed(SlotRefusal(QUOTA, self.text(who, "file_busy"),
                                       retry_at=self.clock.seconds() + 60))

        def decide(used: tuple[int, int]) -> Slot | SlotRefusal:
            refusal = self._dayQuota(who, used[1], size)
            if refusal is not None:
                return refusal
            now = self.clock.seconds()
            slot = Slot(token=newToken(), get_token=newToken(), owner=who,
                        name=safeName(filename), size=size,
                        content_type=safeType(content_type),
                        expires_at=now + self.settings.slot_lifetime)
            self._slots[slot.token] = slot
            self._timers.set(f"slot:{slot.token}", self.settings.slot_lifetime,
                             self._slots.pop, slot.token, None)
            return slot

        return self.store.fileUsage(who, self._dayStart()).addCallback(decide)

    def _dayStart(self) -> float:
        now = self.clock.seconds()
        return now - now % DAY

    def _dayQuota(self, who: str, used: int, size: int) -> SlotRefusal | None:
        pending = sum(s.size for s in self._slots.values() if s.owner == who)
        allowed = self.settings.upload_bytes_per_day
        if used + pending + size <= allowed:
            return None
        return SlotRefusal(QUOTA, self.text(who, "file_quota_day", limit=allowed),
                           retry_at=self._dayStart() + DAY)

    def slot(self, token: str) -> Slot | None:
        slot = self._slots.get(token)
        if slot is None or slot.expires_at <= self.clock.seconds():
            return None
        return slot

    def uploaded(self, slot: Slot, blob: Blob) -> Deferred[FileRecord]:
        """The slot's bytes are stored: the file is kept (not yet in a chat:
        the message that links it puts it there)."""
        self._slots.pop(slot.token, None)
        self._timers.cancel(f"slot:{slot.token}")
        record = FileRecord(id=newFileId(), token=slot.get_token, name=slot.name,
                            size=blob.size, content_type=slot.content_type, digest=blob.digest,
                            created_at=self.clock.seconds(), uploader=slot.owner)
        log.info("File {id} uploaded by {who}: {name}, {size} bytes", id=record.id,
                 who=slot.owner, name=record.name, size=record.size)
        return self.store.putFile(record).addCallback(lambda _: record)

    # -- one-time upload pages -----------------------------------------------------------

    def openPage(self, chat: Chat, owner: str) -> tuple[UploadPage, str]:
        """A page whose upload goes into ``chat`` as ``owner``; and its URL."""
        lifetime = self.settings.upload_page_lifetime
        page = UploadPage(token=newToken(), chat_id=chat.id, owner=owner,
                          expires_at=self.clock.seconds() + lifetime)
        if len(self._slots) + len(self._pages) >= MAX_PENDING:
            self._prune()
        self._pages[page.token] = page
        self._timers.set(f"page:{page.token}", lifetime, self._pages.pop, page.token, None)
        return page, pageUrl(self.settings.public_url, page.token)

    def page(self, token: str) -> UploadPage | None:
        page = self._pages.get(token)
        if page is None or page.expires_at <= self.clock.seconds() \
                or page.chat_id not in self.chats:
            return None
        return page

    def pageText(self, page: UploadPage | None, key: str, **fields: Any) -> str:
        if page is None:  # an unknown or expired page: the service's language
            return self.translator.text(key, (self.translator.default,), **fields)
        return self.text(page.owner, key, self.chats.get(page.chat_id), **fields)

    def pageUploaded(self, page: UploadPage, name: str, content_type: str,
                     blob: Blob) -> Deferred[FileRecord]:
        self._pages.pop(page.token, None)
        self._timers.cancel(f"page:{page.token}")
        chat = self.chats.get(page.chat_id)
        if chat is None:
            return fail(FileRefused(self.pageText(page, "file_chat_closed")))

        def kept(record: FileRecord) -> FileRecord:
            for listener in self.pageFiles:
                listener(page, record)
            return record

        return self.chatUploaded(chat, page.owner, name, content_type, blob).addCallback(kept)

    def chatUploaded(self, chat: Chat, who: str, name: str, content_type: str,
                     blob: Blob) -> Deferred[FileRecord]:
        """A file ``who`` sent straight into ``chat`` (the web chat's
        upload, a one-time page's): within the sender's day quota and the
        chat's, kept as a file of the chat, which the chat side then stores
        and relays. FileRefused past a quota, in the sender's language."""
        def quota(used: tuple[int, int]) -> Deferred[FileRecord]:
            refusal = self._dayQuota(who, used[1], blob.size)
            if refusal is not None:
                raise FileRefused(refusal.text)
            return self._intoChat(chat, who, name, content_type, blob)

        return self.store.fileUsage(who, self._dayStart()).addCallback(quota)

    def _intoChat(self, chat: Chat, owner: str, name: str, content_type: str,
                  blob: Blob) -> Deferred[FileRecord]:
        record = FileRecord(id=newFileId(), token=newToken(), name=safeName(name),
                            size=blob.size, content_type=safeType(content_type),
                            digest=blob.digest, created_at=self.clock.seconds(),
                            uploader=owner, client=chat.client, chat_id=chat.id)
        return self._perChat(chat, owner).addCallback(
            lambda _: self.store.putFile(record)).addCallback(lambda _: record)

    def _prune(self) -> None:
        now = self.clock.seconds()
        for token in [t for t, s in self._slots.items() if s.expires_at <= now]:
            self._slots.pop(token, None)
        for token in [t for t, p in self._pages.items() if p.expires_at <= now]:
            self._pages.pop(token, None)

    # -- links in messages -------------------------------------------------------------

    def resolve(self, url: str, who: str, chat: Chat) -> Deferred[FileRecord]:
        """The file ``url`` links, kept as a file of ``chat``: one of the
        service's own (NotAFile when it names none), or one another server
        holds, fetched and kept (FetchError when it cannot be). FileRefused
        past the chat's quota."""
        token = tokenOf(self.settings.public_url, url)
        if token is not None:
            found = self.store.fileByToken(token)
        elif self.fetcher is None:
            return fail(FetchError("fetching files from other servers is not set up"))
        else:
            found = self._fetch(url, who)

        def link(record: FileRecord | None) -> Deferred[FileRecord]:
            if record is None:
                raise NotAFile(url)
            if record.chat_id == chat.id:
                return succeed(record)
            linked = replace(record, chat_id=chat.id, client=chat.client) \
                if record.chat_id is None and not record.shared else \
                replace(record, id=newFileId(), token=newToken(), chat_id=chat.id,
                        client=chat.client, shared=False, created_at=self.clock.seconds())
            return self._perChat(chat, who).addCallback(
                lambda _: self.store.putFile(linked)).addCallback(lambda _: linked)

        return found.addCallback(link)

    def _fetch(self, url: str, who: str) -> Deferred[FileRecord | None]:
        assert self.fetcher is not None

        def quota(used: tuple[int, int]) -> Deferred[tuple[Blob, str, str]]:
            left = self.settings.upload_bytes_per_day - used[1]
            if left <= 0:
                raise FetchError(self.text(who, "file_quota_day",
                                           limit=self.settings.upload_bytes_per_day))
            assert self.fetcher is not None
            return self.fetcher.fetch(url, min(self.max_upload_bytes, left))

        def kept(fetched: tuple[Blob, str, str]) -> FileRecord:
            blob, name, content_type = fetched
            return FileRecord(id=newFileId(), token=newToken(), name=safeName(name),
                              size=blob.size, content_type=safeType(content_type),
                              digest=blob.digest, created_at=self.clock.seconds(),
                              uploader=who, source=url)

        return self.store.fileUsage(who, self._dayStart()).addCallback(quota).addCallback(kept)

    def _perChat(self, chat: Chat, who: str) -> Deferred[None]:
        limit = self.settings.files_per_chat

        def check(files: list[FileRecord]) -> None:
            if len(files) >= limit:
                raise FileRefused(self.text(who, "file_quota_chat", chat, limit=limit))

        return self.store.findFiles(chat_id=chat.id, limit=limit).addCallback(check)

    # -- !file, !sfile, shared files ---------------------------------------------------

    def notStored(self, owner: str, chat_id: int | None, name: str, reason: str) -> None:
        if chat_id is not None:
            chats = [self.chats.get(chat_id)]
        else:
            chats = [self.chats.get(i) for i in self.chats]
            chats = [c for c in chats if c is not None and c.client == owner]
        for chat in chats:
            if chat is not None:
                for listener in self.failures:
                    listener(chat, safeName(name), reason)

    def fileByToken(self, token: str) -> Deferred[FileRecord | None]:
        """The kept file a download link names (for /f/{token}/{name})."""
        return self.store.fileByToken(token)

    def byId(self, file_id: str) -> Deferred[FileRecord | None]:
        return self.store.getFile(file_id.strip().lower())

    def search(self, words: str, client: str | None) -> Deferred[list[FileRecord]]:
        """``!sfile``: the client's files first (in a chat), then shared
        ones; at the console (no client) every file."""
        if client is None:
            return self.store.findFiles(words=words, limit=SEARCH_HITS)

        def shared(mine: list[FileRecord]) -> Deferred[list[FileRecord]]:
            return self.store.findFiles(words=words, shared=True, limit=SEARCH_HITS).addCallback(
                lambda common: (mine + [f for f in common if f.id not in
                                        {m.id for m in mine}])[:SEARCH_HITS])

        return self.store.findFiles(words=words, client=client,
                                    limit=SEARCH_HITS).addCallback(shared)

    def share(self, record: FileRecord) -> Deferred[FileRecord]:
        shared = replace(record, shared=True)
        return self.store.putFile(shared).addCallback(lambda _: shared)

    def importShared(self, directory: str, by: str) -> Deferred[int]:
        """The files of ``[web] shared_dir`` as shared files (read at start;
        one already kept with the same name and bytes is not added again).
        A file that cannot be read, or is over ``max_upload_bytes``, is left
        out with a warning; the count is of files added."""
        if not directory or self.blobs is None:
            return succeed(0)
        try:
            names = sorted(n for n in os.listdir(directory)
                           if os.path.isfile(os.path.join(directory, n))
                           and not n.startswith("."))
        except OSError as e:
            log.warn("Shared files: cannot read {dir}: {error}", dir=directory, error=e)
            return succeed(0)
        blobs = self.blobs

        def one(count: int, name: str) -> Deferred[int]:
            try:
                handle = open(os.path.join(directory, name), "rb")  # noqa: SIM115 - closed below
            except OSError as e:
                log.warn("Shared file {name} left out: {error}", name=name, error=e)
                return succeed(count)
            d = blobs.write(handle, self.max_upload_bytes)

            def kept(blob: Blob) -> Deferred[int]:
                return self.store.findFiles(shared=True, limit=None).addCallback(
                    lambda known: self._addShared(known, name, blob, by, count))

            def leftOut(reason: Failure) -> int:
                reason.trap(ValueError, FilesFull, OSError)
                log.warn("Shared file {name} left out: {error}", name=name,
                         error=reason.getErrorMessage())
                return count

            def closed(result: object) -> object:
                handle.close()
                return result

            d.addBoth(closed)
            return d.addCallbacks(kept, leftOut)

        d: Deferred[int] = succeed(0)
        for name in names:
            d.addCallback(one, name)
        return d

    def _addShared(self, known: list[FileRecord], name: str, blob: Blob, by: str,
                   count: int) -> Deferred[int]:
        shown = safeName(name)
        if any(f.digest == blob.digest and f.name == shown for f in known):
            return succeed(count)
        record = FileRecord(id=newFileId(), token=newToken(), name=shown, size=blob.size,
                            content_type=safeType(_guessType(name)), digest=blob.digest,
                            created_at=self.clock.seconds(), uploader=by, shared=True)
        return self.store.putFile(record).addCallback(lambda _: count + 1)


def _guessType(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
