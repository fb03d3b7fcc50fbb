"""Bulk notices (R-REV-1): paced reverse contact to many clients, on task.Clock."""
from __future__ import annotations

from imsupport.core.bulk import DONE, RUNNING
from imsupport.core.contact import ALREADY_OPEN, QUEUED_FOR_ANSWER
from tests.unit.fakes import ALICE, BOB, IVAN, activeChat, makeCore

CORA = "cora@example.net"


def test_paced_to_a_list_with_progress_and_results():
    core, clock, t, store = makeCore()
    core.bulk.per_second = 2.0
    job = core.bulk.toClients("sales", [BOB, CORA, BOB.upper()], "We moved to a new address.")
    assert job.report()["total"] == 2, "each client once"
    assert job.report()["done"] == 1 and job.state == RUNNING  # the first at once
    assert t.last(BOB).body == "We moved to a new address."
    assert not t.to(CORA)
    clock.advance(0.5)
    assert t.last(CORA).body == "We moved to a new address."
    clock.advance(0.5)
    report = core.bulk.job(job.id).report()
    assert report["state"] == DONE and report["done"] == 2
    assert [r["outcome"] for r in report["results"]] == [QUEUED_FOR_ANSWER] * 2
    assert {r["chat_id"] for r in report["results"]} == {1, 2}


def test_clients_with_an_open_chat_are_reported_not_written_to():
    core, clock, t, store = activeChat()
    before = len(t.to(ALICE))
    job = core.bulk.toClients("sales", [ALICE, BOB], "Notice", operator=IVAN)
    clock.advance(10)
    outcomes = {r["client"]: r["outcome"] for r in job.report()["results"]}
    assert outcomes[ALICE] == ALREADY_OPEN and len(t.to(ALICE)) == before
    assert t.last(BOB).body == "Notice"


def test_all_clients_of_a_node_since_a_date():
    core, clock, t, store = makeCore()
    start = clock.seconds()
    core.clientSaid("sales", ALICE, "old question")
    core.clientSaid("sales", ALICE, "!end")
    clock.advance(100)
    core.clientSaid("sales", BOB, "newer question")
    core.clientSaid("sales", BOB, "!end")
    found = []
    core.bulk.toNodeClientsSince("sales", start + 50, "Survey: how are we doing?").addCallback(
        found.append)
    clock.advance(10)
    job = found[0]
    assert job.clients == [BOB]
    assert t.last(BOB).body == "Survey: how are we doing?"
    assert "Survey" not in " ".join(t.bodies(ALICE))
