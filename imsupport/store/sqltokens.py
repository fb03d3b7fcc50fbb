"""SQL programs for the API tokens (IStore.putToken, deleteToken, tokens)."""
from __future__ import annotations

from imsupport.store.interfaces import StoredToken
from imsupport.store.sql import Execute, Program, Query


def putToken(token: StoredToken) -> Program[None]:
    yield Execute("INSERT INTO api_tokens (name, digest, scopes, created_at) "
                  "VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                  "digest = excluded.digest, scopes = excluded.scopes, "
                  "created_at = excluded.created_at",
                  (token.name, token.digest, " ".join(token.scopes), token.created_at))


def deleteToken(name: str) -> Program[bool]:
    changed = yield Execute("DELETE FROM api_tokens WHERE name = ?", (name,))
    return bool(changed)


def tokens() -> Program[list[StoredToken]]:
    rows = yield Query("SELECT name, digest, scopes, created_at FROM api_tokens ORDER BY name")
    return [StoredToken(name, digest, tuple(scopes.split()), float(at))
            for name, digest, scopes, at in rows]
