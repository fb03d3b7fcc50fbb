"""
Light stemmers for Russian and English, so that a FAQ search for "доставки"
finds "доставка" and one for "delivered" finds "delivery" (R-CMD-4).

A stem here is only a search key: it never reaches a person, so it may be an
odd-looking fragment ("достав", "deliver") as long as the forms a client or an
operator would type for one idea end up on the same key. That is why the
rules below deliberately go a little further than the published algorithms
where those leave everyday support words apart (Snowball keeps "доставк" and
"достав", Porter keeps "deliveri" and "deliv"), and why they stay small:
no dictionary, no third-party package, pure functions of one word.

Input words are expected already lower-cased with "ё" written as "е" (the
FAQ index normalises text before it asks); ``stem`` does that again anyway,
so it is safe to call on raw words. ``stem`` remembers recent answers:
the same few thousand words come up again and again, in the FAQ and in
queries.
"""
from __future__ import annotations

import functools

_RU_VOWELS = frozenset("аеиоуыэюя")
_EN_VOWELS = frozenset("aeiouy")

# Snowball Russian ending classes: ending -> True for the "group 1" endings,
# which count only after "а" or "я" (and leave that letter in place).
_Endings = dict[str, bool]


def _endings(group1: str, group2: str = "") -> _Endings:
    return {**{e: True for e in group1.split()}, **{e: False for e in group2.split()}}


_PERFECTIVE_GERUND = _endings("в вши вшись", "ив ивши ившись ыв ывши ывшись")
_REFLEXIVE = _endings("", "ся сь")
_ADJECTIVE = _endings("", "ее ие ые ое ими ыми ей ий ый ой ем им ым ом его ого ему ому "
                          "их ых ую юю ая яя ою ею")
_PARTICIPLE = _endings("ем нн вш ющ щ", "ивш ывш ующ")
_VERB = _endings("ла на ете йте ли й л ем н ло но ет ют ны ть ешь нно",
                 "ила ыла ена ейте уйте ите или ыли ей уй ил ыл им ым ен ило ыло ено "
                 "ят ует уют ит ыт ены ить ыть ишь ую ю")
_NOUN = _endings("", "а ев ов ие ье е иями ями ами еи ии и ией ей ой ий й иям ям ием ем "
                     "ам ом о у ах иях ях ы ь ию ью ю ия ья я")
_SUPERLATIVE = _endings("", "ейше ейш")
_DERIVATIONAL = _endings("", "ость ост")
_LONGEST_ENDING = 6

# Fewest letters a Russian stem keeps when the nominal suffix "-к-" goes, so
# that "банк" or "сумка" keep their root while "доставка" meets "доставить".
_RU_SUFFIX_K_KEEPS = 4


def _region(word: str, start: int) -> int:
    """Snowball's R1 (from 0) or R2 (from R1): after the first non-vowel that follows a vowel."""
    for i in range(start + 1, len(word)):
        if word[i] not in _RU_VOWELS and word[i - 1] in _RU_VOWELS:
            return i + 1
    return len(word)


def _ending(word: str, start: int, endings: _Endings) -> int:
    """Length of the class's ending to delete at or after ``start``; 0 when there is none.

    The longest ending found decides, as in Snowball's ``among``: when its
    condition fails, a shorter ending is not tried.
    """
    for n in range(min(_LONGEST_ENDING, len(word) - start), 0, -1):
        afterAOrYa = endings.get(word[-n:])
        if afterAOrYa is None:
            continue
        at = len(word) - n
        if afterAOrYa and not (at - 1 >= start and word[at - 1] in "ая"):
            return 0
        return n
    return 0


def _cut(word: str, start: int, endings: _Endings) -> tuple[str, bool]:
    n = _ending(word, start, endings)
    return (word[:-n], True) if n else (word, False)


def _ruInflection(word: str, rv: int) -> tuple[str, bool]:
    """Snowball step 1: a gerund, or an optional reflexive and then an
    adjectival, verb or noun ending."""
    word, found = _cut(word, rv, _PERFECTIVE_GERUND)
    if found:
        return word, True
    word, reflexive = _cut(word, rv, _REFLEXIVE)
    word, found = _cut(word, rv, _ADJECTIVE)
    if found:
        word, _ = _cut(word, rv, _PARTICIPLE)
        return word, True
    for endings in (_VERB, _NOUN):
        word, found = _cut(word, rv, endings)
        if found:
            return word, True
    return word, reflexive


