"""The training process of one job: `python -m tgtrainer.training.worker <job id>`.

Load the data, add replay, measure the base model's loss with llama.cpp (on the held-out, the
taught and unrelated examples), train, write the GGUF adapter, measure again, keep or discard it
(`adapters.should_keep`), record the outcome.
Held-out examples: the validation file; without one, a tenth of the examples (at least one) when
there are ten or more, else the training examples themselves (then the figure says so).
"""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tgtrainer.config import Settings, load_settings
from tgtrainer.errors import UserFacingError
from tgtrainer.storage import Database
from tgtrainer.storage.training_jobs import TrainingJob, TrainingJobStore
from tgtrainer.training.adapters import FORGETTING_LIMIT, AdapterRegistry, Losses, should_keep
from tgtrainer.training.chat_data import Message, read_examples, tokenize_all
from tgtrainer.training.heldout import heldout_loss, open_llama
from tgtrainer.training.jobs import JobOptions
from tgtrainer.training.local_backend import base_model_path
from tgtrainer.training.local_trainer import (
    Progress,
    add_lora,
    export_adapter,
    load_trainable,
    require_train_extra,
    total_steps,
    train_lora,
)
from tgtrainer.training.replay import (
    CHECK_PROMPTS,
    GENERAL_PROMPTS,
    generate_replay,
    replay_slots,
)

log = logging.getLogger(__name__)
NICENESS = 19  # the lowest priority: the bot answering comes first
TAUGHT_CHECKED = 32  # of the training examples, measured before and after: enough to tell
FORGETTING_PERCENT = round((FORGETTING_LIMIT - 1) * 100)


class JobCancelledError(Exception):
    """`train cancel` arrived between two phases of the job."""


