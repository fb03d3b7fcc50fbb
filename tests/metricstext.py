"""Reading Prometheus text in tests: sample (name with its labels, as
printed) -> value. The exposition writes 1 as "1.0"; compare numbers."""
from __future__ import annotations


def samples(text: str) -> dict[str, float]:
    values: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            try:
                values[name] = float(value)
            except ValueError:
                pass
    return values


def has(text: str, sample: str, value: float) -> bool:
    """Whether ``sample`` (``'imsupport_operators{state="free"}'``) is ``value``."""
    return samples(text).get(sample) == value
