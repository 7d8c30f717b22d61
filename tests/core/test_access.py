"""Access rules: closed by default (pairing, requests, decisions); lists; open access."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tgtrainer.config import Settings
from tgtrainer.core.access import PAIRING_LENGTH, AccessPolicy, NotAdminError
from tgtrainer.core.types import UserRef
from tgtrainer.storage import Database
from tgtrainer.storage.access import AccessStore


def test_with_open_access_and_no_list_everyone_is_answered() -> None:
    policy = AccessPolicy(open_access=True)
    assert policy.allows(42, 42)
    assert policy.allows(None, -100)


def test_with_a_list_only_listed_users_groups_and_admins_are_answered() -> None:
    policy = AccessPolicy(allowed=[7, -100], admins=[1])
    assert policy.allows(7, 7)
    assert policy.allows(8, -100), "everyone in a listed group is answered there"
    assert policy.allows(1, 1), "admins need not be listed twice"
    assert not policy.allows(8, 8)
    assert not policy.allows(8, -200)
    assert not policy.allows(None, -200)


def test_the_refusal_tells_the_user_their_id() -> None:
    assert "ALLOWED_USERS" in AccessPolicy().refusal(8)
    assert "8" in AccessPolicy().refusal(8)


def test_settings_read_ids_separated_by_commas_or_spaces() -> None:
    settings = Settings(allowed_users="7, -100 9", admin_user_ids="1")
    assert settings.allowed_users == frozenset({7, -100, 9})
    assert settings.admin_user_ids == frozenset({1})
    assert settings.masked()["ALLOWED_USERS"] == "-100,7,9"


# -- closed by default, pairing, requests and decisions (kept in the database) ----------------


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    with Database(tmp_path / "access.sqlite3") as database:
        yield database


def closed(database: Database, **settings: Any) -> AccessPolicy:
    return AccessPolicy.from_settings(Settings(**settings), AccessStore(database))


def test_with_no_list_and_no_admin_nobody_is_answered_until_the_owner_pairs(
    database: Database,
) -> None:
    access = closed(database)
    assert not access.allows(42, 42) and not access.allows(None, -100)
    code = access.pairing_code()
    assert code is not None and len(code) == PAIRING_LENGTH
    assert closed(database).pairing_code() == code, "a restart keeps the same code"
    assert not access.pair(43, "WRONGCODE1")
    assert access.pair(42, code.lower()), "typed in lower case still counts"
    assert access.is_admin(42) and access.allows(42, 42) and access.admins() == [42]
    assert not access.pair(44, code), "the code is spent"
    assert not access.allows(44, 44)
    restarted = closed(database)
    assert restarted.pairing_code() is None and restarted.is_admin(42)


def test_no_pairing_code_when_someone_is_configured_or_access_is_open(
    database: Database,
) -> None:
    assert closed(database, allowed_users="7").pairing_code() is None
    assert closed(database, admin_user_ids="1").pairing_code() is None
    assert closed(database, open_access=True).pairing_code() is None
    assert closed(database, open_access=True).allows(5, 5)


def test_a_request_goes_to_the_admins_who_approve_or_deny_and_it_is_kept(
    database: Database,
) -> None:
    access = closed(database, admin_user_ids="1")
    stranger = UserRef(5, "Eve", "eve")
    assert "button" in access.refusal(5)
    assert "button" not in AccessPolicy(allowed=[7]).refusal(5), "no admin to ask: no button"
    assert access.request(stranger) == "sent"
    assert access.request(stranger) == "waiting", "the admins are asked once"
    assert not access.allows(5, 5)
    with pytest.raises(NotAdminError):
        access.decide(5, 5, allow=True)
    decision = access.decide(1, 5, allow=True)
    assert decision.changed and decision.grant is not None and decision.grant.first_name == "Eve"
    assert closed(database, admin_user_ids="1").allows(5, 5), "approval survives a restart"
    assert access.request(stranger) == "allowed"
    assert not access.decide(1, 5, allow=True).changed
    assert access.decide(1, 5, allow=False).changed, "a denial takes the approval back"
    assert not access.allows(5, 5)
    assert access.request(stranger) == "denied"
    assert [grant.status for grant in access.grants(1)] == ["denied"]


def test_a_denial_overrides_the_list_and_open_access_but_not_a_configured_admin(
    database: Database,
) -> None:
    access = closed(database, admin_user_ids="1", allowed_users="7", open_access=True)
    access.decide(1, 7, allow=False)
    access.decide(1, 8, allow=False)
    assert not access.allows(7, 7) and not access.allows(8, 8) and access.allows(9, 9)
    with pytest.raises(NotAdminError):
        access.decide(1, 1, allow=False)
    access.decide(1, -100, allow=True)
    assert closed(database, admin_user_ids="1").allows(9, -100), "a group approved in the chat"


def test_only_admins_list_users(database: Database) -> None:
    access = closed(database, admin_user_ids="1")
    with pytest.raises(NotAdminError):
        access.grants(2)
    assert access.grants(1) == []
