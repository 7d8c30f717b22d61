"""Chat models behind one small interface (`ChatModel`), a local and an OpenAI-compatible one."""

from tgtrainer.llm.base import ChatMessage, ChatModel, ModelUnavailableError, Role

__all__ = ["ChatMessage", "ChatModel", "ModelUnavailableError", "Role"]
