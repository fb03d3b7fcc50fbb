"""
The admin pages' sessions, on Klein's machinery (R-SEC-5): its
``SessionProcurer`` finds or makes a request's session from a cookie, its
in-memory store (``klein.storage.memory``) keeps the sessions, and the
store's authorizer answers "who is this?" (``IViewer``) and "may they
change things?" (``IChanger``) for ``klein.Authorization``.

Around Klein's parts, what a service facing the Internet needs:

- bounds: a session lives ``lifetime`` seconds from its making (its cookie
  as long) and a log-in ends after ``idle`` seconds without a request; at
  most ``capacity`` sessions are kept (the oldest go first), since every
  first visit makes one;
- the cookie: HttpOnly (Klein's), ``SameSite=Lax`` (a cross-site form
  post carries no cookie; a link from elsewhere still opens the page), path
  ``/admin/``, and ``Secure`` whenever ``[web] public_url`` is https, also
  when a proxy ends TLS and the request reaches us as plain HTTP;
- only cookies: a session named in Klein's token header is refused (a
  header session would skip the CSRF check);
- a log-in is bound to a fresh session (the one the form came with is
  dropped: no session fixation) and remembers the user's password
  fingerprint; once the password changes the session no longer authorizes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, cast

from klein import SessionProcurer
from klein.interfaces import ISession, ISessionStore, NoSuchSession, SessionMechanism
from klein.storage.memory import MemorySessionStore
from twisted.internet.defer import Deferred, fail
from twisted.internet.interfaces import IReactorTime
from twisted.python.components import Componentized
from twisted.web.iweb import IRequest
from zope.interface import Interface, implementer

from imsupport.configweb import ADMIN
from imsupport.web.admin.users import WebUsers

LIFETIME = 12 * 3600  # seconds a session (and its cookie) lives
IDLE = 2 * 3600  # seconds without a request that end a log-in
CAPACITY = 20_000  # sessions kept at most
COOKIE = b"imsupport-admin"  # over plain HTTP (or TLS ended by a proxy)
TLS_COOKIE = b"imsupport-admin-tls"  # over TLS ended by this service
PATH = b"/admin/"


class IViewer(Interface):
    """Whoever is signed in: a provider is a Viewer."""


class IChanger(Interface):
    """A signed-in admin, who may change things: a provider is a Viewer."""


@dataclass(frozen=True)
class Viewer:
    name: str
    role: str

    @property
    def admin(self) -> bool:
        return self.role == ADMIN


@dataclass
class Binding:
    name: str
    fingerprint: str
    seen: float  # the latest request of the log-in


@dataclass(frozen=True)
class CookiePolicy:
    secure: bool  # [web] public_url is https
    max_age: int = LIFETIME
    same_site: str = "lax"

    def name(self, request: IRequest) -> bytes:
        return TLS_COOKIE if request.isSecure() else COOKIE

    def set(self, request: IRequest, identifier: str, max_age: int | None = None) -> None:
        request.addCookie(  # type: ignore[call-arg]
            self.name(request), identifier, max_age=str(self.max_age if max_age is None
                                                        else max_age),
            path=PATH, secure=self.secure or request.isSecure(), httpOnly=True,
            sameSite=self.same_site)


class _Flagged:
    """A request as the procurer sees it: the cookies it sets get this
    service's flags (SameSite; Secure behind a TLS proxy). Everything else
    is the request's own."""

    def __init__(self, request: IRequest, policy: CookiePolicy) -> None:
        self._request = request
        self._policy = policy

    def addCookie(self, k: Any, v: Any, **flags: Any) -> None:
        flags["secure"] = bool(flags.get("secure")) or self._policy.secure
        flags["sameSite"] = self._policy.same_site
        self._request.addCookie(k, v, **flags)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._request, name)


