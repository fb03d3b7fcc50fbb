"""
The "skeleton" of a message: the form the profanity patterns are matched against.

People who want a rude word through a filter disguise it in ways a reader still
sees through: capitals, letters from the other alphabet, accents, invisible
characters, dots or spaces between letters, stretched letters, stars for
letters. The skeleton undoes the cheap part of that once per message, so the
word-list patterns stay simple and the hot path stays one regex scan:

- case, accents and compatibility forms are folded ("Ｆúck" -> "fuck"; "ё" -> "е",
  "й" -> "и", because people write them interchangeably);
- masking symbols ``* _ #`` all become ``*`` (a pattern letter may be a mask);
- words spelled out with separators are joined: "f.u.c.k", "х-у-й", "f u c k",
  "fu\u200bck" (see ``_joins`` for when, and why not always);
- runs of one character are cut to three, which keeps "fuuuuuuck" and a
  thousand stars cheap to match while "ass" keeps its double letter;
- everything between words becomes one space.

Look-alike letters (Latin "x" for Cyrillic "х", "0" for "o") are NOT folded
here: the patterns compile each letter into the set of characters that can
stand for it (see ``wordlist.py``), because "3" may be "е" or "з" and only the
pattern knows which one it needs.

``origin[i]`` is the index in the original text of skeleton character ``i``, so
a match in the skeleton maps back to exactly what the operator typed.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MASK = "*"
MASKS = "*_#"
# Characters that mean "nothing is here" to a reader: zero-width spaces and
# joiners, the soft hyphen, the Mongolian vowel separator, the BOM. A word with
# one of these inside is still one word.
INVISIBLE = "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"
_GLUE = "\x00"  # what invisible characters fold to: a separator that always joins
# Symbols people put between the letters of a spelled-out word. Not the
# apostrophe: it joins contractions, and "who're" is not "whore".
SEPARATORS = frozenset(".-~^\",:;/\\+=" + "\u2010\u2011\u2012\u2013\u2014\u00b7\u2022")
# Besides letters and digits, characters that can stand for a letter or mask one.
_LETTERLIKE = re.escape("*#@$!|€¢")
_CHUNK = re.compile(rf"[\w{_LETTERLIKE}]+")
_LONG_RUN = re.compile(r"(.)\1{3,}", re.DOTALL)
MAX_RUN = 3


class _Fold(dict[int, str]):
    """A ``str.translate`` table computed on first use of each character.

    Building it lazily keeps construction cheap and covers every script;
    ``str.translate`` then folds a whole message in C.
    """

    def __missing__(self, code: int) -> str:
        folded = foldChar(chr(code))
        self[code] = folded
        return folded


def foldChar(char: str) -> str:
    """One character as the skeleton sees it; always one character long."""
    if char in MASKS:
        return MASK
    if char in INVISIBLE or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return _GLUE
    decomposed = unicodedata.normalize("NFKD", char)
    base = decomposed[:1]
    if base and all(unicodedata.category(c) == "Mn" for c in decomposed[1:]):
        char = base
    lower = char.lower()
    return lower if len(lower) == 1 else char


FOLD = _Fold()


def fold(text: str) -> str:
    """``text`` with case, accents and masks folded, character for character."""
    return text.translate(FOLD)


@dataclass(frozen=True)
class Skeleton:
    original: str
    text: str
    origin: list[int]

    def originalSpan(self, start: int, end: int) -> tuple[int, int]:
        """The original text's span behind skeleton characters [start, end)."""
        return self.origin[start], self.origin[end - 1] + 1


def _joins(gap: str, before: int, after: int) -> bool:
    """Whether the chunks either side of ``gap`` are one word in disguise.

    Joining every "a.b" would merge ordinary words ("shop.example",
    "кто-нибудь") into strings where a root could straddle the seam, so it is
    kept to the shapes of spelling out: a short run of separators next to a
    chunk of one or two characters ("f.u.c.k", "fu-ck", "пи-з-дец"), or
    whitespace between single characters ("f u c k", "х у й"). Invisible
    characters always join: the reader sees one word.
    """
    visible = gap.replace(_GLUE, "")
    if not visible:
        return True
    if len(visible) > 3 or not all(c in SEPARATORS or c.isspace() for c in visible):
        return False
    if any(c.isspace() for c in visible):
        return before == 1 and after == 1
    return min(before, after) <= 2


def skeleton(text: str) -> Skeleton:
    folded = text.translate(FOLD)
    parts: list[str] = []
    origin: list[int] = []
    previousEnd = -1
    previousLength = 0
    for chunk in _CHUNK.finditer(folded):
        start, end = chunk.span()
        if parts and not _joins(folded[previousEnd:start], previousLength, end - start):
            parts.append(" ")
            origin.append(previousEnd)
        parts.append(chunk.group())
        origin.extend(range(start, end))
        previousEnd, previousLength = end, end - start
    joined = "".join(parts)
    if _LONG_RUN.search(joined):
        return _capRuns(text, joined, origin)
    return Skeleton(text, joined, origin)


def _capRuns(original: str, text: str, origin: list[int]) -> Skeleton:
    """Cut runs of one character to MAX_RUN; rare, so a plain loop is fine."""
    keptText: list[str] = []
    keptOrigin: list[int] = []
    run = 0
    for i, char in enumerate(text):
        run = run + 1 if i and text[i - 1] == char else 1
        if run <= MAX_RUN:
            keptText.append(char)
            keptOrigin.append(origin[i])
    return Skeleton(original, "".join(keptText), keptOrigin)
