"""
Helpers for the browser tests of the admin and analyst pages (``/admin/``):
the web users of tests/e2e/test_admin.py, a log-in as a person does it
(the form, its labels, the button), and a watch on a page for what hostile
text must never cause: a dialog (``alert``) or a Content-Security-Policy
violation (an inline script or handler the page did not mean to have).
"""
from __future__ import annotations

from typing import Any

from tests.e2e.test_admin import USERS

__all__ = ["USERS", "ADMIN", "ANALYST", "log_in", "Watch"]

ADMIN = ("boss", "boss password 1")
ANALYST = ("analyst", "analyst password 1")

# Every document of the context reports its CSP violations on the console,
# where Watch (and the context fixture) read them.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`securitypolicyviolation: ${e.violatedDirective} ${e.blockedURI}`);
});
"""


def log_in(page: Any, base: str, user: tuple[str, str], path: str = "/admin/login") -> None:
    """Fill in and send the log-in form at ``path`` (of the service at ``base``)."""
    page.goto(base + path)
    page.get_by_label("Name").fill(user[0])
    page.get_by_label("Password").fill(user[1])
    page.get_by_role("button", name="Log in").click()


class Watch:
    """``Watch(context)``: the dialogs its pages opened and the CSP
    violations they reported, from now on."""

    def __init__(self, context: Any) -> None:
        self.dialogs: list[str] = []
        self.violations: list[str] = []
        context.add_init_script(REPORT_VIOLATIONS)
        context.on("page", self._page)
        for page in context.pages:
            self._page(page)

    def _page(self, page: Any) -> None:
        page.on("dialog", self._dialog)
        page.on("console", self._console)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _console(self, message: Any) -> None:
        text = message.text
        if "securitypolicyviolation" in text or "Content Security Policy" in text:
            self.violations.append(text)

    def quiet(self, page: Any) -> None:
        """Nothing so far (after a moment for late handlers to run)."""
        page.wait_for_timeout(300)
        assert self.dialogs == [], self.dialogs
        assert self.violations == [], self.violations
