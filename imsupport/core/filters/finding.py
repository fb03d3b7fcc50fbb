"""What a filter reports: one offending part of an operator's message."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """An offending part of a message, as the operator typed it.

    ``start``/``end`` index the original text (not any normalised form), so the
    notice sent back can mark exactly what the operator wrote, look-alike letters
    and separators included.
    """
    kind: str   # "profanity" or "internal_link"
    start: int
    end: int
    text: str   # the original substring text[start:end]
    rule: str   # what matched: a word-list entry ("*fuck") or a link rule ("private IPv4")
