"""The assistant: conversation memory + chat model, per chat, with no Telegram in sight."""

from __future__ import annotations

from collections.abc import AsyncIterator

from tgtrainer.config import Settings
from tgtrainer.core.access import AccessPolicy
from tgtrainer.core.context import fit_to_context
from tgtrainer.core.grounding import Grounder, Grounding, source_list
from tgtrainer.core.types import ChatRef, UserRef
from tgtrainer.llm import ChatMessage, ChatModel
from tgtrainer.storage import ConversationStore

HISTORY_ROWS = 200  # more than any context holds; fit_to_context trims by tokens


class Turn:
    """One answer in the making: the prompt is fixed when the turn begins.

    With a grounder, `prepare()` (which `stream()` calls) first puts the chat's relevant passages
    into the prompt. Iterate `stream()` for the reply's pieces, then call `finish()` with the ids
    of the messages that show it, which stores the reply in the conversation and, when grounded,
    the passages it rested on as the chat's sources.
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
    ) -> None:
        self._store = store
        self._model = model
        self._chat = chat
        self._user = user
        self._question = question
        self._user_message_id = user_message_id
        self._history = history
        self._system_prompt = system_prompt
        self._budget = model.context_tokens - model.max_reply_tokens
        self.prompt = fit_to_context(system_prompt, history, model.count_tokens, self._budget)
        self.model_name = model_name
        self.text = ""
        self._grounder = grounder
        self.grounding: Grounding | None = None

    async def prepare(self) -> None:
        """Retrieve the chat's relevant passages into the prompt (once; `stream` calls it)."""
        if self._grounder is None or self.grounding is not None:
            return
        count = self._model.count_tokens
        # Passages get at most half the prompt: the conversation keeps the rest.
        grounding = await self._grounder.ground(
            self._chat, self._user, self._question, self._system_prompt, count, self._budget // 2
        )
        self.prompt = fit_to_context(grounding.system_prompt, self._history, count, self._budget)
        self.grounding = grounding

    @property
    def display_text(self) -> str:
        """The reply as shown: a note when the documents had nothing, the sources below it."""
        if self.grounding is None:
            return self.text
        notice = f"{self.grounding.notice}\n\n" if self.grounding.notice else ""
        return notice + self.text + source_list(self.grounding.passages)

    async def stream(self) -> AsyncIterator[str]:
        """The reply's pieces as the model writes them; raises `llm.ModelError` subclasses."""
        await self.prepare()
        async for piece in self._model.stream(self.prompt, model=self.model_name):
            self.text += piece
            yield piece

    def shown(self, telegram_message_id: int) -> None:
        """A message of the reply was sent before the reply is finished (a restart withdraws
        it before answering again)."""
        self._store.add_reply_part(self._user_message_id, telegram_message_id)

    def fail(self) -> None:
        """The user was told why there is no answer: the question is never answered again."""
        self._store.close(self._user_message_id)

    def finish(self, telegram_message_ids: list[int]) -> None:
        self._store.record_reply(
            self._chat.id, self._user_message_id, self.text, telegram_message_ids
        )
        self._store.forget_reply_parts(self._user_message_id)  # they are the reply's now
        if self._grounder is not None and self.grounding is not None:
            self._grounder.remember(self._chat, self.grounding)


class Assistant:
    def __init__(
        self,
        settings: Settings,
        store: ConversationStore,
        model: ChatModel,
        grounder: Grounder | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._model = model
        self.access = AccessPolicy(settings.allowed_users, settings.admin_user_ids)
        self.grounder = grounder

    def remember(self, chat: ChatRef, user: UserRef | None) -> None:
        """Keep the chat's and the user's current names."""
        self._store.upsert_chat(chat.id, chat.type, chat.title)
        if user is not None:
            self._store.upsert_user(user.id, user.first_name, user.username, user.language_code)

    def begin_turn(self, chat: ChatRef, user: UserRef, text: str, message_id: int) -> Turn | None:
        """Store the user's message and prepare the answer; None if it was answered already."""
        self.remember(chat, user)
        incoming = self._store.record_user_message(chat.id, user.id, text, message_id)
        if incoming.answered:
            return None
        history = [
            ChatMessage(stored.role, stored.text)
            for stored in self._store.history(chat.id, HISTORY_ROWS)
            if stored.id <= incoming.id
        ]
        return Turn(
            self._store,
            self._model,
            chat,
            user,
            text,
            incoming.id,
            history,
            self.system_prompt(chat),
            self._store.settings(chat.id).model,
            self.grounder,
        )

    def receive(self, chat: ChatRef, user: UserRef, text: str, message_id: int) -> None:
        """Store a question as soon as it arrives, before its turn comes: a crash while it
        waits leaves it unanswered in the database, for `Recovery` to answer."""
        self.remember(chat, user)
        self._store.record_user_message(chat.id, user.id, text, message_id)

    def discard(self, chat: ChatRef, message_id: int) -> None:
        """A message stored on arrival was not a question after all (text taught by /teach)."""
        self._store.discard_unanswered(chat.id, message_id)

    def close(self, chat: ChatRef, message_id: int) -> None:
        """The user was told why message `message_id` has no answer: never answer it."""
        self._store.close_by_telegram_id(chat.id, message_id)

    def already_answered(self, chat: ChatRef, message_id: int) -> bool:
        """Was this message answered before (an update delivered again after a restart)?"""
        return self._store.is_answered(chat.id, message_id)

    def reset(self, chat: ChatRef) -> None:
        self.remember(chat, None)
        self._store.start_new_conversation(chat.id)

    async def available_models(self) -> list[str]:
        return await self._model.list_models()

    async def current_model(self, chat: ChatRef) -> str:
        chosen = self._store.settings(chat.id).model
        return chosen if chosen is not None else (await self.available_models())[0]

    async def choose_model(self, chat: ChatRef, name: str) -> bool:
        """Use model `name` in this chat from now on; False if the backend does not offer it."""
        if name not in await self.available_models():
            return False
        self.remember(chat, None)
        self._store.set_model(chat.id, name)
        return True

    def system_prompt(self, chat: ChatRef) -> str:
        own = self._store.settings(chat.id).system_prompt
        return own if own is not None else self._settings.system_prompt

    def has_own_system_prompt(self, chat: ChatRef) -> bool:
        return self._store.settings(chat.id).system_prompt is not None

    def set_system_prompt(self, chat: ChatRef, text: str | None) -> None:
        """Give the chat its own system prompt; None restores the default."""
        self.remember(chat, None)
        self._store.set_system_prompt(chat.id, text)
