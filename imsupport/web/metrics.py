"""
Prometheus text exposition of the service's live numbers (R-RUN-4).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from imsupport.core.queries import STATES

if TYPE_CHECKING:
    from imsupport.core.ports import Support


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render(core: Support | None, xmpp_connected: bool, store_open: bool = True) -> str:
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
    service, c = core.queries.service(), core.queries.counters()
    metric("imsupport_store_up", "gauge", "1 when the store takes writes.",
           [("", int(store_open and c.store_up))])
    metric("imsupport_store_held_writes", "gauge",
           "Writes waiting for the store to take them again.", [("", c.held_writes)])
    metric("imsupport_store_held_writes_total", "counter",
           "Writes that had to wait for an unavailable store.", [("", c.writes_held)])
    metric("imsupport_store_refused_messages_total", "counter",
           "Messages not stored and refused to their senders with an error.",
           [("", c.messages_refused)])
    nodes = sorted(service.nodes, key=lambda n: n.name)
    metric("imsupport_queue_length", "gauge", "Chats waiting for an operator.",
           [(f'{{node="{_label(n.name)}"}}', len(n.queued)) for n in nodes])
    metric("imsupport_active_chats", "gauge", "Chats with an operator.",
           [(f'{{node="{_label(n.name)}"}}', len(n.active)) for n in nodes])
    metric("imsupport_operators", "gauge", "Operators by state.",
           [(f'{{state="{s}"}}', service.operators.get(s)) for s in STATES])
    metric("imsupport_messages_relayed_total", "counter",
           "Messages relayed between clients and operators.", [("", c.messages_relayed)])
    metric("imsupport_chats_started_total", "counter", "Chats started.",
           [("", c.chats_started)])
    metric("imsupport_chats_closed_total", "counter", "Chats closed after an operator joined.",
           [("", c.chats_closed)])
    metric("imsupport_chats_abandoned_total", "counter",
           "Chats the client left before an operator joined.", [("", c.chats_abandoned)])
    metric("imsupport_rate_limited_total", "counter",
           "Messages refused because their sender was over a rate limit.",
           [("", c.rate_limited)])
    metric("imsupport_store_write_errors_total", "counter", "Failed store writes.",
           [("", c.write_errors)])
    name = "imsupport_store_write_seconds"
    lines.append(f"# HELP {name} Time from deciding to persist until the store confirmed it.")
    lines.append(f"# TYPE {name} histogram")
    for bound, count in c.write_buckets:
        lines.append(f'{name}_bucket{{le="{bound:g}"}} {count}')
    lines.append(f'{name}_bucket{{le="+Inf"}} {c.write_count}')
    lines.append(f"{name}_sum {c.write_sum:.6f}")
    lines.append(f"{name}_count {c.write_count}")
    return "\n".join(lines) + "\n"
