"""
The web side's access log without the secrets some addresses carry: a
visitor's token (``?token=`` of the web chat), a file's or upload page's
token (``/f/{token}/``, ``/u/{token}``, ``/upload/{token}``) and a
transcript link's signature (``/t/{chat}/{expires}/{signature}``). Each is
the permission itself, so whoever reads the log could use it; the log keeps
the rest of the line (Twisted's combined format).
"""
from __future__ import annotations

import re
from typing import Any

from twisted.web.http import combinedLogFormatter
from twisted.web.iweb import IAccessLogFormatter
from zope.interface import provider

HIDDEN = b"-"
_QUERY = re.compile(rb"(?<=[?&])(token=)[^&#]*")
_PATH = re.compile(rb"^(/(?:f|u|upload)/)[^/?#]+|^(/t/\d+/\d+/)[^/?#]+")


def redactedUri(uri: bytes) -> bytes:
    uri = _PATH.sub(lambda m: (m.group(1) or m.group(2)) + HIDDEN, uri)
    return _QUERY.sub(lambda m: m.group(1) + HIDDEN, uri)


class _Redacted:
    """The request as the formatter sees it: the same, but its uri."""

    def __init__(self, request: Any) -> None:
        self._request = request
        self.uri = redactedUri(request.uri)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._request, name)


@provider(IAccessLogFormatter)
def accessLogFormatter(timestamp: str, request: Any) -> str:
    return str(combinedLogFormatter(timestamp, _Redacted(request)))
