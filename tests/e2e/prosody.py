"""
A real Prosody (Debian's package) for end-to-end tests.

One instance per test session, bound to loopback on free ports, with its own
config, data dir, pidfile and log in a temporary directory. Nothing here
touches /etc/prosody or the system service.

Facts about Prosody 0.12 this relies on (read from its source and log):

- ``prosody --config FILE -F`` stays in the foreground (``-F`` is
  ``--no-daemonize``; the ``daemonize`` config option is deprecated in 0.12).
- Started as root, mod_posix refuses to run ("Danger, Will Robinson!") unless
  ``run_as_root = true``. We set that instead of disabling mod_posix, because
  mod_posix is what handles SIGTERM as a clean shutdown (streams closed with
  ``</stream:stream>``) and writes the pidfile. ``run_as_root`` also stops
  prosodyctl from dropping to the ``prosody`` user, so a root test run and a
  non-root one behave the same.
- mod_limits (c2s rate limits) is only loaded when listed in modules_enabled;
  we do not list it, so there are no c2s rate limits at all.
- Interfaces default to ``*`` and ``::``; every service is pinned to
  127.0.0.1 here. s2s is disabled as a module, so it binds nothing.
- While no component is connected, Prosody bounces stanzas addressed to it
  (iq and message alike) with ``<error type='wait'><remote-server-timeout/>``
  ("Component unavailable"): nothing is queued for the component.
- Prosody stamps the stream's xml:lang on stanzas that have none, so a
  client's message carries ``xml:lang`` = its stream language (slixmpp: "en"
  unless ``TestClient(lang=...)``).
- Only one connection per component domain: a second login is refused while
  the first is up (``component_conflict_resolve`` default ``kick_new``).
- SIGTERM with clients connected takes about 1 s (it waits for c2s streams to close).
"""
from __future__ import annotations

import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

DOMAIN = "shop.test"
COMPONENT = "support.shop.test"
PROSODY = shutil.which("prosody") or "/usr/bin/prosody"
PROSODYCTL = shutil.which("prosodyctl") or "/usr/bin/prosodyctl"


class ProsodyError(RuntimeError):
    """Prosody did not do what a test needed; the message ends with its log."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


_prctl: Callable[..., int] | None
try:  # bound here, not in the child: after fork only the call itself runs
    _prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None


def die_with_parent() -> None:
    """preexec_fn: SIGTERM this child when pytest dies (Linux), so a killed
    test run leaves no Prosody or twistd behind holding ports."""
    if _prctl is not None:
        _prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def terminate(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    """SIGTERM and wait up to ``timeout``; SIGKILL if it is stuck. True when
    it had to be killed."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
        return True
    return False


def _lua(value: str) -> str:
    """A Lua string literal (our values never contain quotes or backslashes)."""
    assert '"' not in value and "\\" not in value, value
    return f'"{value}"'


