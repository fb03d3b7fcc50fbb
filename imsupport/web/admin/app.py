"""
The admin and analyst site (R-WEB-1, R-ADM-1, SPEC 17): a Klein app the
web side mounts at ``/admin/``. Its routes are thin: guard.py stands before
each (headers, session, log-in, role, CSRF), the page modules render, and
every read and change is the API's operation called in-process
(``ApiSide.invoke``) or the store's and core's read-only queries the API
uses; no rule of the service is decided here.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Generator, Mapping

from klein import Klein
from klein.interfaces import ISession
from klein.resource import KleinResource
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.iweb import IRequest
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from imsupport.core.statistics import ANSWER_TARGET
from imsupport.store.interfaces import IStore
from imsupport.web.admin.archive import ArchivePages, apiQuery, chatId
from imsupport.web.admin.dashboard import dashboard
from imsupport.web.admin.directory import DirectoryPage
from imsupport.web.admin.edits import FIELDS, Edits
from imsupport.web.admin.guard import Guard, anyone, changing, reading
from imsupport.web.admin.layout import Assets, message, plainAsset, url
from imsupport.web.admin.live import LiveFeed, liveState
from imsupport.web.admin.login import LOGIN_FIELDS, LOGOUT_FIELDS, LoginPages
from imsupport.web.admin.sessions import CookiePolicy, Sessions, Viewer
from imsupport.web.admin.stats import StatsPages
from imsupport.web.admin.switches import SWITCH_FIELDS, SwitchesPage, switch
from imsupport.web.admin.throttle import Throttle
from imsupport.web.admin.users import WebUsers
from imsupport.web.api.app import ApiSide
from imsupport.web.api.errors import ApiError
from imsupport.web.api.ports import CoreRef, operatorName, running
from imsupport.web.peers import Peers

log = Logger()


def query(request: IRequest) -> dict[str, str]:
    """The query's values (the first of each), as text."""
    return {k.decode(): v[0].decode() for k, v in (request.args or {}).items() if v}


def redirect(request: IRequest, to: str) -> bytes:
    request.setResponseCode(303)
    request.setHeader(b"location", to.encode())
    return b""


def attachment(request: IRequest, kind: bytes, name: str, data: bytes) -> bytes:
    request.setHeader(b"content-type", kind)
    request.setHeader(b"content-disposition", f'attachment; filename="{name}"'.encode())
    return data


