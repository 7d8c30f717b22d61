"""The bare baseline the benchmark compares tgtrainer with.

python-telegram-bot + the openai SDK answering each text with one completion: no history, no
streaming, no database, no formatting. Configured by the same environment variables as tgtrainer.
"""

from __future__ import annotations

import os

from openai import AsyncOpenAI
from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


def main() -> None:
    url = os.environ["TELEGRAM_API_URL"]
    client = AsyncOpenAI(
        api_key=os.environ["OPENAI_API_KEY"], base_url=os.environ["OPENAI_BASE_URL"]
    )
    model = os.environ.get("LLM_MODEL", "gpt-4o-mini")

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        completion = await client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": update.message.text}]
        )
        await update.message.reply_text(completion.choices[0].message.content or "")

    application = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(f"{url}/bot")
        .base_file_url(f"{url}/file/bot")
        .concurrent_updates(256)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, answer))
    print("polling", flush=True)
    application.run_polling(allowed_updates=[Update.MESSAGE])


if __name__ == "__main__":
    main()
