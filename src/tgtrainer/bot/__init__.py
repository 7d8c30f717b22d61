"""The Telegram adapter: the only layer that imports `telegram`."""
