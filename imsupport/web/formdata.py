"""
The upload page's form, read streaming: a file-like view of the file part
of a ``multipart/form-data`` body, parsed as it is read (multipart's
PushMultipartParser, which holds no part in memory). The blob store reads
it like any file, in its own thread, so the body goes from the request's
temporary file to the store in chunks and is never whole in memory.
"""
from __future__ import annotations

import io
from typing import Any, BinaryIO

from multipart import MultipartError, MultipartSegment, PushMultipartParser, parse_options_header

CHUNK = 64 * 1024
MAX_PARTS = 16  # the form has one file input; anything else is ignored, up to this many


def formBoundary(content_type: str | None) -> str | None:
    """The boundary of a ``multipart/form-data`` Content-Type, else None."""
    kind, options = parse_options_header(content_type or "")
    boundary = options.get("boundary")
    if kind != "multipart/form-data" or not boundary:
        return None
    return str(boundary)


class FilePart(io.RawIOBase):
    """Reads as the bytes of the form's file part (the first part with a
    file name, or the part named ``field``). After the whole body is read:
    ``filename`` and ``content_type`` as the browser sent them (None when
    the form had no file part), ``complete`` when the body was a whole,
    well-formed form, and ``error`` when it was not (reading raised it).
    Other fields are skipped, never kept. ``stream()`` is it as a buffered
    binary file, for the blob store."""

    def __init__(self, source: BinaryIO, boundary: str, field: str = "file") -> None:
        super().__init__()
        self._source = source
        self._parser = PushMultipartParser(boundary, max_segment_count=MAX_PARTS)
        self._field = field
        self._buffer = bytearray()
        self._state = "before"  # before, in (the file part), after
        self._current_is_file = False
        self._done = False
        self.filename: str | None = None
        self.content_type: str | None = None
        self.complete = False
        self.error: MultipartError | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._done and not self._buffer:
            self._pump()
        size = min(len(buffer), len(self._buffer))
        buffer[:size] = self._buffer[:size]
        del self._buffer[:size]
        return size

    def stream(self) -> BinaryIO:
        return io.BufferedReader(self, CHUNK)

    def _pump(self) -> None:
        chunk = self._source.read(CHUNK)
        try:
            if not chunk:
                self._done = True
                self._parser.close()  # raises if the body ended before the form did
                self.complete = True
                return
            for event in self._parser.parse(chunk):
                self._event(event)
        except MultipartError as e:
            self._done = True
            self.error = e
            raise

    def _event(self, event: MultipartSegment | bytes | None) -> None:
        if isinstance(event, MultipartSegment):
            self._current_is_file = self._state == "before" and (
                event.filename is not None or event.name == self._field)
            if self._current_is_file:
                self._state = "in"
                self.filename = event.filename or ""
                self.content_type = event.content_type
        elif event is None:
            if self._current_is_file:
                self._state = "after"
            self._current_is_file = False
        elif self._current_is_file:
            self._buffer += event
