"""A chat model for core tests: answers with a function of the prompt, records every prompt."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence

from tgtrainer.llm import ChatMessage, ChatModel

__all__ = ["Reply", "ScriptedChatModel"]

Reply = Callable[[Sequence[ChatMessage]], str]


class ScriptedChatModel(ChatModel):
    def __init__(
        self, reply: Reply, *, context_tokens: int = 4096, models: list[str] | None = None
    ):
        self.reply = reply
        self.context_tokens = context_tokens
        self.max_reply_tokens = 64
        self.prompts: list[list[ChatMessage]] = []
        self._models = models or ["scripted"]

    async def stream(
        self, messages: Sequence[ChatMessage], *, model: str | None = None
    ) -> AsyncIterator[str]:
        self.prompts.append(list(messages))
        for word in self.reply(messages).split(" "):
            yield word + " "

    async def list_models(self) -> list[str]:
        return list(self._models)
