"""Answers grounded in the chat's documents: retrieve, budget, number, cite.

The core sees retrieval only through the `Retriever` protocol; the knowledge base behind it is
chosen in a factory. A chat draws on its own scope (the user's in a private chat, the group's in
a group) and on the global collection; never on another user's private documents.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from tgtrainer.core.excerpts import clear_leaders, excerpt
from tgtrainer.core.types import ChatRef, UserRef
from tgtrainer.knowledge.types import GLOBAL_SCOPE, Passage, chat_scope, user_scope
from tgtrainer.storage.knowledge_state import LastSourcesStore

log = logging.getLogger(__name__)

NOTHING_FOUND = "_I have nothing on that in my documents; this answer is from general knowledge._"
INSTRUCTIONS = (
    "The user's question may come after numbered passages from documents the user gave you. "
    "Answer from them when they help, and cite the passages you use by their number, like [1] "
    "or [2]. If they do not hold the answer, say so and answer from general knowledge."
)
GENERAL_KNOWLEDGE = (
    "The user's documents hold nothing on this question: say so briefly and answer from "
    "general knowledge."
)
PASSAGE_TOKENS = 120
"""The most a passage puts in the prompt: the sentences around the hit (see `core.excerpts`)."""
SCORE_GAP = 0.2
"""Passages scoring this much below the best ranked one stay out of the prompt."""
QUESTION_LABEL = "Question: "


class Retriever(Protocol):
    async def search(self, query: str, scopes: Sequence[str], k: int) -> list[Passage]: ...

    def has_documents(self, scopes: Sequence[str]) -> bool: ...


def scopes_for(chat: ChatRef, user: UserRef | None) -> list[str]:
    """Where a chat's answers may come from: its own documents and the global collection."""
    if chat.is_private and user is not None:
        return [user_scope(user.id), GLOBAL_SCOPE]
    return [chat_scope(chat.id), GLOBAL_SCOPE]


def teaching_scope(chat: ChatRef, user: UserRef) -> str:
    """Where what is taught in this chat goes: the user's own in private, else the group's."""
    return user_scope(user.id) if chat.is_private else chat_scope(chat.id)


def with_instructions(system_prompt: str) -> str:
    """The system prompt of a chat that has documents."""
    return f"{system_prompt}\n\n{INSTRUCTIONS}"


@dataclass(slots=True)
class Grounding:
    """What the chat's documents add to one question. While the chat has documents, the
    instructions end the system prompt (the same every turn); `context` goes before the
    question in the user's message: the numbered passages, or a note that there were none."""

    context: str | None = None
    passages: list[Passage] = field(default_factory=list)
    notice: str | None = None  # shown above the answer when the documents had nothing

    def system_prompt(self, base: str) -> str:
        """`base` with the instructions when the chat has documents."""
        return base if self.context is None else with_instructions(base)

    def question(self, text: str) -> str:
        """The question as the model reads it: after the context, when there is one."""
        return text if self.context is None else f"{self.context}\n\n{QUESTION_LABEL}{text}"


class Grounder:
    """Grounds each question in the chat's documents, and remembers what each chat's last
    answer rested on (for /sources) in `sources`; without one, nothing is remembered."""

    def __init__(
        self,
        retriever: Retriever,
        *,
        top_k: int,
        min_score: float,
        budget_tokens: int,
        sources: LastSourcesStore | None = None,
        passage_tokens: int = PASSAGE_TOKENS,
        score_gap: float = SCORE_GAP,
    ) -> None:
        self.retriever = retriever
        self._top_k = top_k
        self._min_score = min_score
        self._budget = budget_tokens
        self._passage_tokens = passage_tokens
        self._score_gap = score_gap
        self._sources = sources

    async def ground(
        self,
        chat: ChatRef,
        user: UserRef,
        question: str,
        count_tokens: Callable[[str], int],
        budget_tokens: int | None = None,
    ) -> Grounding:
        """The relevant passages, numbered, within the token budget.

        They go with the question, not in the system prompt: the system prompt and the
        conversation before this question stay the same from turn to turn, so a local model
        keeps them evaluated and reads only the new turn. Each passage brings only the
        sentences around the hit, and none when the best ranked one is clearly better.
        `passages` are whole."""
        scopes = scopes_for(chat, user)
        if not self.retriever.has_documents(scopes):
            return Grounding()
        try:
            found = await self.retriever.search(question, scopes, self._top_k)
        except Exception:  # retrieval is a bonus: the chat still answers without it
            log.exception("chat %s: retrieval failed; answering without documents", chat.id)
            return Grounding()
        relevant = clear_leaders([p for p in found if p.score >= self._min_score], self._score_gap)
        if not relevant:
            return Grounding(GENERAL_KNOWLEDGE, notice=NOTHING_FOUND)
        budget = min(self._budget, self._budget if budget_tokens is None else budget_tokens)
        used = 0
        kept: list[Passage] = []
        blocks: list[str] = []
        for passage in relevant:
            text = excerpt(passage.text, question, count_tokens, self._passage_tokens)
            block = f"[{len(kept) + 1}] ({passage.location})\n{text}"
            cost = count_tokens(block) + 2
            if used + cost > budget:
                continue  # a shorter passage further down may still fit
            kept.append(passage)
            blocks.append(block)
            used += cost
        if not kept:
            return Grounding(GENERAL_KNOWLEDGE, notice=NOTHING_FOUND)
        return Grounding("\n\n".join(blocks), kept)

    def remember(self, chat: ChatRef, grounding: Grounding) -> None:
        """The answer grounded in `grounding` was sent in `chat`: its passages are the chat's
        sources now (none when the documents had nothing)."""
        if self._sources is not None:
            self._sources.save(chat.id, grounding.passages)


def by_document(passages: Sequence[Passage]) -> list[tuple[str, list[tuple[int, Passage]]]]:
    """The passages with their numbers in the answer ([1] is the first), grouped by document,
    documents in the order they are first cited."""
    groups: dict[str, list[tuple[int, Passage]]] = {}
    for number, passage in enumerate(passages, start=1):
        groups.setdefault(passage.document, []).append((number, passage))
    return list(groups.items())


def source_list(passages: Sequence[Passage]) -> str:
    """The short list under an answer, in Markdown: one line per document with the numbers of
    its passages and their places, e.g. '[1][3] manual.pdf: p. 12 (Installation > Network),
    p. 14'."""
    if not passages:
        return ""
    lines = []
    for document, cited in by_document(passages):
        numbers = "".join(f"[{number}]" for number, _ in cited)
        places = list(dict.fromkeys(_place(passage) for _, passage in cited if _place(passage)))
        lines.append(f"{numbers} {document}" + (f": {', '.join(places)}" if places else ""))
    return "\n\n**Sources:**\n" + "\n".join(lines)


def _place(passage: Passage) -> str:
    """'p. 12 (Installation > Network)', 'p. 12', 'Installation > Network' or ''."""
    if passage.page is None:
        return passage.section
    return f"p. {passage.page}" + (f" ({passage.section})" if passage.section else "")
