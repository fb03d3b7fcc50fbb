"""
The store contract for API tokens (IStore.putToken, deleteToken, tokens):
every test runs against the memory, the SQLite and the PostgreSQL store.
"""
from __future__ import annotations

from typing import Any

import pytest
import pytest_twisted

from imsupport.store.interfaces import StoredToken, StoreError

DIGEST_A = "a" * 64
DIGEST_B = "b" * 64


@pytest_twisted.ensureDeferred
async def test_put_list_by_name(store: Any) -> None:
    await store.putToken(StoredToken("zeta", DIGEST_A, ("read",), 1.5))
    await store.putToken(StoredToken("alpha", DIGEST_B, ("read", "admin"), 2.0))
    assert await store.tokens() == [StoredToken("alpha", DIGEST_B, ("read", "admin"), 2.0),
                                    StoredToken("zeta", DIGEST_A, ("read",), 1.5)]


@pytest_twisted.ensureDeferred
async def test_put_replaces_by_name(store: Any) -> None:
    await store.putToken(StoredToken("ci", DIGEST_A, ("read",), 1.0))
    await store.putToken(StoredToken("ci", DIGEST_B, ("control",), 3.0))
    assert await store.tokens() == [StoredToken("ci", DIGEST_B, ("control",), 3.0)]


@pytest_twisted.ensureDeferred
async def test_same_digest_under_two_names_is_refused(store: Any) -> None:
    await store.putToken(StoredToken("one", DIGEST_A, ("read",), 1.0))
    with pytest.raises(StoreError):
        await store.putToken(StoredToken("two", DIGEST_A, ("read",), 1.0))
    assert [t.name for t in await store.tokens()] == ["one"]


@pytest_twisted.ensureDeferred
async def test_delete(store: Any) -> None:
    await store.putToken(StoredToken("ci", DIGEST_A, ("read",), 1.0))
    assert await store.deleteToken("ci") is True
    assert await store.deleteToken("ci") is False
    assert await store.tokens() == []


@pytest_twisted.ensureDeferred
async def test_tokens_survive_a_reopen(backend: Any) -> None:
    first = backend.make()
    await first.open()
    await first.putToken(StoredToken("ci", DIGEST_A, ("read", "control"), 1.0))
    await first.close()
    again = backend.make()
    await again.open()
    try:
        assert await again.tokens() == [StoredToken("ci", DIGEST_A, ("read", "control"), 1.0)]
    finally:
        await again.close()
