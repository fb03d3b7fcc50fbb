"""
The web chat through the widget, in real headless Chromium (issue 11, item
5): a shop's page on another origin embeds the widget with one script tag;
the visitor asks, is queued, the operator (slixmpp on real Prosody) accepts
and answers, the visitor sees it, sends a file and a redacted screenshot
(the blacked-out part is black in the stored image), reloads the page in
the middle of the chat and sees all of it, and rates the chat after it is
closed. Screenshots of each step go to the test's output directory.
"""
from __future__ import annotations

import urllib.request

from tests.browser.widget import (
    CHAT1,
    IMAGE_STATS,
    Widget,
    db_rows,
    drag,
    service_for_shop,
)

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture says so (a skip, or a failure under CI)
    expect = None

RECEIPT = b"Order 1234\nPaid: 49.90 EUR\n" * 20


def test_a_visitor_chats_through_the_widget_on_a_shop_site(
        browser, context, shots, host_page, start_imsupport, xmpp_client):
    shop = host_page()
    ivan = xmpp_client("ivan")
    service = service_for_shop(start_imsupport, shop, ivan)
    page = context().new_page()
    widget = Widget(page, shop)

    # the shop's page, the button, the form
    page.goto(shop.url)
    expect(widget.launcher()).to_have_accessible_name("Chat with us")
    shots(page, "shop page with the widget button")
    widget.launcher().click()
    widget.locator("#start").wait_for()
    widget.locator("#start-name").fill("Anna Petrova")
    widget.locator("#start-question").fill("Hello, where is my order 1234?")
    shots(page, "pre-chat form filled in")
    widget.locator("#start-send").click()

    # queued; the operator is invited with the question and the visitor's name
    expect(widget.locator("#status")).to_contain_text("in the queue")
    expect(widget.log()).to_contain_text("Hello, where is my order 1234?")
    shots(page, "queued")
    invitation = ivan.wait_message(CHAT1, contains="New chat #1", timeout=15)
    assert "Hello, where is my order 1234?" in invitation.body
    assert "anna petrova (web chat " in invitation.body

    # the operator accepts by answering; typing notices; the visitor answers
    ivan.send_message(CHAT1, "Hi Anna!")
    expect(widget.log()).to_contain_text("Hi Anna!")
    expect(widget.locator("#status")).to_have_text("You are talking to Ivan")
    ivan.send_chatstate(CHAT1, "composing")
    expect(widget.locator("#typing")).to_have_text("Ivan is typing…")
    shots(page, "operator typing")
    ivan.send_message(CHAT1, "Let me check order 1234.")
    expect(widget.log()).to_contain_text("Let me check order 1234.")
    expect(widget.locator("#typing")).to_be_hidden()
    shots(page, "operator answered")
    widget.say("Thank you! Here is the receipt.")
    # the visitor's typing reaches the operator's IM client as a chat state
    assert ivan.wait_message(CHAT1, with_body=False, chatstate="composing")
    assert ivan.wait_message(CHAT1, contains="Here is the receipt").body.endswith("receipt.")

    # a file: it reaches the operator as a link to the same bytes
    widget.locator("#file").set_input_files(
        files=[{"name": "receipt.txt", "mimeType": "text/plain", "buffer": RECEIPT}])
    link = ivan.wait_message(CHAT1, contains="/f/", timeout=15).body.split()[-1]
    with urllib.request.urlopen(link, timeout=10) as response:
        assert response.read() == RECEIPT
    expect(widget.log()).to_contain_text("File: receipt.txt")
    shots(page, "file sent")

    # a screenshot of the shop's tab (getDisplayMedia), redacted: a black
    # and a blurred rectangle, and one more, undone
    widget.locator("#shot").click()
    shots(page, "screenshot menu")
    widget.get_by_role("menuitem", name="Take a screenshot now").click()
    canvas = widget.locator("dialog.editor canvas")
    expect(canvas).to_be_visible()
    size = canvas.evaluate("c => [c.width, c.height]")
    shots(page, "redaction editor")
    black = drag(page, canvas, 0.10, 0.15, 0.45, 0.40)
    widget.get_by_role("button", name="Blur").click()
    drag(page, canvas, 0.55, 0.55, 0.90, 0.85)
    drag(page, canvas, 0.05, 0.70, 0.30, 0.95)
    expect(widget.locator("dialog.editor .count")).to_have_text("Hidden areas: 3")
    widget.get_by_role("button", name="Undo").click()
    expect(widget.locator("dialog.editor .count")).to_have_text("Hidden areas: 2")
    shots(page, "screenshot redacted")
    widget.get_by_role("button", name="Send the screenshot").click()
    shot_link = ivan.wait_message(CHAT1, contains="screenshot-", timeout=15).body.split()[-1]
    expect(widget.log()).to_contain_text("File: screenshot-")
    shots(page, "screenshot sent")
    stats = widget.locator("#log").evaluate(
        f"(_, args) => ({IMAGE_STATS})(args)", [shot_link, black])
    assert [stats["width"], stats["height"]] == size
    assert stats["type"] in ("image/png", "image/webp")
    assert stats["notBlack"] == 0, stats  # pure black where it was blacked out
    assert stats["black"] >= black["w"] * black["h"]

    # a reload in the middle: the whole chat is there again
    ivan.send_message(CHAT1, "Your parcel leaves today.")
    expect(widget.log()).to_contain_text("Your parcel leaves today.")
    before = widget.bubbles()
    page.reload()
    expect(widget.log()).to_contain_text("Your parcel leaves today.")
    assert widget.bubbles() == before
    shots(page, "after a reload")
    ivan.send_message(CHAT1, "Anything else?")
    expect(widget.log()).to_contain_text("Anything else?")
    assert widget.bubbles()[:len(before)] == before

    # a second tab (no events cached): the chat from the service, all of it
    other = page.context.new_page()
    second = Widget(other, shop).open()
    expect(second.log()).to_contain_text("Anything else?")
    assert second.bubbles()[:len(before)] == before
    shots(other, "the same chat in a new tab")
    other.close()

    # the operator closes; the visitor rates
    ivan.send_message(CHAT1, "!close")
    rating = widget.locator("#rating")
    expect(rating).to_be_visible()
    expect(widget.locator("#status")).to_have_text("The chat is closed")
    shots(page, "rating form")
    widget.locator("label[for='star-5']").click()
    widget.locator("#rating-comment").fill("fast help")
    shots(page, "rating chosen")
    widget.get_by_role("button", name="Send the rating").click()
    expect(rating).to_be_hidden()
    expect(widget.log()).to_contain_text("Thank you for your rating (5 of 5)")
    shots(page, "rated")
    rows = db_rows(service, "SELECT kind, author, text FROM events WHERE chat_id = 1 "
                            "AND kind = 'rating'")
    assert rows and "5" in rows[0][2] and "fast help" in rows[0][2], rows

    # another question: the form again, and a new chat
    widget.locator("#new-chat").click()
    widget.start("One more question: do you ship abroad?")
    expect(widget.log()).to_contain_text("do you ship abroad?")
    assert "Let me check order 1234." not in widget.log().inner_text()
    second = ivan.wait_message(CHAT1.replace("+1@", "+2@"), contains="New chat #2", timeout=15)
    assert "do you ship abroad?" in second.body
    shots(page, "another question")