def split_heldout(
    examples: list[list[Message]],
) -> tuple[list[list[Message]], list[list[Message]], str]:
    """(training, held-out, where the held-out examples come from) without a validation file."""
    if len(examples) < 10:
        return examples, examples, "training examples"
    count = max(1, len(examples) // 10)
    return examples[:-count], examples[-count:], f"last {count} examples"


def run_job(settings: Settings, store: TrainingJobStore, job: TrainingJob) -> None:
    options = JobOptions.from_json(job.options)
    train = options.train
    threads = train.threads
    started = time.monotonic()

    def phase(name: str) -> None:
        if store.cancel_requested(job.id):
            raise JobCancelledError(f"Cancelled before {name}.")
        store.progress(job.id, phase=name, step=0, total=0, loss=None, seconds_left=None)

    examples = read_examples(Path(job.data_path))
    if job.validation_path:
        heldout, heldout_source = read_examples(Path(job.validation_path)), "validation file"
    else:
        examples, heldout, heldout_source = split_heldout(examples)
    require_train_extra()
    base = base_model_path(settings)
    phase("loading the model")
    model, tokenizer = load_trainable(base, threads=threads)
    loaded_s = time.monotonic() - started
    phase("writing replay answers")
    llama = open_llama(base, None, n_ctx=1024, threads=threads)
    replay = generate_replay(llama, GENERAL_PROMPTS[: options.replay_prompts])
    unrelated = generate_replay(llama, CHECK_PROMPTS)
    del llama
    training = tokenize_all(tokenizer, examples, max_tokens=train.max_tokens)
    heldout_tokens = tokenize_all(tokenizer, heldout, max_tokens=train.max_tokens)
    replay_tokens = tokenize_all(tokenizer, replay, max_tokens=train.max_tokens)
    taught_tokens = training[:TAUGHT_CHECKED]
    unrelated_tokens = tokenize_all(tokenizer, unrelated, max_tokens=train.max_tokens)
    phase("measuring the base model")

    def losses(adapter: Path | None) -> tuple[float, float, float]:
        """On the held-out, the taught and the unrelated examples."""
        return (
            heldout_loss(base, adapter, heldout_tokens, threads=threads),
            heldout_loss(base, adapter, taught_tokens, threads=threads),
            heldout_loss(base, adapter, unrelated_tokens, threads=threads),
        )

    before = losses(None)

    peft_model = add_lora(model, train)
    slots = replay_slots(len(training), options.replay_fraction) if replay_tokens else 0
    total = total_steps(len(training) + slots, train)

    def on_step(progress: Progress) -> bool:
        store.progress(
            job.id,
            phase="training",
            step=progress.step,
            total=total,
            loss=progress.loss,
            seconds_left=progress.seconds_left,
        )
        return not store.cancel_requested(job.id)

    result = train_lora(
        peft_model, training, train, on_step, replay=replay_tokens, replay_per_epoch=slots
    )
    if result.cancelled:
        store.finish(job.id, "cancelled", f"Cancelled at step {result.steps} of {total}.")
        return
    phase("measuring the adapter")
    registry = AdapterRegistry(settings.data_dir)
    with tempfile.TemporaryDirectory(dir=settings.data_dir) as scratch:
        written = Path(scratch) / "adapter.gguf"
        export_adapter(peft_model, base, written, train)
        after = losses(written)
        held, taught, other = (Losses(b, a) for b, a in zip(before, after, strict=True))
        figures = {
            "job": job.id,
            "base_model": base.name,
            "heldout_loss_before": held.before,
            "heldout_loss_after": held.after,
            "heldout_examples": len(heldout_tokens),
            "heldout_source": heldout_source,
            "taught_loss_before": taught.before,
            "taught_loss_after": taught.after,
            "unrelated_loss_before": other.before,
            "unrelated_loss_after": other.after,
            "unrelated_examples": len(unrelated_tokens),
            "examples": len(examples),
            "replay_examples": len(replay),
            "steps": result.steps,
            "final_loss": result.losses[-1] if result.losses else None,
            "load_seconds": round(loaded_s, 1),
            "train_seconds": round(result.seconds, 1),
            "seconds": round(time.monotonic() - started, 1),
            "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "options": options.to_json(),
        }
        if not should_keep(held, taught, other):
            store.finish(job.id, "discarded", f"Discarded: {discarded_line(held, taught, other)}")
            return
        adapter = registry.save(registry.new_id(job.id), written, figures)
    outcome = f"Kept adapter {adapter.id}: {kept_line(held, taught, other)}"
    store.finish(job.id, "kept", outcome, adapter.id)


def kept_line(held: Losses, taught: Losses, unrelated: Losses) -> str:
    if held.improved:
        return f"held-out loss {held}."
    return (
        f"it learned its examples (loss {taught}) and answers to unrelated questions stayed "
        f"within {FORGETTING_PERCENT}% ({unrelated}); on held-out examples it is no better "
        f"({held}), as expected when they teach other facts."
    )


def discarded_line(held: Losses, taught: Losses, unrelated: Losses) -> str:
    if not taught.improved:
        return f"held-out loss {held}, no better than base, nor on its own examples ({taught})."
    return (
        f"held-out loss {held}, no better than base, and answers to unrelated questions got "
        f"more than {FORGETTING_PERCENT}% less likely ({unrelated})."
    )


def launch(store: TrainingJobStore, job_id: int) -> None:
    """Start the job's worker in a session of its own and record its pid."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tgtrainer.training.worker", str(job_id)],
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    store.mark_running(job_id, process.pid)
    process.returncode = 0  # not ours to wait for: it outlives this launcher on purpose


def lower_priority() -> None:
    """The lowest priority, for this process and for its session's scheduling group.

    The worker runs in a session of its own, and Linux (with autogroups, the default on
    desktops and many servers) shares the CPU fairly between sessions whatever their processes'
    nice values: the group's own nice value must be lowered too (man 7 sched), or the bot's
    answers slow down 4-37x while it trains (measured with bench.training_chat).
    """
    os.nice(NICENESS)
    with contextlib.suppress(OSError):  # no autogroups here: the nice value alone decides
        Path("/proc/self/autogroup").write_text(str(NICENESS))


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = load_settings()
    with Database(settings.database_path, max_mb=settings.database_max_mb) as database:
        store = TrainingJobStore(database)
        if argv[0] == "--launch":
            launch(store, int(argv[1]))
            return 0
        lower_priority()
        job = store.get(int(argv[0]))
        if job is None or not job.active:
            return 1
        store.mark_running(job.id, os.getpid())
        try:
            run_job(settings, store, job)
        except JobCancelledError as cancelled:
            store.finish(job.id, "cancelled", str(cancelled))
        except UserFacingError as error:
            log.error("job %s failed: %s", job.id, error.detail or error)
            store.finish(job.id, "failed", str(error))
            return 1
        except Exception:
            log.exception("job %s failed", job.id)
            store.finish(job.id, "failed", "Training failed; the job's log says why.")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
