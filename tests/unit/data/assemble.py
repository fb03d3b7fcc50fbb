"""The one loop that turns a language's templates into the corpus of
ordinary support phrases: filled templates, some with a greeting, a closing
or a fixed phrase added, no duplicates, until ``target`` lines."""
from __future__ import annotations

import random
from typing import Callable, Sequence


def assemble(rng: random.Random, *, fixed: Sequence[str], templates: Sequence[str],
             greetings: Sequence[str], closings: Sequence[str],
             fill: Callable[[str, random.Random], str], target: int) -> list[str]:
    lines = list(dict.fromkeys(fixed))
    seen = set(lines)
    while len(lines) < target:
        line = fill(rng.choice(templates), rng)
        roll = rng.random()
        if roll < 0.25:
            line = f"{rng.choice(greetings)} {line}"
        elif roll < 0.45:
            line = f"{line} {rng.choice(closings)}"
        elif roll < 0.55:
            line = f"{line} {rng.choice(fixed)}"
        if line not in seen:
            seen.add(line)
            lines.append(line)
    return lines
