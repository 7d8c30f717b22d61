"""The fake OpenAI server speaks the API well enough for the official SDK (sync callers too)."""

from __future__ import annotations

import openai
import pytest

from tgtrainer.testing.fake_openai import FakeOpenAIServer
from tgtrainer.testing.openai_wire import split_reply


def test_split_reply_joins_back_exactly() -> None:
    text = "  Hello,  world!\n\nNew paragraph\twith tabs "
    assert len(split_reply(text)) > 3
    assert "".join(split_reply(text)) == text
    assert split_reply("") == []


def test_a_thread_served_fake_answers_the_sync_sdk() -> None:
    server = FakeOpenAIServer(reply=lambda messages, model: f"{model}: {len(messages)} messages")
    with server.serve_in_thread():
        client = openai.OpenAI(api_key="k", base_url=server.base_url, max_retries=0)
        completion = client.chat.completions.create(
            model="fake-small", messages=[{"role": "user", "content": "hi"}]
        )
        assert completion.choices[0].message.content == "fake-small: 1 messages"
        assert [m.id for m in client.models.list()] == ["fake-small", "fake-large"]
        stream = client.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = list(stream)
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == (
            "m: 1 messages"
        )
        assert chunks[-1].usage is not None
        client.close()
    assert [r["model"] for r in server.requests] == ["fake-small", "m"]
    assert server.model_listings == 1


def test_faults_are_used_up_one_per_request_and_count_zero_clears_them() -> None:
    server = FakeOpenAIServer(api_key="right")
    with server.serve_in_thread():
        client = openai.OpenAI(api_key="right", base_url=server.base_url, max_retries=0)
        server.fail_next(418, count=5)
        with pytest.raises(openai.APIStatusError) as raised:
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
        assert raised.value.status_code == 418
        server.fail_next(0, count=0)
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
        wrong = openai.OpenAI(api_key="wrong", base_url=server.base_url, max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            wrong.models.list()
        client.close()
        wrong.close()
