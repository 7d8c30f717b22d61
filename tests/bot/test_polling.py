"""getUpdates batches: an update python-telegram-bot cannot read is skipped, the rest kept."""

from __future__ import annotations

import json
import logging

import pytest

from tests.support import raw_updates as raw
from tgtrainer.bot.polling import SkippingUpdatesRequest


def batch(*updates: object) -> bytes:
    return json.dumps({"ok": True, "result": list(updates)}).encode()


def test_an_unreadable_update_becomes_its_id_alone_and_is_logged_without_content(
    caplog: pytest.LogCaptureFixture,
) -> None:
    poll = {"update_id": 7, **raw.old_poll(5)}
    poll["message"].update(message_id=1, date=0)
    fine = {"update_id": 8, **raw.text(5, "hello")}
    fine["message"].update(message_id=2, date=0)
    with caplog.at_level(logging.WARNING):
        response = SkippingUpdatesRequest.parse_json_payload(batch(poll, fine))
    assert response["result"] == [{"update_id": 7}, fine]
    [line] = caplog.messages
    assert "update 7 (message) skipped" in line and "Tea" not in line


def test_an_update_without_an_id_is_dropped_and_other_responses_pass_untouched() -> None:
    assert SkippingUpdatesRequest.parse_json_payload(batch({"message": {}}, 3)) == {
        "ok": True,
        "result": [],
    }
    me = {"ok": True, "result": {"id": 1}}
    assert SkippingUpdatesRequest.parse_json_payload(json.dumps(me).encode()) == me
