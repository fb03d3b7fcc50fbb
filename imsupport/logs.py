"""
Log observers for ``twistd --logger``: ``imsupport.logs.jsonObserver`` writes
one JSON object per event to standard output (R-RUN-4).
"""
from __future__ import annotations

import sys

from twisted.logger import ILogObserver, jsonFileLogObserver


def jsonObserver() -> ILogObserver:
    """JSON lines on stdout, for log shippers. twistd calls this once."""
    return jsonFileLogObserver(sys.stdout, recordSeparator="")
