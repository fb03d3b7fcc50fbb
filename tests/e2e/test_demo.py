"""
scripts/demo.py (issue 7, defect 17): a taken port is named with the variable
that moves it, before anything starts; a Prosody that cannot open its ports is
noticed; the demo comes up on free ports and leaves nothing behind on SIGTERM.
Real sockets and real Prosody, so these live with the e2e tests.
"""
from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest

from tests.e2e.prosody import PROSODY, die_with_parent, free_port, port_open, terminate

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "demo.py"


def load_demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("imsupport_demo_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def held_port() -> Iterator[int]:
    """A port on 127.0.0.1 that this test listens on, as another server would."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


def demo_env(tmp_path: Path, **ports: int) -> dict[str, str]:
    """Each port not given is a free one, and no two are the same: the
    kernel may hand out a port it just gave, once nobody holds it."""
    env = {**os.environ, "IMSUPPORT_DEMO_DIR": str(tmp_path / "demo")}
    taken = set(ports.values())
    for name in ("C2S", "COMPONENT", "WEB"):
        port = ports.get(name)
        while port is None or (port in taken and name not in ports):
            port = free_port()
        taken.add(port)
        env[f"IMSUPPORT_DEMO_{name}"] = str(port)
    return env


def run_demo(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT)], env=env, cwd=REPO, text=True,
                          capture_output=True, timeout=60, stdin=subprocess.DEVNULL,
                          check=False)


@pytest.mark.parametrize("name, what", [("C2S", "Prosody's client (c2s) port"),
                                        ("COMPONENT", "Prosody's component port"),
                                        ("WEB", "imsupport's web port")])
def test_a_taken_port_is_named_and_nothing_starts(tmp_path, name, what):
    with held_port() as taken:
        result = run_demo(demo_env(tmp_path, **{name: taken}))
    assert result.returncode == 1, result
    assert f"port {taken} on 127.0.0.1 ({what}" in result.stderr
    assert f"is already in use; choose another with IMSUPPORT_DEMO_{name}=PORT" in result.stderr
    assert "demo is running" not in result.stdout
    assert not (tmp_path / "demo").exists(), "checked before anything was written or started"


def test_every_taken_port_is_listed(tmp_path):
    with held_port() as c2s, held_port() as web:
        result = run_demo(demo_env(tmp_path, C2S=c2s, WEB=web))
    assert result.returncode == 1
    assert "IMSUPPORT_DEMO_C2S=PORT" in result.stderr and "IMSUPPORT_DEMO_WEB=PORT" in result.stderr
    assert "IMSUPPORT_DEMO_COMPONENT" not in result.stderr


@pytest.mark.parametrize("value, message", [
    ("abc", "IMSUPPORT_DEMO_WEB must be a TCP port number (1-65535), got 'abc'"),
    ("70000", "IMSUPPORT_DEMO_WEB must be a TCP port number (1-65535), got '70000'"),
])
def test_a_bad_port_variable_is_named(tmp_path, value, message):
    env = demo_env(tmp_path)
    env["IMSUPPORT_DEMO_WEB"] = value
    result = run_demo(env)
    assert result.returncode == 1 and message in result.stderr


def test_one_port_for_two_services_is_refused(tmp_path):
    port = free_port()
    result = run_demo(demo_env(tmp_path, C2S=port, COMPONENT=port))
    assert result.returncode == 1
    assert (f"IMSUPPORT_DEMO_C2S and IMSUPPORT_DEMO_COMPONENT are both {port}"
            in result.stderr)


def test_a_prosody_that_cannot_open_its_port_is_noticed(tmp_path):
    """Prosody keeps running when a port is taken and only logs it: the demo
    reads the log and stops with its tail (the check before start can lose a
    race with another program)."""
    demo = load_demo()
    root = tmp_path / "demo"
    root.mkdir()
    os.chmod(root, 0o755)
    with held_port() as taken:
        ports = {"C2S": taken, "COMPONENT": free_port(), "WEB": free_port()}
        config = demo.writeProsodyConfig(root, ports["C2S"], ports["COMPONENT"], "s3cret")
        with open(root / "prosody.out", "ab") as out:
            prosody = subprocess.Popen([PROSODY, "--config", str(config), "-F"], cwd=root,
                                       stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL,
                                       preexec_fn=die_with_parent)  # noqa: PLW1509
        try:
            with pytest.raises(demo.DemoError) as failed:
                demo.waitProsody(prosody, root, ports, timeout=20)
        finally:
            terminate(prosody, 10)
    text = str(failed.value)
    assert text.startswith("Prosody could not open its ports")
    assert f"Failed to open server port {taken}" in text and "prosody.log" in text


def test_the_demo_runs_and_stops_cleanly(tmp_path):
    env = demo_env(tmp_path)
    ports = [int(env[f"IMSUPPORT_DEMO_{n}"]) for n in ("C2S", "COMPONENT", "WEB")]
    demo = subprocess.Popen([sys.executable, str(SCRIPT)], env=env, cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL,
                            preexec_fn=die_with_parent)  # noqa: PLW1509
    assert demo.stdout is not None
    output = []
    try:
        for line in demo.stdout:
            output.append(line)
            if "demo is running" in line or "ERROR" in line:
                break
        assert "demo is running" in "".join(output), "".join(output)
        with urllib.request.urlopen(f"http://127.0.0.1:{ports[2]}/healthz", timeout=5) as r:
            assert r.status == 200
        pid = int((tmp_path / "demo" / "prosody.pid").read_text())
    finally:
        demo.send_signal(signal.SIGTERM)
        status = demo.wait(30)
    assert status == 0
    deadline = time.monotonic() + 10
    while any(port_open(p) for p in ports) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(port_open(p) for p in ports), "a demo process still listens"
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
