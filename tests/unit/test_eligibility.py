"""
Eligibility checks (R-ROUTE-7, R-PLUG-1): vetoes in plugin order, answers
that arrive later, and the fail-open rule for checks that are slow or broken,
all on a ``task.Clock``; discovery through ``twisted.plugin``; and the
shipped "on the phone" plugin against real files.
"""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

import pytest
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.logger import LogLevel, capturedLogs, formatEvent
from twisted.plugin import IPlugin
from zope.interface import implementer
from zope.interface.verify import verifyObject

import imsupport.plugins
from imsupport.core.eligibility import (
    ChatInfo,
    EligibilityChecks,
    IEligibilityCheck,
    loadChecks,
)
from imsupport.plugins.onthephone import OnThePhone, onThePhone, parseList

CHAT = ChatInfo(chat_id=7, node="sales", client="kate@example.net", languages=("en",),
                waited=12.5)
IVAN = "ivan@shop.example"


@implementer(IEligibilityCheck)
class Check:
    """Answers with ``answer``: a reason, None, a Deferred, or an exception to raise."""

    def __init__(self, name: str, answer: Any = None) -> None:
        self.name = name
        self.answer = answer
        self.asked: list[tuple[str, str, ChatInfo]] = []
        self.cancelled = 0
        self.handedOut: Deferred[str | None] | None = None  # the last "later" answer

    def configure(self, options: dict[str, Any]) -> bool:
        return True

    def check(self, operator: str, node: str, chat: ChatInfo) -> Any:
        self.asked.append((operator, node, chat))
        if isinstance(self.answer, Exception):
            raise self.answer
        if self.answer == "later":
            self.handedOut = Deferred(self._cancel)
            return self.handedOut
        return self.answer

    def _cancel(self, d: Deferred[str | None]) -> None:
        self.cancelled += 1

    def answerNow(self, verdict: str | None) -> None:
        assert self.handedOut is not None
        self.handedOut.callback(verdict)


def outcome(d: Deferred[Any]) -> Any:
    """The result of a fired Deferred; fails the test if it has not fired."""
    got: list[Any] = []
    d.addBoth(got.append)
    assert got, "the Deferred has not fired"
    return got[0]


def pending(d: Deferred[Any]) -> bool:
    got: list[Any] = []
    d.addBoth(lambda r: got.append(r) or r)
    return not got


def problems(events: list[dict[str, Any]]) -> list[str]:
    return [formatEvent(e) for e in events if e["log_level"] >= LogLevel.warn]


# -- EligibilityChecks ---------------------------------------------------------------

def test_noChecksAnswersAtOnce() -> None:
    checks = EligibilityChecks([], Clock())
    assert checks.enabled == []
    assert outcome(checks.check(IVAN, "sales", CHAT)) is None


def test_everyCheckIsAskedWithTheOffer() -> None:
    a, b = Check("a"), Check("b")
    checks = EligibilityChecks([a, b], Clock())
    assert checks.enabled == ["a", "b"]
    assert outcome(checks.check(IVAN, "sales", CHAT)) is None
    assert a.asked == b.asked == [(IVAN, "sales", CHAT)]


def test_aVetoNamesThePlugin() -> None:
    checks = EligibilityChecks([Check("ok"), Check("phone", "on the phone")], Clock())
    assert outcome(checks.check(IVAN, "sales", CHAT)) == "phone: on the phone"


def test_anEmptyReasonIsStillAVeto() -> None:
    checks = EligibilityChecks([Check("x", "  ")], Clock())
    assert outcome(checks.check(IVAN, "sales", CHAT)) == "x: not eligible"


def test_theFirstVetoInPluginOrderWins() -> None:
    checks = EligibilityChecks([Check("b", "second"), Check("a", "first")], Clock())
    assert outcome(checks.check(IVAN, "sales", CHAT)) == "b: second"


def test_aLaterVetoWaitsForAnEarlierPluginStillThinking() -> None:
    slow, fast = Check("slow", "later"), Check("fast", "busy")
    checks = EligibilityChecks([slow, fast], Clock())
    d = checks.check(IVAN, "sales", CHAT)
    assert pending(d)  # the slow one could still veto, and its reason would win
    slow.answerNow("in a meeting")
    assert outcome(d) == "slow: in a meeting"


