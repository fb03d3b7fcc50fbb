"""
The per-sender rate limits at the door (R-SEC-3): whether a message may go
on, and the polite notice the first refusal of a burst brings its sender
(stored with their chat when they have one). The buckets are in
``ratelimit.RateLimiter``.
"""
from __future__ import annotations

from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from imsupport.core.chat import Chat
from imsupport.core.chats import Chats
from imsupport.core.notices import Notices
from imsupport.core.ratelimit import RateLimiter, RateRefusal, Verdict
from imsupport.core.team import Team

log = Logger()


class RateGate:
    def __init__(self, *, limiter: RateLimiter, clock: IReactorTime, chats: Chats,
                 notices: Notices, team: Team) -> None:
        self.limiter = limiter
        self.clock = clock
        self.chats = chats
        self.notices = notices
        self.team = team

    def admit(self, who: str, size: int, node: str | None = None,
              chat_id: int | None = None) -> RateRefusal | None:
        """Whether a message of ``size`` body bytes from ``who`` (to ``node``,
        or to chat ``chat_id``, or to the console) may go on: None, or why
        not, in the sender's language. Nothing refused is stored or relayed."""
        verdict = self.limiter.admit(who, size, self.clock.seconds())
        if verdict is Verdict.ADMITTED:
            return None
        chat = self.chats.get(chat_id) if chat_id is not None else \
            self.chats.ofClient(node, who)
        if verdict is Verdict.REFUSED_FIRST:
            log.info("Rate limit reached by {who}; refusing their messages for now", who=who)
            self._notice(who, node, chat_id, chat)
        if chat_id is None and node is not None:
            languages = chat.record.languages if chat else \
                self.chats.languagesFor(node, None, who)
        else:
            languages = self.team.languages(who)
        return RateRefusal(self.notices.text("rate_refused", languages),
                           answer=verdict is not Verdict.REFUSED_QUIETLY)

    def refusing(self, who: str) -> bool:
        """Whether ``who`` is over their rate limit right now."""
        return self.limiter.refusing(who)

    def _notice(self, who: str, node: str | None, chat_id: int | None,
                chat: Chat | None) -> None:
        if chat_id is None and node is not None:
            if chat is not None:
                self.notices.toClient(chat, "rate_limited")
            else:
                self.notices.directToClient(node, who, "rate_limited",
                                            self.chats.languagesFor(node, None, who))
        elif chat is not None and who in chat.record.operators:
            self.notices.toOperator(chat, who, "rate_limited")
        else:
            self.notices.direct(who, "rate_limited", node=node, chat_id=chat_id)
