"""Transcript links (core/links.py): what !history and a returning client's
note give operators, and how a link is checked."""
from __future__ import annotations

import re

from twisted.internet.task import Clock

from imsupport.core.links import DAY, TranscriptLinks, deriveKey
from tests.unit.fakes import ALICE, IVAN, makeCore, online

URL = "https://support.shop.test"
LINK = re.compile(re.escape(URL) + r"/t/(\d+)/(\d+)/([A-Za-z0-9_-]+)")


def links(clock: Clock, secret: str = "component-secret", lifetime: float = 7 * DAY):
    return TranscriptLinks(deriveKey(secret), URL + "/", clock, lifetime)


def parts(url: str) -> tuple[int, int, str]:
    found = LINK.fullmatch(url)
    assert found, url
    return int(found[1]), int(found[2]), found[3]


def test_a_link_names_its_chat_and_checks_out_until_it_expires():
    clock = Clock()
    clock.advance(1_800_000_000.5)
    made = links(clock)
    chat, expires, signature = parts(made.url(42))
    assert chat == 42
    assert expires % DAY == 0, "the end of a UTC day"
    assert clock.seconds() + 7 * DAY <= expires < clock.seconds() + 8 * DAY
    assert len(signature) == 24
    assert made.check(42, expires, signature)
    clock.advance(3600)
    assert made.url(42) == made.url(42), "the same link all day"
    clock.advance(expires - clock.seconds() - 1)
    assert made.check(42, expires, signature), "still good one second before"
    clock.advance(1)
    assert not made.check(42, expires, signature), "expired"


def test_an_altered_or_foreign_link_is_refused():
    clock = Clock()
    clock.advance(1_800_000_000)
    made = links(clock)
    chat, expires, signature = parts(made.url(42))
    assert not made.check(43, expires, signature), "another chat"
    assert not made.check(42, expires + DAY, signature), "a later expiry"
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert not made.check(42, expires, flipped)
    assert not made.check(42, expires, signature[:-1])
    assert not made.check(42, expires, "é" * 24), "non-ASCII is refused, not an error"
    other = links(clock, secret="another-secret")
    assert not other.check(42, expires, signature), "a key from another secret"
    assert deriveKey("component-secret") != b"component-secret"


def closedChat(first_line: str = "where is my order?"):
    """A core with links where Alice's chat #1, answered by Ivan, is closed."""
    core, clock, t, store = makeCore(links=links)
    online(core, IVAN)
    core.clientSaid("sales", ALICE, first_line)
    core.operatorSaid("sales", 1, IVAN, "on its way")
    core.operatorSaid("sales", 1, IVAN, "!close")
    return core, clock, t, store


def test_history_and_a_returning_clients_note_carry_links():
    core, clock, t, _ = closedChat()
    core.consoleSaid(IVAN, f"!history {ALICE}")
    answer = t.last(IVAN).body
    assert answer.splitlines()[1].startswith("#1 ")
    url = answer.splitlines()[2].strip()
    chat, expires, signature = parts(url)
    assert chat == 1 and core.links.check(chat, expires, signature)

    clock.advance(600)
    core.clientSaid("sales", ALICE, "one more thing")
    invitation = t.last(IVAN).body
    assert "Returning client" in invitation
    assert core.links.url(1) in invitation


def test_without_links_the_lines_stand_alone():
    core, _, t, _ = makeCore()
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "hi")
    core.operatorSaid("sales", 1, IVAN, "!close")
    core.consoleSaid(IVAN, f"!history {ALICE}")
    assert "/t/" not in t.last(IVAN).body
