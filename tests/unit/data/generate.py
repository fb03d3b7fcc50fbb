"""
Generate the filter test corpora kept next to this script:

- support-phrases-en.txt, support-phrases-ru.txt: ordinary operator answers
  (orders, delivery, payments, returns, accounts, technical support, greetings,
  apologies) with product names, addresses, prices, dates, order numbers,
  e-mail addresses and links to the public site, salted with the words naive
  profanity filters trip over ("Scunthorpe", "cocktail", "therapist",
  "хлеб", "употреблять", "застрахуйте", "тихую", "мандарин"...). None may be
  blocked: they measure the filters' precision.
- profanity-obfuscations.txt: every entry of the shipped word lists and a set
  of real words built from them, each disguised in the usual ways (mixed
  alphabets, separators, repeats, masks, digits, invisible characters). All
  must be blocked: they measure recall.

    python -m tests.unit.data.generate

The output is deterministic (fixed seeds); regenerate after changing the
templates or the word lists and commit the files with the change.
"""
from __future__ import annotations

import random
import re
from pathlib import Path

from tests.unit.data.phrases_en import englishPhrases
from tests.unit.data.phrases_ru import russianPhrases

HERE = Path(__file__).parent
LISTS = HERE.parents[2] / "imsupport" / "data" / "filters"

# Real words behind the word-list roots, so the obfuscations are what people
# actually type and not only the bare roots.
SAMPLES_RU = """
хуй хуйня нахуй похуй охуеть охуенный ахуеть нихуя дохуя хуёвый хуесос хуйло
хуями захуярить отхуярить расхуячить выхуярить схуяли
пизда пиздец спиздить распиздяй пиздатый пиздёж пиздюлей пиздабол
ебать ёбаный ебанутый ебло еблан заебал заебись наебать выебываться уебок уёбище
отъебись съебаться подъебка доебался проебать разъебай переебать приебался объебать
взъебка изъебнуться недоебит поебать долбоёб хитровыебанный ёпта
блядь блять бля выблядок блядский блеать
сука суки сучка сучара ссука сукин
мудак мудила мудачьё мудозвон
пидор пидарас пидорас пидрила педик
гандон гондон залупа манда мандавошка мразь мрази шлюха шлюшка дрочить подрочил
говно говнюк говённый жопа жопой херня нахер похер охереть дерьмо шалава курва
засранец сраный обосрался насрать просрал обоссать чмо чмошник пздц
""".split()

SAMPLES_EN = """
fuck fucking fucked motherfucker clusterfuck fucker fuckface
shit bullshit shitty shithead dipshit horseshit
bitch bitchy bitches cunt cunts asshole ass jackass dumbass smartass asshat
arse arsehole dick dicks dickhead cock cocksucker whore whores bastard bastards
pussy slut slutty wanker wanking twat prick bollocks crap crappy pissed pissing
dildo douchebag goddamn jizz tits titties faggot fag nigger retard wtf stfu gtfo
""".split()

LATIN_TO_CYRILLIC = dict(zip("aceopxykmthb", "асеорхукмтнв", strict=True))
CYRILLIC_TO_LATIN = {v: k for k, v in LATIN_TO_CYRILLIC.items()}
LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "$", "t": "7", "l": "1",
        "а": "@", "о": "0", "з": "3", "ч": "4", "б": "6", "е": "3", "я": "9"}
CONTEXTS_RU = ["ну ты и {}", "{}, я сказал", "это просто {} какой-то", "вот {}!"]
CONTEXTS_EN = ["you {}", "{} off", "what a {}!", "this is {} nonsense"]


def entrySamples() -> list[str]:
    """A word for each entry of the shipped lists: the entry itself, with the
    first of any [letters] and every optional letter."""
    samples = []
    for name in ("profanity-ru.txt", "profanity-en.txt"):
        for line in (LISTS / name).read_text("utf-8").splitlines():
            entry = line.split("#", 1)[0].strip()
            if not entry or entry.startswith("!"):
                continue
            entry = entry.lstrip("*=").replace("?", "")
            samples.append(re.sub(r"\[(.)[^\]]*\]", r"\1", entry))
    return samples


