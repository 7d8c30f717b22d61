"""One answer in the making: its prompt, the model's pieces, and what is stored once it is shown."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import asdict

from tgtrainer.core.context import PER_MESSAGE_OVERHEAD, fit_to_context
from tgtrainer.core.grounding import Grounder, Grounding, source_list, with_instructions
from tgtrainer.core.photos import Photos, Picture, without_pictures
from tgtrainer.core.quotas import Quotas
from tgtrainer.core.types import ChatRef, UserRef
from tgtrainer.llm import ChatMessage, ChatModel, PicturesRefusedError
from tgtrainer.storage import ConversationStore
from tgtrainer.storage.feedback import AnswerLogStore, AnswerRecord


class Turn:
    """One answer in the making: the prompt is fixed when the turn begins.

    With a grounder, `prepare()` (which `stream()` calls) first puts the chat's relevant passages
    into the prompt. Iterate `stream()` for the reply's pieces, then call `finish()` with the ids
    of the messages that show it, which stores the reply in the conversation and, when grounded,
    the passages it rested on as the chat's sources. With an answer log, `finish` also records
    what the answer was made from: the exact prompt, the model and the passages.
    """

    def __init__(
        self,
        store: ConversationStore,
        model: ChatModel,
        chat: ChatRef,
        user: UserRef,
        question: str,
        user_message_id: int,
        history: list[ChatMessage],
        system_prompt: str,
        model_name: str | None,
        grounder: Grounder | None = None,
        answer_log: AnswerLogStore | None = None,
        quotas: Quotas | None = None,
        adapter: str | None = None,
        *,
        photos: Photos | None = None,
        picture: Picture | None = None,
    ) -> None:
        """`adapter`: `model_name` is an adapter on the default (base) model. `photos` and
        `picture`: see `core.photos`; `picture` is what this message shows."""
        self._store = store
        self._quotas = quotas
        self._answer_log = answer_log
        self._model = model
        self._chat = chat
        self._user = user
        self._question = question
        self._user_message_id = user_message_id
        self._history = history
        self._system_prompt = system_prompt
        self._budget = model.context_tokens - model.max_reply_tokens
        self._grounder = grounder
        self.grounding: Grounding | None = None
        self.prompt = self._fitted_prompt()
        self._chat_model = model_name
        self._photos = photos
        self._picture = picture
        self.adapter = adapter
        self.model_name = self._model_for_prompt()
        # the model's name, once it has answered (an adapter's base is the backend's default)
        self.answered_by: str | None = None if adapter is not None else self.model_name
        self.text = ""
        self.picture_notice: str | None = None  # the model refused the picture: said once

    def _model_for_prompt(self) -> str | None:
        """VISION_MODEL (or the chat's model) when the prompt carries a picture."""
        if self._photos is not None and any(message.images for message in self.prompt):
            return self._photos.model_for_pictures(self._chat_model)
        return self._chat_model

    async def prepare(self) -> None:
        """Retrieve the chat's relevant passages into the prompt (once; `stream` calls it)."""
        if self._grounder is None or self.grounding is not None:
            return
        count = self._model.count_tokens
        # Passages get at most half the prompt, and never crowd out the question itself.
        asked = count(with_instructions(self._system_prompt)) + PER_MESSAGE_OVERHEAD
        if self._history:
            asked += count(self._history[-1].content) + PER_MESSAGE_OVERHEAD
        budget = max(0, min(self._budget // 2, self._budget - asked))
        self.grounding = await self._grounder.ground(
            self._chat, self._user, self._question, count, budget
        )
        self.prompt = self._fitted_prompt()

    def _fitted_prompt(self) -> list[ChatMessage]:
        """The system prompt and the newest history that fit; once grounded, the instructions
        end the system prompt and the passages come before the newest message (the question)."""
        grounding = self.grounding or Grounding()
        history = self._history
        if history:
            *before, question = history
            content = grounding.question(question.content)
            history = [*before, ChatMessage(question.role, content, question.images)]
        system = grounding.system_prompt(self._system_prompt)
        return fit_to_context(system, history, self._model.count_tokens, self._budget)

    def _drop_pictures(self) -> None:
        """The model refused the pictures: the prompt keeps their text only, and goes to the
        chat's model."""
        assert self._photos is not None
        self._photos.refused(self.model_name)
        self._answer_without_picture()
        self._history = without_pictures(self._history)
        self.prompt = self._fitted_prompt()
        self.model_name = self.answered_by = self._chat_model

    def _answer_without_picture(self) -> None:
        """This message's picture does not reach the model (it refused pictures): answer from
        its text, and say so once in the chat; with no text, there is nothing to answer from."""
        assert self._photos is not None
        if self._picture is not None and not self._picture.text.strip():
            raise PicturesRefusedError(
                "refused, and no text was read in the picture",
                user_message="This model does not accept pictures, and I found no text in this "
                "one, so I can't answer about it. Set VISION_MODEL to a model that sees images.",
            )
        self.picture_notice = self._photos.sight.tell_refused(self._chat.id)

    @property
    def display_text(self) -> str:
        """The reply as shown: a note when the documents had nothing, the sources below it."""
        above = f"{self.picture_notice}\n\n" if self.picture_notice else ""
        if self.grounding is None:
            return above + self.text
        notice = f"{self.grounding.notice}\n\n" if self.grounding.notice else ""
        return above + notice + self.text + source_list(self.grounding.passages)

    async def stream(self) -> AsyncIterator[str]:
        """The reply's pieces as the model writes them; raises `llm.ModelError` subclasses."""
        await self.prepare()
        shown = any(message.images for message in self.prompt)
        if self._picture is not None and self._photos is not None and not shown:
            self._answer_without_picture()  # the model refused pictures in an earlier turn
        try:
            async for piece in self._model.stream(self.prompt, model=self.model_name):
                self.text += piece
                yield piece
        except PicturesRefusedError:
            if self.text or self._photos is None or not any(m.images for m in self.prompt):
                raise
            self._drop_pictures()
            async for piece in self._model.stream(self.prompt, model=self.model_name):
                self.text += piece
                yield piece
        if self.answered_by is None and self._answer_log is not None:
            # Asked of the model, not listed: listing may cost a request on every answer.
            self.answered_by = self._model.default_model or await self._default_model_name()

    async def _default_model_name(self) -> str | None:
        try:
            names = await self._model.list_models()
        except Exception:  # the name is a detail of the log: the answer stands without it
            return None
        return names[0] if names else None

    def shown(self, telegram_message_id: int) -> None:
        """A message of the reply was sent before the reply is finished (a restart withdraws
        it before answering again)."""
        self._store.add_reply_part(self._user_message_id, telegram_message_id)

    def fail(self) -> None:
        """The user was told why there is no answer: the question is never answered again."""
        self._store.close(self._user_message_id)

    def finish(self, telegram_message_ids: list[int]) -> None:
        """The answer is shown by `telegram_message_ids` (the last one carries any buttons)."""
        answer_id = self._store.record_reply(
            self._chat.id, self._user_message_id, self.text, telegram_message_ids
        )
        self._store.forget_reply_parts(self._user_message_id)  # they are the reply's now
        if self._grounder is not None and self.grounding is not None:
            self._grounder.remember(self._chat, self.grounding)
        if self._quotas is not None:
            count = self._model.count_tokens
            used = sum(count(message.content) for message in self.prompt) + count(self.text)
            self._quotas.count_tokens(self._user.id, used)
        if self._answer_log is not None:
            passages = self.grounding.passages if self.grounding is not None else []
            self._answer_log.record(
                AnswerRecord(
                    answer_id,
                    self._chat.id,
                    telegram_message_ids[-1] if telegram_message_ids else None,
                    [{"role": m.role, "content": m.content} for m in self.prompt],
                    self.answered_by,
                    adapter=self.adapter,
                    sources=[asdict(passage) for passage in passages],
                )
            )
