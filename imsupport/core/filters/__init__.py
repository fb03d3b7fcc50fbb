"""
Filters on operators' messages: profanity (R-OPS-3) and internal links (R-OPS-4).

A message with any finding is relayed to nobody; the operator gets it back
with the offending parts marked (``mark``) and can rephrase. Everything here is
pure: the filters read their word lists when built and afterwards only look at
the text they are given, so the relay path can call ``MessageFilter.check``
on every operator message.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from imsupport.core.filters.finding import Finding
from imsupport.core.filters.links import INTERNAL_SUFFIXES, LinkFilter
from imsupport.core.filters.profanity import ProfanityFilter
from imsupport.core.filters.wordlist import Entry, parseWordList

__all__ = ["Entry", "Finding", "INTERNAL_SUFFIXES", "LinkFilter", "MessageFilter",
           "ProfanityFilter", "mark", "parseWordList"]


def mark(text: str, findings: Iterable[Finding], left: str = "[[", right: str = "]]") -> str:
    """``text`` with every offending part wrapped in ``left``/``right``.

    Overlapping findings (a rude word inside an internal link) are wrapped once,
    as one part, so the markers always pair up.
    """
    spans: list[list[int]] = []
    for finding in sorted(findings, key=lambda f: (f.start, f.end)):
        if spans and finding.start < spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], finding.end)
        else:
            spans.append([finding.start, finding.end])
    pieces: list[str] = []
    position = 0
    for start, end in spans:
        pieces += [text[position:start], left, text[start:end], right]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


class MessageFilter:
    def __init__(self, profanity: ProfanityFilter, links: LinkFilter) -> None:
        self.profanity = profanity
        self.links = links

    @classmethod
    def fromConfig(cls, internal_domains: Sequence[str], profanity_allow: Iterable[str],
                   extra_word_files: Iterable[str | Path] = ()) -> MessageFilter:
        """The filter for a [filters] configuration table; reads the word lists now."""
        return cls(ProfanityFilter.fromFiles(extra_word_files, profanity_allow),
                   LinkFilter(internal_domains))

    def check(self, text: str) -> list[Finding]:
        """Every finding in ``text``, by position; empty means the message may go."""
        findings = self.profanity.check(text) + self.links.check(text)
        return sorted(findings, key=lambda f: (f.start, f.end, f.kind))

    mark = staticmethod(mark)
