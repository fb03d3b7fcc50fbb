"""
Webhooks flowing while the relay benchmark relays (issue 10 item 9): the
parts of ``bench_relay --webhooks``.

With ``--webhooks`` each store's relay measurement is made a second time
with webhooks flowing, on a fresh store and a fresh service:

- the service's configuration has a ``[[webhooks]]`` entry (``events =
  ["*"]``) pointing at a local HTTP receiver that this module runs in its own
  process (``python -m tests.bench.hookload receive``), so its work neither
  shares the bench's event loop nor its GIL. It verifies every request's
  signature with ``standardwebhooks`` (the reference verifier), answers 204,
  and counts events, duplicates (a ``webhook-id`` seen before) and bad
  signatures, with the time of each event's first arrival;
- the deliverer has work during the whole relay window: chat messages make
  no SPEC 15 events, so before the service starts, ``--hook-backlog``
  (50,000) events are written to the store's outbox through the store API
  (``IStore.addEvents``, in ``python -m tests.bench.hookload backlog``),
  ahead of the live events the run makes (operators' states, chats queued,
  offered and accepted).

During the direct rounds of a webhook run the service is stopped
(SIGSTOP, then SIGCONT): without webhooks it idles through them, and a
deliverer working on would take the cores from the direct baseline (by
20-40% on 2 cores), flattering the relay's ratio. After the rounds comes a
window with webhooks and no chat traffic (``--hook-idle``, 5 s).

Reported per store: relay msg/s and ratio to direct with and without
webhooks and their ratio to each other; webhook events delivered per second
during the relay rounds, with no chat traffic, and overall (from the
service's start, the frozen direct rounds left out); whether the backlog
lasted through the relay rounds; duplicates; bad signatures (must be 0).
Nothing is asserted.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import bisect
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.e2e.prosody import die_with_parent

BACKLOG = 50_000
BACKLOG_PREFIX = "evt_bench"
CHUNK = 1000  # events per addEvents call when filling the backlog
SUFFIX = " +webhooks"  # added to the names of a webhook run's rows


# -- the receiver (its own process) ---------------------------------------------------

class Counts:
    """What the receiver saw; ``first`` and ``backlog`` are the monotonic
    times of each event's first arrival (backlog events also in ``backlog``)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.posts = 0
        self.duplicates = 0
        self.bad_signatures = 0
        self.seen: set[str] = set()
        self.first: list[float] = []
        self.backlog: list[float] = []

    def as_json(self) -> bytes:
        with self.lock:
            return json.dumps({"posts": self.posts, "duplicates": self.duplicates,
                               "bad_signatures": self.bad_signatures, "first": self.first,
                               "backlog": self.backlog}).encode()


def serve(secret: str) -> None:
    """POST: verify, count, 204 (keep-alive, as a real receiver would);
    GET /stats: the counts as JSON. Prints ``port N`` once listening; ends
    when stdin closes (the bench ended) or on SIGTERM."""
    from standardwebhooks import Webhook

    verifier = Webhook(secret)
    counts = Counts()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                verifier.verify(body, headers)
                ok = True
            except Exception:  # noqa: BLE001 -- any failure to verify is a bad signature
                ok = False
            now = time.monotonic()
            id = headers.get("webhook-id", "")
            with counts.lock:
                counts.posts += 1
                if not ok:
                    counts.bad_signatures += 1
                elif id in counts.seen:
                    counts.duplicates += 1
                else:
                    counts.seen.add(id)
                    counts.first.append(now)
                    if id.startswith(BACKLOG_PREFIX):
                        counts.backlog.append(now)
            self.send_response(204 if ok else 400)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:  # noqa: N802
            text = counts.as_json()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"port {server.server_address[1]}", flush=True)
    sys.stdin.read()  # until the bench closes our stdin (or dies)
    server.shutdown()


# -- the backlog (its own process: the store runs on a Twisted reactor) ---------------

def backlog_events(count: int, now: float) -> list[Any]:
    """``count`` events shaped like SPEC 15's chat events, four per made-up
    chat (ids far above the bench's own chats)."""
    from imsupport.core.events import (
        CHAT_ACCEPTED,
        CHAT_CLOSED,
        CHAT_OFFERED,
        CHAT_QUEUED,
        HookEvent,
    )
    events = []
    for i in range(count):
        chat, step = 1_000_000 + i // 4, i % 4
        client, operator = f"client{chat}@shop.test", f"op{chat % 50}@shop.test"
        kinds: list[tuple[str, dict[str, Any]]] = [
            (CHAT_QUEUED, {"node": "bench", "client": client, "languages": ["en"]}),
            (CHAT_OFFERED, {"node": "bench", "operator": operator, "wave": 1}),
            (CHAT_ACCEPTED, {"node": "bench", "client": client, "operator": operator,
                             "waited_s": 4.2}),
            (CHAT_CLOSED, {"node": "bench", "client": client, "operators": [operator],
                           "reason": "operator", "duration_s": 312.5}),
        ]
        type_, data = kinds[step]
        events.append(HookEvent(id=f"{BACKLOG_PREFIX}{i}", type=type_,
                                at=now - (count - i) * 0.01, data={"chat_id": chat, **data}))
    return events


