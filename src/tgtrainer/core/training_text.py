"""What the training rules show: a job's plan (its examples, size and estimate), its progress,
its outcome and its status lines; and a JSONL file read as training examples.

Words only, no rules: `core.training.Training` decides who may do what.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tgtrainer.storage.finetune_jobs import StoredJob
from tgtrainer.training.base import Estimate, Example, JobProgress, Method
from tgtrainer.training.checks import (
    chat_example_errors,
    estimate_tokens,
    message_tokens,
    preference_example_errors,
)
from tgtrainer.training.errors import TrainingDataError

EVENTS_SHOWN = 3
EXAMPLES_SHOWN = 3
PREVIEW_CHARS = 80


@dataclass(frozen=True, slots=True)
class TrainingPlan:
    """A job about to start: what it trains on, and what it may cost."""

    method: Method
    base_model: str
    train: list[Example]
    validation: list[Example]
    tokens: int  # estimated, one epoch of the training examples
    price_per_million: float
    estimate: Estimate = field(default_factory=Estimate)
    epochs: int | None = None
    max_steps: int | None = None

    @property
    def cost(self) -> float:
        return self.tokens * self.price_per_million / 1_000_000

    def summary(self) -> str:
        kind = "preference pairs" if self.method == "dpo" else "examples"
        validation = f" (+{len(self.validation)} for validation)" if self.validation else ""
        size = f"on {len(self.train)} {kind}{validation}, about {self.tokens} tokens"
        if self.estimate.seconds is None:
            return (
                f"Fine-tune {self.base_model} ({self.method}) {size}: estimated cost "
                f"{self.cost:.4f} per epoch at {self.price_per_million:g} per million tokens."
            )
        low, high = (round(seconds / 60) or 1 for seconds in self.estimate.seconds)
        memory = self.estimate.peak_memory_gb
        return (
            f"Train a LoRA adapter for {self.base_model} on this machine {size}: "
            f"{self.estimate.steps} steps, estimated {low}-{high} minutes"
            + (f" and about {memory:g} GB of memory" if memory else "")
            + "; the bot keeps answering meanwhile."
        )

    def preview(self) -> list[str]:
        """A few of the examples: what was asked, and the answer to be learned."""
        lines = []
        for example in self.train[:EXAMPLES_SHOWN]:
            if "messages" in example:
                messages = example["messages"]
                answer = messages[-1]["content"]
            else:
                messages = example["input"]["messages"]
                answer = example["preferred_output"][0]["content"]
            asked = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
            lines.append(f"• {_short(asked)} → {_short(answer)}")
        return lines


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


def example_tokens(example: Example) -> int:
    if "messages" in example:
        return message_tokens(example["messages"], estimate_tokens)
    outputs = [*example["preferred_output"], *example["non_preferred_output"]]
    return message_tokens([*example["input"]["messages"], *outputs], estimate_tokens)


def outcome(job: StoredJob) -> str:
    """The sentence that tells a finished job's outcome."""
    if job.state == "succeeded" and job.outcome:
        model = " Choose it with /model." if job.fine_tuned_model else ""
        return f"Fine-tuning job {job.job_id} finished: {job.outcome}{model}"
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


def progress_line(job_id: str, progress: JobProgress) -> str:
    """`Training local-3: training, step 4/12, loss 1.234, about 0:41 left`."""
    line = f"Training {job_id}: {progress.phase}"
    if progress.total:
        line += f", step {progress.step}/{progress.total}"
    if progress.loss is not None:
        line += f", loss {progress.loss:.3f}"
    if progress.seconds_left:
        left = int(progress.seconds_left)
        line += f", about {left // 60}:{left % 60:02d} left"
    return line


def read_examples(path: Path, method: Method, max_tokens: int) -> list[Example]:
    """The examples of a JSONL file (chat examples, or preference pairs for `dpo`), each
    checked as OpenAI's format checker does."""
    check = preference_example_errors if method == "dpo" else chat_example_errors
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name}, line {number}"
        try:
            example = json.loads(line)
        except json.JSONDecodeError as error:
            raise TrainingDataError(
                f"{where}: {error}", user_message=f"{where}: not JSON ({error.msg})."
            ) from None
        errors = check(example, max_tokens)
        if errors:
            raise TrainingDataError(f"{where}: {errors}", user_message=f"{where}: {errors[0]}.")
        examples.append(example)
    return examples


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
