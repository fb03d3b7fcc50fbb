"""
The directory in force (R-RUN-2): one holder every part reads, so a new
directory (re-seeded, or edited through the API) reaches them all at once.
"""
from __future__ import annotations

from imsupport.core.chat import Chat
from imsupport.core.model import Directory, Node


class DirectoryRef:
    def __init__(self, directory: Directory) -> None:
        self.current = directory

    @property
    def nodes(self) -> tuple[Node, ...]:
        return self.current.nodes

    def node(self, name: str) -> Node | None:
        return self.current.node(name)

    def nodeOf(self, chat: Chat) -> Node:
        """The chat's node; for a chat whose node left the directory (it is
        being ended: Closing.endOrphans), one with the default settings."""
        return self.current.node(chat.node) or Node(chat.node)

    def title(self, name: str) -> str:
        node = self.current.node(name)
        return (node.title or node.name) if node else name
