"""Replay mixing, the adapter registry and the rule that keeps an adapter."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from tgtrainer.training.adapters import AdapterRegistry, Losses, should_keep
from tgtrainer.training.replay import epoch_with_replay, generate_replay, replay_slots


def test_replay_makes_up_the_asked_share_of_each_epoch() -> None:
    assert replay_slots(9, 0.25) == 3
    assert replay_slots(30, 1 / 3) == 15
    assert replay_slots(9, 0) == 0
    with pytest.raises(ValueError):
        replay_slots(9, 1.0)


def test_each_epoch_takes_the_next_replay_examples_so_the_epochs_see_the_whole_pool() -> None:
    pool = ["a", "b", "c", "d", "e"]
    epochs = [epoch_with_replay([1, 2], pool, 2, epoch) for epoch in range(3)]
    assert epochs == [[1, 2, "a", "b"], [1, 2, "c", "d"], [1, 2, "e", "a"]]
    assert epoch_with_replay([1, 2], [], 2, 0) == [1, 2]


class ScriptedLlama:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def create_chat_completion(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        prompt = kwargs["messages"][-1]["content"]
        answer = "" if prompt == "silent" else f" Answer to {prompt} "
        finish = "length" if prompt == "long" else "stop"
        return {"choices": [{"message": {"content": answer}, "finish_reason": finish}]}


def test_replay_is_the_base_models_own_greedy_answers() -> None:
    llama = ScriptedLlama()
    examples = generate_replay(llama, ["one", "silent"], max_tokens=20)
    assert examples == [
        [{"role": "user", "content": "one"}, {"role": "assistant", "content": "Answer to one"}]
    ]
    assert all(call["temperature"] == 0.0 and call["max_tokens"] == 20 for call in llama.calls)


def test_an_answer_cut_at_the_token_limit_is_no_replay_example() -> None:
    """Trained with the end of the turn after its cut, it would teach stopping mid-sentence."""
    examples = generate_replay(ScriptedLlama(), ["long", "two"], max_tokens=20)
    assert [example[0]["content"] for example in examples] == ["two"]


@pytest.mark.parametrize(
    ("before", "after", "kept"),
    [(2.0, 1.5, True), (2.0, 2.0, False), (2.0, 2.5, False), (2.0, math.nan, False)],
)
def test_an_adapter_that_beats_the_base_on_held_out_examples_is_kept(
    before: float, after: float, kept: bool
) -> None:
    assert should_keep(Losses(before, after)) is kept


@pytest.mark.parametrize(
    ("taught", "unrelated", "kept"),
    [
        (Losses(1.9, 0.1), Losses(0.30, 0.32), True),  # learned, forgot little: corrections
        (Losses(1.9, 0.1), Losses(0.30, 0.33), True),  # exactly 10% worse is still within
        (Losses(1.9, 0.1), Losses(0.30, 0.34), False),  # forgot too much
        (Losses(1.9, 1.9), Losses(0.30, 0.30), False),  # learned nothing
        (Losses(1.9, 0.1), Losses(math.nan, math.nan), False),  # nothing unrelated to check
    ],
)
def test_an_adapter_worse_on_held_out_facts_is_kept_if_it_learned_and_did_not_forget(
    taught: Losses, unrelated: Losses, kept: bool
) -> None:
    """Held-out corrections teach other facts: no adapter can know them (1.43 -> 1.65 measured)."""
    assert should_keep(Losses(1.43, 1.65), taught, unrelated) is kept


def test_registry_versions_adapters_and_names_the_default(tmp_path: Path) -> None:
    registry = AdapterRegistry(tmp_path)
    assert registry.list() == [] and registry.default() is None
    for job in (1, 2):
        written = tmp_path / f"written{job}.gguf"
        written.write_bytes(b"GGUF")
        registry.save(f"a{job}", written, {"heldout_loss_before": 2.0, "job": job})
    assert [adapter.id for adapter in registry.list()] == ["a1", "a2"]
    adapter = registry.get("a2")
    assert adapter is not None and adapter.path == tmp_path / "adapters/a2/adapter.gguf"
    assert adapter.figures["job"] == 2 and adapter.created_at > 0
    registry.set_default("a1")
    default = registry.default()
    assert default is not None and default.id == "a1"
    registry.set_default(None)
    assert registry.default() is None
    with pytest.raises(KeyError):
        registry.set_default("missing")
    assert registry.get("../a1") is None


def test_without_the_extra_training_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from tgtrainer.training.errors import TrainExtraMissingError
    from tgtrainer.training.local_trainer import require_train_extra

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "peft" else real(name)
    )
    with pytest.raises(TrainExtraMissingError) as raised:
        require_train_extra()
    assert (
        str(raised.value)
        == 'Offline training needs the train extra: pip install "tgtrainer[train]".'
    )
    assert raised.value.detail == "missing: peft"
