"""
The web chat end to end (issue 11: 1, R-CLI-3): the real twistd process
and Prosody, an operator on slixmpp, and a visitor over plain HTTP and
Server-Sent Events: the visitor starts, the operator is invited by the
visitor's name and answers, the stream has it; a reconnect with
Last-Event-ID gets exactly what was missed.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from tests.e2e.sse import SseStream
from tests.e2e.test_chat_path import COMPONENT
from tests.e2e.test_routing import group, node, rows, wait_free

CHAT1 = f"sales+1@{COMPONENT}"


def post(service: Any, path: str, body: Any, **headers: str) -> tuple[int, Any]:
    code, answer, _ = posted(service, path, body, **headers)
    return code, answer


def posted(service: Any, path: str, body: Any, **headers: str) -> tuple[int, Any, Any]:
    """(status, JSON body, headers)."""
    request = urllib.request.Request(service.base_url + "/chat/sales" + path,
                                     data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers


def test_a_visitor_chats_with_an_operator_and_resumes_after_a_drop(start_imsupport,
                                                                    xmpp_client):
    ivan = xmpp_client("ivan")
    service = start_imsupport(node(group("first", [ivan])),
                              operators=rows((ivan, "Ivan", ["en", "ru"])),
                              extra_toml="[limits]\nweb_chat_burst = 3\n")
    wait_free(service, 1)
    with urllib.request.urlopen(service.base_url + "/chat/sales/status?lang=ru",
                                timeout=20) as response:
        status = json.loads(response.read())
    assert status["open"] is True and status["title"] == "Sales questions"

    code, started = post(service, "/visitors", {
        "name": "Anna <b>Petrova</b>", "languages": ["ru", "en"],
        "question": "Где мой заказ 4711?"})
    assert code == 201, started
    token = started["token"]
    stream = SseStream(service.base_url, f"/chat/sales/events?token={token}")
    assert stream.status == 200
    assert stream.headers["Content-Type"].startswith("text/event-stream")
    queued = stream.wait(state="queued")
    assert queued.id == "1:1"
    stream.wait(author="client", text="Где мой заказ 4711?")

    invitation = ivan.wait_message(CHAT1, contains="New chat #1")
    assert "anna <b>petrova</b> (web chat " in invitation.body
    assert "Где мой заказ 4711?" in invitation.body
    assert "@web.invalid" not in invitation.body
    ivan.send_message(CHAT1, "Your parcel leaves today.")
    answered = stream.wait(author="operator", text="Your parcel leaves today.")
    assert answered.data["name"] == "Ivan" and answered.data["kind"] == "message"
    stream.wait(state="active")

    code, _ = post(service, "/messages", {"token": token, "text": "Спасибо! <script>x</script>"})
    assert code == 200
    assert ivan.wait_message(CHAT1, contains="Спасибо!").body == "Спасибо! <script>x</script>"
    mine = stream.wait(author="client", text="Спасибо! <script>x</script>")

    # the connection drops; the operator goes on; the browser comes back
    stream.close()
    ivan.send_message(CHAT1, "The tracking number is 123.")
    ivan.send_message(CHAT1, "Anything else?")
    again = SseStream(service.base_url, f"/chat/sales/events?token={token}&last=1:1",
                      last_event_id=mine.id)
    missed = [again.wait(author="operator", text="The tracking number is 123."),
              again.wait(author="operator", text="Anything else?")]
    missed_ids = [e.id for e in again.seen if e.event == "chat"]
    assert missed_ids == [e.id for e in missed], again.seen
    chat, last_seq = mine.id.split(":")
    assert all(e.id.split(":")[0] == chat and int(e.id.split(":")[1]) > int(last_seq)
               for e in missed)
    assert not [e for e in again.drain() if e.event == "chat"], "nothing more, nothing twice"

    code, _ = post(service, "/end", {"token": token})
    assert code == 200
    again.wait(state="closed")
    assert ivan.wait_message(CHAT1, contains="closed")
    again.close()

    # new chats from one address: 3 at once ([limits] web_chat_burst), then 429
    for n in (2, 3):
        assert post(service, "/visitors", {"name": f"v{n}", "question": "hi"})[0] == 201
    code, refused, headers = posted(service, "/visitors?lang=ru",
                                    {"name": "v4", "question": "hi", "languages": ["ru"]})
    assert code == 429 and refused["error"]["code"] == "too_many_chats"
    assert "слишком много новых чатов" in refused["error"]["message"]
    assert 0 < int(headers["Retry-After"]) <= 60  # one a minute, less what refilled
    # through a proxy on this machine (trusted by default) the sender is another
    assert post(service, "/visitors", {"name": "v5", "question": "hi"},
                **{"X-Forwarded-For": "198.51.100.7"})[0] == 201
