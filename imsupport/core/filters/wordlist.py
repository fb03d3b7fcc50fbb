"""
Word-list files and how their entries become patterns over a message's skeleton.

The format (also documented at the top of every shipped list, so an admin
writing an extra file has it at hand)::

    # a comment; blank lines are ignored
    fuck        a word BEGINNING with the root: fuck, fucking, fucker
    *fuck       the root ANYWHERE in a word: motherfucker, clusterfuck
    =cock       the WHOLE word only: "cock", not "cocktail" or "cockpit"
    пид[ао]р    [...] is any one of the letters: пидор, пидар
    от[ъь]?еб   ? after a letter or [...] makes it optional: отъебись, отьебись, отебись
    !wankel     an EXCEPTION (same forms), matched as written, without repeats
                or masks: a root's match inside its match is not profane
                ("!сукк?улент" saves "суккуленты", "!*shita" saves "Matsushita")

Entries are written in plain lower-case letters; case, ё/е and й/и do not matter.
Every letter also matches its look-alikes from the other alphabet and the
digits and symbols used for it (``LOOKALIKES``), any number of repeats of
itself ("fuuuck"), and, except for the first letter, a masking ``*``, ``_`` or
``#``. Doubled letters in an entry must stay doubled ("ass" does not match "as").

Why prefixes and whole words and not just substrings: most short roots also
occur inside ordinary words ("еб" in "хлеб", "небо", "требуется"; "cock" in
"cocktail"; "cunt" in "Scunthorpe"), so a list says where in a word its roots
may stand, and exceptions cover what is left.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from imsupport.core.filters.skeleton import MASK, SPACED, foldChar

DEFAULT_LISTS = ("profanity-ru.txt", "profanity-en.txt")

# What can stand for each letter besides itself: the other alphabet's
# look-alikes, leetspeak digits and symbols, and a few letters people swap in
# when mixing transliteration with Cyrillic ("бlяdь"). Not "l" for "i": with
# repeats allowed, "tilts" would read as "tits".
LOOKALIKES: dict[str, str] = {
    "a": "а@4", "b": "вь68", "c": "с¢", "d": "ԁ", "e": "е3€є", "g": "96",
    "h": "н", "i": "і1!|", "k": "к", "l": "1|!", "m": "м", "n": "п",
    "o": "о0", "p": "р", "r": "г", "s": "$5ѕ", "t": "т7", "u": "иv",
    "w": "ш", "x": "х", "y": "у",
    "а": "a@4", "б": "6", "в": "b8", "г": "r", "д": "dg", "е": "e3€є",
    "з": "3z", "и": "uiі", "к": "k", "л": "l", "м": "m", "н": "h", "о": "o0",
    "п": "n", "р": "p", "с": "c¢", "т": "t7", "у": "y", "х": "x", "ч": "4",
    "ш": "w", "ь": "b", "ъ": "b", "я": "9",
}

PREFIX, ANYWHERE, WORD = "prefix", "anywhere", "word"
NOT_AFTER_LETTER = r"(?<![^\W\d_])"
NOT_BEFORE_LETTER = r"(?![^\W\d_])"
_ITEM = re.compile(r"(\[[^\]\s]+\]|[^\W\d_])(\??)")


@dataclass(frozen=True)
class Entry:
    rule: str        # the entry as written, reported as Finding.rule
    form: str        # PREFIX, ANYWHERE or WORD
    exception: bool
    cyrillic: bool   # the alphabet it is written in (see ProfanityFilter on why it matters)
    head: str        # the regex for the first letter...
    rest: str        # ...and for the rest, end anchor included; split for ``patternTree``
    first: str       # the characters a match can start with
    source: str      # "file:line", for error messages and tests

    @property
    def pattern(self) -> str:
        """The complete regex, anchored as the entry's form says."""
        body = self.head + self.rest
        return body if self.form == ANYWHERE else NOT_AFTER_LETTER + body


def patternTree(entries: Sequence[Entry]) -> str:
    """One regex matching wherever any of ``entries`` (all of one anchoring) does.

    Entries are grouped by their first letter so that at each position the
    regex engine tests a few dozen character sets and goes deeper only where
    one fits. Every branch starts with a plain character set, which CPython's
    engine rejects without backtracking state: with one group per entry the
    same scan is ten times slower. Which entry matched is found afterwards,
    and only for a hit.
    """
    groups: dict[str, list[str]] = {}
    for entry in entries:
        groups.setdefault(entry.head, []).append(entry.rest)
    # The second letter's optional SPACED mark is shared: taken out of the
    # branches, it lets them start with a plain set too.
    mark = re.escape(SPACED) + "?"
    branches = []
    for head, rests in groups.items():
        shared = [rest[len(mark):] for rest in rests if rest.startswith(mark)]
        alternatives = [rest for rest in rests if not rest.startswith(mark)]
        if shared:
            alternatives.insert(0, mark + "(?:" + "|".join(shared) + ")")
        branches.append(head + "(?:" + "|".join(alternatives) + ")")
    return "|".join(branches)


