"""
The test harness itself against the real Prosody: clients, presence,
restart, and a bare XEP-0114 component login. Needs no imsupport code.
"""
from __future__ import annotations

import hashlib
import re
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from tests.e2e.prosody import Prosody
from tests.e2e.xmppclient import IqFailed, TestClient

pytestmark = pytest.mark.e2e

MakeClient = Callable[..., TestClient]


def test_two_clients_chat_and_see_presence(xmpp_client: MakeClient) -> None:
    alice = xmpp_client("alice")
    bob = xmpp_client("bob", show="away", status="at lunch")

    alice.subscribe(bob.bare)  # bob auto-accepts and subscribes back
    seen = alice.wait_presence(from_=bob.bare, ptype="available", show="away")
    assert seen.status == "at lunch"
    bob.wait_presence(from_=alice.bare, ptype="available")

    msg_id = alice.send_message(bob.bare, "Привет, Bob", lang="ru", chatstate="active",
                                request_receipt=True)
    got = bob.wait_message(from_=alice.bare, contains="Привет")
    assert (got.body, got.lang, got.id, got.chatstate) == ("Привет, Bob", "ru", msg_id, "active")
    assert got.receipt_requested
    alice.wait_message(from_=bob.bare, receipt_for=msg_id, with_body=False)

    alice.send_chatstate(bob.bare, "composing")
    bob.wait_message(from_=alice.bare, chatstate="composing", with_body=False)
    bob.expect_no_message(from_=alice.bare, within=0.3)

    bob.send_presence(show="dnd", status="busy")
    alice.wait_presence(from_=bob.bare, show="dnd")
    bob.disconnect()
    alice.wait_presence(from_=bob.bare, ptype="unavailable")


def test_wait_message_failure_shows_inbox(xmpp_client: MakeClient) -> None:
    alice, bob = xmpp_client("alice"), xmpp_client("bob")
    alice.send_message(bob.bare, "first")
    bob.wait_message(contains="first")
    alice.send_message(bob.bare, "second")
    with pytest.raises(AssertionError, match=r"(?s)no message.*'second'"):
        bob.wait_message(contains="third", timeout=0.5)
    assert bob.wait_message(contains="second").body == "second"  # still there after the miss
    assert [m.body for m in bob.messages()] == ["first", "second"]


def test_server_answers_iq(xmpp_client: MakeClient, prosody: Prosody) -> None:
    alice = xmpp_client("alice")
    version = alice.iq_get(prosody.domain, "version")
    assert version["software_version"]["name"] == "Prosody"
    info = alice.iq_get(prosody.domain, "disco_info")
    assert "urn:xmpp:ping" in info["disco_info"]["features"]
    alice.iq_get(prosody.domain, "ping")
    with pytest.raises(IqFailed) as failed:
        # Prosody 0.12 bounces stanzas for a component that is not connected
        alice.iq_get(prosody.component, "<query xmlns='jabber:iq:version'/>")
    assert failed.value.condition == "remote-server-timeout"
    alice.send_message(f"sales@{prosody.component}", "anyone there?")
    bounced = alice.wait_message(from_=f"sales@{prosody.component}", mtype="error", with_body=False)
    assert "remote-server-timeout" in bounced.xml  # lost, not queued: clients see an error


def test_wrong_password_fails_fast(prosody: Prosody, xmpp_user: Callable[[str], tuple[str, str]]
                                   ) -> None:
    jid, _ = xmpp_user("mallory")
    client = TestClient(jid, "not-the-password", prosody.c2s_port)
    started = time.monotonic()
    with pytest.raises(AssertionError, match="authentication failed"):
        client.connect(timeout=5)
    assert time.monotonic() - started < 4
    client.disconnect()


def test_prosody_restart_and_fresh_client(prosody: Prosody, xmpp_client: MakeClient) -> None:
    old = xmpp_client("old")
    prosody.restart()
    deadline = time.monotonic() + 5
    while old.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not old.connected, "the restart should have closed the old stream"
    alice, bob = xmpp_client("alice"), xmpp_client("bob")
    alice.send_message(bob.bare, "after restart")
    assert bob.wait_message(from_=alice.bare).body == "after restart"


# -- a bare XEP-0114 component, to prove Prosody's component config ----------

class RawComponent:
    """Just enough XEP-0114 to log in and see stanzas as text."""

    def __init__(self, prosody: Prosody) -> None:
        self.sock = socket.create_connection((prosody.host, prosody.component_port), timeout=5)
        self.buffer = ""

    def send(self, text: str) -> None:
        self.sock.sendall(text.encode())

    def read_until(self, pattern: str, timeout: float = 5.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while not (found := re.search(pattern, self.buffer, re.S)):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"component: no {pattern!r} in {self.buffer!r}")
            self.sock.settimeout(left)
            data = self.sock.recv(65536)
            if not data:
                raise AssertionError(f"component: closed, no {pattern!r} in {self.buffer!r}")
            self.buffer += data.decode()
        self.buffer = self.buffer[found.end():]
        return found

    def login(self, domain: str, secret: str) -> str:
        self.send("<stream:stream xmlns='jabber:component:accept' "
                  f"xmlns:stream='http://etherx.jabber.org/streams' to='{domain}'>")
        stream_id = self.read_until(r"<stream:stream[^>]*\bid=['\"]([^'\"]+)['\"]").group(1)
        digest = hashlib.sha1((stream_id + secret).encode()).hexdigest()
        self.send(f"<handshake>{digest}</handshake>")
        return self.read_until(r"<handshake\s*/>|<handshake></handshake>"
                               r"|<stream:error>.*?</stream:error>").group(0)


@contextmanager
def raw_component(prosody: Prosody) -> Iterator[RawComponent]:
    component = RawComponent(prosody)
    try:
        yield component
    finally:
        component.sock.close()


def test_component_logs_in_and_routes(prosody: Prosody, xmpp_client: MakeClient) -> None:
    alice = xmpp_client("alice")
    with raw_component(prosody) as component:
        assert component.login(prosody.component, prosody.component_secret).startswith("<handshake")
        alice.send_message(f"sales@{prosody.component}", "hello support")
        stanza = component.read_until(r"<message\b.*?</message>").group(0)
        assert "hello support" in stanza and f"from='{alice.bare}/" in stanza.replace('"', "'")
        component.send(f"<message from='sales@{prosody.component}' to='{alice.bare}' type='chat'>"
                       "<body>hi from sales</body></message>")
        got = alice.wait_message(from_=f"sales@{prosody.component}")
        assert got.body == "hi from sales"


def test_component_wrong_secret_refused(prosody: Prosody) -> None:
    with raw_component(prosody) as component:
        answer = component.login(prosody.component, "wrong-secret")
        assert "not-authorized" in answer
