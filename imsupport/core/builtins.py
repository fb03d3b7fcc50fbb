"""
The built-in commands (R-CMD-1..4, R-CMD-7..9, R-ADDR-4, R-NODE-3): what
each does, where it works and who may use it. The parsing, permissions and
help live in ``commands.py``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred, succeed

from imsupport.core.chat import INVITE, REDIRECT, describeChat
from imsupport.core.commands import (
    ANYONE,
    CHAT,
    CONSOLE,
    INVITED,
    Command,
    CommandContext,
)
from imsupport.core.display import clientFromShown, showClient
from imsupport.core.model import ChatRecord

if TYPE_CHECKING:
    from imsupport.core.console import Console

BOTH = frozenset({CHAT, CONSOLE})
HISTORY_DEFAULT = 5
HISTORY_MAX = 50
HISTORY_WORDS = 8  # a client as shown, "a@b via gateway", is three words; then n
SEARCH_HITS = 5


def _close(context: CommandContext) -> None:
    assert context.chat is not None
    context.core.closing.close(context.chat, "operator", context.sender)


def _help(context: CommandContext) -> None:
    context.reply("help_list", commands=context.core.commands.help(context) or "-")


def _mute(context: CommandContext) -> None:
    chat = context.chat
    assert chat is not None
    if context.sender in chat.muted:
        chat.muted.discard(context.sender)
        context.reply("unmuted")
    else:
        chat.muted.add(context.sender)
        context.reply("muted")


def _leave(context: CommandContext) -> None:
    chat = context.chat
    assert chat is not None
    if len(chat.record.operators) < 2:
        context.reply("leave_last")
        return
    context.core.transfers.leave(chat, context.sender)


def _redirect(context: CommandContext) -> None:
    assert context.chat is not None
    context.core.transfers.start(context.chat, context.sender, REDIRECT, context.args)


def _invite(context: CommandContext) -> None:
    assert context.chat is not None
    context.core.transfers.start(context.chat, context.sender, INVITE, context.args)


def _notInvited(context: CommandContext) -> None:
    context.reply("no_invitation")


def _faq(context: CommandContext) -> Deferred[Any] | None:
    """Sends the prepared answer to the client (to operators only while
    muted, since it goes the way the operator's own words go)."""
    entry = context.core.faq.lookup(context.args[0])
    if entry is None:
        close = context.core.faq.suggest(context.args[0])
        context.reply("faq_unknown", id=context.args[0], suggestions=", ".join(close) or "-")
        return None
    chat = context.chat
    if chat is None:
        context.reply("faq_entry", id=entry.id, question=entry.question, answer=entry.answer)
        return None
    blocked = context.core.words.wouldBlock(entry.answer)
    muted = context.sender in chat.muted
    d = context.toClient(entry.answer)
    # The operator sees what went where (a blocked answer gets its own notice).
    if not blocked and (chat.queued or chat.active) and context.sender in chat.record.operators:
        context.reply("faq_sent_muted" if muted else "faq_sent", id=entry.id,
                      answer=entry.answer)
    return d


def _sfaq(context: CommandContext) -> None:
    hits = context.core.faq.search(" ".join(context.args), limit=SEARCH_HITS)
    if not hits:
        context.reply("sfaq_none", query=" ".join(context.args))
        return
    prefix = context.core.service.command_prefix
    lines = "\n".join(f"{prefix}faq {h.entry.id} - {h.entry.question}" for h in hits)
    context.reply("sfaq_hits", hits=lines)


def _history(context: CommandContext) -> Deferred[Any]:
    """R-CMD-2: earlier chats of this client (in the chat) or of the client
    named (at the console)."""
    core = context.core
    chat = context.chat
    args = list(context.args)
    if chat is not None:
        client = chat.client
    else:  # the client as the operator saw them (``a@b via gateway``) or their JID
        count_given = len(args) > 1 and args[-1].isdigit()
        typed, args = (args[:-1], args[-1:]) if count_given else (args, [])
        client = clientFromShown(" ".join(typed)) if typed else ""
    if not client or len(args) > 1:
        context.reply("command_usage", usage=f"{core.service.command_prefix}history CLIENT [n]")
        return succeed(None)
    count = HISTORY_DEFAULT
    if args:
        if not args[0].isdigit() or not 0 < int(args[0]) <= HISTORY_MAX:
            context.reply("history_count", max=HISTORY_MAX)
            return succeed(None)
        count = int(args[0])

    def show(chats: list[ChatRecord]) -> None:
        earlier = [c for c in chats if chat is None or c.id != chat.id][:count]
        if not earlier:
            context.reply("history_none", client=showClient(client))
            return
        context.reply("history_list", client=showClient(client),
                      chats="\n".join(describeChat(c, core.team.displayName, core.transcriptLink)
                                     for c in earlier))

    return core.store.findChats(client=client, limit=count + 1).addCallback(show)


def builtinCommands(console: "Console") -> list[Command]:
    return [
        Command("close", _close, help_key="help_close"),
        Command("help", _help, where=BOTH, usage="[command]", help_key="help_help",
                max_args=1, who=ANYONE),
        Command("mute", _mute, help_key="help_mute"),
        Command("leave", _leave, help_key="help_leave"),
        Command("redirect", _redirect, usage="<operator|group|node/group|node> [note]",
                help_key="help_redirect", min_args=1, max_args=None),
        Command("invite", _invite, usage="<operator|group|node/group|node> [note]",
                help_key="help_invite", min_args=1, max_args=None),
        Command("accept", _notInvited, help_key="help_accept", who=INVITED),
        Command("decline", _notInvited, help_key="help_decline", who=INVITED),
        Command("faq", _faq, where=BOTH, usage="<id>", help_key="help_faq", min_args=1,
                max_args=1),
        Command("sfaq", _sfaq, where=BOTH, usage="<words>", help_key="help_sfaq",
                min_args=1, max_args=None),
        Command("history", _history, where=BOTH, usage="[client] [n]",
                help_key="help_history", max_args=HISTORY_WORDS),
        Command("status", console.status, where=BOTH, usage="[node]",
                help_key="help_status", max_args=1),
        Command("off", console.switchOff, where=frozenset({CONSOLE}),
                usage="<target> [soft|hard]", help_key="help_off", admin_only=True,
                min_args=1, max_args=5),
        Command("on", console.switchOn, where=frozenset({CONSOLE}), usage="<target>",
                help_key="help_on", admin_only=True, min_args=1, max_args=4),
    ]
