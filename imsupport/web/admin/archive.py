"""
The archive (R-ADM-1): ``/admin/chats`` finds chats by time, chat id,
operator, client, node, state and text; ``/admin/chats/{id}`` shows one as
a transcript with its files (pictures in place, other files linked);
``.json`` and ``.txt`` export it.

All of it is the API's, called in-process (``ApiSide.invoke``): the
search form's values become ``GET /chats`` query parameters, checked by
the API document's validator and answered by its handler, with its cursor
for the next page; a chat is its ``GET /chats/{id}`` JSON, the text
export its transcript (core/transcript.py).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable
from urllib.parse import urlsplit

from twisted.web.iweb import IRequest
from twisted.web.template import Tag, tags

from imsupport.core.display import clientFromShown, showClient
from imsupport.core.files import servedInline
from imsupport.core.model import FILE, NOTICE, RATING, STATE
from imsupport.core.transcript import messageMark, stamp
from imsupport.web.admin.layout import document, field, table, url
from imsupport.web.admin.sessions import Viewer
from imsupport.web.api.errors import badRequest
from imsupport.web.api.ports import JSON

PAGE = 50  # chats a page
SEARCH = (("q", "Words"), ("client", "Client"), ("operator", "Operator"), ("node", "Node"),
          ("state", "State"), ("from", "From"), ("to", "To"), ("id", "Chat id"))
STATES = ("", "queued", "offered", "active", "held", "closed", "abandoned")
PICTURES = ("image/",)

Names = Callable[[str], "str | None"]


def dayOrTime(name: str, text: str, end: bool) -> str:
    """A form's date (a whole UTC day: its start, or for ``to`` its end)
    or an ISO date-time, as the API's date-time."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return text  # the API's validator says what is wrong with it
    start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    return (start + timedelta(days=1) if end else start).isoformat()


def apiQuery(given: dict[str, str]) -> dict[str, str]:
    """The search form as ``GET /chats`` parameters (empty ones left out)."""
    query: dict[str, str] = {}
    for key in ("q", "node", "state", "next"):
        if given.get(key):
            query[key] = given[key].strip()
    if given.get("client"):
        query["client"] = clientFromShown(given["client"])
    if given.get("operator"):
        query["operator"] = given["operator"].strip().lower()
    for key in ("from", "to"):
        if given.get(key):
            query[key] = dayOrTime(key, given[key].strip(), key == "to")
    query["limit"] = str(PAGE)
    return query


def chatId(text: str) -> int:
    if not text.strip().lstrip("#").isdigit():
        raise badRequest("id: must be a chat number like 12")
    return int(text.strip().lstrip("#"))


def isoShown(at: str | None) -> str:
    if at is None:
        return "-"
    return stamp(datetime.fromisoformat(at).timestamp())


