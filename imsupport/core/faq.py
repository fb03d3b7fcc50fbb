"""
Finding the prepared answer an operator needs (R-CMD-3 ``!faq <id>``,
R-CMD-4 ``!sfaq <words>``) while a client is waiting.

Operators type a few words mid-conversation, in Russian, English or both,
in whatever word form comes to mind, often before they have finished the
last word. So the search is forgiving where typing is sloppy (case, "ё",
punctuation, word forms, an unfinished last word) and strict where order
matters: the same query over the same FAQ always gives the same hits in
the same order, so "the second one" means the same thing to two operators.

``FaqIndex`` is built once from the directory's entries and never changes;
when an admin edits the FAQ the caller builds a new one (2,000 entries of
a hundred words take about half a second). Everything the ranking needs (BM25F weights per term
and entry) is worked out at build time, so a search is a few dictionary
look-ups and one partial sort. No I/O, no clock, no logging.

Ranking is BM25F over three fields: an entry's tags (with the words of its
id, which admins choose as keywords) weigh most, then its question, then
its answer, since a word in a short, hand-picked field says more about what
the entry is for than the same word somewhere in a long answer. An entry
whose id is typed exactly comes before everything else. The last word
of the query (stop words aside) also matches the words it begins, at a
discount, since the operator may not have finished typing it.
"""
from __future__ import annotations

import bisect
import difflib
import heapq
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from imsupport.core.model import FaqEntry
from imsupport.core.stemming import stem

# (tags and id words, question, answer): see the module docstring for the order.
FIELD_WEIGHTS = (3.0, 2.0, 1.0)
K1 = 1.2  # how fast repeating a word stops adding to the score
B = 0.75  # how much a long field is penalised against the field's average length
PREFIX_MIN = 3  # shorter unfinished words would match half the vocabulary
PREFIX_EXPANSIONS = 20  # completions of the last word kept, most common first
PREFIX_FACTOR = 0.8  # a completion guessed from a prefix counts less than a typed word
SUGGEST_CUTOFF = 0.75  # difflib similarity for "did you mean"

# Words too common to say anything about an entry. Short on purpose: a word
# missing here only costs a little ranking noise, one wrongly here can never
# be searched for.
_STOP_WORDS_TEXT = """
    a an the and or but if of to in on at by for with from about as into is are
    was were be been being do does did have has had i me my we our you your he
    she it its they them their this that these those what which who whom how
    when where why can could will would should not no so than too very just
    there here am dont cant please hi hello
    и в во не что он на я с со как а то все она так его но да ты к у же вы за
    бы по только ее мне было вот от меня еще нет о из ему ли если уже или ни
    быть был него до вас вам там ей они тут где есть ней для мы тебя их чем
    была сам чтобы без себе под будет кто этот того этого это эти эту этой
    при об над про нас них мой моя мою мои ваш ваша ваше ваши наш можно
    здравствуйте привет пожалуйста
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

_APOSTROPHE = re.compile(r"(?<=\w)['’](?=\w)")
_WORD = re.compile(r"[^\W_]+")
_SENTENCE_PUNCTUATION = ".,;:!?\"'«»()"


def normalize(text: str) -> str:
    """Fold the differences nobody means when searching: width, case, "ё"."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return unicodedata.normalize("NFKC", text).replace("ё", "е")


def words(text: str) -> list[str]:
    """Normalised words in order; "don't" and "client's" stay one word."""
    return _WORD.findall(_APOSTROPHE.sub("", normalize(text)))


def _idKey(text: str) -> str:
    return normalize(text.strip())


@dataclass(frozen=True)
class FaqHit:
    """One result; ``matched`` lets the operator see why an unexpected entry came up."""

    entry: FaqEntry
    score: float
    matched: tuple[str, ...]  # the query's words (normalised) that found this entry


@dataclass
class _Slot:
    """One stem of the query: the words typed for it, and the terms they may match."""

    labels: list[str]
    terms: dict[str, float]  # stem -> factor: 1 for the stem itself, less for completions


