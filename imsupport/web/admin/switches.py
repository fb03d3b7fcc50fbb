"""
``/admin/switches`` (R-NODE-3): the service, each node, group and
operator, on or off; admins switch them off (soft: open chats finish;
hard: they are closed with a notice) and on. A switch is the API's
``POST /switch`` called in-process, so it is the console's ``!off`` /
``!on`` through core/switching.py.
"""
from __future__ import annotations

from typing import Any, Mapping

from klein import Field
from twisted.internet.defer import Deferred
from twisted.web.iweb import IRequest
from twisted.web.template import Tag, tags

from imsupport.core.model import Directory
from imsupport.core.switches import HARD, SOFT, Switches, Target
from imsupport.web.admin.layout import button, document, field, postForm, table
from imsupport.web.admin.sessions import Viewer
from imsupport.web.api.app import ApiSide
from imsupport.web.api.errors import badRequest

SWITCH_FIELDS = {name: Field.text(required=False)
                 for name in ("kind", "node", "group", "operator", "mode", "action")}


def targets(directory: Directory) -> list[Target]:
    found = [Target("service")]
    for node in directory.nodes:
        found.append(Target("node", node=node.name))
        found += [Target("group", node=node.name, group=g.name) for g in node.groups]
    found += [Target("operator", operator=o.jid) for o in directory.operators]
    return found


def isOff(switches: Switches, target: Target) -> bool:
    return target.key in switches.off


def targetJson(form: Mapping[str, str | None]) -> dict[str, Any]:
    """The form's target as ``POST /switch`` has it."""
    kind = form.get("kind") or ""
    node, group, operator = form.get("node"), form.get("group"), form.get("operator")
    if kind == "service":
        return {"service": True}
    if kind == "node" and node:
        return {"node": node}
    if kind == "group" and node and group:
        return {"group": f"{node}/{group}"}
    if kind == "operator" and operator:
        return {"operator": operator, **({"node": node} if node else {})}
    raise badRequest("target: say what to switch (service, a node, a group or an operator)")


def switch(api: ApiSide, form: Mapping[str, str | None]) -> Deferred[str]:
    on = form.get("action") == "on"
    mode = form.get("mode") or SOFT
    d: Deferred[Any] = api.invoke("switch", body={"target": targetJson(form), "on": on,
                                                  "mode": mode})

    def said(answer: dict[str, Any]) -> str:
        state = "on" if on else f"off ({mode})"
        if not answer["changed"]:
            return f"{answer['target']} was {'on' if on else 'off'} already."
        return f"{answer['target']} switched {state}."
    return d.addCallback(said)


class SwitchesPage:
    def __init__(self, request: IRequest, viewer: Viewer, directory: Directory,
                 switches: Switches) -> None:
        self.request = request
        self.viewer = viewer
        self.directory = directory
        self.switches = switches

    def render(self, status: int = 200, note: str = "", error: str = "") -> bytes:
        rows = [(t.describe(), tags.strong("off") if isOff(self.switches, t) else "on",
                 self._actions(t)) for t in targets(self.directory)]
        extra = sorted(k for k in self.switches.off if k.startswith("operator:")
                       and k.count("@") == 2)
        body: list[Any] = [
            tags.p("Off: no new chats are offered there. A node or the whole service off "
                   "also turns new clients away. Soft lets open chats finish; hard closes "
                   "them with a notice to both sides."),
            table(("Target", "Now", "" if not self.viewer.admin else "Switch"), rows)]
        if extra:
            body.append(tags.p("Operators off in one node: ", ", ".join(
                k.removeprefix("operator:") for k in extra)))
        if self.viewer.admin:
            body.append(self._inNode())
        return document(self.request, "Switches", body, self.viewer, status=status,
                        here="/switches", note=note, error=error)

    def _hidden(self, target: Target) -> list[Tag]:
        fields = {"kind": target.kind, "node": target.node, "group": target.group,
                  "operator": target.operator}
        return [tags.input(type="hidden", name=k, value=v) for k, v in fields.items()
                if v is not None]

    def _actions(self, target: Target) -> Any:
        if not self.viewer.admin:
            return ""
        if isOff(self.switches, target):
            return postForm(self.request, "/switches", *self._hidden(target),
                            button("Switch on", value="on"), class_="inline")
        mode = tags.select(name="mode", **{"aria-label": "how"})(
            tags.option("soft", value=SOFT), tags.option("hard", value=HARD))
        return postForm(self.request, "/switches", *self._hidden(target), mode,
                        button("Switch off", value="off"), class_="inline")

    def _inNode(self) -> Tag:
        operators = [tags.option(o.name, " ", o.jid, value=o.jid)
                     for o in self.directory.operators]
        nodes = [tags.option(n.name, value=n.name) for n in self.directory.nodes]
        made: Tag = tags.section(tags.h2("An operator in one node"), postForm(
            self.request, "/switches", tags.input(type="hidden", name="kind", value="operator"),
            field("Operator", tags.select(name="operator")(*operators)),
            field("Node", tags.select(name="node")(*nodes)),
            field("How", tags.select(name="mode")(tags.option("soft", value=SOFT),
                                                  tags.option("hard", value=HARD))),
            tags.div(class_="buttons")(button("Switch off", value="off"),
                                       button("Switch on", value="on")), class_="filters"))
        return made