def _mixed(word: str, rng: random.Random) -> str:
    """Look-alikes from the other alphabet for some letters, never all of them:
    a word wholly in the other alphabet is a different word ("шапка")."""
    table = CYRILLIC_TO_LATIN if re.search("[а-яё]", word) else LATIN_TO_CYRILLIC
    spots = [i for i, c in enumerate(word) if c in table]
    if not spots:
        return word
    if len(spots) == len(word):
        spots = spots[1:] or spots
        if len(spots) == len(word):
            return word
    chosen = set(rng.sample(spots, max(1, len(spots) // 2)))
    return "".join(table[c] if i in chosen else c for i, c in enumerate(word))


def _leet(word: str) -> str:
    """Digits and symbols for letters, keeping the first letter and two letters in all."""
    out = list(word)
    letters = sum(c.isalpha() for c in word)
    for i in range(1, len(word)):
        if word[i] in LEET and letters > 2:
            out[i] = LEET[word[i]]
            letters -= 1
    return "".join(out)


def _masked(word: str, mask: str, width: int = 1) -> str | None:
    """A mask for letters near the end, where the root is, not for its first
    letter: "bull*hit" hides which word it is, "bullsh*t" does not."""
    if len(word) < 3 + width:
        return None
    at = len(word) - 1 - width
    return word[:at] + mask * width + word[at + width:]


def _stretched(word: str) -> str:
    vowels = "aeiouyаеёиоуыэюя"
    return "".join(c * 4 if c in vowels else c for c in word) + word[-1] * 3


def obfuscations(word: str, rng: random.Random) -> list[str]:
    variants = [word, word.upper(), word.capitalize(), _mixed(word, rng),
                _mixed(word, rng).upper(), _leet(word), _stretched(word),
                _mixed(_stretched(word), rng), ".".join(word), "-".join(word),
                " ".join(word), "_".join(word), ". ".join(word).upper(),
                "\u200b".join(word), word[:1] + "\u00ad" + word[1:],
                ".".join(_mixed(word, rng)), "".join(chr(ord(c) + 0xFEE0) if "a" <= c <= "z"
                                                      else c for c in word)]
    for mask in "*#_":
        masked = _masked(word, mask)
        if masked:
            variants.append(masked)
    twice = _masked(word, "*", 2) if len(word) >= 6 else None
    if twice:
        variants.append(twice)
    if len(word) >= 6:
        half = len(word) // 2
        variants += [word[:half] + "-" + word[half:], word[:half] + "." + word[half:]]
    context = CONTEXTS_RU if re.search("[а-яё]", word) else CONTEXTS_EN
    variants.append(rng.choice(context).format(_mixed(word, rng)))
    return variants


def obfuscationLines() -> list[str]:
    rng = random.Random(20240501)
    lines: list[str] = []
    for word in entrySamples() + SAMPLES_RU + SAMPLES_EN:
        for variant in obfuscations(word.lower(), rng):
            if variant not in lines:
                lines.append(variant)
    return lines


def write(name: str, header: str, lines: list[str]) -> None:
    text = "".join(f"# {h}\n" for h in header.splitlines()) + "".join(f"{line}\n" for line in lines)
    (HERE / name).write_text(text, "utf-8")
    print(f"{name}: {len(lines)} lines")


def main() -> None:
    write("support-phrases-en.txt", "Ordinary English support phrases; generated by "
          "tests/unit/data/generate.py.\nNone may be blocked by the filters.",
          englishPhrases(random.Random(1)))
    write("support-phrases-ru.txt", "Ordinary Russian support phrases; generated by "
          "tests/unit/data/generate.py.\nNone may be blocked by the filters.",
          russianPhrases(random.Random(2)))
    write("profanity-obfuscations.txt", "Obfuscated profanity; generated by "
          "tests/unit/data/generate.py.\nEvery line must be blocked. Lines may contain "
          "invisible characters.", obfuscationLines())


if __name__ == "__main__":
    main()
