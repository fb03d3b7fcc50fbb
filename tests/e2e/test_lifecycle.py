"""
The component's connection lifecycle as the real process logs it (issue 7:
defect 5 and the SIGTERM line of 15): real Prosody, real ``twistd -n imsupport``.
The timing of the back-off itself is tested on simulated time in
tests/xmpp/test_connection.py.
"""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from tests.e2e.prosody import Prosody
from tests.e2e.service import ImsupportProcess, free_port, make_config, sqlite_url


def test_sigterm_logs_a_shutdown_not_a_lost_connection(start_imsupport, prosody: Prosody):
    service = start_imsupport()
    service.wait_log(f"connected to 127.0.0.1:{prosody.component_port}")
    service.stop()  # SIGTERM; it raises if the process had to be killed
    log = service.log_text()
    assert (f"Component {prosody.component} closed its stream to 127.0.0.1:"
            f"{prosody.component_port} for shutdown") in log, service.log_tail()
    assert "lost its connection" not in log and "reconnecting" not in log, service.log_tail()
    assert "Next attempt" not in log, service.log_tail()


def test_wrong_secret_says_so_and_waits_the_maximum(prosody: Prosody, tmp_path: Path):
    wrong = SimpleNamespace(host=prosody.host, component=prosody.component,
                            component_port=prosody.component_port,
                            component_secret="not-" + prosody.component_secret)
    text = make_config(wrong, free_port(), sqlite_url(tmp_path / "db.sqlite"),  # type: ignore[arg-type]
                       workdir=tmp_path)
    text = text.replace("[xmpp]\n", "[xmpp]\nreconnect_max_delay = 3\n", 1)
    service = ImsupportProcess(text, tmp_path).start(wait=False)
    try:
        line = service.wait_log("not-authorized", timeout=15)
        assert "check [xmpp] secret and the component's name in the XMPP server" in line
        line = service.wait_log("Next attempt to connect", timeout=15)
        assert (f"Next attempt to connect to 127.0.0.1:{prosody.component_port} in 3 s "
                "(the server refused the login") in line
        status, health = service.health()
        assert status == 503 and json.loads(health)["xmpp"] is False
    finally:
        service.stop()
    assert "connected to" not in service.log_text()
