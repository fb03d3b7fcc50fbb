"""
Profanity in operators' messages (R-OPS-3).

Built once from word lists (the shipped Russian and English ones plus any an
admin adds) and an allow list; ``check`` is then a pure function of the text,
fast enough for the relay path: one skeleton per message and two regex scans,
one for entries anchored at a word start and one for entries that may stand
anywhere in a word. Exceptions and the allow list are consulted only on a hit.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from imsupport.core.filters.finding import Finding
from imsupport.core.filters.skeleton import MASK, Skeleton, fold, skeleton
from imsupport.core.filters.wordlist import (
    ANYWHERE, NOT_AFTER_LETTER, Entry, defaultWordLists, loadWordList)

# Characters of a word that are not part of the rude word itself when they
# stand at its edges: "**fuck!!" is marked as "fuck".
_EDGE = MASK + "!|"


def _isCyrillic(char: str) -> bool:
    return "\u0400" <= char <= "\u04ff"


def _canonical(word: str) -> str:
    """A word as the allow list compares it: folded, letters and digits only."""
    return "".join(c for c in fold(word) if c.isalnum())


class _Scan:
    """Entries compiled into one alternation, one capturing group per entry."""

    def __init__(self, entries: Sequence[Entry], anchored: bool) -> None:
        self.entries = list(entries)
        self.single = [re.compile(e.pattern) for e in self.entries]
        bodies = "|".join(f"({e.body})" for e in self.entries)
        prefix = NOT_AFTER_LETTER if anchored else ""
        # An alternation that can never match keeps an empty list harmless.
        self.regex = re.compile(f"{prefix}(?:{bodies})" if bodies else r"(?!)")


class ProfanityFilter:
    def __init__(self, entries: Iterable[Entry], allow: Iterable[str] = ()) -> None:
        entries = list(entries)
        roots = [e for e in entries if not e.exception]
        self._scans = (_Scan([e for e in roots if e.form != ANYWHERE], anchored=True),
                       _Scan([e for e in roots if e.form == ANYWHERE], anchored=False))
        self._exceptions = [re.compile(e.pattern) for e in entries if e.exception]
        self._allow = frozenset(filter(None, (_canonical(w) for w in allow)))

    @classmethod
    def fromFiles(cls, extraFiles: Iterable[str | Path] = (), allow: Iterable[str] = (),
                  defaults: bool = True) -> ProfanityFilter:
        """The shipped lists (unless ``defaults`` is false) plus an admin's files.

        Files are read here, once; a missing file or a bad entry is a
        ValueError naming the file and line, for the admin to fix at startup.
        """
        entries = defaultWordLists() if defaults else []
        for path in extraFiles:
            entries.extend(loadWordList(path))
        return cls(entries, allow)

    def check(self, text: str) -> list[Finding]:
        sk = skeleton(text)
        found: dict[int, Finding] = {}
        for scan in self._scans:
            position = 0
            while (match := scan.regex.search(sk.text, position)) is not None:
                start = match.start()
                entry = scan.entries[match.lastindex - 1]  # type: ignore[operator]
                finding = self._judge(sk, start, match.end(), entry)
                if finding is None:
                    finding = self._retry(sk, scan, start, match.lastindex - 1)  # type: ignore[operator]
                if finding is None:
                    position = start + 1
                    continue
                found.setdefault(finding.start, finding)
                position = _wordBounds(sk.text, start, start + 1)[1]
        return sorted(found.values(), key=lambda f: (f.start, f.end))

    def _retry(self, sk: Skeleton, scan: _Scan, start: int, rejected: int) -> Finding | None:
        """Another entry matching where a rejected one did; rare, so a plain loop."""
        for index, regex in enumerate(scan.single):
            match = regex.match(sk.text, start) if index != rejected else None
            if match is not None:
                finding = self._judge(sk, start, match.end(), scan.entries[index])
                if finding is not None:
                    return finding
        return None

    def _judge(self, sk: Skeleton, start: int, end: int, entry: Entry) -> Finding | None:
        """The finding for a pattern match, or None when the match is innocent."""
        matched = sk.text[start:end]
        letters = [c for c in matched if c.isalpha()]
        if not letters:
            return None  # "455" is a number, not "ass"
        # A Latin entry never matches letters all from the Cyrillic alphabet and
        # vice versa: "шапка" is not "wank" though every letter looks alike, nor
        # "3nt" (bridge) "епт". Mixed alphabets and symbols ("а$$") are disguise.
        if (all(_isCyrillic(c) != entry.cyrillic for c in letters)
                and all(c.isalnum() or c == MASK for c in matched)):
            return None
        wordStart, wordEnd = _wordBounds(sk.text, start, end)
        word = sk.text[wordStart:wordEnd]
        solid = len(word) - word.count(MASK)
        # "s***" could be any word; "х**ня" and "a$$" can only be one. "3б" is a
        # school class, not "еб".
        if solid < 2 or (sum(c.isalpha() for c in word) < 2 and solid < 3):
            return None
        for exception in self._exceptions:
            for spared in exception.finditer(sk.text, wordStart, wordEnd):
                if spared.start() <= start and end <= spared.end():
                    return None
        if self._allow and _canonical(sk.text[wordStart:wordEnd]) in self._allow:
            return None
        while wordStart < start and sk.text[wordStart] in _EDGE:
            wordStart += 1
        while wordEnd > end and sk.text[wordEnd - 1] in _EDGE:
            wordEnd -= 1
        origStart, origEnd = sk.originalSpan(wordStart, wordEnd)
        return Finding("profanity", origStart, origEnd, sk.original[origStart:origEnd],
                       entry.rule)


def _wordBounds(text: str, start: int, end: int) -> tuple[int, int]:
    wordEnd = text.find(" ", end)
    return text.rfind(" ", 0, start) + 1, len(text) if wordEnd < 0 else wordEnd
