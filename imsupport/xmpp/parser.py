"""
The component stream's XML parser (R-SEC-2, R-SEC-3): it builds the same
domish elements as Twisted's ``ExpatElementStream``, so every tx-xmpp handler
works unchanged, but it is bounded and it stops at restricted XML.

- A stanza over a limit (bytes, depth, elements, attribute length, text) is
  not built: the rest of it is skipped by counting, and ``onRefused`` gets a
  ``Refusal`` when it ends. Nothing of it is dispatched; the stream stays up.
- Text is kept as a list of pieces and joined once per run of text, so a
  body of 250,000 newlines costs linear work (domish's ``addContent``
  concatenates each piece: quadratic), and a text over its limit is refused
  as it arrives, before it is built.
- A DOCTYPE, comment, processing instruction or entity declaration raises
  out of expat at once, so nothing after it (in this read or any later one)
  reaches a handler and no entity is ever expanded; ``onClosed`` is told the
  stream error condition and why.
- Expat holds an unfinished tag whole. While it holds a long one, reads that
  cannot finish a tag (no ``>``) are gathered and passed on when they at least
  double what it holds, so a long tag costs linear, not quadratic, re-parsing
  (expat 2.5 has no reparse deferral of its own). A single tag over
  ``StanzaLimits.tag_bytes`` cannot be skipped without holding it, so it closes
  the stream (policy-violation).
"""
from __future__ import annotations

import pyexpat
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from twisted.words.xish import domish

BYTES = "bytes"
DEPTH = "depth"
ELEMENTS = "elements"
ATTRIBUTE = "attribute"
TEXT = "text"

SHELL = frozenset({"from", "to", "id", "type", "http://www.w3.org/XML/1998/namespace lang"})
DEFER_FROM = 64 * 1024  # bytes held in one unfinished tag before reads are gathered
TEXT_BUFFER = 32 * 1024  # pyexpat joins character data up to this size in C


@dataclass(frozen=True)
class StanzaLimits:
    """What one stanza may be. ``text_bytes`` bounds the text directly inside
    any one element (UTF-8); the service sets it to ``max_message_bytes``. A
    body of that size can be about six times larger on the wire (``&apos;``),
    hence the stanza default of 1 MiB. JIDs may be 3071 bytes long, hence the
    attribute bound."""
    stanza_bytes: int = 1024 * 1024
    text_bytes: int = 65536
    depth: int = 32
    elements: int = 10_000
    attribute_chars: int = 3072

    @property
    def tag_bytes(self) -> int:
        """The most expat may hold of one unfinished tag. Prosody writes each
        namespaced attribute with its own xmlns declaration, so a 250 KB
        client stanza can become a single 25 MB start tag; that one is
        still refused to its sender, not to the whole stream."""
        return 64 * self.stanza_bytes


@dataclass(frozen=True)
class Refusal:
    """A stanza that was not built: its top element with the attributes that
    were within bounds (no children), the limit it broke (``BYTES``,
    ``DEPTH``, ``ELEMENTS``, ``ATTRIBUTE`` or ``TEXT``), the allowed value,
    what was found (counted to the stanza's end where cheap: elements, depth,
    text bytes; the first attribute's length; None for bytes), the element
    that broke it, and the stanza's size on the wire."""
    stanza: domish.Element
    limit: str
    allowed: int
    found: int | None
    element: str
    size: int


@dataclass
class ParseStats:
    """Work done, for tests and metrics: elements built, characters copied
    while assembling text, stanzas refused, and calls into expat."""
    elements_built: int = 0
    text_chars_copied: int = 0
    stanzas_refused: int = 0
    feeds: int = 0


class StreamClosed(Exception):
    """The stream must end: ``condition`` is the stream error to send,
    ``reason`` says why, for the log."""

    def __init__(self, condition: str, reason: str) -> None:
        super().__init__(reason)
        self.condition = condition
        self.reason = reason


class _Open:
    """An element being built and its current run of text."""
    __slots__ = ("element", "pieces", "text_bytes")

    def __init__(self, element: domish.Element) -> None:
        self.element = element
        self.pieces: list[str] = []
        self.text_bytes = 0


@dataclass
class _Skipping:
    """What is counted while a refused stanza is skipped."""
    limit: str
    allowed: int
    found: int | None
    element: str
    text_depth: int = 0
    text_bytes: int = 0
    deepest: int = 0


def _restricted(what: str) -> Callable[..., Any]:
    def refuse(*_: object) -> Any:
        raise StreamClosed("restricted-xml", f"restricted XML ({what})")
    return refuse


def _qname(name: str) -> tuple[str, str]:
    uri, _, local = name.rpartition(" ")
    return uri, local


