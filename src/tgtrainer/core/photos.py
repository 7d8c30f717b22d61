"""Photos: what a picture sent to the bot means, and what the model gets of it.

The rule, all of it here:
- With a model that sees pictures (`Settings.sees_pictures`: VISION=auto with LLM_BACKEND=openai,
  or VISION=on), a photo is *looked at*: the model gets the picture itself (downscaled JPEG, see
  `llm.images`) with the text Tesseract read in it, and answers the caption, or describes the
  photo when there is none. In a group only a photo whose caption names the bot, or that
  replies to the bot, is looked at.
- A photo is *learned* as a document instead (its OCR text, as before vision) when its caption
  says /teach, /teach_global or #global, when its sender said /teach just before, or when the
  model does not see pictures. Then, once per chat, the user is told that only the text in
  pictures is read, and how to have them described.
- The picture stays in the conversation for the chat's next `VISION_KEEP_TURNS` messages, sent
  again with each (so "and what colour is the car?" is answered by looking again); after them
  only its text stays: the user's message ("[photo]", the OCR text, the caption) and the
  model's description of it, which is its reply.
- A turn that carries a picture goes to `VISION_MODEL` when it is set, else to the chat's model.
  When the server refuses pictures, the turn is answered from the OCR text instead, the chat is
  told so once, and that model is sent no more pictures until the bot restarts.

No Telegram here; the bot downloads the photo and hands its bytes in.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from dataclasses import dataclass, field

from tgtrainer.config import Settings
from tgtrainer.core.teaching import GLOBAL_FLAG, Teaching
from tgtrainer.core.types import ChatRef, UserRef
from tgtrainer.errors import UserFacingError
from tgtrainer.knowledge.extract import ocr
from tgtrainer.llm import ChatMessage, ImagePart
from tgtrainer.llm.images import prepare_picture

log = logging.getLogger(__name__)

PHOTO_MARK = "[photo]"
DESCRIBE = "Describe this picture."
NO_SIGHT = (
    "I read the text in pictures, but this model cannot see what they show; to have photos "
    "described, run me with a vision model (LLM_BACKEND=openai, and VISION_MODEL if the chat "
    "model is not one)."
)
REFUSED = (
    "_This model does not accept pictures, so I answered from the text I read in the photo "
    "(OCR); set VISION_MODEL to a model that sees images._"
)
TEACH_WORDS = ("/teach", "/teach_global", GLOBAL_FLAG)


class PhotoAction(enum.Enum):
    LOOK = "look"  # the model sees it and answers
    LEARN = "learn"  # its text is learned as a document (`core.teaching`)
    IGNORE = "ignore"  # a group's photo that is not for the bot


@dataclass(frozen=True, slots=True)
class Picture:
    """A photo as the model gets it: the picture, and the text read in it ("" if none)."""

    image: ImagePart
    text: str = ""
    languages: str = ""  # the OCR languages that read `text`: "eng+rus"


@dataclass(frozen=True, slots=True)
class PhotoQuestion:
    """What a looked-at photo asks: the user message's text, the picture, and the caption."""

    text: str
    picture: Picture
    caption: str  # "" when the photo came without one: nothing to look up in the documents


def photo_message(caption: str, ocr_text: str, languages: str) -> str:
    """The user message a photo stands for in the conversation: a mark, its text, the question."""
    lines = [PHOTO_MARK]
    if ocr_text.strip():
        lines.append(f"Text read in the photo (OCR, {languages}):\n{ocr_text.strip()}")
    lines.append(caption.strip() or DESCRIBE)
    return "\n\n".join(lines)


@dataclass
class Sight:
    """What the bot has learned of its models' sight since it started (kept in memory)."""

    refused_models: set[str] = field(default_factory=set)
    told_refused: set[int] = field(default_factory=set)  # chats told the model refused
    told_no_sight: set[int] = field(default_factory=set)  # chats told pictures are only read

    def tell_refused(self, chat_id: int) -> str | None:
        """`REFUSED`, the first time for this chat."""
        if chat_id in self.told_refused:
            return None
        self.told_refused.add(chat_id)
        return REFUSED


class Photos:
    """Decides what a photo means (the rule above) and prepares what the model gets of it."""

    def __init__(self, settings: Settings, teaching: Teaching | None = None) -> None:
        self._settings = settings
        self._teaching = teaching
        self.sight = Sight()

    @property
    def sees_pictures(self) -> bool:
        return self._settings.sees_pictures

    @property
    def keep_turns(self) -> int:
        return self._settings.vision_keep_turns

    def model_for_pictures(self, chat_model: str | None) -> str | None:
        """The model a turn carrying a picture goes to: VISION_MODEL, else the chat's."""
        return self._settings.vision_model or chat_model

    def sees(self, model: str | None) -> bool:
        """Whether pictures go to `model` (None: the backend's default)."""
        return self.sees_pictures and (model or "") not in self.sight.refused_models

    def refused(self, model: str | None) -> None:
        log.warning("model %s refused pictures: answering from their text", model or "default")
        self.sight.refused_models.add(model or "")

    def action(
        self,
        chat: ChatRef,
        user: UserRef,
        caption: str,
        bot_username: str,
        *,
        replies_to_bot: bool = False,
    ) -> PhotoAction:
        words = {word.lower().split("@")[0] for word in caption.split()}
        teach = bool(words & set(TEACH_WORDS)) or (
            self._teaching is not None and self._teaching.awaits(chat, user)
        )
        if teach or not self.sees_pictures:  # a model that refused: answered from the text
            return PhotoAction.LEARN
        named = f"@{bot_username}".lower() in caption.lower()
        if chat.is_private or named or replies_to_bot:
            return PhotoAction.LOOK
        return PhotoAction.IGNORE

    def no_sight_note(self, chat: ChatRef, always: bool = False) -> str | None:
        """`NO_SIGHT` when the model does not see pictures: once per chat, or `always`."""
        if self.sees_pictures:
            return None
        if not always and chat.id in self.sight.told_no_sight:
            return None
        self.sight.told_no_sight.add(chat.id)
        return NO_SIGHT

    async def look(self, data: bytes, caption: str, bot_username: str) -> PhotoQuestion:
        """The photo's bytes made ready for the model: downscaled, and its text read.

        Raises `llm.images.PictureError` for what is not a picture."""
        image = await asyncio.to_thread(prepare_picture, data, self._settings.vision_max_side)
        text, languages = await asyncio.to_thread(self._read_text, data)
        question = caption.replace(f"@{bot_username}", "").strip()
        return PhotoQuestion(
            photo_message(question, text, languages), Picture(image, text, languages), question
        )

    def _read_text(self, data: bytes) -> tuple[str, str]:
        """The text Tesseract reads in the photo, and in which languages; ("", "") when OCR is
        not installed or reads nothing: the model still sees the picture."""
        if not ocr.ocr_available():
            return "", ""
        try:
            languages = ocr.ocr_languages(self._settings.ocr_languages)
            return ocr.read_text_in_image(data, languages), languages.tesseract
        except UserFacingError as error:
            log.info("no OCR text for a photo: %r", error)
            return "", ""


def without_pictures(messages: list[ChatMessage]) -> list[ChatMessage]:
    return [ChatMessage(message.role, message.content) for message in messages]
