"""A small tmpfs of a test's own, for real full-disk and read-only cases
(mounting needs root, which the test suite has on its machines)."""
from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def mountedTmpfs(options: str, prefix: str = "imsupport-disk-") -> Iterator[Path]:
    """Yield a fresh tmpfs mounted with ``options``; unmounted afterwards,
    whatever happens (detached lazily if something still holds it)."""
    where = Path(tempfile.mkdtemp(prefix=prefix))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                             check=False, capture_output=True, text=True)
    if mounted.returncode != 0:
        where.rmdir()
        pytest.fail(f"cannot mount a small tmpfs for the full-disk test (needs root): "
                    f"{mounted.stderr.strip()}", pytrace=False)
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], check=False,
                          capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], check=False)  # still busy: detach
        where.rmdir()
