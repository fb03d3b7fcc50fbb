"""
Chat addresses as contacts (R-ADDR-2): while a chat is open, its address is
"available" to each operator in it or invited to it, with a nick (XEP-0172)
and a status text saying which chat it is; when the chat closes or the
operator leaves it, "unavailable". Operators' IM clients then show each chat
window for what it is instead of an offline stranger.

The part compares what each operator should see with what was last sent,
so it can be told about a chat as often as convenient: it sends only changes.
"""
from __future__ import annotations

from typing import Callable, Iterable

from imsupport.core.chat import Chat
from imsupport.core.i18n import Translator
from imsupport.core.invitations import Invitations
from imsupport.core.model import OPEN_STATES
from imsupport.core.ports import Transport


class ChatPresence:
    def __init__(self, transport: Transport, translator: Translator,
                 invitations: Invitations, languages: Callable[[str], tuple[str, ...]],
                 title: Callable[[str], str],
                 showClient: Callable[[str], str] = lambda jid: jid) -> None:
        self.transport = transport
        self.translator = translator
        self.invitations = invitations
        self.languages = languages  # operator -> their languages
        self.title = title  # node name -> what it is called
        self.showClient = showClient  # a client's address as a person reads it
        self.published: dict[int, frozenset[str]] = {}  # chat id -> who sees it available

    def audience(self, chat: Chat) -> frozenset[str]:
        """Who should see the chat address available right now."""
        if chat.record.state not in OPEN_STATES:
            return frozenset()
        return frozenset(chat.record.operators) | frozenset(self.invitations.operatorsOf(chat.id))

    def sync(self, chat: Chat) -> None:
        """Send what changed for ``chat`` since it was last synced."""
        wanted = self.audience(chat)
        before = self.published.get(chat.id, frozenset())
        if wanted == before:
            return
        for operator in sorted(wanted - before):
            self._send(chat, operator, True)
        for operator in sorted(before - wanted):
            self._send(chat, operator, False)
        if wanted:
            self.published[chat.id] = wanted
        else:
            self.published.pop(chat.id, None)

    def republish(self, chats: Iterable[Chat]) -> None:
        """The stream came back: operators' clients may have forgotten."""
        self.published.clear()
        for chat in chats:
            self.sync(chat)

    def withdrawAll(self, chats: Iterable[Chat]) -> None:
        """The service stops: no chat address stays available meanwhile."""
        for chat in chats:
            for operator in sorted(self.published.pop(chat.id, frozenset())):
                self._send(chat, operator, False)
        self.published.clear()

    def answerProbe(self, node: str, chat_id: int, chat: Chat | None, who: str) -> None:
        """A probe of ``node+chat_id``: available only to those the chat is
        open for; everyone else gets the same "unavailable" (no enumeration)."""
        if chat is not None and chat.node == node and who in self.audience(chat):
            self._send(chat, who, True)
        else:
            self.transport.chatPresence(who, node, chat_id, False)

    def _send(self, chat: Chat, operator: str, available: bool) -> None:
        if not available:
            self.transport.chatPresence(operator, chat.node, chat.id, False)
            return
        languages = self.languages(operator)
        client = self.showClient(chat.client)
        nick = self.translator.text("chat_nick", languages, chat=chat.id, client=client)
        status = self.translator.text("chat_status", languages, chat=chat.id, client=client,
                                      title=self.title(chat.node))
        self.transport.chatPresence(operator, chat.node, chat.id, True, nick=nick,
                                    status=status)
