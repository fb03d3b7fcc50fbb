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
        node = self.current.node(chat.node)
        assert node is not None, f"chat {chat.id} in unknown node {chat.node}"
        return node

    def title(self, name: str) -> str:
        node = self.current.node(name)
        return (node.title or node.name) if node else name
