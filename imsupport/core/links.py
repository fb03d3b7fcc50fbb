"""
Links to whole chats (R-CMD-2's "links to full logs"): what ``!history``
and a returning client's note give operators, so one click shows an earlier
chat as a transcript, in any browser, with no log-in of its own.

A link is a capability: ``{public_url}/t/{chat}/{expires}/{signature}``,
the signature an HMAC-SHA256 of the chat id and expiry (Unix seconds, the
end of a UTC day, so every link to one chat made on one day is the same).
Nothing is stored per link: the key is derived from a secret the service
already keeps (``[xmpp] secret``), so links survive restarts and all stop
working when that secret changes. Checked in constant time; an expired or
altered link is refused.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import math

from twisted.internet.interfaces import IReactorTime

LIFETIME = 30 * 86400.0  # seconds a link works ([web] transcript_link_lifetime)
DAY = 86400
_PURPOSE = b"imsupport transcript links v1"
_SIGNATURE_BYTES = 18  # 144 bits: 24 URL-safe characters


def deriveKey(secret: str) -> bytes:
    """A key for links only, so a link never reveals anything about ``secret``."""
    return hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()


class TranscriptLinks:
    def __init__(self, key: bytes, public_url: str, clock: IReactorTime,
                 lifetime: float = LIFETIME) -> None:
        self.key = key
        self.base = public_url.rstrip("/")
        self.clock = clock
        self.lifetime = lifetime

    def _sign(self, chat_id: int, expires: int) -> str:
        mac = hmac.new(self.key, f"{chat_id}.{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:_SIGNATURE_BYTES]).decode()

    def path(self, chat_id: int) -> str:
        expires = math.ceil((self.clock.seconds() + self.lifetime) / DAY) * DAY
        return f"/t/{chat_id}/{expires}/{self._sign(chat_id, expires)}"

    def url(self, chat_id: int) -> str:
        return self.base + self.path(chat_id)

    def check(self, chat_id: int, expires: int, signature: str) -> bool:
        """True for a link this service made that has not expired yet."""
        if expires <= self.clock.seconds() or chat_id < 0:
            return False
        return hmac.compare_digest(self._sign(chat_id, expires).encode(),
                                   signature.encode(errors="replace"))
