"""
Opening hours and shifts over time (R-NODE-1, R-ROUTE-6): one timer for the
next moment a node or a shift opens or closes; then chats may be offered
again and node presence changes.
"""
from __future__ import annotations

from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from imsupport.core.availability import Availability
from imsupport.core.nodepresence import NodePresences
from imsupport.core.offers import Offers
from imsupport.core.timers import Timers

log = Logger()


class ScheduleWatch:
    def __init__(self, clock: IReactorTime, availability: Availability, offers: Offers,
                 presences: NodePresences) -> None:
        self.clock = clock
        self.availability = availability
        self.offers = offers
        self.presences = presences
        self._timers = Timers(clock)

    def watch(self) -> None:
        self._timers.cancel("change")
        now = self.clock.seconds()
        when = self.availability.nextChange(now)
        if when is not None:
            self._timers.set("change", max(0.0, when - now), self._changed)

    def stop(self) -> None:
        self._timers.cancelAll()

    def _changed(self) -> None:
        log.info("Opening hours or shifts changed; routing again")
        self.changed()

    def changed(self) -> None:
        """Hours, shifts, groups or switches may have changed (a new
        directory too): route again, show the nodes as they are now, and
        wake up at the next change of the new hours."""
        self.offers.dispatch()
        self.presences.refresh()
        self.watch()
