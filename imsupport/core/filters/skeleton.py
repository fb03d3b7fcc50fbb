"""
The "skeleton" of a message: the form the profanity patterns are matched against.

People who want a rude word through a filter disguise it in ways a reader still
sees through: capitals, letters from the other alphabet, accents, invisible
characters, dots or spaces between letters, stretched letters, stars for
letters. The skeleton undoes the cheap part of that once per message, so the
word-list patterns stay simple and the hot path stays a few regex scans:

- case, accents and compatibility forms are folded ("Ｆúck" -> "fuck"; "ё" -> "е",
  "й" -> "и", because people write them interchangeably);
- masking symbols ``* _ #`` all become ``*`` (a pattern letter may be a mask);
- words spelled out with separators are joined: "f.u.c.k", "х-у-й", "fu\u200bck"
  (see ``_joinPattern`` for when, and why not always); letters spaced out
  ("f u c k") and words broken by a hyphen or dot ("пиз-дец") are marked
  with ``SPACED``, which patterns read through (see ``_spacedPattern``);
- runs of masks, digits and a few other characters are cut to three, which
  keeps a thousand stars cheap to match (see ``_LONG_RUN``).

Punctuation between words stays: no pattern matches across it, and the
anchors of the patterns see any non-letter as a word boundary.

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
from collections.abc import Callable
from dataclasses import dataclass

MASK = "*"
MASKS = "*_#"
# Where letters spelled out one by one were apart; patterns let it stand
# between two letters of a word (see ``_spacedPattern``).
SPACED = "\x01"
# Characters that mean "nothing is here" to a reader: zero-width spaces and
# joiners, the soft hyphen, the Mongolian vowel separator, the BOM. A word with
# one of these inside is still one word, so they are dropped.
INVISIBLE = "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"
_GLUE = "\x00"  # what invisible characters fold to, before they are dropped
MAX_RUN = 3

# A word character: letters, digits, the mask and the symbols used for letters.
_W = r"[\w*@$!|€¢]"
# Symbols people put between the letters of a spelled-out word (see
# ``_joinPattern``). Not the apostrophe: it joins contractions, and "who're"
# is not "whore".
_SEP = r"[.\-~^\",:;/\\+=\u2010-\u2014\u00b7\u2022]"
_SEP_OR_SPACE = r"[.\-~^\",:;/\\+=\u2010-\u2014\u00b7\u2022\s]"


def _joinPattern() -> re.Pattern[str]:
    """Separators between chunks that are one word in disguise.

    Joining every "a.b" would merge ordinary words ("shop.example",
    "кто-нибудь") into strings where a root could straddle the seam, so only
    the shapes of spelling out join: up to three separators next to a chunk of
    one or two characters ("f.u.c.k", "fu-ck", "пи-з-дец"). Lookarounds see the
    chunks as they were before any joining.

    The pattern starts with a plain character set so that the engine skips to
    candidate separators in C; the lookbehinds then check the run behind it.
    """
    branches = []
    for extra in range(3):
        seps = _SEP * (extra + 1)
        cases = [
            rf"(?<=(?<!{_W}){_W}{seps})(?={_W})",
            rf"(?<=(?<!{_W}){_W}{_W}{seps})(?={_W})",
            rf"(?<={_W}{seps})(?={_W}{_W}?(?!{_W}))",
        ]
        branches.append(_SEP * extra + "(?:" + "|".join(cases) + ")")
    return re.compile(_SEP + "(?:" + "|".join(branches) + ")")


def _spacedPattern() -> re.Pattern[str]:
    """Letters spaced out: up to three spaces and separators, at least one a
    space, between single characters ("f u c k", "х. у. й").

    Each run becomes a ``SPACED`` mark, not nothing: one-letter words are
    common ("и", "в", "с", "a", "I"), and in "ну и х у й" the rude word must
    still start at "х". Like ``_joinPattern`` the pattern starts at the
    separator so that the engine can skip to candidates in C.
    """
    single = r"(?<!\w)\w"
    branches = []
    for extra in range(3):
        # The run holds a space somewhere (else _joinPattern's rules apply).
        spaceInRun = "|".join(rf"(?<=\s{'.' * back})" for back in range(extra + 1))
        # The lookahead comes first: it fails at once after most spaces.
        branches.append(_SEP_OR_SPACE * extra + rf"(?=\w(?!\w))(?:{spaceInRun})"
                        + rf"(?<={single}{_SEP_OR_SPACE * (extra + 1)})")
    return re.compile(_SEP_OR_SPACE + "(?:" + "|".join(branches) + ")")


_SPACED = _spacedPattern()
_JOIN = _joinPattern()
# A hyphen or dot left between two longer chunks ("пиз-дец", "fuc.king", but
# also "кто-нибудь", "shop.example"): a seam, marked like spaced letters, so a
# word broken in two is still seen whole while the second part still starts
# a word of its own.
_SEAM = re.compile(rf"[-.](?<={_W}.)(?={_W})")
_NOT_WORD = re.compile(r"[^\w*@$!|€¢]")
_WORD_END = re.compile(rf"[^\w*@$!|€¢{SPACED}]")
_INVISIBLE_RUN = re.compile(_GLUE + "+")
# Runs that could make a pattern slow to match: of characters that stand for
# two neighbouring letters of one entry (masks stand for any letter; "3" for
# "е" and "з"; "b" for "в" and "ь"; "v" for "u" and "v"). Runs of anything else
# are matched in linear time and stay, so that only these cost a scan.
_LONG_RUN = re.compile(r"([*\d@$!|€¢bv])\1{3,}")


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


# Characters whose fold is their lower case, or one of the replacements in
# ``fold``: ASCII, the Russian alphabet and the punctuation of Russian texts.
_PLAIN = re.compile(r"[^\x00-\x7fа-яё«»—–…№₽’‘“”„°×€\xa0]")
_REPLACEMENTS = (("ё", "е"), ("й", "и"), ("_", MASK), ("#", MASK), ("\xa0", " "))


def fold(text: str) -> str:
    """``text`` with case, accents and masks folded, character for character.

    ``str.translate`` looks each character up in a Python dict, which costs
    more than all the rest of a check on a Russian message; ``lower`` and a few
    ``replace`` calls give the same result for ordinary text, and the table
    serves the rest.
    """
    lower = text.lower()
    if len(lower) != len(text) or _PLAIN.search(lower):
        return text.translate(FOLD)
    for old, new in _REPLACEMENTS:
        lower = lower.replace(old, new)
    return lower


def skeletonText(text: str) -> str:
    """The skeleton alone, built in C: what the hot path scans.

    ``skeleton`` builds the same text step by step with the origin of each
    character, which is only needed once something matched.
    """
    text = _SPACED.sub(SPACED, fold(text).replace(_GLUE, ""))
    text = _SEAM.sub(SPACED, _JOIN.sub("", text))
    return _LONG_RUN.sub(r"\1\1\1", text)


def wordBounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The word of a skeleton around [start, end): the run of word characters.

    When [start, end) is itself spelled out, the letters spelled out after it
    belong to the word too ("п и з д" is in "п и з д е ц"); those before do
    not, since one-letter words are common ("и х у й").
    """
    after = (_WORD_END if SPACED in text[start:end] else _NOT_WORD).search(text, end)
    while start > 0 and not _NOT_WORD.match(text, start - 1):
        start -= 1
    return start, len(text) if after is None else after.start()


