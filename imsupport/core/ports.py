"""
What the core needs from the outside world, as interfaces the adapters provide.

The core decides; an adapter (XMPP today, the web chat later) turns these calls
into stanzas or HTTP events. Addresses here are the domain's, not JIDs: a node
name, a chat id, a client's or operator's bare address.
"""
from __future__ import annotations

from typing import Protocol


class Transport(Protocol):
    def toClient(self, node: str, client: str, body: str | None,
                 chatstate: str | None = None, lang: str | None = None,
                 receipt_id: str | None = None) -> None:
        """Send to a client from the node address. ``body`` None = chat state
        only. ``receipt_id`` asks the client for a XEP-0184 receipt under that
        id."""

    def toOperator(self, operator: str, body: str | None, node: str | None = None,
                   chat_id: int | None = None, chatstate: str | None = None,
                   receipt_id: str | None = None) -> None:
        """Send to an operator from a chat address (node and chat_id given),
        or from the service console (the bare domain) when both are None."""

    def receipt(self, node: str, chat_id: int | None, to: str, message_id: str) -> None:
        """Deliver a XEP-0184 receipt for ``message_id`` to ``to``: from the
        node address when chat_id is None (to a client), else from the chat
        address (to an operator)."""

    def nodePresence(self, node: str, show: str | None, status: str,
                     available: bool, to: str | None = None) -> None:
        """Publish a node's presence to one subscriber (``to``) or to all of
        the node's subscribers (``to`` None). ``show`` is None for plain
        available, else away / dnd / xa."""

    def chatPresence(self, operator: str, node: str, chat_id: int, available: bool,
                     nick: str | None = None, status: str | None = None) -> None:
        """Presence of a chat address to one operator (R-ADDR-2): available
        with a nick (XEP-0172) and a status naming the chat while it is open
        for them, unavailable after."""

    def subscribeOperator(self, operator: str, status: str | None = None,
                          lang: str | None = None) -> None:
        """Ask to follow an operator's presence from the domain address (and
        probe it). ``status`` says why, in the language ``lang``; it is what
        the operator's IM client shows of the request."""
