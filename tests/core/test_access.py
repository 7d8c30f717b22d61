"""Access rules: everyone without an allow-list; with one, only listed users, groups and admins."""

from __future__ import annotations

from tgtrainer.config import Settings
from tgtrainer.core.access import AccessPolicy


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
