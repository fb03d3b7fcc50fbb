"""
Fixtures for the browser tests: Playwright's Python API driving Debian's
``chromium`` (``/usr/bin/chromium``, installed by scripts/setup.sh; no
browser download), headless, against the real twistd + Prosody of tests/e2e
(whose fixtures ``start_imsupport``, ``xmpp_client`` ... are reused here).

- ``browser``: one Chromium per test module.
- ``context(**options)``: a fresh browser context (its own storage) per
  call, closed after the test; ``page`` is a page of one.
- ``shots``: ``shots(page, "what")`` saves a screenshot of this step as
  ``NN-what.png`` in the test's output directory: ``$IMSUPPORT_TEST_OUT/<test>``
  when that is set, else the test's tmp_path; the directories are listed at
  the end of the run.
- ``host_page(service_url, node)``: the shop's page on another origin
  (hostpage.py) with the widget's one script tag; ``page=``, ``host=``: a
  page of the test's own (hostpage.py).

Like the e2e tests, these skip when Chromium or Playwright is missing, except
under CI or IMSUPPORT_E2E_REQUIRED=1 (scripts/test), where they fail.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.hostpage import HostPage
from tests.e2e.conftest import (  # noqa: F401 (fixtures used by this folder's tests)
    _prosody_running,
    prosody,
    start_imsupport,
    xmpp_client,
    xmpp_user,
)

CHROMIUM = "/usr/bin/chromium"
# Screen capture without a person at the picker: headless Chromium has no
# screen to share (desktop capture fails with NotReadableError, and so does
# everything once --use-fake-ui-for-media-stream is given), but it shares a
# tab, picked by a part of its title: the test node's title, in the shop's
# page's (hostpage.py) and in the chat page's own ("Chat: Sales questions").
CAPTURED_TITLE = "Sales questions"
CHROMIUM_ARGS = [
    f"--auto-select-tab-capture-source-by-title={CAPTURED_TITLE}",
    "--disable-dev-shm-usage",
]
_HERE = Path(__file__).parent
_SHOT_DIRS: list[Path] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.browser)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _SHOT_DIRS:
        terminalreporter.write_sep("-", "browser test screenshots")
        for folder in _SHOT_DIRS:
            terminalreporter.write_line(str(folder))


def _missing(message: str) -> None:
    if os.environ.get("CI") or os.environ.get("IMSUPPORT_E2E_REQUIRED"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Per module, so that no Playwright is left running (it has an asyncio
    loop and greenlets of its own) while later tests run Twisted's reactor."""
    if not os.path.exists(CHROMIUM):
        _missing(f"{CHROMIUM} is not installed (scripts/setup.sh installs Debian's chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (it is in the test extra: pip install -e '.[test]')")
    manager = sync_playwright().start()
    try:
        chromium = manager.chromium.launch(executable_path=CHROMIUM, headless=True,
                                           args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    finally:
        manager.stop()


@pytest.fixture
def context(browser: Any) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []

    said: list[str] = []  # the pages' console and uncaught errors, printed at the end

    def make(**options: Any) -> Any:
        options.setdefault("viewport", {"width": 1200, "height": 860})
        made.append(browser.new_context(**options))
        made[-1].set_default_timeout(15_000)
        made[-1].on("console", lambda m: said.append(f"console.{m.type}: {m.text} {m.location}"))
        made[-1].on("weberror", lambda e: said.append(f"uncaught: {e.error}"))
        return made[-1]

    yield make
    for item in made:
        item.close()
    print("\n".join(said))
    refused = [line for line in said if "Content Security Policy" in line]
    assert not refused, "the pages broke their own CSP:\n" + "\n".join(refused)


@pytest.fixture
def page(context: Callable[..., Any]) -> Any:
    return context().new_page()


class Shots:
    """Numbered screenshots of one test's steps."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def __call__(self, page: Any, what: str, full_page: bool = False) -> Path:
        self.count += 1
        name = re.sub(r"[^a-z0-9]+", "-", what.lower()).strip("-")
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Shots]:
    out = os.environ.get("IMSUPPORT_TEST_OUT")
    test = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    folder = Path(out) / test if out else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    helper = Shots(folder)
    yield helper
    if helper.count:
        print(f"screenshots of {request.node.nodeid}: {folder}")
        _SHOT_DIRS.append(folder)


@pytest.fixture
def host_page() -> Iterator[Callable[..., HostPage]]:
    pages: list[HostPage] = []

    def make(service: str = "", node: str = "sales", lang: str = "en",
             **kw: Any) -> HostPage:
        pages.append(HostPage(service, node, lang, **kw).start())
        return pages[-1]

    yield make
    for item in pages:
        item.stop()
