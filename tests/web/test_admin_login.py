"""/admin/login and the sessions (SPEC 17, R-SEC-5): log-in and out, the
cookie's flags, CSRF, the slowdown after wrong passwords, sessions ended by a
password change, idling or age, and the analyst's read-only role."""
from __future__ import annotations

import pytest
import pytest_twisted

from imsupport.configweb import ADMIN, ANALYST, WebUser
from imsupport.web.admin import AdminSite
from imsupport.web.admin.sessions import COOKIE, IDLE, LIFETIME
from tests.web.adminfakes import ADA, ALAN, CHEAP, CSRF, PASSWORDS, Admin, users


@pytest_twisted.ensureDeferred
async def test_pages_need_a_login_and_it_leads_back():
    admin = Admin()
    page = await admin.get("/chats?q=x")
    assert page.code == 303
    assert page.header("location") == "/admin/login?next=%2Fadmin%2Fchats%3Fq%3Dx"
    page = await admin.get("/login?next=/admin/chats%3Fq%3Dx")
    assert page.code == 200 and 'name="password"' in page.text
    assert 'value="/admin/chats?q=x"' in page.text
    page = await admin.login(next="/admin/chats?q=x")
    assert page.code == 303 and page.header("location") == "/admin/chats?q=x"
    page = await admin.get("/")
    assert page.code == 200 and "ada (admin)" in page.text and "Dashboard" in page.text


@pytest_twisted.ensureDeferred
async def test_next_never_leads_off_the_site():
    admin = Admin()
    for wanted in ("https://evil.example/", "//evil.example/admin/", "/api/v1/state",
                   "/admin/\\\\evil", "javascript:alert(1)"):
        admin.jar.clear()
        page = await admin.login(next=wanted)
        assert page.header("location") == "/admin/", wanted


@pytest_twisted.ensureDeferred
async def test_the_cookie_is_httponly_samesite_and_kept_to_admin():
    admin = Admin()
    page = await admin.get("/login")
    (cookie,) = page.set_cookies
    assert cookie.startswith(COOKIE.decode() + "=")
    flags = [f.strip().lower() for f in cookie.split(";")[1:]]
    assert "httponly" in flags and "samesite=lax" in flags and "path=/admin/" in flags
    assert "secure" not in flags, "a plain-HTTP public_url: a Secure cookie would never return"
    assert f"max-age={LIFETIME}" in flags


@pytest_twisted.ensureDeferred
async def test_the_cookie_is_secure_when_public_url_is_https():
    """Behind a TLS proxy the request comes as plain HTTP: still Secure."""
    admin = Admin(public_url="https://support.shop.example")
    page = await admin.get("/login")
    assert "Secure" in page.set_cookies[0].split("; ")
    page = await admin.login()
    assert page.code == 303 and all("Secure" in c.split("; ") for c in page.set_cookies)


@pytest_twisted.ensureDeferred
async def test_a_login_gets_a_fresh_session():
    """No session fixation: the session the form came with is not the one logged in."""
    admin = Admin()
    await admin.get("/login")
    before = dict(admin.jar)
    page = await admin.login()
    assert page.code == 303 and admin.jar != before
    admin.jar = before
    assert (await admin.get("/")).code == 303, "the old session is not logged in"


@pytest_twisted.ensureDeferred
async def test_wrong_password_is_polite_and_slows_the_address_down():
    admin = Admin()
    for _ in range(3):
        page = await admin.login(password="wrong password")
        assert page.code == 403
        assert "That name and password do not match" in page.text
        assert 'value="ada"' in page.text, "the name is kept in the form"
    page = await admin.login(password="wrong again")
    assert page.code == 403, "the fourth is still checked, and makes the next one wait"
    page = await admin.login()
    assert page.code == 429 and page.header("retry-after") == "1"
    assert "Please wait 1 second, then" in page.text
    admin.clock.advance(1)
    page = await admin.login(password="wrong")
    assert page.code == 403
    page = await admin.login()
    assert page.code == 429 and page.header("retry-after") == "2", "the wait doubles"
    assert "Please wait 2 seconds, then" in page.text
    admin.clock.advance(2)
    page = await admin.login()
    assert page.code == 303, "the right password after the wait"
    assert admin.site.login.throttle.wait("127.0.0.1") == 0.0


