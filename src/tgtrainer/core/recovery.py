"""What a restart finishes or reports: the decisions, none of the Telegram.

The rules:
- A user message stored in the last `window_seconds` (setting RECOVERY_WINDOW_MINUTES) that has
  neither an answer nor an error told is answered on start, in order within its chat, through
  the normal turn: once its turn finishes the store knows it answered, so it is answered once.
  Older ones are left: an answer a quarter of an hour late answers a conversation that moved
  on. Messages of an earlier conversation (before /reset) and of chats no longer allowed are
  left too. A voice note counts once its transcript is stored (as the question's text).
- A reply already partly sent when the bot stopped (the first parts of a long reply, a group's
  streamed message) is withdrawn (its messages deleted) and the message answered anew in full;
  a private chat's draft is ephemeral and needs nothing.
- Work in progress (a document being learned, a voice note being heard) cannot be resumed: the
  file is gone with the temporary folder. The user is told it was interrupted and to send it
  again, in its status message when it has one. A document is saved in one transaction, so an
  interrupted one is absent, never half there.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass

from tgtrainer.core.access import AccessPolicy
from tgtrainer.core.types import ChatRef, UserRef
from tgtrainer.storage import ConversationStore
from tgtrainer.storage.work import WorkStore

DOCUMENT = "document"
VOICE = "voice"
INTERRUPTED = {
    DOCUMENT: "I was restarted while learning {name}, so I did not learn it. Please send it again.",
    VOICE: "I was restarted while listening to your voice message. Please send it again.",
}


@dataclass(frozen=True, slots=True)
class Unanswered:
    """A question to answer on start."""

    chat: ChatRef
    user: UserRef
    text: str
    message_id: int
    shown: tuple[int, ...]  # messages of an unfinished reply, to withdraw first
    stored_id: int


@dataclass(frozen=True, slots=True)
class Interrupted:
    """Work that was under way when the bot stopped, and what to tell about it."""

    chat_id: int
    message_id: int | None  # the user's message that brought it
    status_message_id: int | None  # where its progress was shown: the sentence goes there
    sentence: str


class Recovery:
    def __init__(
        self,
        conversations: ConversationStore,
        work: WorkStore,
        access: AccessPolicy,
        *,
        window_seconds: float,
    ) -> None:
        self._conversations = conversations
        self._work = work
        self._access = access
        self._window = window_seconds

    def unanswered(self) -> dict[int, list[Unanswered]]:
        """The questions to answer now, per chat id, each chat's in order."""
        if self._window <= 0:
            return {}
        found: dict[int, list[Unanswered]] = {}
        for stored in self._conversations.unanswered(since=time.time() - self._window):
            if not self._access.allows(stored.user_id, stored.chat_id):
                continue
            found.setdefault(stored.chat_id, []).append(
                Unanswered(
                    ChatRef(stored.chat_id, stored.chat_type, stored.chat_title),
                    UserRef(
                        stored.user_id, stored.first_name, stored.username, stored.language_code
                    ),
                    stored.text,
                    stored.telegram_message_id,
                    stored.shown,
                    stored.id,
                )
            )
        return found

    def withdrawn(self, question: Unanswered) -> None:
        """The unfinished reply's messages were deleted (or could not be)."""
        self._conversations.forget_reply_parts(question.stored_id)

    def interrupted(self) -> list[Interrupted]:
        """The work that was under way when the bot stopped, once: it is forgotten now."""
        return [
            Interrupted(
                record.chat_id,
                record.message_id,
                record.status_message_id,
                INTERRUPTED.get(record.kind, INTERRUPTED[DOCUMENT]).format(name=record.name),
            )
            for record in self._work.take_all()
        ]

    @contextlib.contextmanager
    def working(
        self,
        chat: ChatRef,
        kind: str,
        name: str,
        message_id: int | None,
        status_message_id: int | None = None,
    ) -> Iterator[None]:
        """Record the work as under way for the block (a crash inside leaves the record)."""
        work_id = self._work.start(chat.id, kind, name, message_id, status_message_id)
        try:
            yield
        finally:
            self._work.end(work_id)