class HardenedElementStream:
    """A drop-in for ``domish.elementStream()`` on the component link: set
    ``DocumentStartEvent``, ``ElementEvent`` and ``DocumentEndEvent`` as for
    domish, call ``parse(data)`` with each read."""

    def __init__(self, limits: StanzaLimits, onRefused: Callable[[Refusal], None],
                 onClosed: Callable[[StreamClosed], None]) -> None:
        self.DocumentStartEvent: Callable[[domish.Element], None] | None = None
        self.ElementEvent: Callable[[domish.Element], None] | None = None
        self.DocumentEndEvent: Callable[[], None] | None = None
        self.limits = limits
        self.onRefused = onRefused
        self.onClosed = onClosed
        self.stats = ParseStats()
        self.closed = False
        self.parser = self._makeParser()
        self._started = False
        self._defaultNs = [""]
        self._nsMark = 1
        self._prefixes: dict[str, str] = {}
        self._open: list[_Open] = []
        self._top: domish.Element | None = None
        self._depth = 0
        self._count = 0
        self._stanzaStart = 0
        self._skipping: _Skipping | None = None
        self._fed = 0
        self._held = 0
        self._gathered: list[bytes] = []
        self._gatheredBytes = 0

    def _makeParser(self) -> pyexpat.XMLParserType:
        p = pyexpat.ParserCreate("UTF-8", " ")
        p.buffer_text = True
        p.buffer_size = TEXT_BUFFER
        p.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
        p.StartDoctypeDeclHandler = _restricted("a DOCTYPE")
        p.EntityDeclHandler = _restricted("an entity declaration")
        p.UnparsedEntityDeclHandler = _restricted("an entity declaration")
        p.NotationDeclHandler = _restricted("a notation declaration")
        p.ElementDeclHandler = _restricted("an element declaration")
        p.AttlistDeclHandler = _restricted("an attribute list declaration")
        p.ExternalEntityRefHandler = _restricted("an external entity")
        p.SkippedEntityHandler = _restricted("an entity reference")
        p.CommentHandler = _restricted("a comment")
        p.ProcessingInstructionHandler = _restricted("a processing instruction")
        p.CharacterDataHandler = self._text
        self._build(p)
        return p

    def _build(self, p: Any) -> None:
        p.StartElementHandler = self._start
        p.EndElementHandler = self._end
        p.StartNamespaceDeclHandler = self._startNs
        p.EndNamespaceDeclHandler = self._endNs

    # -- input ---------------------------------------------------------------

    def parse(self, data: bytes) -> None:
        if self.closed:
            return
        if self._held >= DEFER_FROM and b">" not in data \
                and self._gatheredBytes + len(data) < self._held:
            self._gathered.append(data)
            self._gatheredBytes += len(data)
            return
        if self._gathered:
            data = b"".join(self._gathered) + data
            self._gathered, self._gatheredBytes = [], 0
        try:
            self._feed(data)
        except StreamClosed as closed:
            self._close(closed)
        except pyexpat.error as e:
            self._close(StreamClosed("not-well-formed", f"XML that is not well-formed ({e})"))
        except Exception:
            # expat is unusable after a handler raised: end the stream, and
            # let Twisted log the traceback of what went wrong.
            self._close(StreamClosed("internal-server-error", "an internal parser error"))
            raise

    def _feed(self, data: bytes) -> None:
        self._fed += len(data)
        self.stats.feeds += 1
        self.parser.Parse(data)
        index = self.parser.CurrentByteIndex
        self._held = self._fed - index if index >= 0 else self._fed
        if self._held > self.limits.tag_bytes:
            raise StreamClosed("policy-violation",
                               f"a tag of more than {self.limits.tag_bytes} bytes")
        if self._depth and self._skipping is None \
                and self._fed - self._stanzaStart > self.limits.stanza_bytes:
            self._refuse(BYTES, self.limits.stanza_bytes, None, self._open[0].element.name)

    def _close(self, closed: StreamClosed) -> None:
        self.closed = True
        self._gathered, self._open, self._top = [], [], None
        self.onClosed(closed)

    # -- building ------------------------------------------------------------

    def _startNs(self, prefix: str | None, uri: str) -> None:
        if prefix is None:
            self._defaultNs.append(uri)
        else:
            self._prefixes[prefix] = uri

    def _endNs(self, prefix: str | None) -> None:
        if prefix is None:
            self._defaultNs.pop()

    def _element(self, name: str, attrs: dict[str, str]) -> domish.Element:
        attributes: dict[Any, str] = {}
        for key, value in attrs.items():
            attributes[_qname(key) if " " in key else key] = value
        element = domish.Element(_qname(name), self._defaultNs[-1], attributes, self._prefixes)
        self._prefixes = {}
        self.stats.elements_built += 1
        return element

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        if not self._started:
            self._started = True
            root = self._element(name, attrs)
            if self.DocumentStartEvent is not None:
                self.DocumentStartEvent(root)
            return
        limits = self.limits
        tag = longest = 0
        for key, value in attrs.items():
            tag += len(key) + len(value)
            longest = max(longest, len(value))
        tooLong = longest > limits.attribute_chars
        index = self.parser.CurrentByteIndex
        if not self._open:
            self._stanzaStart = index
            self._nsMark = len(self._defaultNs)
            self._depth = self._count = 1
            if tooLong or tag > limits.stanza_bytes:  # refused below: keep what answers it
                attrs = {k: v for k, v in attrs.items()
                         if k in SHELL and len(v) <= limits.attribute_chars}
                self._prefixes = {}
            self._top = self._element(name, attrs)
            self._open.append(_Open(self._top))
        else:
            self._depth += 1
            self._count += 1
        local = _qname(name)[1]
        if tooLong:
            return self._refuse(ATTRIBUTE, limits.attribute_chars, longest, local)
        if self._depth > limits.depth:
            return self._refuse(DEPTH, limits.depth, self._depth, local)
        if self._count > limits.elements:
            return self._refuse(ELEMENTS, limits.elements, self._count, local)
        if index - self._stanzaStart + tag > limits.stanza_bytes:
            return self._refuse(BYTES, limits.stanza_bytes, None, self._open[0].element.name)
        if self._depth == 1:
            return
        parent = self._open[-1]
        self._flushText(parent)
        child = self._element(name, attrs)
        parent.element.children.append(child)
        child.parent = parent.element
        self._open.append(_Open(child))

    def _text(self, data: str) -> None:
        """The one character data handler: pyexpat flushes its text buffer
        when this handler is replaced, so it is never swapped while skipping."""
        skipping = self._skipping
        if skipping is not None:
            if self._depth == skipping.text_depth:
                skipping.text_bytes += len(data.encode("utf-8"))
            return
        if not self._open:
            return  # whitespace between stanzas
        current = self._open[-1]
        current.text_bytes += len(data.encode("utf-8"))
        if current.text_bytes > self.limits.text_bytes:
            self._refuse(TEXT, self.limits.text_bytes, current.text_bytes,
                         current.element.name)
            return
        current.pieces.append(data)

    def _flushText(self, current: _Open) -> None:
        if current.pieces:
            text = current.pieces[0] if len(current.pieces) == 1 else "".join(current.pieces)
            current.pieces = []
            self.stats.text_chars_copied += len(text)
            current.element.children.append(text)

    def _end(self, _: str) -> None:
        if not self._open:
            if self.DocumentEndEvent is not None:
                self.DocumentEndEvent()
            return
        current = self._open.pop()
        self._flushText(current)
        if self._open:
            self._depth -= 1
            return
        size = self._size()
        if size > self.limits.stanza_bytes:
            self._open.append(current)
            self._refuse(BYTES, self.limits.stanza_bytes, None, current.element.name)
            self._skipEnd("")
            return
        self._depth = 0
        self._top = None
        if self.ElementEvent is not None:
            self.ElementEvent(current.element)

    def _size(self) -> int:
        """The stanza's bytes up to its closing tag (from inside its end event)."""
        return self.parser.CurrentByteIndex - self._stanzaStart

    # -- refusing ------------------------------------------------------------

    def _refuse(self, limit: str, allowed: int, found: int | None, element: str) -> None:
        """Stop building this stanza and count the rest of it."""
        skipping = _Skipping(limit, allowed, found, element, deepest=self._depth)
        if limit == TEXT:
            skipping.text_depth, skipping.text_bytes = self._depth, found or 0
        else:
            skipping.text_depth = -1
        self._skipping = skipping
        self._open = []
        if self._top is not None:
            self._top.children = []
        p = self.parser
        p.StartElementHandler = self._skipStart
        p.EndElementHandler = self._skipEnd
        p.StartNamespaceDeclHandler = None
        p.EndNamespaceDeclHandler = None

    def _skipStart(self, _: str, __: object) -> None:
        self._depth += 1
        self._count += 1
        skipping = self._skipping
        if skipping is not None and self._depth > skipping.deepest:
            skipping.deepest = self._depth

    def _skipEnd(self, _: str) -> None:
        self._depth -= 1
        if self._depth > 0:
            return
        skipping, top, size = self._skipping, self._top, self._size()
        self._skipping, self._top, self._prefixes = None, None, {}
        del self._defaultNs[self._nsMark:]
        self._build(self.parser)
        if skipping is None or top is None:
            return
        found = {TEXT: skipping.text_bytes, ELEMENTS: self._count,
                 DEPTH: skipping.deepest}.get(skipping.limit, skipping.found)
        self.stats.stanzas_refused += 1
        self.onRefused(Refusal(top, skipping.limit, skipping.allowed, found,
                               skipping.element, size))

