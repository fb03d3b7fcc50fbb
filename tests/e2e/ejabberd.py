"""
A real ejabberd (Debian's package) for end-to-end tests (R-RUN-5).

One instance per test module, bound to loopback on free ports, with its own
config, Mnesia spool, logs, Erlang node name and cookie in a temporary
directory. Nothing here touches /etc/ejabberd, /var/lib/ejabberd or Debian's
service. The component listener is the repository's
``etc/ejabberd-component.yml`` with its port, domain and secret filled in, so
the documented snippet is what the tests run.

Facts about ejabberd 23.01 (Debian 12) this relies on (read from
/usr/sbin/ejabberdctl and the logs):

- ``ejabberdctl`` run by root re-runs itself as the ``ejabberd`` user
  (``su``; INSTALLUSER is fixed in the script), and refuses any other user.
  We run it as that user ourselves (``runuser -u ejabberd``), so the script
  runs as is; the temporary directory is owned by ``ejabberd`` for it.
  Running it as root is therefore required (as for scripts/test).
- ``--config-dir/--config/--ctl-config/--logs/--spool`` point it at our
  files. The ctl config is a shell file it sources: we set ERLANG_NODE (a
  random short name @localhost), ERL_DIST_PORT (the Erlang distribution
  port; ejabberdctl then passes ``-erl_epmd_port P -start_epmd false``, so
  neither the server nor the ctl commands use or start epmd),
  INET_DIST_INTERFACE=127.0.0.1 (the distribution port on loopback only) and
  the cookie with ``-setcookie`` in ERL_OPTIONS. HOME is the temporary
  directory, so no ``.erlang.cookie`` is written anywhere else.
- ``ejabberdctl foreground`` stays attached; ``ejabberdctl stop`` is the clean
  shutdown. It runs in a process group of its own under a small bash
  wrapper that, on SIGTERM (also sent when pytest dies: PR_SET_PDEATHSIG),
  passes SIGTERM to the whole group; the Erlang VM shuts down cleanly on it.
- The config dir must hold ``inetrc`` (ERL_INETRC), or every ctl command
  prints an error report.
- With ``auth_password_format: plain`` ejabberd offers SCRAM and PLAIN
  without TLS; c2s has no STARTTLS unless configured, so loopback clients log
  in in clear text, as with the test Prosody.
- Startup takes about a second; ``ejabberdctl register`` about 0.4 s.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.e2e.prosody import die_with_parent, free_port, port_open

EJABBERDCTL = shutil.which("ejabberdctl") or "/usr/sbin/ejabberdctl"
RUNUSER = shutil.which("runuser") or "/usr/sbin/runuser"
USER = "ejabberd"
DOMAIN = "shop.test"
COMPONENT = "support.shop.test"
SNIPPET = Path(__file__).resolve().parents[2] / "etc" / "ejabberd-component.yml"
# What etc/ejabberd-component.yml says, replaced by this instance's values.
SNIPPET_PORT = "port: 5347"
SNIPPET_DOMAIN = "support.shop.example:"
SNIPPET_SECRET = 'password: "component-secret"'
SNIPPET_OPTIONAL = re.compile(r"^(\s*)# ((?:access|shaper_rule|check_from): \S+)",
                              re.MULTILINE)


class EjabberdError(RuntimeError):
    """ejabberd did not do what a test needed; the message ends with its log."""


def available() -> str | None:
    """None when this machine can run the harness, else why not."""
    if not os.path.exists(EJABBERDCTL):
        return "ejabberd is not installed (scripts/test installs it)"
    if os.geteuid() != 0:
        return "the ejabberd harness runs ejabberdctl as the ejabberd user and needs root"
    return None


def component_listener(port: int, domain: str, secret: str, snippet: Path = SNIPPET) -> str:
    """The ``listen:`` item of etc/ejabberd-component.yml with its example
    values replaced, and its optional settings (their defaults) switched on
    so that ejabberd checks them too. Fails if the snippet changed shape."""
    text = snippet.read_text()
    body = text.split("\nlisten:\n", 1)
    if len(body) != 2:
        raise EjabberdError(f"{snippet}: no top-level 'listen:' list")
    item = []
    for line in body[1].splitlines():
        if line and not line.startswith(" "):
            break  # the end of the listen list: the next top-level line
        item.append(line)
    listener = "\n".join(item).rstrip() + "\n"
    for old, new in ((SNIPPET_PORT, f"port: {port}"), (SNIPPET_DOMAIN, f"{domain}:"),
                     (SNIPPET_SECRET, f'password: "{secret}"')):
        if listener.count(old) != 1:
            raise EjabberdError(f"{snippet}: expected {old!r} once in the listener")
        listener = listener.replace(old, new)
    listener, optional = SNIPPET_OPTIONAL.subn(r"\1\2", listener)
    if optional != 3:
        raise EjabberdError(f"{snippet}: expected 3 commented optional settings, got {optional}")
    return listener


class Ejabberd:
    """One ejabberd with host ``shop.test`` and the component
    ``support.shop.test``; the same attributes as tests.e2e.prosody.Prosody
    that ImsupportProcess and make_config use (host, component,
    component_port, component_secret, c2s_port, domain)."""

    def __init__(self, root: Path | None = None, *, loglevel: str = "info",
                 with_component: bool = True) -> None:
        """``with_component=False`` starts without the component listener;
        ``add_component()`` adds it to the running server later."""
        self.own_root = root is None
        self.root = Path(root or tempfile.mkdtemp(prefix="imsupport-ejabberd-"))
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        self.spool_dir = self.root / "spool"
        self.logs_dir = self.root / "logs"
        self.config_file = self.root / "ejabberd.yml"
        self.ctl_config_file = self.root / "ejabberdctl.cfg"
        self.console_file = self.root / "console.log"
        self.domain = DOMAIN
        self.component = COMPONENT
        self.component_secret = "secret-" + secrets.token_hex(8)
        self.host = "127.0.0.1"
        self.c2s_port = free_port()
        self.component_port = free_port()
        self.dist_port = free_port()
        self.node = f"imsupport-e2e-{secrets.token_hex(4)}@localhost"
        self.cookie = secrets.token_hex(16)
        self.loglevel = loglevel
        self.with_component = with_component
        self.process: subprocess.Popen[bytes] | None = None
        self._write_config()

    # -- configuration ---------------------------------------------------

    def _write_config(self) -> None:
        for directory in (self.spool_dir, self.logs_dir):
            directory.mkdir(exist_ok=True)
            shutil.chown(directory, USER, USER)
        shutil.chown(self.root, USER, USER)  # ejabberdctl cds here; HOME for Erlang
        listener = component_listener(self.component_port, self.component,
                                      self.component_secret) if self.with_component else ""
        self.config_file.write_text(f"""\
