"""
What stands before every admin route, on Klein's ``Requirer``: the
security headers, the form body read into ``request.args``, the session
procured (sessions.py), and then, per route, ``klein.Authorization`` of
the viewer (anyone signed in) or the changer (an admin), and ``klein.Form``
fields, whose presence makes Klein check the CSRF token of every POST
(a POST route must declare at least one field; tests/web/test_admin_login.py
checks each).

The site's requests leave POSTed forms unread (web/limits.py), so the
prerequisite reads an urlencoded body of at most ``MAX_FORM`` bytes
itself; request.args is made afresh of the query and the body, its text
valid UTF-8 whatever was sent (and a CSRF token that is not ASCII, which
no token is, empty: Klein's check would fail on it with a 500, not a 403).
"""
from __future__ import annotations

from typing import Any, Callable, Protocol, TypeVar, cast
from urllib.parse import parse_qsl, urlsplit

from klein import Authorization, RequestComponent, Requirer
from klein.interfaces import EarlyExit, ISession, NoSuchSession, SessionMechanism
from twisted.internet.defer import Deferred
from twisted.python.components import Componentized
from twisted.python.failure import Failure
from twisted.web.iweb import IRequest
from twisted.web.resource import Resource
from zope.interface import Interface

from imsupport.web.admin.layout import PREFIX, Assets, IAssets, message, secureHeaders, url
from imsupport.web.admin.sessions import IChanger, IViewer, Sessions

F = TypeVar("F", bound=Callable[..., Any])
MAX_FORM = 256 * 1024  # bytes of a form's body
MAX_FIELDS = 500
CSRF_FIELD = "__csrf_protection__"  # Klein's form field of the token


class Guarded(Protocol):
    guard: "Guard"


requirer = Requirer()


@requirer.prerequisite([ISession])
def prepare(site: Guarded, request: IRequest) -> Deferred[Any]:
    return site.guard.prepare(request)


class Page(Resource):
    """A refusal as Klein's ``EarlyExit`` and ``whenDenied`` want it: a resource."""
    isLeaf = True

    def __init__(self, render: Callable[[IRequest], bytes]) -> None:
        super().__init__()
        self._render = render

    def render(self, request: IRequest) -> bytes:
        return self._render(request)


def formArgs(request: IRequest, body: bytes) -> dict[bytes, list[bytes]]:
    query = urlsplit(request.uri.decode("latin-1")).query
    pairs = parse_qsl(query, keep_blank_values=True, encoding="utf-8", errors="replace",
                      max_num_fields=MAX_FIELDS)
    pairs += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True,
                       max_num_fields=MAX_FIELDS)
    args: dict[bytes, list[bytes]] = {}
    for key, value in pairs:
        if key == CSRF_FIELD and not value.isascii():
            value = ""  # never a token; Klein reads tokens as ASCII (else a 500)
        args.setdefault(key.encode(), []).append(value.encode())
    return args


class Guard:
    def __init__(self, sessions: Sessions, assets: Assets | None = None,
                 max_form: int = MAX_FORM) -> None:
        self.sessions = sessions
        self.assets = assets or Assets()
        self.max_form = max_form

    def prepare(self, request: IRequest) -> Deferred[Any]:
        self.dress(request)
        self._readForm(request)
        return self.sessions.procure(request).addCallbacks(
            self._checkToken, self._noSession, callbackArgs=(request,))

    def _checkToken(self, session: ISession, request: IRequest) -> ISession:
        """The CSRF token of a POST, checked as Klein's Form checks it (which
        still does, after this) but refused with the site's own page, not
        Klein's bare line: a form from another page of a live session, or
        one left open from a session before."""
        if request.method in (b"GET", b"HEAD") \
                or session.authenticatedBy == SessionMechanism.Header:
            return session
        sent = (request.args or {}).get(CSRF_FIELD.encode(), [b""])[0]
        if sent.decode("ascii", "replace") != session.identifier:
            raise EarlyExit(Page(lambda r: message(
                r, 403, "Not accepted",
                "This form did not carry this site's safety token, so nothing was changed: "
                "it may have come from another site or from a page opened before you last "
                "logged in. Open the page again and retry.", back="/")))
        return session

    def dress(self, request: IRequest) -> None:
        """The headers of every answer, and the static files' URLs."""
        secureHeaders(request)
        cast(Componentized, request).setComponent(IAssets, self.assets)

    def _readForm(self, request: IRequest) -> None:
        body = b""
        kind = (request.getHeader(b"content-type") or b"").split(b";")[0].strip().lower()
        if request.method == b"POST" and kind == b"application/x-www-form-urlencoded":
            request.content.seek(0)
            body = request.content.read(self.max_form + 1)
            if len(body) > self.max_form:
                raise EarlyExit(Page(lambda r: message(
                    r, 413, "Too large", "That form was larger than this site takes.")))
        try:
            request.args = formArgs(request, body)
        except ValueError:  # more than MAX_FIELDS
            raise EarlyExit(Page(lambda r: message(
                r, 413, "Too large", "That form had too many fields."))) from None

    def _noSession(self, failure: Failure) -> None:
        """A POST whose cookie is missing or stale: a form from another
        site (SameSite kept the cookie back) or from a session that ended."""
        failure.trap(NoSuchSession)
        raise EarlyExit(Page(lambda r: message(
            r, 403, "Not accepted",
            "This form did not come with a live session of this site: it may have come "
            "from another site, or your session has ended. Open the page again and retry.",
            back="/")))

    def signedIn(self, request: IRequest) -> bool:
        session = ISession(request, None)
        return session is not None and self.sessions.viewer(session) is not None


def toLogin(interface: type[Interface], site: Guarded) -> Page:
    def render(request: IRequest) -> bytes:
        request.setResponseCode(303)
        wanted = request.uri.decode("latin-1")
        request.setHeader(b"location", url("/login", next=wanted).encode())
        return b""
    return Page(render)


def forbidden(interface: type[Interface], site: Guarded) -> Page:
    def render(request: IRequest) -> bytes:
        if not site.guard.signedIn(request):
            return toLogin(interface, site).render(request)
        return message(request, 403, "Not allowed",
                       "Your role may read these pages but not change anything here; "
                       "ask an admin.", viewer=site.guard.sessions.viewer(ISession(request)),
                       back="/")
    return Page(render)


def reading(route: Any, **fields: Any) -> Callable[[F], F]:
    """A route for anyone signed in (``viewer``) given the ``request``."""
    return cast(Callable[[F], F], requirer.require(route, request=RequestComponent(IRequest),
                            viewer=Authorization(IViewer, whenDenied=toLogin), **fields))


def changing(route: Any, **fields: Any) -> Callable[[F], F]:
    """A route for admins only: others get 403 before anything changes."""
    return cast(Callable[[F], F], requirer.require(route, request=RequestComponent(IRequest),
                            viewer=Authorization(IChanger, whenDenied=forbidden), **fields))


def anyone(route: Any, **fields: Any) -> Callable[[F], F]:
    """A route without a log-in (the log-in itself), given the ``request``."""
    return cast(Callable[[F], F],
                requirer.require(route, request=RequestComponent(IRequest), **fields))


def safeNext(wanted: str | None) -> str:
    """Where to go after the log-in: a path of this site under /admin/ only."""
    if wanted and wanted.startswith(PREFIX + "/") and not wanted.startswith("//") \
            and "\\" not in wanted and not any(c < " " for c in wanted):
        return wanted
    return PREFIX + "/"
