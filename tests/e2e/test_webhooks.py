"""
Webhooks end to end (issue 10: 3, 8; SPEC 15): the real twistd process
delivers a chat's events to a real HTTP receiver in this test, which checks
every signature with the Standard Webhooks reference verifier. The receiver
fails twice, then accepts; then it is down while the service is killed with
``kill -9`` and restarted; once it is back it still gets every event the
service stored, each under the same ``webhook-id`` on every attempt.
"""
from __future__ import annotations

import base64
import json
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from standardwebhooks import Webhook

from tests.e2e.test_chat_path import COMPONENT, SALES, storage  # noqa: F401 (a fixture)
from tests.e2e.test_routing import group, node, rows, wait_free

SECRET = "whsec_" + base64.b64encode(b"imsupport e2e webhook key!").decode()


class Receiver:
    """An HTTP receiver on a fixed loopback port that can be stopped and
    started again; it answers 500 to its first ``fail_first`` requests."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.attempts: list[str] = []  # webhook-id of every request, in order
        self.accepted: dict[str, dict[str, Any]] = {}  # webhook-id -> verified payload
        self.bad_signatures = 0
        self.lock = threading.Lock()
        self.server: HTTPServer | None = None
        self.port = 0
        self.start()

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["content-length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    payload = Webhook(SECRET).verify(body, headers)
                except Exception:
                    with receiver.lock:
                        receiver.bad_signatures += 1
                    self.send_response(400)
                    self.end_headers()
                    return
                with receiver.lock:
                    receiver.attempts.append(headers["webhook-id"])
                    failing = len(receiver.attempts) <= receiver.fail_first
                    if not failing:
                        receiver.accepted[headers["webhook-id"]] = payload
                self.send_response(500 if failing else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()
        self.server = None

    def types(self) -> list[str]:
        with self.lock:
            return [p["type"] for p in self.accepted.values()]

    def wait_for(self, event_type: str, count: int = 1, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.types().count(event_type) >= count:
                return
            time.sleep(0.05)
        raise AssertionError(f"no {event_type} delivered; got {self.types()}")


def webhook_toml(port: int) -> str:
    return f"""
[hooks]
retry_delays = [0.3, 0.3, 0.5, 0.5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]

[[webhooks]]
id = "crm"
url = "http://127.0.0.1:{port}/hook"
secret = "{SECRET}"
events = ["chat.*"]
"""


def stored_events(service: Any) -> dict[str, str]:
    """The stored events the webhook asked for (chat.*), id -> type."""
    with sqlite3.connect(service.workdir / "db.sqlite") as db:
        return {i: t for i, t in db.execute("SELECT id, type FROM outbox")
                if t.startswith("chat.")}


def test_signed_retried_and_nothing_lost_across_kill_9(start_imsupport, xmpp_client):
    receiver = Receiver(fail_first=2)
    ivan = xmpp_client("ivan")
    service = start_imsupport(node(group("first", [ivan])),
                              operators=rows((ivan, "Ivan", ["en"])),
                              extra_toml=webhook_toml(receiver.port))
    wait_free(service, 1)
    alice = xmpp_client("alice")
    alice.send_message(SALES, "Hello, where is my order?")
    ivan.wait_message(f"sales+1@{COMPONENT}", contains="New chat #1")
    ivan.send_message(f"sales+1@{COMPONENT}", "Hi, let me look.")
    receiver.wait_for("chat.accepted")
    first = receiver.attempts[0]
    assert receiver.attempts[:3] == [first] * 3, "the same webhook-id on each retry"
    queued = receiver.accepted[first]
    assert queued["type"] == "chat.queued"
    assert queued["data"]["chat_id"] == 1 and queued["data"]["node"] == "sales"
    assert queued["data"]["client"] == alice.bare
    accepted = next(p for p in receiver.accepted.values() if p["type"] == "chat.accepted")
    assert accepted["data"]["operator"] == ivan.bare and accepted["data"]["waited_s"] >= 0

    receiver.stop()  # down from here on
    ivan.send_message(f"sales+1@{COMPONENT}", "!close")
    alice.wait_message(SALES, contains="Ivan closed the chat")
    alice.send_message(SALES, "5 thanks")
    alice.wait_message(SALES, contains="Thank you for your rating")
    deadline = time.monotonic() + 10
    while "chat.rated" not in stored_events(service).values():
        assert time.monotonic() < deadline, stored_events(service)
        time.sleep(0.05)
    service.kill()  # kill -9 while the receiver is down
    service.start()
    receiver.start()  # back, on the same port
    receiver.wait_for("chat.closed")
    receiver.wait_for("chat.rated")
    stored = stored_events(service)
    deadline = time.monotonic() + 20
    while set(stored) - set(receiver.accepted) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert set(stored) <= set(receiver.accepted), "every stored event was delivered"
    assert receiver.bad_signatures == 0
    closed = next(p for p in receiver.accepted.values() if p["type"] == "chat.closed")
    assert closed["data"]["reason"] == "operator" and closed["data"]["operators"] == [ivan.bare]
    rated = next(p for p in receiver.accepted.values() if p["type"] == "chat.rated")
    assert {k: rated["data"][k] for k in ("chat_id", "rating", "comment")} == \
        {"chat_id": 1, "rating": 5, "comment": "thanks"}
    assert {"chat.queued", "chat.offered", "chat.accepted", "chat.closed",
            "chat.rated"} <= set(stored.values())
    json.dumps(receiver.accepted)  # every payload is plain JSON


@pytest.mark.parametrize("storage", ["postgresql"], indirect=True)
def test_postgresql_webhooks_on_a_connection_of_their_own(start_imsupport, xmpp_client,
                                                          storage):  # noqa: F811
    """On PostgreSQL the deliverer has its own session (runner._deliveryStore):
    a chat's events arrive signed, a failed one is retried with its id."""
    storage_url, _ = storage
    receiver = Receiver(fail_first=1)
    ivan = xmpp_client("ivan")
    service = start_imsupport(node(group("first", [ivan])),
                              operators=rows((ivan, "Ivan", ["en"])),
                              extra_toml=webhook_toml(receiver.port), storage_url=storage_url)
    wait_free(service, 1)
    alice = xmpp_client("alice")
    alice.send_message(SALES, "Hello, is anyone there?")
    ivan.wait_message(f"sales+1@{COMPONENT}", contains="New chat #1")
    ivan.send_message(f"sales+1@{COMPONENT}", "Hi, how can I help?")
    alice.wait_message(SALES, contains="how can I help")
    ivan.send_message(f"sales+1@{COMPONENT}", "!close")
    alice.wait_message(SALES, contains="closed")
    receiver.wait_for("chat.closed")
    assert receiver.types()[:2] == ["chat.queued", "chat.offered"]
    assert receiver.attempts[0] == receiver.attempts[1], "the failed one again, same id"
    assert receiver.bad_signatures == 0
