"""Fine-tuning behind one small protocol, `FineTuner`: start a job, read its state, cancel it.

A job runs elsewhere (an OpenAI-compatible service, or a local process) and is known by its id;
the core stores that id and asks the tuner again after a restart. Each backend maps its own
failures to the `training.errors` tree, so the core never sees a vendor exception.

    estimate(request) -> Estimate    what the job would take; refuses what cannot be trained
    start(request) -> JobStatus      the job as created (its id, its first state)
    status(job_id) -> JobStatus      where it stands now, with its latest events
    cancel(job_id) -> JobStatus      ask it to stop; the state says whether it did
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Protocol

JobState = Literal["validating_files", "queued", "running", "succeeded", "failed", "cancelled"]
Method = Literal["supervised", "dpo"]
FINISHED: Final = frozenset({"succeeded", "failed", "cancelled"})
"""States a job never leaves."""
Example = dict[str, Any]


@dataclass(frozen=True, slots=True)
class JobRequest:
    """What to train: examples in OpenAI's JSONL shapes (chat examples for `supervised`,
    preference pairs for `dpo`), on top of `base_model`."""

    base_model: str
    method: Method
    train: Sequence[Example]
    validation: Sequence[Example] = ()
    suffix: str = "tgtrainer"
    epochs: int | None = None  # None: the backend's default
    max_steps: int | None = None  # a quick trial: stop after this many steps (offline only)


@dataclass(frozen=True, slots=True)
class Estimate:
    """What a job would take, as far as its backend knows (None: not known, or not the point:
    a service's price is the core's estimate, the local machine's time and memory are these)."""

    steps: int | None = None
    seconds: tuple[float, float] | None = None  # low, high
    peak_memory_gb: float | None = None


@dataclass(frozen=True, slots=True)
class JobProgress:
    """How far a running job got (offline jobs report it; a service's jobs do not)."""

    phase: str  # loading the model, training, measuring the adapter...
    step: int = 0
    total: int = 0
    loss: float | None = None
    seconds_left: float | None = None


@dataclass(frozen=True, slots=True)
class JobEvent:
    created_at: float  # seconds since the epoch
    level: str  # info, warn, error
    message: str


@dataclass(frozen=True, slots=True)
class JobStatus:
    """A job as its backend reports it."""

    job_id: str
    state: JobState
    base_model: str
    fine_tuned_model: str | None = None  # set once it succeeded
    error: str | None = None  # why it failed, in the backend's words
    training_file_id: str | None = None
    validation_file_id: str | None = None
    events: tuple[JobEvent, ...] = field(default_factory=tuple)  # newest first
    progress: JobProgress | None = None  # while it runs, when the backend tells
    outcome: str | None = None  # a finished job's result in the backend's words (figures)

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


class FineTuner(Protocol):
    """A fine-tuning backend. `backend` names it in the database ("openai", "local")."""

    backend: str

    def estimate(self, request: JobRequest) -> Estimate:
        """What the job would take. Raises `TrainingError` subclasses for what this backend
        cannot train (a method it lacks, a missing extra, a model it cannot load)."""
        ...

    async def start(self, request: JobRequest) -> JobStatus:
        """Create the job. Raises `training.errors.TrainingError` subclasses."""
        ...

    async def status(self, job_id: str) -> JobStatus:
        """The job now, with its latest events. Raises `TrainingError` subclasses."""
        ...

    async def cancel(self, job_id: str) -> JobStatus:
        """Ask the job to stop. Raises `TrainingError` subclasses."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
