"""
Web chat visitors (R-CLI-3): their addresses and the tokens their browsers
keep.

A visitor is just another client address to the core: the escaped,
lower-cased name they gave (at most NAME_CHARS characters), a dot and ten
random characters, under ``web.invalid`` (core/display.py shows it to
operators as ``name (web chat id)``). Nothing secret is in it.

The token is ``{address, base64url}.{signature}``: the signature is an
HMAC-SHA256 of the address with a key derived from ``[xmpp] secret`` for
this purpose alone (as core/links.py does for transcript links). Nothing is
stored per visitor, tokens survive restarts, and a forged or altered token
names nobody.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import unicodedata

from imsupport.core.display import WEB_DOMAIN, escapeLocal, visitorParts

NAME_CHARS = 40
DEFAULT_NAME = "visitor"
ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
ID_CHARS = 10
MAX_TOKEN = 512  # characters; longer ones are not even decoded
_PURPOSE = b"imsupport web chat visitors v1"
_SIGNATURE_BYTES = 18  # 144 bits: 24 URL-safe characters


def cleanName(raw: str) -> str:
    """The name as the address keeps it: NFC, no control or format
    characters, spaces collapsed, lower case, at most NAME_CHARS."""
    text = unicodedata.normalize("NFC", raw)
    text = "".join(" " if c.isspace() else c for c in text
                   if c.isspace() or not unicodedata.category(c).startswith("C"))
    text = " ".join(text.split()).lower()[:NAME_CHARS].strip()
    return text or DEFAULT_NAME


def newAddress(name: str) -> str:
    """A fresh visitor address for someone who calls themselves ``name``."""
    visitor = "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_CHARS))
    return f"{escapeLocal(cleanName(name))}.{visitor}@{WEB_DOMAIN}"


def isVisitor(address: str) -> bool:
    return visitorParts(address) is not None


def deriveKey(secret: str) -> bytes:
    """A key for visitor tokens only: a token says nothing about ``secret``."""
    return hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class VisitorTokens:
    def __init__(self, key: bytes) -> None:
        self.key = key

    def _sign(self, address: bytes) -> str:
        return _encode(hmac.new(self.key, address, hashlib.sha256).digest()[:_SIGNATURE_BYTES])

    def token(self, address: str) -> str:
        raw = address.encode()
        return f"{_encode(raw)}.{self._sign(raw)}"

    def address(self, token: str) -> str | None:
        """The visitor a token names, or None for anything this service did
        not make (checked in constant time)."""
        if not token or len(token) > MAX_TOKEN:
            return None
        encoded, dot, signature = token.partition(".")
        if not dot or not encoded:
            return None
        try:
            raw = _decode(encoded)
        except (binascii.Error, ValueError):
            return None
        if _encode(raw) != encoded:  # one spelling only: junk the decoder skips is no token
            return None
        if not hmac.compare_digest(self._sign(raw).encode(),
                                   signature.encode(errors="replace")):
            return None
        try:
            address = raw.decode()
        except UnicodeDecodeError:
            return None
        return address if isVisitor(address) else None
