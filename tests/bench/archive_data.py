"""
The archive benchmark's data (tests/bench/bench_archive.py): chats and
their events as the core writes them, generated deterministically (one
seed) and bulk-loaded into a store whose schema the real store made.

What a chat looks like (read from core/clients.py, offers.py, closing.py,
rating.py, transfers.py and store/sqlstats.py):

- served: ``state queued`` by system, the client's first message (its
  ``first_line``), ``state offered`` to an operator of the node with the
  invitation notice, the operator's answer (a message, or a ``!accept``
  command and a message later) with ``state active`` by the operator and
  the notices that follow, the conversation, then ``state closed`` (by the
  operator, or by the system: idle, client) with ``{"reason", "operators"}``
  and the goodbye and rating question; about a third of them then get a
  ``rating`` event by the client with ``{"rating": n, "comment"}``; a few
  are handed over (``joined`` by a second operator, ``left`` by the first).
- abandoned: queued, one or two client messages, offered, perhaps an
  expired invitation, ``state abandoned`` with reason ``client``.

The SPEC 15 events the core writes to the outbox with them (chat.queued,
offered, accepted, closed, abandoned, rated) are there too, and each
operator's ``operator.state`` changes of a working day (free, afk at lunch,
free, offline), since the operator statistics read them from the outbox.

Time: the six calendar months (UTC) before ``end``, more chats on working
days and hours and a slow growth; nodes take unequal shares; returning
clients come back (every client has at least one chat).
"""
from __future__ import annotations

import json
import math
import random
import tomllib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from imsupport.core.events import chatEventId
from tests.bench.archive_words import Vocabulary, sentence, vocabulary

NODES = (("sales", 0.40), ("support", 0.30), ("billing", 0.20), ("partners", 0.10))
# which operators (1-based numbers) work in each node: overlapping teams
TEAMS = {"sales": range(1, 21), "support": range(16, 36), "billing": range(33, 45),
         "partners": range(44, 51)}
OPERATORS = 50
CLIENTS = 30_000
MONTHS = 6
DOMAIN = "shop.test"
CLIENT_DOMAINS = ("shop.test", "mail.example", "jabber.example")
ABANDONED_SHARE = 0.07
RATED_SHARE = 0.35
HANDED_OVER_SHARE = 0.03
ACCEPT_BY_COMMAND = 0.2
RATINGS = ((5, 50), (4, 25), (3, 10), (2, 7), (1, 8))
COMMENTS = ("", "", "спасибо", "thanks, fast help", "долго ждал", "всё решили", "ok")
HOURS = (1, 1, 1, 1, 1, 2, 4, 8, 14, 18, 20, 20, 18, 19, 20, 19, 17, 14, 11, 9, 7, 5, 3, 2)
LOCALE = Path(__file__).resolve().parents[2] / "imsupport" / "locale"


@dataclass(frozen=True)
class Spec:
    chats: int = 100_000
    messages: int = 1_000_000
    seed: int = 1
    end: float = 0.0  # POSIX seconds, the start of a month (UTC); 0 = this month's


def monthStarts(end: float, months: int = MONTHS) -> list[float]:
    """The starts of the ``months`` calendar months before ``end`` and ``end``."""
    when = datetime.fromtimestamp(end, timezone.utc)
    starts = []
    for back in range(months, -1, -1):
        year, month = divmod(when.year * 12 + when.month - 1 - back, 12)
        starts.append(datetime(year, month + 1, 1, tzinfo=timezone.utc).timestamp())
    return starts


def thisMonth() -> float:
    now = datetime.now(timezone.utc)
    return datetime(now.year, now.month, 1, tzinfo=timezone.utc).timestamp()


def operatorJid(number: int) -> str:
    return f"op{number:02d}@{DOMAIN}"


def nodesOf(number: int) -> list[str]:
    return [node for node, team in TEAMS.items() if number in team]


@dataclass
class Generated:
    """What the loaders got, and what the benchmark needs to know of it."""

    chats: int = 0
    messages: int = 0
    events: int = 0
    outbox: int = 0
    clients: set[str] = field(default_factory=set)
    stem_messages: Counter[int] = field(default_factory=Counter)  # stem index -> messages


