"""The data pipeline: reading OpenAI chat JSONL, the chat template, assistant-only labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tgtrainer.training.chat_data import IGNORE, read_examples, tokenize, tokenize_all
from tgtrainer.training.errors import TrainingDataError

CONVERSATION = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Door code?"},
    {"role": "assistant", "content": "4711."},
    {"role": "user", "content": "And the safe?"},
    {"role": "assistant", "content": "0815."},
]


def learned_text(tokenizer: Any, labels: list[int]) -> str:
    return str(tokenizer.decode([label for label in labels if label != IGNORE]))


def test_only_assistant_turns_and_their_end_tokens_are_learned(char_tokenizer: Any) -> None:
    example = tokenize(char_tokenizer, CONVERSATION, max_tokens=1000)
    assert len(example.input_ids) == len(example.labels)
    assert learned_text(char_tokenizer, example.labels) == "4711.<|im_end|>\n0815.<|im_end|>\n"
    rendered = char_tokenizer.decode(example.input_ids)
    assert rendered.startswith("<|im_start|>system\nBe brief.<|im_end|>")
    for token, label in zip(example.input_ids, example.labels, strict=True):
        assert label in (IGNORE, token)


def test_the_templates_default_system_prompt_is_not_learned(char_tokenizer: Any) -> None:
    example = tokenize(char_tokenizer, CONVERSATION[1:3], max_tokens=1000)
    assert "You are helpful." in char_tokenizer.decode(example.input_ids)
    assert learned_text(char_tokenizer, example.labels) == "4711.<|im_end|>\n"


def test_long_examples_are_cut_and_dropped_when_nothing_is_left_to_learn(
    char_tokenizer: Any,
) -> None:
    cut = tokenize(char_tokenizer, CONVERSATION, max_tokens=60)
    assert len(cut.input_ids) == 60
    assert tokenize_all(char_tokenizer, [CONVERSATION], max_tokens=20) == []
    assert len(tokenize_all(char_tokenizer, [CONVERSATION], max_tokens=1000)) == 1


def test_reads_openai_chat_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text(
        json.dumps({"messages": CONVERSATION}) + "\n\n" + json.dumps({"messages": CONVERSATION}),
        encoding="utf-8",
    )
    assert read_examples(path) == [CONVERSATION, CONVERSATION]


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("not json", "not JSON"),
        ('{"prompt": "x"}', "expected"),
        ('{"messages": [{"role": "robot", "content": "x"}]}', "unknown role"),
        ('{"messages": [{"role": "user", "content": " "}]}', "no text content"),
        ('{"messages": [{"role": "user", "content": "hi"}]}', "no assistant message"),
    ],
)
def test_refuses_what_is_not_chat_data_naming_the_line(tmp_path: Path, line: str, why: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"messages": CONVERSATION}) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(TrainingDataError) as raised:
        read_examples(path)
    assert "bad.jsonl, line 2" in str(raised.value)
    assert why in str(raised.value)
