"""
Routing benchmark: how long one routing decision takes in a large deployment.

    python -m tests.bench.bench_routing [--operators 1000] [--nodes 20] [--queued 5000]

(``scripts/bench`` runs it before the relay benchmark; it needs no Prosody,
no database and no network.)

The deployment
--------------
``--operators`` operators in ``--nodes`` nodes. Each node has two or three
automatic groups, one per wave, and every other node a manual-only group of
experts. Every operator belongs to one node; a fifth also to a second node
(in a random wave). Languages vary (en, ru, de, fr, es, pt-br, zh, in one
to three languages), ``max_chats`` is 1, 2 or 3, and one operator in ten has
a shift ("Mon-Fri 09:00-18:00" in Berlin, New York or Tokyo: at the clock's
time, Friday 08:00 UTC, New York is off shift). ``--queued`` clients wait,
spread evenly over the nodes, with varied languages; some are returning
clients (a previous operator), some have been passed or declined by a few
operators, some were escalated to wave 2.

It is a real ``SupportCore`` with a ``task.Clock``, a ``MemoryStore`` and a
transport that discards what it is given (as tests/unit/fakes.makeCore,
minus the recording). Operators' presence and load, and the queued chats,
are set on the core's state directly: bringing 1,000 operators online and
5,000 clients in through the core's entry points would take minutes of
presence broadcasts before the first measurement.

What is measured (time.perf_counter_ns around each call)
----------------------------------------------------------
- ``route()``: the pure function, on prepared snapshots and requests, over
  ``--decisions`` decisions cycling through the queued chats of every node.
  Operators' states are varied: some offline, away, at their limit.
- ``core.decide()``: the same decision as the core takes it, including the
  snapshots of the node's operators (shifts, switches).
- ``core.dispatch()``: one pass over all queued chats, (i) when every online
  operator is at ``max_chats`` (dispatch looks at no chat at all) and (ii)
  when 5% of the operators are free (each free operator is invited once,
  and every chat that no free operator can take is routed and left queued).
  decisions/s = route() calls of the pass / the pass's time; the pass also
  stores and sends each invitation and refreshes node presence.

The goal is a p99 below 1 ms per decision. It prints figures and asserts
nothing about them.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from itertools import cycle, islice
from typing import Callable, Sequence

from twisted.internet.task import Clock

from imsupport.config import ServiceConfig
from imsupport.core import offers
from imsupport.core.chat import Chat
from imsupport.core.i18n import Translator
from imsupport.core.invitations import OFFER
from imsupport.core.model import ChatRecord, Directory, Group, Node, Operator
from imsupport.core.routing import ChatRequest, OperatorSnapshot, route
from imsupport.core.service import SupportCore
from imsupport.store.memory import MemoryStore

NOW = 1_800_000_000  # Friday 2027-01-15 08:00 UTC, as tests/unit/fakes.makeCore
GOAL_NS = 1_000_000  # p99 per decision

LANGUAGES = ["en", "ru", "de", "fr", "es", "pt-br", "zh"]
LANGUAGE_WEIGHTS = [40, 20, 12, 10, 8, 6, 4]
CLIENT_LANGUAGES = [("en",), ("ru", "en"), ("de", "en"), ("fr",), ("es", "en"), ("pt-br",),
                    ("zh", "en"), ("ru",), ("en", "de"), ("it",)]
SHIFTS = [("Mon-Fri 09:00-18:00", "Europe/Berlin"), ("Mon-Fri 09:00-18:00", "America/New_York"),
          ("Mon-Fri 09:00-18:00", "Asia/Tokyo")]


class DiscardingTransport:
    """The core's Transport port, sending nowhere."""

    def toClient(self, node, client, body, chatstate=None, lang=None, receipt_id=None,
                 oob=None):
        pass

    def toOperator(self, operator, body, node=None, chat_id=None, chatstate=None,
                   receipt_id=None, oob=None):
        pass

    def receipt(self, node, chat_id, to, message_id):
        pass

    def nodePresence(self, node, show, status, available, to=None):
        pass

    def chatPresence(self, operator, node, chat_id, available, nick=None, status=None):
        pass

    def subscribeOperator(self, operator, status=None, lang=None):
        pass


