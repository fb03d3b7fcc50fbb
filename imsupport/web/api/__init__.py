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
from imsupport.store.interfaces import IStore
from imsupport.web.api.app import ApiSide
from imsupport.web.api.auth import Tokens
from imsupport.web.api.chats import ChatRoutes
from imsupport.web.api.control import ControlRoutes
from imsupport.web.api.directory import DirectoryRoutes
from imsupport.web.api.ports import CoreRef
from imsupport.web.api.state import StateRoutes
from imsupport.web.api.tokens import TokenRoutes, configEntries, seedTokens

__all__ = ["ApiSide", "build", "seedTokens"]


def build(core: CoreRef, store: IStore, clock: IReactorTime, service: ServiceConfig,
          tokens: Iterable[ApiToken] = ()) -> ApiSide:
    """``service``: the domain and default language the directory's
    readers need; ``tokens``: ``[[api_tokens]]``, in force until the store
    is open and ``seedTokens``' answer is loaded (``api.tokens.load``)."""
    ring = Tokens(clock, configEntries(tokens))
    return ApiSide(ring, [ChatRoutes(store, core), StateRoutes(core), ControlRoutes(core),
                          TokenRoutes(ring, store, clock), DirectoryRoutes(store, core, service)])
