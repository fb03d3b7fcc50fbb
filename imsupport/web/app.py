"""
The web side: a Klein app built around the running service's parts:
/healthz, /metrics, and the files' routes (SPEC 14, 16): ``PUT /upload/{slot}``,
``GET``/``HEAD /f/{token}/{name}`` (web/files.py) and the one-time upload
page ``/u/{token}`` (web/page.py), the JSON API under ``/api/v1/``
(web/api/, its own Klein app built from its OpenAPI document), the web
chat under ``/chat/`` (web/chat/) and the admin and analyst pages under
``/admin/`` (web/admin/), each its own Klein app, and the pages' static
files at ``/static/{path}`` and ``/widget.js`` (web/static.py). ``site()``
is the Site to listen with: its requests refuse bodies
over the upload limit before reading them (web/limits.py).
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable

from klein import Klein
from klein.resource import KleinResource
from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.iweb import IRequest
from twisted.web.server import Site
from twisted.web.static import File
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import RequestRedirect

from imsupport.web import metrics
from imsupport.web.api.ports import operatorName
from imsupport.web.errors import errorBody, errorCode
from imsupport.web.files import FileParts, FileRoutes, preflight
from imsupport.web.limits import FORM_OVERHEAD, limitedSite
from imsupport.web.page import UploadPages
from imsupport.web.static import StaticFiles
from imsupport.web.transcripts import TranscriptPages

if TYPE_CHECKING:
    from imsupport.core.files import Blobs, Uploads
    from imsupport.core.links import TranscriptLinks
    from imsupport.core.ports import Support
    from imsupport.store.interfaces import IStore
    from imsupport.web.admin import AdminSite
    from imsupport.web.api import ApiSide
    from imsupport.web.chat import ChatSide


log = Logger()


class WebSide:
    app = Klein()
    # "/f/t//x" is the name "/x" (not found), not a redirect to "/f/t/x".
    app.url_map.merge_slashes = False

    def __init__(self, core: Callable[[], "Support | None"],
                 xmpp_connected: Callable[[], bool], store_ready: Callable[[], bool],
                 uploads: Callable[[], "Uploads | None"] = lambda: None,
                 blobs: "Blobs | None" = None, public_url: str = "",
                 api: "ApiSide | None" = None, links: "TranscriptLinks | None" = None,
                 store: "IStore | None" = None, chat: "ChatSide | None" = None,
                 admin: "AdminSite | None" = None,
                 static: StaticFiles | None = None) -> None:
        """``uploads`` is the core's (None until the core is up), ``blobs``
        the store of the files' bytes, ``public_url`` what ``[web]
        public_url`` says; the file routes answer 503 until both are there.
        ``static`` the pages' files (by default the package's)."""
        self.core = core
        self.xmpp_connected = xmpp_connected
        self.store_ready = store_ready
        self.registry = metrics.metricsRegistry(
            metrics.ServiceCollector(core, xmpp_connected, store_ready))
        self.fileParts = FileParts(uploads, blobs, public_url)
        self.files = FileRoutes(self.fileParts)
        self.pages = UploadPages(self.fileParts)
        self.api = api  # the JSON API under /api/v1/ (web/api/)
        self.static = StaticFiles() if static is None else static
        self.chat = chat  # the web chat under /chat/ (web/chat/)
        self.admin = admin  # the admin and analyst pages under /admin/ (web/admin/)
        # earlier chats' transcripts behind operators' signed links (core/links.py)
        self.transcripts = None if links is None or store is None else TranscriptPages(
            links, store, lambda jid: operatorName(self.core())(jid))

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

    @app.route("/upload/<string:token>", methods=["PUT"])
    def upload(self, request: IRequest, token: str) -> Deferred[bytes]:
        return self.files.put(request, token)

    @app.route("/upload/<string:token>", methods=["OPTIONS"])
    def uploadPreflight(self, request: IRequest, token: str) -> bytes:
        return preflight(request)

    @app.route("/f/<string:token>/<path:name>", methods=["OPTIONS"])
    def downloadPreflight(self, request: IRequest, token: str, name: str) -> bytes:
        return preflight(request)

    @app.route("/f/<string:token>/<path:name>", methods=["GET", "HEAD"])
    def download(self, request: IRequest, token: str, name: str) -> Deferred[File]:
        return self.files.download(request, token, name)

    @app.route("/u/<string:token>", methods=["GET"])
    def uploadPage(self, request: IRequest, token: str) -> Deferred[bytes]:
        return self.pages.show(request, token)

    @app.route("/u/<string:token>", methods=["POST"])
    def uploadPageSent(self, request: IRequest, token: str) -> Deferred[bytes]:
        return self.pages.receive(request, token)

    @app.route("/t/<int:chat>/<int:expires>/<string:signature>", methods=["GET"])
    def transcript(self, request: IRequest, chat: int, expires: int,
                   signature: str) -> Deferred[bytes]:
        if self.transcripts is None:
            raise NotFound()
        return self.transcripts.show(request, chat, expires, signature)

    @app.route("/static/<path:name>", methods=["GET", "HEAD"])
    def staticFile(self, request: IRequest, name: str) -> bytes:
        return self.static.serve(request, name)

    @app.route("/widget.js", methods=["GET", "HEAD"])
    def widget(self, request: IRequest) -> bytes:
        return self.static.widget(request)

    @app.route("/api/v1/", branch=True)
    def apiBranch(self, request: IRequest) -> KleinResource:
        if self.api is None:
            raise NotFound()
        return self.api.resource()

    @app.route("/chat/", branch=True)
    def chatBranch(self, request: IRequest) -> KleinResource:
        if self.chat is None:
            raise NotFound()
        return self.chat.resource()

    @app.route("/admin/", branch=True)
    def adminBranch(self, request: IRequest) -> KleinResource:
        if self.admin is None:
            raise NotFound()
        return self.admin.resource()

    @app.handle_errors(Exception)
    def failed(self, request: IRequest, failure: Failure) -> bytes:
        request.setHeader(b"content-type", b"application/json")
        for name in (b"content-disposition", b"content-security-policy"):
            request.responseHeaders.removeHeader(name)
        http = failure.value
        if isinstance(http, RequestRedirect):
            request.setHeader(b"location", http.new_url.encode())
        if isinstance(http, HTTPException):
            request.setResponseCode(http.code)
            return errorBody(errorCode(http), http.description or "")
        log.failure("Web request {path} failed", failure, path=request.path)
        request.setResponseCode(500)
        return errorBody("internal", "Internal error; see the service log.")

    def resource(self) -> KleinResource:
        return self.app.resource()

    def site(self, reactor: Any) -> Site:
        """The Site to listen with. A body may be as large as the largest
        file plus a form's overhead; larger ones are refused unread."""
        return limitedSite(self.resource(), lambda: self.fileParts.maxBody() + FORM_OVERHEAD,
                           reactor, self.chat.bodyLimit if self.chat is not None else None)
