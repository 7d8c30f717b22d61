"""Training the model from the chats: who may, on what, and what everyone is told.

The rules, all of them here:
- Only admins (`ADMIN_USER_IDS`) start, cancel or look at fine-tuning jobs in Telegram; the
  command line is the operator and may always.
- A job trains on the dataset `tgtrainer dataset build` would write with its defaults (answers
  rated 👍 or corrected, deduplicated, checked); `dpo` trains on the preference pairs (👎 plus a
  correction) and needs at least one. With 20 examples or more, a tenth goes to validation.
- Before a job starts, the admin sees its size and an estimated cost, and confirms.
- A job's outcome is told once, to the chat it was started from (every admin when it was started
  from the command line); a succeeded job's model joins the models `/model` offers.

No Telegram here and no vendor SDK: the fine-tuning backend is a `training.base.FineTuner`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from tgtrainer.config import Settings
from tgtrainer.core.access import AccessPolicy
from tgtrainer.errors import UserFacingError
from tgtrainer.storage.database import Database
from tgtrainer.storage.dialogue import DialogueLog
from tgtrainer.storage.finetune_jobs import FineTuneJobStore, StoredJob
from tgtrainer.training.base import Example, FineTuner, JobRequest, JobStatus, Method
from tgtrainer.training.checks import estimate_tokens, message_tokens
from tgtrainer.training.dataset import BuildOptions, build, split
from tgtrainer.training.errors import (
    NothingToTrainError,
    TrainingError,
    TrainingNotConfiguredError,
    UnknownJobError,
)

log = logging.getLogger(__name__)

VALIDATION_FROM = 20  # examples; fewer all go to training
VALIDATION_SHARE = 0.1
EVENTS_SHOWN = 3
NO_PAIRS = (
    "DPO needs preference pairs: press 👎 on an answer and send the better one (or /correct) first."
)


class TrainingAdminOnlyError(UserFacingError):
    user_message = "Only the bot's admins can train the model."


@dataclass(frozen=True, slots=True)
class TrainingPlan:
    """A job about to start: what it trains on, and what it may cost."""

    method: Method
    base_model: str
    train: list[Example]
    validation: list[Example]
    tokens: int  # estimated, one epoch of the training examples
    price_per_million: float

    @property
    def cost(self) -> float:
        return self.tokens * self.price_per_million / 1_000_000

    def summary(self) -> str:
        kind = "preference pairs" if self.method == "dpo" else "examples"
        validation = f" (+{len(self.validation)} for validation)" if self.validation else ""
        return (
            f"Fine-tune {self.base_model} ({self.method}) on {len(self.train)} {kind}"
            f"{validation}, about {self.tokens} tokens: estimated cost {self.cost:.4f} per "
            f"epoch at {self.price_per_million:g} per million tokens."
        )


@dataclass(frozen=True, slots=True)
class Notice:
    """A job's outcome, to be said in `chat_ids`; `Training.told` once it was."""

    job_id: str
    chat_ids: list[int]
    text: str


def _tokens(example: Example) -> int:
    if "messages" in example:
        return message_tokens(example["messages"], estimate_tokens)
    outputs = [*example["preferred_output"], *example["non_preferred_output"]]
    return message_tokens([*example["input"]["messages"], *outputs], estimate_tokens)


def outcome(job: StoredJob) -> str:
    """The sentence that tells a finished job's outcome."""
    if job.state == "succeeded":
        return (
            f"Fine-tuning job {job.job_id} succeeded: the new model is {job.fine_tuned_model}. "
            "Choose it for a chat with /model."
        )
    if job.state == "failed":
        reason = (job.error or "no reason given").rstrip(".")
        return f"Fine-tuning job {job.job_id} failed: {reason}."
    return f"Fine-tuning job {job.job_id} was cancelled."


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


def job_lines(job: StoredJob) -> list[str]:
    """A job as `/train_status` and `tgtrainer train status` show it: a line, then its latest
    events."""
    made = f" -> {job.fine_tuned_model}" if job.fine_tuned_model else ""
    failed = f" ({job.error})" if job.state == "failed" and job.error else ""
    lines = [
        f"{job.job_id}: {job.state}{failed}, {job.method} on {job.base_model}{made}; "
        f"{job.examples} examples, started {_when(job.created_at)}"
    ]
    lines += [f"  {_when(at)} {message}" for at, _, message in job.events[:EVENTS_SHOWN]]
    return lines


