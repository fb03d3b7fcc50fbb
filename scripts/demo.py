"""
The demo: a private Prosody on loopback with demo accounts, and imsupport on
SQLite, both in the foreground until Ctrl-C. Run through ``scripts/demo``,
which installs what it needs first.

Everything lives in ``demo-data/`` (or ``$IMSUPPORT_DEMO_DIR``): Prosody's
config and data, imsupport's config, database and log. Ports: c2s 5222 and
the component port 5347 on 127.0.0.1, the web side on 8080 (override with
IMSUPPORT_DEMO_C2S, _COMPONENT, _WEB).

Before starting anything it checks that those ports are free, and after
starting Prosody that Prosody really listens on them; otherwise it says which
port and which variable, and exits with status 1 (issue 7, defect 17).
"""
from __future__ import annotations

import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

DOMAIN = "localhost"
COMPONENT = f"support.{DOMAIN}"
OPERATORS = [("ivan", "Ivan", ["ru", "en"]), ("olga", "Olga", ["en"])]
CLIENTS = ["alice", "bob"]
TWISTD = "import sys; from twisted.scripts.twistd import run; sys.argv[0] = 'twistd'; run()"
HOST = "127.0.0.1"
# (variable suffix, default, what listens there)
PORTS = [("C2S", 5222, "Prosody's client (c2s) port"),
         ("COMPONENT", 5347, "Prosody's component port"),
         ("WEB", 8080, "imsupport's web port (/healthz, /metrics)")]
PROSODY_START_TIMEOUT = 15.0


_prctl: Callable[..., int] | None
try:  # bound here, not in the child: after fork only the call itself runs
    _prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None


def dieWithDemo() -> None:
    """preexec_fn: the child gets SIGTERM when the demo dies (Linux), so a
    killed demo leaves no Prosody or twistd behind holding the ports."""
    if _prctl is not None:
        _prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class DemoError(Exception):
    """Something the person running the demo must fix; the text says what."""


def variable(name: str) -> str:
    return f"IMSUPPORT_DEMO_{name}"


