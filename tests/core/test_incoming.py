"""Who asks, and which messages are deliberately left unanswered."""

from __future__ import annotations

from tgtrainer.core.incoming import Incoming, asker, silence_reason
from tgtrainer.core.types import ChatRef, UserRef

ANN = UserRef(5, "Ann")
GROUP = ChatRef(-100, "supergroup", "Team")


def test_a_person_asks_for_themselves_even_when_writing_as_a_chat() -> None:
    incoming = Incoming(GROUP, ANN, on_behalf_of=GROUP)
    assert asker(incoming) == ANN and silence_reason(incoming) is None


def test_an_anonymous_admin_asks_as_the_group() -> None:
    incoming = Incoming(GROUP, None, on_behalf_of=GROUP)
    assert asker(incoming) == UserRef(-100, "Team")
    assert silence_reason(incoming) is None


def test_channel_posts_edits_and_messages_from_no_one_are_left_unanswered() -> None:
    channel = ChatRef(-200, "channel", "News")
    assert silence_reason(Incoming(channel, None, on_behalf_of=channel)) == "a post in a channel"
    assert silence_reason(Incoming(GROUP, ANN, edited=True)) == "an edit of an earlier message"
    assert silence_reason(Incoming(GROUP, None)) == "a message with no sender"
    assert asker(Incoming(GROUP, None)) is None
