"""Command plugins through twisted.plugin (R-CMD-10, R-PLUG-1): the shipped
quote book, found, configured and run with the built-ins' parsing and help."""
from __future__ import annotations

import pytest

from imsupport.core.commands import commandPluginNames, loadCommands
from imsupport.core.eligibility import loadChecks
from tests.unit.fakes import ALICE, IVAN, activeChat, makeCore, online


def test_the_quote_book_is_found_and_off_without_a_path():
    assert "quote" in commandPluginNames()
    assert [c.name for c in loadCommands({})] == []


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="plugins.quote: unknown key color"):
        loadCommands({"quote": {"color": "red"}})
    with pytest.raises(ValueError, match="absolute"):
        loadCommands({"quote": {"path": "relative.txt"}})


def test_eligibility_loading_ignores_command_plugin_tables():
    assert loadChecks({}) == []  # onthephone is off without its path
    with pytest.raises(ValueError):
        loadChecks({"quote": {"path": "/x"}})  # the runner filters these out first


def test_quote_in_a_chat_and_at_the_console(tmp_path):
    book = tmp_path / "quotes.txt"
    commands = loadCommands({"quote": {"path": str(book)}})
    core, clock, t, store = makeCore()
    core2 = type(core)(clock=core.clock, store=store, transport=t, directory=core.directory,
                       service=core.service, translator=core.translator, commands=commands)
    online(core2, IVAN)
    core2.clientSaid("sales", ALICE, "My cat ordered this, not me")
    core2.operatorSaid("sales", 1, IVAN, "!accept")
    core2.operatorSaid("sales", 1, IVAN, "!quote")
    assert t.last(IVAN).body == "Kept in the quote book: My cat ordered this, not me"
    assert "#1  My cat ordered this, not me" in book.read_text()
    core2.operatorSaid("sales", 1, IVAN, "!help quote")
    assert "!quote [text] - keep the client's last line" in t.last(IVAN).body
    core2.consoleSaid(IVAN, "!quote")
    assert "Latest quotes:" in t.last(IVAN).body and "My cat" in t.last(IVAN).body
    assert "!quote" not in t.bodies(ALICE)


def test_plugin_commands_are_not_there_unless_enabled():
    core, clock, t, store = activeChat()
    core.operatorSaid("sales", 1, IVAN, "!quote")
    assert "Unknown command !quote" in t.last(IVAN).body