class FaqIndex:
    """An immutable, ranked search over a FAQ; see the module docstring."""

    __slots__ = ("_byId", "_byLength", "_entries", "_idKeys", "_idRank", "_postings",
                 "_vocabulary", "_vocabularyStems")
    _entries: tuple[FaqEntry, ...]
    _byId: dict[str, int]  # id as typed (case folded) -> entry index
    _postings: dict[str, dict[int, float]]  # stem -> entry index -> weight
    _vocabulary: tuple[str, ...]  # every word of the FAQ, sorted
    _vocabularyStems: tuple[str, ...]  # their stems, in the same order
    _byLength: dict[int, tuple[str, ...]]
    _idKeys: tuple[str, ...]
    _idRank: tuple[int, ...]

    def __init__(self, entries: Iterable[FaqEntry]) -> None:
        items = tuple(entries)
        fieldWords = [_fieldWords(e) for e in items]
        vocabulary = {w: stem(w) for w in {w for ws in fieldWords for f in ws for w in f}}
        fields = [tuple(Counter(map(vocabulary.__getitem__, f)) for f in ws) for ws in fieldWords]
        byId: dict[str, int] = {}
        for i, e in enumerate(items):
            byId.setdefault(_idKey(e.id), i)  # ids differing only in case: the first wins
        surface = tuple(sorted(vocabulary))
        byLength: dict[int, list[str]] = {}
        for w in surface:
            byLength.setdefault(len(w), []).append(w)
        set_ = object.__setattr__
        set_(self, "_entries", items)
        set_(self, "_byId", byId)
        set_(self, "_postings", _postings(fields))
        set_(self, "_vocabulary", surface)
        set_(self, "_vocabularyStems", tuple(vocabulary[w] for w in surface))
        set_(self, "_byLength", {n: tuple(ws) for n, ws in byLength.items()})
        set_(self, "_idKeys", tuple(sorted(byId)))
        order = sorted(range(len(items)), key=lambda i: (items[i].id.casefold(), items[i].id, i))
        rank = [0] * len(items)
        for position, i in enumerate(order):
            rank[i] = position
        set_(self, "_idRank", tuple(rank))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a FaqIndex never changes; build a new one from the new entries")

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def entries(self) -> tuple[FaqEntry, ...]:
        return self._entries

    def lookup(self, id: str) -> FaqEntry | None:
        """The entry ``!faq <id>`` names; operators should not have to remember the id's case."""
        i = self._byId.get(_idKey(id))
        return None if i is None else self._entries[i]

    def search(self, query: str, limit: int = 5) -> list[FaqHit]:
        """The best ``limit`` entries for the query, best first; ties go by id."""
        if limit <= 0 or not self._entries:
            return []
        found = [(slot.labels, self._slotScores(slot)) for slot in self._slots(query)]
        scores = dict(found[0][1]) if found else {}
        for _, slotScores in found[1:]:
            get = scores.get
            for i, value in slotScores.items():
                scores[i] = get(i, 0.0) + value
        typedIds = self._typedIds(query)
        if typedIds:  # an id typed exactly outranks any text match, and the score says so
            top = max(scores.values(), default=0.0)
            for key in typedIds:
                i = self._byId[key]
                scores[i] = top + 1.0 + scores.get(i, 0.0)
            found.insert(0, ([key for key in typedIds], {self._byId[k]: 0.0 for k in typedIds}))
        # Plain tuples compare in C: this is most of a search's time on a big FAQ.
        rank = self._idRank
        best = heapq.nsmallest(limit, [(-score, rank[i], i) for i, score in scores.items()])
        return [FaqHit(self._entries[i], -negated, self._matched(i, found))
                for negated, _, i in best]

    def suggest(self, query: str, limit: int = 3) -> list[str]:
        """Close ids and known words for a query that found nothing ("did you mean")."""
        found: list[str] = []
        key = _idKey(query)
        if key and key not in self._byId:
            for near in difflib.get_close_matches(key, self._idKeys, limit, SUGGEST_CUTOFF):
                found.append(self._entries[self._byId[near]].id)
        for w in words(query):
            if len(w) < PREFIX_MIN or w in STOP_WORDS or stem(w) in self._postings:
                continue
            candidates = [c for n in range(len(w) - 2, len(w) + 3)
                          for c in self._byLength.get(n, ())]
            found.extend(difflib.get_close_matches(w, candidates, limit, SUGGEST_CUTOFF))
        return list(dict.fromkeys(found))[:limit]

    @staticmethod
    def _matched(i: int, found: list[tuple[list[str], dict[int, float]]]) -> tuple[str, ...]:
        """The query words behind entry ``i``'s score, worked out for the few hits shown only."""
        return tuple(dict.fromkeys(w for labels, hits in found if i in hits for w in labels))

    def _typedIds(self, query: str) -> list[str]:
        """Ids typed as whole words of the query, in the order typed ("pay-01," counts too)."""
        found: dict[str, None] = {}
        for part in query.split():
            for key in (_idKey(part), _idKey(part.strip(_SENTENCE_PUNCTUATION))):
                if key in self._byId:
                    found.setdefault(key)
                    break
        return list(found)

    def _slots(self, query: str) -> list[_Slot]:
        """The query's words as stems, one slot per stem, so repeating a word adds nothing."""
        typed = [w for w in words(query) if w not in STOP_WORDS]
        slots: dict[str, _Slot] = {}
        for w in typed:
            key = stem(w)
            slots.setdefault(key, _Slot([], {key: 1.0})).labels.append(w)
        if typed:
            last = slots[stem(typed[-1])]
            for term in self._completions(typed[-1]):
                last.terms.setdefault(term, PREFIX_FACTOR)
        return list(slots.values())

    def _completions(self, prefix: str) -> list[str]:
        """Stems of the known words the unfinished last word may become, the most common first."""
        if len(prefix) < PREFIX_MIN:
            return []
        start = bisect.bisect_left(self._vocabulary, prefix)
        stems: set[str] = set()
        for i in range(start, len(self._vocabulary)):
            if not self._vocabulary[i].startswith(prefix):
                break
            stems.add(self._vocabularyStems[i])
        ranked = sorted(stems, key=lambda s: (-len(self._postings.get(s, ())), s))
        return ranked[:PREFIX_EXPANSIONS]

    def _slotScores(self, slot: _Slot) -> dict[int, float]:
        """Per entry, the best of the slot's terms: completions must not add up.

        The slot's own stem comes first with factor 1, so a slot without
        completions is just that stem's postings (shared: never modified).
        """
        (term, _), *completions = slot.terms.items()
        exact = self._postings.get(term, {})
        if not completions:
            return exact
        best = dict(exact)
        for term, factor in completions:
            for i, value in self._postings[term].items():
                value *= factor
                if value > best.get(i, 0.0):
                    best[i] = value
        return best