def test_aLaterVetoWinsWhenTheEarlierPluginSaysEligible() -> None:
    slow, fast = Check("slow", "later"), Check("fast", "busy")
    checks = EligibilityChecks([slow, fast], Clock())
    d = checks.check(IVAN, "sales", CHAT)
    slow.answerNow(None)
    assert outcome(d) == "fast: busy"


def test_aVetoFromTheFirstCheckSparesTheOthers() -> None:
    slow = Check("slow", "later")
    checks = EligibilityChecks([Check("phone", "on the phone"), slow], Clock())
    assert outcome(checks.check(IVAN, "sales", CHAT)) == "phone: on the phone"
    assert slow.asked == []


def test_onceTheOutcomeIsKnownTheSlowChecksAreCancelled() -> None:
    clock = Clock()
    first, last = Check("first", "later"), Check("last", "later")
    checks = EligibilityChecks([first, Check("phone", "on the phone"), last], clock)
    with capturedLogs() as events:
        d = checks.check(IVAN, "sales", CHAT)
        assert pending(d)
        first.answerNow(None)
        assert outcome(d) == "phone: on the phone"  # without waiting for "last"
        assert last.cancelled == 1
        clock.advance(10)
    assert problems(events) == []  # our own cancellation is not the plugin's failure
    assert clock.getDelayedCalls() == []


def test_anAsynchronousAnswer() -> None:
    clock = Clock()
    check = Check("crm", "later")
    checks = EligibilityChecks([check], clock)
    d = checks.check(IVAN, "sales", CHAT)
    assert pending(d)
    clock.advance(1.5)
    check.answerNow("in a call with a customer")
    assert outcome(d) == "crm: in a call with a customer"
    assert clock.getDelayedCalls() == []  # the deadline is gone


def test_anAsyncDefCheck() -> None:
    clock = Clock()
    gate: Deferred[None] = Deferred()

    @implementer(IEligibilityCheck)
    class Calendar:
        name = "calendar"

        def configure(self, options: dict[str, Any]) -> bool:
            return True

        async def check(self, operator: str, node: str, chat: ChatInfo) -> str | None:
            await gate
            return "in a meeting"

    checks = EligibilityChecks([Calendar()], clock)
    d = checks.check(IVAN, "sales", CHAT)
    assert pending(d)
    gate.callback(None)
    assert outcome(d) == "calendar: in a meeting"
    assert outcome(checks.check(IVAN, "sales", CHAT)) == "calendar: in a meeting"
    assert clock.getDelayedCalls() == []


def test_asynchronousEligible() -> None:
    clock = Clock()
    check = Check("crm", "later")
    d = EligibilityChecks([check], clock).check(IVAN, "sales", CHAT)
    assert len(clock.getDelayedCalls()) == 1  # the deadline
    check.answerNow(None)
    assert outcome(d) is None
    assert clock.getDelayedCalls() == []


def test_aSlowCheckTimesOutAsEligibleAndIsLogged() -> None:
    clock = Clock()
    slow = Check("crm", "later")
    checks = EligibilityChecks([slow, Check("ok")], clock, timeout=2.0)
    with capturedLogs() as events:
        d = checks.check(IVAN, "sales", CHAT)
        clock.advance(1.9)
        assert pending(d)
        clock.advance(0.1)
        assert outcome(d) is None
    assert slow.cancelled == 1
    [message] = problems(events)
    assert "crm did not answer for ivan@shop.example within 2.0s" in message
    assert "treating as eligible" in message


def test_anAnswerAfterTheTimeoutIsIgnored() -> None:
    clock = Clock()
    answer: Deferred[str | None] = Deferred()  # no canceller: cannot be stopped
    checks = EligibilityChecks([Check("crm", answer)], clock, timeout=1.0)
    with capturedLogs():
        d = checks.check(IVAN, "sales", CHAT)
        clock.advance(1.0)
    assert outcome(d) is None
    answer.callback("too late")  # must not raise or change anything


def test_aRaisingCheckIsEligibleAndLogged() -> None:
    checks = EligibilityChecks([Check("crm", RuntimeError("crm is down"))], Clock())
    with capturedLogs() as events:
        assert outcome(checks.check(IVAN, "sales", CHAT)) is None
    [event] = [e for e in events if e["log_level"] >= LogLevel.warn]
    assert event["log_level"] == LogLevel.error
    assert event["log_failure"].check(RuntimeError)
    assert "crm failed for ivan@shop.example; treating as eligible" in formatEvent(event)


