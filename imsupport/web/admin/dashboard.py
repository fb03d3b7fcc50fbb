"""
``/admin/``: the live dashboard (R-STAT-4). The page is whole without
JavaScript (the state as it was when it was made); admin/dashboard.js
then keeps it current from ``/admin/live`` (live.py), putting every text
in with ``textContent``.
"""
from __future__ import annotations

from typing import Any

from twisted.web.iweb import IRequest
from twisted.web.template import Tag, tags

from imsupport.web.admin.layout import document, table, url
from imsupport.web.admin.sessions import Viewer
from imsupport.web.api.ports import JSON

SCRIPT = "admin/dashboard.js"
COUNTS = (("total", "Operators"), ("online", "Online"), ("in_chats", "In a chat"),
          ("free", "Free"), ("busy", "Busy"), ("afk", "Away"), ("offline", "Offline"))


def duration(seconds: float) -> str:
    """``1:05:09`` or ``5:09``."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def chatLink(chat: JSON) -> Tag:
    link: Tag = tags.a(f"#{chat['id']}", href=url(f"/chats/{chat['id']}"))
    return link


def ticking(seconds: float) -> Tag:
    """A duration the page's script counts on from ``seconds``."""
    shown: Tag = tags.span(duration(seconds), class_="ticking", **{"data-s": f"{seconds:.0f}"})
    return shown


def counts(values: JSON) -> Tag:
    made: Tag = tags.dl(class_="counts")(*[
        tags.div(tags.dt(label), tags.dd(str(values[key]), **{"data-count": key}))
        for key, label in COUNTS])
    return made


def nodeSection(node: JSON) -> Tag:
    queued = [(chatLink(c), c["client_shown"], ", ".join(c["languages"]), c["first_line"],
               ticking(c["waited_s"])) for c in node["queued"]]
    active = [(chatLink(c), c["client_shown"], ", ".join(c["operator_names"]),
               ticking(c["talking_s"])) for c in node["active"]]
    made: Tag = tags.section(class_="node", **{"data-node": node["name"]})(
        tags.h2(node["title"], " ", tags.small(f"({node['name']}: {node['mode']})")),
        counts(node["operators"]),
        tags.h3(f"Queued: {len(node['queued'])}"),
        table(("Chat", "Client", "Languages", "First line", "Waiting"), queued,
              "Nobody is waiting."),
        tags.h3(f"In chats: {len(node['active'])}"),
        table(("Chat", "Client", "Operators", "Talking"), active, "No chat is open."))
    return made


def liveBody(state: JSON | None) -> list[Any]:
    """The part of the page the script redraws (the same structure)."""
    if state is None:
        return [tags.p("The service is starting; this page fills in when it is up.")]
    operators = [(o["name"], o["jid"], o["state"], f"{len(o['chats'])} of {o['max_chats']}",
                  ", ".join(o["nodes"])) for o in state["operators_list"]]
    return [
        tags.section(class_="summary")(
            tags.p(tags.strong(str(state["queued"])), " waiting, ",
                   tags.strong(str(state["active"])), " in chats"),
            counts(state["operators"])),
        *[nodeSection(n) for n in state["nodes"]],
        tags.section(class_="operators")(
            tags.h2("Operators"),
            table(("Name", "Address", "State", "Chats", "Nodes"), operators,
                  "No operators are configured."))]


def dashboard(request: IRequest, viewer: Viewer, state: JSON | None) -> bytes:
    live = tags.div(id="live", **{"data-src": url("/live")})(*liveBody(state))
    note = tags.p("Updated live.", class_="note", id="live-note")
    return document(request, "Dashboard", [note, live], viewer, scripts=[SCRIPT], here="/")
