"""
The blob store (imsupport/store/blobs.py) on real files: bytes named by
their SHA-256, written whole or not at all, kept once, streamed in chunks on
a thread pool, and no path built from anything but a digest.
"""
from __future__ import annotations

import errno
import hashlib
import io
import os
import threading
import tracemalloc
from pathlib import Path
from typing import Any, Iterator

import pytest
import pytest_twisted
from twisted.python.threadpool import ThreadPool

from imsupport.core.files import Blob, FilesFull
from imsupport.store.blobs import CHUNK_BYTES, DiskBlobs
from tests.store.conftest import reactor
from tests.store.test_contract import failure
from tests.tmpfs import mountedTmpfs

MB = 1 << 20


@pytest.fixture
def pool() -> Iterator[ThreadPool]:
    threads = ThreadPool(minthreads=1, maxthreads=2, name="test-blobs")
    threads.start()
    yield threads
    threads.stop()


@pytest.fixture
def blobs(tmp_path: Path, pool: ThreadPool) -> DiskBlobs:
    return DiskBlobs(str(tmp_path / "files"), reactor(), pool)


def stored(root: str | Path) -> list[str]:
    """Every file under ``root``, relative, tmp/ included."""
    return sorted(str(p.relative_to(root)) for p in Path(root).rglob("*") if p.is_file())


class Generated:
    """A source of ``size`` bytes made up as they are read (nothing held but
    the current block); it refuses to be read whole."""

    def __init__(self, size: int, fail_at: int | None = None,
                 error: BaseException | None = None) -> None:
        self.left = size
        self.fail_at = fail_at
        self.error = error
        self.given = 0
        self.threads: set[int] = set()
        self._block = 0
        self._pending = b""

    def read(self, size: int = -1) -> bytes:
        assert size > 0, "a blob store must read in chunks, never the whole source"
        self.threads.add(threading.get_ident())
        if self.fail_at is not None and self.given >= self.fail_at:
            assert self.error is not None
            raise self.error
        want = min(size, self.left)
        while len(self._pending) < want:
            self._pending += hashlib.sha256(self._block.to_bytes(8, "big")).digest() * 2048
            self._block += 1
        chunk, self._pending = self._pending[:want], self._pending[want:]
        self.left -= want
        self.given += want
        return chunk


def generatedDigest(size: int) -> str:
    source, sha = Generated(size), hashlib.sha256()
    while chunk := source.read(CHUNK_BYTES):
        sha.update(chunk)
    return sha.hexdigest()


# -- writing and reading back ----------------------------------------------------

@pytest_twisted.ensureDeferred
async def test_round_trip_names_the_bytes_by_their_sha256(blobs: DiskBlobs) -> None:
    data = os.urandom(3 * CHUNK_BYTES + 17)  # several chunks and a bit
    digest = hashlib.sha256(data).hexdigest()
    blob = await blobs.write(io.BytesIO(data), limit=len(data))
    assert blob == Blob(digest=digest, size=len(data))
    assert blobs.path(digest) == os.path.join(blobs.files_dir, digest[:2], digest)
    assert Path(blobs.path(digest)).read_bytes() == data
    assert blobs.exists(digest)
    assert not blobs.exists("0" * 64)
    assert stored(blobs.files_dir) == [f"{digest[:2]}/{digest}"]  # tmp/ is left empty


@pytest_twisted.ensureDeferred
async def test_an_empty_source_is_a_blob_too(blobs: DiskBlobs) -> None:
    blob = await blobs.write(io.BytesIO(b""), limit=0)
    assert blob == Blob(digest=hashlib.sha256(b"").hexdigest(), size=0)
    assert Path(blobs.path(blob.digest)).read_bytes() == b""


@pytest_twisted.ensureDeferred
async def test_the_same_bytes_are_stored_once(blobs: DiskBlobs) -> None:
    first = await blobs.write(io.BytesIO(b"same bytes"), limit=100)
    where = os.stat(blobs.path(first.digest))
    second = await blobs.write(io.BytesIO(b"same bytes"), limit=100)
    assert second == first
    assert os.stat(blobs.path(first.digest)).st_ino == where.st_ino  # the first copy stays
    other = await blobs.write(io.BytesIO(b"other bytes"), limit=100)
    assert stored(blobs.files_dir) == sorted(f"{b.digest[:2]}/{b.digest}"
                                             for b in (first, other))


@pytest_twisted.ensureDeferred
async def test_the_copy_runs_on_the_pool_not_the_reactor_thread(blobs: DiskBlobs) -> None:
    source = Generated(2 * CHUNK_BYTES)
    await blobs.write(source, limit=10 * MB)
    assert source.threads and threading.get_ident() not in source.threads


# -- the limit and failures leave nothing ------------------------------------------

@pytest_twisted.ensureDeferred
async def test_more_than_the_limit_is_refused_and_nothing_kept(blobs: DiskBlobs) -> None:
    data = b"x" * (CHUNK_BYTES + 10)
    assert (await blobs.write(io.BytesIO(data), limit=len(data))).size == len(data)  # exactly
    before = stored(blobs.files_dir)
    for limit in (len(data), 0, CHUNK_BYTES):
        error = await failure(blobs.write(io.BytesIO(data + b"y"), limit=limit))
        assert isinstance(error, ValueError) and str(limit) in str(error)
    assert stored(blobs.files_dir) == before  # tmp/ holds nothing either
    assert not blobs.exists(hashlib.sha256(data + b"y").hexdigest())


