"""
The directory page in real headless Chromium: an admin adds an operator
the service has never heard of and puts her into the node's group in place
of the one configured at start; the running service asks for her presence
at once, and a visitor's question through the widget is offered to her on
her own IM client (slixmpp). Deleting an operator asks first; dismissing
the question keeps him. An analyst sees the same directory with no form to
change it. Screenshots of each step go to the test's output directory.
"""
from __future__ import annotations

from tests.browser.admin import ADMIN, ANALYST, USERS, log_in
from tests.browser.widget import CHAT1, Widget, service_for_shop

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture says so (a skip, or a failure under CI)
    expect = None


def edit_form(page, summary: str):
    """The form under the directory's ``<details>`` with this summary, opened."""
    details = page.locator("details", has=page.locator("summary", has_text=summary))
    details.locator("summary").click()
    return details.locator("form")


def test_an_operator_added_on_the_directory_page_gets_the_next_chat(
        browser, context, shots, host_page, start_imsupport, xmpp_client):
    shop = host_page()
    ivan = xmpp_client("ivan")
    nina = xmpp_client("nina")
    service = service_for_shop(start_imsupport, shop, ivan, extra_toml=USERS)

    admin = context().new_page()
    log_in(admin, service.base_url, ADMIN)
    admin.get_by_role("link", name="Directory").click()
    operators = admin.locator("section", has=admin.get_by_role("heading", name="Operators"))
    expect(operators.locator("tbody tr")).to_have_count(1)
    shots(admin, "the directory as configured")

    # a new operator, then the group with her instead of Ivan
    form = edit_form(admin, "Add an operator")
    form.get_by_label("Address").fill(nina.bare)
    form.get_by_label("Display name").fill("Nina")
    form.get_by_label("Languages").fill("en ru")
    shots(admin, "a new operator filled in")
    form.get_by_role("button", name="Save").click()
    expect(admin.locator("main")).to_contain_text(f"Operator {nina.bare} saved.")
    expect(operators.locator("tbody tr")).to_have_count(2)
    expect(operators.locator("tbody")).to_contain_text("Nina")
    form = edit_form(admin, "Edit group first")
    form.get_by_label("Operators").fill(nina.bare)
    form.get_by_role("button", name="Save").click()
    expect(admin.locator("main")).to_contain_text("saved.")
    expect(admin.locator("section.entry table")).to_contain_text("Nina")
    expect(admin.locator("section.entry table")).not_to_contain_text("Ivan")
    shots(admin, "nina in the group", full_page=True)

    # the service asked for her presence (her client agreed), and offers her the chat
    visitor = context().new_page()
    widget = Widget(visitor, shop).open()
    widget.start("Do you ship to Kazan?", name="Oleg")
    invitation = nina.wait_message(CHAT1, contains="New chat #1", timeout=20)
    assert "Do you ship to Kazan?" in invitation.body
    nina.send_message(CHAT1, "Yes, in three days.")
    expect(widget.log()).to_contain_text("Yes, in three days.")
    expect(widget.locator("#status")).to_have_text("You are talking to Nina")
    shots(visitor, "the visitor talks to nina")
    assert not [m for m in ivan.messages() if "New chat" in m.body], "Ivan is out of the group"

    # deleting asks first: dismissed, Ivan stays; accepted, he is gone
    form = edit_form(admin, f"Edit {ivan.bare}")
    admin.once("dialog", lambda dialog: dialog.dismiss())
    form.get_by_role("button", name="Delete").click()
    expect(operators.locator("tbody tr")).to_have_count(2)
    admin.once("dialog", lambda dialog: dialog.accept())
    form.get_by_role("button", name="Delete").click()
    expect(admin.locator("main")).to_contain_text(f"Operator {ivan.bare} deleted.")
    expect(operators.locator("tbody tr")).to_have_count(1)
    expect(operators.locator("tbody")).not_to_contain_text(ivan.bare)
    shots(admin, "ivan deleted")

    # an analyst reads the same directory and has nothing to change it with
    analyst = context().new_page()
    log_in(analyst, service.base_url, ANALYST)
    analyst.goto(service.base_url + "/admin/directory")
    expect(analyst.locator("main")).to_contain_text("Nina")
    assert analyst.locator("main form").count() == 0
    assert analyst.locator("details.edit").count() == 0
    shots(analyst, "the directory for an analyst")
