"""
The directory's edit forms (operators, nodes, groups, FAQ, webhooks): what
each form has, and its values as the body of the API operation that makes
the change, called in-process (``ApiSide.invoke``). So a form is checked
exactly as an API request and then the configuration file's readers
(web/api/directory.py, web/api/webhooks.py), and a change takes the API's
way into the store and the running core. Nothing here decides what is
valid: a value that is not is passed on as written, for the readers to
name it ("max_chats must be a positive integer, got "two"").
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Generator, Mapping

from klein import Field
from twisted.internet.defer import Deferred, inlineCallbacks

from imsupport.core.events import Webhook
from imsupport.store.interfaces import IStore
from imsupport.web.api.app import ApiSide
from imsupport.web.api.errors import badRequest


@dataclass(frozen=True)
class Input:
    name: str
    label: str
    kind: str = "text"  # text, area, int, words, list, lines, bool, choice, secret
    choices: tuple[str, ...] = ()
    hint: str = ""


SCHEDULE_HINT = "e.g. Mon-Fri 09:00-18:00; Sat 10:00-14:00 (empty: always)"
OPERATOR = (
    Input("name", "Display name"),
    Input("languages", "Languages", "words", hint="best first, e.g. ru en"),
    Input("max_chats", "Chats at once", "int"),
    Input("schedule", "Shifts", hint=SCHEDULE_HINT),
    Input("timezone", "Time zone", hint="e.g. Europe/Moscow"),
    Input("exceptions", "Exceptions", "lines", hint="one a line: 2027-01-01 closed"))
NODE = (
    Input("title", "Title"),
    Input("languages", "Languages", "words", hint="the first is the node's default"),
    Input("ring", "Ring", "choice", ("sequential", "parallel")),
    Input("invite_timeout", "Invitation timeout (s)", "int"),
    Input("schedule", "Opening hours", hint=SCHEDULE_HINT),
    Input("timezone", "Time zone"),
    Input("exceptions", "Exceptions", "lines", hint="one a line: 2027-01-01 closed"),
    Input("off_hours", "When closed", "choice", ("autoreply", "offline")),
    Input("active_from", "Active from", hint="ISO date-time; empty: always"),
    Input("active_until", "Active until", hint="ISO date-time; empty: always"),
    Input("client_grace", "Client grace (s)", "int"),
    Input("idle_timeout", "Idle timeout (s)", "int"))
GROUP = (
    Input("operators", "Operators", "words", hint="their addresses"),
    Input("wave", "Wave", "int"),
    Input("auto", "Offered chats automatically", "bool"),
    Input("escalate_after", "Next wave after (s)", "int"),
    Input("max_declines", "Declines before the next wave", "int"))
FAQ = (
    Input("question", "Question"),
    Input("answer", "Answer", "area"),
    Input("tags", "Tags", "list", hint="separated by commas"))
WEBHOOK = (
    Input("url", "URL", hint="https://..."),
    Input("secret", "Secret", "secret",
          hint="whsec_ and base64; empty keeps the current one (never shown)"),
    Input("events", "Events", "words", hint='e.g. chat.* file.stored (empty: "*")'))


def formFields(*names: str) -> dict[str, Field]:
    """Klein form fields (all optional: what is missing is the readers'
    to name) for ``names``, the form's ``action`` button and ``new`` (set
    by the form for a new entry)."""
    return {name: Field.text(required=False) for name in (*names, "action", "new")}


KEYS = {"operator": ("jid",), "node": ("node",), "group": ("node", "group"),
        "faq": ("id",), "webhook": ("id",)}
INPUTS = {"operator": OPERATOR, "node": NODE, "group": GROUP, "faq": FAQ, "webhook": WEBHOOK}
FIELDS = {kind: formFields(*KEYS[kind], *[i.name for i in INPUTS[kind]]) for kind in KEYS}
_WORDS = re.compile(r"[\s,]+")


def value(given: Input, text: str | None) -> tuple[bool, Any]:
    """(present, value) of one control as a JSON body's field."""
    if given.kind == "bool":
        return True, text is not None
    if text is None or (given.kind != "area" and not text.strip()):
        return False, None
    if given.kind == "int":
        number = text.strip()
        return True, int(number) if re.fullmatch(r"-?[0-9]{1,15}", number) else number
    if given.kind == "words":
        return True, [w for w in _WORDS.split(text) if w]
    if given.kind == "list":
        return True, [w.strip() for w in re.split(r"[,\n]", text) if w.strip()]
    if given.kind == "lines":
        return True, [w.strip() for w in text.splitlines() if w.strip()]
    return True, text if given.kind == "area" else text.strip()


