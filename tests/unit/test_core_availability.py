"""Opening hours, shifts, temporary nodes, !lang, the returning client's
operator and eligibility plugins, through the core with task.Clock."""
from __future__ import annotations

from twisted.internet.defer import Deferred
from zope.interface import implementer

from imsupport.core.eligibility import EligibilityChecks, IEligibilityCheck
from imsupport.core.model import Operator
from tests.unit.fakes import (
    ALICE,
    BOB,
    GURU,
    IVAN,
    OLGA,
    PETR,
    START,
    activeChat,
    directory,
    makeCore,
    online,
)

HOUR = 3600
# START is Friday 08:00 UTC.
NINE_TO_SIX = dict(schedule="Mon-Fri 09:00-18:00", timezone="UTC")


def presence(t):
    last = t.presences("sales")[-1]
    return last.extra["show"], last.extra["available"], last.body


def test_closed_node_autoreplies_with_hours_and_opens_on_time():
    core, clock, t, store = makeCore(**NINE_TO_SIX)
    online(core, IVAN)
    core.refreshPresence()
    assert presence(t) == ("xa", True, "Closed now. Opening hours: Mon-Fri 09:00-18:00 (UTC time).")
    core.clientSaid("sales", ALICE, "hello?")
    reply = t.last(ALICE).body
    assert "closed now" in reply and "Mon-Fri 09:00-18:00" in reply
    assert not core.chats, "no chat starts outside the hours"
    core.clientSaid("sales", ALICE, "hello??")
    assert len(t.bodies(ALICE)) == 1, "the autoreply is not repeated at once"
    clock.advance(HOUR)  # 09:00: the schedule timer fires
    assert presence(t)[:2] == (None, True)
    core.clientSaid("sales", ALICE, "now?")
    assert "New chat #1" in t.last(IVAN).body


def test_closing_is_soft_for_active_chats():
    core, clock, t, store = makeCore(start=START + HOUR, idle_timeout=86400,
                                     **NINE_TO_SIX)  # Fri 09:00
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "hi")
    core.operatorSaid("sales", 1, IVAN, "hello")
    clock.advance(9 * HOUR)  # 18:00, closed
    assert presence(t)[0] == "xa"
    core.clientSaid("sales", ALICE, "one more thing")
    assert t.last(IVAN).body == "one more thing"
    core.clientSaid("sales", BOB, "anyone?")
    assert "closed now" in t.last(BOB).body


def test_offline_off_hours_makes_the_node_unavailable():
    core, clock, t, store = makeCore(off_hours="offline", **NINE_TO_SIX)
    core.refreshPresence()
    assert presence(t)[:2] == (None, False)
    core.clientSaid("sales", ALICE, "hello?")
    assert "not available now" in t.last(ALICE).body and not core.chats


def test_exceptions_close_a_working_day():
    core, clock, t, store = makeCore(start=START + 2 * HOUR, schedule="Mon-Fri 09:00-18:00",
                                     exceptions=("2027-01-15 closed",))
    core.clientSaid("sales", ALICE, "hi")
    assert "closed now" in t.last(ALICE).body


def test_temporary_node_window():
    core, clock, t, store = makeCore(active_from="2027-01-15T10:00:00+00:00",
                                     active_until="2027-01-15T12:00:00+00:00")
    online(core, IVAN)
    core.refreshPresence()
    assert presence(t)[1] is False
    core.clientSaid("sales", ALICE, "early")
    assert "not available now" in t.last(ALICE).body
    clock.advance(2 * HOUR)
    assert presence(t)[:2] == (None, True)
    core.clientSaid("sales", BOB, "in time")
    assert "New chat #1" in t.last(IVAN).body
    clock.advance(2 * HOUR)
    assert presence(t)[1] is False


def test_off_shift_operator_is_not_offered_until_the_shift_starts():
    operators = (Operator(IVAN, "Ivan", ("en",), schedule="Mon-Fri 10:00-18:00",
                          timezone="UTC"),
                 Operator(OLGA, "Olga", ("en",)), Operator(GURU, "Guru", ("en",)))
    core, clock, t, store = makeCore(operators=operators)
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "hi")
    assert not t.bodies(IVAN)
    core.consoleSaid("boss@shop.test", "!status sales")
    assert "Ivan: off shift" in t.last("boss@shop.test").body
    clock.advance(2 * HOUR)
    assert "New chat #1" in t.last(IVAN).body


