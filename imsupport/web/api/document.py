"""
The OpenAPI 3.1 document (openapi.json, shipped as package data) is the
single source of truth of the API: its paths are the routes, its security
the scopes, and its schemas (JSON Schema 2020-12) validate every request's
path and query parameters and JSON body. One generic validator, driven by
the document; no hand-written checks per route.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any, Iterator

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from imsupport.web.api.errors import badRequest

# The formats the document uses, checked the same on every install: jsonschema's
# own FormatChecker checks "date-time" only when the optional rfc3339-validator
# happens to be installed.
FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _dateTime(value: object) -> bool:
    """RFC 3339: a date, a time and a zone (Z or an offset)."""
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)",
                        value):
        return False
    datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    return True

DOC_URI = "urn:imsupport:api"
METHODS = ("get", "put", "post", "delete", "patch")
_PARAM = re.compile(r"\{([^}]+)\}")


def loadDocument() -> dict[str, Any]:
    text = resources.files("imsupport.web.api").joinpath("openapi.json").read_text("utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


def kleinRule(path: str) -> str:
    """``/chats/{id}`` -> ``/chats/<id>`` (werkzeug's rule syntax)."""
    return _PARAM.sub(lambda m: f"<{m.group(1)}>", path)


def pointer(*parts: str) -> str:
    """The JSON Pointer (``#/...``) of a place in the document."""
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def fieldMessage(error: ValidationError) -> str:
    """``mode: must be one of soft, hard``: the field first, then what is
    wrong with it, in words a client's developer reads."""
    where = ".".join(str(p) for p in error.absolute_path)
    kind = error.validator
    if kind == "required":
        missing = re.match(r"'([^']+)'", error.message)
        name = missing.group(1) if missing else "?"
        return f"{where + '.' if where else ''}{name}: is required"
    if kind == "enum":
        choices = ", ".join(str(v) for v in error.validator_value)
        text = f"must be one of {choices}"
    elif kind == "type":
        text = f"must be of type {error.validator_value}"
    elif kind == "additionalProperties":
        text = error.message.replace("Additional properties are not allowed ", "unknown field ")
    elif kind == "format":
        text = f"must be a {error.validator_value} (e.g. 2026-12-02T14:00:00Z)" \
            if error.validator_value == "date-time" else f"must be a {error.validator_value}"
    elif kind == "oneOf":
        text = "does not match any of the allowed forms"
    else:
        text = error.message
    return f"{where or 'body'}: {text}"


@dataclass(frozen=True)
class Parameter:
    name: str
    where: str  # path, query
    required: bool
    schema: dict[str, Any]
    validator: Validator


@dataclass(frozen=True)
class Operation:
    """One method of one path of the document."""
    path: str
    method: str  # upper case
    operation_id: str
    scope: str | None  # None: no authentication
    parameters: tuple[Parameter, ...]
    body: Validator | None

    def arguments(self, path: dict[str, str], query: dict[str, str]) -> dict[str, Any]:
        """The parameters, converted to their schema's type and validated;
        a bad one is a 400 naming it. Absent optional ones take their default."""
        values: dict[str, Any] = {}
        for p in self.parameters:
            given = (path if p.where == "path" else query).get(p.name)
            if given is None:
                if p.required:
                    raise badRequest(f"{p.name}: is required")
                if "default" in p.schema:
                    values[p.name] = p.schema["default"]
                continue
            value = _convert(given, p.schema)
            error = best_match(p.validator.iter_errors(value))
            if error is not None:
                raise badRequest(fieldMessage(error).replace("body", p.name, 1)
                                 if not error.absolute_path else fieldMessage(error))
            values[p.name] = value
        unknown = sorted(set(query) - {p.name for p in self.parameters if p.where == "query"})
        if unknown:
            raise badRequest(f"{unknown[0]}: unknown query parameter")
        return values

    def validBody(self, body: Any) -> Any:
        if self.body is not None:
            error = best_match(self.body.iter_errors(body))
            if error is not None:
                raise badRequest(fieldMessage(error))
        return body


def _convert(text: str, schema: dict[str, Any]) -> Any:
    """Query and path values are text; the schema says what they are."""
    kind = schema.get("type")
    if kind == "integer" and re.fullmatch(r"-?[0-9]{1,18}", text):
        return int(text)
    if kind == "boolean" and text in ("true", "false"):
        return text == "true"
    return text


class Document:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        resource = Resource.from_contents(doc, default_specification=DRAFT202012)
        self.registry: Registry[Any] = Registry().with_resource(DOC_URI, resource)
        self.operations = tuple(self._operations())

    def validator(self, at: str) -> Validator:
        """A validator of the schema at ``at`` (a ``pointer``), with its $refs."""
        validator: Validator = Draft202012Validator(
            {"$ref": DOC_URI + at}, registry=self.registry, format_checker=FORMATS)
        return validator

    def _operations(self) -> Iterator[Operation]:
        for path, item in self.doc["paths"].items():
            for method in METHODS:
                spec = item.get(method)
                if spec is None:
                    continue
                security = spec.get("security", self.doc.get("security", []))
                scopes = [s for requirement in security for s in requirement.get("bearer", [])]
                params = tuple(
                    Parameter(p["name"], p["in"], bool(p.get("required")), p["schema"],
                              self.validator(pointer("paths", path, method, "parameters",
                                                       str(i), "schema")))
                    for i, p in enumerate(spec.get("parameters", ())))
                body = None
                if "requestBody" in spec:
                    body = self.validator(pointer("paths", path, method, "requestBody",
                                                    "content", "application/json", "schema"))
                yield Operation(path, method.upper(), spec["operationId"],
                                scopes[0] if scopes else None, params, body)