def fill(url: str, count: int) -> None:
    """Open the store at ``url`` (creating its schema), add ``count`` events
    to its outbox with ``addEvents``, close it."""
    from twisted.internet import task
    from twisted.internet.defer import Deferred, gatherResults

    from imsupport.store import makeStore

    async def main(reactor: Any) -> None:
        store = makeStore(url, reactor=reactor)
        await store.open()
        events = backlog_events(count, time.time())
        started = time.monotonic()
        await gatherResults([store.addEvents(events[i:i + CHUNK])
                             for i in range(0, count, CHUNK)])
        print(f"stored {count} events in {time.monotonic() - started:.1f}s", flush=True)
        await store.close()

    task.react(lambda reactor: Deferred.fromCoroutine(main(reactor)))


# -- the bench's side -------------------------------------------------------------------

@dataclass
class HookFigures:
    """One webhook run's deliveries, as the receiver saw them: first
    arrivals (events, seconds) in each part of the run."""
    backlog: int
    posts: int
    delivered: int
    duplicates: int
    bad_signatures: int
    relay: tuple[int, float]    # during the relay rounds
    idle: tuple[int, float]     # the idle window after them: no chat traffic
    overall: tuple[int, float]  # service start to the end, less the frozen direct rounds
    backlog_left: int  # backlog events not yet delivered when the last relay round ended
    notes: list[str] = field(default_factory=list)

    @staticmethod
    def rate(part: tuple[int, float]) -> float:
        return part[0] / part[1] if part[1] > 0 else 0.0


