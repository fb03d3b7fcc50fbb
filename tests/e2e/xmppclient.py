"""
Synchronous XMPP test clients on top of slixmpp.

Tests are plain synchronous pytest functions; every ``TestClient`` lives in
ONE asyncio event loop running in a daemon thread. Public methods hop onto
that loop and block until done. Incoming messages and presences go to
per-client inboxes; ``wait_message`` / ``wait_presence`` take the first
matching item out and leave everything else for later waits.

A timeout raises AssertionError that shows the inbox, so a failing test says
what the client DID receive.
"""
from __future__ import annotations

import asyncio
import io
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream import StanzaBase
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

__all__ = ["TestClient", "Received", "Presence", "IqFailed", "shutdown_loop"]

T = TypeVar("T")
Q = TypeVar("Q", "Received", "Presence")
MessageType = Literal["chat", "error", "groupchat", "headline", "normal"]
PresenceType = Literal["error", "probe", "subscribe", "subscribed", "unavailable",
                       "unsubscribe", "unsubscribed"]
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CHATSTATES_NS = "http://jabber.org/protocol/chatstates"
OOB_URL = "{jabber:x:oob}x/{jabber:x:oob}url"
IQ_PLUGINS = {  # short names accepted by iq_get
    "disco_info": "disco_info", "disco#info": "disco_info",
    "disco_items": "disco_items", "disco#items": "disco_items",
    "version": "software_version", "software_version": "software_version",
    "ping": "ping",
}


# -- the one shared event loop --------------------------------------------

