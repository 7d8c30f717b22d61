"""Training the model from the chats: who may, on what, and what everyone is told.

The rules, all of them here:
- Only admins (`ADMIN_USER_IDS`) start, cancel or look at fine-tuning jobs in Telegram; the
  command line is the operator and may always.
- A job trains on the dataset `tgtrainer dataset build` would write with its defaults (answers
  rated 👍 or corrected, deduplicated, checked), or on a JSONL file the command line names;
  `dpo` trains on the preference pairs (👎 plus a correction) and needs at least one. With 20
  examples or more, a tenth goes to validation.
- Before a job starts, the admin sees a few of its examples, its size and an estimate: the cost
  for a service, the time and memory for this machine; and confirms.
- While an offline job runs, its progress (step / total, loss, time left) is shown in the chat
  it was started from. A job's outcome is told once, to that chat (every admin when it was
  started from the command line); a succeeded job's model joins the models `/model` offers.
- Offline, an adapter is kept if it beats the base model on held-out examples, or if it
  learned its own examples while answers to unrelated questions got at most 10% less likely
  (corrections teach facts the held-out ones cannot share; the backend's rule,
  `training.adapters.should_keep`); `/model` offers the base model and every
  kept adapter, an admin makes one the default for everyone (or the base again), a chat may
  pick its own.

No Telegram here and no vendor SDK: the fine-tuning backend is a `training.base.FineTuner`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tgtrainer.config import Settings
from tgtrainer.core.access import AccessPolicy
from tgtrainer.core.training_text import (
    TrainingPlan,
    example_tokens,
    job_lines,
    outcome,
    progress_line,
    read_examples,
)
from tgtrainer.errors import UserFacingError
from tgtrainer.storage.database import Database
from tgtrainer.storage.dialogue import DialogueLog
from tgtrainer.storage.finetune_jobs import FineTuneJobStore, StoredJob
from tgtrainer.training.adapters import AdapterInfo, AdapterRegistry
from tgtrainer.training.base import (
    Example,
    FineTuner,
    JobProgress,
    JobRequest,
    JobStatus,
    Method,
)
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
NO_ADAPTERS = "Adapters are trained offline, for the local model (LLM_BACKEND=local)."
NO_PAIRS = (
    "DPO needs preference pairs: press 👎 on an answer and send the better one (or /correct) first."
)


__all__ = [
    "Notice",
    "ProgressNotice",
    "Training",
    "TrainingAdminOnlyError",
    "TrainingPlan",
    "build_training",
    "job_lines",
    "outcome",
    "progress_line",
]


class TrainingAdminOnlyError(UserFacingError):
    user_message = "Only the bot's admins can train the model."


@dataclass(frozen=True, slots=True)
class Notice:
    """A job's outcome, to be said in `chat_ids`; `Training.told` once it was."""

    job_id: str
    chat_ids: list[int]
    text: str


