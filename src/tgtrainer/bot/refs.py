"""The plain pieces every handler module shares: the handler context type, who and where an
update comes from, a command's argument, and what was heard and answered."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from telegram import Message, Update
from telegram.ext import ContextTypes

from tgtrainer.bot.incoming import chat_of, incoming_of
from tgtrainer.core import ChatRef, UserRef
from tgtrainer.core.incoming import asker

Context = ContextTypes.DEFAULT_TYPE
HEARD_CHARS = 200
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]()#+\-.!<>|~{}])")


@dataclass(frozen=True, slots=True)
class Heard:
    """A question that was spoken: what was understood, in which language."""

    text: str
    language: str | None
    show: bool = True  # quote it above the answer

    def quote(self) -> str:
        """A short Markdown quote of the transcript, then a blank line."""
        short = self.text if len(self.text) <= HEARD_CHARS else self.text[: HEARD_CHARS - 1] + "…"
        escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", short)
        return f"> 🎤 {escaped}\n\n"


@dataclass(frozen=True, slots=True)
class Answered:
    """An answer that was sent: its text, and the transcript if the question was spoken."""

    text: str
    heard: Heard | None


class Speaker(Protocol):
    """Reads an answer aloud in the chat when the chat wants it (`bot.voice.VoiceReplies`)."""

    async def speak(self, update: Update, context: Context, answered: Answered) -> None: ...


def chat_ref(update: Update) -> ChatRef:
    chat = update.effective_chat
    assert chat is not None  # every handler's update is in a chat: `bot.buttons` sees to presses
    return chat_of(chat)


def user_ref(update: Update) -> UserRef:
    """Who asks (`core.incoming.asker`): the person, or the chat a message was sent as."""
    incoming = incoming_of(update)
    who = asker(incoming) if incoming is not None else None
    assert who is not None  # `bot.incoming.check_sender` stops such messages first
    return who


def command_argument(message: Message) -> str:
    """The text after `/command` (and `@botname`), with its own line breaks kept."""
    text = message.text or ""
    return re.sub(r"^/\S+\s?", "", text, count=1).strip()
