"""The parts of the core form a graph without cycles (issue 8): each part is
handed its collaborators in its constructor, and no collaborator leads back
to it. Listener lists (journal.listeners, closing.closed) are event
subscriptions made by the front afterwards, not collaborators."""
from __future__ import annotations

import types

from imsupport.core.service import SupportCore
from tests.unit.fakes import makeCore


def collaborators(part: object, parts: dict[int, object]) -> set[int]:
    found = set()
    for value in vars(part).values():
        if isinstance(value, types.MethodType):
            value = value.__self__
        if id(value) in parts and value is not part:
            found.add(id(value))
    return found


def test_the_parts_form_a_graph_without_cycles():
    core, *_ = makeCore()
    assert isinstance(core, SupportCore)
    parts = {id(v): v for v in vars(core).values()
             if type(v).__module__.startswith("imsupport.core.") and hasattr(v, "__dict__")
             and not isinstance(v, SupportCore)}
    names = {id(v): name for name, v in vars(core).items() if id(v) in parts}
    edges = {key: collaborators(part, parts) for key, part in parts.items()}
    assert len(parts) >= 20, sorted(names.values())
    order: list[int] = []
    state: dict[int, str] = {}

    def visit(key: int, path: list[str]) -> None:
        if state.get(key) == "done":
            return
        assert state.get(key) != "visiting", "a cycle: " + " -> ".join(path + [names[key]])
        state[key] = "visiting"
        for other in edges[key]:
            visit(other, path + [names[key]])
        state[key] = "done"
        order.append(key)

    for key in parts:
        visit(key, [])
    assert core not in parts.values() and all(id(core) not in e for e in edges.values()), \
        "no part holds the front"
    first = [names[k] for k in order]
    assert first.index("team") < first.index("offers") < first.index("transfers") \
        < first.index("recovery") < first.index("desk")