@dataclass(frozen=True, slots=True)
class ProgressNotice:
    """A running job's progress, to be shown in `chat_id`'s progress message."""

    job_id: str
    chat_id: int
    text: str


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
        adapters: AdapterRegistry | None = None,
    ) -> None:
        """`tuner` None: no fine-tuning backend for these settings (jobs can still be listed).
        `adapters`: where the local backend keeps the adapters it trained."""
        self._adapters = adapters
        self._progress: dict[str, JobProgress] = {}
        self._access = access
        self._jobs = jobs
        self._dialogue = dialogue
        self._tuner = tuner
        self._base_model = base_model
        self._max_tokens = max_tokens
        self._price = price_per_million

    @property
    def shows_progress(self) -> bool:
        """Whether jobs report progress worth showing as they go (offline ones do)."""
        return self._adapters is not None

    def _check(self, user_id: int | None) -> None:
        """`user_id` None is the command line: the operator."""
        if user_id is not None and not self._access.is_admin(user_id):
            raise TrainingAdminOnlyError(f"user {user_id} is not an admin")

    def _tuner_or_refuse(self) -> FineTuner:
        if self._tuner is None:
            raise TrainingNotConfiguredError("no fine-tuning backend")
        return self._tuner

    def plan(
        self,
        user_id: int | None,
        method: Method = "supervised",
        *,
        data: Path | None = None,
        epochs: int | None = None,
        max_steps: int | None = None,
    ) -> TrainingPlan:
        """What a job would train on now: the dialogue log's examples, or `data`'s. Raises
        `TrainingAdminOnlyError`, `TrainingNotConfiguredError`, `NothingToTrainError`, and what
        the backend refuses (`TrainingError` subclasses)."""
        self._check(user_id)
        tuner = self._tuner_or_refuse()
        if data is not None:
            examples = read_examples(data, method, self._max_tokens)
        else:
            built = build(self._dialogue.turns(), BuildOptions(max_tokens=self._max_tokens))
            examples = built.preference if method == "dpo" else built.train
        if not examples:
            if method == "dpo":
                raise NothingToTrainError("no preference pairs", user_message=NO_PAIRS)
            raise NothingToTrainError("no examples")
        train: list[Example] = list(examples)
        validation: list[Example] = []
        if len(examples) >= VALIDATION_FROM:
            train, validation = split(examples, VALIDATION_SHARE)
        tokens = sum(example_tokens(example) for example in train)
        request = JobRequest(
            self._base_model, method, train, validation, epochs=epochs, max_steps=max_steps
        )
        return TrainingPlan(
            method,
            self._base_model,
            train,
            validation,
            tokens,
            self._price,
            tuner.estimate(request),
            epochs,
            max_steps,
        )

    async def start(
        self,
        user_id: int | None,
        chat_id: int | None,
        method: Method = "supervised",
        *,
        data: Path | None = None,
        epochs: int | None = None,
        max_steps: int | None = None,
    ) -> StoredJob:
        """Start a job on the current dataset (or `data`'s); its outcome will be told in
        `chat_id`."""
        plan = self.plan(user_id, method, data=data, epochs=epochs, max_steps=max_steps)
        tuner = self._tuner_or_refuse()
        status = await tuner.start(
            JobRequest(
                plan.base_model,
                plan.method,
                plan.train,
                plan.validation,
                epochs=plan.epochs,
                max_steps=plan.max_steps,
            )
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
            outcome=status.outcome,
        )
        if status.progress is not None and not status.finished:
            self._progress[status.job_id] = status.progress
        else:
            self._progress.pop(status.job_id, None)

    def progress(self, job_id: str) -> JobProgress | None:
        """How far a running job got when it was last asked (offline jobs only)."""
        return self._progress.get(job_id)

    def progress_notices(self) -> list[ProgressNotice]:
        """Each running job's progress, for the chat it was started from."""
        notices = []
        for job_id, progress in self._progress.items():
            job = self._jobs.get(job_id)
            if job is not None and job.chat_id is not None and not job.finished:
                notices.append(ProgressNotice(job_id, job.chat_id, progress_line(job_id, progress)))
        return notices

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
        """The models succeeded jobs made, for `/model`: the kept adapters offline."""
        if self._tuner is None:
            return []
        if self._adapters is not None:
            return [adapter.id for adapter in self._adapters.list()]
        return self._jobs.fine_tuned_models(self._tuner.backend)

    def adapters(self) -> list[str]:
        """The kept adapters (names among `fine_tuned_models`) the local chat model loads."""
        return [] if self._adapters is None else [a.id for a in self._adapters.list()]

    def adapter_list(self, user_id: int | None) -> list[AdapterInfo]:
        """The kept adapters with their figures, oldest first."""
        self._check(user_id)
        return [] if self._adapters is None else self._adapters.list()

    def default_model(self) -> str | None:
        """The adapter every chat without a choice of its own answers with; None: the base."""
        if self._adapters is None:
            return None
        default = self._adapters.default()
        return None if default is None else default.id

    def set_default_model(self, user_id: int | None, adapter: str | None) -> None:
        """Make `adapter` the default for everyone (None: roll back to the base model).
        Admins only; raises `UnknownJobError`-like `TrainingError` for an unknown adapter."""
        self._check(user_id)
        if self._adapters is None:
            raise TrainingNotConfiguredError("no adapters", user_message=NO_ADAPTERS)
        try:
            self._adapters.set_default(adapter)
        except KeyError:
            raise TrainingError(
                f"no adapter {adapter}",
                user_message=f"No adapter {adapter!r}: /model lists the adapters there are.",
            ) from None
        log.info("default model set to %s by %s", adapter or "the base", user_id or "the CLI")

    async def aclose(self) -> None:
        if self._tuner is not None:
            await self._tuner.aclose()


def build_training(
    settings: Settings, database: Database, access: AccessPolicy, tuner: FineTuner | None
) -> Training:
    """`Training` over this database and `tuner` (`training.factory` chooses it)."""
    from tgtrainer.training.factory import base_model

    local = tuner is not None and tuner.backend == "local"
    return Training(
        access,
        FineTuneJobStore(database),
        DialogueLog(database),
        tuner,
        base_model=base_model(settings, tuner.backend if tuner is not None else None),
        max_tokens=settings.llm_context_tokens,
        price_per_million=settings.finetune_price_per_million,
        adapters=AdapterRegistry(settings.data_dir) if local else None,
    )
