"""
Web chat visitors for the web chat benchmark (tests/bench/bench_webchat.py):
plain HTTP clients of ``/chat/{node}/...`` on one asyncio loop (aiohttp),
each holding its event stream open and reading it as Server-Sent Events,
as the chat page does, without a browser.

A visitor starts with ``POST /chat/{node}/visitors`` (its token), then
holds ``GET /chat/{node}/events?token=`` open. A stream that ends while the
visitor is not closing is a drop: it comes back after the stream's
``retry:`` time with ``Last-Event-ID`` (the last id seen), as a browser's
EventSource does, and both are counted.
"""
from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

__all__ = ["SseEvent", "SseParser", "Visitor", "sessions"]

JSON = {"content-type": "application/json"}


@dataclass(frozen=True)
class SseEvent:
    id: str | None
    event: str
    data: Any
    at: int  # time.perf_counter_ns() when its last line arrived


class SseParser:
    """Lines of a ``text/event-stream`` in, events out (``feed`` returns the
    event a blank line completes, or None)."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.retry_ms: int | None = None
        self.comments = 0

    def feed(self, raw: bytes) -> SseEvent | None:
        line = raw.decode("utf-8").rstrip("\r\n")
        if not line:
            fields, self.fields = self.fields, {}
            if "data" not in fields and "event" not in fields:
                return None
            data = fields.get("data")
            return SseEvent(fields.get("id"), fields.get("event", "message"),
                            json.loads(data) if data else None, time.perf_counter_ns())
        if line.startswith(":"):
            self.comments += 1
            return None
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "retry" and value.isdigit():
            self.retry_ms = int(value)
        elif name == "data" and "data" in self.fields:
            self.fields["data"] += "\n" + value
        else:
            self.fields[name] = value
        return None


def sessions(posts: int) -> tuple[aiohttp.ClientSession, aiohttp.ClientSession]:
    """(requests, streams): POSTs share ``posts`` keep-alive connections; every
    stream has a connection of its own, never timed out while it is open."""
    requests = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=posts),
        timeout=aiohttp.ClientTimeout(total=60))
    streams = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0),
        timeout=aiohttp.ClientTimeout(total=None, connect=60, sock_read=None))
    return requests, streams


class Visitor:
    """One visitor of ``{base}/chat/{node}``; ``on_event(visitor, event)``
    for every SSE event of its stream (replayed ones too)."""

    def __init__(self, base: str, node: str, requests: aiohttp.ClientSession,
                 streams: aiohttp.ClientSession,
                 on_event: Callable[[Visitor, SseEvent], None]) -> None:
        self.url = f"{base}/chat/{node}"
        self.requests = requests
        self.streams = streams
        self.on_event = on_event
        self.token: str | None = None
        self.client: str | None = None
        self.last_id: str | None = None
        self.connected = asyncio.Event()  # set while a stream is open
        self.drops = 0  # streams that ended while we did not close them
        self.reconnects = 0  # streams opened again after a drop
        self.errors: Counter[str] = Counter()  # what went wrong, by kind
        self.post_ns: list[int] = []  # POST /messages: request to answer
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    async def start(self, name: str, question: str, languages: tuple[str, ...] = ("en",)
                    ) -> None:
        """Start the chat with ``question``; raises VisitorError if refused."""
        body = {"name": name, "languages": list(languages), "question": question}
        async with self.requests.post(f"{self.url}/visitors", json=body, headers=JSON) as r:
            answer = await r.json(content_type=None)
            if r.status != 201:
                raise VisitorError(f"{name}: POST visitors answered {r.status}: {answer}")
        self.token, self.client = answer["token"], answer["client"]

    def open(self) -> None:
        """Hold the event stream open (in a task) until ``close``."""
        self._task = asyncio.get_running_loop().create_task(self._hold())

    async def say(self, text: str) -> bool:
        """POST a message; False (and counted) when it was not taken."""
        started = time.perf_counter_ns()
        try:
            async with self.requests.post(f"{self.url}/messages", headers=JSON,
                                          json={"token": self.token, "text": text}) as r:
                await r.read()
                status = r.status
        except (aiohttp.ClientError, TimeoutError) as e:
            self.errors[f"POST messages: {type(e).__name__}"] += 1
            return False
        if status != 200:
            self.errors[f"POST messages: HTTP {status}"] += 1
            return False
        self.post_ns.append(time.perf_counter_ns() - started)
        return True

    async def close(self) -> None:
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _hold(self) -> None:
        retry = 2.0
        while True:
            parser = SseParser()
            headers = {"accept": "text/event-stream"}
            if self.last_id is not None:
                headers["last-event-id"] = self.last_id
            try:
                async with self.streams.get(f"{self.url}/events", headers=headers,
                                            params={"token": self.token or ""}) as r:
                    if r.status != 200:
                        self.errors[f"GET events: HTTP {r.status}"] += 1
                    else:
                        self.connected.set()
                        async for line in r.content:
                            event = parser.feed(line)
                            if event is not None:
                                if event.id is not None:
                                    self.last_id = event.id
                                self.on_event(self, event)
            except (aiohttp.ClientError, TimeoutError, ValueError) as e:
                self.errors[f"GET events: {type(e).__name__}"] += 1
            finally:
                self.connected.clear()
            if self._closing:
                return
            self.drops += 1
            if parser.retry_ms is not None:
                retry = parser.retry_ms / 1000
            await asyncio.sleep(retry)
            self.reconnects += 1


class VisitorError(RuntimeError):
    """The service refused to start a visitor's chat."""
