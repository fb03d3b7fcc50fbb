"""``/tokens`` (admin): list (names and scopes only), add (the new random
token is in that one answer, never again), revoke."""
from __future__ import annotations

from typing import Any, Iterable

from imsupport.config import ApiToken
from imsupport.web.api.auth import TokenEntry, Tokens, digest, newSecret
from imsupport.web.api.errors import conflict, notFound
from imsupport.web.api.ports import JSON


def configEntries(tokens: Iterable[ApiToken]) -> list[TokenEntry]:
    """``[[api_tokens]]`` as kept: hashed, the plain token dropped."""
    return [TokenEntry(t.name, digest(t.token), tuple(t.scopes)) for t in tokens]


class TokenRoutes:
    def __init__(self, tokens: Tokens) -> None:
        self.tokens = tokens

    def listTokens(self) -> JSON:
        return {"items": [{"name": e.name, "scopes": list(e.scopes)}
                          for e in sorted(self.tokens.entries.values(), key=lambda e: e.name)]}

    def addToken(self, body: dict[str, Any]) -> JSON:
        name = body["name"]
        if name in self.tokens.entries:
            raise conflict(f"There is a token named {name} already.")
        secret = newSecret()
        scopes = tuple(body["scopes"])
        self.tokens.add(TokenEntry(name, digest(secret), scopes))
        return {"name": name, "scopes": list(scopes), "token": secret}

    def revokeToken(self, name: str) -> JSON:
        if not self.tokens.remove(name):
            raise notFound(f"There is no token named {name}.")
        return {"revoked": name}
