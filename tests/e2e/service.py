"""
The real imsupport process (``twistd -n imsupport``) for end-to-end tests.

Readiness contract: ``GET /healthz`` answers 200 with JSON
``{"status": "ok", "xmpp": true|false, "store": true|false}``; the service is
ready for a test when ``xmpp`` is true (the component stream is up).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tests.e2e.prosody import Prosody, die_with_parent, free_port, terminate

__all__ = ["ImsupportProcess", "ServiceError", "make_config", "toml_value", "free_port",
           "sqlite_url", "FAST_CLIENTS"]

# For tests whose clients send faster than the default rate limit lets a
# client (2 messages/s after a burst of 30): extra_toml that raises it, so
# what the test looks at is not hidden behind rate-limit refusals.
FAST_CLIENTS = "\n[limits]\nclient_messages_per_second = 20.0\nclient_message_burst = 100\n"


_TWISTD = ("import sys; from twisted.scripts.twistd import run; sys.argv[0] = 'twistd'; "
           "sys.exit(run())")


class ServiceError(RuntimeError):
    """imsupport did not start or stop as expected; the message ends with its log."""


def toml_value(value: Any) -> str:
    """TOML for the simple values a test config uses."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def _tables(name: str, rows: Sequence[Mapping[str, Any]] | str) -> str:
    if isinstance(rows, str):
        return rows
    return "".join(f"\n[[{name}]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in row.items())
                   for row in rows)


def sqlite_url(path: Path | str) -> str:
    """``sqlite:///abs/path`` for an absolute path, as imsupport.config expects."""
    return "sqlite://" + str(Path(path).resolve())


def make_config(prosody: Prosody, web_port: int, storage_url: str, *, workdir: Path | str,
                nodes_toml: str = "", operators: Sequence[Mapping[str, Any]] | str = (),
                admins: Sequence[str] = (), default_language: str = "en",
                extra_toml: str = "", storage_toml: str = "", web_toml: str = "") -> str:
    """The TOML of SPEC section 13 for one test service.

    ``operators`` is a list of dicts (one ``[[operators]]`` table each) or raw
    TOML; ``nodes_toml`` is raw TOML with ``[[nodes]]`` / ``[[nodes.groups]]``;
    ``extra_toml`` is appended (``[filters]``, ``[[faq]]``, ``[[api_tokens]]`` ...);
    ``storage_toml`` goes into ``[storage]`` after the url (``hold_timeout = 4``),
    ``web_toml`` into ``[web]`` (``max_upload_bytes = 1000``).
    """
    files_dir = Path(workdir) / "files"
    return f"""\
[service]
domain = {toml_value(prosody.component)}
default_language = {toml_value(default_language)}
admins = {toml_value(list(admins))}

[xmpp]
host = {toml_value(prosody.host)}
port = {prosody.component_port}
secret = {toml_value(prosody.component_secret)}

[storage]
url = {toml_value(storage_url)}
{storage_toml}

[web]
endpoint = "tcp:{web_port}:interface=127.0.0.1"
public_url = "http://127.0.0.1:{web_port}"
files_dir = {toml_value(str(files_dir))}
{web_toml}
{_tables("operators", operators)}
{nodes_toml}
{extra_toml}
"""


