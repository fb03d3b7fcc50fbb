"""
Counters and the store-write latency histogram that /metrics exposes (R-RUN-4).
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Seconds; Prometheus histogram upper bounds for one persist-then-relay write.
WRITE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


@dataclass
class Metrics:
    messages_relayed: int = 0
    chats_started: int = 0
    chats_closed: int = 0
    chats_abandoned: int = 0
    writeErrors: int = 0
    writes_held: int = 0  # writes that had to wait for an unavailable store
    messages_refused: int = 0  # people's messages not stored, refused to their senders
    write_count: int = 0
    write_sum: float = 0.0
    write_buckets: list[int] = field(default_factory=lambda: [0] * len(WRITE_BUCKETS))

    def observeWrite(self, seconds: float) -> None:
        self.write_count += 1
        self.write_sum += seconds
        for index, bound in enumerate(WRITE_BUCKETS):
            if seconds <= bound:
                self.write_buckets[index] += 1
