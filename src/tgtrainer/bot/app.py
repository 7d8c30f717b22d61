"""Assembling the Telegram application from settings and the assistant."""

from __future__ import annotations

import functools
import logging

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from tgtrainer.bot.access import AccessHandlers
from tgtrainer.bot.boundary import ErrorBoundary
from tgtrainer.bot.buttons import UnusablePressHandler, unknown_press_handler
from tgtrainer.bot.commands import COMMANDS
from tgtrainer.bot.handlers import Handlers
from tgtrainer.bot.incoming import check_sender
from tgtrainer.bot.models import ModelHandlers
from tgtrainer.bot.polling import SkippingUpdatesRequest
from tgtrainer.bot.privacy import PrivacyHandlers
from tgtrainer.bot.rate_limit import RETRIES, RateLimiter
from tgtrainer.bot.running import CANCEL_COMMAND
from tgtrainer.bot.training import ProgressMessages
from tgtrainer.bot.updates import PerChatUpdateProcessor
from tgtrainer.bot.voice import LANGUAGE_CALLBACK, MEDIA, VOICE_CALLBACK, VoiceHandlers
from tgtrainer.bot.voice_reply import VoiceReplies
from tgtrainer.config import Settings
from tgtrainer.core import Assistant
from tgtrainer.core.feedback import Feedback
from tgtrainer.core.photos import Photos
from tgtrainer.core.privacy import Privacy
from tgtrainer.core.recovery import Recovery
from tgtrainer.core.teaching import Teaching
from tgtrainer.core.training import Training
from tgtrainer.core.voice import Voice

log = logging.getLogger(__name__)


def build_application(
    settings: Settings,
    assistant: Assistant,
    *,
    teaching: Teaching | None = None,
    voice: Voice | None = None,
    feedback: Feedback | None = None,
    recovery: Recovery | None = None,
    handlers: Handlers | None = None,
    training: Training | None = None,
    privacy: Privacy | None = None,
    photos: Photos | None = None,
    training_progress: ProgressMessages | None = None,
) -> Application:  # type: ignore[type-arg]
    """The bot, ready for `run_polling()`; it registers its command menu when it starts.

    With `recovery`, documents and voice notes in progress are recorded; with `photos`, photos
    are looked at by the model when it sees pictures (else their text is learned). `handlers` (see
    `make_handlers`) is passed by a caller that uses them too. `privacy` None: no /forget_me on
    this server. `training_progress`: the progress messages the job watcher edits too.
    """
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is required to run the bot")
    limits = settings.telegram_rate_limit
    rate_limiter = RateLimiter(
        overall_max_rate=30 if limits else 0,
        group_max_rate=20 if limits else 0,
        retries=RETRIES,
        retry_seconds=settings.telegram_retry_seconds,
    )
    handlers = (
        handlers if handlers is not None else make_handlers(settings, assistant, voice, feedback)
    )
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(f"{settings.telegram_api_url}/bot")
        .base_file_url(f"{settings.telegram_api_url}/file/bot")
        .get_updates_request(SkippingUpdatesRequest())
        .rate_limiter(rate_limiter)
        .concurrent_updates(
            PerChatUpdateProcessor(
                settings.max_concurrent_updates, handlers.running, handlers.note_arrival
            )
        )
        .post_init(_register_commands)
        .build()
    )
    boundary = ErrorBoundary(assistant)
    handlers.running.on_stopped(functools.partial(boundary.tell_stopped, application))
    # Messages the core leaves unanswered stop in a group of their own, the first.
    application.add_handler(TypeHandler(Update, check_sender), group=-4)
    application.add_handler(UnusablePressHandler())  # before every handler with a pattern
    # The access gate (its own group, then) and the access and usage commands.
    AccessHandlers(assistant.access, handlers, assistant.quotas).register(application)
    if privacy is not None:
        PrivacyHandlers(privacy).register(application)
    if feedback is not None:  # ratings and corrections: /correct comes before /unknown
        from tgtrainer.bot.feedback import FeedbackHandlers

        FeedbackHandlers(feedback, handlers.not_a_question).register(application)
    if training is not None:  # /train and its buttons: before /unknown
        from tgtrainer.bot.training import TrainingHandlers

        TrainingHandlers(training, training_progress).register(application)
    if teaching is not None:  # documents: registered first, so their commands come before /unknown
        from tgtrainer.bot.document_library import DocumentLibraryHandlers
        from tgtrainer.bot.documents import DocumentHandlers

        DocumentHandlers(
            teaching,
            handlers.reply,
            temp_dir=settings.temp_dir,
            recovery=recovery,
            not_a_question=handlers.not_a_question,
            no_sight_note=photos.no_sight_note if photos is not None else None,
            running=handlers.running,
        ).register(application)
        DocumentLibraryHandlers(teaching).register(application)
        if photos is not None and photos.sees_pictures:
            from tgtrainer.bot.photos import PhotoHandlers

            PhotoHandlers(photos, handlers).register(application)
    application.add_handlers(
        [
            CommandHandler("start", handlers.start),
            CommandHandler("help", handlers.help),
            CommandHandler("reset", handlers.reset),
            CommandHandler("system", handlers.system),
            CommandHandler(CANCEL_COMMAND, handlers.cancel),
            *ModelHandlers(assistant).handlers(),
            *(_voice_handlers(settings, handlers, voice, recovery) if voice is not None else []),
            MessageHandler(filters.COMMAND, handlers.unknown_command),
            MessageHandler(filters.TEXT & ~filters.COMMAND, handlers.text),
            MessageHandler(
                ~filters.TEXT & ~filters.StatusUpdate.ALL & filters.UpdateType.MESSAGE,
                handlers.not_text,
            ),
            unknown_press_handler(),
        ]
    )
    application.add_error_handler(boundary.on_error)
    return application


def make_handlers(
    settings: Settings, assistant: Assistant, voice: Voice | None, feedback: Feedback | None = None
) -> Handlers:
    return Handlers(
        settings, assistant, VoiceReplies(voice) if voice is not None else None, feedback
    )


def _voice_handlers(
    settings: Settings, handlers: Handlers, voice: Voice, recovery: Recovery | None
) -> list[BaseHandler]:  # type: ignore[type-arg]
    """/voice, /language and their buttons; voice notes, audio and video. They go before the
    catch-alls for unknown commands and for messages that are not text."""
    voice_handlers = VoiceHandlers(settings, handlers, voice, recovery)
    return [
        CommandHandler("voice", voice_handlers.voice_command),
        CommandHandler("language", voice_handlers.language_command),
        CallbackQueryHandler(voice_handlers.voice_chosen, pattern=f"^{VOICE_CALLBACK}"),
        CallbackQueryHandler(voice_handlers.language_chosen, pattern=f"^{LANGUAGE_CALLBACK}"),
        MessageHandler(MEDIA, voice_handlers.media),
    ]


async def _register_commands(application: Application) -> None:  # type: ignore[type-arg]
    await application.bot.set_my_commands(
        [BotCommand(command.name, command.menu) for command in COMMANDS]
    )
    log.info("bot @%s is up", application.bot.username)


ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]
