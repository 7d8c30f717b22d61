"""A fast stand-in for offline training: a `FineTuner` whose job advances one step each time it
is asked and ends with a real GGUF LoRA adapter (its B halves zero, so it changes nothing) that
llama.cpp loads, kept in the real adapter registry.

The bot takes it through FINETUNE_BACKEND=tgtrainer.testing.fake_local_finetune:FakeLocalFineTuner
where the real trainer would take minutes.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tgtrainer.config import Settings
from tgtrainer.training.adapters import AdapterRegistry
from tgtrainer.training.base import Estimate, JobProgress, JobRequest, JobStatus
from tgtrainer.training.errors import TrainingError, UnknownJobError
from tgtrainer.training.local_backend import (
    PEAK_MEMORY_GB,
    SUPERVISED_ONLY,
    base_model_name,
    base_model_path,
)

LOSS_BEFORE, LOSS_AFTER = 2.0, 1.5
RANK = 2


@dataclass(slots=True)
class _Job:
    total: int
    step: int = 0
    cancelled: bool = False
    adapter: str | None = None


def write_identity_adapter(base: Path, path: Path) -> None:
    """A LoRA GGUF for `base` on q and o of every block, with B = 0: loads, changes nothing."""
    from tgtrainer.training.lora_gguf import base_architecture, write_lora_gguf

    architecture, blocks = base_architecture(base)
    import gguf

    reader = gguf.GGUFReader(base)
    hidden = int(reader.fields[f"{architecture}.embedding_length"].contents())
    weights = {}
    for block in range(blocks):
        for projection in ("q_proj", "o_proj"):
            name = f"base_model.model.model.layers.{block}.self_attn.{projection}"
            weights[f"{name}.lora_A.weight"] = np.full((RANK, hidden), 0.01, dtype=np.float32)
            weights[f"{name}.lora_B.weight"] = np.zeros((hidden, RANK), dtype=np.float32)
    write_lora_gguf(path, weights, architecture=architecture, blocks=blocks, alpha=RANK)


class FakeLocalFineTuner:
    backend = "local"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._jobs: dict[str, _Job] = {}

    def estimate(self, request: JobRequest) -> Estimate:
        if request.method != "supervised":
            raise TrainingError("dpo offline", user_message=SUPERVISED_ONLY)
        steps = len(request.train) * (request.epochs or 3)
        if request.max_steps is not None:
            steps = min(steps, request.max_steps)
        return Estimate(steps=steps, seconds=(60.0, 120.0), peak_memory_gb=PEAK_MEMORY_GB)

    async def start(self, request: JobRequest) -> JobStatus:
        job_id = f"local-fake{len(self._jobs) + 1}"
        self._jobs[job_id] = _Job(self.estimate(request).steps or 1)
        return self._status(job_id)

    async def status(self, job_id: str) -> JobStatus:
        job = self._job(job_id)
        if not job.cancelled and job.adapter is None:
            job.step += 1
            if job.step > job.total:
                job.adapter = self._keep(job_id)
        return self._status(job_id)

    async def cancel(self, job_id: str) -> JobStatus:
        self._job(job_id).cancelled = True
        return self._status(job_id)

    async def aclose(self) -> None:
        pass

    def _job(self, job_id: str) -> _Job:
        if job_id not in self._jobs:
            raise UnknownJobError(f"no fake job {job_id}")
        return self._jobs[job_id]

    def _keep(self, job_id: str) -> str:
        registry = AdapterRegistry(self._settings.data_dir)
        with tempfile.TemporaryDirectory(dir=self._settings.data_dir) as scratch:
            written = Path(scratch) / "adapter.gguf"
            write_identity_adapter(base_model_path(self._settings), written)
            figures = {"heldout_loss_before": LOSS_BEFORE, "heldout_loss_after": LOSS_AFTER}
            adapter_id = f"fake-{job_id}"
            registry.save(adapter_id, written, figures)
        return adapter_id

    def _status(self, job_id: str) -> JobStatus:
        job = self._jobs[job_id]
        base = base_model_name(self._settings)
        if job.cancelled:
            return JobStatus(job_id, "cancelled", base)
        if job.adapter is not None:
            figures = f"held-out loss {LOSS_BEFORE:.3f} -> {LOSS_AFTER:.3f}"
            return JobStatus(
                job_id,
                "succeeded",
                base,
                fine_tuned_model=job.adapter,
                outcome=f"Kept adapter {job.adapter}: {figures}.",
            )
        left = float(job.total - job.step) * 3
        progress = JobProgress("training", job.step, job.total, 1.0 / (job.step + 1), left)
        return JobStatus(job_id, "running", base, progress=progress)