def _charClass(letters: Iterable[str], lookalikes: bool, mask: bool) -> str:
    chars = set(letters)
    if lookalikes:
        for letter in letters:
            chars.update(LOOKALIKES.get(letter, ""))
    if mask:
        chars.add(MASK)
    return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"


def _body(items: list[tuple[str, bool]], form: str, exception: bool) -> tuple[str, str]:
    """The regex for a parsed entry, as (first letter, rest): each letter
    repeatable, doubles kept double.

    Exceptions match only as written, without look-alikes, repeats or masks:
    they spare ordinary words, and neither "w*a*n*k*e*r" nor "twaaattt" nor
    "shitsville" is "Wankel", "Twatt" or "-shitsu".
    """
    parts: list[str] = []
    i = 0
    while i < len(items):
        letters, optional = items[i]
        count = 1
        while (not optional and i + count < len(items)
               and items[i + count] == (letters, False)):
            count += 1
        letterClass = _charClass(letters, lookalikes=not exception,
                                 mask=bool(parts) and not exception)
        exact = letterClass * count
        if exception:
            parts.append(f"(?:{exact})?" if optional else exact)
        else:
            # "[f]+" is written "[f][f]*" so that branches start with a plain
            # set; letters spelled out one by one may have a SPACED mark between.
            spaced = re.escape(SPACED) + "?" if parts else ""
            exact = (spaced + letterClass) * count
            parts.append(f"(?:{exact}{letterClass}*)?" if optional else exact + letterClass + "*")
        i += count
    head, rest = parts[0], "".join(parts[1:])
    if form == ANYWHERE and not exception:
        # Start only where a run of the first letter starts: tried from every
        # position of "aaaa...", "*asshole" would cost time growing with the
        # square of the run; from its start the run is read once.
        # The check comes after the first letter so that the branch still
        # starts with a plain set (see ``patternTree``).
        firstClass = head[:head.index("]") + 1]
        head = firstClass + f"(?<!{firstClass}.)" + head[len(firstClass):]
    return head, rest + NOT_BEFORE_LETTER if form == WORD else rest


def parseEntry(line: str, source: str) -> Entry:
    rule = line
    exception = line.startswith("!")
    line = line[1:] if exception else line
    form = {"*": ANYWHERE, "=": WORD}.get(line[:1], PREFIX)
    line = line[1:] if form != PREFIX else line
    folded = "".join(foldChar(c) for c in line)
    items: list[tuple[str, bool]] = []
    position = 0
    for item in _ITEM.finditer(folded):
        if item.start() != position:
            break
        letters = item.group(1).strip("[]")
        if not all(c.isalpha() for c in letters):
            break
        items.append(("".join(sorted(set(letters))), bool(item.group(2))))
        position = item.end()
    if position != len(folded) or not items:
        raise ValueError(f"{source}: cannot read word-list entry {rule!r}; "
                         "expected letters, [letters] and ?, after an optional ! and * or =")
    if items[0][1] or sum(not optional for _, optional in items) < 2:
        raise ValueError(f"{source}: entry {rule!r} is too short or starts with an "
                         "optional letter; it would block ordinary words")
    cyrillic = any("\u0400" <= c <= "\u04ff" for c in folded)
    head, rest = _body(items, form, exception)
    first = items[0][0] + ("" if exception else "".join(LOOKALIKES.get(c, "") for c in items[0][0]))
    return Entry(rule, form, exception, cyrillic, head, rest, first, source)


def parseWordList(text: str, source: str) -> list[Entry]:
    """Entries of one word-list file; a bad line is an error naming file and line."""
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if line:
            entries.append(parseEntry(line, f"{source}:{number}"))
    return entries


def loadWordList(path: str | Path) -> list[Entry]:
    """An admin's extra list. Read once, when the filter is built."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"cannot read word list {path}: {e}") from None
    return parseWordList(text, str(path))


def defaultWordLists() -> list[Entry]:
    """The lists shipped in imsupport/data/filters."""
    root = resources.files("imsupport") / "data" / "filters"
    entries: list[Entry] = []
    for name in DEFAULT_LISTS:
        entries.extend(parseWordList((root / name).read_text("utf-8"), name))
    return entries
