"""
Helpers for the browser tests of the web chat widget: a service with one
operator and the shop's page allowed to embed it, the widget's chat (the
iframe inside the shop's page) driven like a visitor would, and checks on
images made in the browser and stored by the service.
"""
from __future__ import annotations

import sqlite3
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser.hostpage import HostPage
from tests.e2e.service import ImsupportProcess
from tests.e2e.test_chat_path import COMPONENT, nodes_toml, operator_rows
from tests.e2e.test_chat_path import wait_operator_followed as followed
from tests.e2e.xmppclient import TestClient

CHAT1 = f"sales+1@{COMPONENT}"


def service_for_shop(start_imsupport: Callable[..., ImsupportProcess], host: HostPage,
                     *operators: TestClient, web_toml: str = "",
                     **kw: Any) -> ImsupportProcess:
    """The service with ``operators`` in node sales, embeddable by ``host``."""
    service = start_imsupport(
        nodes_toml(*(o.bare for o in operators)), operators=operator_rows(*operators),
        web_toml=f'widget_origins = ["{host.origin}"]\n{web_toml}', **kw)
    host.service = service.base_url
    for operator in operators:
        followed(service, operator)
    return service


class Widget:
    """The shop's page with the widget, seen through Playwright; or, with
    no host page, the chat page opened by itself."""

    def __init__(self, page: Any, host: HostPage | None) -> None:
        self.page = page
        self.host = host
        # the chat is in the widget's iframe, or (without a host page) the page itself
        self.frame = page.frame_locator("iframe") if host is not None else page

    def open(self) -> Widget:
        assert self.host is not None
        self.page.goto(self.host.url)
        self.launcher().click()
        return self

    def launcher(self) -> Any:
        return self.page.locator("[data-imsupport-widget]").locator("button.launcher")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.frame, name)  # get_by_label, locator, ...

    def start(self, question: str, name: str = "", languages: tuple[str, ...] = ()) -> None:
        f = self.frame
        f.locator("#start").wait_for()
        if name:
            f.locator("#start-name").fill(name)
        for i, lang in enumerate(languages):
            f.locator(f"select[data-index='{i}']").select_option(lang)
        f.locator("#start-question").fill(question)
        f.locator("#start-send").click()

    def say(self, text: str) -> None:
        box = self.frame.locator("#text")
        box.fill(text)
        box.press("Enter")

    def log(self) -> Any:
        return self.frame.locator("#log")

    def bubbles(self) -> list[str]:
        return [t.strip() for t in self.frame.locator("#log li").all_inner_texts()]


# -- images -----------------------------------------------------------------------

def png(width: int, height: int, pixel: Callable[[int, int], tuple[int, int, int]]) -> bytes:
    """An RGB PNG, written by hand (no imaging library needed)."""
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def pattern(x: int, y: int) -> tuple[int, int, int]:
    """Colourful everywhere, never black: any black pixel was blacked out."""
    return (40 + (x * 7) % 200, 40 + (y * 5) % 200, 40 + ((x + y) * 3) % 200)


# What the browser decodes from a stored image: its size, the pixels of a
# rectangle that are not pure black, and how many of all are pure black.
IMAGE_STATS = """async ([url, r]) => {
  const blob = await (await fetch(url)).blob();
  const bitmap = await createImageBitmap(blob);
  const canvas = document.createElement("canvas");
  canvas.width = bitmap.width; canvas.height = bitmap.height;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(bitmap, 0, 0);
  const inner = ctx.getImageData(r.x, r.y, r.w, r.h).data;
  let notBlack = 0;
  for (let i = 0; i < inner.length; i += 4) {
    if (inner[i] || inner[i + 1] || inner[i + 2]) notBlack += 1;
  }
  const all = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
  let black = 0;
  for (let i = 0; i < all.length; i += 4) {
    if (!all[i] && !all[i + 1] && !all[i + 2]) black += 1;
  }
  return { width: bitmap.width, height: bitmap.height, type: blob.type, notBlack, black };
}"""


def drag(page: Any, canvas: Any, x0: float, y0: float, x1: float, y1: float) -> dict[str, int]:
    """Draw a rectangle on the editor's canvas from (x0, y0) to (x1, y1),
    fractions of its shown size; returns the rectangle in image pixels,
    shrunk by 2 on each side (its edges are whole pixels of the image)."""
    box = canvas.bounding_box()
    size = canvas.evaluate("c => [c.width, c.height]")
    page.mouse.move(box["x"] + box["width"] * x0, box["y"] + box["height"] * y0)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * (x0 + x1) / 2,
                    box["y"] + box["height"] * (y0 + y1) / 2, steps=4)
    page.mouse.move(box["x"] + box["width"] * x1, box["y"] + box["height"] * y1, steps=4)
    page.mouse.up()
    x, y = int(size[0] * x0) + 2, int(size[1] * y0) + 2
    return {"x": x, "y": y, "w": int(size[0] * x1) - 2 - x, "h": int(size[1] * y1) - 2 - y}


def db_rows(service: ImsupportProcess, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(Path(service.workdir) / "db.sqlite") as conn:
        return conn.execute(sql, args).fetchall()
