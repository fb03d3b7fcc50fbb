"""The post-chat rating (R-CLI-5, SPEC 17) on task.Clock with a memory store."""
from __future__ import annotations

import pytest

from imsupport.core.model import RATING
from imsupport.core.rating import RATING_WINDOW, parseRating
from tests.unit.fakes import ALICE, IVAN, activeChat, events, makeCore, online


def ratings(store, chat_id):
    return [(e.data["rating"], e.data["comment"]) for e in events(store, chat_id)
            if e.kind == RATING]


@pytest.mark.parametrize("text, expected", [
    ("5", (5, "")),
    ("  4  ", (4, "")),
    ("5 thanks, fast help", (5, "thanks, fast help")),
    ("5, thanks", (5, "thanks")),
    ("4/5 good", (4, "good")),
    ("4 / 5", (4, "")),
    ("3 stars: slow", (3, "slow")),
    ("5 звёзд", (5, "")),
    ("2, долго ждал", (2, "долго ждал")),
    ("1 - rude", (1, "rude")),
    ("5★★★★★", (5, "")),
    ("2 items are missing", (2, "items are missing")),
])
def test_answers_that_are_ratings(text, expected):
    assert parseRating(text) == expected


@pytest.mark.parametrize("text", [
    "", "thanks", "0", "6", "25 items", "3d printer", "5.5", "10/10", "five", "-3",
    "my order 5",
])
def test_answers_that_are_not(text):
    assert parseRating(text) is None


def test_long_comment_is_cut():
    rating, comment = parseRating("4 " + "x" * 5000)
    assert rating == 4 and len(comment) == 1000


def test_asked_once_after_close_and_answer_kept():
    core, clock, t, store = activeChat()
    core.operatorSaid("sales", 1, IVAN, "!close")
    assert "How did we do?" in t.last(ALICE).body
    clock.advance(30)
    core.clientSaid("sales", ALICE, "5 thanks, fast help")
    assert ratings(store, 1) == [(5, "thanks, fast help")]
    assert "Thank you for your rating (5 of 5)" in t.last(ALICE).body
    assert core.chats.idOfClient("sales", ALICE) is None, "a rating starts no chat"
    core.clientSaid("sales", ALICE, "4")  # asked once: this is a new chat
    assert core.chats.idOfClient("sales", ALICE) == 2
    assert ratings(store, 1) == [(5, "thanks, fast help")]


def test_ignored_question_new_message_starts_chat_and_no_second_ask():
    core, clock, t, store = activeChat()
    core.clientSaid("sales", ALICE, "!end")
    questions = [b for b in t.bodies(ALICE) if "How did we do?" in b]
    assert len(questions) == 1
    core.clientSaid("sales", ALICE, "I have another question")
    assert core.chats.idOfClient("sales", ALICE) == 2
    assert ratings(store, 1) == []
    core.clientSaid("sales", ALICE, "5")  # in the new chat: a line, not a rating
    assert ratings(store, 1) == [] and ratings(store, 2) == []
    assert [b for b in t.bodies(ALICE) if "How did we do?" in b] == questions


def test_answer_after_the_window_is_a_new_chat():
    core, clock, t, store = activeChat()
    core.operatorSaid("sales", 1, IVAN, "!close")
    clock.advance(RATING_WINDOW + 1)
    core.clientSaid("sales", ALICE, "5 thanks")
    assert ratings(store, 1) == []
    assert core.chats.idOfClient("sales", ALICE) == 2


def test_russian_chat_is_asked_in_russian():
    core, clock, t, store = makeCore()
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "!lang ru")
    core.clientSaid("sales", ALICE, "Здравствуйте")
    core.operatorSaid("sales", 1, IVAN, "Добрый день")
    core.operatorSaid("sales", 1, IVAN, "!close")
    assert "Оцените" in t.last(ALICE).body
    core.clientSaid("sales", ALICE, "4 спасибо")
    assert "Спасибо за оценку (4 из 5)" in t.last(ALICE).body
    assert ratings(store, 1) == [(4, "спасибо")]


def test_not_asked_when_abandoned_or_client_gone():
    core, clock, t, store = makeCore()
    core.clientSaid("sales", ALICE, "hello?")  # nobody online: stays queued
    core.clientSaid("sales", ALICE, "!end")
    assert not any("How did we do?" in b for b in t.bodies(ALICE))

    core, clock, t, store = activeChat()
    core.clientPresence("sales", ALICE, False)
    clock.advance(3600)
    assert core.chats.idOfClient("sales", ALICE) is None
    assert not any("How did we do?" in b for b in t.bodies(ALICE))


def test_turned_off():
    core, clock, t, store = activeChat()
    core.ratings.enabled = False
    core.operatorSaid("sales", 1, IVAN, "!close")
    assert not any("How did we do?" in b for b in t.bodies(ALICE))
    core.clientSaid("sales", ALICE, "5")
    assert core.chats.idOfClient("sales", ALICE) == 2
