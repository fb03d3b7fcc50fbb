"""Web chat visitors' addresses and tokens (R-CLI-3): pure, no I/O."""
from __future__ import annotations

import re

import pytest

from imsupport.core.display import showClient
from imsupport.web.chat.visitors import (
    NAME_CHARS,
    VisitorTokens,
    cleanName,
    deriveKey,
    isVisitor,
    newAddress,
)

ADDRESS = re.compile(r"^(.+)\.([a-z0-9]{10})@web\.invalid$")
TOKENS = VisitorTokens(deriveKey("component secret"))


@pytest.mark.parametrize("given, kept", [
    ("Anna Petrova", "anna petrova"),
    ("  Anna \t\n Petrova  ", "anna petrova"),
    ("", "visitor"), ("   ", "visitor"), ("\x00\u200b", "visitor"),
    ("Ж" * 100, "ж" * NAME_CHARS),
    ("e\u0301", "\u00e9"),  # NFC
    ("<b>Bob</b>", "<b>bob</b>"),
])
def test_names_are_kept_plain(given, kept):
    assert cleanName(given) == kept


@pytest.mark.parametrize("name, shown", [
    ("Anna Petrova", "anna petrova"), ("", "visitor"),
    ("<script>alert(1)</script>", "<script>alert(1)</script>"),
    ("a@b.example/c", "a@b.example/c"), ("O'Neil & Co", "o'neil & co"),
    ("back\\20slash", "back\\20slash"),
])
def test_an_address_is_the_escaped_name_and_ten_random_characters(name, shown):
    address = newAddress(name)
    found = ADDRESS.match(address)
    assert found is not None, address
    assert " " not in address and "<" not in address and "/" not in address.split("@")[0]
    assert isVisitor(address)
    assert showClient(address) == f"{shown} (web chat {found.group(2)})"


def test_addresses_differ_for_the_same_name():
    assert len({newAddress("Anna") for _ in range(50)}) == 50


def test_not_visitors():
    assert not isVisitor("alice@example.net")
    assert not isVisitor("anna.k3j2x9ab1c@web.example")


def test_a_token_names_its_visitor_and_is_url_safe():
    address = newAddress("Anna Petrova")
    token = TOKENS.token(address)
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{24}", token)
    assert TOKENS.address(token) == address
    assert VisitorTokens(deriveKey("component secret")).address(token) == address  # a restart


def test_forged_and_altered_tokens_name_nobody():
    address = newAddress("Anna")
    token = TOKENS.token(address)
    encoded, signature = token.split(".")
    other = TOKENS.token(newAddress("Bob"))
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    for bad in ["", ".", token + "x", encoded + "." + flipped, encoded, "." + signature,
                other.split(".")[0] + "." + signature, encoded[:-1] + "!" + "." + signature,
                encoded[:4] + "=" + encoded[4:] + "." + signature, token * 10,
                VisitorTokens(deriveKey("another secret")).token(address)]:
        assert TOKENS.address(bad) is None, bad


def test_a_signed_address_that_is_no_visitors_is_refused():
    assert TOKENS.address(TOKENS.token("alice@example.net")) is None
