"""The admin pages through StubTreq, around a test core (tests/unit/fakes.py),
as a browser would use them: a cookie jar, and each form's CSRF field
read from the page it is on."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

from argon2 import PasswordHasher
from treq.client import HTTPClient
from treq.testing import RequestTraversalAgent, _SynchronousProducer

from imsupport.configweb import ADMIN, ANALYST, WebUser
from imsupport.web.admin import AdminSite
from imsupport.web.admin.users import WebUsers
from imsupport.web.api import build
from imsupport.web.app import WebSide
from tests.unit.fakes import makeCore
from tests.web.apifakes import TOKENS

# argon2id at its lowest cost: the tests check the logic, not the cost
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
ADA, ALAN = "ada", "alan"  # an admin, an analyst
PASSWORDS = {ADA: "correct horse battery", ALAN: "analyst's own words"}
BASE = "http://x/admin"
CSRF = "__csrf_protection__"
HOSTILE = "<script>alert(1)</script>"
# a client address whose local part (XEP-0106) shows as <script>...: every page escapes it
HOSTILE_CLIENT = r"\3cscript\3ealert(1)\3c\2fscript\3e@evil.example"


def users(**roles: str) -> list[WebUser]:
    roles = roles or {ADA: ADMIN, ALAN: ANALYST}
    return [WebUser(name, CHEAP.hash(PASSWORDS.get(name, name * 8)), role)
            for name, role in roles.items()]


class NoJar(CookieJar):
    """treq's client would keep cookies itself; the tests keep them."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None


@dataclass
class Page:
    code: int
    headers: Any
    text: str
    set_cookies: list[str] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        values = self.headers.getRawHeaders(name)
        return values[0] if values else None

    def csrf(self) -> str:
        found = re.search(rf'name="{CSRF}" value="([^"]*)"', self.text) or re.search(
            rf'value="([^"]*)" name="{CSRF}"', self.text)
        assert found, f"no CSRF field on the page:\n{self.text[:2000]}"
        return html.unescape(found.group(1))


class Admin:
    def __init__(self, public_url: str = "http://x", web_users: list[WebUser] | None = None,
                 core: Any = "make", asset: Any = None, directory_from_file: bool = False,
                 **core_kw: Any) -> None:
        if core == "make":
            core, self.clock, self.transport, self.store = makeCore(**core_kw)
        self.core = core
        self.api = build(lambda: self.core, self.store, self.clock, self.core.service, TOKENS)
        self.users = WebUsers(web_users if web_users is not None else users(), hasher=CHEAP)
        self.site = AdminSite(self.api, lambda: self.core, self.store, self.clock, self.users,
                              public_url, directory_from_file=directory_from_file,
                              **({"asset": asset} if asset else {}))
        self.side = WebSide(lambda: self.core, lambda: True, lambda: True, api=self.api,
                            admin=self.site)
        self.agent = RequestTraversalAgent(self.side.resource())
        self.treq = HTTPClient(self.agent, cookiejar=NoJar(),
                               data_to_body_producer=_SynchronousProducer)
        self.jar: dict[str, str] = {}

    async def request(self, method: str, path: str, data: dict[str, Any] | None = None,
                      headers: dict[str, str] | None = None, cookies: bool = True,
                      raw: bytes | None = None) -> Page:
        sent = dict(headers or {})
        if cookies and self.jar:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        body = raw
        if data is not None:
            body = urlencode(data).encode()
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        response = await self.treq.request(method, BASE + path, headers=sent, data=body,
                                           allow_redirects=False)
        text = (await response.content()).decode("utf-8", "replace")
        set_cookies = response.headers.getRawHeaders("set-cookie") or []
        for line in set_cookies:
            for name, morsel in SimpleCookie(line).items():
                if morsel["max-age"] == "0":
                    self.jar.pop(name, None)
                else:
                    self.jar[name] = morsel.value
        return Page(response.code, response.headers, text, set_cookies)

    async def get(self, path: str, **kw: Any) -> Page:
        return await self.request("GET", path, **kw)

    async def post(self, path: str, data: dict[str, Any], page: Page | None = None,
                   **kw: Any) -> Page:
        """The form posted with the CSRF token of ``page`` (or of a fresh
        GET of the dashboard)."""
        if page is None:
            page = await self.get("/")
        return await self.request("POST", path, data={**data, CSRF: page.csrf()}, **kw)

    async def login(self, name: str = ADA, password: str | None = None,
                    next: str = "") -> Page:
        form = await self.get("/login")
        return await self.request("POST", "/login", data={
            "name": name, "password": PASSWORDS[name] if password is None else password,
            "next": next, CSRF: form.csrf()})
