"""The assistant: conversation memory + chat model, per chat, with no Telegram in sight."""

from __future__ import annotations

from typing import Protocol

from tgtrainer.config import Settings
from tgtrainer.core.access import AccessPolicy
from tgtrainer.core.grounding import Grounder
from tgtrainer.core.photos import Photos, Picture
from tgtrainer.core.quotas import Quotas
from tgtrainer.core.turn import Turn
from tgtrainer.core.types import ChatRef, UserRef
from tgtrainer.errors import UserFacingError
from tgtrainer.llm import ChatMessage, ChatModel, ImagePart
from tgtrainer.storage import ConversationStore, StoredMessage
from tgtrainer.storage.feedback import AnswerLogStore
from tgtrainer.storage.pictures import PictureStore

HISTORY_ROWS = 200  # more than any context holds; fit_to_context trims by tokens
MAX_SYSTEM_PROMPT_CHARS = 4000
"""About 1,000 tokens: a quarter of the smallest context we run, leaving room for the
conversation and the documents' passages."""


NO_ADAPTERS = "There are no trained adapters here."


class SystemPromptTooLongError(UserFacingError):
    """A chat's own system prompt over `MAX_SYSTEM_PROMPT_CHARS`; the sentence gives both sizes."""


class FineTunedModels(Protocol):
    """Where the models fine-tuning made come from (`core.training.Training`): a service's
    fine-tuned models, or the local model's kept adapters, one of which may be everyone's
    default."""

    def fine_tuned_models(self) -> list[str]: ...

    def adapters(self) -> list[str]:
        """The names among `fine_tuned_models` that are adapters on the base model."""
        ...

    def default_model(self) -> str | None:
        """The adapter chats without a choice of their own use; None: the base model."""
        ...

    def set_default_model(self, user_id: int | None, adapter: str | None) -> None:
        """Admins only: `adapter` (None: the base) becomes everyone's default."""
        ...


class Assistant:
    def __init__(
        self,
        settings: Settings,
        store: ConversationStore,
        model: ChatModel,
        grounder: Grounder | None = None,
        answer_log: AnswerLogStore | None = None,
        fine_tuned: FineTunedModels | None = None,
        *,
        access: AccessPolicy | None = None,
        quotas: Quotas | None = None,
        photos: Photos | None = None,
        pictures: PictureStore | None = None,
    ) -> None:
        """`answer_log`: where each answer's prompt, model and sources are recorded (for
        feedback and datasets); None records nothing. `fine_tuned`: the models fine-tuning
        made, offered by `/model` after the backend's own. `access` None: the configured lists
        only; `quotas` None: no limits. `photos` and `pictures`: the rules of pictures in a
        conversation and where they are kept; None: text only."""
        self._photos = photos
        self._pictures = pictures
        self._settings = settings
        self._fine_tuned = fine_tuned
        self._store = store
        self._model = model
        self._answer_log = answer_log
        self.access = access if access is not None else AccessPolicy.from_settings(settings)
        self.quotas = quotas
        self.grounder = grounder

    def remember(self, chat: ChatRef, user: UserRef | None) -> None:
        """Keep the chat's and the user's current names."""
        self._store.upsert_chat(chat.id, chat.type, chat.title)
        if user is not None:
            self._store.upsert_user(user.id, user.first_name, user.username, user.language_code)

    def begin_turn(
        self,
        chat: ChatRef,
        user: UserRef,
        text: str,
        message_id: int,
        *,
        picture: Picture | None = None,
        grounded: bool = True,
    ) -> Turn | None:
        """Store the user's message (and the `picture` it shows) and prepare the answer; None
        if it was answered already. `grounded` False: no documents are looked up (a photo
        without a caption asks nothing of them).

        Raises `QuotaExceededError` (nothing stored) when the user is over a daily limit.
        """
        if self.quotas is not None and not self._store.is_answered(chat.id, message_id):
            self.quotas.check_message(user.id)
        self.remember(chat, user)
        incoming = self._store.record_user_message(chat.id, user.id, text, message_id)
        if incoming.answered:
            return None
        if self.quotas is not None:
            self.quotas.count_message(user.id)
        if picture is not None and self._pictures is not None:
            self._pictures.save(incoming.id, picture.image.media_type, picture.image.data)
        model_name = self._store.settings(chat.id).model or self._default_adapter()
        stored = [m for m in self._store.history(chat.id, HISTORY_ROWS) if m.id <= incoming.id]
        return Turn(
            self._store,
            self._model,
            chat,
            user,
            text,
            incoming.id,
            self._with_pictures(stored, model_name),
            self.system_prompt(chat),
            model_name,
            self.grounder if grounded else None,
            self._answer_log,
            self.quotas,
            model_name if model_name in self._adapters() else None,
            photos=self._photos,
            picture=picture,
        )

    def _with_pictures(
        self, stored: list[StoredMessage], model_name: str | None
    ) -> list[ChatMessage]:
        """The history as prompt messages; the newest user messages that showed a picture
        carry it again, when the model sees pictures (`core.photos`)."""
        photos, pictures = self._photos, self._pictures
        if (
            photos is None
            or pictures is None
            or not photos.sees(photos.model_for_pictures(model_name))
        ):
            return [ChatMessage(m.role, m.text) for m in stored]
        recent = [m.id for m in stored if m.role == "user"][-(photos.keep_turns + 1) :]
        shown = pictures.of(recent)
        return [
            ChatMessage(m.role, m.text, (ImagePart(shown[m.id][1], shown[m.id][0]),))
            if m.id in shown
            else ChatMessage(m.role, m.text)
            for m in stored
        ]

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
        """The backend's models (its default first), then the fine-tuned ones it did not list."""
        names = await self._model.list_models()
        tuned = self._fine_tuned.fine_tuned_models() if self._fine_tuned is not None else []
        return names + [name for name in tuned if name not in names]

    def _adapters(self) -> list[str]:
        return self._fine_tuned.adapters() if self._fine_tuned is not None else []

    def _default_adapter(self) -> str | None:
        return self._fine_tuned.default_model() if self._fine_tuned is not None else None

    async def default_model(self) -> str:
        """What chats without a choice of their own use: the default adapter, else the base."""
        return self._default_adapter() or (await self.available_models())[0]

    async def current_model(self, chat: ChatRef) -> str:
        chosen = self._store.settings(chat.id).model
        return chosen if chosen is not None else await self.default_model()

    def adapters(self) -> list[str]:
        """The kept adapters among `available_models` (an admin may make one the default)."""
        return self._adapters()

    def set_default_model(self, user: UserRef, adapter: str | None) -> None:
        """Make `adapter` everyone's default, or roll back to the base model (None). Raises
        `TrainingAdminOnlyError` for anyone but an admin."""
        if self._fine_tuned is None:
            raise UserFacingError("no fine-tuned models", user_message=NO_ADAPTERS)
        self._fine_tuned.set_default_model(user.id, adapter)

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
        """Give the chat its own system prompt; None restores the default.

        Raises `SystemPromptTooLongError` over `MAX_SYSTEM_PROMPT_CHARS` (nothing is saved)."""
        if text is not None and len(text) > MAX_SYSTEM_PROMPT_CHARS:
            raise SystemPromptTooLongError(
                f"{len(text)} characters",
                user_message=f"A system prompt can be at most {MAX_SYSTEM_PROMPT_CHARS:,} "
                f"characters; this one has {len(text):,}. Nothing was changed: send a shorter "
                "one with /system <text>.",
            )
        self.remember(chat, None)
        self._store.set_system_prompt(chat.id, text)