def jidOf(index: int) -> str:
    return f"op{index:04d}@bench.test"


def buildDirectory(rng: random.Random, operators: int, nodes: int) -> Directory:
    people = []
    for index in range(operators):
        count = rng.choices([1, 2, 3], [55, 35, 10])[0]
        languages = tuple(dict.fromkeys(rng.choices(LANGUAGES, LANGUAGE_WEIGHTS, k=count)))
        schedule, zone = rng.choice(SHIFTS) if rng.random() < 0.1 else (None, "UTC")
        people.append(Operator(jidOf(index), f"Operator {index}", languages,
                               max_chats=rng.choices([1, 2, 3], [60, 30, 10])[0],
                               schedule=schedule, timezone=zone))
    members: list[list[list[str]]] = []  # node -> wave index -> jids
    for n in range(nodes):
        members.append([[], [], []] if n % 2 == 0 else [[], []])
    for index in range(operators):
        home = members[index % nodes]
        home[rng.choices(range(len(home)), [60, 30, 10][:len(home)])[0]].append(jidOf(index))
        if rng.random() < 0.2:
            other = members[rng.randrange(nodes)]
            wave = other[rng.randrange(len(other))]
            if jidOf(index) not in wave:
                wave.append(jidOf(index))
    node_list = []
    for n, waves in enumerate(members):
        groups = [Group(f"wave{w + 1}", tuple(jids), wave=w + 1, escalate_after=120,
                        max_declines=1 + (w == 0))
                  for w, jids in enumerate(waves)]
        if n % 2:
            groups.append(Group("experts", tuple(rng.sample(waves[0], min(3, len(waves[0])))),
                                auto=False))
        node_list.append(Node(f"node{n:02d}", f"Node {n}",
                              languages=rng.choice([("en",), ("en", "ru"), ("de", "en")]),
                              groups=tuple(groups)))
    return Directory(nodes=tuple(node_list), operators=tuple(people))


def buildCore(directory: Directory) -> SupportCore:
    clock = Clock()
    clock.advance(NOW)
    return SupportCore(clock=clock, store=MemoryStore(), transport=DiscardingTransport(),
                       directory=directory,
                       service=ServiceConfig(domain="support.bench.test"),
                       translator=Translator(default="en"))


def setOperators(core: SupportCore, rng: random.Random, mode: str) -> None:
    """Presence and load: ``varied`` (some offline, away, busy), ``busy``
    (every online operator at max_chats) or ``free5`` (busy but 5% free)."""
    fake = iter(range(-1, -10**9, -1))  # ids of chats outside the queue
    for state in core.operators.values():
        state.chats.clear()
        for invitation in core.invitations.ofOperator(state.jid):
            core.invitations.withdraw(invitation.chat_id, state.jid)
        state.idle_since = NOW - rng.uniform(0, 3600)
        roll = rng.random()
        if roll < 0.15:
            state.resources = {}
            continue
        state.resources = {"bench": "away" if roll < 0.25 else None}
        limit = state.operator.max_chats
        if mode == "varied":
            load = rng.choices(range(limit + 1), [3] + [1] * limit)[0]
        elif mode == "free5" and rng.random() < 0.05 / 0.85:
            state.resources = {"bench": None}
            load = 0
        else:
            load = limit
        state.chats.update(next(fake) for _ in range(load))
        if mode == "varied" and load < limit and rng.random() < 0.1:
            # an invitation (to a chat outside the queue) counts towards the limit
            elsewhere = core.chats.chatOf(ChatRecord(id=next(fake), node="", client=""))
            core.invitations.open(elsewhere, state.jid, OFFER, NOW, 10**9, lambda *_: None)


