"""
A webhook delivery's body and headers, signed the Standard Webhooks way with
its reference implementation, so that every receiver's verifier agrees.
"""
from __future__ import annotations

import datetime
import json

from standardwebhooks import Webhook as Signer

from imsupport.core.events import HookEvent


def isoTime(at: float) -> str:
    return datetime.datetime.fromtimestamp(at, datetime.UTC).isoformat()


def body(event: HookEvent) -> str:
    """``{"type", "timestamp", "data"}``: the same text on every attempt."""
    return json.dumps({"type": event.type, "timestamp": isoTime(event.at), "data": event.data},
                      ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def headers(secret: str, event: HookEvent, text: str, now: float) -> dict[str, str]:
    """``webhook-id`` is the event's id on every attempt; the timestamp and
    the signature are of this attempt (receivers refuse old timestamps)."""
    stamp = datetime.datetime.fromtimestamp(int(now), datetime.UTC)
    return {"content-type": "application/json",
            "webhook-id": event.id,
            "webhook-timestamp": str(int(now)),
            "webhook-signature": Signer(secret).sign(event.id, stamp, text)}
