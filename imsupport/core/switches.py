"""
Switching off and on (R-NODE-3): the whole service, a node, a group in a
node, an operator everywhere or an operator in one node.

A switch is named by a key: ``service``, ``node:sales``,
``group:sales/first``, ``operator:ivan@shop.example`` or
``operator:ivan@shop.example@sales`` (in one node). Only the switched-off
keys are kept; the store persists them so a restart keeps them.
"""
from __future__ import annotations

from dataclasses import dataclass

from imsupport.core.model import NODE_NAME, Directory

SOFT = "soft"  # active chats finish
HARD = "hard"  # active chats are closed with a notice


class TargetError(ValueError):
    """A switch target that does not name anything in the directory."""


@dataclass(frozen=True)
class Target:
    kind: str  # service, node, group, operator
    node: str | None = None
    group: str | None = None
    operator: str | None = None

    @property
    def key(self) -> str:
        if self.kind == "service":
            return "service"
        if self.kind == "node":
            return f"node:{self.node}"
        if self.kind == "group":
            return f"group:{self.node}/{self.group}"
        suffix = f"@{self.node}" if self.node else ""
        return f"operator:{self.operator}{suffix}"

    def describe(self) -> str:
        if self.kind == "service":
            return "the whole service"
        if self.kind == "node":
            return f"node {self.node}"
        if self.kind == "group":
            return f"group {self.node}/{self.group}"
        return f"operator {self.operator}" + (f" in node {self.node}" if self.node else "")


def parseTarget(words: list[str], directory: Directory) -> Target:
    """``service`` | ``node N`` | ``group N/G`` | ``operator JID [node N]``,
    or the short forms ``N``, ``N/G`` and ``JID`` (checked against the
    directory so a typo is an error, not a silent no-op)."""
    if not words:
        raise TargetError("say what to switch: service, a node, node/group or an operator")
    kind, rest = words[0].lower(), words[1:]
    if kind in ("node", "group", "operator") and rest:
        return _target(kind, rest, directory)
    if kind == "service" and not rest:
        return Target("service")
    # short forms
    word = words[0]
    if "@" in word:
        return _target("operator", words, directory)
    if "/" in word:
        return _target("group", words, directory)
    return _target("node", words, directory)


def _target(kind: str, words: list[str], directory: Directory) -> Target:
    if kind == "node" and len(words) == 1:
        if directory.node(words[0]) is None:
            raise TargetError(f"there is no node {words[0]!r}")
        return Target("node", node=words[0])
    if kind == "group" and len(words) == 1 and "/" in words[0]:
        node_name, group_name = words[0].split("/", 1)
        node = directory.node(node_name)
        if node is None or not any(g.name == group_name for g in node.groups):
            raise TargetError(f"there is no group {words[0]!r}")
        return Target("group", node=node_name, group=group_name)
    if kind == "operator" and len(words) in (1, 3):
        jid = words[0].lower()
        if directory.operator(jid) is None:
            raise TargetError(f"there is no operator {jid}")
        if len(words) == 1:
            return Target("operator", operator=jid)
        if words[1].lower() == "node" and NODE_NAME.match(words[2]) \
                and directory.node(words[2]) is not None:
            return Target("operator", operator=jid, node=words[2])
        raise TargetError(f"there is no node {words[2]!r}")
    raise TargetError("targets are: service | node N | group N/G | operator JID [node N]")


class Switches:
    """Which targets are switched off."""

    def __init__(self, off: set[str] | None = None) -> None:
        self.off: set[str] = set(off or ())

    def set(self, target: Target, on: bool) -> bool:
        """Switch; True if that changed anything."""
        before = target.key in self.off
        if on:
            self.off.discard(target.key)
        else:
            self.off.add(target.key)
        return before != (not on)

    def serviceOff(self) -> bool:
        return "service" in self.off

    def nodeOff(self, node: str) -> bool:
        return self.serviceOff() or f"node:{node}" in self.off

    def offGroups(self, node: str) -> frozenset[str]:
        prefix = f"group:{node}/"
        return frozenset(key[len(prefix):] for key in self.off if key.startswith(prefix))

    def operatorOff(self, operator: str) -> bool:
        """Off everywhere (the service, or the operator as a whole)."""
        return self.serviceOff() or f"operator:{operator}" in self.off

    def offOperators(self, node: str) -> frozenset[str]:
        """Operators switched off in this node only."""
        suffix = f"@{node}"
        return frozenset(key[len("operator:"):-len(suffix)] for key in self.off
                         if key.startswith("operator:") and key.endswith(suffix)
                         and key.count("@") == 2)
