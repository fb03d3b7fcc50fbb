"""Directory edits and switches on the admin pages take effect in the
running core and the store, through the API's operations: the same checks,
the same refusals (shown on the form, filled in as sent)."""
from __future__ import annotations

import pytest_twisted

from tests.unit.fakes import ALICE, GURU, IVAN, OLGA, online
from tests.web.adminfakes import ALAN, HOSTILE, Admin

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NINA = "nina@shop.test"


async def edit(admin: Admin, kind: str, **data: str):
    page = await admin.get("/directory")
    return await admin.post(f"/directory/{kind}", data, page)


@pytest_twisted.ensureDeferred
async def test_admins_are_told_when_the_file_replaces_their_edits_at_start():
    warning = "changes made here last until the next restart"
    admin = Admin(directory_from_file=True)  # seed_directory = "replace"
    await admin.login()
    assert warning in (await admin.get("/directory")).text
    analyst = Admin(directory_from_file=True)
    await analyst.login(ALAN)
    assert warning not in (await analyst.get("/directory")).text, "they change nothing"
    kept = Admin(directory_from_file=False)  # "missing" or "never": edits are kept
    await kept.login()
    assert warning not in (await kept.get("/directory")).text


@pytest_twisted.ensureDeferred
async def test_a_new_operator_put_in_a_group_is_offered_chats():
    admin = Admin()
    await admin.login()
    page = await edit(admin, "operator", jid=NINA, new="1", name="Nina", languages="en, ru",
                      max_chats="2", schedule="", timezone="", exceptions="")
    assert page.code == 303 and page.header("location") == "/admin/directory#operators"
    nina = admin.core.directory.operator(NINA)
    assert (nina.name, nina.languages, nina.max_chats, nina.schedule) == (
        "Nina", ("en", "ru"), 2, None)
    assert any(o.jid == NINA for o in (await admin.store.loadDirectory()).operators)
    page = await admin.get("/directory")
    assert "Operator nina@shop.test saved." in page.text, "said once, after the redirect"
    assert "Operator nina@shop.test saved." not in (await admin.get("/directory")).text
    page = await edit(admin, "group", node="sales", group="first", operators=f"{IVAN} {NINA}",
                      wave="1", auto="on", escalate_after="120", max_declines="1")
    assert page.code == 303
    first = next(g for g in admin.core.directory.node("sales").groups if g.name == "first")
    assert first.operators == (IVAN, NINA) and first.auto
    online(admin.core, NINA)
    admin.core.clientSaid("sales", ALICE, "hi")
    assert NINA in admin.core.queries.chat(1).invited


@pytest_twisted.ensureDeferred
async def test_a_refused_form_comes_back_filled_in_with_the_readers_words():
    admin = Admin()
    await admin.login()
    page = await edit(admin, "operator", jid=IVAN, name="Ivan " + HOSTILE, max_chats="two",
                      languages="en")
    assert page.code == 400
    assert "max_chats: must be of type integer" in page.text
    assert 'value="two"' in page.text and "<details class=\"edit\" open=\"open\">" in page.text
    assert "&lt;script&gt;" in page.text and "<script>alert" not in page.text
    assert admin.core.directory.operator(IVAN).name == "Ivan"
    page = await edit(admin, "operator", jid=IVAN, timezone="Mars/Olympus", languages="en")
    assert page.code == 400 and "timezone" in page.text
    page = await edit(admin, "node", node="sales", ring="spiral")
    assert page.code == 400 and "ring: must be one of sequential, parallel" in page.text


@pytest_twisted.ensureDeferred
async def test_node_edits_keep_the_groups_and_deletes_follow_the_api_rules():
    admin = Admin()
    await admin.login()
    groups = admin.core.directory.node("sales").groups
    page = await edit(admin, "node", node="sales", title="Sales " + HOSTILE,
                      languages="en ru", ring="parallel", invite_timeout="30",
                      off_hours="offline", client_grace="600", idle_timeout="1800")
    assert page.code == 303
    node = admin.core.directory.node("sales")
    assert node.title == "Sales " + HOSTILE and node.ring == "parallel"
    assert node.groups == groups, "a node's form leaves its groups as they are"
    assert (await admin.store.loadDirectory()).node("sales").ring == "parallel"
    page = await edit(admin, "operator", jid=OLGA, action="delete")
    assert page.code == 409 and "move them out first" in page.text
    page = await edit(admin, "group", node="sales", group="experts", action="delete")
    assert page.code == 303
    assert [g.name for g in admin.core.directory.node("sales").groups] == ["first", "second"]
    page = await edit(admin, "node", node="help", new="1", title="Help", languages="en")
    assert page.code == 303 and admin.core.directory.node("help").title == "Help"
    page = await edit(admin, "node", node="help", action="delete")
    assert page.code == 303 and admin.core.directory.node("help") is None
    page = await edit(admin, "node", node="", new="1")
    assert page.code == 400 and "node: is required" in page.text


