"""
The main job end to end: real Prosody, the real ``twistd -n imsupport``
process, slixmpp clients as customer and operator.
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.e2e.service import _TWISTD
from tests.e2e.xmppclient import TestClient
from tests.metricstext import has

COMPONENT = "support.shop.test"
SALES = f"sales@{COMPONENT}"


def nodes_toml(*operators: str, invite_timeout: int = 60, second: tuple[str, ...] = ()) -> str:
    text = f"""
[[nodes]]
name = "sales"
title = "Sales questions"
languages = ["en", "ru"]
invite_timeout = {invite_timeout}

  [[nodes.groups]]
  name = "first"
  wave = 1
  operators = {list(operators)!r}
"""
    if second:
        text += f"""
  [[nodes.groups]]
  name = "second"
  wave = 2
  operators = {list(second)!r}
"""
    return text.replace("'", '"')


def operator_rows(*clients, names=("Ivan", "Olga", "Petr")):
    return [{"jid": c.bare, "name": name, "languages": ["en", "ru"]}
            for c, name in zip(clients, names, strict=False)]


def start_with(start_imsupport, *operators, **kw):
    return start_imsupport(nodes_toml(*(o.bare for o in operators), **kw),
                           operators=operator_rows(*operators))


def wait_operator_followed(service, operator, timeout=10.0):
    """The service subscribes to operators and learns their presence."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if has(metrics(service), 'imsupport_operators{state="free"}', 1):
            return
        time.sleep(0.1)
    raise AssertionError(f"{operator.bare} never became free:\n{metrics(service)}\n"
                         f"{service.log_tail()}")


def metrics(service) -> str:
    import urllib.request
    with urllib.request.urlopen(f"http://127.0.0.1:{service.web_port}/metrics", timeout=5) as r:
        return r.read().decode()


