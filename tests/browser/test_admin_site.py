"""
The admin and analyst site in real headless Chromium (issue 11, item 5):
a visitor chats through the widget on a shop's page and sends a picture,
an operator on slixmpp answers; then an analyst logs in, finds the chat by
a word of it in the archive, opens the transcript and sees the picture
shown, and the statistics page counts the chat in its tables and in its
Chart.js charts. An admin switches the node off on the switches page and
the widget, in another browser, says the node is closed (and opens again
once it is switched on). Screenshots of each step go to the test's output
directory.
"""
from __future__ import annotations

import re

from tests.browser.admin import ADMIN, ANALYST, USERS, Watch, log_in
from tests.browser.widget import CHAT1, Widget, pattern, png, service_for_shop

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture says so (a skip, or a failure under CI)
    expect = None

PICTURE = png(64, 48, pattern)

# A chart is drawn: Chart.js holds one for the canvas, and its pixels are
# not all blank.
DRAWN = """id => {
  const canvas = document.getElementById(id);
  if (!window.Chart || !window.Chart.getChart(canvas)) return false;
  const {width, height} = canvas;
  const pixels = canvas.getContext("2d").getImageData(0, 0, width, height).data;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i]) return true;
  return false;
}"""
# What a chart shows: its labels and its first data set (the chats).
CHART_DATA = """id => {
  const chart = window.Chart.getChart(document.getElementById(id));
  return {labels: chart.data.labels, chats: chart.data.datasets[0].data};
}"""


def test_an_analyst_finds_a_chat_and_sees_its_picture(
        browser, context, shots, host_page, start_imsupport, xmpp_client):
    shop = host_page()
    ivan = xmpp_client("ivan")
    service = service_for_shop(start_imsupport, shop, ivan, extra_toml=USERS)

    # the chat: a visitor through the widget, the operator on slixmpp
    visitor = context().new_page()
    widget = Widget(visitor, shop).open()
    widget.start("My geraniums arrived wilted, order 7781.", name="Olga")
    ivan.wait_message(CHAT1, contains="New chat #1", timeout=15)
    ivan.send_message(CHAT1, "Sorry to hear that, Olga. Could you send a photo?")
    expect(widget.log()).to_contain_text("Could you send a photo?")
    widget.locator("#file").set_input_files(
        files=[{"name": "wilted.png", "mimeType": "image/png", "buffer": PICTURE}])
    link = ivan.wait_message(CHAT1, contains="/f/", timeout=15).body.split()[-1]
    expect(widget.log()).to_contain_text("File: wilted.png")
    ivan.send_message(CHAT1, "Thank you, a new box leaves tomorrow.")
    expect(widget.log()).to_contain_text("a new box leaves tomorrow")
    shots(visitor, "the visitor's chat with the picture")

    # the analyst, in a browser of their own
    analyst = context()
    watch = Watch(analyst)
    page = analyst.new_page()
    page.goto(service.base_url + "/admin/chats")
    expect(page).to_have_url(f"{service.base_url}/admin/login?next=%2Fadmin%2Fchats")
    shots(page, "log-in form")
    page.get_by_label("Name").fill(ANALYST[0])
    page.get_by_label("Password").fill(ANALYST[1])
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(service.base_url + "/admin/chats")
    expect(page.locator("header")).to_contain_text("analyst (analyst)")
    shots(page, "the archive")

    page.get_by_label("Words").fill("geraniums")
    page.get_by_role("button", name="Search").click()
    results = page.locator("main table tbody tr")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("geraniums arrived wilted")
    expect(results.first).to_contain_text("olga (web chat ")
    shots(page, "search results")
    # a word that is in no chat finds nothing
    page.get_by_label("Words").fill("tulips")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("main table")).to_have_count(0)
    page.go_back()

    page.get_by_role("link", name="#1", exact=True).click()
    expect(page).to_have_url(service.base_url + "/admin/chats/1")
    events = page.locator("ol.events")
    expect(events).to_contain_text("My geraniums arrived wilted, order 7781.")
    expect(events).to_contain_text("Could you send a photo?")
    expect(events).to_contain_text("a new box leaves tomorrow")
    picture = events.locator("figure img")
    expect(picture).to_have_attribute("alt", "wilted.png")
    expect(picture).to_have_attribute("src", link.removeprefix(service.base_url))
    picture.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=picture.element_handle())
    assert picture.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [64, 48]
    expect(events.locator("figcaption a")).to_have_text(f"wilted.png ({len(PICTURE)} bytes)")
    shots(page, "the transcript with the picture", full_page=True)

    # the plain-text export has the same chat
    with page.expect_download() as download:
        page.get_by_role("link", name="plain text").click()
    text = open(download.value.path(), encoding="utf-8").read()
    assert "My geraniums arrived wilted, order 7781." in text
    assert "a new box leaves tomorrow" in text

    # the statistics count the chat, in the table and in Chart.js's charts
    page.get_by_role("link", name="Statistics").click()
    expect(page).to_have_url(re.compile(r"/admin/stats$"))
    by_node = page.locator("section", has=page.get_by_role("heading", name="By node"))
    expect(by_node.locator("tbody tr")).to_have_count(1)
    expect(by_node.locator("tbody tr").first).to_contain_text("sales")
    for name in ("chart-chats", "chart-waits", "chart-nodes"):
        page.wait_for_function(DRAWN, arg=name)
    assert page.evaluate(CHART_DATA, "chart-nodes") == {"labels": ["sales"], "chats": [1]}
    assert sum(page.evaluate(CHART_DATA, "chart-chats")["chats"]) == 1
    shots(page, "statistics with their charts", full_page=True)
    watch.quiet(page)


def test_an_admin_switches_the_node_off_and_the_widget_says_so(
        browser, context, shots, host_page, start_imsupport, xmpp_client):
    shop = host_page()
    ivan = xmpp_client("ivan")
    service = service_for_shop(start_imsupport, shop, ivan, extra_toml=USERS)
    visitor = context().new_page()
    widget = Widget(visitor, shop).open()
    expect(widget.locator("#start")).to_be_visible()
    shots(visitor, "the widget while the node is on")

    admin = context().new_page()
    log_in(admin, service.base_url, ADMIN)
    expect(admin.locator("header")).to_contain_text("boss (admin)")
    admin.get_by_role("link", name="Switches").click()
    row = admin.locator("tr").filter(
        has=admin.get_by_role("cell", name="node sales", exact=True))
    expect(row).to_contain_text("on")
    shots(admin, "the switches page")
    row.get_by_label("how").select_option("hard")
    row.get_by_role("button", name="Switch off").click()
    expect(admin.locator("p.note")).to_have_text("node:sales switched off (hard).")
    expect(row.locator("td").nth(1)).to_have_text("off")
    shots(admin, "node switched off")

    # a visitor opening the widget now (another browser) is told it is closed
    late = context().new_page()
    closed = Widget(late, shop).open()
    expect(closed.locator("#closed")).to_be_visible()
    expect(closed.locator("#closed-message")).to_contain_text("is not available now")
    expect(closed.locator("#start")).to_be_hidden()
    shots(late, "the widget says the node is closed")
    # and the one whose form was open when it happened, once they try
    widget.start("Is anybody there?")
    expect(widget.locator("#closed")).to_be_visible()
    shots(visitor, "the open form is told too")

    # on again: the widget's retry gets the form back
    row.get_by_role("button", name="Switch on").click()
    expect(admin.locator("p.note")).to_have_text("node:sales switched on.")
    closed.locator("#retry").click()
    expect(closed.locator("#start")).to_be_visible()
    shots(late, "the widget after the node is on again")
