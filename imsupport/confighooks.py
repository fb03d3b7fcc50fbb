"""
The webhook parts of the configuration file (SPEC 13, 15): ``[hooks]
retry_delays`` and ``[[webhooks]] id, url, secret, events``, checked in the
style of config.py (errors name the key).
"""
from __future__ import annotations

import base64
import binascii
import fnmatch
import re
from dataclasses import dataclass
from typing import Any

from imsupport.configvalues import Bad, Table, httpUrl, listOf, unique, want
from imsupport.core.events import TYPES, Webhook
from imsupport.hooks.deliverer import RETRY_DELAYS

WEBHOOK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
PATTERN = re.compile(r"^[a-z*][a-z.*_]*$")


@dataclass(frozen=True)
class HooksConfig:
    retry_delays: tuple[float, ...] = RETRY_DELAYS  # seconds before each retry


def nonNegativeNumber(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < float("inf"):
        raise want("a non-negative number of seconds", v)
    return float(v)


def _delays(v: Any) -> tuple[float, ...]:
    """Delays may repeat (5, 5, 5): not listOf, which refuses repeats."""
    if not isinstance(v, list):
        raise want("a list of seconds", v)
    out = []
    for i, item in enumerate(v):
        try:
            out.append(nonNegativeNumber(item))
        except Bad as bad:
            raise Bad(str(bad), i) from None
    return tuple(out)


def webhookId(v: Any) -> str:
    if not isinstance(v, str) or not WEBHOOK_ID.fullmatch(v):
        raise want("an id of letters, digits, '.', '_' or '-' (at most 64)", v)
    return v


def secret(v: Any) -> str:
    """The messages never show the value: it is a secret, even when wrong."""
    if not isinstance(v, str) or not v.startswith("whsec_"):
        raise Bad("must be a secret like whsec_<base64 key> (value not shown)")
    try:
        key = base64.b64decode(v[len("whsec_"):], validate=True)
    except (binascii.Error, ValueError):
        raise Bad("must be whsec_ followed by base64 (value not shown)") from None
    if len(key) < 16:
        raise Bad("must hold a key of at least 16 bytes (24 or more recommended)")
    return v


def pattern(v: Any) -> str:
    if not isinstance(v, str) or not PATTERN.fullmatch(v):
        raise want('an event type or pattern ("chat.*", "operator.state", "*")', v)
    if not any(fnmatch.fnmatchcase(t, v) for t in TYPES):
        raise Bad(f"matches no event type (types: {', '.join(TYPES)})")
    return v


def readHooks(t: Table) -> HooksConfig:
    return t.build(HooksConfig, retry_delays=_delays)


def readWebhooks(tables: list[Table]) -> tuple[Webhook, ...]:
    hooks = tuple(t.build(Webhook, id=webhookId, url=httpUrl, secret=secret,
                          events=listOf(pattern, True)) for t in tables)
    unique(tables, "id", [h.id for h in hooks])
    return hooks