class Prosody:
    """One Prosody process with VirtualHost ``shop.test`` and Component
    ``support.shop.test``.

    ``extra_config`` is Lua appended to the global section (before the
    VirtualHost), e.g. ``c2s_stanza_size_limit = 10*1024*1024`` for benchmarks.
    """

    def __init__(self, root: Path | None = None, *, log_level: str = "debug",
                 extra_config: str = "") -> None:
        self.own_root = root is None
        self.root = Path(root or tempfile.mkdtemp(prefix="imsupport-prosody-"))
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        self.data_dir = self.root / "data"
        self.config_file = self.root / "prosody.cfg.lua"
        self.log_file = self.root / "prosody.log"
        self.console_file = self.root / "console.log"
        self.pid_file = self.root / "prosody.pid"
        self.domain = DOMAIN
        self.component = COMPONENT
        self.component_secret = "secret-" + secrets.token_hex(8)
        self.host = "127.0.0.1"
        self.c2s_port = free_port()
        self.component_port = free_port()
        self.log_level = log_level
        self.extra_config = extra_config
        self.process: subprocess.Popen[bytes] | None = None
        self._write_config()

    # -- configuration ---------------------------------------------------

    def _write_config(self) -> None:
        self.data_dir.mkdir(exist_ok=True)
        # An empty certs/ silences "Error indexing certificate directory".
        (self.root / "certs").mkdir(exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.data_dir, "prosody", "prosody")
        lo = _lua(self.host)
        self.config_file.write_text(f"""\
-- written by tests/e2e/prosody.py; loopback only, no TLS, no s2s, no http
run_as_root = true
pidfile = {_lua(str(self.pid_file))}
data_path = {_lua(str(self.data_dir))}
certificates = {_lua(str(self.root / "certs"))}
interfaces = {{ {lo} }}
local_interfaces = {{ {lo} }}
c2s_interfaces = {{ {lo} }}
c2s_ports = {{ {self.c2s_port} }}
c2s_direct_tls_ports = {{ }}
legacy_ssl_ports = {{ }}
component_interfaces = {{ {lo} }}
component_ports = {{ {self.component_port} }}
modules_enabled = {{
    "roster"; "saslauth"; "disco"; "ping"; "register"; "version";
    "time"; "uptime"; "posix";
}}
modules_disabled = {{ "s2s"; "s2s_auth_certs" }}
authentication = "internal_plain"
allow_unencrypted_plain_auth = true
c2s_require_encryption = false
s2s_require_encryption = false
allow_registration = true
log = {{
    {{ levels = {{ min = {_lua(self.log_level)} }}, to = "file",
       filename = {_lua(str(self.log_file))} }};
}}
{self.extra_config}

VirtualHost {_lua(self.domain)}

Component {_lua(self.component)}
    component_secret = {_lua(self.component_secret)}
""")
        os.chmod(self.config_file, 0o644)

    # -- process ---------------------------------------------------------

    def start(self, timeout: float = 15.0) -> None:
        """Start Prosody and wait until both c2s and component ports accept."""
        if self.running:
            return
        with open(self.console_file, "ab") as console:
            self.process = subprocess.Popen(
                [PROSODY, "--config", str(self.config_file), "-F"],
                cwd=self.root, stdin=subprocess.DEVNULL,
                stdout=console, stderr=subprocess.STDOUT, preexec_fn=die_with_parent,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ProsodyError(f"Prosody exited with {self.process.returncode} while starting"
                                   + self.log_tail())
            if port_open(self.c2s_port) and port_open(self.component_port):
                return
            time.sleep(0.05)
        self.stop()
        raise ProsodyError(f"Prosody did not open ports {self.c2s_port}/{self.component_port}"
                           f" within {timeout}s" + self.log_tail())

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (clean shutdown, closes every stream) and wait; SIGKILL if stuck."""
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        terminate(proc, timeout)
        deadline = time.monotonic() + 5
        while port_open(self.c2s_port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def restart(self, down_for: float = 0.0) -> None:
        """Stop, optionally stay down for ``down_for`` seconds, start on the same ports."""
        self.stop()
        if down_for:
            time.sleep(down_for)
        self.start()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def cleanup(self) -> None:
        """Stop and remove the temporary directory (kept if E2E_KEEP=1)."""
        self.stop()
        if self.own_root and os.environ.get("E2E_KEEP") != "1":
            shutil.rmtree(self.root, ignore_errors=True)

    # -- accounts --------------------------------------------------------

    def register(self, user: str, password: str) -> str:
        """Create (or reset the password of) ``user@shop.test``; returns the bare JID.

        prosodyctl writes straight to the data store (~50 ms); the running
        server reads accounts from disk on each login, so no reload is needed.
        """
        self.prosodyctl("register", user, self.domain, password)
        return f"{user}@{self.domain}"

    def unregister(self, user: str) -> None:
        self.prosodyctl("deluser", f"{user}@{self.domain}")

    def prosodyctl(self, *args: str) -> str:
        result = subprocess.run(
            [PROSODYCTL, "--config", str(self.config_file), *args],
            cwd=self.root, stdin=subprocess.DEVNULL, capture_output=True,
            text=True, timeout=30,
        )
        if result.returncode != 0:
            raise ProsodyError(f"prosodyctl {' '.join(args[:2])} failed ({result.returncode}):\n"
                               f"{result.stdout}{result.stderr}" + self.log_tail())
        return result.stdout

    # -- diagnostics -----------------------------------------------------

    def log_text(self) -> str:
        parts = []
        for f in (self.console_file, self.log_file):
            if f.exists():
                parts.append(f.read_text(errors="replace"))
        return "\n".join(parts)

    def log_tail(self, lines: int = 40) -> str:
        tail = []
        for f in (self.console_file, self.log_file):
            if f.exists():
                text = f.read_text(errors="replace").splitlines()[-lines:]
                tail.append(f"--- {f} (last {len(text)} lines) ---\n" + "\n".join(text))
        return "\n" + "\n".join(tail) if tail else f"\n(no Prosody log in {self.root})"

    def __repr__(self) -> str:
        return (f"<Prosody {self.domain} c2s={self.c2s_port} "
                f"component={self.component}:{self.component_port} in {self.root}>")
