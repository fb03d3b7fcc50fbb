"""
/metrics (R-RUN-4) through prometheus_client: a registry of our own with a
collector that reads the core's queries at each scrape, plus the library's
process and platform collectors (resident memory, CPU, open files, Python).

The scrape is answered on the reactor thread with the library's exposition
(``generate_latest``), not with its WSGI-based Twisted resource: that one runs
collectors in a thread pool, where reading the core's live state would race
the reactor that changes it.
"""
from __future__ import annotations

from typing import Callable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from imsupport.core.ports import Support
from imsupport.core.queries import STATES

CONTENT_TYPE = CONTENT_TYPE_LATEST


class ServiceCollector:
    """The service's own numbers, with the names /metrics always had."""

    def __init__(self, core: Callable[[], Support | None], xmpp_connected: Callable[[], bool],
                 store_open: Callable[[], bool]) -> None:
        self.core = core
        self.xmpp_connected = xmpp_connected
        self.store_open = store_open

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("imsupport_xmpp_connected", "1 when the component stream is up.",
                                value=int(self.xmpp_connected()))
        core = self.core()
        if core is None:
            return
        service, c = core.queries.service(), core.queries.counters()
        yield GaugeMetricFamily("imsupport_store_up", "1 when the store takes writes.",
                                value=int(self.store_open() and c.store_up))
        yield GaugeMetricFamily("imsupport_store_held_writes",
                                "Writes waiting for the store to take them again.",
                                value=c.held_writes)
        nodes = sorted(service.nodes, key=lambda n: n.name)
        queue = GaugeMetricFamily("imsupport_queue_length", "Chats waiting for an operator.",
                                  labels=["node"])
        active = GaugeMetricFamily("imsupport_active_chats", "Chats with an operator.",
                                   labels=["node"])
        for node in nodes:
            queue.add_metric([node.name], len(node.queued))
            active.add_metric([node.name], len(node.active))
        yield queue
        yield active
        operators = GaugeMetricFamily("imsupport_operators", "Operators by state.",
                                      labels=["state"])
        for state in STATES:
            operators.add_metric([state], service.operators.get(state))
        yield operators
        for name, doc, value in (
                ("imsupport_messages_relayed", "Messages relayed between clients and operators.",
                 c.messages_relayed),
                ("imsupport_chats_started", "Chats started.", c.chats_started),
                ("imsupport_chats_closed", "Chats closed after an operator joined.",
                 c.chats_closed),
                ("imsupport_chats_abandoned", "Chats the client left before an operator joined.",
                 c.chats_abandoned),
                ("imsupport_rate_limited",
                 "Messages refused because their sender was over a rate limit.",
                 c.rate_limited),
                ("imsupport_store_held_writes", "Writes that had to wait for an unavailable store.",
                 c.writes_held),
                ("imsupport_store_refused_messages",
                 "Messages not stored and refused to their senders with an error.",
                 c.messages_refused),
                ("imsupport_store_write_errors", "Failed store writes.", c.write_errors)):
            yield CounterMetricFamily(name, doc, value=value)
        yield HistogramMetricFamily(
            "imsupport_store_write_seconds",
            "Time from deciding to persist until the store confirmed it.",
            buckets=[(f"{bound:g}", count) for bound, count in c.write_buckets]
            + [("+Inf", c.write_count)], sum_value=c.write_sum)


def metricsRegistry(collector: ServiceCollector) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


def render(registry: CollectorRegistry) -> bytes:
    """The Prometheus text exposition of everything in ``registry``."""
    return generate_latest(registry)
