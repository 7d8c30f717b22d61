"""The database: one SQLite file, migrations, repositories. Nothing above writes SQL."""

from tgtrainer.storage.conversations import ChatSettings, ConversationStore, StoredMessage
from tgtrainer.storage.database import Database
from tgtrainer.storage.full import StorageFullError

__all__ = ["ChatSettings", "ConversationStore", "Database", "StorageFullError", "StoredMessage"]
