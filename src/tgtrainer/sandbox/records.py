"""The plain records the sandbox Bot API server keeps: files, faults to inject, the webhook."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

JSON = dict[str, Any]


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None

    def as_json(self) -> JSON:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }


@dataclass
class Fault:
    """What the next call of a method does instead of succeeding."""

    error_code: int = 0
    description: str = ""
    retry_after: int | None = None
    delay: float = 0.0


@dataclass
class Webhook:
    """What the bot's setWebhook asked for, and how delivering to it has gone."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None
