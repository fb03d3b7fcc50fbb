"""
Where a file that arrived outside a chat's messages goes (R-CLI-1,
R-CMD-5): a one-time upload page's file into its chat as the one who asked
for the page, and an upload the disk could not keep to the chat's
operators as a notice (the uploader saw the error where they uploaded).
FileDesk tells it of both.
"""
from __future__ import annotations

from imsupport.core.chat import Chat
from imsupport.core.chats import Chats
from imsupport.core.clients import ClientDesk
from imsupport.core.filedesk import FileDesk
from imsupport.core.files import UploadPage
from imsupport.core.model import FileRecord
from imsupport.core.notices import Notices
from imsupport.core.words import OperatorWords


class FileRouting:
    def __init__(self, files: FileDesk, chats: Chats, clients: ClientDesk,
                 words: OperatorWords, notices: Notices) -> None:
        self.chats = chats
        self.clients = clients
        self.words = words
        self.notices = notices
        files.pageFiles.append(self.pageFile)
        files.failures.append(self.notStored)

    def pageFile(self, page: UploadPage, record: FileRecord) -> None:
        chat = self.chats.get(page.chat_id)
        if chat is None:
            return
        if page.owner == chat.client:
            self.clients.keepFile(chat, record)
        else:
            self.words.sendFile(chat, page.owner, record)

    def notStored(self, chat: Chat, name: str, reason: str) -> None:
        for operator in chat.record.operators:
            self.notices.toOperator(chat, operator, "file_not_stored", name=name, reason=reason)
