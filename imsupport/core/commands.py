"""
One command framework for operators' and admins' text commands (R-CMD-*):
in a chat (sent to a chat address) or at the console (the bare domain).

A command says where it works, who may use it and how many arguments it
takes; the framework parses ``!name args``, checks all that, answers usage
errors with what was expected and unknown names with the closest matches,
and gives per-command help. Built-in commands and plugin commands (found
through twisted.plugin, see ``ICommand``) go through the same path.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from twisted.internet.defer import Deferred, maybeDeferred, succeed
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import Attribute, Interface

from imsupport.core.pluginload import enabledPlugins

if TYPE_CHECKING:
    from imsupport.core.chat import Chat
    from imsupport.core.workspace import Workspace

log = Logger()

CHAT = "chat"
CONSOLE = "console"

# Who can use a chat command there and then: the chat's operators (most
# commands), the operator with an open invitation to it (!accept, !decline),
# or both (!help). At the console only ``where`` counts.
MEMBERS = "members"
INVITED = "invited"
ANYONE = "anyone"


class ICommand(Interface):
    """A command from a plugin (R-CMD-10, R-PLUG-1)."""

    name = Attribute("the word after the prefix, [a-z][a-z0-9_]*")
    usage = Attribute("the arguments, for help and usage errors, e.g. '<text>'")
    help = Attribute("one line of help: a str, or a dict language -> str")
    where = Attribute("a set of 'chat' and/or 'console'")
    admin_only = Attribute("True if only the service's admins may use it")

    def configure(options: dict[str, Any]) -> bool:
        """Called once at start with the plugin's [plugins.<name>] table;
        returns whether the command is enabled."""

    def run(context: "CommandContext") -> Any:
        """Do it; return the answer for the sender (str), None, or a
        Deferred of either. ``context.toClient(text)`` speaks to the client
        of the chat (stored first, like every message)."""


@dataclass
class CommandContext:
    core: "Workspace"  # what commands act through (the store is ``core.store``)
    sender: str
    name: str
    args: list[str]
    text: str  # the whole message, as typed
    chat: "Chat | None" = None  # None at the console
    invited: bool = False  # the sender has an open invitation to ``chat``

    @property
    def rest(self) -> str:
        """Everything after the command word, spacing kept."""
        stripped = self.text.strip()
        return stripped.split(None, 1)[1] if len(stripped.split(None, 1)) > 1 else ""

    def reply(self, key: str, **fields: Any) -> None:
        """A system message to the sender: stored with the chat when there
        is one, and sent from where the command was typed."""
        if self.chat is not None:
            self.core.notices.toOperator(self.chat, self.sender, key, **fields)
        else:
            self.core.notices.direct(self.sender, key, **fields)

    def replyText(self, text: str) -> None:
        self.reply("plain", text=text)

    def toClient(self, text: str) -> Deferred[Any]:
        """Speak to the chat's client the way the sender's own words go:
        filtered, stored, then relayed (to the operators only while muted)."""
        if self.chat is None:
            raise ValueError("no chat: this command runs at the console")
        return self.core.words.say(self.chat, self.sender, text)


@dataclass(frozen=True)
class Command:
    name: str
    run: Callable[[CommandContext], Deferred[Any] | None]
    where: frozenset[str] = frozenset({CHAT})
    usage: str = ""
    help_key: str | None = None  # i18n key of the one-line help (built-ins)
    help_text: Mapping[str, str] = field(default_factory=dict)  # language -> line (plugins)
    admin_only: bool = False
    min_args: int = 0
    max_args: int | None = 0  # None: any number
    who: str = MEMBERS  # MEMBERS, INVITED or ANYONE, in a chat

    def usableBy(self, context: CommandContext) -> bool:
        """Whether the sender can use it where they typed, as things are."""
        if context.chat is None or self.who == ANYONE:
            return True
        return context.invited if self.who == INVITED else not context.invited

    def helpLine(self, core: "Workspace", languages: Sequence[str]) -> str:
        if self.help_key is not None:
            return core.translator.text(self.help_key, languages)
        language = core.translator.language(languages)
        return self.help_text.get(language) or self.help_text.get("en") or \
            next(iter(self.help_text.values()), "")


def fromPlugin(plugin: Any) -> Command:
    text = plugin.help if isinstance(plugin.help, Mapping) else {"en": str(plugin.help)}

    def run(context: CommandContext) -> Deferred[Any]:
        def answered(result: Any) -> None:
            if isinstance(result, str) and result:
                context.replyText(result)

        def failed(reason: Any) -> None:
            log.failure("Command plugin {name} failed", reason, name=plugin.name)
            context.reply("command_failed", command=plugin.name)

        return maybeDeferred(plugin.run, context).addCallbacks(answered, failed)

    return Command(name=plugin.name, run=run, where=frozenset(plugin.where),
                   usage=plugin.usage, help_text=dict(text),
                   admin_only=bool(plugin.admin_only), max_args=None)


class Commands:
    def __init__(self, commands: Sequence[Command] = ()) -> None:
        self.byName: dict[str, Command] = {}
        for command in commands:
            self.add(command)

    def add(self, command: Command) -> None:
        if command.name in self.byName:
            raise ValueError(f"two commands are named {command.name}")
        self.byName[command.name] = command

    def available(self, where: str, admin: bool,
                  context: CommandContext | None = None) -> list[Command]:
        """The commands for ``where``; with a ``context``, only those its
        sender can use there and then."""
        return sorted((c for c in self.byName.values()
                       if where in c.where and (admin or not c.admin_only)
                       and (context is None or c.usableBy(context))),
                      key=lambda c: c.name)

    def run(self, context: CommandContext) -> Deferred[Any]:
        core = context.core
        where = CHAT if context.chat is not None else CONSOLE
        admin = core.isAdmin(context.sender)
        prefix = core.service.command_prefix
        command = self.byName.get(context.name)
        if command is not None and where in command.where and command.admin_only \
                and not admin:
            context.reply("console_admins_only")
            return succeed(None)
        if command is None or where not in command.where or command.admin_only and not admin:
            names = [c.name for c in self.available(where, admin, context)]
            close = difflib.get_close_matches(context.name, names, n=3, cutoff=0.5)
            context.reply("unknown_command", command=prefix + context.name,
                          known=", ".join(prefix + n for n in (close or names)))
            return succeed(None)
        count = len(context.args)
        if count < command.min_args or (command.max_args is not None
                                        and count > command.max_args):
            context.reply("command_usage", usage=f"{prefix}{command.name} {command.usage}".strip())
            return succeed(None)
        def failed(reason: Failure) -> None:
            log.failure("Command {name} failed", reason, name=command.name)
            context.reply("command_failed", command=prefix + command.name)

        return maybeDeferred(command.run, context).addErrback(failed)

    def help(self, context: CommandContext) -> str:
        """The commands the sender can use here and now, or the help of the
        one named (whenever it can be used)."""
        core = context.core
        where = CHAT if context.chat is not None else CONSOLE
        admin = core.isAdmin(context.sender)
        prefix = core.service.command_prefix
        languages = core.team.languages(context.sender)
        wanted = [a.lstrip(prefix) for a in context.args]
        lines = []
        for command in self.available(where, admin, None if wanted else context):
            if wanted and command.name not in wanted:
                continue
            usage = f"{prefix}{command.name} {command.usage}".strip()
            lines.append(f"{usage} - {command.helpLine(core, languages)}")
        return "\n".join(lines)


def loadCommands(options: Mapping[str, Mapping[str, Any]],
                 package: Any = None) -> list[Command]:
    """The command plugins in ``package`` (default ``imsupport.plugins``)
    that their ``[plugins.<name>]`` table (or none) enables."""
    return [fromPlugin(p) for p in enabledPlugins(ICommand, options, package, "Command")]


def commandPluginNames(package: Any = None) -> set[str]:
    from twisted.plugin import getPlugins

    import imsupport.plugins
    return {p.name for p in getPlugins(ICommand, package or imsupport.plugins)}
