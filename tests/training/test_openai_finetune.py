"""The OpenAI fine-tuning backend against the fake server: the job's life in OpenAI's shapes,
and every refusal or failure mapped to a sentence (never an `openai` exception, never the key)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tgtrainer.config import Settings
from tgtrainer.testing.fake_openai import FakeOpenAIServer
from tgtrainer.training.base import JobRequest
from tgtrainer.training.errors import (
    FineTuningRefusedError,
    FineTuningUnavailableError,
    UnknownJobError,
)
from tgtrainer.training.openai_finetune import NO_FINE_TUNING, OpenAIFineTuner

KEY = "sk-test-secret-key-12345"
EXAMPLE = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}


@pytest.fixture
def fake() -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer(api_key=KEY)
    with server.serve_in_thread():
        yield server


def tuner(fake: FakeOpenAIServer, key: str = KEY) -> OpenAIFineTuner:
    return OpenAIFineTuner(
        Settings(
            llm_backend="openai",
            openai_base_url=fake.base_url,
            openai_api_key=key,
            llm_max_retries=0,
            llm_timeout=5,
        )
    )


async def test_a_job_advances_to_a_fine_tuned_model_with_its_events(
    fake: FakeOpenAIServer,
) -> None:
    backend = tuner(fake)
    started = await backend.start(JobRequest("fake-small", "supervised", [EXAMPLE], [EXAMPLE]))
    assert started.state == "validating_files" and started.base_model == "fake-small"
    assert fake.fine_tuning.files[started.training_file_id or ""] == [EXAMPLE]
    assert started.validation_file_id in fake.fine_tuning.files
    states = [(await backend.status(started.job_id)).state for _ in range(3)]
    assert states == ["queued", "running", "succeeded"]
    done = await backend.status(started.job_id)
    assert done.fine_tuned_model is not None
    assert done.fine_tuned_model.startswith("ft:fake-small:tgtrainer:")
    assert done.events[0].message == "The job has successfully completed"
    assert done.fine_tuned_model in fake.fine_tuning.fine_tuned_models()
    await backend.aclose()


async def test_a_failed_job_carries_the_services_reason(fake: FakeOpenAIServer) -> None:
    fake.fine_tuning.fail_next_job("Too few examples.")
    backend = tuner(fake)
    started = await backend.start(JobRequest("fake-small", "supervised", [EXAMPLE]))
    failed = await backend.status(started.job_id)
    assert (failed.state, failed.error) == ("failed", "Too few examples.")
    await backend.aclose()


async def test_cancel(fake: FakeOpenAIServer) -> None:
    backend = tuner(fake)
    started = await backend.start(JobRequest("fake-small", "dpo", [EXAMPLE]))
    assert (await backend.cancel(started.job_id)).state == "cancelled"
    with pytest.raises(FineTuningRefusedError, match="Job has already completed"):
        await backend.cancel(started.job_id)
    await backend.aclose()


@pytest.mark.parametrize(
    ("status", "error", "sentence"),
    [
        (404, FineTuningRefusedError, NO_FINE_TUNING),
        (
            403,
            FineTuningRefusedError,
            "The model service refused to fine-tune: "
            "Fine-tuning is not available for this organization.",
        ),
        (503, FineTuningUnavailableError, FineTuningUnavailableError.user_message),
    ],
)
async def test_refusals_and_outages_are_sentences(
    fake: FakeOpenAIServer, status: int, error: type[Exception], sentence: str
) -> None:
    fake.fine_tuning.refuse_with = status
    backend = tuner(fake)
    with pytest.raises(error) as raised:
        await backend.start(JobRequest("fake-small", "supervised", [EXAMPLE]))
    assert str(raised.value) == sentence
    await backend.aclose()


async def test_a_wrong_key_and_an_unknown_job(fake: FakeOpenAIServer) -> None:
    wrong = tuner(fake, key="sk-wrong-key-67890")
    with pytest.raises(FineTuningRefusedError) as raised:
        await wrong.start(JobRequest("fake-small", "supervised", [EXAMPLE]))
    assert "Incorrect API key" in str(raised.value)
    assert "sk-wrong-key-67890" not in f"{raised.value} {raised.value.detail}"
    await wrong.aclose()
    backend = tuner(fake)
    with pytest.raises(UnknownJobError):
        await backend.status("ftjob-nope")
    await backend.aclose()


async def test_a_server_without_the_endpoints(fake: FakeOpenAIServer) -> None:
    """A 404 without an error code on a job's path: the service has no fine-tuning at all."""
    backend = tuner(fake)
    fake.fine_tuning.refuse_with = 404
    with pytest.raises(FineTuningRefusedError, match="does not offer fine-tuning"):
        await backend.status("ftjob-1")
    await backend.aclose()
