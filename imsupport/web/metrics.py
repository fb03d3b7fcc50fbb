"""
Prometheus text exposition of the service's live numbers (R-RUN-4).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from imsupport.core.operators import AFK, BUSY, FREE, OFFLINE
from imsupport.core.stats import WRITE_BUCKETS

if TYPE_CHECKING:
    from imsupport.core.service import SupportCore


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render(core: SupportCore | None, xmpp_connected: bool, store_open: bool = True) -> str:
    lines: list[str] = []

    def metric(name: str, kind: str, help_: str, samples: list[tuple[str, float]]) -> None:
        lines.append(f"# HELP {name} {help_}")
        lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            lines.append(f"{name}{labels} {value:g}" if isinstance(value, float)
                         else f"{name}{labels} {value}")

    metric("imsupport_xmpp_connected", "gauge", "1 when the component stream is up.",
           [("", int(xmpp_connected))])
    if core is None:
        return "\n".join(lines) + "\n"
    m = core.metrics
    journal = core.journal
    metric("imsupport_store_up", "gauge", "1 when the store takes writes.",
           [("", int(store_open and journal.up()))])
    metric("imsupport_store_held_writes", "gauge",
           "Writes waiting for the store to take them again.", [("", journal.held)])
    metric("imsupport_store_held_writes_total", "counter",
           "Writes that had to wait for an unavailable store.", [("", m.writes_held)])
    metric("imsupport_store_refused_messages_total", "counter",
           "Messages not stored and refused to their senders with an error.",
           [("", m.messages_refused)])
    nodes = sorted(n.name for n in core.directory.nodes)
    metric("imsupport_queue_length", "gauge", "Chats waiting for an operator.",
           [(f'{{node="{_label(n)}"}}', len(core.queues.get(n, []))) for n in nodes])
    active: dict[str, int] = {n: 0 for n in nodes}
    for chat in core.chats.values():
        if chat.active:
            active[chat.node] = active.get(chat.node, 0) + 1
    metric("imsupport_active_chats", "gauge", "Chats with an operator.",
           [(f'{{node="{_label(n)}"}}', c) for n, c in sorted(active.items())])
    states = {FREE: 0, BUSY: 0, AFK: 0, OFFLINE: 0}
    for op in core.operators.values():
        states[op.state] += 1
    metric("imsupport_operators", "gauge", "Operators by state.",
           [(f'{{state="{s}"}}', c) for s, c in states.items()])
    metric("imsupport_messages_relayed_total", "counter",
           "Messages relayed between clients and operators.", [("", m.messages_relayed)])
    metric("imsupport_chats_started_total", "counter", "Chats started.",
           [("", m.chats_started)])
    metric("imsupport_chats_closed_total", "counter", "Chats closed after an operator joined.",
           [("", m.chats_closed)])
    metric("imsupport_chats_abandoned_total", "counter",
           "Chats the client left before an operator joined.", [("", m.chats_abandoned)])
    metric("imsupport_rate_limited_total", "counter",
           "Messages refused because their sender was over a rate limit.",
           [("", core.rates.refused)])
    metric("imsupport_store_write_errors_total", "counter", "Failed store writes.",
           [("", m.writeErrors)])
    name = "imsupport_store_write_seconds"
    lines.append(f"# HELP {name} Time from deciding to persist until the store confirmed it.")
    lines.append(f"# TYPE {name} histogram")
    for bound, count in zip(WRITE_BUCKETS, m.write_buckets, strict=True):
        lines.append(f'{name}_bucket{{le="{bound:g}"}} {count}')
    lines.append(f'{name}_bucket{{le="+Inf"}} {m.write_count}')
    lines.append(f"{name}_sum {m.write_sum:.6f}")
    lines.append(f"{name}_count {m.write_count}")
    return "\n".join(lines) + "\n"