class ImsupportProcess:
    """``twistd -n imsupport --config workdir/imsupport.toml``, run by this interpreter.

    The web port is read back from the config's ``[web] endpoint``.
    """

    def __init__(self, config_toml: str, workdir: Path | str, *, ready_timeout: float = 20.0,
                 env: Mapping[str, str] | None = None) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_file = self.workdir / "imsupport.toml"
        self.log_file = self.workdir / "twistd.log"
        self.output_file = self.workdir / "twistd.out"   # stdout/stderr: import errors etc.
        self.ready_timeout = ready_timeout
        self.env = dict(env or {})
        self.process: subprocess.Popen[bytes] | None = None
        self.set_config(config_toml)

    def set_config(self, config_toml: str) -> None:
        """Rewrite the config (takes effect at the next start/restart)."""
        self.config_text = config_toml
        self.config_file.write_text(config_toml)
        self.web_port = _web_port(config_toml)
        self.base_url = f"http://127.0.0.1:{self.web_port}"

    @property
    def command(self) -> list[str]:
        # `python -m twisted` is `twist`, which has no --nodaemon/--pidfile; this
        # is exactly what the `twistd` console script runs.
        return [sys.executable, "-c", _TWISTD, "--nodaemon", "--pidfile=",
                f"--logfile={self.log_file}", "imsupport", "--config", str(self.config_file)]

    # -- lifecycle --

    def start(self, wait: bool = True) -> ImsupportProcess:
        if self.running:
            return self
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}
        repo = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (repo, env.get("PYTHONPATH", "")) if p)
        with open(self.output_file, "ab") as out:
            self.process = subprocess.Popen(self.command, cwd=self.workdir, env=env,
                                            stdin=subprocess.DEVNULL, stdout=out,
                                            stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        if wait:
            try:
                self.wait_ready()
            except BaseException:
                self.kill()  # never leave a half-started service behind a failed test
                raise
        return self

    def wait_ready(self, timeout: float | None = None) -> dict[str, Any]:
        """Poll /healthz until ``xmpp`` is true; returns the health JSON."""
        timeout = self.ready_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        last: Any = "no answer"
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                code = None if self.process is None else self.process.returncode
                raise ServiceError(f"imsupport exited with {code} while starting" + self.log_tail())
            status, last = self.health()
            if status == 200 and isinstance(last, dict) and last.get("xmpp") is True:
                return last
            time.sleep(0.1)
        raise ServiceError(f"imsupport not ready within {timeout}s (last /healthz: {last!r})"
                           + self.log_tail())

    def health(self) -> tuple[int, Any]:
        """(HTTP status, parsed JSON or error text) of GET /healthz; (0, reason) if unreachable."""
        try:
            with urllib.request.urlopen(self.base_url + "/healthz", timeout=2) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")
        except (OSError, ValueError) as e:
            return 0, str(e)

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM and wait (SIGKILL after ``timeout``); returns the exit code."""
        proc, self.process = self.process, None
        if proc is None:
            return None
        if proc.poll() is None and terminate(proc, timeout):
            raise ServiceError(f"imsupport ignored SIGTERM for {timeout}s" + self.log_tail())
        return proc.returncode

    def kill(self) -> None:
        """SIGKILL: a crash, nothing gets flushed or closed by the process."""
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(10)

    def restart(self, wait: bool = True) -> ImsupportProcess:
        self.stop()
        return self.start(wait)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    # -- logs --

    def log_text(self) -> str:
        """twistd's log plus anything printed to stdout/stderr."""
        parts = [f.read_text(errors="replace") for f in (self.output_file, self.log_file)
                 if f.exists()]
        return "\n".join(parts)

    def log_tail(self, lines: int = 60) -> str:
        """The end of the log without our own /healthz polling noise."""
        text = [line for line in self.log_text().splitlines()
                if "GET /healthz" not in line][-lines:]
        return (f"\n--- imsupport log ({self.workdir}, last {len(text)} lines) ---\n"
                + "\n".join(text))

    def wait_log(self, substring: str, timeout: float = 10.0) -> str:
        """Wait until the log contains ``substring``; returns the first line with it."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.log_text().splitlines():
                if substring in line:
                    return line
            if time.monotonic() >= deadline:
                raise AssertionError(f"{substring!r} not in imsupport log within {timeout}s"
                                     + self.log_tail())
            time.sleep(0.1)

    def __repr__(self) -> str:
        return f"<ImsupportProcess pid={self.pid} {self.base_url} in {self.workdir}>"


def _web_port(config_toml: str) -> int:
    import tomllib
    endpoint = str(tomllib.loads(config_toml).get("web", {}).get("endpoint", "tcp:8080"))
    try:
        return int(endpoint.split(":")[1])
    except (IndexError, ValueError):
        raise ServiceError(f"cannot read a TCP port from [web] endpoint {endpoint!r}") from None
