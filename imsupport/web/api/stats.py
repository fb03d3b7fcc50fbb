"""``/stats/...`` (R-STAT-1..3): statistics over a period, from the
store's chat facts (store.chatFacts) and core/statistics.py's pure
functions; an operator's online and AFK time from their ``operator.state``
events in the outbox (store.operatorStates)."""
from __future__ import annotations

from typing import Any, Generator

from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.internet.interfaces import IReactorTime

from imsupport.core.chatfacts import ChatFacts
from imsupport.core.statistics import ANSWER_TARGET, clientStats, nodeStats, operatorStats
from imsupport.store.interfaces import IStore
from imsupport.web.api.errors import badRequest
from imsupport.web.api.ports import JSON, isoTime, parseTime

DEFAULT_DAYS = 30  # the period when no ``from`` is given: this many days before ``to``


class StatsRoutes:
    def __init__(self, store: IStore, clock: IReactorTime,
                 answer_target: float = ANSWER_TARGET) -> None:
        """``answer_target``: ``[stats] answer_target``, the SLA target a
        request's own ``answer_target`` overrides."""
        self.store = store
        self.clock = clock
        self.answer_target = answer_target

    def _period(self, given: dict[str, Any]) -> tuple[float, float, JSON]:
        now = self.clock.seconds()
        until = parseTime("to", given.get("to"))
        until = now if until is None else until
        since = parseTime("from", given.get("from"))
        since = until - DEFAULT_DAYS * 86400 if since is None else since
        if since >= until:
            raise badRequest("from: must be before to")
        return since, until, {"from": isoTime(since), "to": isoTime(until)}

    def _node(self, node: str | None, given: dict[str, Any]) -> Deferred[JSON]:
        since, until, period = self._period(given)
        target = float(given.get("answer_target", self.answer_target))
        d: Deferred[list[ChatFacts]] = self.store.chatFacts(node, since, until,
                                                                     presence=False)
        return d.addCallback(lambda facts: {"node": node, **period, **nodeStats(
            facts, since, until, self.clock.seconds(), answer_target=target).asDict()})

    def statsNodes(self, **given: Any) -> Deferred[JSON]:
        return self._node(None, given)

    def statsNode(self, node: str, **given: Any) -> Deferred[JSON]:
        return self._node(node, given)

    @inlineCallbacks
    def _operator(self, jid: str, given: dict[str, Any]) -> Generator[Deferred[Any], Any, JSON]:
        since, until, period = self._period(given)
        facts = yield self.store.chatFacts(None, since, until, operator=jid)
        changes = yield self.store.operatorStates(jid, since, until)
        stats = operatorStats(jid, facts, changes, since, until, self.clock.seconds())
        return {**period, **stats.asDict()}

    def statsOperator(self, jid: str, **given: Any) -> Deferred[JSON]:
        return self._operator(jid.lower(), given)

    def statsClient(self, jid: str, **given: Any) -> Deferred[JSON]:
        since, until, period = self._period(given)
        client = jid.lower()
        d: Deferred[list[ChatFacts]] = self.store.chatFacts(
            None, since, until, client=client, presence=False)
        return d.addCallback(lambda facts: {**period, **clientStats(
            client, facts, since, until, self.clock.seconds()).asDict()})
