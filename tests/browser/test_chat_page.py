"""
The chat page opened by itself (``/chat/{node}``, first party: its own
storage) in real headless Chromium: a reload resumes the stream after the
last event shown (``last``), a dropped connection (the service restarts)
loses nothing and repeats nothing, and the screenshot editor works with
the keyboard alone on an image file, its black rectangle pure black in the
stored image; a delayed capture counts down and can be cancelled.
"""
from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

from tests.browser.hostpage import HostPage
from tests.browser.widget import (
    CHAT1,
    IMAGE_STATS,
    Widget,
    pattern,
    png,
    service_for_shop,
)
from tests.e2e.test_chat_path import metrics
from tests.metricstext import has

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture says so (a skip, or a failure under CI)
    expect = None

# The pixels of the editor's keyboard frame after the keys pressed below,
# on a 640 x 400 image: it starts at (w/4, h/4), w/4 wide and h/6 high, and
# moves and grows by 13 px (the larger side / 50) a key.
FRAME = {"x": 160, "y": 113, "w": 186, "h": 67}


def busy(service, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not has(metrics(service), 'imsupport_operators{state="busy"}', 1):
        assert time.monotonic() < deadline, metrics(service)
        time.sleep(0.1)


def chat_with(start_imsupport, xmpp_client, context, choosers=None, **kw):
    ivan = xmpp_client("ivan")
    service = service_for_shop(start_imsupport, HostPage(), ivan, **kw)
    page = context().new_page()
    if choosers is not None:
        page.on("filechooser", lambda chooser: choosers.append(chooser))
    streams: list[str] = []
    page.on("request", lambda r: streams.append(r.url) if "/events?" in r.url else None)
    page.goto(f"{service.base_url}/chat/sales")
    chat = Widget(page, None)
    chat.start("My parcel is broken", name="Anna")
    ivan.wait_message(CHAT1, contains="New chat #1", timeout=15)
    ivan.send_message(CHAT1, "Hello Anna, I am sorry to hear that.")
    expect(chat.log()).to_contain_text("I am sorry to hear that.")
    return service, ivan, page, chat, streams


def test_a_reload_and_a_dropped_connection_lose_and_repeat_nothing(
        browser, context, shots, start_imsupport, xmpp_client):
    service, ivan, page, chat, streams = chat_with(start_imsupport, xmpp_client, context)
    assert "last" not in parse_qs(urlparse(streams[0]).query)
    chat.say("Can you send a new one?")
    ivan.wait_message(CHAT1, contains="send a new one")
    before = chat.bubbles()
    shots(page, "before the reload")

    page.reload()
    expect(chat.log()).to_contain_text("Can you send a new one?")
    assert chat.bubbles() == before  # from the tab's own copy ...
    last = parse_qs(urlparse(streams[-1]).query)["last"][0]
    assert last.startswith("1:") and int(last.split(":")[1]) > 3  # ... and the rest after it
    ivan.send_message(CHAT1, "Yes, it leaves tomorrow.")
    expect(chat.log()).to_contain_text("it leaves tomorrow")
    assert chat.bubbles()[:len(before)] == before
    shots(page, "after the reload")

    # the connection drops (the service restarts); what is said before the
    # page is back arrives once, after what it had
    service.stop()
    expect(chat.locator("#status")).to_have_text("Connection lost; reconnecting…")
    shots(page, "connection lost")
    service.start()
    busy(service)  # Ivan is back in the restored chat
    ivan.send_message(CHAT1, "Said while you were away.")
    expect(chat.log()).to_contain_text("Said while you were away.")
    expect(chat.locator("#status")).to_have_text("You are talking to Ivan")
    texts = chat.bubbles()
    assert texts[:len(before)] == before
    assert sum("Said while you were away." in t for t in texts) == 1
    assert len(texts) == len(set(texts)), texts
    shots(page, "back")


def test_redaction_with_the_keyboard_alone_on_an_image_file(
        browser, context, shots, start_imsupport, xmpp_client):
    choosers: list = []  # listened to from the start: a key press beats expect_file_chooser
    service, ivan, page, chat, _ = chat_with(start_imsupport, xmpp_client, context,
                                             choosers=choosers)
    chat.locator("#shot").focus()
    page.keyboard.press("Enter")  # the menu opens on its first item
    expect(chat.get_by_role("menuitem", name="Take a screenshot now")).to_be_focused()
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    expect(chat.get_by_role("menuitem", name="Use an image file")).to_be_focused()
    page.keyboard.press("Enter")
    deadline = time.monotonic() + 10
    while not choosers and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert choosers, "the image file menu item opened no file chooser"
    choosers[0].set_files(files=[{"name": "photo.png", "mimeType": "image/png",
                                  "buffer": png(640, 400, pattern)}])
    canvas = chat.locator("dialog.editor canvas")
    expect(canvas).to_be_focused()
    shots(page, "editor with the keyboard frame")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # black out the frame
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # Black out, Blur
    expect(chat.get_by_role("button", name="Blur")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(canvas).to_be_focused()
    for _ in range(12):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")  # blur the frame there
    counted = chat.locator("dialog.editor .count")
    expect(counted).to_have_text("Hidden areas: 2")
    page.keyboard.press("Control+z")
    expect(counted).to_have_text("Hidden areas: 1")
    page.keyboard.press("Enter")
    expect(counted).to_have_text("Hidden areas: 2")
    shots(page, "redacted with the keyboard")
    chat.get_by_role("button", name="Send the screenshot").focus()
    page.keyboard.press("Enter")
    link = ivan.wait_message(CHAT1, contains="screenshot-", timeout=15).body.split()[-1]
    expect(chat.log()).to_contain_text("File: screenshot-")
    expect(chat.locator("#shot")).to_be_focused()

    inner = {"x": FRAME["x"] + 1, "y": FRAME["y"] + 1, "w": FRAME["w"] - 2,
             "h": FRAME["h"] - 2}
    stats = page.evaluate(f"args => ({IMAGE_STATS})(args)", [link, inner])
    assert (stats["width"], stats["height"]) == (640, 400)
    assert stats["notBlack"] == 0, stats
    # black exactly there: the pattern itself has no black pixel
    assert FRAME["w"] * FRAME["h"] <= stats["black"] <= (FRAME["w"] + 2) * (FRAME["h"] + 2)
    shots(page, "screenshot sent")

    # a capture in 3 seconds counts down, and Escape in the editor sends nothing
    ivan.clear()
    chat.locator("#shot").click()
    started = time.monotonic()
    chat.get_by_role("menuitem", name="Take it in 3 seconds").click()
    expect(chat.locator(".countdown")).to_contain_text("The screenshot is taken in")
    shots(page, "countdown")
    expect(canvas).to_be_visible(timeout=10_000)
    assert time.monotonic() - started >= 2.5
    page.keyboard.press("Escape")
    expect(canvas).to_be_hidden()
    ivan.expect_no_message(CHAT1, within=1.0)
    assert chat.locator("#log a").count() == 1
