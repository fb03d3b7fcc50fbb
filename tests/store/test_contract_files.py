"""
The store contract for files (IStore.putFile, getFile, fileByToken,
findFiles, fileUsage): part of the contract suite, every test runs against
the memory, the SQLite and the PostgreSQL store.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest_twisted

from imsupport.core.model import FileRecord
from imsupport.store.interfaces import StoreError, StoreUnavailable
from tests.store.test_contract import chat, failure

T0 = 1_700_000_000.0
DIGEST = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def record(id: str, **fields: Any) -> FileRecord:
    fields.setdefault("token", f"token-{id}")
    fields.setdefault("name", f"{id}.txt")
    fields.setdefault("size", 4)
    fields.setdefault("content_type", "text/plain")
    fields.setdefault("digest", DIGEST)
    fields.setdefault("created_at", T0)
    fields.setdefault("uploader", "client@example.org")
    return FileRecord(id=id, **fields)


async def ids(store: Any, **filters: Any) -> list[str]:
    return [f.id for f in await store.findFiles(**filters)]


# -- one record --------------------------------------------------------------------

@pytest_twisted.ensureDeferred
async def test_every_field_round_trips(store: Any) -> None:
    await store.saveChat(chat(7, client="Юзер@example.org"))
    full = record("a2b3c4d5", token="Zx_-9aQ" * 4, name="Отчёт за май 😀.pdf",
                  size=5 * 2**30 + 7,  # more than 32 bits
                  content_type="application/pdf", digest="ab" * 32,
                  created_at=T0 + 0.125, uploader="оператор@shop.example",
                  client="Юзер@example.org", chat_id=7, shared=True,
                  source="https://upload.example.org/x/%D0%BE.pdf?a=1")
    bare = record("e6f7g8h9")  # the defaults: no client, no chat, not shared, no source
    assert await store.getFile(full.id) is None
    await store.putFile(full)
    await store.putFile(bare)
    assert await store.getFile(full.id) == full
    assert await store.fileByToken(full.token) == full
    loaded = await store.getFile(bare.id)
    assert loaded == bare
    assert (loaded.client, loaded.chat_id, loaded.shared, loaded.source) == (None, None,
                                                                             False, "")
    assert isinstance(loaded.size, int) and isinstance(loaded.created_at, float)
    assert await store.getFile("nothere") is None
    assert await store.fileByToken("no-such-token") is None


@pytest_twisted.ensureDeferred
async def test_put_replaces_by_id(store: Any) -> None:
    await store.putFile(record("abcdefgh"))
    changed = record("abcdefgh", token="new-token", name="renamed.txt", size=9, shared=True)
    await store.putFile(changed)
    assert await store.getFile("abcdefgh") == changed
    assert await store.fileByToken("token-abcdefgh") is None  # the old token is gone
    assert await store.fileByToken("new-token") == changed
    assert await ids(store) == ["abcdefgh"]


@pytest_twisted.ensureDeferred
async def test_a_token_belongs_to_one_file(store: Any) -> None:
    first = record("aaaaaaaa", token="shared-secret")
    await store.putFile(first)
    await store.putFile(record("aaaaaaaa", token="shared-secret", size=8))  # same id: fine
    error = await failure(store.putFile(record("bbbbbbbb", token="shared-secret")))
    assert isinstance(error, StoreError) and not isinstance(error, StoreUnavailable)
    assert await store.getFile("bbbbbbbb") is None
    assert await store.fileByToken("shared-secret") == record("aaaaaaaa", token="shared-secret",
                                                              size=8)
    # nor may a replaced record take another one's token
    await store.putFile(record("cccccccc"))
    error = await failure(store.putFile(record("cccccccc", token="shared-secret")))
    assert isinstance(error, StoreError)
    assert (await store.getFile("cccccccc")).token == "token-cccccccc"
    await store.putFile(record("dddddddd"))  # the store still works
    assert len(await ids(store)) == 3


@pytest_twisted.ensureDeferred
async def test_ids_compare_without_case(store: Any) -> None:
    await store.putFile(record("AbCd2345", token="t1"))
    for asked in ("abcd2345", "ABCD2345", "AbCd2345"):
        assert (await store.getFile(asked)).id == "abcd2345"  # stored lower-case
    await store.putFile(record("ABCD2345", token="t2", name="again.txt"))  # the same file
    assert await ids(store) == ["abcd2345"]
    assert (await store.getFile("abcd2345")).name == "again.txt"


@pytest_twisted.ensureDeferred
async def test_tokens_match_exactly(store: Any) -> None:
    await store.putFile(record("abcdefgh", token="AbC-123_x"))
    assert (await store.fileByToken("AbC-123_x")).id == "abcdefgh"
    for other in ("abc-123_x", "ABC-123_X", "AbC-123_", "AbC-123_x ", "%", "AbC-123_%"):
        assert await store.fileByToken(other) is None, other


@pytest_twisted.ensureDeferred
async def test_a_file_in_a_chat_needs_the_chat_and_is_readable_at_once(store: Any) -> None:
    error = await failure(store.putFile(record("abcdefgh", chat_id=41)))
    assert isinstance(error, StoreError) and not isinstance(error, StoreUnavailable)
    assert await store.getFile("abcdefgh") is None
    store.saveChat(chat(41, first_line="here is the invoice"))  # not waited for: queued
    await store.putFile(record("abcdefgh", chat_id=41, client="client41@example.org"))
    assert (await store.getFile("abcdefgh")).chat_id == 41
    assert await ids(store, chat_id=41) == ["abcdefgh"]
    assert await ids(store, words="invoice") == ["abcdefgh"]


@pytest_twisted.ensureDeferred
async def test_records_the_database_cannot_keep_are_refused(store: Any) -> None:
    for bad in (record("aaaaaaaa", created_at=math.nan), record("aaaaaaaa", size="big"),
                record("aaaaaaaa", created_at=math.inf)):
        assert isinstance(await failure(store.putFile(bad)), StoreError)
    assert await store.getFile("aaaaaaaa") is None


# -- finding files ------------------------------------------------------------------

async def _someFiles(store: Any) -> None:
    await store.saveChat(chat(1, client="a@x", first_line="Привет, где мой ЗАКАЗ?"))
    await store.saveChat(chat(2, client="b@x", first_line="broken screen"))
    files = [
        record("f1aaaaaa", name="photo.JPG", created_at=T0 + 10, uploader="a@x", client="a@x",
               chat_id=1),
        record("f2aaaaaa", name="Накладная.pdf", created_at=T0 + 20, uploader="op@shop",
               client="a@x", chat_id=1, size=100),
        record("f3aaaaaa", name="screen.png", created_at=T0 + 30, uploader="b@x",
               client="b@x", chat_id=2, size=1000),
        record("f4aaaaaa", name="price list.pdf", created_at=T0 + 30, uploader="admin@shop",
               shared=True, size=10_000),
        record("f5aaaaaa", name="loose.bin", created_at=T0 + 40, uploader="op@shop",
               size=100_000),  # uploaded, not linked into a chat (yet)
    ]
    for f in reversed(files):  # stored out of order: the order comes from created_at
        await store.putFile(f)


@pytest_twisted.ensureDeferred
async def test_find_files_newest_first_with_each_filter(store: Any) -> None:
    await _someFiles(store)
    assert await ids(store) == ["f5aaaaaa", "f4aaaaaa", "f3aaaaaa", "f2aaaaaa", "f1aaaaaa"]
    assert await ids(store, client="a@x") == ["f2aaaaaa", "f1aaaaaa"]
    assert await ids(store, chat_id=2) == ["f3aaaaaa"]
    assert await ids(store, chat_id=99) == []
    assert await ids(store, shared=True) == ["f4aaaaaa"]
    assert await ids(store, shared=False) == ["f5aaaaaa", "f3aaaaaa", "f2aaaaaa", "f1aaaaaa"]
    assert await ids(store, uploader="op@shop") == ["f5aaaaaa", "f2aaaaaa"]
    assert await ids(store, since=T0 + 30) == ["f5aaaaaa", "f4aaaaaa", "f3aaaaaa"]  # inclusive
    assert await ids(store, since=T0 + 41) == []
    # every filter given must hold
    assert await ids(store, client="a@x", uploader="op@shop") == ["f2aaaaaa"]
    assert await ids(store, client="a@x", chat_id=1, shared=False, since=T0 + 11) == [
        "f2aaaaaa"]
    assert await ids(store, uploader="op@shop", shared=True) == []
    assert await ids(store, words="pdf", shared=False) == ["f2aaaaaa"]
    assert await ids(store, words="pdf", since=T0 + 25, uploader="admin@shop") == ["f4aaaaaa"]
    # the limit keeps the newest; equal times are ordered by id, highest first
    assert await ids(store, limit=2) == ["f5aaaaaa", "f4aaaaaa"]
    assert await ids(store, since=T0 + 30, shared=False, limit=1) == ["f5aaaaaa"]
    assert len(await ids(store, limit=None)) == 5
    assert (await store.findFiles(chat_id=2))[0] == record(
        "f3aaaaaa", name="screen.png", created_at=T0 + 30, uploader="b@x", client="b@x",
        chat_id=2, size=1000)


@pytest_twisted.ensureDeferred
async def test_find_files_by_words_in_names_and_chat_first_lines(store: Any) -> None:
    await _someFiles(store)
    assert await ids(store, words="jpg") == ["f1aaaaaa"]  # any case, any part of the name
    assert await ids(store, words="НАКЛАДНАЯ") == ["f2aaaaaa"]  # not only ASCII
    assert await ids(store, words="накладн") == ["f2aaaaaa"]
    # chat 1's first line names "заказ": both of its files are found
    assert await ids(store, words="заказ") == ["f2aaaaaa", "f1aaaaaa"]
    assert await ids(store, words="broken") == ["f3aaaaaa"]
    # every word must be found, each in the name or in the first line
    assert await ids(store, words="заказ photo") == ["f1aaaaaa"]
    assert await ids(store, words="  Screen\tBROKEN ") == ["f3aaaaaa"]
    assert await ids(store, words="screen photo") == []
    assert await ids(store, words="price list") == ["f4aaaaaa"]  # a shared file: its name
    assert await ids(store, words="nothing-like-it") == []
    assert len(await ids(store, words="")) == len(await ids(store, words="   ")) == 5
    assert await ids(store, words="заказ", client="b@x") == []
    assert await ids(store, words="p", limit=1) == ["f4aaaaaa"]  # newest first, limited


@pytest_twisted.ensureDeferred
async def test_like_metacharacters_in_words_are_taken_literally(store: Any) -> None:
    await store.saveChat(chat(1, first_line="discount 50% off"))
    names = {"aaaaaaa1": "100%_done.txt", "aaaaaaa2": "100 done.txt", "aaaaaaa3": "a_b.txt",
             "aaaaaaa4": "axb.txt", "aaaaaaa5": "back\\slash.txt", "aaaaaaa6": "plain.txt"}
    for n, (file_id, name) in enumerate(sorted(names.items())):
        await store.putFile(record(file_id, name=name, created_at=T0 + n))
    await store.putFile(record("aaaaaaa7", name="in chat.txt", chat_id=1, created_at=T0 + 9))
    assert await ids(store, words="%") == ["aaaaaaa7", "aaaaaaa1"]
    assert await ids(store, words="_") == ["aaaaaaa3", "aaaaaaa1"]
    assert await ids(store, words="a_b") == ["aaaaaaa3"]
    assert await ids(store, words="100%") == ["aaaaaaa1"]
    assert await ids(store, words="0%_d") == ["aaaaaaa1"]
    assert await ids(store, words="\\") == ["aaaaaaa5"]
    assert await ids(store, words="k\\s") == ["aaaaaaa5"]
    assert await ids(store, words="50%") == ["aaaaaaa7"]
    assert await ids(store, words="'; DROP TABLE files; --") == []
    assert len(await ids(store)) == 7


# -- usage (the per-day quota) ------------------------------------------------------

@pytest_twisted.ensureDeferred
async def test_file_usage_sums_by_uploader_since_a_time(store: Any) -> None:
    assert await store.fileUsage("a@x", 0.0) == (0, 0)
    await store.putFile(record("aaaaaaa1", uploader="a@x", size=10, created_at=T0))
    await store.putFile(record("aaaaaaa2", uploader="a@x", size=200, created_at=T0 + 50))
    await store.putFile(record("aaaaaaa3", uploader="a@x", size=3000, created_at=T0 + 100))
    await store.putFile(record("aaaaaaa4", uploader="b@x", size=40_000, created_at=T0 + 100))
    await store.putFile(record("aaaaaaa5", uploader="a@x", size=5 * 2**30, created_at=T0 + 99))
    assert await store.fileUsage("a@x", T0) == (4, 10 + 200 + 3000 + 5 * 2**30)
    assert await store.fileUsage("a@x", T0 + 50) == (3, 200 + 3000 + 5 * 2**30)  # inclusive
    assert await store.fileUsage("a@x", T0 + 100) == (1, 3000)
    assert await store.fileUsage("a@x", T0 + 101) == (0, 0)
    assert await store.fileUsage("b@x", 0.0) == (1, 40_000)
    assert await store.fileUsage("A@x", 0.0) == (0, 0)  # uploaders are compared as given
    replaced = dataclasses.replace(await store.getFile("aaaaaaa3"), size=7)
    await store.putFile(replaced)  # a replaced record counts once, as it is now
    assert await store.fileUsage("a@x", T0 + 100) == (1, 7)
    result = await store.fileUsage("a@x", T0)
    assert all(type(n) is int for n in result)
