"""
The example event handler plugin (SPEC 15, R-PLUG-1): every stored event
for integrators appended as one JSON line to a file. Enable it with::

    [plugins.eventlog]
    path = "/var/log/imsupport/events.jsonl"

Each line is ``{"id", "type", "timestamp", "data"}``, as a webhook body plus
the event's id. It shows what an event handler gets: each event once it is
in the store's outbox, in the reactor thread (keep it quick; a slow system
is better reached through a webhook).
"""
from __future__ import annotations

import datetime
import json
from typing import Any

from twisted.plugin import IPlugin
from zope.interface import implementer

from imsupport.core.events import HookEvent, IEventHandler


def eventLine(event: HookEvent) -> str:
    at = datetime.datetime.fromtimestamp(event.at, datetime.UTC).isoformat()
    return json.dumps({"id": event.id, "type": event.type, "timestamp": at,
                       "data": event.data}, ensure_ascii=False, sort_keys=True) + "\n"


@implementer(IPlugin, IEventHandler)
class EventLog:
    name = "eventlog"

    def __init__(self) -> None:
        self.path: str | None = None

    def configure(self, options: dict[str, Any]) -> bool:
        unknown = set(options) - {"path"}
        if unknown:
            raise ValueError(f"unknown key {sorted(unknown)[0]} (the only key is path)")
        path = options.get("path")
        if path is None:
            return False
        if not isinstance(path, str) or not path:
            raise ValueError("path must be a file name")
        self.path = path
        return True

    def eventStored(self, event: HookEvent) -> None:
        if self.path is not None:
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(eventLine(event))


eventLog = EventLog()
