"""
The demo: a private Prosody on loopback with demo accounts, and imsupport on
SQLite, both in the foreground until Ctrl-C. Run through ``scripts/demo``,
which installs what it needs first.

Everything lives in ``demo-data/`` (or ``$IMSUPPORT_DEMO_DIR``): Prosody's
config and data, imsupport's config, database and log. Ports: c2s 5222 and
the component port 5347 on 127.0.0.1, the web side on 8080 (override with
IMSUPPORT_DEMO_C2S, _COMPONENT, _WEB).
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

DOMAIN = "localhost"
COMPONENT = f"support.{DOMAIN}"
OPERATORS = [("ivan", "Ivan", ["ru", "en"]), ("olga", "Olga", ["en"])]
CLIENTS = ["alice", "bob"]
TWISTD = "import sys; from twisted.scripts.twistd import run; sys.argv[0] = 'twistd'; run()"


def port(name: str, default: int) -> int:
    return int(os.environ.get(f"IMSUPPORT_DEMO_{name}", default))


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


def waitHealthy(web: int, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{web}/healthz", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def main() -> int:
    root = Path(os.environ.get("IMSUPPORT_DEMO_DIR", "demo-data")).resolve()
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    c2s, component, web = port("C2S", 5222), port("COMPONENT", 5347), port("WEB", 8080)
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

    signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
    try:
        processes.append(subprocess.Popen(
            ["prosody", "--config", str(prosody_config), "-F"], cwd=root,
            stdout=open(root / "prosody.out", "ab"), stderr=subprocess.STDOUT))
        time.sleep(1.5)
        processes.append(subprocess.Popen(
            [sys.executable, "-c", TWISTD, "--nodaemon", "--pidfile=",
             f"--logfile={root / 'imsupport.log'}", "imsupport", "--config",
             str(imsupport_config)], cwd=root))
        if not waitHealthy(web):
            print(f"imsupport did not come up; see {root / 'imsupport.log'} and "
                  f"{root / 'prosody.log'}", file=sys.stderr)
            stop()
            return 1
        print(f"""
imsupport demo is running (Ctrl-C stops it).

  XMPP server:   127.0.0.1 port {c2s} (no TLS; plain passwords on loopback only)
  Support line:  sales@{COMPONENT}   (write to it as a client)
  Service:       {COMPONENT}   (operators: !help, !status)
  Health:        http://127.0.0.1:{web}/healthz   Metrics: http://127.0.0.1:{web}/metrics

  Operators (accept the subscription request from {COMPONENT} once):""")
        for (jid, password), (_, name, langs) in zip(accounts, OPERATORS):
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
    except KeyboardInterrupt:
        return 0
    finally:
        stop()


if __name__ == "__main__":
    sys.exit(main())
