"""The assistant itself: (chat, user input) -> memory + model -> reply. No Telegram here."""

from tgtrainer.core.assistant import Assistant
from tgtrainer.core.turn import Turn
from tgtrainer.core.types import ChatRef, UserRef

__all__ = ["Assistant", "ChatRef", "Turn", "UserRef"]
