"""The training rules without a service: who may, on what, what is told, to whom, and once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.support.training_data import rated_answers
from tgtrainer.config import Settings
from tgtrainer.core.access import AccessPolicy
from tgtrainer.core.assistant import Assistant
from tgtrainer.core.training import Training, TrainingAdminOnlyError
from tgtrainer.storage import ConversationStore, Database
from tgtrainer.storage.dialogue import DialogueLog
from tgtrainer.storage.finetune_jobs import FineTuneJobStore
from tgtrainer.testing.scripted_model import ScriptedChatModel
from tgtrainer.training.base import Estimate, JobEvent, JobRequest, JobStatus
from tgtrainer.training.errors import (
    FineTuningUnavailableError,
    NothingToTrainError,
    TrainingNotConfiguredError,
    UnknownJobError,
)

ADMIN, OTHER = 9, 2


class StubTuner:
    """A backend whose answers the test sets."""

    backend = "stub"

    def __init__(self) -> None:
        self.requests: list[JobRequest] = []
        self.states: dict[str, JobStatus] = {}
        self.failure: Exception | None = None
        self.closed = False

    def estimate(self, request: JobRequest) -> Estimate:
        return Estimate()

    async def start(self, request: JobRequest) -> JobStatus:
        self.requests.append(request)
        job_id = f"job-{len(self.requests)}"
        self.states[job_id] = JobStatus(job_id, "validating_files", request.base_model, None)
        return self.states[job_id]

    async def status(self, job_id: str) -> JobStatus:
        if self.failure is not None:
            raise self.failure
        return self.states[job_id]

    async def cancel(self, job_id: str) -> JobStatus:
        self.states[job_id] = replace(self.states[job_id], state="cancelled")
        return self.states[job_id]

    async def aclose(self) -> None:
        self.closed = True


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "db.sqlite3"
    rated_answers(
        path,
        [("a?", "A.", 1, None), ("b?", "B.", -1, "Better B."), ("c?", "C.", -1, None)],
        chat_id=ADMIN,
    )
    with Database(path) as opened:
        yield opened


def training(
    database: Database, tuner: StubTuner | None, admins: tuple[int, ...] = (ADMIN,)
) -> Training:
    return Training(
        AccessPolicy(admins=admins),
        FineTuneJobStore(database),
        DialogueLog(database),
        tuner,
        base_model="base",
        max_tokens=4096,
        price_per_million=2.0,
    )


def test_only_admins_and_the_command_line_may_train(database: Database) -> None:
    rules = training(database, StubTuner())
    with pytest.raises(TrainingAdminOnlyError, match="Only the bot's admins"):
        rules.plan(OTHER)
    with pytest.raises(TrainingAdminOnlyError):
        rules.jobs(OTHER)
    assert rules.plan(ADMIN).train == rules.plan(None).train


def test_the_plan_is_the_rated_and_corrected_answers_with_size_and_cost(
    database: Database,
) -> None:
    plan = training(database, StubTuner()).plan(ADMIN)
    assert [e["messages"][-1]["content"] for e in plan.train] == ["A.", "Better B."]
    assert plan.validation == [] and plan.tokens > 0
    assert plan.cost == pytest.approx(plan.tokens * 2.0 / 1_000_000)
    assert "on 2 examples" in plan.summary() and "estimated cost" in plan.summary()
    dpo = training(database, StubTuner()).plan(ADMIN, "dpo")
    assert [p["preferred_output"][0]["content"] for p in dpo.train] == ["Better B."]
    assert "on 1 preference pairs" in dpo.summary()


def test_nothing_to_train_and_no_backend_are_sentences(tmp_path: Path) -> None:
    with Database(tmp_path / "empty.sqlite3") as empty:
        with pytest.raises(NothingToTrainError, match="nothing to train on yet"):
            training(empty, StubTuner()).plan(ADMIN)
        with pytest.raises(NothingToTrainError, match="DPO needs preference pairs"):
            training(empty, StubTuner()).plan(ADMIN, "dpo")
        with pytest.raises(TrainingNotConfiguredError, match="LLM_BACKEND=openai"):
            training(empty, None).plan(ADMIN)


async def test_a_job_is_stored_followed_and_its_outcome_told_once_where_it_started(
    database: Database,
) -> None:
    tuner = StubTuner()
    rules = training(database, tuner)
    job = await rules.start(ADMIN, 555)
    assert (job.job_id, job.state, job.examples, job.chat_id) == (
        "job-1",
        "validating_files",
        2,
        555,
    )
    assert await rules.poll() == []
    tuner.states["job-1"] = replace(
        tuner.states["job-1"],
        state="succeeded",
        fine_tuned_model="ft:base:x",
        events=(JobEvent(1.0, "info", "done"),),
    )
    [notice] = await rules.poll()
    assert notice.chat_ids == [555] and "the new model is ft:base:x" in notice.text
    rules.told(notice.job_id)
    assert await rules.poll() == []
    assert rules.fine_tuned_models() == ["ft:base:x"]
    [stored] = rules.jobs(ADMIN)
    assert stored.events == [(1.0, "info", "done")] and stored.finished_at is not None


async def test_a_job_from_the_command_line_is_told_to_every_admin(database: Database) -> None:
    tuner = StubTuner()
    rules = training(database, tuner, admins=(ADMIN, 7))
    await rules.start(None, None)
    tuner.states["job-1"] = replace(tuner.states["job-1"], state="failed", error="Bad file.")
    [notice] = await rules.poll()
    assert (
        notice.chat_ids == [7, ADMIN] and notice.text == "Fine-tuning job job-1 failed: Bad file."
    )


async def test_a_service_that_does_not_answer_leaves_the_job_as_it_was(database: Database) -> None:
    tuner = StubTuner()
    rules = training(database, tuner)
    await rules.start(ADMIN, ADMIN)
    tuner.failure = FineTuningUnavailableError("down")
    assert await rules.poll() == []
    assert rules.jobs(ADMIN)[0].state == "validating_files"
    tuner.failure = UnknownJobError("gone")
    [notice] = await rules.poll()
    assert "the service no longer knows this job" in notice.text


async def test_cancel_stops_unfinished_jobs_only(database: Database) -> None:
    tuner = StubTuner()
    rules = training(database, tuner)
    await rules.start(ADMIN, ADMIN)
    with pytest.raises(TrainingAdminOnlyError):
        await rules.cancel(OTHER)
    [cancelled] = await rules.cancel(ADMIN)
    assert cancelled.state == "cancelled"
    assert await rules.cancel(ADMIN) == []
    assert await rules.cancel(ADMIN, "job-1") == []
    with pytest.raises(UnknownJobError):
        await rules.cancel(ADMIN, "job-404")


async def test_model_offers_the_fine_tuned_models_after_the_backends(database: Database) -> None:
    tuner = StubTuner()
    rules = training(database, tuner)
    await rules.start(ADMIN, ADMIN)
    tuner.states["job-1"] = replace(
        tuner.states["job-1"], state="succeeded", fine_tuned_model="ft:1"
    )
    await rules.poll()
    model = ScriptedChatModel(lambda messages: "ok")
    assistant = Assistant(Settings(), ConversationStore(database), model, fine_tuned=rules)
    names = await assistant.available_models()
    assert names[-1] == "ft:1" and names[:-1] == await model.list_models()
