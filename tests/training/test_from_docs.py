"""Question-and-answer examples from learned documents, written by a scripted model."""

from __future__ import annotations

from collections.abc import Sequence

from tgtrainer.llm import ChatMessage
from tgtrainer.storage.knowledge import Passage
from tgtrainer.testing.scripted_model import ScriptedChatModel
from tgtrainer.training.checks import chat_example_errors
from tgtrainer.training.from_docs import generate, grounded, parse_pairs

PASSAGE = Passage(
    7, "rules.pdf", "Acme's office opens at 9:30. Badges are renewed every March.", 0.0, page=2
)
OTHER = Passage(8, "rules.pdf", "Parking is free for visitors on weekends.", 0.0, page=3)


def reply(messages: Sequence[ChatMessage]) -> str:
    if "Parking" in messages[-1].content:
        return "Q: When does the office open?\nA: Parking is free for visitors on weekends.\n"
    return (
        "Q: When does the office open?\nA: Acme's office opens at 9:30.\n\n"
        "Q: When are badges renewed?\nA: Badges are renewed every March.\n"
        "Q: Who founded Acme?\nA: Wolfgang Zimmermann founded Acme in Hamburg.\n"
        "Q: When are badges renewed ?\nA: Badges are renewed every March.\n"
    )


def test_parse_pairs_reads_the_q_and_a_form() -> None:
    assert parse_pairs("Intro\nQ: One?\nA: First\nline.\nQ: Two?\nA: Second.") == [
        ("One?", "First line."),
        ("Two?", "Second."),
    ]


def test_grounded_needs_most_words_from_the_passage() -> None:
    assert grounded("Badges are renewed every March.", PASSAGE.text)
    assert not grounded("Wolfgang Zimmermann founded Acme in Hamburg.", PASSAGE.text)


async def test_examples_are_grounded_deduplicated_and_cite_their_passage() -> None:
    model = ScriptedChatModel(reply)
    done: list[int] = []
    result = await generate(
        model, [PASSAGE, OTHER], per_passage=4, system_prompt="Be brief.", progress=done.append
    )
    assert done == [1, 2]
    assert [e["messages"][1]["content"] for e in result.examples] == [
        "When does the office open?",
        "When are badges renewed?",
    ]
    assert result.examples[0]["messages"][0] == {"role": "system", "content": "Be brief."}
    assert result.examples[1]["messages"][2]["content"] == (
        "Badges are renewed every March.\n\nSource: rules.pdf, p. 2"
    )
    assert result.ungrounded == 1 and result.duplicates == 2
    assert all(chat_example_errors(e, 4096) == [] for e in result.examples)
    assert "rules.pdf, p. 2" in model.prompts[0][1].content
    assert "write 4 different questions" in model.prompts[0][0].content
