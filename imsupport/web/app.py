"""
The web side: a Klein app built around the running service's parts. This
issue's surface is /healthz and /metrics; the API, web chat and admin pages
mount here too.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Callable

from klein import Klein
from klein.resource import KleinResource
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.iweb import IRequest
from werkzeug.exceptions import HTTPException

from imsupport.web import metrics

if TYPE_CHECKING:
    from imsupport.core.ports import Support


log = Logger()


class WebSide:
    app = Klein()

    def __init__(self, core: Callable[[], "Support | None"],
                 xmpp_connected: Callable[[], bool], store_ready: Callable[[], bool]) -> None:
        self.core = core
        self.xmpp_connected = xmpp_connected
        self.store_ready = store_ready
        self.registry = metrics.metricsRegistry(
            metrics.ServiceCollector(core, xmpp_connected, store_ready))

    @app.route("/healthz", methods=["GET"])
    def healthz(self, request: IRequest) -> bytes:
        """``store`` is false before the store is open, and while it cannot
        write (the core's journal holds writes or its probe fails, R-RUN-3)."""
        core = self.core()
        xmpp = self.xmpp_connected()
        store = self.store_ready() and (core is None or core.queries.counters().store_up)
        ok = xmpp and store and core is not None
        request.setResponseCode(200 if ok else 503)
        request.setHeader(b"content-type", b"application/json")
        request.setHeader(b"cache-control", b"no-store")
        return json.dumps({"status": "ok" if ok else "degraded", "xmpp": xmpp,
                           "store": store}).encode()

    @app.route("/metrics", methods=["GET"])
    def metrics(self, request: IRequest) -> bytes:
        request.setHeader(b"content-type", metrics.CONTENT_TYPE.encode())
        request.setHeader(b"cache-control", b"no-store")
        return metrics.render(self.registry)

    @app.handle_errors(Exception)
    def failed(self, request: IRequest, failure: Failure) -> bytes:
        request.setHeader(b"content-type", b"application/json")
        http = failure.value
        if isinstance(http, HTTPException):
            request.setResponseCode(http.code)
            code = (http.name or "error").lower().replace(" ", "_")
            return json.dumps({"error": {"code": code, "message": http.description}}).encode()
        log.failure("Web request {path} failed", failure, path=request.path)
        request.setResponseCode(500)
        return json.dumps({"error": {"code": "internal",
                                     "message": "Internal error; see the service log."}}).encode()

    def resource(self) -> KleinResource:
        return self.app.resource()