def test_aFailingDeferredIsEligibleAndLogged() -> None:
    failing: Deferred[str | None] = Deferred()
    checks = EligibilityChecks([Check("crm", failing), Check("ok")], Clock())
    with capturedLogs() as events:
        d = checks.check(IVAN, "sales", CHAT)
        failing.errback(ConnectionRefusedError("crm"))
        assert outcome(d) is None
    assert len(problems(events)) == 1


def test_aNonsenseAnswerIsEligibleAndLogged() -> None:
    checks = EligibilityChecks([Check("crm", True)], Clock())
    with capturedLogs() as events:
        assert outcome(checks.check(IVAN, "sales", CHAT)) is None
    [message] = problems(events)
    assert "crm answered True" in message


def test_failuresAreLoggedOncePerPluginPerMinute() -> None:
    clock = Clock()
    crm, phone = Check("crm", ValueError("down")), Check("phone", ValueError("down"))
    checks = EligibilityChecks([crm, phone], clock)
    with capturedLogs() as events:
        for _ in range(5):
            assert outcome(checks.check(IVAN, "sales", CHAT)) is None
            clock.advance(10)
        assert len(problems(events)) == 2  # one for each plugin
        clock.advance(10)  # a minute after the first report
        outcome(checks.check(IVAN, "sales", CHAT))
    later = problems(events)[2:]
    assert len(later) == 2
    assert "(4 similar reports of crm in the last minute not logged)" in later[0]
    assert "(4 similar reports of phone in the last minute not logged)" in later[1]


def test_cancellingTheQuestionCancelsTheChecks() -> None:
    clock = Clock()
    slow = Check("crm", "later")
    d = EligibilityChecks([slow], clock).check(IVAN, "sales", CHAT)
    with capturedLogs() as events:
        d.cancel()
        clock.advance(5)
    assert slow.cancelled == 1
    assert problems(events) == []
    assert clock.getDelayedCalls() == []
    d.addErrback(lambda f: None)


def test_theTimeoutMustBePositive() -> None:
    with pytest.raises(ValueError):
        EligibilityChecks([], Clock(), timeout=0)


# -- discovery: loadChecks -----------------------------------------------------------

FAKE_PLUGIN = '''
from twisted.plugin import IPlugin
from zope.interface import implementer
from imsupport.core.eligibility import IEligibilityCheck


@implementer(IPlugin, IEligibilityCheck)
class Fake:
    def __init__(self, name, needs=None, reason=None, error=None):
        self.name, self.needs, self.reason, self.error = name, needs, reason, error
        self.options = None

    def configure(self, options):
        self.options = options
        if self.error is not None:
            raise self.error
        return self.needs is None or self.needs in options

    def check(self, operator, node, chat):
        return self.reason
'''


@pytest.fixture
def fakePackage(tmp_path: Path) -> Iterator[Any]:
    """Build a throwaway plugin package from {module: source}; import it."""
    name = "fakechecks_" + uuid.uuid4().hex[:8]
    root = tmp_path / name
    root.mkdir()
    (root / "__init__.py").write_text("")
    sys.path.insert(0, str(tmp_path))

    def make(modules: dict[str, str]) -> ModuleType:
        for module, source in modules.items():
            (root / f"{module}.py").write_text(FAKE_PLUGIN + textwrap.dedent(source))
        return importlib.import_module(name)

    yield make
    sys.path.remove(str(tmp_path))
    for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[module]


def test_onThePhoneIsFoundInImsupportPluginsButOffWithoutAPath(tmp_path: Path) -> None:
    with capturedLogs() as events:
        assert [c.name for c in loadChecks({})] == []
    [found] = [formatEvent(e) for e in events if "Eligibility plugins found" in formatEvent(e)]
    assert "onthephone" in found and found.endswith("enabled: (none)")
    path = str(tmp_path / "phone.txt")
    checks = loadChecks({"onthephone": {"path": path}}, imsupport.plugins)
    assert checks == [onThePhone]
    assert onThePhone.path == path


def test_theShippedPluginIsAProperTwistedPlugin() -> None:
    assert IPlugin.providedBy(onThePhone)
    assert verifyObject(IEligibilityCheck, onThePhone)
    assert onThePhone.name == "onthephone"


def test_aTableNamingNoPluginIsAnError() -> None:
    with pytest.raises(ValueError, match=r"^no eligibility plugin named onthefone; "
                                         r"found: .*onthephone"):
        loadChecks({"onthefone": {"path": "/x"}})


