"""Who may talk to the bot, and how access is asked for, given and taken back.

The rules, all of them here:
- `OPEN_ACCESS=true`: everyone may (on purpose); the lists then only name the admins.
- Otherwise the bot is closed: only the users and group chats on `ALLOWED_USERS`, the admins
  (`ADMIN_USER_IDS`), and those approved in the chat (kept in the database) get answers.
- A bot with neither list nor admin has a one-time pairing code (kept in the database, shown in
  the log and by `tgtrainer config`): the first person to send `/start <code>` becomes its admin,
  and the code is spent.
- Anyone else gets one sentence and may ask for access; each admin is asked to approve or deny,
  and the requester is told the outcome. A denial also takes back an approval, and overrides
  `ALLOWED_USERS` and open access; nobody can deny an admin named in `ADMIN_USER_IDS`.
- Only admins decide, list users and see the statistics (`NotAdminError` otherwise).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from tgtrainer.config import Settings
from tgtrainer.core.types import UserRef
from tgtrainer.errors import UserFacingError
from tgtrainer.storage.access import AccessStore, Grant, GrantStatus

NO_ACCESS = (
    "Sorry, this is a private assistant and you are not on its list: press the button below to "
    "ask its admins for access, or ask its owner to add your user id {user_id} to ALLOWED_USERS."
)
NO_ACCESS_NO_ADMIN = (
    "Sorry, this is a private assistant and you are not on its list: ask its owner to add your "
    "user id {user_id} to ALLOWED_USERS."
)
PAIRING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: it is typed by hand
PAIRING_LENGTH = 10

RequestOutcome = Literal["sent", "waiting", "denied", "allowed", "nobody"]


class NotAdminError(UserFacingError):
    """Someone who is not an admin used an admin command or button."""

    user_message = "Only the bot's admins can do that."


@dataclass(frozen=True, slots=True)
class Decision:
    """What an admin's approval or denial changed."""

    subject_id: int
    allowed: bool
    changed: bool  # False: it already stood so
    grant: Grant | None  # the record after the decision (its names, if they asked)


def new_pairing_code() -> str:
    return "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(PAIRING_LENGTH))


class AccessPolicy:
    """The access rules above; `store` None keeps only the configured lists (no requests,
    approvals or pairing: the unit tests' and tools' case)."""

    def __init__(
        self,
        allowed: Iterable[int] = (),
        admins: Iterable[int] = (),
        *,
        open_access: bool = False,
        store: AccessStore | None = None,
    ) -> None:
        self._admins = frozenset(admins)
        self._allowed = frozenset(allowed)
        self.open = open_access
        self._store = store

    @classmethod
    def from_settings(cls, settings: Settings, store: AccessStore | None = None) -> AccessPolicy:
        return cls(
            settings.allowed_users,
            settings.admin_user_ids,
            open_access=settings.open_access,
            store=store,
        )

    # -- deciding who is answered ---------------------------------------------------------

    def allows(self, user_id: int | None, chat_id: int) -> bool:
        """May `user_id` be answered in chat `chat_id` (a user or a group on the list)?"""
        if user_id is not None and user_id in self._admins:
            return True
        user = self._grant(user_id)
        chat = self._grant(chat_id) if chat_id != user_id else user
        if (user is not None and user.status == "denied") or (
            chat is not None and chat.status == "denied"
        ):
            return False
        if (
            self.open
            or chat_id in self._allowed
            or (user_id is not None and user_id in self._allowed)
        ):
            return True
        return any(
            grant is not None and grant.status in ("allowed", "admin") for grant in (user, chat)
        )

    def is_admin(self, user_id: int | None) -> bool:
        if user_id is None:
            return False
        if user_id in self._admins:
            return True
        grant = self._grant(user_id)
        return grant is not None and grant.status == "admin"

    def admins(self) -> list[int]:
        """Every admin: those configured and those paired."""
        stored = self._store.admins() if self._store is not None else []
        return sorted(self._admins | set(stored))

    def refusal(self, user_id: int | None) -> str:
        """The one sentence for someone without access."""
        text = NO_ACCESS if self.can_request() else NO_ACCESS_NO_ADMIN
        return text.format(user_id=user_id if user_id is not None else "(unknown)")

    def can_request(self) -> bool:
        """Is there an admin to ask?"""
        return self._store is not None and bool(self.admins())

    def _grant(self, subject_id: int | None) -> Grant | None:
        if self._store is None or subject_id is None:
            return None
        return self._store.get(subject_id)

    # -- pairing: the first admin ---------------------------------------------------------

    def needs_pairing(self) -> bool:
        """Closed, with nobody configured and no admin yet: the bot waits for its owner."""
        return (
            self._store is not None
            and not self.open
            and not self._allowed
            and not self._admins
            and not self._store.admins()
        )

    def pairing_code(self) -> str | None:
        """The code that makes its sender the admin (made once, then kept); None when the bot
        does not need one."""
        if self._store is None or not self.needs_pairing():
            return None
        pairing = self._store.create_pairing(new_pairing_code())
        return pairing.code if pairing.used_by is None else None

    def pair(self, user_id: int, code: str) -> bool:
        """`/start <code>`: True when `code` is the unspent pairing code; its sender is now an
        admin and the code is spent."""
        if self._store is None or not code or not self.needs_pairing():
            return False
        return self._store.use_pairing(code.strip().upper(), user_id)

    # -- asking and deciding --------------------------------------------------------------

    def request(self, user: UserRef) -> RequestOutcome:
        """Someone without access asks for it: "sent" when the admins are to be asked now;
        "waiting" when they were already asked; "denied", "allowed" when it was decided;
        "nobody" when there is no admin to ask."""
        if self.allows(user.id, user.id):
            return "allowed"
        if self._store is None or not self.can_request():
            return "nobody"
        grant = self._store.get(user.id)
        if grant is not None and grant.status == "denied":
            return "denied"
        if grant is not None and grant.status == "requested":
            return "waiting"
        self._store.request(user.id, user.first_name, user.username)
        return "sent"

    def decide(self, admin_id: int, subject_id: int, *, allow: bool) -> Decision:
        """An admin approves (`allow`) or denies `subject_id`, a user or a group chat."""
        store = self._admin_store(admin_id)
        if not allow and subject_id in self._admins:
            raise NotAdminError(
                f"{admin_id} tried to deny admin {subject_id}",
                user_message="An admin named in ADMIN_USER_IDS cannot be denied.",
            )
        before = store.get(subject_id)
        wanted: GrantStatus = "allowed" if allow else "denied"
        if before is not None and before.status == "admin" and allow:
            return Decision(subject_id, True, False, before)
        changed = before is None or before.status != wanted
        if changed:
            store.decide(subject_id, wanted, admin_id)
        return Decision(subject_id, allow, changed, store.get(subject_id))

    def grants(self, admin_id: int) -> list[Grant]:
        """Everyone with a record: requests, approvals, denials, admins."""
        return self._admin_store(admin_id).grants()

    def configured(self) -> tuple[frozenset[int], frozenset[int]]:
        """The lists from the environment: (allowed, admins)."""
        return self._allowed, self._admins

    def require_admin(self, user_id: int) -> None:
        if not self.is_admin(user_id):
            raise NotAdminError(f"user {user_id} used an admin command")

    def _admin_store(self, admin_id: int) -> AccessStore:
        self.require_admin(admin_id)
        if self._store is None:
            raise UserFacingError("access is not kept on this server")
        return self._store
