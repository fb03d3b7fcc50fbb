"""
The HTTP API under ``/api/v1/`` (SPEC 14): ``build`` makes it from the
service's parts. The document (openapi.json) is the contract; app.py turns
its operations into routes; chats.py, state.py, control.py and tokens.py
answer them.
"""
from __future__ import annotations

from typing import Iterable

from twisted.internet.interfaces import IReactorTime

from imsupport.config import ApiToken, ServiceConfig
from imsupport.core.statistics import ANSWER_TARGET
from imsupport.store.interfaces import IStore
from imsupport.web.api.app import ApiSide
from imsupport.web.api.auth import Tokens
from imsupport.web.api.chats import ChatRoutes
from imsupport.web.api.control import ControlRoutes
from imsupport.web.api.directory import DirectoryRoutes
from imsupport.web.api.messaging import MessagingRoutes
from imsupport.web.api.ports import CoreRef
from imsupport.web.api.state import StateRoutes
from imsupport.web.api.stats import StatsRoutes
from imsupport.web.api.tokens import TokenRoutes, configEntries, seedTokens
from imsupport.web.api.webhooks import DelivererRef, WebhookRoutes

__all__ = ["ApiSide", "build", "seedTokens"]


def build(core: CoreRef, store: IStore, clock: IReactorTime, service: ServiceConfig,
          tokens: Iterable[ApiToken] = (),
          deliverer: DelivererRef = lambda: None,
          answer_target: float = ANSWER_TARGET) -> ApiSide:
    """``service``: the domain and default language the directory's
    readers need; ``tokens``: ``[[api_tokens]]``, in force until the store
    is open and ``seedTokens``' answer is loaded (``api.tokens.load``);
    ``deliverer``: the running webhook Deliverer (None before it starts),
    told to refresh when the webhooks change; ``answer_target``: ``[stats]
    answer_target``."""
    ring = Tokens(clock, configEntries(tokens))
    return ApiSide(ring, [ChatRoutes(store, core), StateRoutes(core), ControlRoutes(core),
                          TokenRoutes(ring, store, clock), DirectoryRoutes(store, core, service),
                          MessagingRoutes(core), StatsRoutes(store, clock, answer_target),
                          WebhookRoutes(store, deliverer)])
