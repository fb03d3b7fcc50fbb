"""Chats finds a client's open chats by an index of its own: every node,
first first, including nodes the directory no longer has, and nothing of
a chat once it closed (R-CLI-3: the web chat asks on every request)."""
from __future__ import annotations

from twisted.internet.task import Clock

from imsupport.core.chats import Chats
from imsupport.core.directoryref import DirectoryRef
from imsupport.core.model import Directory, Node

ANNA = "anna@shop.example"
BORIS = "boris@shop.example"


def chats() -> Chats:
    directory = Directory(nodes=(Node("sales"), Node("support")), operators=())
    return Chats(DirectoryRef(directory), Clock())


def ids(found):
    return [c.id for c in found]


def test_a_client_s_chats_in_every_node_first_first():
    c = chats()
    first = c.start("support", ANNA, ("en",))
    c.start("sales", BORIS, ("en",))
    second = c.start("sales", ANNA, ("en",))
    assert ids(c.allOfClient(ANNA)) == [first.id, second.id]
    assert ids(c.allOfClient(BORIS)) == [2]
    assert c.allOfClient("nobody@shop.example") == []
    assert c.ofClient("sales", ANNA) is second and c.idOfClient("support", ANNA) == first.id


def test_closing_a_chat_takes_it_out_and_the_next_one_comes_in():
    c = chats()
    first = c.start("sales", ANNA, ("en",))
    c.remove(first)
    assert c.allOfClient(ANNA) == [] and c.ofClient("sales", ANNA) is None
    again = c.start("sales", ANNA, ("en",))
    assert ids(c.allOfClient(ANNA)) == [again.id]
    c.remove(first)  # an old chat closing again leaves the new one alone
    assert ids(c.allOfClient(ANNA)) == [again.id]


def test_a_node_gone_from_the_directory_still_has_its_open_chats():
    c = chats()
    gone = c.start("support", ANNA, ("en",))
    c.directory.current = Directory(nodes=(Node("sales"),), operators=())
    assert ids(c.allOfClient(ANNA)) == [gone.id]
