"""
The directory part of the configuration file: ``[[operators]]``, ``[[nodes]]``
with their ``[[nodes.groups]]``, and ``[[faq]]``, read into the core's model
(``imsupport.core.model``), whose dataclass fields hold every default.
"""
from __future__ import annotations

from imsupport.configvalues import (
    OFF_HOURS,
    RINGS,
    Table,
    bareJid,
    boolean,
    choice,
    exception,
    faqId,
    instant,
    languageCode,
    listOf,
    nodeName,
    nonEmpty,
    nonNegative,
    positive,
    schedule,
    show,
    string,
    timezone,
    unique,
)
from imsupport.core.model import FaqEntry, Group, Node, Operator
from imsupport.core.schedule import windowBounds

__all__ = ["readFaq", "readNodes", "readOperators"]


def readOperators(tables: list[Table], language: str, domain: str) -> tuple[Operator, ...]:
    """``language`` is the service's default, every operator's unless it says."""
    operators = []
    for t in tables:
        jid = t.value("jid", bareJid)
        if jid.partition("@")[2] == domain:  # invitations would loop back into the service
            raise t.fail("jid", f"{show(jid)} is an address of this service ({domain}), "
                         "not an operator's account")
        written = t.data["jid"].partition("@")[0]  # "Anna", not "anna", greets clients
        operators.append(Operator(jid=jid, **t.fields(
            Operator, {"name": written, "languages": (language,)},
            name=nonEmpty, languages=listOf(languageCode, True), max_chats=positive,
            schedule=schedule, timezone=timezone, exceptions=listOf(exception))))
        t.finish()
    unique(tables, "jid", [o.jid for o in operators])
    return tuple(operators)


def _group(t: Table, node: str, declared: set[str]) -> Group:
    group = t.build(Group, name=nodeName, operators=listOf(bareJid), wave=positive,
                    auto=boolean, escalate_after=nonNegative, max_declines=positive)
    for i, jid in enumerate(group.operators):
        if jid not in declared:
            raise t.fail("operators", f"names {show(jid)}, which is not declared in "
                         f"[[operators]] (group {show(node + '/' + group.name)})", i)
    return group


def _checkWindow(t: Table, node: Node) -> None:
    """A temporary node that closes before it opens is a typo, not a plan."""
    if node.active_from is None or node.active_until is None:
        return
    start, end = windowBounds(node.active_from, node.active_until, node.timezone)
    if end <= start:
        raise t.fail("active_until", f"({node.active_until}) must be later than "
                     f"active_from ({node.active_from})")


def _node(t: Table, language: str, declared: set[str]) -> Node:
    name = t.value("name", nodeName)
    groupTables = t.tables("groups")
    fields = t.fields(
        Node, {"languages": (language,)},
        title=string, languages=listOf(languageCode, True), invite_timeout=positive,
        ring=choice(*RINGS), schedule=schedule, timezone=timezone,
        exceptions=listOf(exception), off_hours=choice(*OFF_HOURS), active_from=instant,
        active_until=instant, client_grace=positive, idle_timeout=positive)
    node = Node(name=name, groups=tuple(_group(g, name, declared) for g in groupTables),
                **fields)
    t.finish()
    unique(groupTables, "name", [g.name for g in node.groups])
    _checkWindow(t, node)
    return node


def readNodes(tables: list[Table], language: str, declared: set[str]) -> tuple[Node, ...]:
    """``declared``: the operators' JIDs, the only ones a group may name."""
    nodes = tuple(_node(t, language, declared) for t in tables)
    unique(tables, "name", [n.name for n in nodes])
    return nodes


def readFaq(tables: list[Table]) -> tuple[FaqEntry, ...]:
    entries = tuple(t.build(FaqEntry, id=faqId, question=nonEmpty, answer=nonEmpty,
                            tags=listOf(nonEmpty)) for t in tables)
    unique(tables, "id", [e.id for e in entries])
    return entries