def queueChats(core: SupportCore, rng: random.Random, count: int) -> None:
    """``count`` queued chats, spread over the nodes, in FIFO order."""
    nodes = core.directory.nodes
    for chat_id in range(1, count + 1):
        node = nodes[chat_id % len(nodes)]
        members = sorted({jid for g in node.groups for jid in g.operators})
        record = ChatRecord(id=chat_id, node=node.name, client=f"client{chat_id}@example.net",
                            languages=rng.choice(CLIENT_LANGUAGES),
                            created_at=NOW - rng.uniform(0, 900))
        chat = core.chats.chatOf(record)
        chat.client_lines, chat.seq = [(record.created_at, "hello?")], 2
        if rng.random() < 0.2:
            chat.last_operator = rng.choice(members)
        if rng.random() < 0.15:
            chat.passed.update(rng.sample(members, 3))
            chat.declines.update({jid: 1 for jid in chat.passed if rng.random() < 0.5})
        if rng.random() < 0.1:
            chat.min_wave = 2
        core.chats.add(chat)
        core.queues.add(chat)
        core.store.saveChat(record)  # invitations are journaled: the chat must exist
    core.chats.last_id = count


def request(core: SupportCore, node: Node, chat: Chat) -> ChatRequest:
    """What Offers.decide hands to route()."""
    return ChatRequest(languages=chat.record.languages, passed=frozenset(chat.passed),
                       declines=chat.declines, last_operator=chat.last_operator,
                       min_wave=chat.min_wave, vetoes={},
                       off_groups=core.switches.offGroups(node.name),
                       off_operators=core.switches.offOperators(node.name))


@dataclass
class Row:
    name: str
    samples: list[int]  # ns
    note: str = ""

    def quantile(self, q: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000

    @property
    def p50(self) -> float:
        return self.quantile(0.50)

    @property
    def p99(self) -> float:
        return self.quantile(0.99)

    @property
    def max(self) -> float:
        return max(self.samples) / 1000


def timeCalls(calls: Sequence[Callable[[], object]]) -> list[int]:
    clock = time.perf_counter_ns
    samples = []
    for call in calls:
        started = clock()
        call()
        samples.append(clock() - started)
    return samples


def pureRoute(core: SupportCore, decisions: int) -> Row:
    inputs = []
    for node in core.directory.nodes:
        snapshots: dict[str, OperatorSnapshot] = core.team.snapshots(node.name, NOW)
        for chat_id in core.queues[node.name]:
            inputs.append((node, snapshots, request(core, node, core.chats[chat_id])))
    calls = [lambda i=i: route(*i) for i in islice(cycle(inputs), decisions)]
    candidates = sum(bool(route(*i).candidates) for i in inputs)
    return Row("route() (pure)", timeCalls(calls),
               f"{candidates / len(inputs):.0%} of chats have a candidate")


def nodeSnapshots(core: SupportCore, calls: int) -> Row:
    nodes = [n.name for n in core.directory.nodes]
    size = sum(len(core.team.snapshots(n, NOW)) for n in nodes) / len(nodes)
    return Row("core.snapshots() of one node", timeCalls(
        [lambda n=n: core.team.snapshots(n, NOW) for n in islice(cycle(nodes), calls)]),
        f"{size:.0f} operators per node")


def presenceRefresh(core: SupportCore, calls: int) -> Row:
    """What every invitation, expiry and close costs on top of routing."""
    return Row("core.refreshPresence() (all nodes)",
               timeCalls([core.refreshPresence] * calls), "once per invitation")


def coreDecide(core: SupportCore, decisions: int) -> Row:
    chats = [core.chats[i] for node in core.directory.nodes for i in core.queues[node.name]]
    nodes = {n.name: n for n in core.directory.nodes}
    calls = [lambda c=c: core.offers.decide(nodes[c.node], c, NOW)
             for c in islice(cycle(chats), decisions)]
    return Row("core.decide() + snapshots", timeCalls(calls))


class CountingRoute:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, *args):
        self.calls += 1
        return route(*args)


