"""
Every open invitation, in one registry (R-CHAT-2, R-CMD-7, R-CMD-8): an offer
of a queued chat, or a transfer (redirect or invite) of an active one.
Indexed by chat and by operator; an operator's load counts their
invitations from here.

``open`` starts the invitation's timeout (one of the chat's named timers);
``take`` ends it because the operator answered (accepted or declined);
``withdraw`` ends it without an answer (timeout, away, escalation, taken by
another, the chat closed). Either way the timer is cancelled and both
indexes forget it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from imsupport.core.chat import Chat

OFFER = "offer"  # a queued chat offered (waves, rounds)
TRANSFER = "transfer"  # an active chat's redirect or invite (chat.transfer says which)


@dataclass(frozen=True)
class Invitation:
    chat: Chat
    operator: str
    kind: str  # OFFER or TRANSFER
    opened_at: float

    @property
    def chat_id(self) -> int:
        return self.chat.id

    @property
    def timer(self) -> str:
        return f"invitation:{self.operator}"


class Invitations:
    def __init__(self) -> None:
        self._byChat: dict[int, dict[str, Invitation]] = {}
        self._byOperator: dict[str, dict[int, Invitation]] = {}

    def open(self, chat: Chat, operator: str, kind: str, now: float, timeout: float,
             expired: Callable[..., Any]) -> Invitation:
        """``expired(chat, operator)`` runs when it is left unanswered for
        ``timeout`` seconds."""
        invitation = Invitation(chat, operator, kind, now)
        self._byChat.setdefault(chat.id, {})[operator] = invitation
        self._byOperator.setdefault(operator, {})[chat.id] = invitation
        chat.timers.set(invitation.timer, timeout, expired, chat, operator)
        return invitation

    def get(self, chat_id: int, operator: str) -> Invitation | None:
        return self._byChat.get(chat_id, {}).get(operator)

    def take(self, chat_id: int, operator: str) -> Invitation | None:
        """The operator answered it."""
        return self._end(chat_id, operator)

    def withdraw(self, chat_id: int, operator: str) -> Invitation | None:
        """It ends unanswered."""
        return self._end(chat_id, operator)

    def withdrawAll(self, chat_id: int) -> list[Invitation]:
        """Every invitation of the chat, ended, in the order they were opened."""
        return [i for i in (self._end(chat_id, op) for op in list(self._byChat.get(chat_id, {})))
                if i is not None]

    def _end(self, chat_id: int, operator: str) -> Invitation | None:
        invitation = self._byChat.get(chat_id, {}).pop(operator, None)
        if invitation is None:
            return None
        if not self._byChat[chat_id]:
            del self._byChat[chat_id]
        mine = self._byOperator.get(operator, {})
        mine.pop(chat_id, None)
        if not mine:
            self._byOperator.pop(operator, None)
        invitation.chat.timers.cancel(invitation.timer)
        return invitation

    # -- questions -------------------------------------------------------------------

    def ofChat(self, chat_id: int, kind: str | None = None) -> list[Invitation]:
        return [i for i in self._byChat.get(chat_id, {}).values()
                if kind is None or i.kind == kind]

    def operatorsOf(self, chat_id: int) -> list[str]:
        return list(self._byChat.get(chat_id, {}))

    def ofOperator(self, operator: str) -> list[Invitation]:
        """The operator's invitations, by chat id."""
        mine = self._byOperator.get(operator, {})
        return [mine[chat_id] for chat_id in sorted(mine)]

    def count(self, operator: str) -> int:
        return len(self._byOperator.get(operator, {}))

    def has(self, chat_id: int, operator: str) -> bool:
        return operator in self._byChat.get(chat_id, {})

    def any(self, chat_id: int, kind: str | None = None) -> bool:
        return bool(self.ofChat(chat_id, kind))
