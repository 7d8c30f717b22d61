"""Chat models behind one small interface (`ChatModel`), a local and an OpenAI-compatible one.

Concrete models are chosen in `tgtrainer.llm.factory.build_chat_model`; importing this package
loads neither the `openai` SDK nor llama.cpp.
"""

from tgtrainer.llm.base import (
    ChatMessage,
    ChatModel,
    ModelConfigurationError,
    ModelError,
    ModelUnavailableError,
    PromptTooLongError,
    Role,
)

__all__ = [
    "ChatMessage",
    "ChatModel",
    "ModelConfigurationError",
    "ModelError",
    "ModelUnavailableError",
    "PromptTooLongError",
    "Role",
]
