"""
Routing end to end (R-ROUTE-*, R-NODE-*): real Prosody, the real twistd
process, slixmpp clients as customers, operators and an admin.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from tests.e2e.test_chat_path import COMPONENT, SALES, invited_one_of, metrics
from tests.metricstext import has

CHAT1 = f"sales+1@{COMPONENT}"


def group(name, operators, wave=1, auto=True, escalate_after=120, max_declines=1):
    jids = ", ".join(f'"{o.bare}"' for o in operators)
    return (f'\n  [[nodes.groups]]\n  name = "{name}"\n  wave = {wave}\n'
            f'  auto = {str(auto).lower()}\n'
            f'  operators = [{jids}]\n  escalate_after = {escalate_after}\n'
            f'  max_declines = {max_declines}\n')


def node(*groups, invite_timeout=60, ring="sequential", extra=""):
    return (f'[[nodes]]\nname = "sales"\ntitle = "Sales questions"\nlanguages = ["en", "ru"]\n'
            f'invite_timeout = {invite_timeout}\nring = "{ring}"\n{extra}' + "".join(groups))


def rows(*people):
    """(client, name, languages) -> [[operators]] rows."""
    return [{"jid": c.bare, "name": name, "languages": list(langs)} for c, name, langs in people]


def wait_free(service, count, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if has(metrics(service), 'imsupport_operators{state="free"}', count):
            return
        time.sleep(0.1)
    raise AssertionError(f"not {count} free operators:\n{metrics(service)}")


def test_language_match(start_imsupport, xmpp_client):
    olga, petr = xmpp_client("olga"), xmpp_client("petr")
    service = start_imsupport(node(group("first", [olga, petr])),
                              operators=rows((olga, "Olga", ["en"]), (petr, "Petr", ["ru"])))
    wait_free(service, 2)
    anna = xmpp_client("anna", lang="ru")
    anna.send_message(SALES, "Здравствуйте, у меня вопрос")
    assert anna.wait_message(SALES, contains="в очереди").lang == "ru"
    assert "Здравствуйте" in petr.wait_message(CHAT1, contains="#1").body
    olga.expect_no_message(CHAT1, within=0.5)
    # !lang before writing: an English speaker asks for Russian only
    bill = xmpp_client("bill")
    bill.send_message(SALES, "!lang ru")
    assert "Ваши языки: ru" in bill.wait_message(SALES).body
    bill.send_message(SALES, "Привет")
    bill.wait_message(SALES, contains="в очереди")
    olga.expect_no_message(f"sales+2@{COMPONENT}", within=0.5)


def test_escalation_on_timeout_and_on_decline(start_imsupport, xmpp_client):
    ivan, guru = xmpp_client("ivan"), xmpp_client("guru")
    service = start_imsupport(
        node(group("first", [ivan], escalate_after=3), group("second", [guru], wave=2),
             invite_timeout=60),
        operators=rows((ivan, "Ivan", ["en"]), (guru, "Guru", ["en"])))
    wait_free(service, 2)
    carl = xmpp_client("carl")
    carl.send_message(SALES, "first question")
    ivan.wait_message(CHAT1, contains="New chat #1")
    guru.expect_no_message(CHAT1, within=1.0)
    # nobody in wave 1 accepted within escalate_after: wave 2 gets it
    assert "next wave" in ivan.wait_message(CHAT1, contains="next wave", timeout=6).body
    guru.wait_message(CHAT1, contains="New chat #1")
    guru.send_message(CHAT1, "Hello from wave two")
    assert carl.wait_message(SALES, contains="Guru joined")
    guru.send_message(CHAT1, "!close")
    # a decline ends wave 1 at once (max_declines = 1)
    dana = xmpp_client("dana")
    dana.send_message(SALES, "second question")
    chat2 = f"sales+2@{COMPONENT}"
    ivan.wait_message(chat2, contains="New chat #2")
    ivan.send_message(chat2, "!decline")
    guru.wait_message(chat2, contains="New chat #2", timeout=5)


def test_sticky_operator(start_imsupport, xmpp_client):
    ivan, olga = xmpp_client("ivan"), xmpp_client("olga")
    service = start_imsupport(node(group("first", [ivan, olga])),
                              operators=rows((ivan, "Ivan", ["en"]), (olga, "Olga", ["en"])))
    wait_free(service, 2)
    emma = xmpp_client("emma")
    emma.send_message(SALES, "hi")
    first = invited_one_of([ivan, olga], CHAT1, "New chat #1")
    first.send_message(CHAT1, "hello Emma")
    first.send_message(CHAT1, "!close")
    emma.wait_message(SALES, contains="closed the chat")
    other = olga if first is ivan else ivan
    other.send_presence(show="away")
    other.send_presence()  # back: now idle longer than `first`, who just chatted
    time.sleep(0.5)
    emma.send_message(SALES, "me again")
    first.wait_message(f"sales+2@{COMPONENT}", contains="New chat #2")
    other.expect_no_message(f"sales+2@{COMPONENT}", within=0.5)
    # ...and it holds across a restart of the service
    first.send_message(f"sales+2@{COMPONENT}", "welcome back")
    first.send_message(f"sales+2@{COMPONENT}", "!close")
    emma.wait_message(SALES, contains="closed the chat")
    service.restart()
    wait_free(service, 2)
    emma.send_message(SALES, "third time")
    first.wait_message(f"sales+3@{COMPONENT}", contains="New chat #3")


def test_parallel_ring(start_imsupport, xmpp_client):
    ivan, olga = xmpp_client("ivan"), xmpp_client("olga")
    service = start_imsupport(node(group("first", [ivan, olga]), ring="parallel"),
                              operators=rows((ivan, "Ivan", ["en"]), (olga, "Olga", ["en"])))
    wait_free(service, 2)
    fred = xmpp_client("fred")
    fred.send_message(SALES, "who is fastest?")
    ivan.wait_message(CHAT1, contains="New chat #1")
    olga.wait_message(CHAT1, contains="New chat #1")
    olga.send_message(CHAT1, "Olga here")
    assert fred.wait_message(SALES, contains="Olga joined")
    assert "taken by Olga" in ivan.wait_message(CHAT1, contains="taken by").body
    ivan.send_message(CHAT1, "me too?")
    assert "Chat #1 is not open for you" in ivan.wait_message(CHAT1, contains="not open").body
    time.sleep(0.5)
    assert not [m for m in fred.messages() if "me too" in m.body]


def test_off_hours_autoreply(start_imsupport, xmpp_client):
    ivan = xmpp_client("ivan")
    now = datetime.now(timezone.utc)
    today, tomorrow = now.strftime("%Y-%m-%d"), (now + timedelta(days=1)).strftime("%Y-%m-%d")
    extra = (f'schedule = "Mon-Sun 00:00-24:00"\ntimezone = "UTC"\n'
             f'exceptions = ["{today} closed", "{tomorrow} closed"]\noff_hours = "autoreply"\n')
    service = start_imsupport(node(group("first", [ivan]), extra=extra),
                              operators=rows((ivan, "Ivan", ["en"])))
    time.sleep(1)
    gina = xmpp_client("gina")
    gina.subscribe(SALES)
    closed_presence = gina.wait_presence(SALES, show="xa")
    assert closed_presence.status.startswith("Closed now. Opening hours:")
    gina.send_message(SALES, "are you open?")
    reply = gina.wait_message(SALES, contains="closed now")
    assert "Opening hours" in reply.body
    ivan.expect_no_message(within=0.5)
    assert has(metrics(service), "imsupport_chats_started_total", 0)


def test_soft_switch_off_keeps_the_active_chat(start_imsupport, xmpp_client):
    ivan, boss = xmpp_client("ivan"), xmpp_client("boss")
    service = start_imsupport(node(group("first", [ivan])),
                              operators=rows((ivan, "Ivan", ["en"])), admins=[boss.bare])
    wait_free(service, 1)
    hugo = xmpp_client("hugo")
    hugo.send_message(SALES, "hello")
    ivan.wait_message(CHAT1, contains="New chat #1")
    ivan.send_message(CHAT1, "hi Hugo")
    hugo.wait_message(SALES, contains="hi Hugo")
    boss.send_message(COMPONENT, "!off node sales soft")
    assert "Switched off: node sales (soft)" in boss.wait_message(COMPONENT).body
    hugo.send_message(SALES, "still there?")
    assert ivan.wait_message(CHAT1, contains="still there?")
    ivan.send_message(CHAT1, "yes")
    assert hugo.wait_message(SALES, contains="yes")
    iris = xmpp_client("iris")
    iris.send_message(SALES, "new question")
    assert "not available now" in iris.wait_message(SALES).body
    ivan.send_message(COMPONENT, "!off node sales")
    assert "Only the service's admins" in ivan.wait_message(COMPONENT).body
    boss.send_message(COMPONENT, "!status sales")
    status = boss.wait_message(COMPONENT, contains="Node sales").body
    assert "offline" in status and "node:sales" in status
    service.restart()  # the switch is kept in the store
    boss.send_message(COMPONENT, "!on sales")
    assert "Switched on: node sales" in boss.wait_message(COMPONENT, contains="Switched").body