@dataclass(frozen=True)
class Skeleton:
    text: str
    origin: list[int]

    def originalSpan(self, start: int, end: int) -> tuple[int, int]:
        """The original text's span behind skeleton characters [start, end)."""
        return self.origin[start], self.origin[end - 1] + 1


def _rewrite(pattern: re.Pattern[str], text: str, origin: list[int],
             keep: Callable[[re.Match[str]], str]) -> tuple[str, list[int]]:
    """Replace each match by what ``keep`` says: a prefix of the match or one
    character standing for it; either way the origins stay those of the match."""
    pieces: list[str] = []
    origins: list[int] = []
    position = 0
    for match in pattern.finditer(text):
        start = match.start()
        pieces.append(text[position:start])
        origins.extend(origin[position:start])
        kept = keep(match)
        pieces.append(kept)
        origins.extend(origin[start:start + len(kept)])
        position = match.end()
    pieces.append(text[position:])
    origins.extend(origin[position:])
    return "".join(pieces), origins


def _nothing(match: re.Match[str]) -> str:
    return ""


def _spacedMark(match: re.Match[str]) -> str:
    return SPACED


def _three(match: re.Match[str]) -> str:
    return match.group()[:MAX_RUN]


def skeleton(text: str) -> Skeleton:
    """``skeletonText`` with the origin of every character."""
    current, origin = fold(text), list(range(len(text)))
    for pattern, keep in ((_INVISIBLE_RUN, _nothing), (_SPACED, _spacedMark), (_JOIN, _nothing),
                          (_SEAM, _spacedMark), (_LONG_RUN, _three)):
        current, origin = _rewrite(pattern, current, origin, keep)
    return Skeleton(current, origin)