_Fields = tuple[Counter[str], ...]  # stem counts in (tags and id words, question, answer)


def _fieldWords(entry: FaqEntry) -> tuple[list[str], ...]:
    texts = (" ".join(entry.tags) + " " + entry.id, entry.question, entry.answer)
    return tuple([w for w in words(t) if w not in STOP_WORDS] for t in texts)


def _postings(fields: list[_Fields]) -> dict[str, dict[int, float]]:
    """term -> {entry number: BM25F score of the term in that entry}, computed once."""
    count = len(fields)
    lengths = [[sum(f[k].values()) for f in fields] for k in range(len(FIELD_WEIGHTS))]
    averages = [max(sum(ls) / count, 1.0) if count else 1.0 for ls in lengths]
    frequency: Counter[str] = Counter()
    for entryFields in fields:
        frequency.update(set().union(*entryFields))
    idf = {t: math.log(1.0 + (count - df + 0.5) / (df + 0.5)) for t, df in frequency.items()}
    postings: dict[str, dict[int, float]] = {t: {} for t in frequency}
    for i, entryFields in enumerate(fields):
        weighted: dict[str, float] = {}
        for k, counts in enumerate(entryFields):
            scale = FIELD_WEIGHTS[k] / (1.0 - B + B * lengths[k][i] / averages[k])
            for term, tf in counts.items():
                weighted[term] = weighted.get(term, 0.0) + scale * tf
        for term, weight in weighted.items():
            postings[term][i] = idf[term] * weight * (K1 + 1.0) / (weight + K1)
    return postings
