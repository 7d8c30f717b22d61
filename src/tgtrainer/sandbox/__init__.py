"""A Telegram Bot API server on 127.0.0.1 and a web chat page, to run the bot without Telegram."""

from tgtrainer.sandbox.client import SandboxClient
from tgtrainer.sandbox.server import SandboxServer

__all__ = ["SandboxClient", "SandboxServer"]