def russianStem(word: str) -> str:
    """Snowball's Russian stemmer plus two steps that join verbs and their nouns.

    The additions: a trailing "а"/"я" left in front of a removed ending goes
    too ("заказать", "читаю" -> "заказ", "чит", like "заказа", "читал"),
    and so does the nominal suffix "-к-"/"-ок-"/"-ек-" when enough of the word
    stays ("доставка", "ошибок" -> "достав", "ошиб", like "доставить",
    "ошибиться"). Both only ever delete letters at the end, so a stem is
    always a prefix of the word.
    """
    word = word.replace("ё", "е")
    rv = next((i + 1 for i, c in enumerate(word) if c in _RU_VOWELS), len(word))
    r2 = _region(word, _region(word, 0))
    word, inflected = _ruInflection(word, rv)
    if inflected and len(word) - 1 >= rv and word[-1] in "ая":
        word = word[:-1]
    if len(word) - 1 >= rv and word.endswith("и"):
        word = word[:-1]
    word, _ = _cut(word, r2, _DERIVATIONAL)
    word = _ruTidy(word, rv)
    return _ruSuffixK(word)


def _ruTidy(word: str, rv: int) -> str:
    """Snowball step 4: undouble "нн", drop a superlative (then undouble) or a soft sign."""
    word, superlative = _cut(word, rv, _SUPERLATIVE)
    if word.endswith("нн") and len(word) - 2 >= rv:
        return word[:-1]
    if not superlative and word.endswith("ь") and len(word) - 1 >= rv:
        return word[:-1]
    return word


def _ruSuffixK(word: str) -> str:
    """"-ок"/"-ек" is the same suffix with its fleeting vowel ("ошибок" of "ошибка")."""
    suffix = next((s for s in ("ок", "ек", "к") if word.endswith(s)), "")
    if suffix and len(word) - len(suffix) >= _RU_SUFFIX_K_KEEPS:
        return word[:-len(suffix)]
    return word


# Common irregular forms mapped to the form the rules below can stem.
_EN_IRREGULAR = {
    "paid": "pay", "sent": "send", "bought": "buy", "made": "make", "got": "get",
    "gotten": "get", "gave": "give", "given": "give", "took": "take", "taken": "take",
    "went": "go", "gone": "go", "lost": "lose", "chose": "choose", "chosen": "choose",
    "broke": "break", "broken": "break", "forgot": "forget", "forgotten": "forget",
    "children": "child", "dying": "die", "lying": "lie", "tying": "tie",
    "wrote": "write", "written": "write", "said": "say", "left": "leave",
}
_EN_DOUBLES = frozenset(("bb", "dd", "ff", "gg", "mm", "nn", "pp", "rr", "tt"))


def _hasVowel(text: str) -> bool:
    return any(c in _EN_VOWELS for c in text)


def _enPlural(word: str) -> str:
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith(("ied", "ies")):
        return word[:-3] + ("y" if len(word) > 4 else "ie")
    if word.endswith(("us", "ss")) or not word.endswith("s"):
        return word
    return word[:-1] if _hasVowel(word[:-2]) else word


def _enVerbEnding(word: str) -> str:
    """-ed and -ing (and their -ly adverbs) go when a vowel stays:
    "delivered" but not "red", "ring"."""
    for suffix in ("eedly", "eed"):
        if word.endswith(suffix):
            rest = word[:-len(suffix)]
            return rest + "ee" if _hasVowel(rest) else word
    for suffix in ("ingly", "edly", "ing", "ed"):
        if word.endswith(suffix):
            rest = word[:-len(suffix)]
            return rest if _hasVowel(rest) else word
    return word


def _enDerivation(word: str) -> str:
    if word.endswith("ily") and len(word) > 5:
        return word[:-3] + "y"
    for suffix in ("ness", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[:-len(suffix)]
    return word


def englishStem(word: str) -> str:
    """A Porter-like stripper for inflections, "-ly" and "-ness".

    Unlike Porter it also drops a final "-y" after a consonant and a final
    "-e", and undoubles a final consonant, so the base form and every
    inflection meet: "delivery", "deliveries", "delivered", "delivering" ->
    "deliver"; "ship", "shipped" -> "ship"; "create", "creating" -> "creat".
    """
    if len(word) <= 2:
        return word
    word = _EN_IRREGULAR.get(word, word)
    word = _enDerivation(_enVerbEnding(_enPlural(word)))
    if len(word) >= 3 and word[-1] == "y" and word[-2] not in _EN_VOWELS:
        word = word[:-1]
    if len(word) >= 3 and word[-1] == "e":
        word = word[:-1]
    if len(word) > 3 and word[-2:] in _EN_DOUBLES:
        word = word[:-1]
    return word


def _isCyrillic(c: str) -> bool:
    return "\u0400" <= c <= "\u04ff"


@functools.lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """The search key of one word: Russian rules for Cyrillic, English ones for Latin letters.

    Anything else (digits, other scripts, codes like "2fa") is kept as it is,
    so a mixed-language query still stems each word by its own language.
    """
    word = word.lower().replace("ё", "е")
    if any(_isCyrillic(c) for c in word):
        result = russianStem(word)
    elif any("a" <= c <= "z" for c in word):
        result = englishStem(word)
    else:
        result = word
    return result or word
