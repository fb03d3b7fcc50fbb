"""
The example eligibility plugin: operators on a phone call get no chats.

The phone system (or a script polling it) keeps a text file listing the bare
JIDs of operators who are on a call right now, one per line; ``#`` starts a
comment, blank lines are ignored, case does not matter. imsupport leaves
those operators out of new chats with the reason "on the phone". A missing
file means nobody is on the phone. Enable it with::

    [plugins.onthephone]
    path = "/var/lib/imsupport/on-the-phone.txt"

The file is stat()ed on each check and read again only when it changed, so
writers can update it in place or replace it atomically (write a temporary
file, then rename it over the old one).
"""
from __future__ import annotations

import difflib
import os
from typing import Any

from twisted.logger import Logger
from twisted.plugin import IPlugin
from zope.interface import implementer

from imsupport.core.eligibility import ChatInfo, IEligibilityCheck

log = Logger()

ON_THE_PHONE = "on the phone"
OPTIONS = ("path",)


def parseList(text: str) -> frozenset[str]:
    """The bare JIDs named in the file's text, lower-cased."""
    jids = set()
    for line in text.splitlines():
        jid = line.partition("#")[0].strip().partition("/")[0].lower()
        if jid:
            jids.add(jid)
    return frozenset(jids)


@implementer(IPlugin, IEligibilityCheck)
class OnThePhone:
    """Vetoes operators listed in a file kept by the phone system."""

    name = "onthephone"

    def __init__(self) -> None:
        self.path: str | None = None
        self._stamp: tuple[int, int, int] | None = None  # (inode, size, mtime_ns) read
        self._onThePhone: frozenset[str] = frozenset()

    def configure(self, options: dict[str, Any]) -> bool:
        """Reset everything: the object is a process-wide singleton."""
        self.path, self._stamp, self._onThePhone = None, None, frozenset()
        for key in options:
            if key not in OPTIONS:
                close = difflib.get_close_matches(key, OPTIONS, n=1)
                hint = f' (did you mean "{close[0]}"?)' if close else ""
                raise ValueError(f"unknown key {key}{hint}")
        path = options.get("path")
        if path is None:
            return False
        if not isinstance(path, str) or not os.path.isabs(path):
            raise ValueError(f"path must be an absolute file path, got {path!r}")
        self.path = os.path.normpath(path)
        log.info("Operators listed in {path} are left out of chats as on the phone",
                 path=self.path)
        return True

    def check(self, operator: str, node: str, chat: ChatInfo) -> str | None:
        return ON_THE_PHONE if operator.lower() in self._current() else None

    def _current(self) -> frozenset[str]:
        """The listed JIDs, read again only when the file changed."""
        if self.path is None:
            return frozenset()
        try:
            st = os.stat(self.path)
            stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
            if stamp != self._stamp:
                with open(self.path, encoding="utf-8", errors="replace") as f:
                    self._onThePhone = parseList(f.read())
                self._stamp = stamp
        except FileNotFoundError:  # nobody on the phone (also: removed just now)
            self._stamp, self._onThePhone = None, frozenset()
        return self._onThePhone


onThePhone = OnThePhone()