@pytest_twisted.ensureDeferred
async def test_an_unknown_name_is_answered_like_a_wrong_password():
    admin = Admin()
    page = await admin.login(ADA, password="x" * 12)
    other = await admin.login(ADA, password="y" * 12)
    assert page.code == other.code == 403
    form = await admin.get("/login")
    page = await admin.request("POST", "/login", data={
        "name": "nobody", "password": "whatever1", CSRF: form.csrf()})
    assert page.code == 403 and "That name and password do not match" in page.text


@pytest_twisted.ensureDeferred
async def test_a_post_without_the_csrf_token_or_with_a_forged_one_is_refused():
    admin = Admin()
    await admin.get("/login")
    for token in (None, "0" * 64, "<script>", "é"):
        data = {"name": ADA, "password": PASSWORDS[ADA]}
        if token is not None:
            data[CSRF] = token
        page = await admin.request("POST", "/login", data=data)
        assert page.code == 403 and "did not carry this site's safety token" in page.text
        assert page.header("content-type").startswith("text/html")
        assert "<script>" not in page.text and "0" * 64 not in page.text, "nothing echoed"
    assert (await admin.get("/")).code == 303, "not logged in"
    page = await admin.login()
    assert page.code == 303
    switches = await admin.get("/switches")
    page = await admin.request("POST", "/switches", data={
        "kind": "service", "action": "off", CSRF: "f" * 64})
    assert page.code == 403 and not admin.core.switching.switches.off
    page = await admin.post("/switches", {"kind": "service", "action": "off"}, switches)
    assert page.code == 303 and admin.core.switching.switches.off == {"service"}


@pytest_twisted.ensureDeferred
async def test_a_cross_site_post_without_the_cookie_is_refused():
    """SameSite keeps the cookie back from another site's form: no session."""
    admin = Admin()
    await admin.login()
    page = await admin.request("POST", "/switches", cookies=False,
                               data={"kind": "service", "action": "off", CSRF: "x"})
    assert page.code == 403 and "did not come with a live session" in page.text
    assert not page.set_cookies and not admin.core.switching.switches.off


@pytest_twisted.ensureDeferred
async def test_every_post_route_checks_the_csrf_token():
    """Klein checks it only for a route with form fields: each has some."""
    admin = Admin()
    await admin.login()
    posts = sorted({rule.rule for rule in AdminSite.app.url_map.iter_rules()
                    if "POST" in (rule.methods or ())})
    assert "/switches" in posts and "/directory/operator" in posts and "/logout" in posts
    for path in posts:
        page = await admin.request("POST", path, data={"action": "delete", "id": "x"})
        assert page.code == 403 and "safety token" in page.text, path


@pytest_twisted.ensureDeferred
async def test_a_session_from_before_a_password_change_is_refused():
    admin = Admin()
    await admin.login()
    assert (await admin.get("/")).code == 200
    admin.users.load([WebUser(ADA, CHEAP.hash("a new password"), ADMIN),
                      *[u for u in admin.users.users.values() if u.name != ADA]])
    page = await admin.get("/")
    assert page.code == 303 and page.header("location").startswith("/admin/login")
    assert (await admin.login()).code == 403, "the old password is wrong now"
    assert (await admin.login(password="a new password")).code == 303
    assert (await admin.get("/")).code == 200


@pytest_twisted.ensureDeferred
async def test_a_removed_user_and_a_changed_role_take_effect_at_once():
    admin = Admin()
    await admin.login()
    admin.users.load([WebUser(ADA, admin.users.get(ADA).password_hash, ANALYST)])
    page = await admin.get("/switches")
    assert page.code == 200 and "ada (analyst)" in page.text and "Switch off" not in page.text
    admin.users.load([])
    assert (await admin.get("/")).code == 303


