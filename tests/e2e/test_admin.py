"""
The admin and analyst pages end to end (issue 11, items 2 and 4; SPEC 17):
the real twistd process with [[web_users]] from its file, plain HTTP as a
browser sends it (urlencoded forms read by the service's own request
limits, argon2 checks in its thread pool), real Prosody and slixmpp.
"""
from __future__ import annotations

import html
import re
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from typing import Any

from argon2 import PasswordHasher

from tests.e2e.test_chat_path import COMPONENT, SALES
from tests.e2e.test_routing import group, node, rows, wait_free

CHAT1 = f"sales+1@{COMPONENT}"
HOSTILE = "<script>alert(1)</script>"
USERS = f"""
[[web_users]]
name = "boss"
password = "boss password 1"
role = "admin"

[[web_users]]
name = "analyst"
password_hash = "{PasswordHasher().hash("analyst password 1")}"
"""


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """Cookies kept, redirects not followed (the tests look at them)."""

    def __init__(self, base: str) -> None:
        self.base = base + "/admin"
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())
        self.last = ""

    def open(self, path: str, form: dict[str, str] | None = None,
             cookies: bool = True) -> tuple[int, Any, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(self.base + path, data=data)
        opener = self.opener if cookies else urllib.request.build_opener(NoRedirect())
        try:
            with opener.open(request, timeout=20) as response:
                code, headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            code, headers, body = error.code, error.headers, error.read()
        text = body.decode("utf-8", "replace")
        if "__csrf_protection__" in text:
            self.last = text
        return code, headers, text

    def csrf(self) -> str:
        found = re.search(r'name="__csrf_protection__" value="([^"]+)"', self.last)
        assert found, self.last[:1000]
        return html.unescape(found.group(1))

    def post(self, path: str, form: dict[str, str], **kw: Any) -> tuple[int, Any, str]:
        return self.open(path, {**form, "__csrf_protection__": self.csrf()}, **kw)

    def login(self, name: str, password: str) -> int:
        self.open("/login")
        return self.post("/login", {"name": name, "password": password, "next": ""})[0]


def test_admin_pages_log_in_escape_search_and_switch(start_imsupport, xmpp_client):
    ivan = xmpp_client("ivan")
    service = start_imsupport(node(group("first", [ivan])),
                              operators=rows((ivan, "Ivan", ["en"])), extra_toml=USERS)
    wait_free(service, 1)
    alice = xmpp_client("alice")
    alice.send_message(SALES, f"{HOSTILE} where is my parcel?")
    ivan.wait_message(CHAT1, contains="New chat #1")
    ivan.send_message(CHAT1, "It leaves today.")
    alice.wait_message(SALES, contains="It leaves today")

    boss = Browser(service.base_url)
    code, headers, _ = boss.open("/")
    assert code == 303 and headers["location"].startswith("/admin/login")
    cookie = headers["set-cookie"]
    code, headers, text = boss.open("/login")
    assert code == 200 and "default-src 'none'" in headers["content-security-policy"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/admin/" in cookie
    assert boss.post("/login", {"name": "boss", "password": "wrong one"})[0] == 403
    assert boss.login("boss", "boss password 1") == 303

    code, _, text = boss.open("/")
    assert code == 200 and "boss (admin)" in text
    code, _, text = boss.open("/chats?q=parcel")
    assert code == 200 and 'href="/admin/chats/1"' in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; where is my parcel?" in text
    assert "<script>alert" not in text
    code, _, text = boss.open("/chats/1")
    assert code == 200 and "It leaves today." in text and "<script>alert" not in text
    code, headers, text = boss.open("/chats/1.txt")
    assert code == 200 and f"{HOSTILE} where is my parcel?" in text
    assert headers["content-disposition"] == 'attachment; filename="chat-1.txt"'

    # a form of another site: no cookie (SameSite), no token
    code, _, _ = boss.open("/switches", {"kind": "node", "node": "sales", "action": "off"},
                           cookies=False)
    assert code == 403
    code, _, _ = boss.open("/switches", {"kind": "node", "node": "sales", "action": "off",
                                         "__csrf_protection__": "forged"})
    assert code == 403

    analyst = Browser(service.base_url)
    assert analyst.login("analyst", "analyst password 1") == 303
    analyst.open("/switches")
    code, _, text = analyst.post("/switches", {"kind": "node", "node": "sales", "action": "off"})
    assert code == 403 and "may read these pages but not change" in text

    boss.open("/switches")
    code, headers, _ = boss.post("/switches", {"kind": "node", "node": "sales",
                                               "mode": "soft", "action": "off"})
    assert code == 303
    code, _, text = boss.open("/switches")
    assert "node:sales switched off (soft)." in text
    bob = xmpp_client("bob")
    bob.send_message(SALES, "hello?")
    assert bob.wait_message(SALES).body, "the switched-off node answers with its notice"
    code, _, text = boss.open("/")
    assert code == 200 and "(sales: offline)" in text, "the dashboard shows the switch"
