"""
``/admin/stats`` (R-STAT-1, R-STAT-2, R-WEB-1): figures of a period, of
all nodes or one, by period step and by node, and each operator's; the
charts (admin/stats.js, Chart.js vendored under static/vendor/) draw
``/admin/stats.json``. Every figure comes from the store's chat facts
through core/statistics.py's pure functions, the ones the API's
``/stats`` uses; the operators' figures are the API's own answers
(``GET /stats/operators/{jid}``, called in-process).

Dates are whole UTC days: ``from`` its start, ``to`` its end; by default
the last 30 days up to today.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, Generator

from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.internet.interfaces import IReactorTime
from twisted.web.iweb import IRequest
from twisted.web.template import Tag, tags

from imsupport.core.model import Directory
from imsupport.core.statistics import ANSWER_TARGET, byNode, nodeSeries, nodeStats, stepFor
from imsupport.store.interfaces import IStore
from imsupport.web.admin.dashboard import duration
from imsupport.web.admin.layout import CHART_JS, document, field, table, url
from imsupport.web.admin.sessions import Viewer
from imsupport.web.api.app import ApiSide
from imsupport.web.api.errors import ApiError, badRequest
from imsupport.web.api.ports import JSON, isoTime
from imsupport.web.api.stats import DEFAULT_DAYS

SCRIPT = "admin/stats.js"
FIGURES = (
    ("clients", "Clients", "count"), ("chats", "Chats", "count"),
    ("abandoned", "Abandoned", "count"), ("abandoned_rate", "Abandoned share", "share"),
    ("chat_length_avg", "Chat length, average", "time"),
    ("chat_length_p50", "Chat length, median", "time"),
    ("chat_length_p90", "Chat length, 90th percentile", "time"),
    ("queue_wait_avg", "Queue wait, average", "time"),
    ("queue_wait_p50", "Queue wait, median", "time"),
    ("queue_wait_p90", "Queue wait, 90th percentile", "time"),
    ("first_response_avg", "First response, average", "time"),
    ("first_response_p90", "First response, 90th percentile", "time"),
    ("answered_in_target", "Answered within the target", "share"),
    ("ratings", "Ratings", "count"), ("rating_avg", "Rating, average", "number"),
    ("csat", "Satisfied (4 or 5)", "share"))
BRIEF = ("chats", "abandoned", "queue_wait_p90", "first_response_p90", "answered_in_target",
         "rating_avg")


def shown(value: Any, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "time":
        return duration(value)
    if kind == "share":
        return f"{value * 100:.0f}%"
    if kind == "number":
        return f"{value:.2f}"
    return str(value)


def day(name: str, text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise badRequest(f"{name}: must be a date like 2027-01-15") from None


def midnight(d: date) -> float:
    return datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp()


def period(given: dict[str, str], now: float) -> tuple[float, float, date, date]:
    """[since, until) of the form's days, and the days."""
    today = datetime.fromtimestamp(now, timezone.utc).date()
    last = day("to", given.get("to")) or today
    first = day("from", given.get("from")) or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise badRequest("from: must not be after to")
    return midnight(first), midnight(last + timedelta(days=1)), first, last


