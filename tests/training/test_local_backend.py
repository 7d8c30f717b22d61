"""The offline backend behind the `FineTuner` protocol: what it refuses before anything runs,
and how its jobs' states read to the core."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import gguf
import numpy as np
import pytest

from tgtrainer.config import Settings
from tgtrainer.storage.training_jobs import TrainingJob
from tgtrainer.training.base import JobRequest
from tgtrainer.training.errors import TrainExtraMissingError, TrainingError, UnsupportedModelError
from tgtrainer.training.jobs import INTERRUPTED
from tgtrainer.training.local_backend import LocalFineTuner, check_trainable

EXAMPLE = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}


def _gguf(path: Path, architecture: str) -> Path:
    writer = gguf.GGUFWriter(path, architecture)
    writer.add_block_count(1)
    writer.add_tensor("token_embd.weight", np.zeros((4, 4), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def _request(method: str = "supervised") -> JobRequest:
    return JobRequest("base", method, [EXAMPLE] * 4)  # type: ignore[arg-type]


def test_a_gguf_of_another_architecture_is_refused_with_a_sentence(tmp_path: Path) -> None:
    pytest.importorskip("transformers", reason="the train extra is not installed")
    model = _gguf(tmp_path / "encoder.gguf", "bert")
    with pytest.raises(UnsupportedModelError) as raised:
        check_trainable(model)
    assert str(raised.value) == (
        "This model cannot be trained here: transformers cannot load a GGUF of the bert "
        "architecture (encoder.gguf)."
    )
    tuner = LocalFineTuner(Settings(data_dir=tmp_path, llm_model_path=model))
    with pytest.raises(UnsupportedModelError):
        tuner.estimate(_request())


def test_the_estimate_uses_the_measured_figures(tmp_path: Path) -> None:
    pytest.importorskip("transformers", reason="the train extra is not installed")
    model = _gguf(tmp_path / "small.gguf", "qwen2")
    tuner = LocalFineTuner(Settings(data_dir=tmp_path, llm_model_path=model))
    estimate = tuner.estimate(_request())
    assert estimate.steps == (4 + 2) * 6  # with replay: a third of each epoch, 6 epochs
    assert estimate.seconds == (60 + 150 + 36 * 1.8, 60 + 240 + 36 * 3.6)
    assert estimate.peak_memory_gb == 4.8
    with pytest.raises(TrainingError, match="DPO needs a fine-tuning service"):
        tuner.estimate(_request("dpo"))


def test_without_the_extra_the_plan_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "torch" else real(name)
    )
    model = _gguf(tmp_path / "small.gguf", "qwen2")
    tuner = LocalFineTuner(Settings(data_dir=tmp_path, llm_model_path=model))
    with pytest.raises(TrainExtraMissingError, match='pip install "tgtrainer\\[train\\]"'):
        tuner.estimate(_request())


def _row(state: str, message: str | None = None, adapter: str | None = None) -> TrainingJob:
    return TrainingJob(
        7, state, "a.jsonl", None, "{}", None, 3, 12, 1.25, 30.0, "training", message,
        adapter, False, 0.0, 1.0,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("row", "state", "model", "error", "outcome"),
    [
        (_row("kept", "Kept adapter a1: held-out loss 2.000 -> 1.500.", "a1"), "succeeded",
         "a1", None, "Kept adapter a1: held-out loss 2.000 -> 1.500."),
        (_row("discarded", "Discarded: held-out loss 2.000 -> 2.100, no better than base."),
         "succeeded", None, None, "Discarded: held-out loss 2.000 -> 2.100, no better than base."),
        (_row("interrupted", INTERRUPTED), "failed", None, INTERRUPTED, None),
        (_row("cancelled", "Cancelled at step 3 of 12."), "cancelled", None, None, None),
    ],
)  # fmt: skip
def test_job_states_read_as_the_protocol_says(
    tmp_path: Path,
    row: TrainingJob,
    state: str,
    model: str | None,
    error: str | None,
    outcome: str | None,
) -> None:
    tuner = LocalFineTuner(Settings(data_dir=tmp_path, llm_model_path=tmp_path / "m.gguf"))
    status = tuner._status(row)
    assert (status.job_id, status.state, status.base_model) == ("local-7", state, "m")
    assert (status.fine_tuned_model, status.error, status.outcome) == (model, error, outcome)
    assert status.progress is None


def test_a_running_job_reports_its_progress(tmp_path: Path) -> None:
    tuner = LocalFineTuner(Settings(data_dir=tmp_path, llm_model_path=tmp_path / "m.gguf"))
    status = tuner._status(_row("running"))
    assert status.state == "running" and status.progress is not None
    progress = status.progress
    assert (progress.phase, progress.step, progress.total, progress.loss) == (
        "training",
        3,
        12,
        1.25,
    )