class HookLoad:
    """One store's webhook run: the receiver, the backlog, and the parts of
    the run the deliveries are counted in."""

    def __init__(self, workdir: Path, backlog: int = BACKLOG) -> None:
        self.workdir = workdir
        self.backlog = backlog
        self.secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        self.receiver: subprocess.Popen[str] | None = None
        self.port = 0
        self.windows: list[tuple[float, float]] = []   # the relay rounds
        self.idle_window = (0.0, 0.0)
        self.frozen_seconds = 0.0
        self.started_at = 0.0

    @property
    def pid(self) -> int | None:
        return None if self.receiver is None else self.receiver.pid

    def config_toml(self) -> str:
        return (f'\n[[webhooks]]\nid = "bench"\nurl = "http://127.0.0.1:{self.port}/hook"\n'
                f'secret = "{self.secret}"\nevents = ["*"]\n')

    def start_receiver(self) -> None:
        """Call from the main thread (its child dies with the thread that
        started it)."""
        self.receiver = subprocess.Popen(
            [sys.executable, "-m", "tests.bench.hookload", "receive", self.secret],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            preexec_fn=die_with_parent)
        line = self.receiver.stdout.readline()  # type: ignore[union-attr]
        if not line.startswith("port "):
            raise RuntimeError(f"the webhook receiver did not start: {line}"
                               f"{self.receiver.stdout.read()}")  # type: ignore[union-attr]
        self.port = int(line.split()[1])

    def stop(self) -> None:
        receiver, self.receiver = self.receiver, None
        if receiver is not None:
            receiver.stdin.close()  # type: ignore[union-attr]  # it ends when stdin does
            try:
                receiver.wait(5)
            except subprocess.TimeoutExpired:
                receiver.kill()
                receiver.wait()

    async def fill(self, url: str) -> str:
        """The backlog into the store at ``url``; what the filler said."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.bench.hookload", "backlog", url, str(self.backlog),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            cwd=Path(__file__).resolve().parents[2])
        out, _ = await proc.communicate()
        text = out.decode(errors="replace").strip()
        if proc.returncode != 0:
            raise RuntimeError(f"filling the outbox failed ({proc.returncode}):\n{text}")
        return text.splitlines()[-1] if text else ""

    def service_started(self) -> None:
        self.started_at = time.monotonic()

    def window(self, started: float, ended: float) -> None:
        self.windows.append((started, ended))

    @contextlib.contextmanager
    def frozen(self, *pids: int | None) -> Iterator[None]:
        """The service stopped (SIGSTOP) for a direct round: without webhooks
        it idles through them, so the direct baseline has the cores to
        itself; the deliverer must not take them from it here either. Give
        the profiler's pid too: it would count the stopped threads as busy
        where they stopped."""
        stopped = [pid for pid in pids if pid is not None]
        for pid in stopped:
            os.kill(pid, signal.SIGSTOP)
        started = time.monotonic()
        try:
            yield
        finally:
            for pid in reversed(stopped):
                os.kill(pid, signal.SIGCONT)
            self.frozen_seconds += time.monotonic() - started

    async def idle(self, seconds: float) -> None:
        """A window with webhooks and no chat traffic."""
        started = time.monotonic()
        await asyncio.sleep(seconds)
        self.idle_window = (started, time.monotonic())

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/stats", timeout=10) as r:
            return json.loads(r.read())  # type: ignore[no-any-return]

    def figures(self) -> HookFigures:
        """Call at the end of the run, before the service stops."""
        ended = time.monotonic()
        s = self.stats()
        first = s["first"]   # in arrival order, so sorted

        def within(a: float, b: float) -> int:
            return bisect.bisect_right(first, b) - bisect.bisect_left(first, a)

        relay = (sum(within(a, b) for a, b in self.windows),
                 sum(b - a for a, b in self.windows))
        idle = (within(*self.idle_window), self.idle_window[1] - self.idle_window[0])
        last = max((b for _, b in self.windows), default=ended)
        left = self.backlog - bisect.bisect_right(s["backlog"], last)
        figures = HookFigures(self.backlog, s["posts"], len(first), s["duplicates"],
                              s["bad_signatures"], relay, idle,
                              (len(first), ended - self.started_at - self.frozen_seconds), left)
        if left == 0:
            figures.notes.append("the backlog ran out before the last relay round ended: the "
                                 "relay-round rate is a lower bound (raise --hook-backlog)")
        return figures


def summary(rows: Sequence[tuple[str, float, float | None, HookFigures | None]]) -> list[str]:
    """``rows``: (name, msg/s, msg/s of the direct rounds alongside or None,
    webhook figures or None) of every relay row; the lines comparing each
    store's run without webhooks and with them."""
    by_name = {name: (rate, direct) for name, rate, direct, _ in rows}
    out: list[str] = []
    for name, rate, direct, hooks in rows:
        if hooks is None:
            continue
        out.append("")
        plain = name.removesuffix(SUFFIX)
        b_rate, b_direct = by_name.get(plain, (0.0, None))
        if b_rate:
            text = (f"{plain}: {b_rate:.0f} msg/s without webhooks, {rate:.0f} with "
                    f"({rate / b_rate:.2f} of it)")
            if direct and b_direct:
                ratio, b_ratio = rate / direct, b_rate / b_direct
                text += (f"; ratio to direct {b_ratio:.2f} without, {ratio:.2f} with "
                         f"({ratio / b_ratio:.2f} of it); the direct rounds alongside "
                         f"{b_direct:.0f} and {direct:.0f} msg/s")
            out.append(text)
        f = hooks
        out.append(
            f"{name}: webhook events delivered per second: {f.rate(f.relay):.0f} during the "
            f"relay rounds ({f.relay[0]} in {f.relay[1]:.1f}s), {f.rate(f.idle):.0f} with no "
            f"chat traffic ({f.idle[0]} in {f.idle[1]:.1f}s after the rounds), "
            f"{f.rate(f.overall):.0f} overall ({f.overall[0]} in {f.overall[1]:.1f}s from the "
            f"service's start, direct rounds left out); {f.posts} POSTs, {f.duplicates} "
            f"duplicates, {f.bad_signatures} bad signatures; {f.backlog_left} of the "
            f"{f.backlog} backlog events still queued after the last relay round")
        out += [f"{name}: {note}" for note in f.notes]
    if any(hooks for *_, hooks in rows):
        out.append("(the service is stopped with SIGSTOP during a webhook run's direct rounds, "
                   "so that the deliverer does not take the cores from the direct baseline; "
                   "without webhooks the service idles through them)")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.bench.hookload",
                                description="bench_relay --webhooks' helper processes")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("receive", help="run the webhook receiver")
    r.add_argument("secret")
    b = sub.add_parser("backlog", help="add events to a store's outbox")
    b.add_argument("url")
    b.add_argument("count", type=int)
    args = p.parse_args(argv)
    if args.command == "receive":
        serve(args.secret)
    else:
        fill(args.url, args.count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
