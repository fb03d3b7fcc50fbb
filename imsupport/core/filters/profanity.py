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
from imsupport.core.filters.skeleton import MASK, SPACED, fold, skeleton, skeletonText, wordBounds
from imsupport.core.filters.wordlist import (
    ANYWHERE,
    NOT_AFTER_LETTER,
    Entry,
    defaultWordLists,
    loadWordList,
    patternTree,
)

# Characters of a word that are not part of the rude word itself when they
# stand at its edges: "**fuck**!!" is marked as "fuck".
_EDGE = MASK + "!|"


def _isCyrillic(char: str) -> bool:
    return "\u0400" <= char <= "\u04ff"


def _canonical(word: str) -> str:
    """A word as the allow list compares it: folded, letters and digits only."""
    return "".join(c for c in fold(word) if c.isalnum())


class _Scan:
    """Entries of one anchoring: a tree regex to find hits fast, and each entry
    compiled alone to tell, for a hit, which entry it was."""

    def __init__(self, entries: Sequence[Entry], anchored: bool) -> None:
        self.entries = list(entries)
        self._single: dict[int, re.Pattern[str]] = {}
        # Entries by the characters they can start with, in list order.
        self.startingWith: dict[str, list[int]] = {}
        for index, entry in enumerate(self.entries):
            for char in set(entry.first):
                self.startingWith.setdefault(char, []).append(index)
        tree = patternTree(self.entries)
        # One look at the character ahead, against every character any entry
        # can start with, turns most positions away before the tree is tried.
        starts = "".join(re.escape(c) for c in sorted(self.startingWith))
        prefix = (NOT_AFTER_LETTER if anchored else "") + f"(?=[{starts}])"
        # An alternation that can never match keeps an empty list harmless.
        self.regex = re.compile(f"{prefix}(?:{tree})" if tree else r"(?!)")

    def single(self, index: int) -> re.Pattern[str]:
        """Entry ``index`` alone, compiled on its first hit: most never have
        one, and compiling them all would double the time to start."""
        regex = self._single.get(index)
        if regex is None:
            regex = self._single[index] = re.compile(self.entries[index].pattern)
        return regex


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
        # The hot path: most messages are clean, and saying so takes one
        # skeleton built in C and two regex scans. Which entry matched is
        # asked only on a hit, and where it is in the original text only for
        # a hit that stands.
        sk = skeletonText(text)
        spans: dict[int, tuple[int, str]] = {}
        for scan in self._scans:
            position = 0
            while (match := scan.regex.search(sk, position)) is not None:
                hit = self._identify(sk, scan, match.start())
                if hit is None:
                    position = match.start() + 1
                    continue
                start, end, rule = hit
                spans.setdefault(start, (end, rule))
                position = end
        if not spans:
            return []
        tracked = skeleton(text)
        findings = []
        for start, (end, rule) in sorted(spans.items()):
            origStart, origEnd = tracked.originalSpan(start, end)
            findings.append(Finding("profanity", origStart, origEnd,
                                    text[origStart:origEnd], rule))
        return findings

    def _identify(self, sk: str, scan: _Scan, start: int) -> tuple[int, int, str] | None:
        """The word and the rule of the first entry, in list order, that
        matches at ``start`` and is not spared by an exception, the allow list
        or the sanity rules."""
        for index in scan.startingWith.get(sk[start], ()):
            match = scan.single(index).match(sk, start)
            if match is not None:
                entry = scan.entries[index]
                word = self._judge(sk, start, match.end(), entry)
                if word is not None:
                    return word[0], word[1], entry.rule
        return None

    def _judge(self, sk: str, start: int, end: int, entry: Entry) -> tuple[int, int] | None:
        """The offending word for a pattern match, or None when it is innocent."""
        matched = sk[start:end]
        letters = [c for c in matched if c.isalpha()]
        if not letters:
            return None  # "455" is a number, not "ass"
        # A Latin entry never matches letters all from the Cyrillic alphabet and
        # vice versa: "шапка" is not "wank" though every letter looks alike, nor
        # "3nt" (bridge) "епт". Mixed alphabets and symbols ("а$$") are disguise.
        if (all(_isCyrillic(c) != entry.cyrillic for c in letters)
                and all(c.isalnum() or c == MASK for c in matched)):
            return None
        wordStart, wordEnd = wordBounds(sk, start, end)
        word = sk[wordStart:wordEnd]
        solid = len(word) - word.count(MASK) - word.count(SPACED)
        # "s***" could be any word; "х**ня" and "a$$" can only be one. "3б" is a
        # school class, not "еб".
        if solid < 2 or (sum(c.isalpha() for c in word) < 2 and solid < 3):
            return None
        for exception in self._exceptions:
            for spared in exception.finditer(sk, wordStart, wordEnd):
                if spared.start() <= start and end <= spared.end():
                    return None
        if self._allow and _canonical(word) in self._allow:
            return None
        while wordStart < start and sk[wordStart] in _EDGE:
            wordStart += 1
        while wordEnd > start + 1 and sk[wordEnd - 1] in _EDGE:
            wordEnd -= 1
        return wordStart, wordEnd