class ArchivePages:
    def __init__(self, public_url: str) -> None:
        """``public_url``: files under it are shown by their path, so the
        page's CSP (same origin only) lets them in."""
        self.public_url = public_url.rstrip("/")

    def results(self, request: IRequest, viewer: Viewer, given: dict[str, str],
                found: JSON | None, names: Names, error: str = "") -> bytes:
        body: list[Any] = [self._form(given)]
        if error:
            body.append(tags.p(error, class_="error", role="alert"))
        if found is not None:
            rows = [(tags.a(f"#{c['id']}", href=url(f"/chats/{c['id']}")),
                     isoShown(c["created_at"]), c["node"], showClient(c["client"]),
                     ", ".join(names(j) or j for j in c["operators"]), c["state"],
                     c["first_line"]) for c in found["items"]]
            body.append(table(("Chat", "Started", "Node", "Client", "Operators", "State",
                               "First line"), rows, "No chat matches."))
            if found["next"]:
                kept = {k: v for k, v in given.items() if k != "next"}
                body.append(tags.p(tags.a("Next page", rel="next",
                                          href=url("/chats", **kept, next=found["next"]))))
        return document(request, "Archive", body, viewer, status=400 if error else 200,
                        here="/chats")

    def _form(self, given: dict[str, str]) -> Tag:
        controls = []
        for key, label in SEARCH:
            value = given.get(key, "")
            if key == "state":
                control = tags.select(name="state")(*[
                    tags.option(s or "any", value=s, **({"selected": "selected"}
                                                        if s == value else {}))
                    for s in STATES])
            else:
                control = tags.input(name=key, value=value,
                                     type="search" if key == "q" else "text",
                                     placeholder="2027-01-15" if key in ("from", "to")
                                     else "")
            controls.append(field(label, control))
        made: Tag = tags.form(method="get", action=url("/chats"), class_="filters")(
            *controls, tags.button("Search", type="submit"))
        return made

    # -- one chat --------------------------------------------------------------------

    def chat(self, request: IRequest, viewer: Viewer, chat: JSON, names: Names) -> bytes:
        client = showClient(chat["client"])
        facts = [("Node", chat["node"]), ("Client", tags.a(client, href=url(
                     "/chats", client=chat["client"]))),
                 ("State", chat["state"]), ("Started", isoShown(chat["created_at"])),
                 ("Accepted", isoShown(chat["accepted_at"])),
                 ("Closed", isoShown(chat["closed_at"]) + (
                     f" ({chat['close_reason']})" if chat["close_reason"] else "")),
                 ("Operators now", ", ".join(names(j) or j for j in chat["operators"]) or "-")]
        body = [
            tags.dl(class_="facts")(*[tags.div(tags.dt(k), tags.dd(v)) for k, v in facts]),
            tags.p(class_="exports")("Export: ",
                                     tags.a("JSON", href=url(f"/chats/{chat['id']}.json")),
                                     " ",
                                     tags.a("plain text", href=url(f"/chats/{chat['id']}.txt"))),
            tags.ol(class_="events")(*[self._event(e, chat["client"], names)
                                       for e in chat["events"]])]
        return document(request, f"Chat {chat['id']}", body, viewer, here="/chats")

    def _event(self, event: JSON, client: str, names: Names) -> Tag:
        author = event["author"]
        who = showClient(client) if author == "client" else (
            "service" if author == "system" else names(author) or author)
        kind = event["kind"]
        role = author if author in ("client", "system") else "operator"
        when = tags.time(isoShown(event["at"]), datetime=event["at"])
        data = event.get("data") or {}
        if kind == FILE:
            content: Any = self._file(event["text"], data)
        elif kind == STATE:
            content = tags.em(f"-- {event['text'] or data.get('state', '')} --")
        elif kind == NOTICE:
            to = str(data.get("to", ""))
            content = [tags.em(f"to {showClient(client) if to == 'client' else names(to) or to}:"
                               if to else ""), " ", event["text"]]
        elif kind == RATING:
            content = [tags.strong(f"rated {data.get('rating', '?')} of 5"),
                       " ", str(data.get("comment") or "")]
        else:
            mark = messageMark(data)
            content = [tags.em(f"({mark})"), " ", event["text"]] if mark else event["text"]
        li: Tag = tags.li(class_=f"event {kind} {role}")(
            when, " ", tags.span(who, class_="who"), " ", tags.span(content, class_="text"))
        return li

    def _file(self, name: str, data: dict[str, Any]) -> Any:
        link = self._local(str(data.get("url", "")))
        kind = str(data.get("content_type", ""))
        size = data.get("size")
        label = [name, f" ({size} bytes)" if isinstance(size, int) else ""]
        if link is None:
            return ["sent a file: ", *label]
        anchor = tags.a(*label, href=link)
        if kind.startswith(PICTURES) and servedInline(kind):
            return tags.figure(tags.img(src=link, alt=name, loading="lazy"),
                               tags.figcaption(anchor))
        return ["sent a file: ", anchor]

    def _local(self, link: str) -> str | None:
        """This service's file link as a path of this site (None for
        anything else: no other site's URL goes into a page)."""
        if not self.public_url or not link.startswith(self.public_url + "/f/"):
            return None
        return urlsplit(link).path
