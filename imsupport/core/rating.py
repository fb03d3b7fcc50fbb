"""
The post-chat rating (R-CLI-5, SPEC 17): after a chat with an operator
closes, its client is asked once, in the chat's languages, for a number 1-5
and an optional comment in one reply ("5 thanks, fast help"), which any IM
client can send.

The question waits for an answer for ``RATING_WINDOW`` seconds. The client's
next message to that node within the window that reads as a rating is kept
with the closed chat as a ``rating`` event (what stats and the
``chat.rated`` event count); any other message, or one after the window,
ends the wait and is what it always was: the first line of a new chat. A
client is asked once per chat and never reminded. The waits are in memory
only: after a restart nobody is asked again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from twisted.internet.interfaces import IReactorTime

from imsupport.core.chat import Chat
from imsupport.core.journal import Journal
from imsupport.core.model import RATING
from imsupport.core.notices import Notices

RATING_WINDOW = 3600.0  # seconds a question waits for its answer
# Chats that end so are rated: the client was there to the end and talked
# with an operator (not the client who went away, not a switched-off chat).
RATED_REASONS = frozenset({"operator", "client", "idle"})
MAX_COMMENT = 1000  # characters of a comment kept

# "5", "4 thanks", "5/5 great", "3 stars: slow", "5 звёзд", "2, долго ждал"; the
# digit stands alone ("25 items" and "3d printer" are no ratings).
ANSWER = re.compile(
    r"^\s*([1-5])(?!\w)(?![.,]\d)"
    r"(?:\s*/\s*5(?!\w)|\s*(?:stars?|звезд[аы]?|звёзд[аы]?)(?!\w)|\s*★+)?"
    r"[\s,.:;!)\-–—]*(.*)$", re.DOTALL | re.IGNORECASE)


def parseRating(text: str) -> tuple[int, str] | None:
    """(rating, comment) when ``text`` reads as an answer to the question,
    else None."""
    match = ANSWER.match(text)
    if match is None:
        return None
    return int(match.group(1)), match.group(2).strip()[:MAX_COMMENT]


@dataclass(frozen=True)
class _Question:
    chat: Chat
    at: float


class Ratings:
    def __init__(self, clock: IReactorTime, journal: Journal, notices: Notices,
                 enabled: bool = True, window: float = RATING_WINDOW) -> None:
        self.clock = clock
        self.journal = journal
        self.notices = notices
        self.enabled = enabled
        self.window = window
        self._asked: dict[tuple[str, str], _Question] = {}  # (node, client) -> question

    def closed(self, chat: Chat) -> None:
        """A chat ended (Closing.closed): ask its client, when it was a
        conversation the client saw to its end."""
        record = chat.record
        if not self.enabled or record.accepted_at is None \
                or record.close_reason not in RATED_REASONS:
            return
        now = self.clock.seconds()
        self._forgetOld(now)
        self._asked[(chat.node, chat.client)] = _Question(chat, now)
        self.notices.toClient(chat, "rating_question")

    def answer(self, node: str, client: str, text: str) -> bool:
        """The client wrote to ``node`` with no chat open. True when it was
        the rating of their last chat (kept, and thanked for); False when it
        is a new chat's first line. Either way the question is over."""
        question = self._asked.pop((node, client), None)
        if question is None or self.clock.seconds() - question.at > self.window:
            return False
        parsed = parseRating(text)
        if parsed is None:
            return False
        self._keep(question.chat, text, *parsed)
        return True

    def rate(self, node: str, client: str, rating: int, comment: str = "") -> bool:
        """The client's answer given as a number and a comment (the web
        chat's stars) rather than one message: kept as ``answer`` keeps
        one. False when no question waits for it (nothing is kept)."""
        question = self._asked.get((node, client))
        if question is None or self.clock.seconds() - question.at > self.window \
                or not 1 <= rating <= 5:
            return False
        del self._asked[(node, client)]
        comment = comment.strip()[:MAX_COMMENT]
        self._keep(question.chat, f"{rating} {comment}".strip(), rating, comment)
        return True

    def _keep(self, chat: Chat, text: str, rating: int, comment: str) -> None:
        event = self.journal.event(chat, RATING, "client", text, rating=rating,
                                   comment=comment)
        self.journal.write(chat, [event],
                           then=lambda: self.notices.toClient(chat, "rating_thanks",
                                                              rating=rating))

    def _forgetOld(self, now: float) -> None:
        old = [key for key, q in self._asked.items() if now - q.at > self.window]
        for key in old:
            del self._asked[key]