def test_lang_sets_languages_for_routing_and_messages():
    core, clock, t, store = makeCore()
    online(core, OLGA)  # speaks English only
    core.clientSaid("sales", ALICE, "!lang de ru")
    assert t.last(ALICE).body.startswith("Ваши языки: de, ru")
    core.clientSaid("sales", ALICE, "Hallo")
    assert t.to(ALICE)[-1].body.startswith("Здравствуйте!")
    assert not t.bodies(OLGA), "Olga shares neither language"
    online(core, IVAN)  # en, ru
    assert "Languages: de, ru" in t.last(IVAN).body
    core.clientSaid("sales", ALICE, "!lang")
    assert "!lang ru en" in t.last(ALICE).body or "!lang ru en" in t.last(ALICE).body


def test_lang_in_a_queued_chat_reroutes():
    core, clock, t, store = makeCore()
    online(core, OLGA)
    core.clientSaid("sales", ALICE, "hi")
    assert "New chat #1" in t.last(OLGA).body
    core.clientSaid("sales", ALICE, "!lang ru")
    assert "expired" in t.last(OLGA).body or "next operator" in t.last(OLGA).body
    online(core, PETR)  # not in any group of the node
    online(core, IVAN)
    assert "New chat #1" in t.last(IVAN).body


def test_returning_client_gets_the_same_operator_even_after_a_restart():
    core, clock, t, store = activeChat()
    core.operatorSaid("sales", 1, IVAN, "!close")
    again, clock2, t2, _ = makeCore(store=store)
    again.chats.last_id = 1
    online(again, OLGA)
    clock2.advance(10)
    online(again, IVAN)  # Olga has been idle longer, but Ivan talked to Alice
    again.clientSaid("sales", ALICE, "me again")
    assert "New chat #2" in t2.last(IVAN).body and not t2.bodies(OLGA)


@implementer(IEligibilityCheck)
class Phone:
    name = "phone"

    def __init__(self, busy=(), later=False):
        self.busy, self.later, self.pending = set(busy), later, []

    def configure(self, options):
        return True

    def check(self, operator, node, chat):
        verdict = "on the phone" if operator in self.busy else None
        if not self.later:
            return verdict
        d = Deferred()
        self.pending.append((d, verdict))
        return d


def test_plugin_veto_sends_the_chat_to_the_next_operator():
    phone = Phone(busy={IVAN})
    core, clock, t, store = makeCore()
    core.eligibility = EligibilityChecks([phone], core.clock)
    online(core, IVAN, OLGA)
    core.clientSaid("sales", ALICE, "hi")
    assert "New chat #1" in t.last(OLGA).body and not t.bodies(IVAN)
    core.consoleSaid("boss@shop.test", "!status sales")
    assert "Ivan: phone: on the phone" in t.last("boss@shop.test").body


def test_slow_plugin_holds_the_chat_without_offering_it_twice():
    phone = Phone(later=True)
    core, clock, t, store = makeCore()
    core.eligibility = EligibilityChecks([phone], core.clock, timeout=2.0)
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "hi")
    online(core, OLGA)
    assert not t.bodies(IVAN) and not t.bodies(OLGA)
    clock.advance(2.5)  # the plugin never answered: fail open
    assert len([b for b in t.bodies(IVAN) + t.bodies(OLGA) if "New chat #1" in b]) == 1


def test_veto_expires():
    phone = Phone(busy={IVAN})
    core, clock, t, store = makeCore(operators=(Operator(IVAN, "Ivan", ("en",)),))
    core.setDirectory(directory(operators=(Operator(IVAN, "Ivan", ("en",)),
                                           Operator(OLGA, "Olga", ("en",)),
                                           Operator(GURU, "Guru", ("en",)))))
    core.eligibility = EligibilityChecks([phone], core.clock)
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "hi")
    assert not t.bodies(IVAN)
    phone.busy.clear()
    clock.advance(29)
    assert not t.bodies(IVAN)
    clock.advance(1)  # the veto ran out: routing runs again by itself
    assert "New chat #1" in t.last(IVAN).body
