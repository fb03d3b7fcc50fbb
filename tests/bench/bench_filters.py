"""
Message filter benchmark: precision, recall and time per message.

    python -m tests.bench.bench_filters [--messages N] [--repeat R] [--seed S]

What it measures
----------------
- Precision: every phrase of tests/unit/data/support-phrases-{en,ru}.txt is
  checked alone; a phrase with any finding is a false positive, listed.
- Recall: every line of tests/unit/data/profanity-obfuscations.txt (each
  word-list entry and real words built from them, disguised) must give a
  profanity finding; misses are listed.
- Time: N operator messages of 100-500 characters, made of 2-6 corpus phrases,
  one in ten with a rude word or an internal link dropped in (those take the
  slower path that locates the finding). Each message is checked R times and
  its fastest run kept, which takes out the noise of a shared machine; the
  table gives p50/p90/p99/max over messages, in microseconds, for the
  profanity filter, the link filter and both (``MessageFilter.check``).
  Building the filter (reading and compiling the word lists) is timed once.
"""
from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from imsupport.core.filters import MessageFilter, mark

DATA = Path(__file__).parents[1] / "unit" / "data"
DOMAINS = ["corp.shop.example", "intranet"]
SPICE = ["ну ты и х.у.й", "what the f*ck", "сука", "see http://wiki.corp.shop.example/x",
         "open \\\\fs01\\share", "http://10.0.0.5:8080/", "б л я т ь", "bullsh1t"]


def corpus(name: str) -> list[str]:
    lines = (DATA / name).read_text("utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("# ")]


def messages(count: int, rng: random.Random) -> list[str]:
    phrases = corpus("support-phrases-en.txt") + corpus("support-phrases-ru.txt")
    made: list[str] = []
    while len(made) < count:
        parts = rng.sample(phrases, rng.randint(2, 6))
        if rng.random() < 0.1:
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(SPICE))
        text = " ".join(parts)
        if 100 <= len(text) <= 500:
            made.append(text)
    return made


def timings(check: Callable[[str], object], texts: Sequence[str], repeat: int) -> list[float]:
    """The fastest of ``repeat`` runs for each text, in microseconds, sorted."""
    result = []
    for text in texts:
        best = min(_once(check, text) for _ in range(repeat))
        result.append(best / 1000)
    return sorted(result)


def _once(check: Callable[[str], object], text: str) -> int:
    started = time.perf_counter_ns()
    check(text)
    return time.perf_counter_ns() - started


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * fraction))]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip())
    parser.add_argument("--messages", type=int, default=2000, help="messages to time")
    parser.add_argument("--repeat", type=int, default=5, help="runs per message")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    filters = MessageFilter.fromConfig(DOMAINS, [])
    print(f"filter built in {(time.perf_counter() - started) * 1000:.0f} ms")

    phrases = corpus("support-phrases-en.txt") + corpus("support-phrases-ru.txt")
    blocked = [(p, filters.check(p)) for p in phrases]
    blocked = [(p, found) for p, found in blocked if found]
    print(f"\nprecision: {len(phrases)} ordinary phrases, {len(blocked)} false positives "
          f"({len(blocked) / len(phrases):.3%}); precision on phrases "
          f"{1 - len(blocked) / len(phrases):.4f}")
    for phrase, found in blocked:
        print(f"  false positive: {mark(phrase, found)}  {[f.rule for f in found]}")

    disguised = corpus("profanity-obfuscations.txt")
    missed = [line for line in disguised if not filters.profanity.check(line)]
    print(f"\nrecall: {len(disguised)} disguised words, {len(missed)} missed "
          f"({1 - len(missed) / len(disguised):.4f})")
    for line in missed:
        print(f"  missed: {line!r}")

    texts = messages(args.messages, random.Random(args.seed))
    mean = sum(map(len, texts)) / len(texts)
    print(f"\ntime per message: {len(texts)} messages of 100-500 characters "
          f"(mean {mean:.0f}), fastest of {args.repeat} runs each, microseconds")
    print(f"  {'':12s} {'p50':>7s} {'p90':>7s} {'p99':>7s} {'max':>7s}")
    for name, check in (("profanity", filters.profanity.check),
                        ("links", filters.links.check), ("both", filters.check)):
        values = timings(check, texts, args.repeat)
        print(f"  {name:12s} " + " ".join(f"{percentile(values, q):7.0f}"
                                          for q in (0.5, 0.9, 0.99, 1.0)))
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