class StatsPages:
    def __init__(self, store: IStore, clock: IReactorTime, api: ApiSide,
                 answer_target: float = ANSWER_TARGET) -> None:
        self.store = store
        self.clock = clock
        self.api = api
        self.answer_target = answer_target

    @inlineCallbacks
    def figures(self, given: dict[str, str], directory: Directory | None
                ) -> Generator[Deferred[Any], Any, JSON]:
        """What the page and stats.json show."""
        now = self.clock.seconds()
        since, until, first, last = period(given, now)
        node = given.get("node") or None
        if node is not None and directory is not None and directory.node(node) is None:
            raise ApiError(404, "not_found", f"There is no node {node}.")
        facts = yield self.store.chatFacts(node, since, until, presence=False)
        target = self.answer_target
        step = stepFor(since, until)
        out: JSON = {
            "node": node, "from": first.isoformat(), "to": last.isoformat(), "step": step,
            "total": nodeStats(facts, since, until, now, target).asDict(),
            "series": [{"from": isoTime(start), "to": isoTime(end), **stats.asDict()}
                       for start, end, stats in nodeSeries(facts, since, until, step, now,
                                                           target)],
            "nodes": [{"node": name, **stats.asDict()}
                      for name, stats in byNode(facts, since, until, now, target).items()],
            "operators": []}
        if directory is not None:
            iso = {"from": str(isoTime(since)), "to": str(isoTime(until))}
            members = self._operators(directory, node)
            for jid in members:
                figures = yield self.api.invoke("statsOperator", {"jid": jid}, iso)
                operator = directory.operator(jid)
                out["operators"].append({**figures, "name": operator.name if operator
                                         else jid})
        return out

    def _operators(self, directory: Directory, node: str | None) -> list[str]:
        if node is None:
            return [o.jid for o in directory.operators]
        found = directory.node(node)
        jids = [j for g in (found.groups if found else ()) for j in g.operators]
        return list(dict.fromkeys(jids))

    def page(self, request: IRequest, viewer: Viewer, given: dict[str, str],
             figures: JSON, nodes: list[str]) -> bytes:
        query = {"from": figures["from"], "to": figures["to"], "node": figures["node"]}
        return document(request, "Statistics", [
            self._form(figures, nodes),
            tags.section(class_="figures narrow")(
                tags.h2("The period"),
                table(("Figure", "Value"), [(label, shown(figures["total"][key], kind))
                                            for key, label, kind in FIGURES])),
            tags.section(id="charts", class_="charts",
                         **{"data-src": url("/stats.json", **query)})(
                tags.h2("Charts"),
                *[tags.figure(tags.div(class_="chart")(
                    tags.canvas(id=name, role="img", **{"aria-label": label})),
                    tags.figcaption(label))
                  for name, label in (("chart-chats", "Chats and abandoned chats"),
                                      ("chart-waits", "Queue wait and first response, "
                                                      "90th percentile (seconds)"),
                                      ("chart-nodes", "Chats by node"))]),
            tags.section(tags.h2("By period"), self._steps(figures)),
            tags.section(tags.h2("By node"), table(
                ("Node", *[label for key, label, _ in FIGURES if key in BRIEF]),
                [(n["node"], *[shown(n[key], kind) for key, _, kind in FIGURES
                               if key in BRIEF]) for n in figures["nodes"]],
                "No chats in this period.")),
            tags.section(tags.h2("Operators (all their nodes)"), table(
                ("Operator", "Chats", "Clients", "Chat length, average", "Online",
                 "Away", "In chats"),
                [(o["name"], str(o["chats"]), str(o["clients"]),
                  shown(o["chat_length_avg"], "time"), duration(o["time_online"]),
                  duration(o["time_afk"]), duration(o["time_in_chats"]))
                 for o in figures["operators"]], "No operators."))],
            viewer, scripts=[CHART_JS, SCRIPT], here="/stats")

    def _form(self, figures: JSON, nodes: list[str]) -> Tag:
        choices = [tags.option("All nodes", value="")] + [
            tags.option(name, value=name, **({"selected": "selected"}
                                             if name == figures["node"] else {}))
            for name in nodes]
        made: Tag = tags.form(method="get", action=url("/stats"), class_="filters")(
            field("From", tags.input(type="date", name="from", value=figures["from"])),
            field("To", tags.input(type="date", name="to", value=figures["to"])),
            field("Node", tags.select(name="node")(*choices)),
            tags.button("Show", type="submit"))
        return made

    def _steps(self, figures: JSON) -> Tag:
        brief = [(key, label, kind) for key, label, kind in FIGURES if key in BRIEF]
        rows = [(s["from"][:16].replace("T", " "), *[shown(s[key], kind)
                                                    for key, _, kind in brief])
                for s in figures["series"] if s["chats"]]
        return table(("From (UTC)", *[label for _, label, _ in brief]), rows,
                     "No chats in this period.")
