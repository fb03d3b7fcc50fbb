"""
The project's HTTP error shape, ``{"error": {"code", "message"}}`` (SPEC 14),
for every route and for the refusals made before a route is found.
"""
from __future__ import annotations

import json

from werkzeug.exceptions import HTTPException


class InsufficientStorage(HTTPException):
    """507: the bytes could not be kept (the disk is full): nothing was linked."""

    code = 507
    description = "The service cannot store the file now; nothing was kept."


def errorCode(http: HTTPException) -> str:
    """``not_found``, ``request_entity_too_large``, ...: the status' name."""
    return (http.name or "error").lower().replace(" ", "_")


def errorBody(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()
