"""
The admin site's defences in real headless Chromium (issue 11, items 4
and 5): a visitor's hostile name and words stay text for the operator's IM
client, on the live dashboard and on the transcript, with no dialog and no
CSP violation in any page; a forged form on another site (and on another
origin of the same site), sent from the signed-in admin's browser, is
refused and switches nothing; a wrong password gets the polite answer and,
after a few, the slowdown; a session from before a password change (the
service restarted with the new [[web_users]]) is refused.
"""
from __future__ import annotations

import json
import urllib.request

from imsupport.web.admin.login import WRONG
from tests.browser.admin import ADMIN, USERS, Watch, log_in
from tests.browser.widget import CHAT1, Widget, service_for_shop

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture says so (a skip, or a failure under CI)
    expect = None

NAME = "<img src=x onerror=alert(1)>"
WORDS = "<script>alert(2)</script>"

FORGED = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>You have won a prize</title></head>
<body><h1>You have won a prize!</h1>
<form id="prize" method="post" action="{service}/admin/switches">
<input type="hidden" name="kind" value="node"><input type="hidden" name="node" value="{node}">
<input type="hidden" name="mode" value="hard"><input type="hidden" name="action" value="off">
<input type="hidden" name="__csrf_protection__" value="guessed">
</form>
<script>document.getElementById("prize").submit();</script>
</body></html>
"""


def node_open(service) -> bool:
    with urllib.request.urlopen(f"{service.base_url}/chat/sales/status", timeout=10) as r:
        return bool(json.loads(r.read())["open"])


def test_hostile_names_and_words_stay_text_everywhere(
        browser, context, shots, host_page, start_imsupport, xmpp_client):
    shop = host_page()
    ivan = xmpp_client("ivan")
    service = service_for_shop(start_imsupport, shop, ivan, extra_toml=USERS)
    staff = context()
    watch = Watch(staff)
    dashboard = staff.new_page()
    log_in(dashboard, service.base_url, ADMIN)
    expect(dashboard.locator("#live")).to_contain_text("Nobody is waiting.")

    visitors = context()
    visitor_watch = Watch(visitors)
    visitor = visitors.new_page()
    widget = Widget(visitor, shop).open()
    widget.start(WORDS, name=NAME)
    expect(widget.log()).to_contain_text(WORDS)
    shots(visitor, "the hostile visitor's chat")

    # the operator's IM client gets the very characters
    invitation = ivan.wait_message(CHAT1, contains="New chat #1", timeout=15)
    assert f"{NAME} (web chat " in invitation.body
    assert WORDS in invitation.body

    # the dashboard, redrawn live by its script, shows them as text
    queued = dashboard.locator("section.node table")
    expect(queued).to_contain_text(NAME)
    expect(queued).to_contain_text(WORDS)
    shots(dashboard, "dashboard live with the hostile chat queued")
    ivan.send_message(CHAT1, "Hello, how can I help?")
    expect(widget.log()).to_contain_text("how can I help?")
    widget.say(f"again {WORDS}")
    assert ivan.wait_message(CHAT1, contains="again").body == f"again {WORDS}"
    expect(dashboard.locator("#live")).to_contain_text("In chats: 1")
    # and as the server draws it
    dashboard.reload()
    active = dashboard.locator("section.node table")
    expect(active).to_contain_text(NAME)
    expect(active).to_contain_text("Ivan")
    shots(dashboard, "dashboard as served with the hostile chat active")

    # the transcript
    transcript = staff.new_page()
    transcript.goto(f"{service.base_url}/admin/chats/1")
    events = transcript.locator("ol.events")
    expect(events).to_contain_text(f"{NAME} (web chat ")
    expect(events.locator("li.client").first).to_contain_text(WORDS)
    expect(events).to_contain_text(f"again {WORDS}")
    expect(transcript.locator("dl.facts")).to_contain_text(NAME)
    shots(transcript, "transcript with the hostile text", full_page=True)

    for page in (dashboard, transcript):
        assert page.locator("main img").count() == 0
        assert page.locator("main script").count() == 0
        assert page.evaluate("() => document.querySelectorAll('img[src=\"x\"]').length") == 0
    watch.quiet(transcript)
    visitor_watch.quiet(visitor)


def test_a_forged_form_from_elsewhere_changes_nothing(
        browser, context, shots, host_page, start_imsupport, xmpp_client):
    shop = host_page()
    ivan = xmpp_client("ivan")
    service = service_for_shop(start_imsupport, shop, ivan, extra_toml=USERS)
    admin = context()
    page = admin.new_page()
    log_in(page, service.base_url, ADMIN)
    expect(page.locator("header")).to_contain_text("boss (admin)")
    posts: list[tuple[str, int, str]] = []
    page.on("response", lambda r: posts.append((r.url, r.status, r.headers["content-type"]))
            if r.request.method == "POST" else None)

    # another site: SameSite keeps the session's cookie back
    elsewhere = host_page(service.base_url, page=FORGED)
    page.goto(elsewhere.url)
    expect(page).to_have_url(f"{service.base_url}/admin/switches")
    expect(page.locator("h1")).to_have_text("Not accepted")
    expect(page.locator("main")).to_contain_text("did not come with a live session")
    shots(page, "a form from another site is refused")

    # another origin of the same site (a port of 127.0.0.1): the cookie
    # comes along, the CSRF token it cannot know is missing
    nearby = host_page(service.base_url, page=FORGED, host="127.0.0.1")
    assert nearby.origin != service.base_url
    page.goto(nearby.url)
    expect(page).to_have_url(f"{service.base_url}/admin/switches")
    expect(page.locator("h1")).to_have_text("Not accepted")
    expect(page.locator("main")).to_contain_text("did not carry this site's safety token")
    expect(page.locator("main")).not_to_contain_text("guessed")  # nothing it sent is shown
    shots(page, "a form from another origin of the site is refused")
    assert [status for _, status, _ in posts] == [403, 403], posts
    assert all(u == f"{service.base_url}/admin/switches" for u, _, _ in posts), posts
    assert all(kind.startswith("text/html") for _, _, kind in posts), posts

    # nothing changed, and the admin is still signed in
    assert node_open(service)
    page.goto(f"{service.base_url}/admin/switches")
    row = page.locator("tr").filter(has=page.get_by_role("cell", name="node sales",
                                                         exact=True))
    expect(row.locator("td").nth(1)).to_have_text("on")
    expect(page.locator("header")).to_contain_text("boss (admin)")
    shots(page, "the node is still on")
    # the same fields from the site's own form do switch it (the forged ones were right)
    row.get_by_label("how").select_option("hard")
    row.get_by_role("button", name="Switch off").click()
    expect(page.locator("p.note")).to_have_text("node:sales switched off (hard).")
    assert not node_open(service)


def test_wrong_passwords_slow_down_and_a_changed_password_ends_sessions(
        browser, context, shots, start_imsupport):
    service = start_imsupport(extra_toml=USERS)
    page = context().new_page()
    for attempt in range(4):
        log_in(page, service.base_url, (ADMIN[0], f"not it {attempt}"))
        expect(page.locator("p.error")).to_have_text(WRONG)
        expect(page.get_by_label("Name")).to_have_value(ADMIN[0])
        if attempt == 0:
            shots(page, "a wrong password")
    # the fifth try right away waits, unchecked, whatever it says
    log_in(page, service.base_url, ADMIN)
    expect(page.locator("p.error")).to_contain_text(
        "Too many wrong passwords came from your address. Please wait 1 second, then try again.")
    shots(page, "too many wrong passwords")
    page.wait_for_timeout(1_200)
    log_in(page, service.base_url, ADMIN)
    expect(page).to_have_url(f"{service.base_url}/admin/")
    expect(page.locator("header")).to_contain_text("boss (admin)")

    # a signed-in session, then the password changes (a restart takes it in)
    before = context()
    old = before.new_page()
    log_in(old, service.base_url, ADMIN)
    expect(old.locator("header")).to_contain_text("boss (admin)")
    old.goto(f"{service.base_url}/admin/switches")
    shots(old, "signed in before the change")
    changed = service.config_text.replace('password = "boss password 1"',
                                          'password = "boss password 2"')
    assert changed != service.config_text
    service.set_config(changed)
    service.restart()
    old.reload()
    expect(old).to_have_url(f"{service.base_url}/admin/login?next=%2Fadmin%2Fswitches")
    shots(old, "the old session is refused")
    log_in(old, service.base_url, ADMIN)
    expect(old.locator("p.error")).to_have_text(WRONG)
    log_in(old, service.base_url, (ADMIN[0], "boss password 2"))
    expect(old).to_have_url(f"{service.base_url}/admin/")
    expect(old.locator("header")).to_contain_text("boss (admin)")
    shots(old, "in with the new password")
