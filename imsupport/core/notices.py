"""
System messages in the person's language (R-CLI-2): stored with their chat
before they are sent (persist-then-relay, R-CHAT-6), or sent at once when
there is no chat to store them with (the console, a closed chat, a client
the node turns away). Commands and plugins speak through this too.
"""
from __future__ import annotations

from typing import Callable, Iterable

from imsupport.core.chat import Chat
from imsupport.core.i18n import Translator
from imsupport.core.journal import Journal, Refused
from imsupport.core.model import NOTICE
from imsupport.core.ports import Transport
from imsupport.core.team import Team


class Notices:
    def __init__(self, translator: Translator, journal: Journal, transport: Transport,
                 team: Team) -> None:
        self.translator = translator
        self.journal = journal
        self.transport = transport
        self.team = team

    def text(self, key: str, languages: Iterable[str], /, **fields: object) -> str:
        return self.translator.text(key, tuple(languages), **fields)

    def toClient(self, chat: Chat, key: str, /, then: Callable[[], None] | None = None,
                 **fields: object) -> None:
        """To the chat's client from the node address, in the chat's languages.
        A queue position is kept with the notice too (the web chat shows it)."""
        languages = chat.record.languages
        text = self.translator.text(key, languages, **fields)
        extra = {"position": fields["position"]} if "position" in fields else {}
        event = self.journal.event(chat, NOTICE, "system", text, to="client", key=key, **extra)

        def send() -> None:
            self.transport.toClient(chat.node, chat.client, text,
                                    lang=self.translator.language(languages))
            if then is not None:
                then()

        self.journal.write(chat, [event], then=send)

    def toOperator(self, chat: Chat, operator: str, key: str, /, **fields: object) -> None:
        """To an operator from the chat's address, in their languages."""
        fields.setdefault("chat", chat.id)
        text = self.translator.text(key, self.team.languages(operator), **fields)
        event = self.journal.event(chat, NOTICE, "system", text, to=operator, key=key)
        self.journal.write(chat, [event], then=lambda: self.transport.toOperator(
            operator, text, node=chat.node, chat_id=chat.id))

    def direct(self, operator: str, key: str, /, node: str | None = None,
               chat_id: int | None = None, **fields: object) -> None:
        """To an operator outside any open chat (the console, a closed chat):
        nothing to store it with."""
        text = self.translator.text(key, self.team.languages(operator), **fields)
        self.transport.toOperator(operator, text, node=node, chat_id=chat_id)

    def directToClient(self, node: str, client: str, key: str, languages: Iterable[str], /,
                       **fields: object) -> None:
        """To a client who has no chat (yet): nothing to store it with."""
        languages = tuple(languages)
        self.transport.toClient(node, client, self.translator.text(key, languages, **fields),
                                lang=self.translator.language(languages))

    def refusal(self, languages: Iterable[str], later: bool) -> Refused:
        """What a person is told when their message was not stored, and so
        not delivered (R-RUN-3): sent as an error to that very message, which
        needs no store."""
        key = "message_not_stored" if later else "message_not_stored_error"
        return Refused(self.translator.text(key, tuple(languages)), later)
