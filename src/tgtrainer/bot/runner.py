"""`tgtrainer run`: everything assembled from `Settings`, then long polling until a signal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application

from tgtrainer.bot.app import ALLOWED_UPDATES, build_application
from tgtrainer.config import ConfigurationError, Settings
from tgtrainer.core import Assistant
from tgtrainer.core.access import AccessPolicy
from tgtrainer.core.access_notice import announce_access
from tgtrainer.core.feedback import Feedback
from tgtrainer.core.grounding import Grounder
from tgtrainer.core.privacy import Privacy
from tgtrainer.core.quotas import Limits, Quotas, stored_bytes
from tgtrainer.core.teaching import Teaching
from tgtrainer.core.voice import Voice
from tgtrainer.knowledge.factory import build_library
from tgtrainer.llm import ChatModel
from tgtrainer.llm.factory import build_chat_model
from tgtrainer.speech.factory import build_speech_to_text, build_text_to_speech
from tgtrainer.storage import ConversationStore, Database
from tgtrainer.storage.access import AccessStore
from tgtrainer.storage.erasure import ErasureStore
from tgtrainer.storage.feedback import AnswerLogStore
from tgtrainer.storage.knowledge_state import LastSourcesStore, PendingTeachStore
from tgtrainer.storage.usage import UsageStore
from tgtrainer.storage.voice_settings import VoiceSettingsStore

log = logging.getLogger(__name__)


class BotStartError(Exception):
    """The bot could not start for a reason the user can fix; the message says which."""


async def run_bot(
    settings: Settings, stop: asyncio.Event | None = None, model: ChatModel | None = None
) -> None:
    """Serve until SIGINT/SIGTERM (or `stop` is set); in-flight replies finish before exit.

    `model` replaces the one `settings` choose (the sandbox passes one it can watch loading).
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        model = model if model is not None else build_chat_model(settings)
        stt, tts = build_speech_to_text(settings), build_text_to_speech(settings)
    except ConfigurationError as error:
        raise BotStartError(str(error)) from None
    database = Database(settings.database_path)
    library = build_library(settings, database)
    sources = LastSourcesStore(database)
    grounder = Grounder(
        library,
        top_k=settings.retrieval_top_k,
        min_score=settings.retrieval_min_score,
        budget_tokens=settings.knowledge_context_tokens,
        sources=sources,
    )
    access = AccessPolicy.from_settings(settings, AccessStore(database))
    announce_access(access)
    quotas = Quotas(
        Limits.from_settings(settings), UsageStore(database), access, stored_bytes(library)
    )
    voice = Voice(settings, VoiceSettingsStore(database), stt, tts, quotas)
    answer_log = AnswerLogStore(database)
    assistant = Assistant(
        settings,
        ConversationStore(database),
        model,
        grounder,
        answer_log,
        access=access,
        quotas=quotas,
    )
    teaching = Teaching(library, access, PendingTeachStore(database), sources, quotas=quotas)
    feedback = Feedback(answer_log, group_feedback=settings.group_feedback)
    privacy = Privacy(ErasureStore(database), library)
    application = build_application(
        settings, assistant, teaching=teaching, voice=voice, feedback=feedback, privacy=privacy
    )
    try:
        async with application:  # initialize() now, shutdown() on the way out
            await _poll_until(stop, application, settings, model)
    except InvalidToken as error:
        raise BotStartError("TELEGRAM_BOT_TOKEN: Telegram does not accept this token") from error
    except NetworkError as error:
        raise BotStartError(
            f"cannot reach the Bot API at {settings.telegram_api_url}: {error.message}"
        ) from error
    finally:
        await model.aclose()
        await library.embedder.aclose()
        await voice.aclose()
        database.close()
        log.info("stopped")


async def _poll_until(
    stop: asyncio.Event,
    application: Application,  # type: ignore[type-arg]
    settings: Settings,
    model: ChatModel,
) -> None:
    """PTB's documented sequence for an application it does not run itself."""
    if application.post_init is not None:  # PTB calls it only from run_polling()
        await application.post_init(application)
    assert application.updater is not None
    await application.start()
    try:
        await application.updater.start_polling(
            allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False, timeout=10
        )
        warm_up = asyncio.create_task(_warm_up(model))
        log.info("polling %s for updates", settings.telegram_api_url)
        await stop.wait()
        log.info("stopping: finishing replies in flight")
    finally:
        if application.updater.running:
            await application.updater.stop()
        await application.stop()  # waits for the updates being handled
    await warm_up


async def _warm_up(model: ChatModel) -> None:
    """Load the chat model, which every message needs; the speech models and the local embedder
    load on first use (a text-only bot never holds them)."""
    try:
        await model.warm_up()
    except Exception:  # the first message will meet the same error and explain it to the user
        log.exception("the chat model could not be loaded ahead of time")
