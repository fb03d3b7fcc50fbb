"""A plain Server-Sent Events client for end-to-end tests: one HTTP
connection read line by line in a thread, its events kept in order."""
from __future__ import annotations

import http.client
import json
import queue
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SseEvent:
    id: str | None
    event: str
    data: Any


class SseStream:
    def __init__(self, base_url: str, path: str, last_event_id: str | None = None,
                 timeout: float = 30.0) -> None:
        url = urllib.parse.urlsplit(base_url)
        self.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        self.connection.request("GET", path, headers=headers)
        self.response = self.connection.getresponse()
        self.status = self.response.status
        self.headers = dict(self.response.getheaders())
        self.received: queue.Queue[SseEvent] = queue.Queue()
        self.seen: list[SseEvent] = []
        self.comments = 0
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        fields: dict[str, str] = {}
        try:
            while True:
                line = self.response.readline()
                if not line:
                    return
                text = line.decode("utf-8").rstrip("\r\n")
                if not text:
                    if "event" in fields:
                        self.received.put(SseEvent(fields.get("id"), fields["event"],
                                                   json.loads(fields.get("data", "null"))))
                    fields = {}
                elif text.startswith(":"):
                    self.comments += 1
                else:
                    name, _, value = text.partition(":")
                    fields[name] = value[1:] if value.startswith(" ") else value
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            return  # the connection ended, or was closed under the reader (close())

    def wait(self, kind: str = "chat", timeout: float = 15.0, **matching: Any) -> SseEvent:
        """The next event of ``kind`` whose data has ``matching`` values
        (earlier ones are kept in ``seen``)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind} event {matching}; seen: {self.seen}")
            try:
                event = self.received.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(event)
            if event.event == kind and all(event.data.get(k) == v for k, v in matching.items()):
                return event

    def drain(self, quiet: float = 1.0) -> list[SseEvent]:
        """Every event that arrives until none has for ``quiet`` seconds."""
        got = []
        while True:
            try:
                event = self.received.get(timeout=quiet)
            except queue.Empty:
                return got
            self.seen.append(event)
            got.append(event)

    def close(self) -> None:
        """Drop the connection, as a browser losing its network does."""
        sock = self.connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.connection.close()
        self._thread.join(5)
