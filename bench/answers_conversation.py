"""Document questions one after another in one chat: where the passages go in the prompt.

The bot puts a question's passages before the question, in the user's message, and the
instructions for them at the end of the system prompt while the chat has documents, so that the
system prompt and the conversation so far stay the same from turn to turn and llama.cpp reads
only the new turn (it reuses the longest prefix it has evaluated). Before, instructions and
passages were in the system prompt, which changed with every question, so every turn read the
whole conversation again. This asks each held-out manual's checked questions
(bench/eval/answer_checks_heldout.json, 15 per manual) one after another in one chat, history
kept as the bot keeps it, once with each layout (the layouts take turns going first), with the
bundled local model sampling with seed 7. Reported for each layout: answers right, seconds to
the first streamed piece for the turns after the first (p50/p95, and the p50 of the paired
ratios turn by turn), and that p50 by turn number.

    python -m bench.answers_conversation [--turns N]

Printed and written to bench/results/answers_conversation.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.answers_heldout import CHECKS, learned_library
from bench.knowledge import RESULTS, answering_settings, grounder_like_the_bot, percentile
from tgtrainer.core import ChatRef, UserRef
from tgtrainer.core.context import fit_to_context
from tgtrainer.core.grounding import Grounder, Grounding
from tgtrainer.llm import ChatMessage, ChatModel
from tgtrainer.llm.factory import build_chat_model
from tgtrainer.llm.weights import bundled_model_path

Layout = Callable[[str, list[ChatMessage], Grounding], tuple[str, list[ChatMessage]]]
"""(system prompt, history ending with the question, grounding) -> what the model is given."""


BEFORE_INSTRUCTIONS = (
    "Below are numbered passages from documents the user gave you. Answer from them when they "
    "help, and cite the passages you use by their number, like [1] or [2]. If they do not hold "
    "the answer, say so and answer from general knowledge."
)
"""The instructions as they were, when the passages followed them in the system prompt."""


def before_the_question(
    system: str, history: list[ChatMessage], grounding: Grounding
) -> tuple[str, list[ChatMessage]]:
    """The bot's: the instructions end the system prompt, the passages go with the question."""
    *earlier, question = history
    asked = ChatMessage("user", grounding.question(question.content))
    return grounding.system_prompt(system), [*earlier, asked]


def in_the_system_prompt(
    system: str, history: list[ChatMessage], grounding: Grounding
) -> tuple[str, list[ChatMessage]]:
    """Before: the instructions and the passages at the end of the system prompt."""
    if not grounding.passages:
        return (f"{system}\n\n{grounding.context}" if grounding.context else system), history
    return f"{system}\n\n{BEFORE_INSTRUCTIONS}\n\n{grounding.context}", history


LAYOUTS: dict[str, Layout] = {
    "passages before the question (the bot's)": before_the_question,
    "passages in the system prompt (before)": in_the_system_prompt,
}


async def conversation(
    model: ChatModel,
    grounder: Grounder,
    system: str,
    checks: list[dict[str, Any]],
    layout: Layout,
) -> list[dict[str, Any]]:
    """Ask `checks` in one chat, each question after the answers to the ones before."""
    budget = model.context_tokens - model.max_reply_tokens
    history: list[ChatMessage] = []
    turns = []
    for check in checks:
        question = check["question"]
        asked = time.perf_counter()
        grounding = await grounder.ground(
            ChatRef(1, "private"), UserRef(1, "bench"), question, model.count_tokens, budget // 2
        )
        system_prompt, messages = layout(
            system, [*history, ChatMessage("user", question)], grounding
        )
        prompt = fit_to_context(system_prompt, messages, model.count_tokens, budget)
        first_piece: float | None = None
        pieces: list[str] = []
        async for piece in model.stream(prompt):
            if first_piece is None:
                first_piece = time.perf_counter() - asked
            pieces.append(piece)
        reply = "".join(pieces)
        history += [ChatMessage("user", question), ChatMessage("assistant", reply)]
        turns.append(
            {
                "question": question,
                "right": any(phrase in reply.lower() for phrase in check["accepted"]),
                "first_piece_s": round(first_piece or 0.0, 2),
                "prompt_tokens": sum(model.count_tokens(m.content) + 4 for m in prompt),
            }
        )
    return turns


def summary(chats: list[list[dict[str, Any]]]) -> dict[str, Any]:
    later = [turn["first_piece_s"] for chat in chats for turn in chat[1:]]
    longest = max(len(chat) for chat in chats)
    return {
        "right": sum(turn["right"] for chat in chats for turn in chat),
        "questions": sum(len(chat) for chat in chats),
        "first_piece_s_after_turn_1": {
            "p50": round(statistics.median(later), 2),
            "p95": round(percentile(later, 0.95), 2),
        },
        "first_piece_s_p50_by_turn": [
            round(statistics.median(chat[n]["first_piece_s"] for chat in chats if len(chat) > n), 2)
            for n in range(longest)
        ],
        "prompt_tokens_p50": statistics.median(t["prompt_tokens"] for c in chats for t in c),
    }


async def main(turns: int | None, model_dir: Path) -> dict[str, Any]:
    evaluation = json.loads(CHECKS.read_text("utf-8"))
    by_manual: dict[str, list[dict[str, Any]]] = {}
    for check in evaluation["checks"]:
        by_manual.setdefault(check["format"], []).append(check)
    settings = answering_settings(model_dir)
    model = build_chat_model(settings)
    await model.warm_up()
    chats: dict[str, list[list[dict[str, Any]]]] = {name: [] for name in LAYOUTS}
    with tempfile.TemporaryDirectory() as tmp:
        async with learned_library(Path(tmp), evaluation["documents"]) as library:
            grounder = grounder_like_the_bot(library, settings)
            for number, checks in enumerate(by_manual.values()):
                names = list(LAYOUTS) if number % 2 == 0 else list(reversed(LAYOUTS))
                for name in names:
                    chat = await conversation(
                        model, grounder, settings.system_prompt, checks[:turns], LAYOUTS[name]
                    )
                    chats[name].append(chat)
    await model.aclose()
    results: dict[str, Any] = {"chats": len(by_manual), "turns_each": turns or "all"}
    for name, layout_chats in chats.items():
        results[name] = summary(layout_chats) | {"chats": layout_chats}
    bots, before = (chats[name] for name in LAYOUTS)
    ratios = [
        old["first_piece_s"] / new["first_piece_s"]
        for old_chat, new_chat in zip(before, bots, strict=True)
        for old, new in zip(old_chat[1:], new_chat[1:], strict=True)
    ]
    results["paired_ratio_before_over_bots_p50"] = round(statistics.median(ratios), 2)
    for name in LAYOUTS:
        figures = results[name]
        print(
            f"{name}: {figures['right']}/{figures['questions']} right; first piece after the"
            f" first turn p50 {figures['first_piece_s_after_turn_1']['p50']} s, p95"
            f" {figures['first_piece_s_after_turn_1']['p95']} s; by turn"
            f" {figures['first_piece_s_p50_by_turn']}",
            flush=True,
        )
    print(f"paired ratio, before / the bot's: p50 {results['paired_ratio_before_over_bots_p50']}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "answers_conversation.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False)
    )
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=None, help="only the first N of each chat")
    parser.add_argument("--data-dir", type=Path, default=Path("data"), help="where the model is")
    arguments = parser.parse_args()
    if arguments.turns is not None and arguments.turns < 2:
        parser.error("--turns: at least 2 (the figures are for the turns after the first)")
    bundled_model_path(arguments.data_dir)  # joined once, outside every timing
    asyncio.run(main(arguments.turns, arguments.data_dir))
