"""
Versioned schema: numbered ``.sql`` steps, applied in order, each once.

The steps live in ``imsupport/store/schema/`` as ``<dialect>_<NNN>_<name>.sql``
(``sqlite_001_initial.sql``, ``postgresql_001_initial.sql``). They are flat
files rather than per-dialect folders because the package data pattern in
setup.cfg (``store/schema/*.sql``) ships only that folder's own files.

A step is never edited once released: a change to the schema is a new step.
The store records every applied step in ``schema_version`` and, at open,
applies the missing ones in one transaction (see ``sql.upgrade``).
"""
from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

SCHEMA_DIR = Path(__file__).parent / "schema"
_STEP_NAME = re.compile(r"^(?P<dialect>[a-z]+)_(?P<version>\d{3})_(?P<name>[a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Step:
    version: int
    name: str
    sql: str


def loadSteps(dialect: str, directory: Path = SCHEMA_DIR) -> list[Step]:
    """The dialect's steps in version order. A gap or a repeated number is a
    packaging mistake that would skip or double a step, so it is refused."""
    steps = []
    for path in directory.iterdir():
        m = _STEP_NAME.match(path.name)
        if m and m["dialect"] == dialect:
            steps.append(Step(int(m["version"]), m["name"], path.read_text(encoding="utf-8")))
    steps.sort(key=lambda s: s.version)
    versions = [s.version for s in steps]
    if versions != list(range(1, len(steps) + 1)):
        raise ValueError(f"schema steps for {dialect} in {directory} must be numbered "
                         f"1, 2, 3... without gaps; found {versions}")
    return steps


def splitStatements(script: str) -> list[str]:
    """SQLite runs one statement per execute (``executescript`` would commit
    the upgrade's transaction), so a step is cut into complete statements."""
    statements = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if any(ln.strip() and not ln.strip().startswith("--") for ln in buffer.splitlines()):
        statements.append(buffer.strip())  # the last statement may omit its ";"
    return statements