@pytest_twisted.ensureDeferred
async def test_sessions_end_when_idle_and_when_old():
    admin = Admin()
    await admin.login()
    admin.clock.advance(IDLE - 1)
    assert (await admin.get("/")).code == 200
    admin.clock.advance(IDLE)
    assert (await admin.get("/")).code == 303, "idle too long"
    await admin.login()
    for _ in range(LIFETIME // (IDLE - 60) + 1):
        admin.clock.advance(IDLE - 60)
        page = await admin.get("/")
    assert page.code == 303, "at most LIFETIME, however busy"


@pytest_twisted.ensureDeferred
async def test_logout_ends_the_session():
    admin = Admin()
    await admin.login()
    kept = dict(admin.jar)
    page = await admin.post("/logout", {"action": "logout"})
    assert page.code == 303 and page.header("location") == "/admin/login"
    assert any("Max-Age=0" in c for c in page.set_cookies)
    admin.jar = kept
    assert (await admin.get("/")).code == 303, "the old cookie no longer works"


@pytest_twisted.ensureDeferred
async def test_a_session_in_the_token_header_is_refused():
    """Klein takes a session from X-Auth-Token too, without a CSRF check:
    here only cookies carry sessions."""
    admin = Admin()
    await admin.login()
    (identifier,) = admin.jar.values()
    page = await admin.request("GET", "/", cookies=False,
                               headers={"X-INSECURE-Auth-Token": identifier})
    assert page.code == 403 and "did not come with a live session" in page.text


@pytest_twisted.ensureDeferred
async def test_sessions_are_bounded():
    admin = Admin()
    sessions = admin.site.sessions
    sessions.capacity = 5
    for _ in range(12):
        admin.jar.clear()
        await admin.get("/login")
    assert len(sessions.made) == 5 and len(sessions.memory._insecureStorage) == 5


CHANGES = [
    ("/switches", {"kind": "service", "action": "off"}),
    ("/directory/operator", {"jid": "nina@shop.test", "name": "Nina"}),
    ("/directory/node", {"node": "sales", "action": "delete"}),
    ("/directory/group", {"node": "sales", "group": "first", "action": "delete"}),
    ("/directory/faq", {"id": "hours", "question": "Q?", "answer": "A."}),
    ("/directory/webhook", {"id": "crm", "url": "https://crm.example/h",
                            "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}),
]


@pytest.mark.parametrize(("path", "data"), CHANGES, ids=[c[0] for c in CHANGES])
@pytest_twisted.ensureDeferred
async def test_an_analyst_reads_but_every_change_is_403(path, data):
    admin = Admin()
    await admin.login(ALAN)
    before = admin.core.directory
    for read in ("/", "/stats", "/chats", "/directory", "/switches"):
        page = await admin.get(read)
        assert page.code == 200, read
        assert "Save" not in page.text and "Switch off" not in page.text, read
    page = await admin.post(path, data, await admin.get("/directory"))
    assert page.code == 403 and "may read these pages but not change" in page.text
    assert admin.core.directory == before and not admin.core.switching.switches.off
    assert await admin.store.webhooks() == []


@pytest_twisted.ensureDeferred
async def test_without_web_users_the_form_says_how_to_add_them():
    admin = Admin(web_users=[])
    page = await admin.get("/login")
    assert page.code == 200 and "add [[web_users]] to the configuration file" in page.text
    assert "No web users" not in (await Admin(web_users=users(x=ADMIN)).get("/login")).text


@pytest_twisted.ensureDeferred
async def test_tries_sent_at_once_are_checked_one_at_a_time_per_address():
    """A check in a thread takes time: a second try from the address while
    the first is checked is refused unchecked, so a burst cannot pass the
    slowdown before its first failure counts."""
    from twisted.internet.defer import Deferred

    admin = Admin()
    held: list[Deferred] = []

    def later(work):
        d = Deferred()
        held.append(d)
        return d.addCallback(lambda _: work())
    admin.users.run = later
    form = await admin.get("/login")
    data = {"name": ADA, "password": "wrong password", CSRF: form.csrf()}
    first = admin.treq.request("POST", "http://x/admin/login", data=data,
                               headers={"Cookie": f"{COOKIE.decode()}={admin.jar[COOKIE.decode()]}",
                                        "Content-Type": "application/x-www-form-urlencoded"},
                               allow_redirects=False)
    page = await admin.request("POST", "/login", data=data)
    assert page.code == 429 and "is being checked" in page.text
    assert len(held) == 1
    held[0].callback(None)
    admin.agent.flush()
    assert (await first).code == 403


@pytest_twisted.ensureDeferred
async def test_password_checks_take_turns():
    """At most two argon2 checks at once (each takes its memory); the rest wait."""
    from twisted.internet.defer import Deferred

    admin = Admin()
    held: list[Deferred] = []

    def later(work):
        d = Deferred()
        held.append(d)
        return d.addCallback(lambda _: work())
    admin.users.run = later
    checks = [admin.users.check(ADA, f"guess {i}") for i in range(4)]
    checks.append(admin.users.check(ADA, PASSWORDS[ADA]))
    assert len(held) == 2
    for i in range(5):
        held[i].callback(None)
        assert len(held) == min(5, i + 3)
    assert [await c for c in checks][:4] == [None] * 4
    assert (await checks[4]).name == ADA
