"""The core's entries for the web chat (R-CLI-3): what a browser says in
its own forms (languages in order, the end button, stars, a file straight
into the chat), and the journal telling of stored events."""
from __future__ import annotations

import io

from imsupport.config import WebConfig
from imsupport.core.files import FileRefused
from imsupport.core.journal import Refused
from imsupport.core.model import COMMAND, FILE, NOTICE, RATING, STATE
from imsupport.core.switches import Target
from tests.unit.fakes import ALICE, BOB, IVAN, MemoryBlobs, activeChat, events, makeCore, online

VISITOR = r"anna\20petrova.k3j2x9ab1c@web.invalid"
NINE_TO_SIX = dict(schedule="Mon-Fri 09:00-18:00", timezone="UTC")  # START is 08:00


def results(d):
    out = []
    d.addBoth(out.append)
    assert out, "the Deferred has not fired"
    return out[0]


def test_languages_in_order_apply_to_the_chat_the_question_starts():
    core, clock, t, store = makeCore()
    assert core.chooseClientLanguages(VISITOR, ["RU", "xx yy", "en", "ru"]) == ("ru", "en")
    core.clientSaid("sales", VISITOR, "Здравствуйте")
    assert core.queries.chat(1).languages == ("ru", "en")
    assert "1-й в очереди" in t.last(VISITOR).body  # the greeting in the first language


def test_no_valid_language_changes_nothing():
    core, clock, t, store = makeCore()
    assert core.chooseClientLanguages(VISITOR, ["", "not a language"]) == ()
    core.clientSaid("sales", VISITOR, "hi")
    assert core.queries.chat(1).languages == ("en", "ru")  # the node's


def test_the_end_button_is_the_end_command():
    core, clock, t, store = activeChat()
    assert results(core.clientEnded("sales", ALICE)) is None
    assert core.openChat(1) is None
    kinds = [(e.kind, e.text) for e in events(store, 1)]
    assert (COMMAND, "!end") in kinds and (STATE, "closed") in kinds
    assert results(core.clientEnded("sales", ALICE)) is None  # no chat: nothing happens


def test_stars_answer_the_rating_question_once():
    core, clock, t, store = activeChat()
    assert not core.clientRated("sales", ALICE, 5, "great")  # not asked yet
    core.operatorSaid("sales", 1, IVAN, "!close")
    assert not core.clientRated("sales", ALICE, 6)
    assert not core.clientRated("sales", ALICE, 0)
    assert core.clientRated("sales", ALICE, 4, "  quick, thanks  ")
    rated = [e for e in events(store, 1) if e.kind == RATING]
    assert [(e.data["rating"], e.data["comment"], e.text) for e in rated] == \
        [(4, "quick, thanks", "4 quick, thanks")]
    assert "Thank you for your rating (4 of 5)" in t.last(ALICE).body
    assert not core.clientRated("sales", ALICE, 5)  # answered


def test_node_closure_says_why_and_when_in_the_languages_given():
    core, clock, t, store = makeCore(**NINE_TO_SIX)
    key, text = core.nodeClosure("sales", ("ru",))
    assert key == "closed_now" and "закрыта" in text and "09:00" in text
    core, clock, t, store = makeCore()
    assert core.nodeClosure("sales", ("en",)) is None
    core.switch(Target("node", node="sales"), on=False)
    key, text = core.nodeClosure("sales", ("en",))
    assert key == "switched_off_now" and "not available now" in text


def test_the_closed_answer_to_an_im_client_is_as_before():
    core, clock, t, store = makeCore(**NINE_TO_SIX)
    core.clientSaid("sales", BOB, "anyone?")
    assert "closed now" in t.last(BOB).body and "Opening hours" in t.last(BOB).body
    assert not core.chats


def uploadCore():
    blobs = MemoryBlobs()
    web = WebConfig(public_url="https://help.shop.test", files_per_chat=2,
                    upload_bytes_per_day=100, max_upload_bytes=50)
    core, clock, t, store = makeCore(web=web, blobs=blobs)
    online(core, IVAN)
    return core, t, store, blobs


def blob(blobs, content):
    return results(blobs.write(io.BytesIO(content), len(content)))


def test_a_visitors_file_goes_straight_into_the_chat_and_to_the_operator():
    core, t, store, blobs = uploadCore()
    core.clientSaid("sales", VISITOR, "hi")
    core.operatorSaid("sales", 1, IVAN, "hello")
    record = results(core.clientUploaded("sales", VISITOR, "../shot.png", "image/png",
                                         blob(blobs, b"\x89PNG")))
    assert record.name == "shot.png" and record.chat_id == 1 and record.uploader == VISITOR
    [event] = [e for e in events(store, 1) if e.kind == FILE]
    assert event.author == "client" and event.data["file_id"] == record.id
    assert t.last(IVAN).extra["oob"] == event.data["url"]


def test_a_visitors_file_needs_a_chat_and_keeps_the_quotas():
    core, t, store, blobs = uploadCore()
    failure = results(core.clientUploaded("sales", VISITOR, "a.txt", "text/plain",
                                          blob(blobs, b"x")))
    assert failure.check(FileRefused) and "write your question first" in str(failure.value)
    core.clientSaid("sales", VISITOR, "hi")
    for n in range(2):
        assert not isinstance(results(core.clientUploaded(
            "sales", VISITOR, f"{n}.txt", "text/plain", blob(blobs, bytes([n]) * 40))), Refused)
    failure = results(core.clientUploaded("sales", VISITOR, "3.txt", "text/plain",
                                          blob(blobs, b"z" * 30)))
    assert failure.check(FileRefused) and "one day allows (100 bytes)" in str(failure.value)
    failure = results(core.clientUploaded("sales", VISITOR, "3.txt", "text/plain",
                                          blob(blobs, b"z")))
    assert failure.check(FileRefused) and "2 files" in str(failure.value)
    assert len([e for e in events(store, 1) if e.kind == FILE]) == 2


def test_the_journal_tells_each_writes_events_once_stored_before_its_effects():
    core, clock, t, store = makeCore()
    told = []
    core.journal.eventListeners.append(
        lambda chat, written: told.append((chat.id, [e.seq for e in written],
                                           len(t.to(ALICE)))))
    core.clientSaid("sales", ALICE, "hi")
    assert [seqs for _, seqs, _ in told] == [[1], [2], [3]]  # queued, the line, the greeting
    assert told[-1][2] == 0, "told before the greeting was sent"
    assert len(t.to(ALICE)) == 1


def test_queue_notices_keep_the_position():
    core, clock, t, store = makeCore()
    core.clientSaid("sales", ALICE, "first")
    core.clientSaid("sales", BOB, "second")
    core.clientSaid("sales", ALICE, "!end")
    notices = [e for e in events(store, 2) if e.kind == NOTICE and e.data.get("to") == "client"]
    assert [(n.data["key"], n.data.get("position")) for n in notices] == \
        [("queued_nobody", 2), ("queue_position", 1)]
