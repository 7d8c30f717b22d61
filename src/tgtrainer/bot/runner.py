"""`tgtrainer run`: everything assembled from `Settings`, then long polling (or a webhook) until a
signal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from telegram.error import BadRequest, InvalidToken, NetworkError
from telegram.ext import Application

from tgtrainer.bot.app import ALLOWED_UPDATES, build_application, make_handlers
from tgtrainer.bot.handlers import Handlers
from tgtrainer.bot.recovery import clear_temporary_files, start_recovery
from tgtrainer.bot.training import ProgressMessages, stop_watching, watch_jobs
from tgtrainer.bot.updates import PerChatUpdateProcessor
from tgtrainer.bot.webhook import WebhookConfig, WebhookServer
from tgtrainer.config import ConfigurationError, Settings
from tgtrainer.core import Assistant
from tgtrainer.core.access import AccessPolicy
from tgtrainer.core.access_notice import announce_access
from tgtrainer.core.feedback import Feedback
from tgtrainer.core.grounding import Grounder
from tgtrainer.core.photos import Photos
from tgtrainer.core.privacy import Privacy
from tgtrainer.core.quotas import Limits, Quotas, stored_bytes
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
from tgtrainer.storage.access import AccessStore
from tgtrainer.storage.erasure import ErasureStore
from tgtrainer.storage.feedback import AnswerLogStore
from tgtrainer.storage.knowledge_state import LastSourcesStore, PendingTeachStore
from tgtrainer.storage.pictures import PictureStore
from tgtrainer.storage.usage import UsageStore
from tgtrainer.storage.voice_settings import VoiceSettingsStore
from tgtrainer.storage.work import WorkStore
from tgtrainer.training.factory import build_fine_tuner

log = logging.getLogger(__name__)
SHUTDOWN_GRACE_SECONDS = 3.0
"""How long a stop waits for answers in flight before stopping them."""


class BotStartError(Exception):
    """The bot could not start for a reason the user can fix; the message says which."""


async def run_bot(
    settings: Settings,
    stop: asyncio.Event | None = None,
    model: ChatModel | None = None,
    *,
    webhook: WebhookConfig | None = None,
    drop_pending_updates: bool = False,
) -> None:
    """Serve until SIGINT/SIGTERM (or `stop` is set); in-flight replies get a few seconds to
    finish before exit, then are stopped with a sentence to their users.

    `model` replaces the one `settings` choose (the sandbox passes one it can watch loading).
    With `webhook` updates come by webhook, else by long polling.
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
    database = Database(settings.database_path, max_mb=settings.database_max_mb)
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
    conversations = ConversationStore(database)
    answer_log = AnswerLogStore(database)
    training = build_training(settings, database, access, build_fine_tuner(settings))
    teaching = Teaching(library, access, PendingTeachStore(database), sources, quotas=quotas)
    photos = Photos(settings, teaching)
    assistant = Assistant(
        settings,
        conversations,
        model,
        grounder,
        answer_log,
        fine_tuned=training,
        access=access,
        quotas=quotas,
        photos=photos,
        pictures=PictureStore(database),
    )
    feedback = Feedback(answer_log, group_feedback=settings.group_feedback)
    privacy = Privacy(ErasureStore(database), library)
    recovery = Recovery(
        conversations,
        WorkStore(database),
        access,
        window_seconds=settings.recovery_window_minutes * 60,
    )
    clear_temporary_files(settings.temp_dir)
    await asyncio.to_thread(warn_missing_ocr_languages, settings.ocr_languages)
    handlers = make_handlers(settings, assistant, voice, feedback)
    progress = ProgressMessages()
    application = build_application(
        settings,
        assistant,
        teaching=teaching,
        voice=voice,
        feedback=feedback,
        recovery=recovery,
        handlers=handlers,
        training=training,
        privacy=privacy,
        photos=photos,
        training_progress=progress,
    )
    try:
        async with application:  # initialize() now, shutdown() on the way out
            await _serve_until(
                stop,
                application,
                settings,
                model,
                handlers,
                recovery,
                training,
                progress,
                webhook,
                drop_pending_updates,
            )
    except InvalidToken as error:
        raise BotStartError("TELEGRAM_BOT_TOKEN: Telegram does not accept this token") from error
    except BadRequest as error:  # setWebhook refused: an unreachable or malformed URL
        raise BotStartError(f"WEBHOOK_URL: Telegram refused it: {error.message}") from error
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


