"""
The dashboard's live state (R-STAT-4) and its Server-Sent Events stream
``/admin/live``. The state is the API's ``GET /state`` (web/api/state.py)
with the operators and each client as people read it (core/display.py).

While a stream is open the feed looks at the state every ``every``
seconds and sends an ``event: state`` when something other than the
clock changed (waits and talk times grow by themselves: the page counts
them on from the last state); a ``: ping`` comment every ``ping`` seconds
keeps proxies from closing a quiet stream. No stream open, no looking. A
stream whose log-in no longer holds (logged out, idle, password changed)
is ended at the next look; the browser's reconnect then meets the log-in.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger
from twisted.web.iweb import IRequest

from imsupport.core.display import showClient
from imsupport.core.queries import OperatorView
from imsupport.web.api.ports import JSON, CoreRef
from imsupport.web.api.state import StateRoutes

log = Logger()

EVERY = 2.0  # seconds between looks at the state
PING = 15.0  # seconds of quiet before a keep-alive comment
RETRY = 5000  # milliseconds a browser waits before reconnecting
CLOCKWORK = ("at", "waited_s", "talking_s")  # what changes by itself


def operatorJson(view: OperatorView) -> JSON:
    return {"jid": view.jid, "name": view.name, "state": view.state,
            "chats": list(view.chats), "max_chats": view.max_chats, "nodes": list(view.nodes)}


def liveState(core: CoreRef) -> JSON | None:
    """The state the dashboard shows, or None while the core is starting."""
    running = core()
    if running is None:
        return None
    state = StateRoutes(core).getState()
    operators = running.queries.operators()
    names = {o.jid: o.name for o in operators}
    for node in state["nodes"]:
        for chat in node["queued"] + node["active"]:
            chat["client_shown"] = showClient(chat["client"])
            chat["operator_names"] = [names.get(j, j) for j in chat["operators"]]
    state["operators_list"] = [operatorJson(o) for o in operators]
    return state


def withoutClockwork(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: withoutClockwork(v) for k, v in value.items() if k not in CLOCKWORK}
    if isinstance(value, list):
        return [withoutClockwork(v) for v in value]
    return value


def frame(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


class LiveFeed:
    def __init__(self, state: Callable[[], JSON | None], clock: IReactorTime,
                 every: float = EVERY, ping: float = PING) -> None:
        self.state = state
        self.clock = clock
        self.every = every
        self.ping = ping
        self.streams: dict[IRequest, Callable[[], bool]] = {}
        self._done: dict[IRequest, Deferred[None]] = {}
        self._loop: LoopingCall | None = None
        self._last: Any = None
        self._quiet_since = 0.0

    def open(self, request: IRequest,
             holds: Callable[[], bool] = lambda: True) -> Deferred[None]:
        """A stream for ``request``, while ``holds()``: the state now, then
        its changes. Klein cancels the Deferred when the browser goes; it
        fires when the feed ends the stream. A HEAD gets the headers only."""
        request.setHeader(b"content-type", b"text/event-stream; charset=utf-8")
        request.setHeader(b"cache-control", b"no-store")
        request.setHeader(b"x-accel-buffering", b"no")  # nginx: do not hold events back
        if request.method == b"HEAD":
            return succeed(None)
        request.write(f"retry: {RETRY}\n\n".encode())
        state = self.state()
        request.write(frame("state", state if state is not None else {"starting": True}))
        self.streams[request] = holds
        if self._loop is None:  # the first stream: what it has is what all have
            self._last = withoutClockwork(state)
            self._loop = LoopingCall(self._tick)
            self._loop.clock = self.clock
            self._loop.start(self.every, now=False)
        self._quiet_since = self.clock.seconds()
        done: Deferred[None] = Deferred(lambda _: self._close(request))
        self._done[request] = done
        request.notifyFinish().addBoth(  # type: ignore[attr-defined]
            lambda _: self._close(request))
        return done

    def _close(self, request: IRequest) -> None:
        self.streams.pop(request, None)
        self._done.pop(request, None)
        if not self.streams and self._loop is not None:
            if self._loop.running:
                self._loop.stop()
            self._loop = None

    def _tick(self) -> None:
        for request, holds in list(self.streams.items()):
            if not holds():
                done = self._done.get(request)
                self._close(request)
                if done is not None:
                    done.callback(None)  # Klein finishes the response
        if not self.streams:
            return
        now = self.clock.seconds()
        try:
            state = self.state()
        except Exception:
            log.failure("The dashboard's state could not be read")
            return
        shape = withoutClockwork(state)
        if shape != self._last:
            self._last = shape
            self._send(frame("state", state if state is not None else {"starting": True}))
        elif now - self._quiet_since >= self.ping:
            self._send(b": ping\n\n")
        else:
            return
        self._quiet_since = now

    def _send(self, data: bytes) -> None:
        for request in list(self.streams):
            request.write(data)
