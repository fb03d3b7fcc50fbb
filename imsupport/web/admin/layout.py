"""
The frame of every admin page: twisted.web.template tags (every text and
attribute escaped as it is flattened; no page builds HTML from strings),
one stylesheet and the page's scripts by URL from the static files, and the
headers every answer under /admin/ carries: a Content-Security-Policy that
allows nothing inline and nothing from elsewhere, no framing, no sniffing,
no caching.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence, cast
from urllib.parse import urlencode

from klein import Form, RenderableForm
from klein.interfaces import ISession
from twisted.python.components import Componentized
from twisted.python.failure import Failure
from twisted.web.iweb import IRequest
from twisted.web.template import Tag, flatten, tags
from zope.interface import Interface

PREFIX = "/admin"
# static files by name (imsupport/web/static/), their URLs made by Assets
CSS = "admin/admin.css"
CHART_JS = "vendor/chart.umd.min.js"
CSP = (b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       b"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
HEADERS = {
    b"content-security-policy": CSP,
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"same-origin",
    b"cache-control": b"no-store",
}
URLENCODED = RenderableForm.ENCTYPE_URL_ENCODED
NAV = (("Dashboard", "/"), ("Statistics", "/stats"), ("Archive", "/chats"),
       ("Directory", "/directory"), ("Switches", "/switches"))


def plainAsset(name: str) -> str:
    return f"/static/{name}"


class IAssets(Interface):
    """The request's Assets (guard.py puts them on every admin request)."""


@dataclass(frozen=True)
class Assets:
    """A static file's URL by its name: the static files' own (versioned)
    URLs when the web side gives them, else plain ``/static/<name>``."""
    url: Callable[[str], str] = plainAsset


def asset(request: IRequest, name: str) -> str:
    found = cast(Componentized, request).getComponent(IAssets)
    return (found if isinstance(found, Assets) else Assets()).url(name)


def secureHeaders(request: IRequest) -> None:
    """Every answer: plain text unless a page says it is HTML."""
    for name, value in HEADERS.items():
        request.setHeader(name, value)
    request.setHeader(b"content-type", b"text/plain; charset=utf-8")


def url(path: str, **query: Any) -> str:
    """``/admin`` + path, with the query's non-empty values."""
    given = {k: v for k, v in query.items() if v not in (None, "")}
    return PREFIX + path + ("?" + urlencode(given) if given else "")


def flattened(tag: Any) -> bytes:
    """Plain tags flatten at once; the HTML of a whole document."""
    out: list[bytes] = [b"<!DOCTYPE html>\n"]
    failed: list[Failure] = []
    flatten(None, tag, out.append).addErrback(failed.append)
    if failed:
        failed[0].raiseException()
    return b"".join(out)


def csrf(request: IRequest) -> list[Tag]:
    """Klein's CSRF field for a form posted with this request's session."""
    session = ISession(request)
    return RenderableForm(Form([]), session, "", "POST", URLENCODED, "utf-8").glue()


def postForm(request: IRequest, action: str, *children: Any, **attributes: str) -> Tag:
    form: Tag = tags.form(method="post", action=PREFIX + action, enctype=URLENCODED,
                          **{"accept-charset": "utf-8"}, **attributes)
    return form(*children, *csrf(request))


def button(label: str, name: str = "action", value: str = "", **attributes: str) -> Tag:
    made: Tag = tags.button(label, type="submit", name=name, value=value or label.lower(),
                            **attributes)
    return made


def field(label: str, control: Tag, hint: str = "") -> Tag:
    made: Tag = tags.label(class_="field")(tags.span(label), control,
                                           tags.small(hint) if hint else "")
    return made


def table(head: Sequence[str], rows: Iterable[Sequence[Any]], empty: str = "None.") -> Tag:
    shown = [tags.tr(*[tags.td(cell) for cell in row]) for row in rows]
    if not shown:
        return tags.p(empty, class_="empty")
    made: Tag = tags.table(tags.thead(tags.tr(*[tags.th(h, scope="col") for h in head])),
                           tags.tbody(*shown))
    return made


def document(request: IRequest, title: str, body: Sequence[Any], viewer: Any = None,
             scripts: Sequence[str] = (), status: int = 200, here: str = "",
             note: str = "", error: str = "") -> bytes:
    """A whole page: the navigation for a signed-in ``viewer`` (with the
    log-out form), ``body`` in <main> after the ``note`` (what the last
    change did) or ``error``, ``scripts`` by static file name (deferred)."""
    request.setResponseCode(status)
    request.setHeader(b"content-type", b"text/html; charset=utf-8")
    header: list[Any] = [tags.a("imsupport", href=url("/"), class_="brand")]
    if viewer is not None:
        header.append(tags.nav(tags.ul(*[
            tags.li(tags.a(label, href=url(path),
                           **({"aria-current": "page"} if path == here else {})))
            for label, path in NAV])))
        header.append(postForm(request, "/logout", tags.span(f"{viewer.name} ({viewer.role})"),
                               button("Log out", value="logout"), class_="who"))
    head = [tags.meta(charset="utf-8"),
            tags.meta(name="viewport", content="width=device-width, initial-scale=1"),
            tags.title(f"{title} - imsupport"),
            tags.link(rel="stylesheet", href=asset(request, CSS))]
    head += [tags.script(src=asset(request, name), defer="defer") for name in scripts]
    return flattened(tags.html(lang="en")(
        tags.head(*head),
        tags.body(tags.header(*header), Tag("main")(  # tags lacks <main>
            tags.h1(title),
            tags.p(note, class_="note", role="status") if note else "",
            tags.p(error, class_="error", role="alert") if error else "",
            *body))))


def message(request: IRequest, status: int, title: str, text: str, viewer: Any = None,
            back: str = "") -> bytes:
    body: list[Any] = [tags.p(text)]
    if back:
        body.append(tags.p(tags.a("Back", href=url(back))))
    return document(request, title, body, viewer, status=status)