async def _serve_until(
    stop: asyncio.Event,
    application: Application,  # type: ignore[type-arg]
    settings: Settings,
    model: ChatModel,
    handlers: Handlers,
    recovery: Recovery,
    training: Training,
    progress: ProgressMessages,
    webhook: WebhookConfig | None,
    drop_pending_updates: bool,
) -> None:
    """PTB's documented sequence for an application it does not run itself, with the
    recovery of what an earlier run left undone started before the first update. Fine-tuning
    jobs are followed while it runs (those a restart interrupted included)."""
    if application.post_init is not None:  # PTB calls it only from run_polling()
        await application.post_init(application)
    assert application.updater is not None
    processor = application.update_processor
    assert isinstance(processor, PerChatUpdateProcessor)
    server: WebhookServer | None = None
    await application.start()
    warm_up: asyncio.Task[None] | None = None
    recovering = await start_recovery(application.bot, handlers, recovery, processor)
    try:
        if webhook is not None:
            server = await _start_webhook(application, webhook, drop_pending_updates)
        else:
            await application.updater.start_polling(
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=drop_pending_updates,
                timeout=10,
            )
            log.info("polling %s for updates", settings.telegram_api_url)
        warm_up = asyncio.create_task(_warm_up(model))
        # an offline job's progress is shown as it goes: ask it more often than a service
        interval = settings.finetune_poll_seconds
        if training.shows_progress:
            interval = min(interval, settings.train_progress_seconds)
        watcher = asyncio.create_task(
            watch_jobs(application.bot, training, interval, stop, progress)
        )
        await stop.wait()
        log.info("stopping: finishing replies in flight")
        await stop_watching(watcher)
    finally:
        if server is not None:  # the webhook stays set: Telegram holds what comes meanwhile
            await server.stop()
        if application.updater.running:
            await application.updater.stop()
        # A hung model must not hold the exit: what outlives the grace is stopped, its users told.
        stopped = await processor.running.stop_all(SHUTDOWN_GRACE_SECONDS)
        if stopped:
            log.info("stopped %d answer(s) still running", stopped)
        await application.stop()  # handles what was queued, waits for the updates in hand
        await asyncio.gather(*recovering)
    if warm_up is not None:
        await warm_up


async def _start_webhook(
    application: Application,  # type: ignore[type-arg]
    webhook: WebhookConfig,
    drop_pending_updates: bool,
) -> WebhookServer:
    """Listen first, then tell Telegram where to post."""
    server = WebhookServer(application, webhook)
    try:
        await server.start()
    except OSError as error:  # the port is taken, or the address is not this machine's
        raise BotStartError(f"WEBHOOK_LISTEN/WEBHOOK_PORT: cannot listen: {error}") from None
    try:
        await application.bot.set_webhook(
            webhook.url,
            secret_token=webhook.secret_token,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=drop_pending_updates,
        )
    except BaseException:
        await server.stop()
        raise
    log.info("webhook set to %s; serving it on %s:%s", webhook.url, webhook.listen, webhook.port)
    return server


async def _warm_up(model: ChatModel) -> None:
    """Load the chat model, which every message needs; the speech models and the local embedder
    load on first use (a text-only bot never holds them)."""
    try:
        await model.warm_up()
    except Exception:  # the first message will meet the same error and explain it to the user
        log.exception("the chat model could not be loaded ahead of time")