class _LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="slixmpp-loop", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    def call(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        async def wrapper() -> T:
            return fn()
        return self.run(wrapper(), timeout)


_loop_thread: _LoopThread | None = None
_loop_lock = threading.Lock()
# slixmpp cancels a stream's send task only in __del__, and a task cancelled
# from the garbage collector logs "Task was destroyed but it is pending!".
# Keeping every client alive until shutdown_loop() avoids that noise.
_clients: list[TestClient] = []


async def _stop_send_loop(xmpp: slixmpp.ClientXMPP) -> None:
    task = xmpp._run_out_filters
    if task is not None and not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def _shared() -> _LoopThread:
    global _loop_thread
    with _loop_lock:
        if _loop_thread is None or not _loop_thread.thread.is_alive():
            _loop_thread = _LoopThread()
        return _loop_thread


def shutdown_loop() -> None:
    """Stop the shared loop (end of session); a later client starts a new one."""
    global _loop_thread
    with _loop_lock:
        lt, _loop_thread = _loop_thread, None
    if lt is None:
        return

    async def cancel_all() -> None:
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    try:
        lt.run(cancel_all(), 5)
        _clients.clear()
    finally:
        lt.loop.call_soon_threadsafe(lt.loop.stop)
        lt.thread.join(5)
        if not lt.thread.is_alive():
            lt.loop.close()


# -- what a client receives ------------------------------------------------

@dataclass(frozen=True)
class Received:
    """One incoming <message/>, copied out of slixmpp so tests can keep it."""
    body: str
    from_: str          # full JID as sent
    to: str
    type: str           # chat, normal, error, headline, groupchat
    lang: str | None    # xml:lang on the stanza, if any
    id: str
    chatstate: str | None   # active, composing, paused, inactive, gone
    receipt_for: str | None  # id acknowledged by a XEP-0184 <received/>
    receipt_requested: bool
    xml: str
    oob: str | None = None  # a XEP-0066 URL the message carries
    at: float = field(default_factory=time.monotonic)

    @property
    def from_bare(self) -> str:
        return self.from_.split("/", 1)[0]


@dataclass(frozen=True)
class Presence:
    from_: str
    type: str           # available, unavailable, subscribe, subscribed, unsubscribe, ..., error
    show: str | None    # away, chat, dnd, xa (None when plain available)
    status: str
    xml: str
    at: float = field(default_factory=time.monotonic)

    @property
    def from_bare(self) -> str:
        return self.from_.split("/", 1)[0]


class IqFailed(AssertionError):
    """An IQ got an error (or no) reply; ``condition`` is the error condition."""

    def __init__(self, message: str, condition: str = "", xml: str = "") -> None:
        super().__init__(message)
        self.condition = condition
        self.xml = xml


def _jid_matches(wanted: str | None, actual: str) -> bool:
    """A bare ``wanted`` matches any resource; a full one must match exactly."""
    if wanted is None:
        return True
    wanted = str(wanted)
    return actual == wanted if "/" in wanted else actual.split("/", 1)[0] == wanted


# -- the client ------------------------------------------------------------

class _Slix(slixmpp.ClientXMPP):
    def __init__(self, jid: str, password: str, lang: str) -> None:
        super().__init__(jid, password, lang=lang)
        self.enable_starttls = False
        self.enable_direct_tls = False
        self.enable_plaintext = True
        self.use_aiodns = False
        for plugin in ("xep_0030", "xep_0066", "xep_0085", "xep_0184", "xep_0199", "xep_0092",
                       "xep_0363"):
            self.register_plugin(plugin)
        self.plugin["feature_mechanisms"].unencrypted_plain = True
        self.roster.auto_authorize = True  # accept subscription requests ...
        self.roster.auto_subscribe = True  # ... and subscribe back


class TestClient:
    """A person's IM client: ``TestClient("alice@shop.test", "pw", prosody.c2s_port)``."""

    __test__ = False  # not a pytest test class despite the name

    def __init__(self, jid: str, password: str, port: int, host: str = "127.0.0.1",
                 *, lang: str = "en", resource: str | None = None) -> None:
        self.jid = f"{jid}/{resource}" if resource and "/" not in jid else jid
        self.bare = self.jid.split("/", 1)[0]
        self.host, self.port = host, port
        self._lt = _shared()
        _clients.append(self)
        self._inbox: list[Received] = []
        self._presences: list[Presence] = []
        self._history: list[Received] = []
        self._cond = threading.Condition()
        self.xmpp: _Slix = self._lt.call(lambda: self._build(password, lang))

    def _build(self, password: str, lang: str) -> _Slix:
        xmpp = _Slix(self.jid, password, lang)
        # slixmpp's "message" event skips body-less stanzas (chat states,
        # receipts), so the inbox gets its own handler for every <message/>.
        xmpp.register_handler(Callback(
            "test inbox", MatchXPath("{jabber:client}message"), self._on_message))
        xmpp.add_event_handler("presence", self._on_presence)
        return xmpp

    # -- connection --

    def connect(self, show: str | None = None, status: str | None = None,
                timeout: float = 10.0, priority: int | None = None) -> TestClient:
        """Log in, fetch the roster, send initial presence; blocks until done."""
        async def go() -> None:
            xmpp = self.xmpp
            started: asyncio.Future[None] = asyncio.get_running_loop().create_future()

            def ok(_: Any) -> None:
                if not started.done():
                    started.set_result(None)

            def failed(_: Any) -> None:
                if not started.done():
                    started.set_exception(AssertionError(
                        f"{self.jid}: authentication failed (wrong password or no such account)"))

            xmpp.add_event_handler("session_start", ok, disposable=True)
            xmpp.add_event_handler("failed_all_auth", failed, disposable=True)
            xmpp.connect(self.host, self.port)
            try:
                await asyncio.wait_for(started, timeout)
            except asyncio.TimeoutError:
                xmpp.cancel_connection_attempt()
                xmpp.abort()
                await _stop_send_loop(xmpp)
                raise AssertionError(f"{self.jid}: no session on {self.host}:{self.port} "
                                     f"within {timeout}s") from None
            await xmpp.get_roster()
            xmpp.send_presence(pshow=show, pstatus=status, ppriority=priority)
        self._lt.run(go(), timeout + 5)
        return self

    def disconnect(self, timeout: float = 5.0) -> None:
        """Close the stream (the server sends unavailable presence for us)."""
        async def go() -> None:
            self.xmpp.cancel_connection_attempt()
            if self.xmpp.transport is not None:
                await self.xmpp.disconnect(wait=timeout / 2)
            await _stop_send_loop(self.xmpp)
        try:
            self._lt.run(go(), timeout)
        except TimeoutError:
            self._lt.call(self.xmpp.abort)

    @property
    def connected(self) -> bool:
        return self.xmpp.transport is not None and bool(self.xmpp.sessionstarted)

    # -- sending --

    def send_message(self, to: str, body: str, lang: str | None = None,
                     chatstate: str | None = None, request_receipt: bool = False,
                     mtype: MessageType = "chat") -> str:
        """Send a message; returns its id (for receipts and history checks)."""
        def go() -> str:
            msg = self.xmpp.make_message(mto=to, mbody=body, mtype=mtype)
            msg["id"] = self.xmpp.new_id()
            if lang:
                msg["lang"] = lang
            if chatstate:
                msg["chat_state"] = chatstate
            if request_receipt:
                msg["request_receipt"] = True
            msg.send()
            return str(msg["id"])
        return self._lt.call(go)

    def send_file_link(self, to: str, url: str, body: str | None = None) -> str:
        """A file as XMPP clients send one: the link as the body (or
        ``body``) and as a XEP-0066 OOB URL. Returns the message's id."""
        def go() -> str:
            msg = self.xmpp.make_message(mto=to, mbody=url if body is None else body,
                                         mtype="chat")
            msg["id"] = self.xmpp.new_id()
            msg["oob"]["url"] = url
            msg.send()
            return str(msg["id"])
        return self._lt.call(go)

    def upload(self, name: str, data: bytes, content_type: str, service: str,
               timeout: float = 30.0) -> str:
        """XEP-0363 as slixmpp does it: find the upload service on the
        ``service`` domain (disco#info), ask it for a slot, PUT the bytes.
        Returns the GET URL; an error reply raises IqFailed, the plugin's
        own errors (FileTooBig, HTTPError) pass through."""
        async def go() -> str:
            plugin = self.xmpp.plugin["xep_0363"]
            try:
                url: str = await plugin.upload_file(
                    name, size=len(data), content_type=content_type,
                    input_file=io.BytesIO(data), domain=slixmpp.JID(service), timeout=timeout)
            except IqError as e:
                condition = str(e.iq["error"]["condition"])
                raise IqFailed(f"{self.jid}: slot request failed: {condition}\n{e.iq}",
                               condition, str(e.iq)) from None
            return url
        return self._lt.run(go(), timeout + 5)

    def request_slot(self, service: str, name: str, size: int, content_type: str,
                     timeout: float = 10.0) -> tuple[str, str]:
        """Only the slot request: (PUT URL, GET URL), or IqFailed."""
        async def go() -> tuple[str, str]:
            try:
                iq = await self.xmpp.plugin["xep_0363"].request_slot(
                    slixmpp.JID(service), name, size, content_type, timeout=timeout)
            except IqError as e:
                condition = str(e.iq["error"]["condition"])
                raise IqFailed(f"{self.jid}: slot request failed: {condition}\n{e.iq}",
                               condition, str(e.iq)) from None
            slot = iq["http_upload_slot"]
            return str(slot["put"]["url"]), str(slot["get"]["url"])
        return self._lt.run(go(), timeout + 5)

    def send_chatstate(self, to: str, state: str) -> None:
        """A standalone XEP-0085 notification (composing, paused, active, ...)."""
        def go() -> None:
            msg = self.xmpp.make_message(mto=to, mtype="chat")
            msg["chat_state"] = state
            msg.send()
        self._lt.call(go)

    def send_presence(self, show: str | None = None, status: str | None = None,
                      to: str | None = None, ptype: PresenceType | None = None) -> None:
        """Broadcast (or direct with ``to``) presence; ``ptype`` e.g. unavailable, probe."""
        self._lt.call(lambda: self.xmpp.send_presence(
            pshow=show, pstatus=status, pto=to, ptype=ptype))

    def subscribe(self, to: str) -> None:
        """Ask for ``to``'s presence (roster push + <presence type='subscribe'/>)."""
        self._lt.call(lambda: self.xmpp.send_presence_subscription(pto=to, ptype="subscribe"))

    def send_raw(self, xml: str) -> None:
        self._lt.call(lambda: self.xmpp.send_raw(xml))

    def iq_get(self, to: str, payload: str | ET.Element, timeout: float = 10.0) -> Any:
        """Send an IQ get and return the result stanza (a slixmpp ``Iq``).

        ``payload`` is a short name (``disco_info``, ``disco_items``,
        ``version``, ``ping``), an XML string or an Element. An error reply or
        no reply raises ``IqFailed``.
        """
        async def go() -> Any:
            iq = self.xmpp.make_iq_get(ito=to)
            if isinstance(payload, str) and payload in IQ_PLUGINS:
                iq.enable(IQ_PLUGINS[payload])
            else:
                iq.append(ET.fromstring(payload) if isinstance(payload, str) else payload)
            try:
                return await iq.send(timeout=timeout)
            except IqError as e:
                condition = str(e.iq["error"]["condition"])
                raise IqFailed(f"{self.jid}: IQ to {to} failed: {condition}\n{e.iq}",
                               condition, str(e.iq)) from None
            except IqTimeout:
                raise IqFailed(f"{self.jid}: IQ to {to} got no reply in {timeout}s",
                               "timeout") from None
        return self._lt.run(go(), timeout + 5)

    # -- receiving --

    def _on_message(self, msg: StanzaBase) -> None:
        receipt = msg.xml.find("{urn:xmpp:receipts}received")
        chatstate = next((child.tag.split("}", 1)[1] for child in msg.xml
                          if child.tag.startswith("{" + CHATSTATES_NS + "}")), None)
        item = Received(
            body=str(msg["body"]), from_=str(msg["from"]), to=str(msg["to"]),
            type=msg.xml.get("type", "normal"), lang=msg.xml.get(XML_LANG),
            id=msg.xml.get("id", ""), chatstate=chatstate,
            receipt_for=receipt.get("id") if receipt is not None else None,
            receipt_requested=msg.xml.find("{urn:xmpp:receipts}request") is not None,
            xml=str(msg), oob=msg.xml.findtext(OOB_URL),
        )
        with self._cond:
            self._inbox.append(item)
            self._history.append(item)
            self._cond.notify_all()

    def _on_presence(self, pres: slixmpp.Presence) -> None:
        item = Presence(
            from_=str(pres["from"]), type=pres.xml.get("type", "available"),
            show=str(pres["show"]) or None, status=str(pres["status"]), xml=str(pres),
        )
        with self._cond:
            self._presences.append(item)
            self._cond.notify_all()

    def _take(self, queue: list[Q], match: Callable[[Q], bool], timeout: float) -> Q | None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i, item in enumerate(queue):
                    if match(item):
                        return queue.pop(i)
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def wait_message(self, from_: str | None = None, contains: str | None = None,
                     timeout: float = 10.0, *, chatstate: str | None = None,
                     with_body: bool = True, receipt_for: str | None = None,
                     mtype: str | None = None) -> Received:
        """Take the first matching message out of the inbox, waiting up to ``timeout``.

        By default only messages with a body match (standalone chat states and
        receipts stay in the inbox); pass ``with_body=False`` to match those.
        """
        def match(m: Received) -> bool:
            return (_jid_matches(from_, m.from_)
                    and (not with_body or bool(m.body))
                    and (contains is None or contains in m.body)
                    and (chatstate is None or m.chatstate == chatstate)
                    and (receipt_for is None or m.receipt_for == receipt_for)
                    and (mtype is None or m.type == mtype))
        found = self._take(self._inbox, match, timeout)
        if found is None:
            want = ", ".join(f"{k}={v!r}" for k, v in dict(
                from_=from_, contains=contains, chatstate=chatstate,
                receipt_for=receipt_for, mtype=mtype).items() if v is not None)
            raise AssertionError(f"{self.jid}: no message ({want}) within {timeout}s;"
                                 f" inbox:\n{self.describe_inbox()}")
        return found

    def wait_presence(self, from_: str | None = None, ptype: str | None = None,
                      show: str | None = None, timeout: float = 10.0) -> Presence:
        """Take the first matching presence; ``ptype`` ``available`` matches any show."""
        def match(p: Presence) -> bool:
            return (_jid_matches(from_, p.from_)
                    and (ptype is None or p.type == ptype)
                    and (show is None or p.show == show))
        found = self._take(self._presences, match, timeout)
        if found is None:
            with self._cond:
                seen = "\n".join(f"  {p.from_} type={p.type} show={p.show} status={p.status!r}"
                                 for p in self._presences) or "  (none)"
            raise AssertionError(f"{self.jid}: no presence (from_={from_!r}, ptype={ptype!r}, "
                                 f"show={show!r}) within {timeout}s; presences:\n{seen}")
        return found

    def expect_no_message(self, from_: str | None = None, within: float = 1.0,
                          with_body: bool = True) -> None:
        """Fail if a matching message is (or arrives within ``within`` s) in the inbox."""
        time.sleep(within)
        with self._cond:
            bad = [m for m in self._inbox
                   if _jid_matches(from_, m.from_) and (not with_body or m.body)]
        if bad:
            raise AssertionError(f"{self.jid}: expected no message from {from_ or 'anyone'}, got:\n"
                                 + "\n".join(f"  {m.from_}: {m.body!r}" for m in bad))

    def messages(self) -> list[Received]:
        """Every message received so far (taken out of the inbox or not), oldest first."""
        with self._cond:
            return list(self._history)

    def inbox(self) -> list[Received]:
        """Messages not yet taken by a wait."""
        with self._cond:
            return list(self._inbox)

    def clear(self) -> None:
        """Forget the inbox and presences (e.g. after a noisy setup phase)."""
        with self._cond:
            self._inbox.clear()
            self._presences.clear()

    def describe_inbox(self) -> str:
        with self._cond:
            lines = [f"  {m.from_} [{m.type}{', ' + m.chatstate if m.chatstate else ''}"
                     f"{', receipt ' + m.receipt_for if m.receipt_for else ''}]: {m.body!r}"
                     for m in self._inbox]
        return "\n".join(lines) or "  (empty)"

    def __repr__(self) -> str:
        return f"<TestClient {self.jid} {'online' if self.connected else 'offline'}>"
