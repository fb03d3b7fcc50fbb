"""
``twistd imsupport``: options and the service tree.
"""
from __future__ import annotations

from twisted.application.service import IService
from twisted.python import usage

from imsupport.config import loadConfig
from imsupport.configvalues import ConfigError
from imsupport.core.commands import commandPluginNames, loadCommands
from imsupport.core.eligibility import loadChecks
from imsupport.core.events import eventHandlerNames, loadEventHandlers


class Options(usage.Options):
    synopsis = "[--config FILE]"
    longdesc = ("Customer support over instant messaging: an XMPP component that queues "
                "clients, finds a free operator, relays the chat and keeps its history.")
    optParameters = [
        ["config", "c", "/etc/imsupport/imsupport.toml", "The configuration file (TOML)."],
    ]

    def postOptions(self) -> None:
        try:
            self["loaded"] = loadConfig(self["config"])
        except ConfigError as e:
            raise usage.UsageError(str(e)) from None
        options = self["loaded"].plugins.options
        commandNames = commandPluginNames() | eventHandlerNames()
        try:
            self["commands"] = loadCommands(options)
            self["handlers"] = loadEventHandlers(options)
            self["checks"] = loadChecks({name: table for name, table in options.items()
                                         if name not in commandNames})
            self["filters"] = self["loaded"].filters.build()
        except ValueError as e:
            raise usage.UsageError(f"{self['config']}: {e}") from None


def makeService(options: Options) -> IService:
    from twisted.internet import reactor

    from imsupport.runner import ImsupportService

    return ImsupportService(options["loaded"], reactor, checks=options["checks"],
                            commands=options["commands"], filters=options["filters"],
                            handlers=options["handlers"])
