"""
The operators' file commands (R-CMD-5, R-CMD-6): ``!file ID`` sends a kept
file into the chat, ``!file`` alone gives a one-time upload page whose file
goes to the client; ``!sfile WORDS`` finds files (this client's first, then
shared ones); an admin's ``!share ID`` makes a file a shared file.
"""
from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred, succeed

from imsupport.core.commands import CHAT, CONSOLE, Command, CommandContext
from imsupport.core.files import tokenOf
from imsupport.core.model import FileRecord

BOTH = frozenset({CHAT, CONSOLE})


def describeFile(record: FileRecord) -> str:
    where = "shared" if record.shared else (f"chat #{record.chat_id}" if record.chat_id
                                             else "not in a chat")
    return f"{record.id} {record.name} ({_size(record.size)}, {where})"


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KB"
    return f"{count / 1024 / 1024:.1f} MB"


def _file(context: CommandContext) -> Deferred[Any] | None:
    core, chat = context.core, context.chat
    assert chat is not None
    if not context.args:
        _, url = core.files.openPage(chat, context.sender)
        context.reply("file_page", url=url,
                      minutes=int(core.files.settings.upload_page_lifetime // 60))
        return None

    def send(record: FileRecord | None) -> object:
        if record is None:
            context.reply("file_unknown", id=context.args[0])
            return None
        context.reply("file_sent", name=record.name, url=core.files.urlOf(record))
        return core.words.sendFile(chat, context.sender, record)

    return core.files.byId(context.args[0]).addCallback(send)


def _sfile(context: CommandContext) -> Deferred[Any]:
    core, words = context.core, " ".join(context.args)
    client = context.chat.client if context.chat is not None else None

    def show(found: list[FileRecord]) -> None:
        if not found:
            context.reply("sfile_none", query=words)
            return
        context.reply("sfile_hits", hits="\n".join(describeFile(f) for f in found),
                      file=core.service.command_prefix + "file")

    return core.files.search(words, client).addCallback(show)


def _share(context: CommandContext) -> Deferred[Any]:
    core, given = context.core, context.args[0]
    token = tokenOf(core.files.settings.public_url, given)
    found = core.store.fileByToken(token) if token else core.files.byId(given)

    def share(record: FileRecord | None) -> Deferred[Any] | None:
        if record is None:
            context.reply("file_unknown", id=given)
            return None
        return core.files.share(record).addCallback(
            lambda shared: context.reply("file_shared", name=shared.name, id=shared.id))

    return found.addCallback(share) if found is not None else succeed(None)


def fileCommands() -> list[Command]:
    return [
        Command("file", _file, usage="[id]", help_key="help_file", max_args=1),
        Command("sfile", _sfile, where=BOTH, usage="<words>", help_key="help_sfile",
                min_args=1, max_args=None),
        Command("share", _share, where=frozenset({CONSOLE}), usage="<id|link>",
                help_key="help_share", admin_only=True, min_args=1, max_args=1),
    ]
