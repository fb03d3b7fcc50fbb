"""
``/admin/login`` and ``/admin/logout`` (SPEC 17). A wrong name or
password gets the same polite answer either way, and counts against the
sender's address (throttle.py): after a few, tries from there wait before
they are even checked, and an address has one try checked at a time (so
tries sent all at once do not each pass before the first failure counts).
A right one starts a fresh session (sessions.py).
"""
from __future__ import annotations

from typing import Any, Generator

from klein import Field
from klein.interfaces import ISession
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.logger import Logger
from twisted.web.iweb import IRequest
from twisted.web.template import tags

from imsupport.configweb import MAX_PASSWORD
from imsupport.web.admin.guard import safeNext
from imsupport.web.admin.layout import document, field, postForm, url
from imsupport.web.admin.sessions import Sessions
from imsupport.web.admin.throttle import Throttle
from imsupport.web.admin.users import WebUsers
from imsupport.web.peers import Peers

log = Logger()

LOGIN_FIELDS = {"name": Field.text(required=False), "password": Field.password(required=False),
                "next": Field.text(required=False)}
LOGOUT_FIELDS = {"action": Field.text(required=False)}
WRONG = "That name and password do not match. Please check them and try again."


class LoginPages:
    def __init__(self, users: WebUsers, sessions: Sessions, throttle: Throttle,
                 peers: Peers | None = None) -> None:
        self.users = users
        self.sessions = sessions
        self.throttle = throttle
        self.peers = peers or Peers()  # who a log-in is from, through trusted proxies
        self.checking: set[str] = set()  # addresses with a try being checked now

    def form(self, request: IRequest, wanted: str | None, name: str = "", error: str = "",
             status: int = 200) -> bytes:
        body: list[Any] = []
        if error:
            body.append(tags.p(error, class_="error", role="alert"))
        if not self.users.users:
            body.append(tags.p("No web users are configured: add [[web_users]] to the "
                               "configuration file and restart the service.", class_="error"))
        body.append(postForm(
            request, "/login",
            field("Name", tags.input(name="name", value=name, autocomplete="username",
                                     required="required", autofocus="autofocus")),
            field("Password", tags.input(type="password", name="password",
                                         autocomplete="current-password",
                                         required="required", maxlength=str(MAX_PASSWORD))),
            tags.input(type="hidden", name="next", value=safeNext(wanted)),
            tags.button("Log in", type="submit"), class_="login"))
        return document(request, "Log in", body, status=status)

    def show(self, request: IRequest) -> bytes:
        wanted = request.args.get(b"next", [b""])[0].decode()
        session = ISession(request)
        viewer = self.sessions.viewer(session)
        if viewer is not None:  # already in: on to where they wanted
            request.setResponseCode(303)
            request.setHeader(b"location", safeNext(wanted).encode())
            return b""
        return self.form(request, wanted)

    @inlineCallbacks
    def logIn(self, request: IRequest, name: str | None, password: str | None,
              next: str | None) -> Generator[Deferred[Any], Any, bytes]:
        sender = self.peers.limitKey(request)
        wait = self.throttle.wait(sender)
        if wait > 0:
            seconds = max(1, round(wait + 0.49))
            request.setHeader(b"retry-after", str(seconds).encode())
            return self.form(request, next, name or "", status=429, error=(
                f"Too many wrong passwords came from your address. Please wait {seconds} "
                f"second{'' if seconds == 1 else 's'}, then try again."))
        if sender in self.checking:
            request.setHeader(b"retry-after", b"1")
            return self.form(request, next, name or "", status=429, error=(
                "A log-in from your address is being checked; please try again in a moment."))
        self.checking.add(sender)
        try:
            user = yield self.users.check(name or "", password or "")
        finally:
            self.checking.discard(sender)
        if user is None:
            self.throttle.failed(sender)
            log.info("Admin log-in refused for {name!r} from {address}", name=name,
                     address=sender)
            return self.form(request, next, name or "", error=WRONG, status=403)
        self.throttle.succeeded(sender)
        yield self.sessions.signIn(request, ISession(request), user.name)
        log.info("Admin log-in: {name} ({role}) from {address}", name=user.name,
                 role=user.role, address=sender)
        request.setResponseCode(303)
        request.setHeader(b"location", safeNext(next).encode())
        return b""

    def logOut(self, request: IRequest) -> bytes:
        self.sessions.signOut(request, ISession(request))
        request.setResponseCode(303)
        request.setHeader(b"location", url("/login").encode())
        return b""