def dispatchPasses(args: argparse.Namespace, directory: Directory, mode: str,
                   passes: int) -> tuple[Row, int, int]:
    """Time ``passes`` dispatch passes; each on a fresh core for ``free5``
    (a pass invites), on the same core for ``busy`` (a pass changes nothing)."""
    counting = CountingRoute()
    offers.route = counting  # type: ignore[assignment]
    samples, decisions, invited = [], 0, 0
    try:
        core = None
        for n in range(passes):
            if core is None or mode != "busy":
                rng = random.Random(args.seed + n)
                core = buildCore(directory)
                setOperators(core, rng, mode)
                queueChats(core, rng, args.queued)
            before = counting.calls
            started = time.perf_counter_ns()
            core.dispatch()
            samples.append(time.perf_counter_ns() - started)
            decisions += counting.calls - before
            invited += sum(core.invitations.count(jid) for jid in core.team)
    finally:
        offers.route = route  # type: ignore[assignment]
    return Row(f"dispatch() pass, {'everyone busy' if mode == 'busy' else '5% free'}",
               samples), decisions, invited


def report(args: argparse.Namespace, rows: list[Row], extra: list[str], seconds: float) -> str:
    lines = [
        f"Routing: {args.operators} operators in {args.nodes} nodes (2-3 waves), "
        f"{args.queued} queued chats; µs per call",
        f"{'measurement':<34}{'calls':>8}{'p50':>11}{'p99':>11}{'max':>11}  note",
    ]
    for row in rows:
        lines.append(f"{row.name:<34}{len(row.samples):>8}{row.p50:>11.1f}{row.p99:>11.1f}"
                     f"{row.max:>11.1f}  {row.note}")
    lines += extra
    for row in rows[:2]:
        verdict = "met" if row.p99 * 1000 < GOAL_NS else "NOT met"
        lines.append(f"goal p99 < 1 ms per decision, {row.name}: {verdict} "
                     f"(p99 {row.p99 / 1000:.3f} ms)")
    lines.append(f"(whole benchmark {seconds:.1f} s)")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tests.bench.bench_routing",
                                description="Time per routing decision in a large deployment.")
    p.add_argument("--operators", type=int, default=1000, help="operators (default 1000)")
    p.add_argument("--nodes", type=int, default=20, help="nodes (default 20)")
    p.add_argument("--queued", type=int, default=5000, help="queued chats (default 5000)")
    p.add_argument("--decisions", type=int, default=20000,
                   help="route() calls measured; core.decide() gets a quarter (default 20000)")
    p.add_argument("--passes", type=int, default=3,
                   help="dispatch passes with 5%% free operators (default 3)")
    p.add_argument("--seed", type=int, default=2027, help="random seed (default 2027)")
    args = p.parse_args(argv)
    if min(args.operators, args.nodes, args.queued, args.decisions, args.passes) < 1 \
            or args.operators < 3 * args.nodes:
        p.error("every number must be >= 1, with at least 3 operators per node")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    rng = random.Random(args.seed)
    directory = buildDirectory(rng, args.operators, args.nodes)
    core = buildCore(directory)
    setOperators(core, rng, "varied")
    queueChats(core, rng, args.queued)
    rows = [pureRoute(core, args.decisions), coreDecide(core, max(1, args.decisions // 4)),
            nodeSnapshots(core, 2000), presenceRefresh(core, 50)]
    busy, busy_decisions, _ = dispatchPasses(args, directory, "busy", 200)
    busy.note = f"{busy_decisions} decisions in {len(busy.samples)} passes"
    free, decisions, invited = dispatchPasses(args, directory, "free5", args.passes)
    seconds = sum(free.samples) / 1e9
    free.note = (f"{decisions // args.passes} decisions, {invited // args.passes} invitations "
                 f"per pass: {decisions / seconds:,.0f} decisions/s")
    rows += [busy, free]
    extra = [f"dispatch(), everyone busy: no queued chat is looked at; the pass's "
             f"{busy.p50 / 1000:.1f} ms (p50) build the {args.nodes} nodes' snapshots",
             f"dispatch(), 5% free: {seconds * 1e6 / max(1, decisions):,.0f} µs per decision "
             "on average, invitations (journal, notice, node presence) included"]
    print(report(args, rows, extra, time.monotonic() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
