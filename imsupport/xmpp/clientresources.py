"""
Which of a client's resources (devices) are online to a node (R-CHAT-4): a
client is gone for a node's chat only when the last of them goes, not when
one of two devices logs off. State of the XMPP adapter; learnt again after
a lost stream from the presence the server sends once it is back.
"""
from __future__ import annotations

MAX_RESOURCES = 20  # kept per client and node; more sessions than this count as this many


class ClientResources:
    def __init__(self) -> None:
        self._online: dict[tuple[str, str], set[str]] = {}

    def available(self, node: str, client: str, resource: str) -> None:
        resources = self._online.setdefault((node, client), set())
        if len(resources) < MAX_RESOURCES:
            resources.add(resource)

    def unavailable(self, node: str, client: str, resource: str) -> bool:
        """The resource went offline; True when none of the client's is
        left (an unavailable from the bare address, or from one not seen
        available while none is known, counts as all of them)."""
        resources = self._online.get((node, client))
        if resources is not None and resource:
            resources.discard(resource)
            if resources:
                return False
        self._online.pop((node, client), None)
        return True

    def clear(self) -> None:
        self._online.clear()
