import io
import json
import sys

from twisted.logger import Logger, globalLogPublisher  # noqa: F401

from imsupport import logs


def test_json_observer_writes_one_object_per_line(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    observer = logs.jsonObserver()
    log = Logger(namespace="imsupport.test", observer=observer)
    log.info("Chat {chat} queued", chat=7)
    log.warn("second")
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["chat"] == 7 and first["log_namespace"] == "imsupport.test"
    assert first["log_format"] == "Chat {chat} queued"
