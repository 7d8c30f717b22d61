"""`LlamaCppChatModel` with the real bundled model (slow tests marked `local_model`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest

from tgtrainer.config import Settings
from tgtrainer.llm import ChatMessage, ModelConfigurationError, PromptTooLongError
from tgtrainer.llm.local import LOAD_FAILED, UNKNOWN_MODEL, LlamaCppChatModel
from tgtrainer.llm.weights import bundled_model_path

pytest.importorskip("llama_cpp")

SYSTEM = ChatMessage("system", "You are a helpful assistant. Answer in one short sentence.")


def licence_text(characters: int) -> str:
    """Plain English every Debian system has (base-files), about 4.5 characters a token."""
    return Path("/usr/share/common-licenses/GPL-3").read_text()[:characters]


def ask(question: str) -> list[ChatMessage]:
    return [SYSTEM, ChatMessage("user", question)]


@pytest.fixture(scope="module")
def gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bundled_model_path(tmp_path_factory.mktemp("bundled"))


def make_model(data_dir: Path, default: Path, **overrides: Any) -> LlamaCppChatModel:
    values: dict[str, Any] = {"data_dir": data_dir, "llm_max_tokens": 48, "llm_threads": 0}
    values.update(overrides)
    return LlamaCppChatModel(Settings.model_validate(values), default)


@pytest.fixture
async def model(tmp_path: Path, gguf: Path) -> AsyncIterator[LlamaCppChatModel]:
    model = make_model(tmp_path, gguf)
    yield model
    await model.aclose()


@pytest.mark.local_model
async def test_the_capital_of_france_streams_in_pieces(model: LlamaCppChatModel) -> None:
    pieces = [piece async for piece in model.stream(ask("What is the capital of France?"))]
    assert len(pieces) > 1
    assert "Paris" in "".join(pieces)


@pytest.mark.local_model
async def test_two_requests_at_once_are_both_answered_one_after_the_other(
    model: LlamaCppChatModel,
) -> None:
    events: list[tuple[str, str]] = []

    async def answer(tag: str, question: str) -> str:
        text = ""
        async for piece in model.stream(ask(question)):
            events.append((tag, piece))
            text += piece
        return text

    france, italy = await asyncio.gather(
        answer("fr", "What is the capital of France?"),
        answer("it", "What is the capital of Italy?"),
    )
    assert "Paris" in france
    assert "Rome" in italy
    tags = [tag for tag, _ in events]
    assert tags == sorted(tags, key=tags[0].__ne__), "the two generations interleaved"


@pytest.mark.local_model
async def test_count_tokens_uses_the_tokenizer_once_loaded(model: LlamaCppChatModel) -> None:
    text = "What is the capital of France?"
    assert model.count_tokens(text) == len(text) // 3 + 1  # the estimate, before loading
    await model.warm_up()
    assert model.count_tokens(text) == 7
    assert model.count_tokens("Paris " * 100) > 100


@pytest.mark.local_model
async def test_stopping_early_ends_the_generation_soon(
    tmp_path: Path, gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = make_model(tmp_path, gguf, llm_max_tokens=1000)  # some 30 s if not stopped
    generated: list[object] = []
    generate = model._generate

    def counting(llama: Any, messages: Any, stop: Any, emit: Any) -> None:
        generate(llama, messages, stop, lambda item: (generated.append(item), emit(item)))

    monkeypatch.setattr(model, "_generate", counting)
    stream = cast(AsyncGenerator[str, None], model.stream(ask("Count from 1 to 500.")))
    async for _ in stream:
        break
    await stream.aclose()  # returns once the worker thread has finished
    pieces = len(generated) - 1  # the last item is the end marker
    assert pieces < 20, f"{pieces} pieces were generated after the reader stopped"
    assert "Paris" in await model.complete(ask("What is the capital of France?"))
    await model.aclose()


@pytest.mark.local_model
async def test_a_cancelled_reply_lets_the_next_one_through(tmp_path: Path, gguf: Path) -> None:
    model = make_model(tmp_path, gguf, llm_max_tokens=1000)
    first_piece = asyncio.Event()

    async def long_reply() -> None:
        async for _ in model.stream(ask("Count from 1 to 500.")):
            first_piece.set()

    task = asyncio.create_task(long_reply())
    await first_piece.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    answer = await model.complete(ask("What is the capital of France?"))
    assert "Paris" in answer
    await model.aclose()


@pytest.mark.local_model
async def test_other_gguf_files_are_offered_and_can_be_chosen(tmp_path: Path, gguf: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "second.gguf").symlink_to(gguf)
    model = make_model(tmp_path, gguf)
    assert await model.list_models() == [gguf.stem, "second"]  # the default first, by its stem
    assert "Paris" in await model.complete(ask("What is the capital of France?"), model="second")
    with pytest.raises(ModelConfigurationError) as raised:
        await model.complete(ask("Hi"), model="third")
    assert str(raised.value) == UNKNOWN_MODEL
    await model.aclose()


@pytest.mark.local_model
async def test_a_seed_makes_the_same_question_get_the_same_answer(
    tmp_path: Path, gguf: Path
) -> None:
    story = ask("Write the first sentence of a story about a cat.")
    seven = make_model(tmp_path, gguf, llm_seed=7)
    first, again = await seven.complete(story), await seven.complete(story)
    await seven.aclose()
    eight = make_model(tmp_path, gguf, llm_seed=8)
    other = await eight.complete(story)
    await eight.aclose()
    assert first == again
    assert other != first, "another seed samples another answer"


@pytest.mark.local_model
async def test_a_prompt_longer_than_one_micro_batch_is_read_whole(model: LlamaCppChatModel) -> None:
    # PROMPT_READING reads prompts in 1,024-token micro-batches: the fact sits in the first one,
    # the question after the second.
    system = ChatMessage("system", "The door code of the office is 4711.\n\n" + licence_text(7000))
    question = ChatMessage("user", "What is the door code of the office? Answer with the number.")
    reply = await model.complete([system, question])
    assert model.count_tokens(system.content) > 1024
    assert "4711" in reply


@pytest.mark.local_model
async def test_a_prompt_over_the_context_window_asks_for_a_reset(
    tmp_path: Path, gguf: Path
) -> None:
    model = make_model(tmp_path, gguf, llm_context_tokens=256)
    with pytest.raises(PromptTooLongError, match="/reset"):
        await model.complete(ask("Paris " * 400))
    await model.aclose()


async def test_a_file_that_is_not_a_model_gives_a_sentence(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"not a model at all")
    model = make_model(tmp_path, broken)
    with pytest.raises(ModelConfigurationError) as raised:
        await model.complete(ask("Hi"))
    assert str(raised.value) == LOAD_FAILED
    assert "broken" in raised.value.detail


async def test_constructing_reads_nothing(tmp_path: Path) -> None:
    model = make_model(tmp_path, tmp_path / "nowhere.gguf")
    assert await model.list_models() == ["nowhere"]
    assert model.count_tokens("abcdef") == 3
    assert not (tmp_path / "models").exists()