@implementer(ISessionStore)
class Sessions:
    def __init__(self, users: WebUsers, clock: IReactorTime, policy: CookiePolicy,
                 lifetime: float = LIFETIME, idle: float = IDLE,
                 capacity: int = CAPACITY) -> None:
        self.users = users
        self.clock = clock
        self.policy = policy
        self.lifetime = lifetime
        self.idle = idle
        self.capacity = capacity
        self._kept: dict[bool, dict[str, Any]] = {True: {}, False: {}}
        self.memory = MemorySessionStore(self._authorize, secureStorage=self._kept[True],
                                         insecureStorage=self._kept[False])
        self.made: dict[str, float] = {}  # identifier -> when, oldest first
        self.logins: dict[str, Binding] = {}
        self.notes: dict[str, str] = {}  # what the next page tells (after a change)
        self.procurer = SessionProcurer(self, maxAge=policy.max_age, secureCookie=TLS_COOKIE,
                                        insecureCookie=COOKIE, cookiePath=PATH)

    # -- ISessionStore ---------------------------------------------------------------

    def newSession(self, isConfidential: bool,
                   authenticatedBy: SessionMechanism) -> Deferred[ISession]:
        self._prune()
        d: Deferred[ISession] = self.memory.newSession(isConfidential, authenticatedBy)

        def made(session: ISession) -> ISession:
            self.made[session.identifier] = self.clock.seconds()
            return session
        return d.addCallback(made)

    def loadSession(self, identifier: str, isConfidential: bool,
                    authenticatedBy: SessionMechanism) -> Deferred[ISession]:
        if authenticatedBy is not SessionMechanism.Cookie:
            return fail(NoSuchSession("only cookie sessions are taken here"))
        made = self.made.get(identifier)
        if made is None or self.clock.seconds() - made >= self.lifetime:
            self.forget(identifier)
            return fail(NoSuchSession("no such session, or it has expired"))
        d: Deferred[ISession] = self.memory.loadSession(identifier, isConfidential,
                                                        authenticatedBy)
        return d

    def sentInsecurely(self, identifiers: Iterable[str]) -> None:
        """A session made over TLS whose identifier came over plain HTTP is
        no secret any more: it ends."""
        for identifier in list(identifiers):
            if identifier in self._kept[True]:
                self.forget(identifier)

    # -- this service's use ----------------------------------------------------------

    def procure(self, request: IRequest) -> Deferred[ISession]:
        """The request's session (made on a GET that has none), or
        NoSuchSession (a POST without a live session)."""
        flagged = cast(IRequest, _Flagged(request, self.policy))
        d: Deferred[ISession] = self.procurer.procureSession(flagged)
        return d

    def forget(self, identifier: str) -> None:
        for kept in self._kept.values():
            kept.pop(identifier, None)
        self.made.pop(identifier, None)
        self.logins.pop(identifier, None)
        self.notes.pop(identifier, None)

    def note(self, session: ISession, text: str) -> None:
        """Said once, by the session's next page (after a redirect)."""
        if session.identifier in self.made:
            self.notes[session.identifier] = text

    def takeNote(self, session: ISession) -> str:
        return self.notes.pop(session.identifier, "")

    def signIn(self, request: IRequest, old: ISession, name: str) -> Deferred[ISession]:
        """A new session for ``name``'s log-in, its cookie set; ``old``
        (what the log-in form came with) is dropped."""
        found = self.users.fingerprint(name)
        assert found is not None, f"{name} is not a web user"
        self.forget(old.identifier)

        def bind(session: ISession) -> ISession:
            self.logins[session.identifier] = Binding(name, found, self.clock.seconds())
            self.policy.set(request, session.identifier)
            cast(Componentized, request).setComponent(ISession, session)
            return session
        return self.newSession(old.isConfidential, SessionMechanism.Cookie).addCallback(bind)

    def signOut(self, request: IRequest, session: ISession) -> None:
        self.forget(session.identifier)
        self.policy.set(request, "", max_age=0)

    def viewer(self, session: ISession, touch: bool = True) -> Viewer | None:
        """Who the session is signed in as, while the log-in holds: not
        idle too long, the user still there with the same password.
        ``touch``: this is a request of theirs (it counts as activity)."""
        binding = self.logins.get(session.identifier)
        if binding is None:
            return None
        now = self.clock.seconds()
        user = self.users.get(binding.name)
        if user is None or now - binding.seen >= self.idle \
                or self.users.fingerprint(binding.name) != binding.fingerprint:
            del self.logins[session.identifier]
            return None
        if touch:
            binding.seen = now
        return Viewer(user.name, user.role)

    def holds(self, session: ISession) -> bool:
        """Whether a stream opened by this session may go on: its log-in
        holds (a stream is no activity) and the session is not too old."""
        made = self.made.get(session.identifier)
        return made is not None and self.clock.seconds() - made < self.lifetime \
            and self.viewer(session, touch=False) is not None

    def _authorize(self, interface: type[Interface], session: ISession,
                   data: Componentized) -> Viewer | None:
        viewer = self.viewer(session)
        if viewer is None:
            return None
        if interface is IViewer:
            return viewer
        if interface is IChanger:
            return viewer if viewer.admin else None
        return None

    def _prune(self) -> None:
        now = self.clock.seconds()
        for identifier, made in list(self.made.items()):
            if now - made < self.lifetime and len(self.made) < self.capacity:
                break
            self.forget(identifier)
