"""
The file's ``[[webhooks]]`` into the store at start, the way the directory
is seeded (``[service] seed_directory``): "replace" makes the stored
webhooks the file's, "missing" seeds only a store that has none, and any
other mode leaves the store's (edited through the API) alone.
"""
from __future__ import annotations

from collections.abc import Sequence

from twisted.logger import Logger

from imsupport.core.events import Webhook
from imsupport.store.interfaces import IStore

log = Logger()


async def seedWebhooks(store: IStore, hooks: Sequence[Webhook], mode: str) -> list[Webhook]:
    """The webhooks in the store afterwards."""
    stored: list[Webhook] = await store.webhooks()
    if mode == "replace" or (mode == "missing" and not stored):
        wanted = {h.id for h in hooks}
        for old in stored:
            if old.id not in wanted:
                await store.deleteWebhook(old.id)
        for hook in hooks:
            await store.putWebhook(hook)
        if hooks or stored:
            log.info("Webhooks seeded from the configuration: {ids}",
                     ids=", ".join(h.id for h in hooks) or "(none)")
        return list(hooks)
    return stored
