"""The one place the concrete embedder and the knowledge base are chosen, from `Settings`."""

from __future__ import annotations

from tgtrainer.config import Settings
from tgtrainer.knowledge.embedder import Embedder
from tgtrainer.knowledge.library import Library
from tgtrainer.storage.database import Database
from tgtrainer.storage.knowledge import KnowledgeStore


def embeddings_backend(settings: Settings) -> str:
    """`EMBEDDINGS_BACKEND`, with `auto` resolved: OpenAI's when the chat model is OpenAI's."""
    if settings.embeddings_backend != "auto":
        return settings.embeddings_backend
    return "openai" if settings.llm_backend == "openai" else "local"


def build_embedder(settings: Settings) -> Embedder:
    if embeddings_backend(settings) == "openai":
        from tgtrainer.knowledge.openai_embedder import OpenAIEmbedder

        return OpenAIEmbedder(settings)
    from tgtrainer.knowledge.local_embedder import LocalEmbedder

    return LocalEmbedder()


def build_library(settings: Settings, database: Database) -> Library:
    return Library(settings, KnowledgeStore(database), build_embedder(settings))