class AdminSite:
    app = Klein()
    app.url_map.merge_slashes = False

    def __init__(self, api: ApiSide, core: CoreRef, store: IStore, clock: IReactorTime,
                 users: WebUsers, public_url: str = "",
                 answer_target: float = ANSWER_TARGET,
                 asset: Callable[[str], str] = plainAsset, peers: Peers | None = None,
                 directory_from_file: bool = False) -> None:
        """``public_url``: ``[web] public_url``; an https one makes the
        session cookie Secure. ``asset``: a static file's URL by its name
        (the web side's static files give versioned ones). ``peers``: who
        a request is from (``[web] trusted_proxies``). ``directory_from_file``:
        the file's directory replaces the store's at every start."""
        self.directory_from_file = directory_from_file
        self.api = api
        self.core = core
        self.sessions = Sessions(users, clock, CookiePolicy(
            secure=public_url.lower().startswith("https://")))
        self.guard = Guard(self.sessions, Assets(asset))
        self.login = LoginPages(users, self.sessions, Throttle(clock), peers)
        self.live = LiveFeed(lambda: liveState(core), clock)
        self.stats = StatsPages(store, clock, api, answer_target)
        self.archive = ArchivePages(public_url)
        self.edits = Edits(api, store)

    def resource(self) -> KleinResource:
        return self.app.resource()

    def _note(self, request: IRequest) -> str:
        return self.sessions.takeNote(ISession(request))

    # -- log-in ----------------------------------------------------------------------

    @anyone(app.route("/login", methods=["GET"]))
    def loginPage(self, request: IRequest) -> bytes:
        return self.login.show(request)

    @anyone(app.route("/login", methods=["POST"]), **LOGIN_FIELDS)
    def loginSent(self, request: IRequest, name: str | None, password: str | None,
                  next: str | None) -> Deferred[bytes]:
        return self.login.logIn(request, name, password, next)

    @reading(app.route("/logout", methods=["POST"]), **LOGOUT_FIELDS)
    def logout(self, request: IRequest, viewer: Viewer, action: str | None) -> bytes:
        return self.login.logOut(request)

    # -- reading ---------------------------------------------------------------------

    @reading(app.route("/", methods=["GET"]))
    def dashboard(self, request: IRequest, viewer: Viewer) -> bytes:
        return dashboard(request, viewer, liveState(self.core))

    @reading(app.route("/live", methods=["GET"]))
    def liveStream(self, request: IRequest, viewer: Viewer) -> Deferred[None]:
        session = ISession(request)
        return self.live.open(request, lambda: self.sessions.holds(session))

    @reading(app.route("/stats", methods=["GET"]))
    @inlineCallbacks
    def statsPage(self, request: IRequest,
                  viewer: Viewer) -> Generator[Deferred[Any], Any, bytes]:
        directory = running(self.core).directory
        given = query(request)
        figures = yield self.stats.figures(given, directory)
        return self.stats.page(request, viewer, given, figures,
                               [n.name for n in directory.nodes])

    @reading(app.route("/stats.json", methods=["GET"]))
    @inlineCallbacks
    def statsJson(self, request: IRequest,
                  viewer: Viewer) -> Generator[Deferred[Any], Any, bytes]:
        figures = yield self.stats.figures(query(request), running(self.core).directory)
        request.setHeader(b"content-type", b"application/json")
        return json.dumps(figures, ensure_ascii=False).encode()

    @reading(app.route("/chats", methods=["GET"]))
    @inlineCallbacks
    def chats(self, request: IRequest, viewer: Viewer) -> Generator[Deferred[Any], Any, bytes]:
        given = query(request)
        names = operatorName(self.core())
        if given.get("id", "").strip():
            try:
                return redirect(request, url(f"/chats/{chatId(given['id'])}"))
            except ApiError as e:
                return self.archive.results(request, viewer, given, None, names, e.message)
        if not any(given.values()):
            return self.archive.results(request, viewer, given, None, names)
        try:
            found = yield self.api.invoke("listChats", query=apiQuery(given))
        except ApiError as e:
            return self.archive.results(request, viewer, given, None, names, e.message)
        return self.archive.results(request, viewer, given, found, names)

    @reading(app.route("/chats/<int:id>", methods=["GET"]))
    @inlineCallbacks
    def chat(self, request: IRequest, viewer: Viewer,
             id: int) -> Generator[Deferred[Any], Any, bytes]:
        found = yield self.api.invoke("getChat", {"id": str(id)})
        return self.archive.chat(request, viewer, found, operatorName(self.core()))

    @reading(app.route("/chats/<int:id>.json", methods=["GET"]))
    @inlineCallbacks
    def chatJson(self, request: IRequest, viewer: Viewer,
                 id: int) -> Generator[Deferred[Any], Any, bytes]:
        found = yield self.api.invoke("getChat", {"id": str(id)})
        return attachment(request, b"application/json", f"chat-{id}.json",
                          json.dumps(found, ensure_ascii=False, indent=1).encode())

    @reading(app.route("/chats/<int:id>.txt", methods=["GET"]))
    @inlineCallbacks
    def chatText(self, request: IRequest, viewer: Viewer,
                 id: int) -> Generator[Deferred[Any], Any, bytes]:
        text = yield self.api.invoke("getTranscript", {"id": str(id)})
        return attachment(request, b"text/plain; charset=utf-8", f"chat-{id}.txt",
                          str(text).encode())

    # -- the directory ---------------------------------------------------------------

    @inlineCallbacks
    def _directory(self, request: IRequest, viewer: Viewer, status: int = 200,
                   error: str = "", refused: Any = None
                   ) -> Generator[Deferred[Any], Any, bytes]:
        directory = running(self.core).directory
        hooks = yield self.api.invoke("listWebhooks")
        page = DirectoryPage(request, viewer, directory, hooks["items"], refused,
                             from_file=self.directory_from_file)
        return page.render(status, self._note(request), error)

    @reading(app.route("/directory", methods=["GET"]))
    def directory(self, request: IRequest, viewer: Viewer) -> Deferred[bytes]:
        return self._directory(request, viewer)

    @inlineCallbacks
    def _edit(self, request: IRequest, viewer: Viewer, kind: str,
              form: Mapping[str, str | None]) -> Generator[Deferred[Any], Any, bytes]:
        try:
            said = yield self.edits.apply(kind, form)
        except ApiError as e:
            page: bytes = yield self._directory(request, viewer, e.status, e.message,
                                                (kind, form))
            return page
        self.sessions.note(ISession(request), said)
        anchor = {"group": "nodes", "node": "nodes"}.get(kind, kind + "s")
        return redirect(request, url("/directory") + "#" + anchor.replace("faqs", "faq"))

    @changing(app.route("/directory/operator", methods=["POST"]), **FIELDS["operator"])
    def editOperator(self, request: IRequest, viewer: Viewer,
                     **form: str | None) -> Deferred[bytes]:
        return self._edit(request, viewer, "operator", form)

    @changing(app.route("/directory/node", methods=["POST"]), **FIELDS["node"])
    def editNode(self, request: IRequest, viewer: Viewer, **form: str | None) -> Deferred[bytes]:
        return self._edit(request, viewer, "node", form)

    @changing(app.route("/directory/group", methods=["POST"]), **FIELDS["group"])
    def editGroup(self, request: IRequest, viewer: Viewer,
                  **form: str | None) -> Deferred[bytes]:
        return self._edit(request, viewer, "group", form)

    @changing(app.route("/directory/faq", methods=["POST"]), **FIELDS["faq"])
    def editFaq(self, request: IRequest, viewer: Viewer, **form: str | None) -> Deferred[bytes]:
        return self._edit(request, viewer, "faq", form)

    @changing(app.route("/directory/webhook", methods=["POST"]), **FIELDS["webhook"])
    def editWebhook(self, request: IRequest, viewer: Viewer,
                    **form: str | None) -> Deferred[bytes]:
        return self._edit(request, viewer, "webhook", form)

    # -- switches --------------------------------------------------------------------

    def _switches(self, request: IRequest, viewer: Viewer, status: int = 200,
                  error: str = "") -> bytes:
        core = running(self.core)
        page = SwitchesPage(request, viewer, core.directory, core.switching.switches)
        return page.render(status, self._note(request), error)

    @reading(app.route("/switches", methods=["GET"]))
    def switchesPage(self, request: IRequest, viewer: Viewer) -> bytes:
        return self._switches(request, viewer)

    @changing(app.route("/switches", methods=["POST"]), **SWITCH_FIELDS)
    @inlineCallbacks
    def switch(self, request: IRequest, viewer: Viewer,
               **form: str | None) -> Generator[Deferred[Any], Any, bytes]:
        try:
            said = yield switch(self.api, form)
        except ApiError as e:
            return self._switches(request, viewer, e.status, e.message)
        log.info("{name} on the admin pages: {said}", name=viewer.name, said=said)
        self.sessions.note(ISession(request), said)
        return redirect(request, url("/switches"))

    # -- what no route answered ------------------------------------------------------

    @app.handle_errors(Exception)
    def failed(self, request: IRequest, failure: Failure) -> bytes:
        self.guard.dress(request)
        request.responseHeaders.removeHeader(b"content-disposition")
        session = ISession(request, None)
        viewer = self.sessions.viewer(session) if session is not None else None
        error = failure.value
        if isinstance(error, RequestRedirect):
            return redirect(request, error.new_url)
        if isinstance(error, ApiError):
            return message(request, error.status, "Not possible", error.message, viewer,
                           back="/")
        if isinstance(error, HTTPException) and error.code in (404, 405):
            return message(request, error.code, "Not here",
                           "There is no such page here." if error.code == 404 else
                           f"{request.method.decode()} is not allowed here.", viewer, back="/")
        log.failure("Admin page {path} failed", failure, path=request.path)
        return message(request, 500, "Something went wrong",
                       "The page could not be made; the service log says why.", viewer,
                       back="/")
