"""
Fixtures for tests with real parts: Debian's Prosody, slixmpp clients and the
real ``twistd -n imsupport`` process. See tests/e2e/prosody.py, xmppclient.py
and service.py for the helpers behind them.

- ``prosody``: one Prosody per session (shop.test + component support.shop.test).
- ``xmpp_user(name)``: register a fresh account, returns (jid, password).
- ``xmpp_client(name, connect=True, show=None, status=None, lang="en")``: a
  logged-in TestClient on a fresh account, disconnected after the test.
- ``start_imsupport(nodes_toml="", operators=(), storage_url=None, ...)``: write
  a config for this Prosody and start the service in tmp_path; stopped after
  the test (it is the only component Prosody will accept at a time).

Account names get a counter suffix (``alice`` -> ``alice7@shop.test``) so no
roster or offline message leaks from one test into another.
"""
from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.prosody import PROSODY, Prosody
from tests.e2e.service import ImsupportProcess, free_port, make_config, sqlite_url
from tests.e2e.xmppclient import TestClient, shutdown_loop

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def prosody() -> Iterator[Prosody]:
    if not shutil.which(PROSODY) and not os.path.exists(PROSODY):
        message = "prosody is not installed (scripts/test installs it)"
        if os.environ.get("CI") or os.environ.get("IMSUPPORT_E2E_REQUIRED"):
            pytest.fail(message)
        pytest.skip(message)
    # Stanzas up to 4 MB reach the component, so its own size limit is what is tested.
    server = Prosody(extra_config="c2s_stanza_size_limit = 4 * 1024 * 1024")
    try:
        server.start()
        yield server
    finally:
        server.cleanup()
        shutdown_loop()


@pytest.fixture(autouse=True)
def _prosody_running(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that stopped Prosody (restart tests) must not break the next one."""
    yield
    if "prosody" in request.fixturenames:
        server: Prosody = request.getfixturevalue("prosody")
        if not server.running:
            server.start()


_account_numbers = itertools.count(1)


@pytest.fixture
def xmpp_user(prosody: Prosody) -> Callable[[str], tuple[str, str]]:
    def register(name: str) -> tuple[str, str]:
        user = f"{name}{next(_account_numbers)}"
        password = f"pw-{user}"
        return prosody.register(user, password), password
    return register


@pytest.fixture
def xmpp_client(prosody: Prosody, xmpp_user: Callable[[str], tuple[str, str]]
                ) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(name: str, connect: bool = True, show: str | None = None,
             status: str | None = None, lang: str = "en") -> TestClient:
        jid, password = xmpp_user(name)
        client = TestClient(jid, password, prosody.c2s_port, lang=lang)
        clients.append(client)
        if connect:
            client.connect(show=show, status=status)
        return client

    yield make
    for client in clients:
        client.disconnect()


@pytest.fixture
def start_imsupport(prosody: Prosody, tmp_path: Path) -> Iterator[Callable[..., ImsupportProcess]]:
    services: list[ImsupportProcess] = []

    def start(nodes_toml: str = "", operators: Any = (), storage_url: str | None = None,
              wait: bool = True, **config: Any) -> ImsupportProcess:
        workdir = tmp_path / f"imsupport{len(services)}"
        workdir.mkdir()
        text = make_config(prosody, free_port(), storage_url or sqlite_url(workdir / "db.sqlite"),
                           workdir=workdir, nodes_toml=nodes_toml, operators=operators, **config)
        service = ImsupportProcess(text, workdir)
        services.append(service)
        return service.start(wait)

    yield start
    for service in services:
        service.stop()