# written by tests/e2e/ejabberd.py; loopback only, no TLS, no s2s, no http
hosts:
  - {self.domain}
loglevel: {self.loglevel}
log_rotate_count: 0
certfiles: []
auth_method: internal
auth_password_format: plain
listen:
  -
    port: {self.c2s_port}
    ip: "{self.host}"
    module: ejabberd_c2s
# etc/ejabberd-component.yml, filled in:
{listener}
modules:
  mod_disco: {{}}
  mod_ping: {{}}
  mod_roster: {{}}
  mod_version: {{}}
""")
        self.ctl_config_file.write_text(f"""\
# sourced by ejabberdctl; see tests/e2e/ejabberd.py
ERLANG_NODE={self.node}
ERL_DIST_PORT={self.dist_port}
INET_DIST_INTERFACE={self.host}
ERL_OPTIONS="-setcookie {self.cookie} -env ERL_CRASH_DUMP_BYTES 0"
""")
        (self.root / "inetrc").write_text(
            '{lookup,["file","native"]}.\n{host,{127,0,0,1}, ["localhost"]}.\n')
        for path in (self.config_file, self.ctl_config_file, self.root / "inetrc"):
            os.chmod(path, 0o644)

    def add_component(self) -> None:
        """Add the listener to the config and ``ejabberdctl reload_config``, as
        etc/ejabberd-component.yml tells an admin to; wait for its port."""
        self.with_component = True
        self._write_config()
        self.ctl("reload_config")
        self._wait_ports(10.0, "after reload_config")

    @property
    def ctl_command(self) -> list[str]:
        return [RUNUSER, "-u", USER, "--", "env", f"HOME={self.root}", EJABBERDCTL,
                "--config-dir", str(self.root), "--config", str(self.config_file),
                "--ctl-config", str(self.ctl_config_file), "--logs", str(self.logs_dir),
                "--spool", str(self.spool_dir)]

    # -- process ---------------------------------------------------------

    def start(self, timeout: float = 30.0) -> None:
        """Start ejabberd and wait until both c2s and component ports accept."""
        if self.running:
            return
        wrapper = 'trap "trap - TERM; kill -TERM 0" TERM; "$@" & wait $!'
        with open(self.console_file, "ab") as console:
            self.process = subprocess.Popen(
                ["bash", "-c", wrapper, "ejabberd-e2e", *self.ctl_command, "foreground"],
                cwd=self.root, stdin=subprocess.DEVNULL, stdout=console,
                stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=die_with_parent)  # noqa: PLW1509 (as tests/e2e/prosody.py)
        self._wait_ports(timeout, "while starting")

    def _wait_ports(self, timeout: float, when: str) -> None:
        ports = [self.c2s_port] + ([self.component_port] if self.with_component else [])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                code = None if self.process is None else self.process.returncode
                self.stop()
                raise EjabberdError(f"ejabberd exited with {code} {when}" + self.log_tail())
            if all(port_open(port) for port in ports):
                return
            time.sleep(0.1)
        self.stop()
        raise EjabberdError(f"ejabberd did not open ports {ports} {when} within {timeout}s"
                            + self.log_tail())

    def stop(self, timeout: float = 20.0) -> None:
        """``ejabberdctl stop`` and wait; SIGTERM, then SIGKILL to its process
        group if it is stuck. Nothing of it is left running."""
        proc, self.process = self.process, None
        if proc is None:
            return
        if proc.poll() is None:
            subprocess.run([*self.ctl_command, "stop"], cwd=self.root, capture_output=True,
                           stdin=subprocess.DEVNULL, timeout=30, check=False)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(proc, signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    pass
        # The wrapper may be gone while the VM still winds down.
        self._signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while self._group_alive(proc) and time.monotonic() < deadline:
            time.sleep(0.1)
        self._signal_group(proc, signal.SIGKILL)
        if proc.poll() is None:
            proc.wait(5)

    @staticmethod
    def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    @staticmethod
    def _group_alive(proc: subprocess.Popen[bytes]) -> bool:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

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
        """Create ``user@shop.test`` with ``ejabberdctl register``; returns the bare JID."""
        self.ctl("register", user, self.domain, password)
        return f"{user}@{self.domain}"

    def ctl(self, *args: str) -> str:
        result = subprocess.run([*self.ctl_command, *args], cwd=self.root,
                                stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                timeout=60, check=False)
        if result.returncode != 0:
            raise EjabberdError(f"ejabberdctl {' '.join(args[:1])} failed ({result.returncode}):"
                                f"\n{result.stdout}{result.stderr}" + self.log_tail())
        return result.stdout

    # -- diagnostics -----------------------------------------------------

    def _log_files(self) -> list[Path]:
        return [self.console_file, self.logs_dir / "ejabberd.log", self.logs_dir / "error.log"]

    def log_text(self) -> str:
        return "\n".join(f.read_text(errors="replace") for f in self._log_files() if f.exists())

    def log_tail(self, lines: int = 40) -> str:
        tail = []
        for f in self._log_files():
            if f.exists():
                text = f.read_text(errors="replace").splitlines()[-lines:]
                tail.append(f"--- {f} (last {len(text)} lines) ---\n" + "\n".join(text))
        return "\n" + "\n".join(tail) if tail else f"\n(no ejabberd log in {self.root})"

    def __repr__(self) -> str:
        return (f"<Ejabberd {self.domain} c2s={self.c2s_port} "
                f"component={self.component}:{self.component_port} node={self.node} "
                f"in {self.root}>")
