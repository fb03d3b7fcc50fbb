"""
Directory edits (admin): operators, nodes, groups and FAQ entries. A body
is read by the configuration file's own readers (configdirectory.py), as if
it were the TOML table, so the API and the file accept the same things.

An edit is written to the store first, then applied to the running core
(``setDirectory``: operators keep their live state), computed against the
directory in force at that moment. Edits survive a restart only with
``[service] seed_directory = "missing"`` or ``"never"``: with ``"replace"``
the file wins at every start (README, HTTP API).
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

from twisted.internet.defer import Deferred, gatherResults

from imsupport.config import ServiceConfig
from imsupport.configdirectory import readFaq, readNodes, readOperators
from imsupport.configvalues import ConfigError, Table
from imsupport.core.model import Directory, Group, Node
from imsupport.store.interfaces import IStore
from imsupport.web.api.errors import badRequest, conflict, notFound, unprocessable
from imsupport.web.api.ports import JSON, ApiCore, CoreRef, running

Change = Callable[[Directory], Directory]


def readBody(read: Callable[[list[Table]], tuple[Any, ...]], data: dict[str, Any]) -> Any:
    """The one value the config reader makes of ``data``; its complaint,
    naming the field, is the 400."""
    try:
        return read([Table("body", "", data)])[0]
    except ConfigError as e:
        raise badRequest(str(e).removeprefix("body: ")) from None


def asTable(value: Any) -> Any:
    """A model value as the TOML table that would make it: lists, not
    tuples, and no key for a None (absent in TOML)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        return {k: asTable(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [asTable(v) for v in value]
    return value


def withNode(directory: Directory, node: Node) -> Directory:
    others = tuple(n for n in directory.nodes if n.name != node.name)
    if len(others) == len(directory.nodes):
        return dataclasses.replace(directory, nodes=directory.nodes + (node,))
    return dataclasses.replace(directory, nodes=tuple(
        node if n.name == node.name else n for n in directory.nodes))


def groupOf(directory: Directory, path: str) -> tuple[Node, Group]:
    """``n/g`` -> its node and group, or 404."""
    node_name, _, group_name = path.partition("/")
    node = directory.node(node_name)
    group = next((g for g in node.groups if g.name == group_name), None) if node else None
    if node is None or group is None:
        raise notFound(f"There is no group {path}.")
    return node, group


def replaceGroup(node: Node, group: Group) -> Node:
    groups = tuple(group if g.name == group.name else g for g in node.groups)
    if not any(g.name == group.name for g in node.groups):
        groups += (group,)
    return dataclasses.replace(node, groups=groups)


class DirectoryRoutes:
    def __init__(self, store: IStore, core: CoreRef, service: ServiceConfig) -> None:
        self.store = store
        self.core = core
        self.service = service

    def _apply(self, core: ApiCore, written: Deferred[Any], change: Change,
               answer: JSON) -> Deferred[JSON]:
        def applied(_: Any) -> JSON:
            core.setDirectory(change(core.directory))
            return answer
        return written.addCallback(applied)

    # -- operators -------------------------------------------------------------------

    def putOperator(self, jid: str, body: dict[str, Any]) -> Deferred[JSON]:
        core = running(self.core)
        operator = readBody(lambda t: readOperators(t, self.service.default_language,
                                                    self.service.domain),
                            {**body, "jid": jid})

        def change(d: Directory) -> Directory:
            kept = tuple(o for o in d.operators if o.jid != operator.jid)
            return dataclasses.replace(d, operators=kept + (operator,))
        created = core.directory.operator(operator.jid) is None
        return self._apply(core, self.store.putOperator(operator), change,
                           {"operator": dataclasses.asdict(operator), "created": created})

    def deleteOperator(self, jid: str) -> Deferred[JSON]:
        core = running(self.core)
        jid = jid.lower()
        if core.directory.operator(jid) is None:
            raise notFound(f"There is no operator {jid}.")
        groups = [f"{n.name}/{g.name}" for n in core.directory.nodes for g in n.groups
                  if jid in g.operators]
        if groups:
            raise conflict(f"{jid} is in {', '.join(groups)}; move them out first.")

        def change(d: Directory) -> Directory:
            return dataclasses.replace(d, operators=tuple(o for o in d.operators
                                                          if o.jid != jid))
        return self._apply(core, self.store.deleteOperator(jid), change, {"deleted": jid})

    def moveOperator(self, jid: str, body: dict[str, str]) -> Deferred[JSON]:
        """From one group to another (either may be ""): 422 if the operator
        is not in ``from`` or already in ``to``."""
        core = running(self.core)
        jid = jid.lower()
        directory = core.directory
        if directory.operator(jid) is None:
            raise notFound(f"There is no operator {jid}.")
        source, target = body["from"], body["to"]
        if not source and not target:
            raise badRequest("from: give from, to or both")
        nodes: dict[str, Node] = {}
        if source:
            node, group = groupOf(directory, source)
            if jid not in group.operators:
                raise unprocessable(f"{jid} is not in {source}.")
            nodes[node.name] = replaceGroup(node, dataclasses.replace(
                group, operators=tuple(o for o in group.operators if o != jid)))
        if target:
            node, group = groupOf(directory, target)
            node = nodes.get(node.name, node)
            group = next(g for g in node.groups if g.name == group.name)
            if jid in group.operators:
                raise unprocessable(f"{jid} is in {target} already.")
            nodes[node.name] = replaceGroup(node, dataclasses.replace(
                group, operators=group.operators + (jid,)))
        d: Deferred[Any] = gatherResults([self.store.putNode(n) for n in nodes.values()],
                                         consumeErrors=True)

        def change(current: Directory) -> Directory:
            for n in nodes.values():
                current = withNode(current, n)
            return current
        return self._apply(core, d, change, {"operator": jid, "from": source, "to": target})

    # -- nodes and groups ------------------------------------------------------------

    def putNode(self, node: str, body: dict[str, Any]) -> Deferred[JSON]:
        """Without ``groups`` the node keeps the groups it has."""
        core = running(self.core)
        directory = core.directory
        declared = {o.jid for o in directory.operators}
        data = {**body, "name": node}
        old = directory.node(node)
        if "groups" not in body and old is not None:
            data["groups"] = asTable(old.groups)
        made: Node = readBody(lambda t: readNodes(t, self.service.default_language, declared),
                              data)
        return self._apply(core, self.store.putNode(made), lambda d: withNode(d, made),
                           {"node": nodeJson(made), "created": old is None})

    def deleteNode(self, node: str) -> Deferred[JSON]:
        core = running(self.core)
        if core.directory.node(node) is None:
            raise notFound(f"There is no node {node}.")

        def change(d: Directory) -> Directory:
            return dataclasses.replace(d, nodes=tuple(n for n in d.nodes if n.name != node))
        return self._apply(core, self.store.deleteNode(node), change, {"deleted": node})

    def putGroup(self, node: str, group: str, body: dict[str, Any]) -> Deferred[JSON]:
        core = running(self.core)
        old = core.directory.node(node)
        if old is None:
            raise notFound(f"There is no node {node}.")
        data = asTable(old)
        data["groups"] = [g for g in data["groups"] if g["name"] != group] + \
            [{**body, "name": group}]
        declared = {o.jid for o in core.directory.operators}
        made: Node = readBody(lambda t: readNodes(t, self.service.default_language, declared),
                              data)
        return self._apply(core, self.store.putNode(made), lambda d: withNode(d, made),
                           {"node": nodeJson(made)})

    def deleteGroup(self, node: str, group: str) -> Deferred[JSON]:
        core = running(self.core)
        found, _ = groupOf(core.directory, f"{node}/{group}")
        made = dataclasses.replace(found, groups=tuple(g for g in found.groups
                                                       if g.name != group))
        return self._apply(core, self.store.putNode(made), lambda d: withNode(d, made),
                           {"deleted": f"{node}/{group}"})

    # -- FAQ -------------------------------------------------------------------------

    def putFaq(self, id: str, body: dict[str, Any]) -> Deferred[JSON]:
        core = running(self.core)
        entry = readBody(readFaq, {**body, "id": id})

        def change(d: Directory) -> Directory:
            return dataclasses.replace(d, faq=tuple(e for e in d.faq if e.id != id) + (entry,))
        return self._apply(core, self.store.putFaq(entry), change,
                           {"faq": dataclasses.asdict(entry)})

    def deleteFaq(self, id: str) -> Deferred[JSON]:
        core = running(self.core)
        if not any(e.id == id for e in core.directory.faq):
            raise notFound(f"There is no FAQ entry {id}.")

        def change(d: Directory) -> Directory:
            return dataclasses.replace(d, faq=tuple(e for e in d.faq if e.id != id))
        return self._apply(core, self.store.deleteFaq(id), change, {"deleted": id})


def nodeJson(node: Node) -> JSON:
    return dataclasses.asdict(node)