@pytest_twisted.ensureDeferred
async def test_faq_and_webhooks():
    admin = Admin()
    await admin.login()
    page = await edit(admin, "faq", id="hours", new="1", question="When?",
                      answer="Mon-Fri\n9-18 " + HOSTILE, tags="time, open")
    assert page.code == 303
    entry = next(e for e in admin.core.directory.faq if e.id == "hours")
    assert entry.answer == "Mon-Fri\n9-18 " + HOSTILE and entry.tags == ("time", "open")
    page = await admin.get("/directory")
    assert "9-18 &lt;script&gt;" in page.text
    page = await edit(admin, "webhook", id="crm", new="1", url="https://crm.example/h",
                      secret="", events="chat.*")
    assert page.code == 400 and "secret: is required for a new webhook" in page.text
    page = await edit(admin, "webhook", id="crm", new="1", url="https://crm.example/h",
                      secret=SECRET, events="chat.* file.stored")
    assert page.code == 303
    (hook,) = await admin.store.webhooks()
    assert hook.events == ("chat.*", "file.stored") and hook.secret == SECRET
    page = await admin.get("/directory")
    assert SECRET not in page.text and "https://crm.example/h" in page.text
    page = await edit(admin, "webhook", id="crm", url="https://crm.example/v2", secret="")
    assert page.code == 303, "an empty secret keeps the one there is"
    (hook,) = await admin.store.webhooks()
    assert hook.url == "https://crm.example/v2" and hook.secret == SECRET
    assert hook.events == ("*",)
    page = await edit(admin, "webhook", id="crm", url="https://crm.example/v2", secret="abc")
    assert page.code == 400 and "secret: must be a secret like whsec_" in page.text
    assert "abc" not in page.text.split("<main>")[1].split("<form")[0]
    page = await edit(admin, "webhook", id="crm", action="delete")
    assert page.code == 303 and await admin.store.webhooks() == []
    page = await edit(admin, "faq", id="hours", action="delete")
    assert page.code == 303 and not any(e.id == "hours" for e in admin.core.directory.faq)


@pytest_twisted.ensureDeferred
async def test_switches_take_effect_in_the_core():
    admin = Admin()
    online(admin.core, IVAN, GURU)
    admin.core.clientSaid("sales", ALICE, "hi")
    admin.core.operatorSaid("sales", 1, IVAN, "hello")
    await admin.login()
    page = await admin.get("/switches")
    assert page.code == 200 and "the whole service" in page.text and "node sales" in page.text
    page = await admin.post("/switches", {"kind": "operator", "operator": GURU,
                                          "mode": "soft", "action": "off"}, page)
    assert page.code == 303 and admin.core.switching.switches.operatorOff(GURU)
    page = await admin.get("/switches")
    assert f"operator:{GURU} switched off (soft)." in page.text
    assert "Switch on" in page.text
    page = await admin.post("/switches", {"kind": "node", "node": "sales", "mode": "hard",
                                          "action": "off"}, page)
    assert page.code == 303 and admin.core.switching.switches.nodeOff("sales")
    assert (await admin.store.getChat(1)).state == "closed", "hard: the open chat is closed"
    assert (await admin.store.switchedOff()) == {f"operator:{GURU}", "node:sales"}
    page = await admin.get("/switches")
    page = await admin.post("/switches", {"kind": "node", "node": "sales", "action": "on"}, page)
    assert page.code == 303 and not admin.core.switching.switches.nodeOff("sales")
    page = await admin.get("/switches")
    assert "node:sales switched on." in page.text
    page = await admin.post("/switches", {"kind": "operator", "operator": IVAN,
                                          "node": "sales", "action": "off"}, page)
    assert page.code == 303 and IVAN in admin.core.switching.switches.offOperators("sales")
    page = await admin.get("/switches")
    assert f"Operators off in one node: {IVAN}@sales" in page.text
    page = await admin.post("/switches", {"kind": "node", "node": "nowhere", "action": "off"},
                            page)
    assert page.code == 404 and "there is no node" in page.text
    page = await admin.post("/switches", {"kind": "", "action": "off"},
                            await admin.get("/switches"))
    assert page.code == 400 and "target: say what to switch" in page.text
