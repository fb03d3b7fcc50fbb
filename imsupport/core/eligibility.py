"""
Pluggable eligibility checks (R-ROUTE-7, R-PLUG-1): a plugin can leave an
operator out of a chat for now ("on the phone", "in a meeting") and may take
its time to say so.

Routing must never wait on a plugin for long, so each check gets a deadline
on the injected clock. A check that misses it, raises, or answers nonsense
counts as *eligible*: fail-open. The alternative (fail-closed) would let one
broken or slow plugin, or the system behind it, stop all support; a wrongly
offered chat costs one declined invitation, a stopped queue costs customers.
Those failures are logged, at most once per plugin per minute, because a
plugin that is down fails on every offer.

Plugins are found with ``twisted.plugin`` in the ``imsupport.plugins``
package (drop-in directories included), configured once at start from the
``[plugins.<name>]`` tables, and asked in parallel for every offer.
"""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from twisted.internet.defer import Deferred, TimeoutError, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger, LogLevel
from twisted.plugin import getPlugins
from twisted.python.failure import Failure
from zope.interface import Attribute, Interface
from zope.interface.exceptions import Invalid
from zope.interface.verify import verifyObject

import imsupport.plugins

log = Logger()

PLUGIN_NAME = re.compile(r"[a-z0-9_]+")  # the same rule as the [plugins.<name>] tables
LOG_EVERY = 60.0  # seconds between two failure reports of one plugin


@dataclass(frozen=True)
class ChatInfo:
    """What a check may know about the chat being offered."""
    chat_id: int
    node: str
    client: str  # the client's bare JID (or web visitor address)
    languages: tuple[str, ...]  # the client's, in priority order
    waited: float  # seconds the client has waited so far


class IEligibilityCheck(Interface):
    """A check that can leave an operator out of a chat for now.

    Provide it together with ``twisted.plugin.IPlugin`` on a module-level
    object in a module of the ``imsupport.plugins`` package.
    """

    name = Attribute(
        "Short id (a-z, 0-9, _): names the [plugins.<name>] table and appears in "
        "logs and in veto reasons.")

    def configure(options: dict[str, Any]) -> bool:
        """Called once at start with the plugin's [plugins.<name>] table ({} if
        there is none). Return whether the check is enabled: a plugin that
        needs configuration returns False without it. Raise ValueError with a
        message for the admin when the options are wrong; the service then
        refuses to start."""

    def check(operator: str, node: str,
              chat: ChatInfo) -> Deferred[str | None] | str | None:
        """None if ``operator`` (a bare JID) may be offered ``chat`` on ``node``
        now; otherwise a short reason ("on the phone") for logs and !status.
        May answer with a Deferred (a new one per call) or be ``async def``; an
        answer later than the configured timeout is ignored and the operator
        counts as eligible."""


class _Throttle:
    """At most one report per key per ``every`` seconds, counting the rest."""

    def __init__(self, every: float) -> None:
        self.every = every
        self.last: dict[str, float] = {}
        self.suppressed: dict[str, int] = {}

    def allow(self, key: str, now: float) -> int | None:
        """The number suppressed since the last report if one may go out now,
        else None."""
        last = self.last.get(key)
        if last is not None and now - last < self.every:
            self.suppressed[key] = self.suppressed.get(key, 0) + 1
            return None
        self.last[key] = now
        return self.suppressed.pop(key, 0)


class _Round:
    """One ``EligibilityChecks.check`` call: collects the answers in plugin
    order and fires as soon as the outcome is known, cancelling the rest."""

    def __init__(self, owner: EligibilityChecks, operator: str, node: str,
                 chat: ChatInfo) -> None:
        self.owner, self.operator, self.node, self.chat = owner, operator, node, chat
        self.checks = owner.checks
        self.answered: list[bool] = [False] * len(self.checks)
        self.verdicts: list[str | None] = [None] * len(self.checks)
        self.pending: dict[int, Deferred[Any]] = {}
        self.done = False
        self.result: Deferred[str | None] = Deferred(self._cancel)

    def run(self) -> Deferred[str | None]:
        for index, check in enumerate(self.checks):
            if self.done:
                break  # an earlier check already vetoed synchronously
            self._ask(index, check)
        return self.result

    def _ask(self, index: int, check: IEligibilityCheck) -> None:
        try:
            answer: object = check.check(self.operator, self.node, self.chat)
        except Exception:
            self._failed(check, Failure())
            self._settle(index, None)
            return
        if inspect.iscoroutine(answer):  # an ``async def check``
            answer = Deferred.fromCoroutine(answer)
        if not isinstance(answer, Deferred):
            self._settle(index, self._verdict(check, answer))
            return
        if not answer.called:
            answer.addTimeout(self.owner.timeout, self.owner.clock)
            self.pending[index] = answer
        answer.addCallbacks(lambda value: self._verdict(check, value),
                            lambda failure: self._failed(check, failure))
        answer.addCallback(lambda verdict: self._settle(index, verdict))

    def _verdict(self, check: IEligibilityCheck, value: object) -> str | None:
        if value is None or self.done:
            return None
        if isinstance(value, str):
            reason = " ".join(value.split()) or "not eligible"  # one line in logs
            return f"{check.name}: {reason}"
        self.owner._report(check, self.operator,
                           "Eligibility check {check} answered {answer!r} (not a reason or "
                           "None) for {operator}; treating as eligible", answer=value)
        return None

    def _failed(self, check: IEligibilityCheck, failure: Failure) -> None:
        if self.done:  # cancelled by us: the outcome was already known
            return
        if failure.check(TimeoutError):
            self.owner._report(check, self.operator,
                               "Eligibility check {check} did not answer for {operator} within "
                               "{timeout}s; treating as eligible", timeout=self.owner.timeout)
        else:
            self.owner._report(check, self.operator,
                               "Eligibility check {check} failed for {operator}; treating as "
                               "eligible", failure=failure)

    def _settle(self, index: int, verdict: str | None) -> None:
        self.pending.pop(index, None)
        if self.done:
            return
        self.answered[index], self.verdicts[index] = True, verdict
        for answered, reason in zip(self.answered, self.verdicts, strict=True):
            if not answered:
                return  # an earlier check may still veto: its reason would win
            if reason is not None:
                self._finish(reason)
                return
        self._finish(None)

    def _finish(self, verdict: str | None) -> None:
        self.done = True
        self._cancelPending()
        self.result.callback(verdict)

    def _cancelPending(self) -> None:
        while self.pending:
            _, answer = self.pending.popitem()
            answer.cancel()

    def _cancel(self, result: Deferred[str | None]) -> None:
        """The caller gave up (say, the chat ended): stop waiting for everyone."""
        self.done = True
        self._cancelPending()


