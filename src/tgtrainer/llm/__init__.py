"""Chat models behind one small interface (`ChatModel`), a local and an OpenAI-compatible one.

Concrete models are chosen in `tgtrainer.llm.factory.build_chat_model`; importing this package
loads neither the `openai` SDK nor llama.cpp.
"""

from tgtrainer.llm.base import (
    ChatMessage,
    ChatModel,
    ImagePart,
    ModelConfigurationError,
    ModelError,
    ModelUnavailableError,
    PicturesRefusedError,
    PromptTooLongError,
    Role,
)

__all__ = [
    "ChatMessage",
    "ChatModel",
    "ImagePart",
    "ModelConfigurationError",
    "ModelError",
    "ModelUnavailableError",
    "PicturesRefusedError",
    "PromptTooLongError",
    "Role",
]
