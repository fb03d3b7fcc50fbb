"""``/webhooks`` (admin, SPEC 15): the stored webhooks, their delivery log
and redelivery. The fields are checked as the configuration file's are
(confighooks.py), so a hook the API takes is one the file would take. A
change is followed at once: the running Deliverer is told to refresh."""
from __future__ import annotations

from typing import Any, Callable, Generator

from twisted.internet.defer import Deferred, inlineCallbacks, succeed

from imsupport.confighooks import pattern, secret
from imsupport.configvalues import Bad, httpUrl
from imsupport.core.events import Delivery, Webhook
from imsupport.hooks.deliverer import Deliverer
from imsupport.store.interfaces import IStore
from imsupport.web.api.errors import badRequest, notFound
from imsupport.web.api.ports import JSON, isoTime

DelivererRef = Callable[[], "Deliverer | None"]


def webhookJson(hook: Webhook) -> JSON:
    """Never the secret: it signs deliveries, and whoever reads it could forge them."""
    return {"id": hook.id, "url": hook.url, "events": list(hook.events)}


def deliveryJson(delivery: Delivery) -> JSON:
    return {"event_id": delivery.event_id, "attempt": delivery.attempt,
            "at": isoTime(delivery.at), "status": delivery.status, "error": delivery.error,
            "duration": delivery.duration}


def checked(id: str, body: dict[str, Any]) -> Webhook:
    """The body as a Webhook, each field through the file's check; a bad
    one is a 400 naming it (the secret's value is never echoed)."""
    fields: dict[str, Any] = {}
    for name, check in (("url", httpUrl), ("secret", secret)):
        try:
            fields[name] = check(body[name])
        except Bad as bad:
            raise badRequest(f"{name}: {bad}") from None
    events = []
    for i, item in enumerate(body.get("events", ["*"])):
        try:
            events.append(pattern(item))
        except Bad as bad:
            raise badRequest(f"events.{i}: {bad}") from None
    return Webhook(id, fields["url"], fields["secret"], tuple(dict.fromkeys(events)))


class WebhookRoutes:
    def __init__(self, store: IStore, deliverer: DelivererRef) -> None:
        self.store = store
        self.deliverer = deliverer

    def _refresh(self) -> Deferred[None]:
        running = self.deliverer()
        return running.refresh() if running is not None else succeed(None)

    @inlineCallbacks
    def _known(self, id: str) -> Generator[Deferred[Any], Any, Webhook]:
        hooks: list[Webhook] = yield self.store.webhooks()
        for hook in hooks:
            if hook.id == id:
                return hook
        raise notFound(f"There is no webhook {id}.")

    def listWebhooks(self) -> Deferred[JSON]:
        d: Deferred[list[Webhook]] = self.store.webhooks()
        return d.addCallback(lambda hooks: {"items": [webhookJson(h) for h in hooks]})

    @inlineCallbacks
    def putWebhook(self, id: str, body: dict[str, Any]) -> Generator[Deferred[Any], Any, JSON]:
        hook = checked(id, body)
        yield self.store.putWebhook(hook)
        yield self._refresh()
        return webhookJson(hook)

    @inlineCallbacks
    def deleteWebhook(self, id: str) -> Generator[Deferred[Any], Any, JSON]:
        existed = yield self.store.deleteWebhook(id)
        if not existed:
            raise notFound(f"There is no webhook {id}.")
        yield self._refresh()
        return {"deleted": id}

    @inlineCallbacks
    def webhookDeliveries(self, id: str, limit: int,
                          **page: Any) -> Generator[Deferred[Any], Any, JSON]:
        """Newest first, ``limit`` a page; ``next`` (the seq of the last
        attempt shown, as the previous page gave it) goes on from there."""
        yield self._known(id)
        after = page.get("next")
        log = yield self.store.deliveries(id, limit + 1,
                                          None if after is None else int(after))
        shown = log[:limit]
        return {"items": [deliveryJson(d) for d in shown],
                "next": str(shown[-1].seq) if len(log) > limit else None}

    @inlineCallbacks
    def redeliverEvent(self, id: str, event_id: str) -> Generator[Deferred[Any], Any, JSON]:
        yield self._known(id)
        queued = yield self.store.redeliver(id, event_id)
        if not queued:
            raise notFound(f"There is no event {event_id}.")
        yield self._refresh()
        return {"webhook": id, "event_id": event_id, "queued": True}