PG_URL = os.environ.get("IMSUPPORT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(params=["sqlite", "postgresql"])
def storage(request):
    """(storage URL or None for the default SQLite file, events reader)."""
    if request.param == "sqlite":
        def read(service, chat_id):
            with sqlite3.connect(Path(service.workdir) / "db.sqlite") as conn:
                return conn.execute("SELECT seq, kind, author, text FROM events "
                                    "WHERE chat_id = ? ORDER BY seq", (chat_id,)).fetchall()
        yield None, read
        return
    import psycopg2
    schema = f"e2e_{uuid.uuid4().hex[:12]}"

    def read(service, chat_id):
        with psycopg2.connect(PG_URL, options=f"-c search_path={schema}") as conn, \
                conn.cursor() as cursor:
            cursor.execute("SELECT seq, kind, author, text FROM events WHERE chat_id = %s "
                           "ORDER BY seq", (chat_id,))
            return cursor.fetchall()
    try:
        yield f"{PG_URL}?schema={schema}", read
    finally:
        with psycopg2.connect(PG_URL) as conn, conn.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_whole_chat_path(start_imsupport, xmpp_client, storage):
    storage_url, db_events = storage
    ivan = xmpp_client("ivan")
    service = start_imsupport(nodes_toml(ivan.bare), operators=operator_rows(ivan),
                              storage_url=storage_url)
    wait_operator_followed(service, ivan)
    alice = xmpp_client("alice")

    alice.send_message(SALES, "Hello, where is my order 1234?")
    greeting = alice.wait_message(SALES, contains="number 1 in the queue")
    assert "Sales questions" in greeting.body
    invitation = ivan.wait_message(f"sales+1@{COMPONENT}", contains="New chat #1")
    assert alice.bare in invitation.body and "Hello, where is my order 1234?" in invitation.body
    assert "Languages: en" in invitation.body

    ivan.send_message(f"sales+1@{COMPONENT}", "Hi! Let me check order 1234.")
    assert alice.wait_message(SALES, contains="Ivan joined the chat.")
    reply = alice.wait_message(SALES, contains="Let me check order 1234")
    assert reply.from_bare == SALES
    assert ivan.bare not in "".join(m.body for m in alice.messages()), "no operator JIDs"

    alice.send_chatstate(SALES, "composing")
    assert ivan.wait_message(f"sales+1@{COMPONENT}", with_body=False, chatstate="composing")
    alice.send_message(SALES, "Thank you!")
    assert ivan.wait_message(f"sales+1@{COMPONENT}", contains="Thank you!")

    ivan.send_message(f"sales+1@{COMPONENT}", "!close")
    assert alice.wait_message(SALES, contains="Ivan closed the chat")
    assert ivan.wait_message(f"sales+1@{COMPONENT}", contains="Chat #1 is closed")
    assert alice.wait_message(SALES, contains="How did we do?")  # R-CLI-5, asked once
    alice.expect_no_message(SALES, within=0.5)
    assert "!close" not in [m.body for m in alice.messages()]
    alice.send_message(SALES, "5 thanks, fast help")
    assert alice.wait_message(SALES, contains="Thank you for your rating (5 of 5)")

    rows = db_events(service, 1)
    texts = [(kind, author, text) for _, kind, author, text in rows]
    assert [seq for seq, *_ in rows] == list(range(1, len(rows) + 1))
    for expected in [("message", "client", "Hello, where is my order 1234?"),
                     ("message", ivan.bare, "Hi! Let me check order 1234."),
                     ("message", "client", "Thank you!"),
                     ("command", ivan.bare, "!close"),
                     ("rating", "client", "5 thanks, fast help")]:
        assert expected in texts
    delivered = [m.body for m in alice.messages() if m.body]
    stored = [text for kind, _, text in texts]
    assert all(body in stored for body in delivered), "everything delivered is in history"
    assert 'imsupport_messages_relayed_total' in metrics(service)

    alice.send_message(SALES, "One more question")
    assert ivan.wait_message(f"sales+2@{COMPONENT}", contains="New chat #2")


def invited_one_of(clients, sender, text, timeout=10.0):
    """The one client that got the invitation (ties between operators who
    came online in the same instant may go either way)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for client in clients:
            if any(text in m.body for m in client.inbox() if m.from_bare == sender):
                client.wait_message(sender, contains=text)
                return client
        time.sleep(0.05)
    raise AssertionError(f"nobody of {[c.bare for c in clients]} got {text!r}")


def test_invitation_timeout_and_decline(start_imsupport, xmpp_client):
    ivan, olga, petr = xmpp_client("ivan"), xmpp_client("olga"), xmpp_client("petr")
    service = start_imsupport(
        nodes_toml(ivan.bare, olga.bare, invite_timeout=2, second=(petr.bare,)),
        operators=operator_rows(ivan, olga, petr))
    for op in (ivan, olga, petr):
        op.wait_presence(COMPONENT, ptype="subscribe")
    time.sleep(1)
    bob = xmpp_client("bob")
    bob.send_message(SALES, "Need help")
    first = invited_one_of([ivan, olga], f"sales+1@{COMPONENT}", "New chat #1")
    assert first.wait_message(f"sales+1@{COMPONENT}", contains="expired", timeout=6)
    other = olga if first is ivan else ivan
    other.wait_message(f"sales+1@{COMPONENT}", contains="New chat #1")
    other.send_message(f"sales+1@{COMPONENT}", "!decline")
    assert other.wait_message(f"sales+1@{COMPONENT}", contains="You declined chat #1")
    # A timeout only passes this round: after a pause of invite_timeout the
    # wave's next round asks the first operator again; a decline ends the wave.
    first.wait_message(f"sales+1@{COMPONENT}", contains="New chat #1", timeout=6)
    petr.expect_no_message(f"sales+1@{COMPONENT}", within=0.2)
    first.send_message(f"sales+1@{COMPONENT}", "!decline")
    petr.wait_message(f"sales+1@{COMPONENT}", contains="New chat #1", timeout=6)
    petr.send_message(f"sales+1@{COMPONENT}", "!accept")
    assert bob.wait_message(SALES, contains="Petr joined the chat.")
    bob.send_message(SALES, "!end")
    assert petr.wait_message(f"sales+1@{COMPONENT}", contains="closed by the client")
    assert service.running


def test_node_presence_states(start_imsupport, xmpp_client):
    ivan = xmpp_client("ivan")
    service = start_with(start_imsupport, ivan)
    wait_operator_followed(service, ivan)
    carol = xmpp_client("carol")
    carol.subscribe(SALES)
    assert carol.wait_presence(SALES, ptype="subscribed")
    assert carol.wait_presence(SALES, ptype="available", show=None).status.startswith(
        "Operators are free")
    ivan.send_presence(show="away")
    assert carol.wait_presence(SALES, show="away")
    ivan.send_presence()
    assert carol.wait_presence(SALES, ptype="available", show=None)
    dave = xmpp_client("dave")
    dave.send_message(SALES, "hi")
    ivan.wait_message(f"sales+1@{COMPONENT}", contains="New chat #1")
    ivan.send_message(f"sales+1@{COMPONENT}", "Hello Dave")
    busy = carol.wait_presence(SALES, show="dnd")
    assert "All operators are busy" in busy.status
    ivan.disconnect()
    assert carol.wait_presence(SALES, show="xa").status.startswith("No operators online")
    service.stop()
    assert carol.wait_presence(SALES, ptype="unavailable").status == "Switched off."


def test_component_reconnects_after_prosody_restart(prosody, start_imsupport, xmpp_client):
    ivan = xmpp_client("ivan")
    service = start_with(start_imsupport, ivan)
    wait_operator_followed(service, ivan)
    ivan.disconnect()
    prosody.restart()
    service.wait_log("lost its connection", timeout=10)
    deadline = time.monotonic() + 15
    while service.log_text().count("connected to") < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert service.log_text().count("connected to") >= 2, service.log_tail()
    ivan_again = TestClient(ivan.jid, f"pw-{ivan.bare.split('@')[0]}", prosody.c2s_port)
    ivan_again.connect()
    try:
        wait_operator_followed(service, ivan_again, timeout=15)
        erin = xmpp_client("erin")
        erin.send_message(SALES, "After the restart")
        assert ivan_again.wait_message(f"sales+1@{COMPONENT}", contains="After the restart")
    finally:
        ivan_again.disconnect()


def test_bad_input(start_imsupport, xmpp_client):
    ivan = xmpp_client("ivan")
    service = start_with(start_imsupport, ivan)
    wait_operator_followed(service, ivan)
    frank = xmpp_client("frank")
    frank.send_message(f"nosuch@{COMPONENT}", "hello?")
    error = frank.wait_message(mtype="error", with_body=False)
    assert "item-not-found" in error.xml and "no support line" in error.xml
    frank.send_raw(f"<message to='{SALES}' type='chat'><body></body></message>")
    frank.send_raw(f"<message to='{SALES}' type='chat'><body>   </body></message>")
    frank.expect_no_message(within=1.0)
    ivan.expect_no_message(within=0.1)
    for size in (200_000, 1_000_000):  # the test Prosody accepts stanzas up to 4 MB
        frank.send_message(SALES, "x" * size)
        refused = frank.wait_message(mtype="error", with_body=False, timeout=15)
        assert "not-acceptable" in refused.xml and f"too large ({size} bytes" in refused.xml
    ivan.expect_no_message(within=0.5)
    frank.send_message(SALES, "A normal question after all that")
    assert ivan.wait_message(f"sales+1@{COMPONENT}", contains="A normal question")
    assert service.running


def test_malformed_config_names_the_key(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text('[service]\ndomain = "support.shop.test"\n[xmpp]\nsecret = "x"\n'
                      '[[nodes]]\nname = "sales"\ninvite_timeout = "sixty"\n')
    result = subprocess.run([sys.executable, "-c", _TWISTD, "--nodaemon", "--pidfile=",
                             "imsupport", "--config", str(config)],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "nodes[0].invite_timeout" in output and str(config) in output
    assert "Traceback" not in output
    config.write_text('[service]\ndomain = "support.shop.test"\nbogus = 1\n')
    result = subprocess.run([sys.executable, "-c", _TWISTD, "--nodaemon", "--pidfile=",
                             "imsupport", "--config", str(config)],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode != 0 and "service.bogus" in result.stdout + result.stderr


def test_disco_version_ping_and_console(start_imsupport, xmpp_client):
    ivan = xmpp_client("ivan")
    service = start_with(start_imsupport, ivan)
    wait_operator_followed(service, ivan)
    grace = xmpp_client("grace")
    info = grace.iq_get(COMPONENT, "disco_info")
    assert "component" in str(info) and "urn:xmpp:ping" in str(info)
    items = grace.iq_get(COMPONENT, "disco_items")
    assert SALES in str(items)
    node_info = grace.iq_get(SALES, "disco_info")
    assert "Sales questions" in str(node_info)
    assert "imsupport" in str(grace.iq_get(COMPONENT, "version"))
    grace.iq_get(COMPONENT, "ping")
    ivan.send_message(COMPONENT, "!status")
    assert "Your state: free" in ivan.wait_message(COMPONENT, contains="Your state").body
    grace.send_message(COMPONENT, "!status")
    assert grace.wait_message(COMPONENT, contains="operators and admins only")
