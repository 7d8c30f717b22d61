"""Who may talk to the bot.

With no allow-list everyone may (a bot for anyone who finds it). With one, only the users and the
group chats it names, plus the admins, get answers; anyone else is told, once per message, how to
ask the owner for access. Admins may also teach what everyone's answers draw on.
"""

from __future__ import annotations

from collections.abc import Iterable

NO_ACCESS = (
    "This is a private assistant and you are not on its list. Ask its owner to add your user id "
    "{user_id} to ALLOWED_USERS."
)


class AccessPolicy:
    def __init__(self, allowed: Iterable[int] = (), admins: Iterable[int] = ()) -> None:
        self._admins = frozenset(admins)
        self._allowed = frozenset(allowed)

    def allows(self, user_id: int | None, chat_id: int) -> bool:
        """May `user_id` be answered in chat `chat_id` (a user or a group on the list)?"""
        if not self._allowed:
            return True
        return chat_id in self._allowed or (
            user_id is not None and (user_id in self._allowed or user_id in self._admins)
        )

    @property
    def admins(self) -> frozenset[int]:
        return self._admins

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self._admins

    @staticmethod
    def refusal(user_id: int | None) -> str:
        return NO_ACCESS.format(user_id=user_id if user_id is not None else "(unknown)")
