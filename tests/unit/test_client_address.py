"""How a person reads a client's address: gateway users unescaped (XEP-0106)."""
from __future__ import annotations

import pytest

from imsupport.core.display import clientFromShown, showClient, unescapeLocal


@pytest.mark.parametrize("address, shown", [
    # plain XMPP users are shown as they are
    ("alice@example.net", "alice@example.net"),
    ("gw.example.test", "gw.example.test"),
    ("", ""),
    ("web:3f2a", "web:3f2a"),  # not a JID at all (a web visitor's address)
    # a gateway user: the address on the other network, and the gateway
    (r"alice\40matrix.org@gw.example.test", "alice@matrix.org via gw.example.test"),
    (r"bob\40irc.libera.chat@irc.gw.test", "bob@irc.libera.chat via irc.gw.test"),
    # every sequence XEP-0106 defines
    (r"a\20b@gw", "a b@gw"),
    (r"a\22b@gw", 'a"b@gw'),
    (r"a\26b@gw", "a&b@gw"),
    (r"a\27b@gw", "a'b@gw"),
    (r"a\2fb@gw", "a/b@gw"),
    (r"a\3ab@gw", "a:b@gw"),
    (r"a\3cb@gw", "a<b@gw"),
    (r"a\3eb@gw", "a>b@gw"),
    (r"a\5cb@gw", "a\\b@gw"),
    (r"d\27artagnan\20the\20musketeer\40example.com@gw",
     "d'artagnan the musketeer@example.com via gw"),
    # a backslash that starts no sequence stays; an escaped backslash is not
    # read again as the start of a sequence
    (r"c\3a\net@gw", "c:\\net@gw"),
    (r"c\3a\5c40cool@gw", "c:\\40cool@gw"),
    (r"a\41b@gw", r"a\41b@gw"),  # not one of the ten
    (r"a\4@gw", r"a\4@gw"),
    (r"a\@gw", r"a\@gw"),
    # a resource, should one be there, stays as it is
    (r"alice\40matrix.org@gw.example.test/phone", "alice@matrix.org via gw.example.test/phone"),
])
def test_shown(address, shown):
    assert showClient(address) == shown


@pytest.mark.parametrize("local, unescaped", [
    ("plain", "plain"), (r"\40", "@"), (r"\5c\5c", "\\\\"), (r"\5c20", "\\20"),
    (r"\20\20", "  "), (r"\2F", r"\2F"),  # servers fold JIDs to lower case: \2F is no sequence
])
def test_unescape_local(local, unescaped):
    assert unescapeLocal(local) == unescaped


@pytest.mark.parametrize("typed, address", [
    ("alice@matrix.org via gw.example.test", r"alice\40matrix.org@gw.example.test"),
    ("ALICE@Matrix.org via GW.example.test", r"alice\40matrix.org@gw.example.test"),
    ("alice@example.net", "alice@example.net"),
    (r"alice\40matrix.org@gw.example.test", r"alice\40matrix.org@gw.example.test"),
    ("c:\\net via gw", r"c\3a\net@gw"),
    ("c:\\40cool via gw", r"c\3a\5c40cool@gw"),
    ("a b&c via gw", r"a\20b\26c@gw"),
    ("a b&c@gw", r"a\20b\26c@gw"),
    ("d'artagnan@musketeers.lit", r"d\27artagnan@musketeers.lit"),
    ("gw.example.test", "gw.example.test"),
])
def test_typed_back_to_the_address(typed, address):
    assert clientFromShown(typed) == address


@pytest.mark.parametrize("address", [
    r"alice\40matrix.org@gw.example.test", r"c\3a\5c40cool@gw", r"a\20b\26c@gw",
    "alice@example.net"])
def test_what_is_shown_can_be_typed_back(address):
    assert clientFromShown(showClient(address)) == address


# -- web chat visitors (R-CLI-3): name.id@web.invalid -------------------------------------

@pytest.mark.parametrize("address, shown", [
    (r"anna\20petrova.k3j2x9ab1c@web.invalid", "anna petrova (web chat k3j2x9ab1c)"),
    ("visitor.0000000000@web.invalid", "visitor (web chat 0000000000)"),
    (r"a.b\40c.d.k3j2x9ab1c@web.invalid", "a.b@c.d (web chat k3j2x9ab1c)"),  # dots in names
    (r"\3cscript\3e.k3j2x9ab1c@web.invalid", "<script> (web chat k3j2x9ab1c)"),
    ("анна.k3j2x9ab1c@web.invalid", "анна (web chat k3j2x9ab1c)"),
    # not a visitor: the id is not ten of [a-z0-9], or another domain
    ("anna.k3j2x9ab1@web.invalid", "anna.k3j2x9ab1@web.invalid"),
    ("anna.K3J2X9AB1C@web.invalid", "anna.K3J2X9AB1C@web.invalid"),
    (".k3j2x9ab1c@web.invalid", ".k3j2x9ab1c@web.invalid"),
    (r"anna\20p.k3j2x9ab1c@web.example", "anna p.k3j2x9ab1c@web.example"),
])
def test_web_visitors_are_shown_by_name_and_chat_id(address, shown):
    assert showClient(address) == shown


@pytest.mark.parametrize("address", [
    r"anna\20petrova.k3j2x9ab1c@web.invalid", r"a.b\40c.d.k3j2x9ab1c@web.invalid",
    r"o\27neil\20\26\20co.abcdefghij@web.invalid"])
def test_a_shown_visitor_can_be_typed_back(address):
    assert clientFromShown(showClient(address)) == address


def test_a_visitor_typed_in_another_case_is_the_same_visitor():
    assert clientFromShown("  Anna Petrova (web chat k3j2x9ab1c) ") == \
        r"anna\20petrova.k3j2x9ab1c@web.invalid"
