"""``/state``: the live state (R-STAT-4), from the core's read-only queries."""
from __future__ import annotations

from imsupport.core.queries import ChatView, NodeView, OperatorCounts, OperatorView
from imsupport.web.api.errors import notFound
from imsupport.web.api.ports import JSON, CoreRef, isoTime, running


def countsJson(counts: OperatorCounts) -> JSON:
    return {"free": counts.free, "busy": counts.busy, "afk": counts.afk,
            "offline": counts.offline, "online": counts.online, "total": counts.total,
            "in_chats": counts.in_chats}


def liveChatJson(chat: ChatView) -> JSON:
    """``waited_s``: in the queue so far (or until accepted); ``talking_s``:
    since an operator joined."""
    return {"id": chat.id, "node": chat.node, "client": chat.client, "state": chat.state,
            "operators": list(chat.operators), "invited": list(chat.invited),
            "languages": list(chat.languages), "created_at": isoTime(chat.created_at),
            "accepted_at": isoTime(chat.accepted_at), "first_line": chat.first_line,
            "waited_s": round(chat.waited, 3), "talking_s": round(chat.talking, 3)}


def nodeJson(node: NodeView) -> JSON:
    return {"name": node.name, "title": node.title, "mode": node.mode,
            "presence": node.presence, "operators": countsJson(node.operators),
            "queued": [liveChatJson(c) for c in node.queued],
            "active": [liveChatJson(c) for c in node.active]}


class StateRoutes:
    def __init__(self, core: CoreRef) -> None:
        self.core = core

    def getState(self) -> JSON:
        view = running(self.core).queries.service()
        return {"at": isoTime(view.at), "queued": view.queued, "active": view.active,
                "operators": countsJson(view.operators),
                "nodes": [nodeJson(n) for n in view.nodes]}

    def getNodeState(self, node: str) -> JSON:
        view = running(self.core).queries.node(node)
        if view is None:
            raise notFound(f"There is no node {node}.")
        return nodeJson(view)

    def getOperatorState(self, jid: str) -> JSON:
        queries = running(self.core).queries
        view: OperatorView | None = queries.operator(jid.lower())
        if view is None:
            raise notFound(f"There is no operator {jid}.")
        chats = [c for c in (queries.chat(i) for i in view.chats) if c is not None]
        return {"jid": view.jid, "name": view.name, "state": view.state,
                "resources": list(view.resources), "chats": [liveChatJson(c) for c in chats],
                "invitations": list(view.invitations), "max_chats": view.max_chats,
                "nodes": list(view.nodes), "idle_since": isoTime(view.idle_since)}

    def getClientState(self, jid: str) -> JSON:
        chats = running(self.core).queries.clientChats(jid)
        return {"jid": jid, "chats": [liveChatJson(c) for c in chats]}
