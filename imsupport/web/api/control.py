"""``POST /switch`` (R-NODE-3): what the console's !off / !on do, through
the core's switching part; a target the directory lacks is a 404."""
from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred

from imsupport.core.switches import TargetError, parseTarget
from imsupport.web.api.errors import notFound
from imsupport.web.api.ports import JSON, CoreRef, running


def targetWords(target: dict[str, Any]) -> list[str]:
    """The JSON target as the console's words (the document allows only
    these four forms)."""
    if "service" in target:
        return ["service"]
    if "group" in target:
        return ["group", target["group"]]
    if "operator" in target:
        node = ["node", target["node"]] if "node" in target else []
        return ["operator", target["operator"], *node]
    return ["node", target["node"]]


class ControlRoutes:
    def __init__(self, core: CoreRef) -> None:
        self.core = core

    def switch(self, body: dict[str, Any]) -> Deferred[JSON]:
        core = running(self.core)
        try:
            target = parseTarget(targetWords(body["target"]), core.directory)
        except TargetError as e:
            raise notFound(str(e)) from None
        d: Deferred[bool] = core.switching.switch(target, body["on"], body.get("mode", "soft"),
                                                  by="api")
        return d.addCallback(lambda changed: {"changed": bool(changed),
                                              "target": target.key})
