"""The documents' settings: admins, limits, and a clear line for a bad value."""

from __future__ import annotations

import pytest

from tgtrainer.config import ConfigurationError, Settings, load_settings


def test_admin_ids_are_read_from_a_comma_separated_list() -> None:
    assert Settings(admin_user_ids="12, 34,").admin_user_ids == frozenset({12, 34})
    assert Settings().admin_user_ids == frozenset()


def test_a_bad_admin_list_names_the_variable() -> None:
    with pytest.raises(ConfigurationError, match=r"^ADMIN_USER_IDS: must be Telegram ids"):
        load_settings(admin_user_ids="alice")


def test_defaults_match_the_readme() -> None:
    settings = Settings()
    assert (settings.max_document_mb, settings.max_document_pages) == (20.0, 500)
    assert settings.embeddings_backend == "auto"
