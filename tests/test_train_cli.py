"""`tgtrainer train` against the fake OpenAI server: start a remote job, follow it, cancel one;
a service without fine-tuning is one sentence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.support.training_data import rated_answers
from tgtrainer.cli import main
from tgtrainer.testing.environment import fake_model_environment
from tgtrainer.testing.fake_openai import FakeOpenAIServer

ANSWERS = [
    ("Capital of Australia?", "Sydney.", -1, "Canberra."),
    ("Largest planet?", "Jupiter.", 1, None),
    ("Boiling point?", "90 °C.", -1, "100 °C at sea level."),
]


@pytest.fixture
def fake() -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer()
    with server.serve_in_thread():
        yield server


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    rated_answers(tmp_path / "tgtrainer.sqlite3", ANSWERS)
    return tmp_path


def train(fake: FakeOpenAIServer, data_dir: Path, *args: str, **env: str) -> Result:
    environment = fake_model_environment(fake.base_url, data_dir, **env)
    return CliRunner().invoke(main, ["train", *args], env=environment, catch_exceptions=False)


def test_start_remote_uploads_the_dataset_and_status_follows_the_job_to_its_model(
    fake: FakeOpenAIServer, data_dir: Path
) -> None:
    started = train(fake, data_dir, "start", "--remote", "--yes")
    assert started.exit_code == 0, started.output
    assert "on 3 examples" in started.output and "estimated cost" in started.output
    [created] = fake.fine_tuning.created
    assert created["model"] == "fake-small" and created["method"] == {"type": "supervised"}
    uploaded = fake.fine_tuning.files[created["training_file"]]
    assert [line["messages"][-1]["content"] for line in uploaded] == [
        "Canberra.",
        "Jupiter.",
        "100 °C at sea level.",
    ]
    job_id = next(iter(fake.fine_tuning.jobs))
    assert f"started {job_id}" in started.output

    outputs = [train(fake, data_dir, "status").output for _ in range(3)]
    assert f"{job_id}: queued" in outputs[0]
    assert f"{job_id}: running" in outputs[1]
    assert f"{job_id}: succeeded" in outputs[2]
    model = "ft:fake-small:tgtrainer:"
    assert model in outputs[2] and "New fine-tuned model created" in outputs[2]
    # Finished jobs are not asked again.
    assert train(fake, data_dir, "status").output == outputs[2]


def test_dpo_trains_on_the_preference_pairs(fake: FakeOpenAIServer, data_dir: Path) -> None:
    started = train(fake, data_dir, "start", "--remote", "--method", "dpo", "--yes")
    assert started.exit_code == 0, started.output
    assert "on 2 preference pairs" in started.output
    [created] = fake.fine_tuning.created
    assert created["method"] == {"type": "dpo"}
    pairs = fake.fine_tuning.files[created["training_file"]]
    assert [p["preferred_output"][0]["content"] for p in pairs] == [
        "Canberra.",
        "100 °C at sea level.",
    ]


def test_cancel_stops_the_running_job(fake: FakeOpenAIServer, data_dir: Path) -> None:
    train(fake, data_dir, "start", "--remote", "--yes")
    job_id = next(iter(fake.fine_tuning.jobs))
    cancelled = train(fake, data_dir, "cancel")
    assert cancelled.exit_code == 0 and f"{job_id}: cancelled" in cancelled.output
    assert f"{job_id}: cancelled" in train(fake, data_dir, "status").output
    assert "No fine-tuning job is running." in train(fake, data_dir, "cancel").output


def test_without_confirmation_nothing_starts(fake: FakeOpenAIServer, data_dir: Path) -> None:
    environment = fake_model_environment(fake.base_url, data_dir)
    result = CliRunner().invoke(main, ["train", "start", "--remote"], env=environment, input="n\n")
    assert "Not started." in result.output and not fake.fine_tuning.created


@pytest.mark.parametrize(
    ("status", "sentence"),
    [
        (404, "This model service does not offer fine-tuning (its fine-tuning API is missing)."),
        (
            403,
            "The model service refused to fine-tune: "
            "Fine-tuning is not available for this organization.",
        ),
    ],
)
def test_a_service_that_refuses_fine_tuning_gets_one_sentence(
    fake: FakeOpenAIServer, data_dir: Path, status: int, sentence: str
) -> None:
    fake.fine_tuning.refuse_with = status
    result = train(fake, data_dir, "start", "--remote", "--yes", LLM_MAX_RETRIES="0")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == f"Error: {sentence}"
    assert "Traceback" not in result.output


def test_nothing_rated_yet_is_one_sentence(fake: FakeOpenAIServer, tmp_path: Path) -> None:
    result = train(fake, tmp_path, "start", "--remote", "--yes")
    assert result.exit_code == 1 and "nothing to train on yet" in result.output


def test_remote_needs_the_openai_backend(fake: FakeOpenAIServer, data_dir: Path) -> None:
    result = train(fake, data_dir, "start", "--remote", "--yes", LLM_BACKEND="local")
    assert result.exit_code == 1 and "needs LLM_BACKEND=openai" in result.output
