"""
A PostgreSQL cluster of a test's own: initdb in a temporary directory, a free
loopback port, started and stopped with pg_ctl (fast or immediate), removed
afterwards. Debian's binaries; run as the ``postgres`` user when the tests run
as root (PostgreSQL refuses to run as root), else as the current user.
"""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg2

from tests.e2e.prosody import free_port

BIN = Path(os.environ.get("IMSUPPORT_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))


class PgClusterError(RuntimeError):
    """The test's PostgreSQL did not start or stop; the message ends with its log."""


class PgCluster:
    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="imsupport-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgresql.log"
        self._owner: str | None = None
        if os.geteuid() == 0:
            self._owner = "postgres"
            entry = pwd.getpwnam(self._owner)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str, timeout: float = 60.0) -> str:
        argv = [str(BIN / command[0]), *command[1:]]
        if self._owner is not None:
            argv = ["runuser", "-u", self._owner, "--", *argv]
        done = subprocess.run(argv, check=False, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise PgClusterError(f"{' '.join(command)} failed ({done.returncode}):\n"
                                 f"{done.stdout}{done.stderr}{self.logTail()}")
        return done.stdout

    def initdb(self) -> PgCluster:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "--no-sync", "-E", "UTF8", "--locale=C")
        return self

    def start(self) -> PgCluster:
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c full_page_writes=off")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                  "-w", "-t", "30", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        """``fast``: sessions are terminated, then a clean shutdown;
        ``immediate``: every server process quits at once (crash recovery at
        the next start)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        connection = psycopg2.connect(self.url, connect_timeout=5)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        finally:
            connection.close()

    def logTail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return ""
        text = self.log.read_text(errors="replace").splitlines()[-lines:]
        return f"\n--- postgresql log ({self.log}) ---\n" + "\n".join(text)

    def cleanup(self) -> None:
        """Stop the server whatever state it is in and remove its directory."""
        try:
            if self.running:
                self.stop("immediate")
        except (PgClusterError, subprocess.TimeoutExpired):
            pass
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
