"""
The API's Klein sub-app, mounted at ``/api/v1/`` by the web side. Its
routes are the document's operations: each path and method of openapi.json
becomes a route whose handler is the method of the same ``operationId`` on
one of the route objects; the one dispatcher around them authenticates,
rate-limits, validates (web/api/document.py) and answers every error in
SPEC 14's shape. Adding a route: the path in openapi.json, and a method
``<operationId>(**parameters, body=...)`` on a route object.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Mapping

from klein import Klein
from klein.resource import KleinResource
from twisted.internet.defer import Deferred, maybeDeferred
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.iweb import IRequest
from werkzeug.exceptions import HTTPException

from imsupport.web.api.auth import Tokens
from imsupport.web.api.document import Document, Operation, kleinRule, loadDocument
from imsupport.web.api.errors import ApiError, badRequest
from imsupport.web.errors import errorBody, errorCode

log = Logger()

MAX_BODY = 1024 * 1024  # bytes of a JSON request body


class Text(str):
    """A handler's plain-text answer (text/plain; charset=utf-8)."""


class Accepted(dict[str, Any]):
    """A handler's JSON answer for work started, not done: 202 Accepted."""


Handler = Callable[..., Any]


class ApiSide:
    def __init__(self, tokens: Tokens, routes: list[object],
                 document: Mapping[str, Any] | None = None, max_body: int = MAX_BODY) -> None:
        """``routes`` are the objects whose methods answer the operations,
        by operationId; one the document names and no object has is an
        error now, not a 500 later."""
        self.tokens = tokens
        self.raw = dict(document) if document is not None else loadDocument()
        self.document = Document(self.raw)
        self.max_body = max_body
        self.app = Klein()
        self.app.url_map.merge_slashes = False
        self.app.url_map.strict_slashes = False
        handlers: dict[str, Handler] = {"openapi": self.openapi}
        for route in routes:
            for name in dir(route):
                if not name.startswith("_"):
                    handlers.setdefault(name, getattr(route, name))
        self.operations: dict[str, tuple[Operation, Handler]] = {}
        for op in self.document.operations:
            handler = handlers.get(op.operation_id)
            if handler is None:
                raise ValueError(f"no handler for {op.method} {op.path} ({op.operation_id})")
            self.operations[op.operation_id] = (op, handler)
            self.app.route(kleinRule(op.path), methods=[op.method],
                           endpoint=op.operation_id)(self._dispatcher(op, handler))
        self.app.handle_errors(Exception)(self._failed)

    def invoke(self, operation_id: str, path: Mapping[str, str] | None = None,
               query: Mapping[str, str] | None = None, body: Any = None) -> Deferred[Any]:
        """An operation called in-process by a part that authorizes its own
        users (the admin pages): the parameters and body validated as over
        HTTP, then the same handler. Deferred[its answer]; a refusal fails
        it with the ApiError the dispatcher would have answered."""
        op, handler = self.operations[operation_id]
        return maybeDeferred(self._run, op, handler, dict(path or {}), dict(query or {}),
                             lambda: body)

    def openapi(self) -> Mapping[str, Any]:
        return self.raw

    def resource(self) -> KleinResource:
        return self.app.resource()

    def _dispatcher(self, op: Operation, handler: Handler) -> Callable[..., Any]:
        def dispatch(request: IRequest, **path: str) -> Deferred[bytes]:
            d = maybeDeferred(self._call, op, handler, request, path)
            d.addCallback(self._answer, request)
            d.addErrback(self._refused, request)
            return d
        dispatch.__name__ = op.operation_id
        return dispatch

    def _call(self, op: Operation, handler: Handler, request: IRequest,
              path: dict[str, str]) -> Any:
        if op.scope is not None:
            header = request.getHeader(b"authorization")
            self.tokens.authorize(header.decode("latin-1") if header else None, op.scope)
        return self._run(op, handler, path, self._query(request), lambda: self._body(request))

    def _run(self, op: Operation, handler: Handler, path: dict[str, str],
             query: dict[str, str], body: Callable[[], Any]) -> Any:
        args = op.arguments(path, query)
        if op.body is not None:
            args["body"] = op.validBody(body())
        return handler(**args)

    def _query(self, request: IRequest) -> dict[str, str]:
        query: dict[str, str] = {}
        for key, values in (request.args or {}).items():
            name = key.decode("utf-8", "replace")
            if len(values) > 1:
                raise badRequest(f"{name}: given more than once")
            query[name] = values[0].decode("utf-8", "replace")
        return query

    def _body(self, request: IRequest) -> Any:
        kind = (request.getHeader(b"content-type") or b"").split(b";")[0].strip().lower()
        if kind != b"application/json":
            raise ApiError(415, "unsupported_media_type",
                           "The request body must be JSON (Content-Type: application/json).")
        content = request.content
        data = content.read(self.max_body + 1) if content is not None else b""
        if len(data) > self.max_body:
            raise ApiError(413, "request_entity_too_large",
                           f"The request body is larger than the limit of {self.max_body} bytes.")
        try:
            return json.loads(data)
        except (ValueError, UnicodeDecodeError) as e:
            raise badRequest(f"body: not valid JSON ({e})") from None

    def _answer(self, result: Any, request: IRequest) -> bytes:
        request.setHeader(b"cache-control", b"no-store")
        if isinstance(result, Text):
            request.setHeader(b"content-type", b"text/plain; charset=utf-8")
            return result.encode("utf-8")
        request.setHeader(b"content-type", b"application/json")
        if isinstance(result, Accepted):
            request.setResponseCode(202)
        return json.dumps(result, ensure_ascii=False).encode("utf-8")

    def _refused(self, failure: Failure, request: IRequest) -> bytes:
        request.setHeader(b"content-type", b"application/json")
        request.setHeader(b"cache-control", b"no-store")
        error = failure.value
        if isinstance(error, ApiError):
            request.setResponseCode(error.status)
            for name, value in error.headers.items():
                request.setHeader(name.encode(), value.encode())
            return errorBody(error.code, error.message)
        log.failure("API request {path} failed", failure, path=request.path)
        request.setResponseCode(500)
        return errorBody("internal", "Internal error; see the service log.")

    def _failed(self, request: IRequest, failure: Failure) -> bytes:
        """What no route answered: unknown paths (404) and methods (405)."""
        http = failure.value
        if isinstance(http, HTTPException) and http.code in (404, 405):
            request.setHeader(b"content-type", b"application/json")
            request.setResponseCode(http.code)
            if http.code == 405:
                valid = getattr(http, "valid_methods", None) or ()
                request.setHeader(b"allow", ", ".join(valid).encode())
                return errorBody("method_not_allowed",
                                 f"{request.method.decode()} is not allowed here.")
            return errorBody(errorCode(http), "There is no such API path.")
        return self._refused(failure, request)