@pytest.mark.parametrize("options, message", [
    ({"pth": "/x"}, 'plugins.onthephone: unknown key pth (did you mean "path"?)'),
    ({"path": "phone.txt"}, "plugins.onthephone: path must be an absolute file path, "
                            "got 'phone.txt'"),
    ({"path": 5}, "plugins.onthephone: path must be an absolute file path, got 5"),
])
def test_onThePhoneRefusesBadOptions(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        loadChecks({"onthephone": options})
    assert str(caught.value) == message


def test_configuredPluginsComeFirstInConfigOrderThenByName(fakePackage: Any) -> None:
    package = fakePackage({
        "one": 'zeta = Fake("zeta", reason="z")\nalpha = Fake("alpha", reason="a")\n',
        "two": 'mid = Fake("mid", needs="url")\nbeta = Fake("beta")\n',
    })
    checks = loadChecks({"mid": {"url": "http://crm"}, "zeta": {}}, package)
    assert [c.name for c in checks] == ["mid", "zeta", "alpha", "beta"]
    assert checks[0].options == {"url": "http://crm"}  # type: ignore[attr-defined]
    assert checks[3].options == {}  # type: ignore[attr-defined]
    assert outcome(EligibilityChecks(checks, Clock()).check(IVAN, "s", CHAT)) == "zeta: z"


def test_aPluginThatNeedsOptionsStaysOffWithout(fakePackage: Any) -> None:
    package = fakePackage({"one": 'crm = Fake("crm", needs="url")\n'})
    assert loadChecks({}, package) == []
    with pytest.raises(ValueError, match=r"^no eligibility plugin named phone; found: crm$"):
        loadChecks({"phone": {}}, package)


def test_pluginsGetPlainPrivateCopiesOfTheirOptions(fakePackage: Any, tmp_path: Path) -> None:
    from imsupport.config import parseConfig
    package = fakePackage({"one": 'crm = Fake("crm", needs="hosts")\n'})
    config = parseConfig('[service]\ndomain = "a.example"\n[xmpp]\nsecret = "s"\n'
                         '[plugins.crm]\nhosts = ["a", "b"]\nauth = {user = "u"}\n')
    [crm] = loadChecks(config.plugins.options, package)
    options = crm.options  # type: ignore[attr-defined]
    assert options == {"hosts": ["a", "b"], "auth": {"user": "u"}}
    assert type(options) is dict and type(options["hosts"]) is list
    options["hosts"].append("c")
    assert config.plugins.options["crm"]["hosts"] == ("a", "b")


@pytest.mark.parametrize("source, message", [
    ('a = Fake("crm")\nb = Fake("crm")\n', "two eligibility plugins are named crm"),
    ('a = Fake("CRM")\n', "has the name 'CRM'; names use only a-z, 0-9 and _"),
    ('a = Fake("crm")\ndel Fake.check\n', "is broken"),
    ('a = Fake("crm", error=ValueError("url is required"))\n',
     r"^plugins\.crm: url is required$"),
    ('a = Fake("crm", error=KeyError("url"))\n', r"^plugins\.crm: KeyError: 'url'$"),
])
def test_brokenPluginsStopTheStart(fakePackage: Any, source: str, message: str) -> None:
    package = fakePackage({"one": source})
    with pytest.raises(ValueError, match=message):
        loadChecks({}, package)


def test_anEmptyPackage(fakePackage: Any) -> None:
    package = fakePackage({})
    assert loadChecks({}, package) == []
    with pytest.raises(ValueError, match=r"found: \(none\)$"):
        loadChecks({"crm": {}}, package)


# -- the "on the phone" plugin ------------------------------------------------------

def _phone(path: Path) -> OnThePhone:
    plugin = OnThePhone()
    assert plugin.configure({"path": str(path)}) is True
    return plugin


def _bump(path: Path, text: str) -> None:
    """Rewrite the file with a clearly newer mtime, as a later write would have."""
    before = path.stat().st_mtime_ns
    path.write_text(text)
    os.utime(path, ns=(before + 10**9, before + 10**9))


def test_parseList() -> None:
    text = "# on a call now\nIvan@Shop.Example\n\n  anna@shop.example  # since 10:02\n" \
           "guru@shop.example/desk-phone\n   \n#nobody@shop.example\n"
    assert parseList(text) == {"ivan@shop.example", "anna@shop.example", "guru@shop.example"}


def test_offWithoutAPath() -> None:
    plugin = OnThePhone()
    assert plugin.configure({}) is False
    assert plugin.check(IVAN, "sales", CHAT) is None


def test_listedOperatorsAreOnThePhone(tmp_path: Path) -> None:
    path = tmp_path / "phone.txt"
    path.write_text("# phone system\nIVAN@shop.example\n")
    plugin = _phone(path)
    assert plugin.check(IVAN, "sales", CHAT) == "on the phone"
    assert plugin.check("Ivan@Shop.Example", "sales", CHAT) == "on the phone"
    assert plugin.check("anna@shop.example", "sales", CHAT) is None


def test_theFileIsReadAgainWhenItChanges(tmp_path: Path) -> None:
    path = tmp_path / "phone.txt"
    path.write_text("ivan@shop.example\n")
    plugin = _phone(path)
    assert plugin.check(IVAN, "sales", CHAT) == "on the phone"
    _bump(path, "anna@shop.example\n")
    assert plugin.check(IVAN, "sales", CHAT) is None
    assert plugin.check("anna@shop.example", "sales", CHAT) == "on the phone"


def test_theFileIsNotReadAgainWhileUnchanged(tmp_path: Path, monkeypatch: Any) -> None:
    path = tmp_path / "phone.txt"
    path.write_text("ivan@shop.example\n")
    plugin = _phone(path)
    plugin.check(IVAN, "sales", CHAT)
    monkeypatch.setattr("builtins.open", lambda *a, **k: pytest.fail("read again"))
    assert plugin.check(IVAN, "sales", CHAT) == "on the phone"


def test_aReplacedFileIsNoticed(tmp_path: Path) -> None:
    path = tmp_path / "phone.txt"
    path.write_text("ivan@shop.example\n")
    plugin = _phone(path)
    assert plugin.check(IVAN, "sales", CHAT) == "on the phone"
    fresh = tmp_path / "phone.txt.new"
    fresh.write_text("anna@shop.example\n")
    stat = path.stat()
    os.utime(fresh, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same mtime, other inode
    os.replace(fresh, path)
    assert plugin.check(IVAN, "sales", CHAT) is None


def test_aMissingFileMeansNobodyIsOnThePhone(tmp_path: Path) -> None:
    path = tmp_path / "phone.txt"
    plugin = _phone(path)
    assert plugin.check(IVAN, "sales", CHAT) is None
    path.write_text("ivan@shop.example\n")
    assert plugin.check(IVAN, "sales", CHAT) == "on the phone"
    path.unlink()
    assert plugin.check(IVAN, "sales", CHAT) is None


def test_anUnreadableFileFailsOpenThroughTheChecks(tmp_path: Path) -> None:
    path = tmp_path / "phone.txt"
    path.mkdir()  # a directory where the file should be: open() fails
    checks = EligibilityChecks([_phone(path)], Clock())
    with capturedLogs() as events:
        assert outcome(checks.check(IVAN, "sales", CHAT)) is None
    assert "onthephone failed for ivan@shop.example" in problems(events)[0]


def test_reconfiguringForgetsTheOldFile(tmp_path: Path) -> None:
    path = tmp_path / "phone.txt"
    path.write_text("ivan@shop.example\n")
    plugin = _phone(path)
    assert plugin.check(IVAN, "sales", CHAT) == "on the phone"
    assert plugin.configure({}) is False
    assert plugin.check(IVAN, "sales", CHAT) is None


def test_onThePhoneThroughTheChecks(tmp_path: Path) -> None:
    path = tmp_path / "phone.txt"
    path.write_text("ivan@shop.example\n")
    checks = EligibilityChecks(loadChecks({"onthephone": {"path": str(path)}}), Clock())
    assert checks.enabled == ["onthephone"]
    assert outcome(checks.check(IVAN, "sales", CHAT)) == "onthephone: on the phone"
    assert outcome(checks.check("anna@shop.example", "sales", CHAT)) is None


def test_aDropInDirectoryOnSysPathIsSearched(tmp_path: Path) -> None:
    """As the README says: imsupport/plugins/ without __init__.py on the path.
    A child process, because the plugin package reads sys.path on import."""
    dropIn = tmp_path / "imsupport" / "plugins"
    dropIn.mkdir(parents=True)
    (dropIn / "local.py").write_text(FAKE_PLUGIN + 'local = Fake("local", reason="busy")\n')
    probe = ("from imsupport.core.eligibility import loadChecks\n"
             "print(' '.join(c.name for c in loadChecks({})))\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", probe], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["local"]
