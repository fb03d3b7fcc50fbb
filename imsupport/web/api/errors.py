"""The API's refusals: an exception a handler raises, turned into SPEC 14's
``{"error": {"code", "message"}}`` with its status by the dispatcher."""
from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def badRequest(message: str) -> ApiError:
    return ApiError(400, "bad_request", message)


def notFound(message: str) -> ApiError:
    return ApiError(404, "not_found", message)


def conflict(message: str) -> ApiError:
    return ApiError(409, "conflict", message)


def unprocessable(message: str) -> ApiError:
    return ApiError(422, "unprocessable_entity", message)
