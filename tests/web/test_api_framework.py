"""The API's framework: the document against the routes, authentication,
scopes, rate limits, validation and the error shape (SPEC 14)."""
from __future__ import annotations

import json

import pytest_twisted

from imsupport.web.api.auth import API_RATE, digest, grants
from imsupport.web.api.document import METHODS, kleinRule, loadDocument
from tests.web.apifakes import ADMIN, CONTROL, READ, TOKENS, Api, answer


def test_routes_and_document_agree():
    """Every route of the sub-app is in the document and the reverse,
    methods included."""
    api = Api().api
    routes = set()
    for rule in api.app.url_map.iter_rules():
        if rule.endpoint.endswith("_branch"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((rule.rule, method))
    documented = {(kleinRule(path), method.upper())
                  for path, item in loadDocument()["paths"].items()
                  for method in METHODS if method in item}
    assert routes == documented
    assert len(documented) == 33


def test_document_is_openapi_31_with_a_scope_per_operation():
    doc = loadDocument()
    assert doc["openapi"].startswith("3.1")
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                security = item[method]["security"]
                assert path == "/openapi.json" and security == [] or \
                    security[0]["bearer"][0] in ("read", "control", "admin"), (path, method)


@pytest_twisted.ensureDeferred
async def test_openapi_is_served_without_auth():
    code, body, _ = await answer(Api().request("GET", "/openapi.json", token=None))
    assert code == 200
    assert body == loadDocument()


@pytest_twisted.ensureDeferred
async def test_no_token_is_401_with_challenge():
    code, body, response = await answer(Api().request("GET", "/state", token=None))
    assert code == 401
    assert body["error"]["code"] == "unauthorized"
    assert response.headers.getRawHeaders("www-authenticate")[0].startswith("Bearer")


@pytest_twisted.ensureDeferred
async def test_bad_token_is_401():
    code, body, response = await answer(Api().request("GET", "/state", token="nope"))
    assert code == 401
    assert "invalid_token" in response.headers.getRawHeaders("www-authenticate")[0]


@pytest_twisted.ensureDeferred
async def test_missing_scope_is_403_naming_it():
    code, body, _ = await answer(Api().request("POST", "/switch", token=READ,
                                               body={"target": {"service": True}, "on": False}))
    assert code == 403
    assert body["error"] == {"code": "forbidden", "message": "The token lacks the control scope."}
    code, body, _ = await answer(Api().request("GET", "/tokens", token=CONTROL))
    assert code == 403 and "admin" in body["error"]["message"]


def test_scopes_nest():
    assert grants(["admin"], "read") and grants(["admin"], "control")
    assert grants(["control"], "read") and not grants(["control"], "admin")
    assert not grants(["read"], "control") and not grants([], "read")


def test_tokens_are_kept_hashed():
    api = Api().api
    kept = {e.name: e.digest for e in api.tokens.entries.values()}
    assert kept == {t.name: digest(t.token) for t in TOKENS}
    assert all(t.token not in repr(api.tokens.entries) for t in TOKENS)


@pytest_twisted.ensureDeferred
async def test_rate_limit_per_token_is_429_then_refills():
    api = Api()
    for _ in range(API_RATE.message_burst):
        code, _, _ = await answer(api.request("GET", "/state"))
        assert code == 200
    code, body, response = await answer(api.request("GET", "/state"))
    assert code == 429 and body["error"]["code"] == "too_many_requests"
    assert int(response.headers.getRawHeaders("retry-after")[0]) >= 1
    code, _, _ = await answer(api.request("GET", "/state", token=ADMIN))
    assert code == 200, "another token has its own bucket"
    api.clock.advance(1)
    code, _, _ = await answer(api.request("GET", "/state"))
    assert code == 200


@pytest_twisted.ensureDeferred
async def test_unknown_api_path_is_a_json_404():
    code, body, _ = await answer(Api().request("GET", "/nothing/here"))
    assert code == 404 and body["error"]["code"] == "not_found"


@pytest_twisted.ensureDeferred
async def test_wrong_method_is_405():
    code, body, response = await answer(Api().request("DELETE", "/state"))
    assert code == 405 and body["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers.getRawHeaders("allow")[0]


@pytest_twisted.ensureDeferred
async def test_malformed_json_is_400():
    code, body, _ = await answer(Api().request("POST", "/switch", token=CONTROL, raw=b"{nope"))
    assert code == 400 and body["error"]["message"].startswith("body: not valid JSON")


@pytest_twisted.ensureDeferred
async def test_bad_field_is_400_naming_it():
    api = Api()
    code, body, _ = await answer(api.request(
        "POST", "/switch", token=CONTROL,
        body={"target": {"node": "sales"}, "on": False, "mode": "gentle"}))
    assert code == 400
    assert body["error"] == {"code": "bad_request", "message": "mode: must be one of soft, hard"}
    code, body, _ = await answer(api.request("POST", "/switch", token=CONTROL,
                                             body={"target": {"node": "sales"}}))
    assert code == 400 and body["error"]["message"] == "on: is required"
    code, body, _ = await answer(api.request("GET", "/chats?limit=many"))
    assert code == 400 and body["error"]["message"] == "limit: must be of type integer"
    code, body, _ = await answer(api.request("GET", "/chats?colour=red"))
    assert code == 400 and body["error"]["message"] == "colour: unknown query parameter"


@pytest_twisted.ensureDeferred
async def test_non_json_body_is_415():
    code, body, _ = await answer(Api().request("POST", "/switch", token=CONTROL,
                                               raw=b"on=1", content_type="text/plain"))
    assert code == 415 and body["error"]["code"] == "unsupported_media_type"


@pytest_twisted.ensureDeferred
async def test_body_over_the_limit_is_413():
    big = json.dumps({"name": "x" * (1024 * 1024), "scopes": ["read"]}).encode()
    code, body, _ = await answer(Api().request("POST", "/tokens", token=ADMIN, raw=big))
    assert code == 413 and body["error"]["code"] == "request_entity_too_large"


@pytest_twisted.ensureDeferred
async def test_before_the_core_is_up_is_503():
    code, body, _ = await answer(Api(with_core=False).request("GET", "/state"))
    assert code == 503 and body["error"]["code"] == "service_unavailable"


@pytest_twisted.ensureDeferred
async def test_a_failing_handler_is_500_without_traceback():
    api = Api()

    class Broken:
        @property
        def queries(self):
            raise RuntimeError("secret internals")
    api.core = Broken()
    code, body, _ = await answer(api.request("GET", "/state"))
    assert code == 500
    assert body == {"error": {"code": "internal",
                              "message": "Internal error; see the service log."}}
