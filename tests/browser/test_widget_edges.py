"""
The web chat's edges in real headless Chromium (issue 11, items 1, 4, 5):
hostile text stays text in the page and on the operator's IM client, a
node switched off says so in the widget, the widget works at a phone's
width with the keyboard alone and in Russian, and a file over the limit is
refused with the limit in the visitor's language.
"""
from __future__ import annotations

import json
import urllib.request

from tests.browser.widget import CHAT1, Widget, service_for_shop
from tests.e2e.test_api import TOKENS
from tests.e2e.test_api import call as api

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture says so (a skip, or a failure under CI)
    expect = None

XSS = "<img src=x onerror=alert(1)>"
XSS_OPERATOR = "<script>alert(2)</script><img src=x onerror=alert(3)>"


def test_hostile_text_is_text_in_the_page_and_for_the_operator(
        browser, context, shots, host_page, start_imsupport, xmpp_client):
    shop = host_page()
    ivan = xmpp_client("ivan")
    service_for_shop(start_imsupport, shop, ivan)
    page = context().new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    widget = Widget(page, shop).open()
    widget.start(f"Help {XSS}", name=XSS, languages=("en", "ru"))
    expect(widget.log()).to_contain_text(f"Help {XSS}")

    invitation = ivan.wait_message(CHAT1, contains="New chat #1", timeout=15)
    assert f"Help {XSS}" in invitation.body
    assert "Languages: en, ru" in invitation.body  # in the order chosen
    assert f"{XSS} (web chat " in invitation.body  # the name, as the operator reads it
    ivan.send_message(CHAT1, XSS_OPERATOR)
    expect(widget.log()).to_contain_text(XSS_OPERATOR)
    widget.say(f"again {XSS}")
    assert ivan.wait_message(CHAT1, contains="again").body == f"again {XSS}"
    shots(page, "hostile text shown as text")

    frame = page.frames[1]
    assert frame.locator("#log img").count() == 0
    assert frame.locator("#log script").count() == 0
    assert frame.evaluate("() => document.querySelectorAll('img[src=\"x\"]').length") == 0
    page.wait_for_timeout(500)
    assert dialogs == []


def test_a_switched_off_node_says_so_in_the_widget(
        browser, context, shots, host_page, start_imsupport, xmpp_client):
    shop = host_page()
    ivan = xmpp_client("ivan")
    service = service_for_shop(start_imsupport, shop, ivan, extra_toml=TOKENS)
    code, _ = api(service, "POST", "/switch",
                  {"target": {"node": "sales"}, "on": False, "mode": "hard"})
    assert code == 200
    page = context().new_page()
    widget = Widget(page, shop).open()
    closed = widget.locator("#closed")
    expect(closed).to_be_visible()
    with urllib.request.urlopen(f"{service.base_url}/chat/sales/status", timeout=10) as r:
        status = json.loads(r.read())
    assert status["open"] is False and status["reason"] == "off"
    expect(widget.locator("#closed-message")).to_have_text(status["message"])
    expect(widget.locator("#start")).to_be_hidden()
    shots(page, "node switched off")

    assert api(service, "POST", "/switch", {"target": {"node": "sales"}, "on": True,
                                            "mode": "soft"})[0] == 200
    widget.locator("#retry").click()
    expect(widget.locator("#start")).to_be_visible()
    shots(page, "node on again")


def test_a_phone_with_the_keyboard_alone_in_russian(
        browser, context, shots, host_page, start_imsupport, xmpp_client):
    shop = host_page(lang="ru")
    ivan = xmpp_client("ivan")
    service_for_shop(start_imsupport, shop, ivan)  # the default limit: 20 MB
    page = context(viewport={"width": 360, "height": 740}, is_mobile=True,
                   has_touch=True, locale="ru-RU").new_page()
    widget = Widget(page, shop)
    page.goto(shop.url)
    expect(widget.launcher()).to_have_accessible_name("Написать нам")
    shots(page, "phone shop page")

    page.keyboard.press("Tab")  # the widget's button is the page's only control
    assert page.evaluate("() => document.activeElement.dataset.imsupportWidget") == "sales"
    page.keyboard.press("Enter")
    question = widget.locator("#start-question")
    expect(question).to_be_focused()
    panel = page.locator("[data-imsupport-widget]").locator(".panel").bounding_box()
    assert (panel["width"], panel["height"]) == (360, 740)  # full screen on a phone
    expect(widget.locator("#start-intro")).to_contain_text("оператор")  # the service's, in Russian
    page.keyboard.type("Где мой заказ?")
    shots(page, "phone form")
    page.keyboard.press("Tab")  # from the question to the start button
    expect(widget.locator("#start-send")).to_be_focused()
    page.keyboard.press("Enter")
    expect(widget.log()).to_contain_text("Где мой заказ?")
    expect(widget.locator("#status")).to_contain_text("в очереди")
    expect(widget.locator("#text")).to_be_focused()

    invitation = ivan.wait_message(CHAT1, contains="New chat #1", timeout=15)
    assert "Languages: ru\n" in invitation.body  # the page's language first by default
    ivan.send_message(CHAT1, "Здравствуйте! Сейчас посмотрю.")
    expect(widget.log()).to_contain_text("Сейчас посмотрю.")
    page.keyboard.type("Спасибо")
    page.keyboard.press("Enter")
    assert ivan.wait_message(CHAT1, contains="Спасибо").body == "Спасибо"
    shots(page, "phone chat")

    # 21 MB, over [web] max_upload_bytes: said in Russian, with the limit
    widget.locator("#file").set_input_files(files=[{
        "name": "big.bin", "mimeType": "application/octet-stream",
        "buffer": b"\0" * 21_000_000}])
    expect(widget.locator("#composer-error")).to_have_text(
        "big.bin слишком большой: можно до 20 МБ.")
    shots(page, "phone file too large")

    # the keyboard closes the widget too
    page.keyboard.press("Escape")
    expect(page.locator("[data-imsupport-widget]").locator(".panel")).to_be_hidden()
    assert page.evaluate("() => document.activeElement.dataset.imsupportWidget") == "sales"