@pytest_twisted.ensureDeferred
async def test_a_disk_error_mid_way_is_files_full_and_nothing_kept(blobs: DiskBlobs) -> None:
    for code in (errno.ENOSPC, errno.EIO):
        source = Generated(10 * CHUNK_BYTES, fail_at=3 * CHUNK_BYTES,
                           error=OSError(code, os.strerror(code)))
        error = await failure(blobs.write(source, limit=10 * MB))
        assert isinstance(error, FilesFull), error
        assert os.strerror(code) in str(error)
        assert source.given == 3 * CHUNK_BYTES  # it failed mid-way
    assert stored(blobs.files_dir) == []
    assert os.listdir(Path(blobs.files_dir) / "tmp") == []


@pytest_twisted.ensureDeferred
async def test_another_error_of_the_source_passes_through_and_nothing_kept(
        blobs: DiskBlobs) -> None:
    source = Generated(10 * CHUNK_BYTES, fail_at=CHUNK_BYTES, error=RuntimeError("gone"))
    error = await failure(blobs.write(source, limit=10 * MB))
    assert isinstance(error, RuntimeError) and str(error) == "gone"
    assert stored(blobs.files_dir) == []


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A 1 MB tmpfs of the test's own (mounting needs root, which the test
    suite has here); unmounted afterwards, whatever happens."""
    yield from mountedTmpfs("size=1m,mode=0700", "imsupport-blobs-")


@pytest.fixture
def read_only_disk() -> Iterator[Path]:
    yield from mountedTmpfs("ro,size=1m", "imsupport-blobs-")


@pytest_twisted.ensureDeferred
async def test_a_really_full_disk_is_files_full_and_leaves_nothing(small_disk: Path,
                                                                   pool: ThreadPool) -> None:
    blobs = DiskBlobs(str(small_disk / "files"), reactor(), pool)
    error = await failure(blobs.write(Generated(3 * MB), limit=10 * MB))
    assert isinstance(error, FilesFull) and "No space left" in str(error), error
    assert stored(small_disk) == []
    assert not blobs.exists(generatedDigest(3 * MB))
    # the space is free again: the next file that fits is stored
    blob = await blobs.write(io.BytesIO(b"fits" * 1000), limit=10 * MB)
    assert Path(blobs.path(blob.digest)).read_bytes() == b"fits" * 1000


@pytest_twisted.ensureDeferred
async def test_a_read_only_directory_is_files_full(read_only_disk: Path,
                                                   pool: ThreadPool) -> None:
    blobs = DiskBlobs(str(read_only_disk / "files"), reactor(), pool)
    error = await failure(blobs.write(io.BytesIO(b"data"), limit=100))
    assert isinstance(error, FilesFull) and "Read-only" in str(error), error
    assert stored(read_only_disk) == []


# -- paths only from digests ---------------------------------------------------------

@pytest.mark.parametrize("bad", [
    "", "../../etc/passwd", "/etc/passwd", "%2e%2e%2f" * 7, "ab/../../x",
    "A" * 64, "0" * 63, "0" * 65, "0" * 64 + "\n", "0" * 63 + "\0", "g" * 64,
    "0" * 32 + "/" + "0" * 31, " " + "0" * 63, "٠" * 64,  # Arabic-Indic zeros: \d, not hex
    None, b"0" * 64, 0,
])
def test_path_accepts_only_a_digest(blobs: DiskBlobs, bad: Any) -> None:
    with pytest.raises(ValueError, match="64 lower-case hexadecimal"):
        blobs.path(bad)
    with pytest.raises(ValueError):
        blobs.exists(bad)


def test_a_digest_path_stays_under_files_dir(blobs: DiskBlobs) -> None:
    digest = hashlib.sha256(b"x").hexdigest()
    where = blobs.path(digest)
    assert os.path.commonpath([where, blobs.files_dir]) == blobs.files_dir
    assert Path(where).parent.parent == Path(blobs.files_dir)


# -- streaming ------------------------------------------------------------------------

@pytest_twisted.ensureDeferred
async def test_a_50_mb_file_is_streamed_not_held_in_memory(blobs: DiskBlobs) -> None:
    size = 50 * MB
    source = Generated(size)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        blob = await blobs.write(source, limit=size)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert blob == Blob(digest=generatedDigest(size), size=size)
    assert os.path.getsize(blobs.path(blob.digest)) == size
    assert peak < 2 * MB, f"peak traced memory {peak / MB:.1f} MB while writing 50 MB"


def test_prepare_makes_the_directory_and_removes_what_a_crash_left(blobs: DiskBlobs) -> None:
    assert blobs.prepare() == 0
    tmp = Path(blobs.files_dir) / "tmp"
    assert tmp.is_dir()
    (tmp / "blob-abc123").write_bytes(b"half a file")
    (tmp / "notes.txt").write_bytes(b"not ours")
    assert blobs.prepare() == 1
    assert sorted(p.name for p in tmp.iterdir()) == ["notes.txt"]
