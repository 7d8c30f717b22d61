"""tgtrainer: a self-hosted Telegram assistant that you can teach."""

__version__ = "0.1.0"