class Generator:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.vocab: Vocabulary = vocabulary()
        self.months = monthStarts(spec.end or thisMonth())
        self.texts = {lang: tomllib.loads((LOCALE / lang / "messages.toml").read_text())
                      for lang in ("en", "ru")}
        self.result = Generated()

    # -- the plan of every chat ----------------------------------------------------

    def _times(self) -> list[float]:
        start, end = self.months[0], self.months[-1]
        days = int((end - start) // 86400)
        weights = []
        for d in range(days):
            weekday = datetime.fromtimestamp(start + d * 86400, timezone.utc).weekday()
            weights.append((1.0, 1.0, 1.0, 1.0, 1.0, 0.45, 0.3)[weekday] * (1 + 0.3 * d / days))
        rng = self.rng
        picked = rng.choices(range(days), weights, k=self.spec.chats)
        hours = rng.choices(range(24), HOURS, k=self.spec.chats)
        return sorted(start + d * 86400 + h * 3600 + rng.random() * 3600
                      for d, h in zip(picked, hours, strict=True))

    def _clients(self) -> list[str]:
        """Every client once, the rest returning clients (a skewed draw)."""
        rng, n = self.rng, min(CLIENTS, self.spec.chats)
        picks = list(range(n))
        weights = [1.0 / (i + 1) ** 0.7 for i in range(n)]
        picks += rng.choices(range(n), weights, k=self.spec.chats - n)
        rng.shuffle(picks)
        return [f"c{i:05d}@{CLIENT_DOMAINS[i % len(CLIENT_DOMAINS)]}" for i in picks]

    def _counts(self, abandoned: list[bool]) -> list[int]:
        """Messages per chat, adding up to spec.messages exactly."""
        rng = self.rng
        counts = [rng.choice((1, 1, 2)) if a else 0 for a in abandoned]
        served = [i for i, a in enumerate(abandoned) if not a]
        left = self.spec.messages - sum(counts)
        mean = max(0.0, left / max(1, len(served)) - 2)
        for i in served:
            counts[i] = 2 + int(rng.lognormvariate(math.log(max(mean, 0.5)) - 0.18, 0.6))
        diff = self.spec.messages - sum(counts)
        while diff and served:
            i = rng.choice(served)
            if diff > 0:
                counts[i] += 1
                diff -= 1
            elif counts[i] > 2:
                counts[i] -= 1
                diff += 1
        return counts

    def chats(self) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]],
                                      list[tuple[Any, ...]]]]:
        """(chat row, event rows, outbox rows) of every chat, by id and time."""
        rng = self.rng
        times = self._times()
        clients = self._clients()
        nodes = rng.choices([n for n, _ in NODES], [s for _, s in NODES], k=len(times))
        abandoned = [rng.random() < ABANDONED_SHARE for _ in times]
        counts = self._counts(abandoned)
        # some operators answer more chats than others
        skill = {n: 0.5 + rng.random() for n in range(1, OPERATORS + 1)}
        for i, created in enumerate(times):
            chat = _Chat(self, i + 1, nodes[i], clients[i], created)
            team = list(TEAMS[chat.node])
            operator = rng.choices(team, [skill[n] for n in team])[0]
            if abandoned[i]:
                chat.abandon(counts[i], operator)
            else:
                chat.serve(counts[i], operator, team)
            self.result.chats += 1
            self.result.clients.add(chat.client)
            self.result.events += len(chat.events)
            self.result.outbox += len(chat.outbox)
            yield chat.row(), chat.events, chat.outbox

    def operatorStates(self) -> Iterator[tuple[Any, ...]]:
        """Outbox rows of the operators' working days (free, afk, free, offline)."""
        rng = random.Random(self.spec.seed + 1)
        start, end = self.months[0], self.months[-1]
        day = start
        while day < end:
            if datetime.fromtimestamp(day, timezone.utc).weekday() < 5:
                for number in range(1, OPERATORS + 1):
                    jid, nodes = operatorJid(number), nodesOf(number)
                    shift = day + rng.choice((7, 8, 9, 12)) * 3600 + rng.random() * 1800
                    for offset, state in ((0, "free"), (4 * 3600, "afk"), (4.75 * 3600, "free"),
                                          (8.5 * 3600, "offline")):
                        at = shift + offset + rng.random() * 600
                        data = {"operator": jid, "state": state, "nodes": sorted(nodes)}
                        self.result.outbox += 1
                        yield (f"evt_{rng.getrandbits(128):032x}", "operator.state", at,
                               json.dumps(data, ensure_ascii=False, sort_keys=True))
            day += 86400

    # -- words -------------------------------------------------------------------------

    def text(self, words: int) -> str:
        ranks = self.vocab.draw(self.rng, words)
        self.result.messages += 1
        self.result.stem_messages.update({self.vocab.stem_of[r] for r in ranks})
        text = sentence(self.vocab, ranks, self.rng)
        if self.rng.random() < 0.04:
            text += f" №{self.rng.randint(100000, 999999)}"
        return text

    def notice(self, lang: str, key: str, **fields: Any) -> str:
        return str(self.texts[lang][key].format_map(_Blank(fields)))


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "…"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class _Chat:
    """One chat being written: its record's fields, events and outbox rows."""

    def __init__(self, gen: Generator, id: int, node: str, client: str, created: float) -> None:
        self.gen, self.rng = gen, gen.rng
        self.id, self.node, self.client, self.created = id, node, client, created
        self.lang = "ru" if self.rng.random() < 0.65 else "en"
        self.languages = [self.lang, "en" if self.lang == "ru" else "ru"]
        self.state = "queued"
        self.operators: list[str] = []
        self.accepted_at: float | None = None
        self.closed_at: float | None = None
        self.reason: str | None = None
        self.first_line = ""
        self.events: list[tuple[Any, ...]] = []
        self.outbox: list[tuple[Any, ...]] = []
        self.at = created

    def row(self) -> tuple[Any, ...]:
        return (self.id, self.node, self.client, self.state, _dumps(self.languages),
                _dumps(self.operators), self.created, self.accepted_at, self.closed_at,
                self.reason, self.first_line)

    def event(self, kind: str, author: str, text: str = "", hook: str | None = None,
              hook_data: dict[str, Any] | None = None, **data: Any) -> None:
        seq = len(self.events) + 1
        self.events.append((self.id, seq, self.at, kind, author, text, _dumps(data)))
        if hook is not None:
            body = {"chat_id": self.id, **(hook_data or {})}
            self.outbox.append((chatEventId(self.id, seq), hook, self.at,
                                json.dumps(body, ensure_ascii=False, sort_keys=True)))

    def later(self, low: float, high: float) -> None:
        self.at += low + self.rng.random() * (high - low)

    def message(self, author: str, words: int | None = None) -> None:
        words = words or 3 + min(30, int(self.rng.expovariate(1 / 6)))
        text = self.gen.text(words)
        data: dict[str, Any] = {"id": f"m{self.rng.getrandbits(40):x}"} \
            if author == "client" and self.rng.random() < 0.5 else {}
        if author == "client" and not self.first_line:
            self.first_line = text[:200]
        self.event("message", author, text, **data)

    def toClient(self, key: str, **fields: Any) -> None:
        self.event("notice", "system", self.gen.notice(self.lang, key, **fields),
                   to="client", key=key)

    def toOperator(self, operator: str, key: str, **fields: Any) -> None:
        self.event("notice", "system", self.gen.notice("en", key, chat=self.id, **fields),
                   to=operator, key=key)

    def start(self, operator: str) -> None:
        self.event("state", "system", "queued", hook="chat.queued", hook_data={
            "node": self.node, "client": self.client, "languages": self.languages})
        self.message("client")
        self.toClient("queued", position=self.rng.randint(1, 4), title=self.node, end="!end",
                      help="!help")
        self.later(0.3, 3)
        self.state = "offered"
        self.event("state", "system", "offered", hook="chat.offered",
                   hook_data={"node": self.node, "operator": operator, "wave": 1},
                   operator=operator, wave=1)
        self.toOperator(operator, "invitation", node=self.node, title=self.node,
                        client=self.client, languages=", ".join(self.languages),
                        transcript=self.first_line, timeout=60, wait="1 s")

    def serve(self, messages: int, operator: int, team: list[int]) -> None:
        jid = operatorJid(operator)
        self.start(jid)
        self.later(2, 20 + self.rng.lognormvariate(math.log(25), 1.0))
        self.accepted_at = self.at
        if self.rng.random() < ACCEPT_BY_COMMAND:
            self.event("command", jid, "!accept")
            left = messages - 1
        else:
            self.message(jid)
            left = messages - 2
        self.state, self.operators = "active", [jid]
        self.event("state", jid, "active", hook="chat.accepted", hook_data={
            "node": self.node, "client": self.client, "operator": jid,
            "waited_s": round(self.at - self.created, 3)})
        self.toOperator(jid, "accepted", client=self.client)
        self.toClient("operator_joined", name=f"Operator {operator}")
        handover = len(team) > 1 and left > 4 and self.rng.random() < HANDED_OVER_SHARE
        author = "client"
        for n in range(left):
            self.later(8, 120)
            if handover and n == left // 2:
                other = operatorJid(self.rng.choice([t for t in team if t != operator]))
                self.event("state", other, "joined", hook="chat.joined",
                           hook_data={"operator": other, "by": jid}, by=jid)
                self.later(20, 60)
                self.event("state", jid, "left")
                self.operators = [other]
                jid = other
            if n == 0 and left == messages - 1:
                author = jid  # after !accept the operator writes first
            self.message(author)
            author = jid if author == "client" or self.rng.random() < 0.3 else "client"
        self.close()

    def close(self) -> None:
        rng = self.rng
        roll = rng.random()
        by, reason = (self.operators[0], "operator") if roll < 0.7 else \
            ("system", "idle") if roll < 0.85 else ("system", "client")
        if reason == "idle":
            self.later(1800, 1830)  # the node's idle_timeout
        else:
            self.later(5, 60)
        self.state, self.closed_at, self.reason = "closed", self.at, reason
        self.event("state", by, "closed", hook="chat.closed", hook_data={
            "node": self.node, "client": self.client, "operators": self.operators,
            "reason": reason, "duration_s": round(self.at - self.created, 3)},
            reason=reason, operators=self.operators)
        key = {"operator": "closed_by_operator", "idle": "closed_idle",
               "client": "closed_by_client"}[reason]
        self.toClient(key, name="Operator", minutes=30)
        for operator in self.operators:
            self.toOperator(operator, "chat_closed_for_operator", reason=reason)
        self.toClient("rating_question")
        if rng.random() < RATED_SHARE:
            self.later(10, 300)
            rating = rng.choices([r for r, _ in RATINGS], [w for _, w in RATINGS])[0]
            comment = rng.choice(COMMENTS)
            self.event("rating", "client", f"{rating} {comment}".strip(), hook="chat.rated",
                       hook_data={"rating": rating, "comment": comment},
                       rating=rating, comment=comment)
            self.toClient("rating_thanks", rating=rating)

    def abandon(self, messages: int, operator: int) -> None:
        jid = operatorJid(operator)
        self.start(jid)
        for _ in range(messages - 1):
            self.later(5, 60)
            self.message("client")
        self.later(10, 30 + self.rng.lognormvariate(math.log(90), 0.8))
        if self.at - self.created > 60:
            self.event("state", "system", "invitation expired", operator=jid)
            self.toOperator(jid, "invitation_expired")
        self.state, self.closed_at, self.reason = "abandoned", self.at, "client"
        self.event("state", "system", "abandoned", hook="chat.abandoned", hook_data={
            "node": self.node, "client": self.client,
            "waited_s": round(self.at - self.created, 3)}, reason="client", operators=[])
        self.toClient("abandoned")


def monthLabel(start: float) -> str:
    return datetime.fromtimestamp(start, timezone.utc).strftime("%Y-%m")


def isoUtc(at: float) -> str:
    return datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
