"""What an incoming message is to the assistant before anything is done with it: who asks, and
whether it is answered at all. The bot describes the message in plain data; no Telegram here.

Every message gets a deliberate answer or a deliberate silence:
- a post in a channel is never answered: the assistant talks with people, it does not post;
- an edit of a message is not a new question: each message is answered once, as it was sent;
- a message sent on behalf of a chat (an anonymous group admin writes as the group, a channel's
  post reaches its discussion group) is answered as any other, the chat being the one who asks;
- a message that names no one at all is not answered.
"""

from __future__ import annotations

from dataclasses import dataclass

from tgtrainer.core.types import ChatRef, UserRef


@dataclass(frozen=True, slots=True)
class Incoming:
    chat: ChatRef
    person: UserRef | None
    """Who wrote it, when a person is named."""
    on_behalf_of: ChatRef | None = None
    """The chat it was sent as, if any."""
    edited: bool = False


def asker(incoming: Incoming) -> UserRef | None:
    """Who the answer is for: the person who wrote, else the chat the message was sent as."""
    if incoming.person is not None:
        return incoming.person
    chat = incoming.on_behalf_of
    if chat is None:
        return None
    return UserRef(chat.id, chat.title or "Anonymous")


def silence_reason(incoming: Incoming) -> str | None:
    """Why the message gets no answer, by design (for the log); None: it is to be handled."""
    if incoming.chat.type == "channel":
        return "a post in a channel"
    if incoming.edited:
        return "an edit of an earlier message"
    if asker(incoming) is None:
        return "a message with no sender"
    return None
