"""
R-RUN-5 on ejabberd, tested rather than claimed: Debian's ejabberd with the
component listener of etc/ejabberd-component.yml (tests/e2e/ejabberd.py), the
real ``twistd -n imsupport`` and slixmpp clients, through the basic chat path.
One ejabberd for the module.
"""
from __future__ import annotations

import itertools
import json
import os
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.e2e.ejabberd import Ejabberd, available
from tests.e2e.service import ImsupportProcess, free_port, make_config, sqlite_url
from tests.e2e.xmppclient import TestClient
from tests.metricstext import has

COMPONENT = "support.shop.test"
SALES = f"sales@{COMPONENT}"
CHAT1 = f"sales+1@{COMPONENT}"


def require_ejabberd() -> None:
    """As the prosody fixture: a missing ejabberd fails under CI."""
    missing = available()
    if missing:
        if os.environ.get("CI") or os.environ.get("IMSUPPORT_E2E_REQUIRED"):
            pytest.fail(missing)
        pytest.skip(missing)


@pytest.fixture(scope="module")
def ejabberd() -> Iterator[Ejabberd]:
    require_ejabberd()
    server = Ejabberd()
    try:
        server.start()
        yield server
    finally:
        server.cleanup()


_numbers = itertools.count(1)


@pytest.fixture
def client(ejabberd: Ejabberd) -> Iterator[Callable[[str], TestClient]]:
    clients: list[TestClient] = []

    def make(name: str) -> TestClient:
        user = f"{name}{next(_numbers)}"
        jid = ejabberd.register(user, f"pw-{user}")
        made = TestClient(jid, f"pw-{user}", ejabberd.c2s_port)
        clients.append(made)
        return made.connect()

    yield make
    for made in clients:
        made.disconnect()


@pytest.fixture
def imsupport(ejabberd: Ejabberd, tmp_path: Path) -> Iterator[Callable[..., ImsupportProcess]]:
    services: list[ImsupportProcess] = []

    def start(*operators: TestClient, server: object = ejabberd,
              wait: bool = True) -> ImsupportProcess:
        workdir = tmp_path / f"imsupport{len(services)}"
        nodes = f"""
[[nodes]]
name = "sales"
title = "Sales questions"
languages = ["en", "ru"]

  [[nodes.groups]]
  name = "first"
  wave = 1
  operators = {json.dumps([o.bare for o in operators])}
"""
        text = make_config(server, free_port(),  # type: ignore[arg-type]
                           sqlite_url(workdir / "db.sqlite"), workdir=workdir,
                           nodes_toml=nodes,
                           operators=[{"jid": o.bare, "name": "Ivan", "languages": ["en"]}
                                      for o in operators])
        service = ImsupportProcess(text, workdir)
        services.append(service)
        return service.start(wait)

    yield start
    for service in services:
        service.stop()


def metrics(service: ImsupportProcess) -> str:
    with urllib.request.urlopen(f"{service.base_url}/metrics", timeout=5) as r:
        return r.read().decode()


def wait_operator_free(service: ImsupportProcess, timeout: float = 15.0) -> None:
    """The service subscribed to the operator through ejabberd and sees them free."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if has(metrics(service), 'imsupport_operators{state="free"}', 1):
            return
        time.sleep(0.1)
    raise AssertionError(f"the operator never became free:\n{metrics(service)}"
                         + service.log_tail())


def test_basic_chat_path_on_ejabberd(ejabberd, client, imsupport):
    ivan = client("ivan")
    service = imsupport(ivan)          # waits for /healthz xmpp=true
    assert service.health()[1]["xmpp"] is True
    ivan.wait_presence(COMPONENT, ptype="subscribe")
    wait_operator_free(service)
    alice = client("alice")

    alice.send_message(SALES, "Hello from ejabberd, where is my order 77?")
    greeting = alice.wait_message(SALES, contains="number 1 in the queue")
    assert "Sales questions" in greeting.body
    invitation = ivan.wait_message(CHAT1, contains="New chat #1")
    assert alice.bare in invitation.body and "where is my order 77?" in invitation.body

    ivan.send_message(CHAT1, "!accept")
    assert alice.wait_message(SALES, contains="Ivan joined the chat.")
    ivan.send_message(CHAT1, "Hi! Checking order 77.")
    reply = alice.wait_message(SALES, contains="Checking order 77")
    assert reply.from_bare == SALES
    alice.send_message(SALES, "Thank you!")
    assert ivan.wait_message(CHAT1, contains="Thank you!").from_bare == CHAT1
    assert ivan.bare not in "".join(m.body for m in alice.messages()), "no operator JIDs"

    ivan.send_message(CHAT1, "!close")
    assert alice.wait_message(SALES, contains="Ivan closed the chat")
    assert ivan.wait_message(CHAT1, contains="Chat #1 is closed")
    assert service.running, service.log_tail()
    assert "lost its connection" not in service.log_text()


def test_wrong_secret_on_ejabberd_is_named(ejabberd, imsupport):
    """ejabberd refuses a wrong XEP-0114 secret with not-authorized too, and
    the service says what to check (defect 5)."""
    wrong = SimpleNamespace(host=ejabberd.host, component=ejabberd.component,
                            component_port=ejabberd.component_port,
                            component_secret="not-" + ejabberd.component_secret)
    service = imsupport(server=wrong, wait=False)
    line = service.wait_log("The XMPP server closed the component stream", timeout=20)
    assert "not-authorized" in line and "check [xmpp] secret" in line, service.log_tail()
    assert "(the server refused the login" in service.wait_log("Next attempt to connect")


def test_listener_added_by_reload_config(tmp_path):
    """etc/ejabberd-component.yml says: add the listener, then
    `ejabberdctl reload_config`. A server started without it takes the
    component after the reload, with no restart."""
    require_ejabberd()
    server = Ejabberd(with_component=False)
    service = None
    try:
        server.start()
        server.add_component()
        workdir = tmp_path / "imsupport"
        service = ImsupportProcess(make_config(server, free_port(),  # type: ignore[arg-type]
                                               sqlite_url(workdir / "db.sqlite"),
                                               workdir=workdir), workdir).start()
        assert service.health()[1]["xmpp"] is True
    finally:
        if service is not None:
            service.stop()
        server.cleanup()
