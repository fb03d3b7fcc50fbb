"""
The bytes of files (SPEC 16): the Blobs port of core/files.py on a local
directory, ``[web] files_dir``.

Bytes are named by their SHA-256: ``files_dir/ab/abcdef...`` (the first two
hex digits fan the files out over 256 folders). Nothing a client sent ever
becomes part of a path: ``path`` accepts a digest and nothing else.

A write streams the source into ``files_dir/tmp/`` in chunks, hashing as it
goes, then flushes, fsyncs and renames the file into place: a digest name
only ever holds the whole of its bytes, whatever fails (a full disk, an I/O
error, a crash) and whoever reads it meanwhile. The same bytes written twice
are kept once. Memory use is one chunk per write, whatever the file's size.

All file I/O of ``write`` runs on a thread pool, never on the reactor thread.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from typing import BinaryIO

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorThreads
from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from imsupport.core.files import Blob, Blobs, FilesFull

log = Logger()

CHUNK_BYTES = 64 * 1024
TMP_DIR = "tmp"  # under files_dir: the same file system, so the rename is atomic
_DIGEST = re.compile(r"[0-9a-f]{64}")


class DiskBlobs:
    """Blobs (imsupport.core.files.Blobs) in a directory."""

    def __init__(self, files_dir: str, reactor: IReactorThreads,
                 pool: ThreadPool | None = None, chunk_bytes: int = CHUNK_BYTES) -> None:
        """``pool`` runs the blocking I/O; the reactor's own thread pool if
        none is given. The directory is created at the first write."""
        if chunk_bytes < 1:
            raise ValueError("chunk_bytes must be at least 1")
        self.files_dir = os.path.abspath(files_dir)
        self._reactor = reactor
        self._pool = pool  # None: the reactor's, taken at the first write
        self._chunk = chunk_bytes

    def path(self, digest: str) -> str:
        """The file holding the bytes of ``digest``: 64 lower-case hex
        characters, or ValueError (no path is built from anything else)."""
        if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
            raise ValueError("a blob's digest is 64 lower-case hexadecimal characters")
        return os.path.join(self.files_dir, digest[:2], digest)

    def exists(self, digest: str) -> bool:
        """Whether the bytes are stored (ValueError for a malformed digest)."""
        return os.path.isfile(self.path(digest))

    def prepare(self) -> int:
        """At start, before any write: create ``files_dir`` and remove what
        writes cut short by a crash left in its ``tmp/`` (only this process
        writes there). Returns how many were removed; OSError when the
        directory cannot be made."""
        tmp_dir = os.path.join(self.files_dir, TMP_DIR)
        os.makedirs(tmp_dir, exist_ok=True)
        removed = 0
        for name in os.listdir(tmp_dir):
            path = os.path.join(tmp_dir, name)
            if name.startswith("blob-") and os.path.isfile(path):
                _thdDiscard(path)
                removed += 1
        return removed

    def write(self, source: BinaryIO, limit: int) -> Deferred[Blob]:
        """Reads ``source`` to its end (on the pool) and keeps its bytes.
        ValueError when more than ``limit`` bytes come, FilesFull when the
        disk refuses (also an OSError of the source); other errors of the
        source pass through. On any failure nothing is kept."""
        if self._pool is None:
            self._pool = self._reactor.getThreadPool()
        d: Deferred[Blob] = deferToThreadPool(self._reactor, self._pool, self._thdWrite,
                                              source, limit)
        return d.addErrback(self._logFull)

    def _logFull(self, reason: Failure) -> Failure:
        if reason.check(FilesFull):
            log.warn("Cannot store a file under {files_dir}: {error}",
                     files_dir=self.files_dir, error=reason.getErrorMessage())
        return reason

    # -- on the pool's thread -------------------------------------------------------

    def _thdWrite(self, source: BinaryIO, limit: int) -> Blob:
        try:
            tmp_dir = os.path.join(self.files_dir, TMP_DIR)
            os.makedirs(tmp_dir, exist_ok=True)
            fd, tmp_path = tempfile.mkstemp(dir=tmp_dir, prefix="blob-")
        except OSError as e:
            raise _full(e) from e
        try:
            with open(fd, "wb") as out:
                digest, size = self._thdCopy(source, out, limit)
                out.flush()
                os.fsync(out.fileno())
            self._thdPlace(tmp_path, digest, size)
        except OSError as e:
            _thdDiscard(tmp_path)
            raise _full(e) from e
        except BaseException:
            _thdDiscard(tmp_path)
            raise
        return Blob(digest=digest, size=size)

    def _thdCopy(self, source: BinaryIO, out: BinaryIO, limit: int) -> tuple[str, int]:
        sha = hashlib.sha256()
        size = 0
        while True:
            chunk = source.read(self._chunk)
            if not chunk:
                return sha.hexdigest(), size
            size += len(chunk)
            if size > limit:
                raise ValueError(f"the file is larger than {limit} bytes")
            sha.update(chunk)
            out.write(chunk)

    def _thdPlace(self, tmp_path: str, digest: str, size: int) -> None:
        """Renames the complete temporary file to its digest's name, unless
        those bytes are there already (then the copy is dropped)."""
        target = self.path(digest)
        folder = os.path.dirname(target)
        os.makedirs(folder, exist_ok=True)
        try:
            if os.stat(target).st_size == size:
                os.unlink(tmp_path)
                return
        except FileNotFoundError:
            pass
        os.replace(tmp_path, target)
        _thdSyncDirectory(folder)  # the rename itself survives a power cut


def _full(error: OSError) -> FilesFull:
    """The disk's words, e.g. "No space left on device (errno 28)"."""
    if error.errno and error.strerror:
        return FilesFull(f"{error.strerror} (errno {error.errno})")
    return FilesFull(str(error) or type(error).__name__)


def _thdDiscard(path: str) -> None:
    """Best effort: the error that made the write fail is the one to tell."""
    try:
        os.unlink(path)
    except OSError:
        pass


def _thdSyncDirectory(folder: str) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _conforms(blobs: DiskBlobs) -> Blobs:
    """mypy checks here that DiskBlobs is the port core/files.py declares."""
    return blobs