class EligibilityChecks:
    """The enabled checks, asked together for each offer of a chat."""

    def __init__(self, checks: Sequence[IEligibilityCheck], clock: IReactorTime,
                 timeout: float = 2.0) -> None:
        if not timeout > 0:
            raise ValueError(f"timeout must be positive, got {timeout!r}")
        self.checks = tuple(checks)
        self.clock = clock
        self.timeout = timeout
        self._throttle = _Throttle(LOG_EVERY)

    @property
    def enabled(self) -> list[str]:
        return [c.name for c in self.checks]

    def check(self, operator: str, node: str, chat: ChatInfo) -> Deferred[str | None]:
        """Fire with None if every check lets ``operator`` take ``chat``, else
        with the first veto in plugin order, as "name: reason". Never fails;
        fires within ``timeout`` seconds of clock time, at once if every
        check answers synchronously. Cancelling it cancels the checks."""
        if not self.checks:
            return succeed(None)
        return _Round(self, operator, node, chat).run()

    def _report(self, check: IEligibilityCheck, operator: str, format: str,
                failure: Failure | None = None, **fields: Any) -> None:
        name = str(getattr(check, "name", check))
        suppressed = self._throttle.allow(name, self.clock.seconds())
        if suppressed is None:
            return
        if suppressed:
            format += " ({suppressed} similar reports of {check} in the last minute not logged)"
        if failure is not None:
            log.failure(format, failure, LogLevel.error, check=name, operator=operator,
                        suppressed=suppressed, **fields)
        else:
            log.warn(format, check=name, operator=operator, suppressed=suppressed, **fields)


def _thaw(value: Any) -> Any:
    """Plain, private copies of the read-only config values for a plugin."""
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_thaw(v) for v in value]
    return value


def _discover(package: Any) -> dict[str, IEligibilityCheck]:
    found: dict[str, IEligibilityCheck] = {}
    for plugin in getPlugins(IEligibilityCheck, package):
        try:
            verifyObject(IEligibilityCheck, plugin)
        except Invalid as e:
            raise ValueError(f"eligibility plugin {plugin!r} is broken: {e}") from None
        name = plugin.name
        if not isinstance(name, str) or not PLUGIN_NAME.fullmatch(name):
            raise ValueError(f"eligibility plugin {plugin!r} has the name {name!r}; "
                             "names use only a-z, 0-9 and _")
        if name in found:
            raise ValueError(f"two eligibility plugins are named {name}: "
                             f"{found[name]!r} and {plugin!r}")
        found[name] = plugin
    return found


def loadChecks(options: Mapping[str, Mapping[str, Any]],
               package: Any = imsupport.plugins) -> list[IEligibilityCheck]:
    """Find the eligibility plugins in ``package``, configure each with its
    table from ``options`` and return the enabled ones.

    Order decides whose reason is shown when several veto: first the plugins
    in the order their tables appear in ``options``, then the rest by name.
    Raises ValueError, with a message for the admin, for a table naming no
    plugin, a plugin refusing its options, or a broken plugin.
    """
    found = _discover(package)
    for name in options:
        if name not in found:
            raise ValueError(f"no eligibility plugin named {name}; "
                             f"found: {', '.join(sorted(found)) or '(none)'}")
    order = [*options, *sorted(n for n in found if n not in options)]
    enabled: list[IEligibilityCheck] = []
    for name in order:
        try:
            on = found[name].configure(_thaw(options.get(name, {})))
        except Exception as e:
            problem = str(e) if isinstance(e, ValueError) else f"{type(e).__name__}: {e}"
            raise ValueError(f"plugins.{name}: {problem}") from e
        if on:
            enabled.append(found[name])
    log.info("Eligibility plugins found: {found}; enabled: {enabled}",
             found=", ".join(sorted(found)) or "(none)",
             enabled=", ".join(c.name for c in enabled) or "(none)")
    return enabled