def port(name: str, default: int, environ: dict[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    raw = env.get(variable(name), str(default))
    try:
        number = int(raw)
    except ValueError:
        number = 0
    if not 0 < number < 65536:
        raise DemoError(f"{variable(name)} must be a TCP port number (1-65535), got {raw!r}")
    return number


def demoPorts(environ: dict[str, str] | None = None) -> dict[str, int]:
    """The ports the demo needs, by variable suffix: C2S, COMPONENT, WEB."""
    ports = {name: port(name, default, environ) for name, default, _ in PORTS}
    seen: dict[int, str] = {}
    for name, number in ports.items():
        if number in seen:
            raise DemoError(f"{variable(seen[number])} and {variable(name)} are both {number}; "
                            f"give each a port of its own")
        seen[number] = name
    return ports


def portTaken(number: int, host: str = HOST) -> bool:
    """True when something already listens on host:number (or holds it), so a
    server binding it as Prosody and Twisted do (SO_REUSEADDR) would fail."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, number))
        except OSError:
            return True
    return False


def checkPorts(ports: dict[str, int], host: str = HOST) -> None:
    """Raise DemoError naming every taken port and the variable that moves it."""
    problems = [f"  port {ports[name]} on {host} ({what}) is already in use; "
                f"choose another with {variable(name)}=PORT"
                for name, _, what in PORTS if name in ports and portTaken(ports[name], host)]
    if problems:
        raise DemoError("cannot start the demo:\n" + "\n".join(problems) +
                        "\n  (another XMPP server or an earlier demo may be running;"
                        " `ss -ltnp` shows who listens)")


def accepts(number: int, host: str = HOST) -> bool:
    try:
        with socket.create_connection((host, number), timeout=0.5):
            return True
    except OSError:
        return False


def logTail(root: Path, names: tuple[str, ...], lines: int = 30) -> str:
    parts = []
    for name in names:
        path = root / name
        if path.exists():
            text = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path} (last {len(text)} lines) ---\n" + "\n".join(text))
    return "\n".join(parts) or f"(no log in {root})"


PROSODY_LOGS = ("prosody.out", "prosody.log")


def waitProsody(process: subprocess.Popen[bytes], root: Path, ports: dict[str, int],
                timeout: float = PROSODY_START_TIMEOUT) -> None:
    """Wait until Prosody listens on the c2s and component ports. Prosody
    keeps running when it cannot open a port (it only logs "Failed to open
    server port"), so its log is read too. Raises DemoError with the log tail."""
    wanted = [ports["C2S"], ports["COMPONENT"]]
    deadline = time.monotonic() + timeout
    while True:
        log = (root / "prosody.log").read_text(errors="replace") \
            if (root / "prosody.log").exists() else ""
        if "Failed to open server port" in log:
            raise DemoError("Prosody could not open its ports:\n"
                            + logTail(root, PROSODY_LOGS))
        if process.poll() is not None:
            raise DemoError(f"Prosody exited with status {process.returncode}:\n"
                            + logTail(root, PROSODY_LOGS))
        if all(accepts(number) for number in wanted):
            return
        if time.monotonic() >= deadline:
            raise DemoError(f"Prosody did not open ports {wanted[0]} and {wanted[1]} within "
                            f"{timeout:.0f} s:\n" + logTail(root, PROSODY_LOGS))
        time.sleep(0.1)


def writeProsodyConfig(root: Path, c2s: int, component: int, secret: str) -> Path:
    data = root / "prosody-data"
    data.mkdir(parents=True, exist_ok=True)
    (root / "certs").mkdir(exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(data, "prosody", "prosody")
    config = root / "prosody.cfg.lua"
    config.write_text(f"""-- demo Prosody: loopback only, no TLS (plain passwords on loopback only)
run_as_root = true
pidfile = "{root}/prosody.pid"
data_path = "{data}"
certificates = "{root}/certs"
interfaces = {{ "127.0.0.1" }}
c2s_ports = {{ {c2s} }}
c2s_direct_tls_ports = {{ }}
legacy_ssl_ports = {{ }}
component_interfaces = {{ "127.0.0.1" }}
component_ports = {{ {component} }}
modules_enabled = {{ "roster"; "saslauth"; "disco"; "ping"; "register"; "version";
                    "time"; "uptime"; "posix" }}
modules_disabled = {{ "s2s" }}
authentication = "internal_plain"
allow_unencrypted_plain_auth = true
c2s_require_encryption = false
allow_registration = true
log = {{ {{ levels = {{ min = "info" }}, to = "file", filename = "{root}/prosody.log" }} }}

VirtualHost "{DOMAIN}"

Component "{COMPONENT}"
    component_secret = "{secret}"
""")
    return config


def writeImsupportConfig(root: Path, component: int, web: int, secret: str) -> Path:
    operators = "\n".join(
        f'[[operators]]\njid = "{user}@{DOMAIN}"\nname = "{name}"\nlanguages = {langs!r}\n'
        for user, name, langs in OPERATORS).replace("'", '"')
    jids = [f"{user}@{DOMAIN}" for user, _, _ in OPERATORS]
    config = root / "imsupport.toml"
    config.write_text(f"""# demo configuration; see etc/imsupport.toml for every key
[service]
domain = "{COMPONENT}"
default_language = "en"
admins = ["{jids[0]}"]

[xmpp]
host = "127.0.0.1"
port = {component}
secret = "{secret}"

[storage]
url = "sqlite:imsupport.sqlite"

[web]
endpoint = "tcp:{web}:interface=127.0.0.1"
public_url = "http://127.0.0.1:{web}"
files_dir = "files"

{operators}
[[nodes]]
name = "sales"
title = "Sales questions"
languages = ["en", "ru"]
invite_timeout = 60

  [[nodes.groups]]
  name = "first"
  wave = 1
  operators = {jids!r}
""".replace("'", '"'))
    return config


def register(prosodyctl: list[str], user: str, password: str) -> None:
    subprocess.run([*prosodyctl, "register", user, DOMAIN, password], check=True,
                   capture_output=True, timeout=60)


def waitHealthy(web: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{web}/healthz", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def main() -> int:
    try:
        ports = demoPorts()
        checkPorts(ports)
    except DemoError as e:
        print(f"[demo] ERROR: {e}", file=sys.stderr)
        return 1
    root = Path(os.environ.get("IMSUPPORT_DEMO_DIR", "demo-data")).resolve()
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    c2s, component, web = ports["C2S"], ports["COMPONENT"], ports["WEB"]
    secret = secrets.token_hex(16)
    prosody_config = writeProsodyConfig(root, c2s, component, secret)
    imsupport_config = writeImsupportConfig(root, component, web, secret)
    prosodyctl = ["prosodyctl", "--config", str(prosody_config)]
    accounts = []
    for user in [u for u, _, _ in OPERATORS] + CLIENTS:
        password = f"{user}-demo"
        register(prosodyctl, user, password)
        accounts.append((f"{user}@{DOMAIN}", password))

    processes: list[subprocess.Popen[bytes]] = []

    def stop(*_: object) -> None:
        for process in reversed(processes):
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()

    def terminated(*_: object) -> None:
        stop()
        sys.exit(0)

    signal.signal(signal.SIGTERM, terminated)
    try:
        for name in PROSODY_LOGS:  # this run's log only: waitProsody reads it
            (root / name).unlink(missing_ok=True)
        with open(root / "prosody.out", "ab") as out:
            prosody = subprocess.Popen(["prosody", "--config", str(prosody_config), "-F"],
                                       cwd=root, stdout=out, stderr=subprocess.STDOUT,
                                       preexec_fn=dieWithDemo)  # noqa: PLW1509 (no threads)
        processes.append(prosody)
        waitProsody(prosody, root, ports)
        imsupport = subprocess.Popen(
            [sys.executable, "-c", TWISTD, "--nodaemon", "--pidfile=",
             f"--logfile={root / 'imsupport.log'}", "imsupport", "--config",
             str(imsupport_config)], cwd=root,
            preexec_fn=dieWithDemo)  # noqa: PLW1509 (the demo has no threads)
        processes.append(imsupport)
        if not waitHealthy(web, imsupport):
            raise DemoError("imsupport did not come up:\n"
                            + logTail(root, ("imsupport.log",) + PROSODY_LOGS))
        print(f"""
imsupport demo is running (Ctrl-C stops it).

  XMPP server:   127.0.0.1 port {c2s} (no TLS; plain passwords on loopback only)
  Support line:  sales@{COMPONENT}   (write to it as a client)
  Service:       {COMPONENT}   (operators: !help, !status)
  Health:        http://127.0.0.1:{web}/healthz   Metrics: http://127.0.0.1:{web}/metrics

  Operators (accept the subscription request from {COMPONENT} once):""")
        operators = accounts[:len(OPERATORS)]
        for (jid, password), (_, name, langs) in zip(operators, OPERATORS, strict=True):
            print(f"    {jid:<22} password {password:<12} shown to clients as {name} "
                  f"({', '.join(langs)})")
        print("  Clients:")
        for jid, password in accounts[len(OPERATORS):]:
            print(f"    {jid:<22} password {password}")
        print(f"\n  Files, logs and the SQLite database are in {root}\n", flush=True)
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        print("a demo process stopped; see the logs in", root, file=sys.stderr)
        return 1
    except DemoError as e:
        print(f"[demo] ERROR: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop()


if __name__ == "__main__":
    sys.exit(main())