def body(inputs: tuple[Input, ...], form: Mapping[str, str | None]) -> dict[str, Any]:
    out = {}
    for given in inputs:
        present, made = value(given, form.get(given.name))
        if present:
            out[given.name] = made
    return out


def key(form: Mapping[str, str | None], name: str) -> str:
    text = (form.get(name) or "").strip()
    if not text:
        raise badRequest(f"{name}: is required")
    return text


class Edits:
    def __init__(self, api: ApiSide, store: IStore) -> None:
        self.api = api
        self.store = store

    def apply(self, kind: str, form: Mapping[str, str | None]) -> Deferred[str]:
        """Save or delete (``action``) one entry; Deferred[what was done,
        in words], or the API's refusal."""
        deleting = (form.get("action") or "save") == "delete"
        run: Callable[[Mapping[str, str | None], bool], Deferred[str]] = getattr(
            self, f"_{kind}")
        return run(form, deleting)

    def _operator(self, form: Mapping[str, str | None], deleting: bool) -> Deferred[str]:
        jid = key(form, "jid")
        if deleting:
            return self._done(self.api.invoke("deleteOperator", {"jid": jid}),
                              f"Operator {jid} deleted.")
        return self._done(self.api.invoke("putOperator", {"jid": jid},
                                          body=body(OPERATOR, form)), f"Operator {jid} saved.")

    def _node(self, form: Mapping[str, str | None], deleting: bool) -> Deferred[str]:
        node = key(form, "node")
        if deleting:
            return self._done(self.api.invoke("deleteNode", {"node": node}),
                              f"Node {node} deleted.")
        return self._done(self.api.invoke("putNode", {"node": node}, body=body(NODE, form)),
                          f"Node {node} saved.")

    def _group(self, form: Mapping[str, str | None], deleting: bool) -> Deferred[str]:
        path = {"node": key(form, "node"), "group": key(form, "group")}
        name = f"{path['node']}/{path['group']}"
        if deleting:
            return self._done(self.api.invoke("deleteGroup", path), f"Group {name} deleted.")
        return self._done(self.api.invoke("putGroup", path, body=body(GROUP, form)),
                          f"Group {name} saved.")

    def _faq(self, form: Mapping[str, str | None], deleting: bool) -> Deferred[str]:
        entry = key(form, "id")
        if deleting:
            return self._done(self.api.invoke("deleteFaq", {"id": entry}),
                              f"FAQ entry {entry} deleted.")
        return self._done(self.api.invoke("putFaq", {"id": entry}, body=body(FAQ, form)),
                          f"FAQ entry {entry} saved.")

    def _webhook(self, form: Mapping[str, str | None], deleting: bool) -> Deferred[str]:
        hook = key(form, "id")
        if deleting:
            return self._done(self.api.invoke("deleteWebhook", {"id": hook}),
                              f"Webhook {hook} deleted.")
        return self._done(self._putWebhook(hook, body(WEBHOOK, form)), f"Webhook {hook} saved.")

    @inlineCallbacks
    def _putWebhook(self, hook: str, given: dict[str, Any]
                    ) -> Generator[Deferred[Any], Any, Any]:
        """An empty secret keeps the webhook's current one (pages never show it)."""
        if "secret" not in given:
            hooks: list[Webhook] = yield self.store.webhooks()
            kept = next((h.secret for h in hooks if h.id == hook), None)
            if kept is None:
                raise badRequest("secret: is required for a new webhook")
            given["secret"] = kept
        answer = yield self.api.invoke("putWebhook", {"id": hook}, body=given)
        return answer

    def _done(self, d: Deferred[Any], said: str) -> Deferred[str]:
        return d.addCallback(lambda _: said)
