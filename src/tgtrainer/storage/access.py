"""Access decided in the chat: requests, approvals, denials, admins, and the pairing code."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from tgtrainer.storage.database import Database

GrantStatus = Literal["requested", "allowed", "denied", "admin"]


@dataclass(frozen=True, slots=True)
class Grant:
    """Where one user (or group chat) stands."""

    subject_id: int
    status: GrantStatus
    first_name: str
    username: str | None
    created_at: float
    decided_at: float | None
    decided_by: int | None


@dataclass(frozen=True, slots=True)
class PairingCode:
    code: str
    used_by: int | None


class AccessStore:
    def __init__(self, database: Database) -> None:
        self._db = database.connection

    def get(self, subject_id: int) -> Grant | None:
        row = self._db.execute(
            """SELECT subject_id, status, first_name, username, created_at, decided_at, decided_by
               FROM access_grants WHERE subject_id = ?""",
            (subject_id,),
        ).fetchone()
        return None if row is None else Grant(*row)

    def grants(self) -> list[Grant]:
        rows = self._db.execute(
            """SELECT subject_id, status, first_name, username, created_at, decided_at, decided_by
               FROM access_grants ORDER BY created_at"""
        ).fetchall()
        return [Grant(*row) for row in rows]

    def admins(self) -> list[int]:
        rows = self._db.execute("SELECT subject_id FROM access_grants WHERE status = 'admin'")
        return [row[0] for row in rows]

    def request(self, subject_id: int, first_name: str, username: str | None) -> None:
        now = time.time()
        with self._db:
            self._db.execute(
                """INSERT INTO access_grants
                       (subject_id, status, first_name, username, requested_at, created_at)
                   VALUES (?, 'requested', ?, ?, ?, ?)
                   ON CONFLICT(subject_id) DO UPDATE SET first_name = excluded.first_name,
                       username = excluded.username, requested_at = excluded.requested_at""",
                (subject_id, first_name, username, now, now),
            )

    def decide(self, subject_id: int, status: GrantStatus, decided_by: int | None) -> None:
        now = time.time()
        with self._db:
            self._db.execute(
                """INSERT INTO access_grants (subject_id, status, decided_at, decided_by,
                                              created_at)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT(subject_id) DO UPDATE SET status = excluded.status,
                       decided_at = excluded.decided_at, decided_by = excluded.decided_by""",
                (subject_id, status, now, decided_by, now),
            )

    def name(self, subject_id: int, first_name: str, username: str | None) -> None:
        """Keep the current names of someone who has a record."""
        with self._db:
            self._db.execute(
                "UPDATE access_grants SET first_name = ?, username = ? WHERE subject_id = ?",
                (first_name, username, subject_id),
            )

    # -- the pairing code -------------------------------------------------------------------

    def pairing(self) -> PairingCode | None:
        row = self._db.execute("SELECT code, used_by FROM access_pairing WHERE id = 1").fetchone()
        return None if row is None else PairingCode(row[0], row[1])

    def create_pairing(self, code: str) -> PairingCode:
        """The bot's code: `code` when it has none yet, else the one it has."""
        with self._db:
            self._db.execute(
                """INSERT INTO access_pairing (id, code, created_at) VALUES (1, ?, ?)
                   ON CONFLICT(id) DO NOTHING""",
                (code, time.time()),
            )
        pairing = self.pairing()
        assert pairing is not None
        return pairing

    def use_pairing(self, code: str, user_id: int) -> bool:
        """Spend the code for `user_id`, who becomes an admin; False if it is wrong or spent."""
        now = time.time()
        with self._db:
            spent = self._db.execute(
                """UPDATE access_pairing SET used_by = ?, used_at = ?
                   WHERE id = 1 AND code = ? AND used_by IS NULL""",
                (user_id, now, code),
            ).rowcount
            if not spent:
                return False
            self._db.execute(
                """INSERT INTO access_grants (subject_id, status, decided_at, created_at)
                   VALUES (?, 'admin', ?, ?)
                   ON CONFLICT(subject_id) DO UPDATE SET status = 'admin',
                       decided_at = excluded.decided_at, decided_by = NULL""",
                (user_id, now, now),
            )
        return True
