"""
The chats of the web chat benchmark (tests/bench/bench_webchat.py): its
clients (web visitors or XMPP clients, the same to the load), the operators
who accept every chat and echo every message, and the measured window.

Every measured message is ``<prefix><client> <seq> <sent ns>``; the
operator who gets it notes the client -> operator delay and writes back
``<prefix><client> <seq> <sent ns> <echoed ns>`` at once; the client notes
the operator -> client delay (from the echo's own time) and the round trip
(from its send). One clock (time.perf_counter_ns) in one process.
"""
from __future__ import annotations

import asyncio
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tests.bench.fastclient import FastClient, Incoming
from tests.bench.webload import SseEvent, Visitor

GREETING = "Hello from operator"
LABEL = re.compile(r"\bthis is (c\d+)\b")  # a client's label in its invitation's transcript


def question(index: int) -> str:
    return f"Hello, this is c{index}. Where is my order?"


@dataclass
class Delays:
    """What the clients and operators measured, in nanoseconds."""
    to_operator: list[int] = field(default_factory=list)
    to_client: list[int] = field(default_factory=list)
    round_trip: list[int] = field(default_factory=list)
    sent: int = 0
    unsent: int = 0  # a send that failed (a refused POST)


class Party:
    """One client of the benchmark. ``heard(text, at)`` for each operator text."""

    def __init__(self, index: int, prefix: str, delays: Delays) -> None:
        self.index = index
        self.prefix = prefix
        self.delays = delays
        self.accepted = asyncio.Event()
        self.answered = asyncio.Event()  # the service said something (it is queued)
        self.echoes = 0
        self.notices = 0  # what the service said that no operator wrote

    def heard(self, text: str, at: int) -> None:
        if text.startswith(self.prefix):
            _, _, sent, echoed = text[len(self.prefix):].split(" ", 3)
            self.delays.round_trip.append(at - int(sent))
            self.delays.to_client.append(at - int(echoed))
            self.echoes += 1
        elif text.startswith(GREETING):
            self.accepted.set()
        else:
            self.notices += 1

    async def begin(self) -> None:
        raise NotImplementedError

    async def say(self, text: str) -> bool:
        raise NotImplementedError

    @property
    def held(self) -> bool:
        raise NotImplementedError

    @property
    def errors(self) -> Counter[str]:
        return Counter()

    @property
    def reconnects(self) -> int:
        return 0

    async def close(self) -> None:
        raise NotImplementedError


class WebParty(Party):
    """A web visitor: POST to start, its stream held open, POSTs to speak."""

    def __init__(self, index: int, prefix: str, delays: Delays, visitor_of: Callable[
            [Callable[[Visitor, SseEvent], None]], Visitor]) -> None:
        super().__init__(index, prefix, delays)
        self.visitor = visitor_of(self._event)

    def _event(self, visitor: Visitor, event: SseEvent) -> None:
        data = event.data
        if event.event in ("chat", "notice") and isinstance(data, dict):
            self.answered.set()
            if data.get("author") == "operator":
                self.heard(data.get("text") or "", event.at)
            elif data.get("kind") == "notice" or event.event == "notice":
                self.notices += 1

    async def begin(self) -> None:
        """Its chat started (POST), its stream open and the chat's first
        events read from it."""
        await self.visitor.start(f"c{self.index}", question(self.index))
        self.visitor.open()
        await self.answered.wait()

    async def say(self, text: str) -> bool:
        return await self.visitor.say(text)

    @property
    def held(self) -> bool:
        return self.visitor.connected.is_set()

    @property
    def errors(self) -> Counter[str]:
        return self.visitor.errors

    @property
    def reconnects(self) -> int:
        return self.visitor.reconnects

    async def close(self) -> None:
        await self.visitor.close()


class XmppParty(Party):
    """An XMPP client writing to the node's address."""

    def __init__(self, index: int, prefix: str, delays: Delays, client: FastClient,
                 node: str) -> None:
        super().__init__(index, prefix, delays)
        self.client = client
        self.node = node
        client.on_message = self._message

    def _message(self, m: Incoming) -> None:
        at = time.perf_counter_ns()
        if m.from_bare == self.node and m.body:
            self.answered.set()
            self.heard(m.body, at)

    async def begin(self) -> None:
        """Its first message sent and the service's first answer read (that
        it is queued), as a visitor's start is paced by its POST and stream."""
        self.client.send_message(self.node, question(self.index))
        await self.answered.wait()

    async def say(self, text: str) -> bool:
        self.client.send_message(self.node, text)
        return True

    @property
    def held(self) -> bool:
        return self.client.error is None and self.client.transport is not None \
            and not self.client.transport.is_closing()

    @property
    def errors(self) -> Counter[str]:
        return Counter({f"XMPP: {self.client.error}": 1} if self.client.error else {})

    async def close(self) -> None:
        await self.client.close()


class Desk:
    """The operators: each invitation is accepted by answering it, each
    measured message echoed into its chat at once."""

    def __init__(self, operators: Sequence[FastClient], node_local: str, prefix: str,
                 delays: Delays) -> None:
        self.prefix = prefix
        self.delays = delays
        self.chat_address = re.compile(rf"^{re.escape(node_local)}\+(\d+)@")
        self.chats: dict[str, int] = {}  # chat address -> client index
        self.invitations = 0
        self.unknown: list[str] = []  # invitations naming no client of ours
        self.other = 0
        self.per_operator: Counter[str] = Counter()
        for op in operators:
            op.on_message = self._handler(op)

    def _handler(self, op: FastClient) -> Callable[[Incoming], None]:
        prefix = self.prefix
        clock = time.perf_counter_ns

        def on_message(m: Incoming) -> None:
            at = clock()
            body = m.body or ""
            if body.startswith(prefix):
                sent = int(body[len(prefix):].split(" ", 3)[2])
                self.delays.to_operator.append(at - sent)
                op.transport.write(  # type: ignore[union-attr]
                    f"<message to='{m.from_bare}' type='chat'><body>{body} {clock()}"
                    f"</body></message>".encode())
            elif "New chat #" in body and self.chat_address.match(m.from_):
                self.invitations += 1
                found = LABEL.search(body)
                if found is None:
                    self.unknown.append(body[:200])
                    return
                self.chats[m.from_bare] = int(found.group(1)[1:])
                self.per_operator[op.bare] += 1
                op.send_message(m.from_bare, f"{GREETING} {op.user}, how can I help?")
            else:
                self.other += 1

        return on_message


async def talk(parties: Sequence[Party], prefix: str, delays: Delays, *, seconds: float,
               rate: float, seed: int = 1) -> float:
    """Every party sends ``rate`` messages a minute for ``seconds``, the first
    at a random offset within its period; returns when the last is sent
    (the seconds from the window's start)."""
    period = 60.0 / rate
    count = max(1, round(seconds / period))
    chance = random.Random(seed)
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def one(party: Party, offset: float) -> None:
        for seq in range(count):
            await asyncio.sleep(max(0.0, start + offset + seq * period - loop.time()))
            delays.sent += 1
            if not await party.say(f"{prefix}{party.index} {seq:02d} {time.perf_counter_ns()}"):
                delays.unsent += 1

    await asyncio.gather(*(one(p, chance.uniform(0, period)) for p in parties))
    return loop.time() - start
