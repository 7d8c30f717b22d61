"""Plain data the bot layer hands to the core."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChatRef:
    id: int
    type: str  # "private", "group", "supergroup" or "channel"
    title: str | None = None

    @property
    def is_private(self) -> bool:
        return self.type == "private"


@dataclass(frozen=True, slots=True)
class UserRef:
    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = None
