"""
A shop's own site on another origin, for the widget's tests: a tiny HTTP
server on ``localhost`` (the service listens on ``127.0.0.1``, so the two are
different sites, as a real shop and its support service are) that serves one
HTML page embedding the widget with one script tag (or, given ``page``, a
page of the test's own: a forged form, say; ``host="127.0.0.1"`` puts it on
the service's site, another origin by its port only).
"""
from __future__ import annotations

import http.server
import threading
from typing import Any

from tests.e2e.service import free_port

PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>The shop: Sales questions</title></head>
<body><h1>The shop</h1><p>Everything for your garden.</p>
<script src="{service}/widget.js" data-node="{node}" data-lang="{lang}" async></script>
</body></html>
"""


class HostPage:
    """``HostPage(service_url, node).start()``; ``url`` is the page's address."""

    def __init__(self, service: str = "", node: str = "sales", lang: str = "en",
                 page: str = PAGE, host: str = "localhost") -> None:
        self.port = free_port()
        self.origin = f"http://{host}:{self.port}"
        self.url = self.origin + "/"
        self.service, self.node, self.lang, self.page = service, node, lang, page
        self.server: http.server.ThreadingHTTPServer | None = None

    def html(self) -> bytes:
        return self.page.format(service=self.service, node=self.node, lang=self.lang).encode()

    def start(self) -> HostPage:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the base class's name)
                if self.path.split("?")[0] != "/":
                    self.send_error(404)
                    return
                body = owner.html()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, name="host-page", daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
