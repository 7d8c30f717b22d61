"""`tgtrainer run`: everything assembled from `Settings`, then long polling until a signal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application

from tgtrainer.bot.app import ALLOWED_UPDATES, build_application, make_handlers
from tgtrainer.bot.handlers import Handlers
from tgtrainer.bot.recovery import clear_temporary_files, start_recovery
from tgtrainer.bot.training import stop_watching, watch_jobs
from tgtrainer.bot.updates import PerChatUpdateProcessor
from tgtrainer.config import ConfigurationError, Settings
from tgtrainer.core import Assistant
from tgtrainer.core.access import AccessPolicy
from tgtrainer.core.feedback import Feedback
from tgtrainer.core.grounding import Grounder
from tgtrainer.core.photos import Photos
from tgtrainer.core.recovery import Recovery
from tgtrainer.core.teaching import Teaching
from tgtrainer.core.training import Training, build_training
from tgtrainer.core.voice import Voice
from tgtrainer.knowledge.extract.ocr import warn_missing_ocr_languages
from tgtrainer.knowledge.factory import build_library
from tgtrainer.llm import ChatModel
from tgtrainer.llm.factory import build_chat_model
from tgtrainer.speech.factory import build_speech_to_text, build_text_to_speech
from tgtrainer.storage import ConversationStore, Database
from tgtrainer.storage.feedback import AnswerLogStore
from tgtrainer.storage.knowledge_state import LastSourcesStore, PendingTeachStore
from tgtrainer.storage.pictures import PictureStore
from tgtrainer.storage.voice_settings import VoiceSettingsStore
from tgtrainer.storage.work import WorkStore
from tgtrainer.training.factory import build_remote_fine_tuner

log = logging.getLogger(__name__)
SHUTDOWN_GRACE_SECONDS = 3.0
"""How long a stop waits for answers in flight before stopping them."""


class BotStartError(Exception):
    """The bot could not start for a reason the user can fix; the message says which."""


async def run_bot(
    settings: Settings, stop: asyncio.Event | None = None, model: ChatModel | None = None
) -> None:
    """Serve until SIGINT/SIGTERM (or `stop` is set); in-flight replies get a few seconds to
    finish before exit, then are stopped with a sentence to their users.

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
    voice = Voice(settings, VoiceSettingsStore(database), stt, tts)
    conversations = ConversationStore(database)
    answer_log = AnswerLogStore(database)
    access = AccessPolicy(settings.allowed_users, settings.admin_user_ids)
    training = build_training(settings, database, access, build_remote_fine_tuner(settings))
    teaching = Teaching(library, access, PendingTeachStore(database), sources)
    photos = Photos(settings, teaching)
    assistant = Assistant(
        settings,
        conversations,
        model,
        grounder,
        answer_log,
        fine_tuned=training,
        photos=photos,
        pictures=PictureStore(database),
    )
    feedback = Feedback(answer_log, group_feedback=settings.group_feedback)
    recovery = Recovery(
        conversations,
        WorkStore(database),
        assistant.access,
        window_seconds=settings.recovery_window_minutes * 60,
    )
    clear_temporary_files(settings.temp_dir)
    await asyncio.to_thread(warn_missing_ocr_languages, settings.ocr_languages)
    handlers = make_handlers(settings, assistant, voice, feedback)
    application = build_application(
        settings,
        assistant,
        teaching=teaching,
        voice=voice,
        feedback=feedback,
        recovery=recovery,
        handlers=handlers,
        training=training,
        photos=photos,
    )
    try:
        async with application:  # initialize() now, shutdown() on the way out
            await _poll_until(stop, application, settings, model, handlers, recovery, training)
    except InvalidToken as error:
        raise BotStartError("TELEGRAM_BOT_TOKEN: Telegram does not accept this token") from error
    except NetworkError as error:
        raise BotStartError(
            f"cannot reach the Bot API at {settings.telegram_api_url}: {error.message}"
        ) from error
    finally:
        await model.aclose()
        await training.aclose()
        await library.embedder.aclose()
        await voice.aclose()
        database.close()
        log.info("stopped")


async def _poll_until(
    stop: asyncio.Event,
    application: Application,  # type: ignore[type-arg]
    settings: Settings,
    model: ChatModel,
    handlers: Handlers,
    recovery: Recovery,
    training: Training,
) -> None:
    """PTB's documented sequence for an application it does not run itself, with the
    recovery of what an earlier run left undone started before the first update. Fine-tuning
    jobs are followed while it runs (those a restart interrupted included)."""
    if application.post_init is not None:  # PTB calls it only from run_polling()
        await application.post_init(application)
    assert application.updater is not None
    processor = application.update_processor
    assert isinstance(processor, PerChatUpdateProcessor)
    await application.start()
    recovering = await start_recovery(application.bot, handlers, recovery, processor)
    try:
        await application.updater.start_polling(
            allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False, timeout=10
        )
        warm_up = asyncio.create_task(_warm_up(model))
        watcher = asyncio.create_task(
            watch_jobs(application.bot, training, settings.finetune_poll_seconds, stop)
        )
        log.info("polling %s for updates", settings.telegram_api_url)
        await stop.wait()
        log.info("stopping: finishing replies in flight")
        await stop_watching(watcher)
    finally:
        if application.updater.running:
            await application.updater.stop()
        processor = application.update_processor
        if isinstance(processor, PerChatUpdateProcessor):
            # A hung model must not hold the exit: what outlives the grace is stopped, its
            # users told.
            stopped = await processor.running.stop_all(SHUTDOWN_GRACE_SECONDS)
            if stopped:
                log.info("stopped %d answer(s) still running", stopped)
        await application.stop()  # waits for the updates being handled
        await asyncio.gather(*recovering)
    await warm_up


async def _warm_up(model: ChatModel) -> None:
    """Load the chat model, which every message needs; the speech models and the local embedder
    load on first use (a text-only bot never holds them)."""
    try:
        await model.warm_up()
    except Exception:  # the first message will meet the same error and explain it to the user
        log.exception("the chat model could not be loaded ahead of time")
