"""
The admin and analyst pages under ``/admin/`` (R-WEB-1, R-ADM-1, SPEC 17):
app.py is the Klein app and its routes; guard.py, sessions.py, users.py
and throttle.py the log-in, sessions, roles and CSRF; dashboard.py and
live.py the live state; stats.py, archive.py, directory.py with edits.py,
and switches.py the other pages; layout.py the frame and headers of all.
The pages' own scripts and stylesheet are static files
(web/static/admin/), Chart.js is vendored (web/static/vendor/).
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from twisted.internet.interfaces import IReactorTime

from imsupport.configweb import WebUser
from imsupport.core.statistics import ANSWER_TARGET
from imsupport.store.interfaces import IStore
from imsupport.web.admin.app import AdminSite
from imsupport.web.admin.layout import plainAsset
from imsupport.web.admin.users import Run, WebUsers, inPlace
from imsupport.web.api.app import ApiSide
from imsupport.web.api.ports import CoreRef
from imsupport.web.peers import Peers

__all__ = ["AdminSite", "build"]


def build(api: ApiSide, core: CoreRef, store: IStore, clock: IReactorTime,
          users: Iterable[WebUser], public_url: str = "",
          answer_target: float = ANSWER_TARGET,
          run: "Run[bool] | Callable[..., Any]" = inPlace,
          asset: Callable[[str], str] = plainAsset,
          peers: Peers | None = None, directory_from_file: bool = False) -> AdminSite:
    """``users``: ``[[web_users]]``; ``run`` runs a password check (the
    runner: in a thread, not to hold up the reactor); ``asset``: a static
    file's URL by its name (``/static/<name>`` unless given);
    ``peers``: who a request is from (``[web] trusted_proxies``);
    ``directory_from_file``: ``[service] seed_directory = "replace"``."""
    return AdminSite(api, core, store, clock, WebUsers(users, run=run), public_url,
                     answer_target, asset, peers, directory_from_file)
