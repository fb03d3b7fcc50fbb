"""
The example command plugin: a quote book of memorable client lines.

In a chat, ``!quote`` keeps the client's last message in the quote book
(``!quote some text`` keeps that text instead); at the service console
``!quote`` shows the latest entries. The book is a plain UTF-8 text file,
one quote per line: ``2026-11-23 14:02 UTC  #17  text``. Enable it with::

    [plugins.quotes]
    path = "/var/lib/imsupport/quotes.txt"

It shows what a command plugin gets: the parsed arguments, the chat it was
typed in (or None at the console), the store, and a reply to the operator.
Plugins like it can call other systems (a CRM lookup, an order status).
"""
from __future__ import annotations

import os
import time
from typing import Any

from twisted.internet.defer import Deferred, succeed
from twisted.plugin import IPlugin
from zope.interface import implementer

from imsupport.core.commands import CHAT, CONSOLE, CommandContext, ICommand
from imsupport.core.model import MESSAGE, ChatEvent

SHOWN = 5


@implementer(IPlugin, ICommand)
class QuoteBook:
    name = "quote"
    usage = "[text]"
    help = {"en": "keep the client's last line (or the text) in the quote book; "
                  "at the console: show the latest quotes",
            "ru": "сохранить последнюю фразу клиента (или текст) в цитатник; "
                  "на адресе сервиса: показать последние цитаты"}
    where = frozenset({CHAT, CONSOLE})
    admin_only = False

    def __init__(self) -> None:
        self.path: str | None = None

    def configure(self, options: dict[str, Any]) -> bool:
        unknown = set(options) - {"path"}
        if unknown:
            raise ValueError(f"unknown key {sorted(unknown)[0]} (the only one is path)")
        path = options.get("path")
        if path is not None and (not isinstance(path, str) or not os.path.isabs(path)):
            raise ValueError("path must be an absolute file name")
        self.path = path
        return path is not None

    def run(self, context: CommandContext) -> Deferred[str] | str:
        if context.chat is None:
            return self._latest()
        if context.rest:
            return succeed(self._keep(context.chat.id, context.rest))
        return context.core.store.chatEvents(context.chat.id).addCallback(
            self._keepLastLine, context.chat.id)

    def _keepLastLine(self, events: list[ChatEvent], chat_id: int) -> str:
        said = [e.text for e in events if e.kind == MESSAGE and e.author == "client"]
        if not said:
            return "The client has not said anything to quote yet."
        return self._keep(chat_id, said[-1])

    def _keep(self, chat_id: int, text: str) -> str:
        assert self.path is not None
        line = " ".join(text.split())
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        with open(self.path, "a", encoding="utf-8") as book:
            book.write(f"{stamp}  #{chat_id}  {line}\n")
        return f"Kept in the quote book: {line}"

    def _latest(self) -> str:
        assert self.path is not None
        try:
            with open(self.path, encoding="utf-8") as book:
                lines = [line.rstrip("\n") for line in book if line.strip()]
        except FileNotFoundError:
            lines = []
        if not lines:
            return "The quote book is empty."
        return "Latest quotes:\n" + "\n".join(lines[-SHOWN:])


quoteBook = QuoteBook()
