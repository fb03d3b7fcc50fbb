"""The web chat over HTTP in memory: a test core with the web chat
attached (tests/unit/chatfakes.py) behind the service's own Site, through
StubTreq; SSE responses read as they arrive."""
from __future__ import annotations

import json
from typing import Any

import treq
from twisted.internet.defer import Deferred, inlineCallbacks

from imsupport.config import WebConfig
from imsupport.web.app import WebSide
from tests.unit.chatfakes import WebChat, parseSse
from tests.web.filefakes import MAX, PUBLIC, Client, Reply

BASE = "http://x/chat/sales"


class ChatWeb(WebChat):
    def __init__(self, blobs: Any = None, **kw: Any) -> None:
        web = kw.pop("web", WebConfig(public_url=PUBLIC, max_upload_bytes=MAX))
        super().__init__(blobs=blobs, web=web, **kw)
        self.webSide = WebSide(lambda: self.core, lambda: True, lambda: True,
                               uploads=lambda: self.core.files if self.core else None, blobs=blobs,
                               public_url=PUBLIC, chat=self.side)
        self.http = Client(self.webSide)

    def request(self, method: str, path: str, body: Any = None, raw: bytes | None = None,
                content_type: str = "application/json", **headers: str) -> Deferred[Reply]:
        data = raw if body is None else json.dumps(body).encode()
        sent = {k.replace("_", "-"): v for k, v in headers.items()}
        if data is not None:
            sent.setdefault("Content-Type", content_type)
        return self.http.request(method, BASE + path, headers=sent, data=data)

    def post(self, path: str, body: Any = None, **kw: Any) -> Deferred[Reply]:
        return self.request("POST", path, body, **kw)

    def get(self, path: str, **headers: str) -> Deferred[Reply]:
        return self.request("GET", path, **headers)

    @inlineCallbacks
    def start(self, name: str = "Anna Petrova", question: str = "Where is my order?",
              languages: list[str] | None = None) -> Any:
        """A visitor who asked: (client, token)."""
        reply = yield self.post("/visitors", {"name": name, "question": question,
                                              "languages": languages or ["en"]})
        assert reply.code == 201, reply.body
        body = json.loads(reply.body)
        return body["client"], body["token"]

    @inlineCallbacks
    def stream(self, token: str, query: str = "", **headers: str) -> Any:
        """An open SSE response: its Stream reader."""
        stub = self.http.stub
        before = set(stub._agent._pumps)
        response = yield self.http._pumped(stub.request(
            "GET", f"{BASE}/events?token={token}{query}",
            headers={k.replace("_", "-"): v for k, v in headers.items()}))
        pump = next(iter(set(stub._agent._pumps) - before))
        return Stream(self, response, pump)


class Stream:
    def __init__(self, web: ChatWeb, response: Any, pump: Any) -> None:
        self.web = web
        self.response = response
        self.pump = pump
        self.chunks: list[bytes] = []
        self.ended = treq.collect(response, self.chunks.append)

    @property
    def code(self) -> int:
        return int(self.response.code)

    def header(self, name: str) -> str | None:
        values = self.response.headers.getRawHeaders(name)
        return values[0] if values else None

    def events(self) -> list[tuple[str | None, str, Any]]:
        self.pump.flush()
        return parseSse(b"".join(self.chunks).decode())

    def ids(self) -> list[str]:
        return [i for i, kind, _ in self.events() if kind == "chat" and i is not None]

    def close(self) -> None:
        """The browser goes away."""
        self.pump.clientIO.loseConnection()
        self.pump.flush()


def error(reply: Reply) -> dict[str, str]:
    return reply.error()
