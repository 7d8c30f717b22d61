"""Less reading for the model: only the sentences around the hit, only the passages that count.

Every prompt token costs the local model time before its first word (about 140 tokens per second
on two cores), so a passage goes into the prompt as the window of sentences around the ones that
share the most words with the question, and when the best passage is clearly better than the
rest, the rest stay out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

from tgtrainer.knowledge.types import Passage

ELLIPSIS = "…"
STEM = 5
"""Words compare by their first letters, so that "iterators" meets "iterator"."""

_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=\S)|\n+")
_WORD = re.compile(r"\w+")
_FILLER = frozenset(
    _WORD.findall(
        "a an and are as at be by can could do does did for from has have how i if in into is it "
        "its me my of on or so than that the their them then there these this those to was were "
        "what when where which who whom whose why will with would you your"
    )
)


def query_words(query: str) -> frozenset[str]:
    """The question's words that say something, stemmed."""
    return frozenset(_stem(word) for word in _WORD.findall(query.lower()) if word not in _FILLER)


def sentences(text: str) -> list[str]:
    """The text cut after each sentence end and at line breaks (a code line is one piece)."""
    return [piece.strip() for piece in _SENTENCE_END.split(text) if piece.strip()]


def excerpt(text: str, query: str, count_tokens: Callable[[str], int], max_tokens: int) -> str:
    """`text` itself when it fits in `max_tokens`; else the sentence that shares the most of the
    question's words, each word weighed by how few of the sentences hold it (the first of equals;
    the opening when none shares any), widened by its neighbours, after and before in turn, while
    it fits. A cut end is marked with an ellipsis."""
    if count_tokens(text) <= max_tokens:
        return text
    pieces = sentences(text)
    wanted = query_words(query)
    shared = [wanted & _words(piece) for piece in pieces]
    # A word found in many of the passage's sentences says little about which one answers.
    spread = Counter(word for words in shared for word in words)
    scores = [sum(1 / spread[word] for word in words) for words in shared]
    best = max(range(len(pieces)), key=lambda index: (scores[index], -index))
    first = last = best
    growing = True
    while growing:
        growing = False
        for candidate in (last + 1, first - 1):
            if not 0 <= candidate < len(pieces):
                continue
            low, high = min(first, candidate), max(last, candidate)
            if count_tokens(_joined(pieces, low, high)) <= max_tokens:
                first, last, growing = low, high, True
    window = _joined(pieces, first, last)
    if count_tokens(window) > max_tokens:  # one sentence longer than the budget: its words
        window = _head(window, count_tokens, max_tokens)
    before = ELLIPSIS + " " if first > 0 else ""
    after = " " + ELLIPSIS if last < len(pieces) - 1 else ""
    return before + window + after


def clear_leaders(passages: Sequence[Passage], gap: float) -> list[Passage]:
    """The first (best ranked) passage and those whose score comes within `gap` of its score:
    when the best is clearly best, the others only cost reading time."""
    if not passages:
        return []
    top = passages[0].score
    return [passages[0], *(p for p in passages[1:] if p.score >= top - gap)]


def _stem(word: str) -> str:
    return word[:STEM]


def _words(text: str) -> frozenset[str]:
    return frozenset(_stem(word) for word in _WORD.findall(text.lower()))


def _joined(pieces: Sequence[str], first: int, last: int) -> str:
    return " ".join(pieces[first : last + 1])


def _head(text: str, count_tokens: Callable[[str], int], max_tokens: int) -> str:
    words = text.split()
    low, high = 1, len(words)
    while low < high:  # the most words that fit, found by bisection
        middle = (low + high + 1) // 2
        if count_tokens(" ".join(words[:middle])) <= max_tokens:
            low = middle
        else:
            high = middle - 1
    return " ".join(words[:low])
