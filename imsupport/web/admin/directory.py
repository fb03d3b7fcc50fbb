"""
``/admin/directory``: nodes and their groups, operators, FAQ entries and
webhooks as the running service has them, and for admins an edit form
for each and one for a new one (edits.py carries them out through the
API). A form that was refused comes back as it was filled in, open, with
the refusal above.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Sequence

from twisted.web.iweb import IRequest
from twisted.web.template import Tag, tags

from imsupport.core.model import Directory
from imsupport.web.admin.edits import FAQ, GROUP, NODE, OPERATOR, WEBHOOK, Input
from imsupport.web.admin.layout import button, document, field, postForm, table
from imsupport.web.admin.sessions import Viewer
from imsupport.web.api.ports import JSON

Form = Mapping[str, "str | None"]
SCRIPT = "admin/directory.js"  # asks before a delete


def text(given: Input, current: Any) -> str:
    """A model value as its control shows it."""
    if current is None:
        return ""
    if given.kind in ("words",):
        return " ".join(current)
    if given.kind == "list":
        return ", ".join(current)
    if given.kind == "lines":
        return "\n".join(current)
    return str(current)


def control(given: Input, shown: str, checked: bool) -> Tag:
    name = given.name
    if given.kind in ("area", "lines"):
        made: Tag = tags.textarea(shown, name=name, rows="3")
    elif given.kind == "bool":
        made = tags.input(type="checkbox", name=name, value="on",
                          **({"checked": "checked"} if checked else {}))
    elif given.kind == "choice":
        made = tags.select(name=name)(*[
            tags.option(c, value=c, **({"selected": "selected"} if c == shown else {}))
            for c in given.choices])
    elif given.kind == "secret":
        made = tags.input(type="password", name=name, value="", autocomplete="new-password")
    else:
        made = tags.input(type="number" if given.kind == "int" else "text", name=name,
                          value=shown)
    return made


class DirectoryPage:
    def __init__(self, request: IRequest, viewer: Viewer, directory: Directory,
                 webhooks: list[JSON], refused: tuple[str, Form] | None = None,
                 from_file: bool = False) -> None:
        """``refused``: (kind, form) of the form that was just refused;
        ``from_file``: the file's directory replaces the store's at every
        start (``seed_directory = "replace"``), so edits here last until then."""
        self.from_file = from_file
        self.request = request
        self.viewer = viewer
        self.directory = directory
        self.webhooks = webhooks
        self.refused = refused

    def render(self, status: int = 200, note: str = "", error: str = "") -> bytes:
        d = self.directory
        names = {o.jid: o.name for o in d.operators}
        body: list[Any] = [tags.nav(class_="toc")(tags.ul(*[
            tags.li(tags.a(label, href=f"#{anchor}")) for anchor, label in (
                ("nodes", "Nodes"), ("operators", "Operators"), ("faq", "FAQ"),
                ("webhooks", "Webhooks"))]))]
        if self.from_file and self.viewer.admin:
            body.append(tags.p(class_="warning", role="note")(
                "This service takes its directory and webhooks from its configuration "
                "file at every start ([service] seed_directory = \"replace\"): changes "
                "made here last until the next restart. Make them in the file too, or "
                "set seed_directory = \"missing\" to keep the ones made here."))
        nodes: list[Any] = [tags.h2("Nodes", id="nodes")]
        for node in d.nodes:
            groups = [(g.name, str(g.wave), "yes" if g.auto else "no (by redirect)",
                       ", ".join(names.get(j, j) for j in g.operators) or "-")
                      for g in node.groups]
            nodes.append(tags.section(class_="entry")(
                tags.h3(node.title or node.name, " ", tags.small(f"({node.name})")),
                tags.p(f"Languages {', '.join(node.languages)}; {node.ring} ring; "
                       f"hours {node.schedule or 'always'} ({node.timezone})."),
                table(("Group", "Wave", "Automatic", "Operators"), groups, "No groups."),
                *self._edits("node", {"node": node.name}, _values(node, "groups"), NODE,
                             f"Edit node {node.name}"),
                *[f for g in node.groups for f in self._edits(
                    "group", {"node": node.name, "group": g.name}, _values(g), GROUP,
                    f"Edit group {g.name}")],
                *self._adding("group", {"node": node.name, "group": None}, GROUP,
                              "Add a group")))
        nodes += self._adding("node", {"node": None}, NODE, "Add a node")
        operators = [(o.name, o.jid, ", ".join(o.languages), str(o.max_chats),
                      o.schedule or "always") for o in d.operators]
        body += [tags.section(*nodes), tags.section(
            tags.h2("Operators", id="operators"),
            table(("Name", "Address", "Languages", "Chats at once", "Shifts"), operators,
                  "No operators."),
            *[f for o in d.operators for f in self._edits(
                "operator", {"jid": o.jid}, _values(o), OPERATOR, f"Edit {o.jid}")],
            *self._adding("operator", {"jid": None}, OPERATOR, "Add an operator"))]
        body.append(tags.section(
            tags.h2("FAQ", id="faq"),
            table(("Id", "Question", "Answer", "Tags"),
                  [(e.id, e.question, e.answer, ", ".join(e.tags)) for e in d.faq],
                  "No entries."),
            *[f for e in d.faq for f in self._edits("faq", {"id": e.id}, _values(e), FAQ,
                                                     f"Edit {e.id}")],
            *self._adding("faq", {"id": None}, FAQ, "Add an entry")))
        body.append(tags.section(
            tags.h2("Webhooks", id="webhooks"),
            table(("Id", "URL", "Events"),
                  [(h["id"], h["url"], ", ".join(h["events"])) for h in self.webhooks],
                  "No webhooks."),
            *[f for h in self.webhooks for f in self._edits(
                "webhook", {"id": h["id"]}, h, WEBHOOK, f"Edit {h['id']}")],
            *self._adding("webhook", {"id": None}, WEBHOOK, "Add a webhook")))
        return document(self.request, "Directory", body, self.viewer, status=status,
                        here="/directory", note=note, error=error,
                        scripts=[SCRIPT] if self.viewer.admin else [])

    def _refusedHere(self, kind: str, keys: Mapping[str, str | None]) -> Form | None:
        if self.refused is None or self.refused[0] != kind:
            return None
        form = self.refused[1]
        fixed = {k: v for k, v in keys.items() if v is not None}
        if all(form.get(k) == v for k, v in fixed.items()) and \
                (len(fixed) == len(keys)) == (form.get("new") is None):
            return form
        return None

    def _edits(self, kind: str, keys: Mapping[str, str], values: Mapping[str, Any],
               inputs: Sequence[Input], summary: str = "Edit") -> list[Tag]:
        if not self.viewer.admin:
            return []
        again = self._refusedHere(kind, keys)
        shown = [tags.input(type="hidden", name=k, value=v) for k, v in keys.items()]
        controls = self._controls(inputs, values, again)
        form = postForm(self.request, f"/directory/{kind}", *shown, *controls,
                        tags.div(class_="buttons")(button("Save"),
                                                   button("Delete", class_="danger")))
        return [tags.details(class_="edit", **({"open": "open"} if again else {}))(
            tags.summary(summary), form)]

    def _adding(self, kind: str, keys: Mapping[str, str | None], inputs: Sequence[Input],
                summary: str) -> list[Tag]:
        if not self.viewer.admin:
            return []
        again = self._refusedHere(kind, keys)
        labels = {"jid": "Address", "node": "Node name", "group": "Group name", "id": "Id"}
        named = [tags.input(type="hidden", name=k, value=v) if v is not None else
                 field(labels[k], tags.input(name=k, value=(again or {}).get(k) or "",
                                             required="required"))
                 for k, v in keys.items()]
        form = postForm(self.request, f"/directory/{kind}", *named,
                        tags.input(type="hidden", name="new", value="1"),
                        *self._controls(inputs, {}, again),
                        tags.div(class_="buttons")(button("Save")))
        return [tags.details(class_="edit add", **({"open": "open"} if again else {}))(
            tags.summary(summary), form)]

    def _controls(self, inputs: Sequence[Input], values: Mapping[str, Any],
                  again: Form | None) -> list[Tag]:
        out = []
        for given in inputs:
            if again is not None:
                shown = again.get(given.name) or ""
                checked = again.get(given.name) is not None
            else:
                shown = text(given, values.get(given.name))
                checked = bool(values.get(given.name, given.kind == "bool"))
            out.append(field(given.label, control(given, shown, checked), given.hint))
        return out


def _values(entry: Any, *leave: str) -> dict[str, Any]:
    values = dataclasses.asdict(entry)
    for name in leave:
        values.pop(name, None)
    return values
