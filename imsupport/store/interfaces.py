"""
The store: the durable log of chats and the home of the directory.

Every method returns a Deferred. Three implementations (memory, SQLite,
PostgreSQL) pass one contract test suite (tests/store/).

Ordering guarantee the core relies on (persist-then-relay, R-CHAT-6): the
Deferreds returned by ``saveChat`` / ``appendEvents`` fire in the order the
calls were made, and only after the data is durable (committed). A store may
batch several calls into one transaction (group commit) to keep up.
"""
from __future__ import annotations

from zope.interface import Attribute, Interface


class StoreError(Exception):
    """The store could not do what was asked (connection lost, bad data...)."""


class StoreUnavailable(StoreError):
    """The store cannot do it *now*: the connection is lost or cannot be made,
    the server is shutting down, the disk is full, an I/O error, the database
    is locked. The same write may well succeed later, so the core holds it and
    tries again (R-RUN-3). Any other StoreError (a constraint violated, data
    the database cannot keep) would fail again and is not retried."""


class IStore(Interface):
    kind = Attribute("'memory', 'sqlite' or 'postgresql'")

    def open():  # type: ignore[misc]
        """Connect and bring the schema up to date. Deferred[None]."""

    def close():  # type: ignore[misc]
        """Flush pending writes and disconnect. Deferred[None]."""

    def probe():  # type: ignore[misc]
        """Write a few bytes and keep nothing new, to learn whether the store
        can write now (a full disk answers reads but not writes).
        Deferred[None]; fails with StoreUnavailable when it cannot."""

    # -- directory (R-RUN-2) -------------------------------------------------

    def loadDirectory():  # type: ignore[misc]
        """Deferred[Directory] with everything stored (empty if nothing)."""

    def replaceDirectory(directory):  # type: ignore[misc]
        """Store ``directory`` in place of the stored one, in one transaction."""

    def putOperator(operator):  # type: ignore[misc]
        """Insert or replace one Operator (keyed by jid)."""

    def deleteOperator(jid):  # type: ignore[misc]
        """Remove an operator. Deferred[bool]: whether it existed."""

    def putNode(node):  # type: ignore[misc]
        """Insert or replace one Node, its groups included (keyed by name)."""

    def deleteNode(name):  # type: ignore[misc]
        """Remove a node. Deferred[bool]: whether it existed."""

    def putFaq(entry):  # type: ignore[misc]
        """Insert or replace one FaqEntry (keyed by id)."""

    def deleteFaq(id):  # type: ignore[misc]
        """Remove a FAQ entry. Deferred[bool]: whether it existed."""

    # -- chats (R-CHAT-6) ----------------------------------------------------

    def maxChatId():  # type: ignore[misc]
        """Deferred[int]: the highest chat id ever stored, 0 if none.

        The core hands out chat ids itself (max + 1, ...) so that it never
        waits for the store to decide an address."""

    def saveChat(chat):  # type: ignore[misc]
        """Insert or replace a ChatRecord (keyed by id). Deferred[None]."""

    def appendEvents(events):  # type: ignore[misc]
        """Append ChatEvents (each carries chat_id and its seq). The chat must
        have been saved before (an earlier or the same batch). A (chat_id, seq)
        that already exists with a different event is an error; one that holds
        this very event is not stored again and is no error: a write retried
        after an ambiguous commit (the server committed, then died before it
        answered) finds its own row. Deferred[None]."""

    def getChat(chat_id):  # type: ignore[misc]
        """Deferred[ChatRecord | None]."""

    def chatEvents(chat_id, after_seq=0):  # type: ignore[misc]
        """Deferred[list[ChatEvent]] with seq > after_seq, in seq order."""

    def openChats():  # type: ignore[misc]
        """Deferred[list[ChatRecord]]: chats whose state is queued or active,
        by id."""

    def findChats(node=None, client=None, operator=None, state=None,
                  since=None, until=None, limit=100):  # type: ignore[misc]
        """Deferred[list[ChatRecord]] matching every given filter, newest first
        (by created_at, then id). ``operator`` matches a chat that operator
        was ever in (as recorded in ``operators`` or any event author)."""

    # -- node subscribers (R-PRES-1) -----------------------------------------

    def addSubscriber(node, jid):  # type: ignore[misc]
        """Remember that ``jid`` (bare) subscribed to a node's presence."""

    def removeSubscriber(node, jid):  # type: ignore[misc]
        """Forget a subscriber. Deferred[None]."""

    def subscribers():  # type: ignore[misc]
        """Deferred[dict[str, set[str]]]: node name -> subscribed bare JIDs."""

    # -- switches (R-NODE-3) -------------------------------------------------

    def setSwitch(target, off, mode="soft"):  # type: ignore[misc]
        """Record a target (a key of imsupport.core.switches) switched off
        (``off`` True, with its mode) or back on. Deferred[None]."""

    def switchedOff():  # type: ignore[misc]
        """Deferred[set[str]]: the targets that are switched off."""