class Training:
    def __init__(
        self,
        access: AccessPolicy,
        jobs: FineTuneJobStore,
        dialogue: DialogueLog,
        tuner: FineTuner | None,
        *,
        base_model: str,
        max_tokens: int,
        price_per_million: float,
    ) -> None:
        """`tuner` None: no fine-tuning backend for these settings (jobs can still be listed)."""
        self._access = access
        self._jobs = jobs
        self._dialogue = dialogue
        self._tuner = tuner
        self._base_model = base_model
        self._max_tokens = max_tokens
        self._price = price_per_million

    def _check(self, user_id: int | None) -> None:
        """`user_id` None is the command line: the operator."""
        if user_id is not None and not self._access.is_admin(user_id):
            raise TrainingAdminOnlyError(f"user {user_id} is not an admin")

    def _tuner_or_refuse(self) -> FineTuner:
        if self._tuner is None:
            raise TrainingNotConfiguredError("no fine-tuning backend")
        return self._tuner

    def plan(self, user_id: int | None, method: Method = "supervised") -> TrainingPlan:
        """What a job would train on now. Raises `TrainingAdminOnlyError`,
        `TrainingNotConfiguredError`, `NothingToTrainError`."""
        self._check(user_id)
        self._tuner_or_refuse()
        built = build(self._dialogue.turns(), BuildOptions(max_tokens=self._max_tokens))
        examples = built.preference if method == "dpo" else built.train
        if not examples:
            if method == "dpo":
                raise NothingToTrainError("no preference pairs", user_message=NO_PAIRS)
            raise NothingToTrainError("no examples")
        train, validation = list(examples), []  # type: tuple[list[Example], list[Example]]
        if len(examples) >= VALIDATION_FROM:
            train, validation = split(examples, VALIDATION_SHARE)
        tokens = sum(_tokens(example) for example in train)
        return TrainingPlan(method, self._base_model, train, validation, tokens, self._price)

    async def start(
        self, user_id: int | None, chat_id: int | None, method: Method = "supervised"
    ) -> StoredJob:
        """Start a job on the current dataset; its outcome will be told in `chat_id`."""
        plan = self.plan(user_id, method)
        tuner = self._tuner_or_refuse()
        status = await tuner.start(
            JobRequest(plan.base_model, plan.method, plan.train, plan.validation)
        )
        self._jobs.add(
            status.job_id,
            backend=tuner.backend,
            method=plan.method,
            base_model=status.base_model,
            training_file_id=status.training_file_id,
            validation_file_id=status.validation_file_id,
            examples=len(plan.train),
            tokens=plan.tokens,
            state=status.state,
            started_by=user_id,
            chat_id=chat_id,
        )
        log.info("fine-tuning job %s started by %s", status.job_id, user_id or "the command line")
        self._record(status)
        job = self._jobs.get(status.job_id)
        assert job is not None
        return job

    def jobs(self, user_id: int | None) -> list[StoredJob]:
        """Every job, newest first."""
        self._check(user_id)
        return self._jobs.all()

    async def refresh(self) -> None:
        """Ask the backend where each unfinished job stands, and record it."""
        if self._tuner is None:
            return
        for job in self._jobs.unfinished(self._tuner.backend):
            try:
                status = await self._tuner.status(job.job_id)
            except UnknownJobError as error:
                log.warning("job %s: the service no longer knows it (%r)", job.job_id, error)
                self._jobs.update(
                    job.job_id,
                    state="failed",
                    fine_tuned_model=None,
                    error="the service no longer knows this job",
                )
                continue
            except TrainingError as error:
                log.warning("job %s: no status this time: %r", job.job_id, error)
                continue
            self._record(status)

    def _record(self, status: JobStatus) -> None:
        events = [(e.created_at, e.level, e.message) for e in status.events]
        self._jobs.update(
            status.job_id,
            state=status.state,
            fine_tuned_model=status.fine_tuned_model,
            error=status.error,
            events=events or None,
        )

    def untold(self) -> list[Notice]:
        """Outcomes nobody was told yet, with where to tell them."""
        return [
            Notice(job.job_id, self._recipients(job), outcome(job))
            for job in self._jobs.finished_untold()
        ]

    def _recipients(self, job: StoredJob) -> list[int]:
        if job.chat_id is not None:
            return [job.chat_id]
        return sorted(set(self._access.admins()))

    def told(self, job_id: str) -> None:
        self._jobs.mark_told(job_id)

    async def poll(self) -> list[Notice]:
        """`refresh`, then the outcomes to tell."""
        await self.refresh()
        return self.untold()

    async def cancel(self, user_id: int | None, job_id: str | None = None) -> list[StoredJob]:
        """Cancel job `job_id`, or every unfinished one; the jobs as they stand after."""
        self._check(user_id)
        tuner = self._tuner_or_refuse()
        if job_id is not None:
            job = self._jobs.get(job_id)
            if job is None or job.backend != tuner.backend:
                raise UnknownJobError(f"no job {job_id}")
            targets: Iterable[StoredJob] = [] if job.finished else [job]
        else:
            targets = self._jobs.unfinished(tuner.backend)
        cancelled = []
        for target in targets:
            self._record(await tuner.cancel(target.job_id))
            job = self._jobs.get(target.job_id)
            assert job is not None
            cancelled.append(job)
        return cancelled

    def fine_tuned_models(self) -> list[str]:
        """The models succeeded jobs made, for `/model`."""
        if self._tuner is None:
            return []
        return self._jobs.fine_tuned_models(self._tuner.backend)

    async def aclose(self) -> None:
        if self._tuner is not None:
            await self._tuner.aclose()


def build_training(
    settings: Settings, database: Database, access: AccessPolicy, tuner: FineTuner | None
) -> Training:
    """`Training` over this database and `tuner` (`training.factory` chooses it)."""
    from tgtrainer.training.factory import base_model

    return Training(
        access,
        FineTuneJobStore(database),
        DialogueLog(database),
        tuner,
        base_model=base_model(settings),
        max_tokens=settings.llm_context_tokens,
        price_per_million=settings.finetune_price_per_million,
    )
