"""
Store outages end to end (issue 7, defect 8; R-RUN-3, R-CHAT-6): real Prosody,
the real ``twistd -n imsupport``, slixmpp clients, and a store that really
goes away mid-chat: a PostgreSQL cluster of the test's own stopped ``fast``
or ``immediate`` for 10 s, and an SQLite file on a small tmpfs that fills up.

While client and operator each send 5 messages a second in one chat and a
second pair does the same in another, every message must end up either
delivered (once) or refused to its sender with an error stanza carrying its
id: sent = delivered + refused, lost = 0, per direction. A client who writes
for the first time during the outage gets either a stored chat afterwards or
an error, never a chat that exists only in memory. Run with ``-s`` to see the
figures.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.pgcluster import PgCluster
from tests.e2e.service import FAST_CLIENTS, ImsupportProcess, sqlite_url
from tests.e2e.xmppclient import TestClient
from tests.metricstext import has
from tests.tmpfs import mountedTmpfs

COMPONENT = "support.shop.test"
SALES = f"sales@{COMPONENT}"
HOLD = 4  # [storage] hold_timeout in most runs: part of a 10 s outage is refused
DEFAULT_HOLD = 30  # the default: a 10 s outage refuses nothing
RATE = 5.0  # messages per second from each sender
BEFORE, OUTAGE, AFTER = 2.0, 10.0, 3.0  # seconds of traffic around the outage
SETTLE = 20.0  # seconds allowed after the outage for held messages to land


def nodes_toml(*operators: TestClient) -> str:
    names = ", ".join(f'"{o.bare}"' for o in operators)
    return f"""
[[nodes]]
name = "sales"
title = "Sales questions"
languages = ["en"]

  [[nodes.groups]]
  name = "first"
  operators = [{names}]
"""


def operator_rows(*operators: TestClient) -> list[dict[str, Any]]:
    return [{"jid": o.bare, "name": name, "languages": ["en"], "max_chats": 2}
            for o, name in zip(operators, ("Ivan", "Olga"), strict=False)]


def metrics(service: ImsupportProcess) -> str:
    with urllib.request.urlopen(f"{service.base_url}/metrics", timeout=5) as r:
        return r.read().decode()


def metric(service: ImsupportProcess, name: str) -> float:
    for line in metrics(service).splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"no {name} in /metrics")


def store_up(service: ImsupportProcess) -> bool:
    """/healthz's store flag (its body is the same JSON on 200 and 503)."""
    _, answer = service.health()
    if isinstance(answer, str):
        try:
            answer = json.loads(answer)
        except ValueError:
            return False
    return isinstance(answer, dict) and answer.get("store") is True


