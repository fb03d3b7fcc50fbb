"""The API through StubTreq, around a test core (tests/unit/fakes.py)."""
from __future__ import annotations

import json
from typing import Any

from treq.testing import StubTreq

from imsupport.config import ApiToken, ServiceConfig
from imsupport.web.api import build
from imsupport.web.app import WebSide
from tests.unit.fakes import makeCore

TOKENS = (ApiToken("reader", "r" * 40, ("read",)),
          ApiToken("controller", "c" * 40, ("control",)),
          ApiToken("root", "a" * 40, ("admin",)))
READ, CONTROL, ADMIN = ("r" * 40, "c" * 40, "a" * 40)
BASE = "http://x/api/v1"


class Api:
    def __init__(self, core: Any = None, with_core: bool = True, deliverer: Any = None,
                 **build_kw: Any) -> None:
        if core is None and with_core:
            core, self.clock, self.transport, self.store = makeCore()
        else:
            from twisted.internet.task import Clock

            from imsupport.store.memory import MemoryStore
            self.clock, self.store = Clock(), MemoryStore()
        self.core = core
        service = core.service if core is not None else ServiceConfig(domain="s.test")
        self.deliverer = deliverer  # the running webhook Deliverer, or a stand-in
        self.api = build(lambda: self.core, self.store, self.clock, service, TOKENS,
                         deliverer=lambda: self.deliverer, **build_kw)
        self.side = WebSide(lambda: self.core, lambda: True, lambda: True, api=self.api)
        self.treq = StubTreq(self.side.resource())

    def request(self, method: str, path: str, token: str | None = READ, body: Any = None,
                raw: bytes | None = None, content_type: str = "application/json") -> Any:
        headers = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            headers["Content-Type"] = content_type
        return self.treq.request(method, BASE + path, headers=headers, data=data)


async def answer(d: Any) -> tuple[int, Any, Any]:
    """(status, parsed JSON body or text, response)."""
    response = await d
    content = await response.content()
    kind = (response.headers.getRawHeaders("content-type") or [""])[0]
    body = json.loads(content) if kind.startswith("application/json") else content.decode()
    return response.code, body, response


def undocumented(path: str, method: str, code: int, body: Any) -> list[str]:
    """What in a response ``body`` its documented schema (openapi.json's
    ``paths[path][method].responses[code]``) does not allow; [] when all is."""
    from imsupport.web.api.document import Document, loadDocument, pointer

    validator = Document(loadDocument()).validator(pointer(
        "paths", path, method, "responses", str(code), "content", "application/json",
        "schema"))
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(body)]
