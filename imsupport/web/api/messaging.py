"""``POST /messages`` (broadcasts) and ``POST /contact`` with
``GET /contact/jobs/{id}`` (reverse contact and bulk notices, R-REV-1):
the core's broadcast, contact and bulk parts, their refusals as statuses."""
from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred

from imsupport.core.broadcast import Broadcast, NoSuchTarget
from imsupport.core.bulk import BulkJob
from imsupport.core.contact import ALREADY_OPEN, BLOCKED, UNKNOWN_NODE, Contacted
from imsupport.web.api.app import Accepted
from imsupport.web.api.errors import badRequest, conflict, notFound, unprocessable
from imsupport.web.api.ports import JSON, CoreRef, parseTime, running


def broadcastJson(sent: Broadcast) -> JSON:
    return {"chats": list(sent.chats), "operators": list(sent.operators)}


def contactedJson(node: str, client: str, result: Contacted) -> JSON:
    """One client's outcome; the refusals are statuses, so a caller can
    tell "already talking" (409) from "no such node" (404) from "the
    filters stopped the text" (422) without reading the body."""
    if result.outcome == UNKNOWN_NODE:
        raise notFound(f"There is no node {node}.")
    if result.outcome == ALREADY_OPEN:
        raise conflict(f"{client} already has an open chat in {node} (chat {result.chat_id}).")
    if result.outcome == BLOCKED:
        raise unprocessable("The text was stopped by the message filters.")
    return {"client": client, "outcome": result.outcome, "chat_id": result.chat_id}


class MessagingRoutes:
    def __init__(self, core: CoreRef) -> None:
        self.core = core

    def sendMessage(self, body: dict[str, Any]) -> JSON:
        broadcasts = running(self.core).broadcasts
        to, text = body["to"], body["text"]
        if len(to) != 1:  # the document says so too; kept for a hand-made document
            raise badRequest("to: must have exactly one of group, chats, client, operator")
        try:
            if "group" in to:
                node, _, group = to["group"].partition("/")
                return broadcastJson(broadcasts.toGroup(node, group, text))
            if "chats" in to:
                target = None if to["chats"] == "all" else to["chats"]
                return broadcastJson(broadcasts.toChats(target, text))
            if "client" in to:
                return broadcastJson(broadcasts.toClient(to["client"].lower(), text))
            return broadcastJson(broadcasts.toOperatorChats(to["operator"].lower(), text))
        except NoSuchTarget as e:
            raise notFound(f"{str(e)[:1].upper()}{str(e)[1:]}.") from None

    def contact(self, body: dict[str, Any]) -> Deferred[JSON] | JSON:
        core = running(self.core)
        node, text, operator = body["node"], body["text"], body.get("operator")
        if core.directory.node(node) is None:
            raise notFound(f"There is no node {node}.")
        if operator is not None:
            operator = operator.lower()
        if "since" in body:
            since = parseTime("since", body["since"])
            assert since is not None
            d: Deferred[BulkJob] = core.bulk.toNodeClientsSince(node, since, text, operator)
            return d.addCallback(lambda job: Accepted(job.report()))
        clients = list(dict.fromkeys(c.lower() for c in body["clients"]))
        if len(clients) > 1:
            return Accepted(core.bulk.toClients(node, clients, text, operator).report())
        client = clients[0]
        one: Deferred[Contacted] = core.contacts.contact(node, client, text, operator)
        return one.addCallback(lambda result: contactedJson(node, client, result))

    def contactJob(self, id: str) -> JSON:
        job = running(self.core).bulk.job(id)
        if job is None:
            raise notFound(f"There is no contact job {id}.")
        return job.report()