def wait_free(service: ImsupportProcess, count: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not has(metrics(service), 'imsupport_operators{state="free"}', count):
        if time.monotonic() > deadline:
            raise AssertionError(f"operators never free:\n{metrics(service)}")
        time.sleep(0.1)


def invited(operators: tuple[TestClient, ...], text: str) -> list[tuple[TestClient, str]]:
    """(operator, chat address) of every invitation that quotes ``text``."""
    return [(op, m.from_bare) for op in operators for m in op.messages()
            if m.from_bare.startswith("sales+") and text in m.body and "New chat" in m.body]


def open_chat(client: TestClient, operators: tuple[TestClient, ...],
              text: str) -> tuple[TestClient, str]:
    client.send_message(SALES, text)
    deadline = time.monotonic() + 10
    while not invited(operators, text):
        if time.monotonic() > deadline:
            raise AssertionError(f"nobody was offered {text!r}")
        time.sleep(0.05)
    operator, address = invited(operators, text)[0]
    operator.send_message(address, "!accept")
    client.wait_message(SALES, contains="joined the chat")
    return operator, address


@dataclass
class Direction:
    """One way of one chat: who sends to which address, who should get it."""
    name: str
    sender: TestClient
    to: str
    receiver: TestClient
    via: str  # the address the receiver gets it from
    sent: dict[str, str] = field(default_factory=dict)  # stanza id -> body

    def send(self, number: int) -> None:
        body = f"{self.name} #{number}"
        self.sent[self.sender.send_message(self.to, body)] = body

    def tally(self) -> dict[str, int]:
        bodies = set(self.sent.values())
        got = Counter(m.body for m in self.receiver.messages()
                      if m.from_bare == self.via and m.body in bodies)
        errors = {m.id for m in self.sender.messages()
                  if m.type == "error" and m.id in self.sent}
        delivered = {body for body in got}
        refused = {self.sent[i] for i in errors}
        return {"sent": len(self.sent), "delivered": len(delivered), "refused": len(refused),
                "lost": len(bodies - delivered - refused),
                "delivered twice": sum(1 for n in got.values() if n > 1),
                "delivered and refused": len(delivered & refused)}


class Traffic(threading.Thread):
    """Every sender of ``directions`` sends RATE messages a second for
    ``seconds``; a send that fails is a test failure, reported by join()."""

    def __init__(self, directions: list[Direction], seconds: float) -> None:
        super().__init__(daemon=True, name="traffic")
        self.directions = directions
        self.seconds = seconds
        self.error: BaseException | None = None

    def run(self) -> None:
        started = time.monotonic()
        try:
            for number in range(int(self.seconds * RATE)):
                time.sleep(max(0.0, started + number / RATE - time.monotonic()))
                for direction in self.directions:
                    direction.send(number)
        except BaseException as e:  # noqa: BLE001 - handed to the test thread
            self.error = e

    def finish(self) -> None:
        self.join(self.seconds + 30)
        if self.error is not None:
            raise self.error


@dataclass
class Newcomer:
    """A client who writes for the first time while the store is down."""
    client: TestClient
    text: str
    id: str = ""

    def outcome(self, operators: tuple[TestClient, ...], stored: list[str]) -> str:
        refused = any(m.type == "error" and m.id == self.id for m in self.client.messages())
        offered = bool(invited(operators, self.text))
        kept = self.text in stored
        if refused and not offered and not kept:
            return "refused"
        if kept and not refused:
            return "stored and offered" if offered else "stored and queued"
        return f"PHANTOM (refused={refused}, offered={offered}, stored={kept})"


@dataclass
class Store:
    """How a test breaks and mends its store, and reads what it holds."""
    url: str
    kind: str
    mode: str
    break_: Callable[[], None]
    mend: Callable[[], None]
    query: Callable[[str], list[tuple[Any, ...]]]


def outage_run(store: Store, start_imsupport: Callable[..., ImsupportProcess],
               xmpp_client: Callable[..., TestClient], hold: int = HOLD) -> None:
    ivan, olga = xmpp_client("ivan"), xmpp_client("olga")
    operators = (ivan, olga)
    service = start_imsupport(nodes_toml(ivan, olga), operators=operator_rows(ivan, olga),
                              storage_url=store.url,
                              storage_toml="" if hold == DEFAULT_HOLD else f"hold_timeout = {hold}",
                              # 5 messages/s from each client is over the default
                              # rate limit (2/s): raised so only the store refuses
                              extra_toml=FAST_CLIENTS)
    wait_free(service, 2)
    alice, bob = xmpp_client("alice"), xmpp_client("bob")
    carol, dave = xmpp_client("carol"), xmpp_client("dave")
    op_a, chat_a = open_chat(alice, operators, "A: hello")
    op_b, chat_b = open_chat(bob, operators, "B: hello")
    directions = [Direction("A client->operator", alice, SALES, op_a, chat_a),
                  Direction("A operator->client", op_a, chat_a, alice, SALES),
                  Direction("B client->operator", bob, SALES, op_b, chat_b),
                  Direction("B operator->client", op_b, chat_b, bob, SALES)]
    early = Newcomer(carol, "C: my first words, early in the outage")
    late = Newcomer(dave, "D: my first words, late in the outage")

    traffic = Traffic(directions, BEFORE + OUTAGE + AFTER)
    traffic.start()
    time.sleep(BEFORE)
    store.break_()
    broken = time.monotonic()
    health: list[bool] = []
    for at, newcomer in ((1.0, early), (OUTAGE - 2.0, late)):
        while time.monotonic() < broken + at:
            health.append(store_up(service))
            time.sleep(0.2)
        newcomer.id = newcomer.client.send_message(SALES, newcomer.text)
    while time.monotonic() < broken + OUTAGE:
        health.append(store_up(service))
        time.sleep(0.2)
    store.mend()
    traffic.finish()

    deadline = time.monotonic() + SETTLE
    while time.monotonic() < deadline:
        tallies = [d.tally() for d in directions]
        if all(t["delivered"] + t["refused"] >= t["sent"] for t in tallies) \
                and store_up(service):
            break
        time.sleep(0.25)
    time.sleep(1.0)  # anything that would arrive twice, or late, arrives now
    tallies = [d.tally() for d in directions]
    stored = [text for text, in store.query(
        "SELECT text FROM events WHERE kind = 'message' AND author = 'client'")]
    outcomes = {n.client.bare: n.outcome(operators, stored) for n in (early, late)}
    unbacked = store.query(
        "SELECT id FROM chats WHERE state IN ('queued', 'offered', 'active', 'held') "
        "AND NOT EXISTS (SELECT 1 "
        "FROM events WHERE events.chat_id = chats.id AND kind = 'message' "
        "AND author = 'client')")
    refused_metric = metric(service, "imsupport_store_refused_messages_total")
    refused_seen = sum(t["refused"] for t in tallies) + sum(
        o == "refused" for o in outcomes.values())

    print(f"\nstore outage: {store.kind}, {store.mode}, {OUTAGE:g} s, {RATE:g} messages/s per "
          f"sender, hold_timeout {hold} s")
    print(f"  {'direction':22} {'sent':>5} {'delivered':>9} {'refused':>7} {'lost':>4} "
          f"{'twice':>5}")
    for d, t in zip(directions, tallies, strict=True):
        print(f"  {d.name:22} {t['sent']:5} {t['delivered']:9} {t['refused']:7} {t['lost']:4} "
              f"{t['delivered twice']:5}")
    print(f"  first message during the outage: early {outcomes[carol.bare]}, "
          f"late {outcomes[dave.bare]}")
    print(f"  /healthz store flag seen down during the outage: {not all(health)}; "
          f"refused counter {refused_metric:g}, errors seen by senders {refused_seen}")

    for d, t in zip(directions, tallies, strict=True):
        assert t["lost"] == 0, (d.name, t, service.log_tail())
        assert t["sent"] == t["delivered"] + t["refused"], (d.name, t)
        assert t["delivered twice"] == 0 and t["delivered and refused"] == 0, (d.name, t)
    assert all(not o.startswith("PHANTOM") for o in outcomes.values()), outcomes
    assert unbacked == [], f"open chats without a stored client line: {unbacked}"
    assert not all(health), "/healthz never showed the store down"
    assert refused_metric == refused_seen
    if hold < OUTAGE:
        assert all(t["refused"] > 0 for t in tallies), "the outage outlasted hold_timeout"
        assert outcomes[carol.bare] == "refused"
    else:
        assert all(t["refused"] == 0 for t in tallies), "nothing waits longer than it may"
        assert outcomes[carol.bare] == "stored and offered"
    assert outcomes[dave.bare] == "stored and offered"
    assert "not_delivered" not in service.log_text()


# -- PostgreSQL: a cluster of the test's own -------------------------------------------

@pytest.fixture
def pg_cluster() -> Iterator[PgCluster]:
    cluster = PgCluster()
    try:
        cluster.initdb().start()
        yield cluster
    finally:
        cluster.cleanup()


@pytest.mark.parametrize("mode, hold", [("fast", HOLD), ("immediate", HOLD),
                                        ("fast", DEFAULT_HOLD)])
def test_postgres_stopped_mid_chat_loses_nothing(mode: str, hold: int, pg_cluster: PgCluster,
                                                  start_imsupport: Any,
                                                  xmpp_client: Any) -> None:
    store = Store(url=pg_cluster.url, kind="postgresql", mode=f"pg_ctl stop -m {mode}",
                  break_=lambda: pg_cluster.stop(mode), mend=pg_cluster.start,
                  query=pg_cluster.query)
    outage_run(store, start_imsupport, xmpp_client, hold)


# -- SQLite: the disk fills up for real -----------------------------------------------

@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A 16 MB tmpfs of the test's own (mounting needs root, as the whole
    e2e suite runs here); unmounted afterwards, whatever happens."""
    yield from mountedTmpfs("size=16m,mode=0700")


def fill(disk: Path) -> Path:
    """Write until the file system says it is full; returns the filler."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 1 << 16, 1 << 12, 1 << 9, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)
    assert os.statvfs(disk).f_bavail == 0
    return filler


def test_sqlite_disk_full_mid_chat_loses_nothing(small_disk: Path, start_imsupport: Any,
                                                 xmpp_client: Any) -> None:
    path = small_disk / "db.sqlite"

    def query(sql: str) -> list[tuple[Any, ...]]:
        connection = sqlite3.connect(path)
        try:
            return connection.execute(sql).fetchall()
        finally:
            connection.close()

    store = Store(url=sqlite_url(path), kind="sqlite", mode="disk full",
                  break_=lambda: fill(small_disk),
                  mend=lambda: (small_disk / "filler").unlink(), query=query)
    outage_run(store, start_imsupport, xmpp_client)
