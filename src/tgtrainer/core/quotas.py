"""Per-user daily quotas: checked before the work starts, counted once it is done.

Days are UTC days: every counter starts again at the next UTC midnight. Stored megabytes are a
total, not a daily amount: they go down when the user forgets documents. Each limit `0` means
unlimited; admins are exempt unless `QUOTAS_FOR_ADMINS=true`. Tokens are what the model's prompt
and reply took (`ChatModel.count_tokens`, the backend's own tokenizer when it has one).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tgtrainer.config import Settings
from tgtrainer.core.access import AccessPolicy
from tgtrainer.errors import UserFacingError
from tgtrainer.knowledge.library import Library
from tgtrainer.knowledge.types import user_scope
from tgtrainer.storage.usage import DailyUsage, UsageStore

MB = 2**20


class QuotaExceededError(UserFacingError):
    """A user reached one of their limits; the sentence says which and when it resets."""

    user_message = "You have reached one of your limits."


@dataclass(frozen=True, slots=True)
class Limits:
    messages: int = 0
    tokens: int = 0
    voice_minutes: float = 0.0
    documents: int = 0
    storage_mb: float = 0.0
    for_admins: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            settings.quota_messages,
            settings.quota_tokens,
            settings.quota_voice_minutes,
            settings.quota_documents,
            settings.quota_storage_mb,
            settings.quotas_for_admins,
        )


@dataclass(frozen=True, slots=True)
class UsageLine:
    """One line of /usage: what, how much used, out of how much (None: unlimited)."""

    name: str
    used: str
    limit: str | None


def stored_bytes(library: Library) -> Callable[[int], int]:
    """The size of the documents a user keeps in their own scope, read from `library`."""

    def size(user_id: int) -> int:
        return sum(document.size for document in library.documents([user_scope(user_id)]))

    return size


def utc_day(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d")


def until_reset(now: float) -> str:
    """ "in 3 h 20 min": the time left until the next UTC midnight."""
    moment = datetime.fromtimestamp(now, UTC)
    midnight = (moment + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    minutes = max(1, int((midnight - moment).total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    return f"in {hours} h {minutes} min" if hours else f"in {minutes} min"


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


class Quotas:
    def __init__(
        self,
        limits: Limits,
        store: UsageStore,
        access: AccessPolicy,
        stored_bytes: Callable[[int], int] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`stored_bytes(user_id)`: the size of the documents the user keeps (None: not
        counted)."""
        self.limits = limits
        self._store = store
        self._access = access
        self._stored_bytes = stored_bytes
        self._clock = clock

    def exempt(self, user_id: int) -> bool:
        return not self.limits.for_admins and self._access.is_admin(user_id)

    def today(self, user_id: int) -> DailyUsage:
        return self._store.get(user_id, utc_day(self._clock()))

    # -- checks, before the work ----------------------------------------------------------

    def check_message(self, user_id: int) -> None:
        """Raise `QuotaExceededError` if `user_id` may not have another answer today."""
        if self.exempt(user_id):
            return
        used = self.today(user_id)
        self._daily(user_id, used.messages, self.limits.messages, "messages")
        self._daily(user_id, used.tokens, self.limits.tokens, "model tokens")

    def check_voice(self, user_id: int, seconds: float | None) -> None:
        """Before a recording of `seconds` (None: not known) is downloaded and heard."""
        self.check_message(user_id)
        limit = self.limits.voice_minutes
        if self.exempt(user_id) or not limit:
            return
        used = self.today(user_id).voice_seconds
        if used >= limit * 60 or (seconds is not None and used + seconds > limit * 60):
            left = max(0.0, limit - used / 60)
            raise QuotaExceededError(
                f"user {user_id}: voice quota",
                user_message=(
                    f"This would go over your daily limit of {_number(limit)} minutes of voice "
                    f"({_number(left)} left today); it resets at midnight UTC, "
                    f"{until_reset(self._clock())}."
                ),
            )

    def check_document(self, user_id: int, size: int | None) -> None:
        """Before a document (or taught text) of `size` bytes (None: not known) is learned."""
        if self.exempt(user_id):
            return
        self._daily(user_id, self.today(user_id).documents, self.limits.documents, "documents")
        limit = self.limits.storage_mb
        if not limit or self._stored_bytes is None:
            return
        stored = self._stored_bytes(user_id)
        if stored >= limit * MB or (size is not None and stored + size > limit * MB):
            raise QuotaExceededError(
                f"user {user_id}: storage quota",
                user_message=(
                    f"This would go over your storage limit of {_number(limit)} MB of documents "
                    f"({stored / MB:.1f} MB used); it is a total, not daily: /docs lists your "
                    "documents and /forget frees room."
                ),
            )

    def _daily(self, user_id: int, used: float, limit: float, what: str) -> None:
        if limit and used >= limit:
            raise QuotaExceededError(
                f"user {user_id}: daily {what} quota",
                user_message=(
                    f"You have reached your daily limit of {_number(limit)} {what}; it resets at "
                    f"midnight UTC, {until_reset(self._clock())}."
                ),
            )

    # -- counting, after the work ---------------------------------------------------------

    def count_message(self, user_id: int) -> None:
        self._store.add(user_id, utc_day(self._clock()), "messages", 1)

    def count_tokens(self, user_id: int, tokens: int) -> None:
        self._store.add(user_id, utc_day(self._clock()), "tokens", tokens)

    def count_voice(self, user_id: int, seconds: float) -> None:
        self._store.add(user_id, utc_day(self._clock()), "voice_seconds", seconds)

    def count_document(self, user_id: int, size: int) -> None:
        day = utc_day(self._clock())
        self._store.add(user_id, day, "documents", 1)
        self._store.add(user_id, day, "document_bytes", size)

    # -- /usage -----------------------------------------------------------------------------

    def report(self, user_id: int) -> list[UsageLine]:
        """The user's use today against their limits."""
        used = self.today(user_id)
        exempt = self.exempt(user_id)

        def limit(value: float, unit: str = "") -> str | None:
            return None if exempt or not value else f"{_number(value)}{unit}"

        lines = [
            UsageLine("Messages", _number(used.messages), limit(self.limits.messages)),
            UsageLine("Model tokens", _number(used.tokens), limit(self.limits.tokens)),
            UsageLine(
                "Voice",
                f"{used.voice_seconds / 60:.1f} min",
                limit(self.limits.voice_minutes, " min"),
            ),
            UsageLine("Documents", _number(used.documents), limit(self.limits.documents)),
        ]
        if self._stored_bytes is not None:
            stored = self._stored_bytes(user_id) / MB
            lines.append(
                UsageLine(
                    "Stored (total)", f"{stored:.1f} MB", limit(self.limits.storage_mb, " MB")
                )
            )
        return lines

    def totals_today(self) -> tuple[int, DailyUsage]:
        """How many users used the bot today (UTC), and their use summed."""
        return self._store.day_totals(utc_day(self._clock()))

    def resets(self) -> str:
        """When the daily counters start again, for /usage."""
        return f"Daily limits reset at midnight UTC, {until_reset(self._clock())}."
