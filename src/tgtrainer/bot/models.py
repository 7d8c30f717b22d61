"""/model: the chat's model, chosen with buttons; for admins, everyone's default adapter and the
one-button rollback to the base model.

The list and every rule are the core's (`Assistant.available_models`, `adapters`,
`set_default_model`); refusals are `UserFacingError`s told by `ErrorBoundary.on_error`.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from tgtrainer.bot.buttons import show_in_menu
from tgtrainer.bot.refs import Context, chat_ref, user_ref
from tgtrainer.core import Assistant

MODEL_CALLBACK = "model:"
DEFAULT_CALLBACK = "model_default:"  # + an adapter; nothing after it: back to the base model
ROLLED_BACK = "Everyone without a model of their own now uses the base model again."


def _model_callback_data(name: str, index: int) -> str:
    data = MODEL_CALLBACK + name
    # Telegram allows 64 bytes of callback data; long names travel as their index.
    return (
        data
        if len(data.encode()) <= 64 and not name.startswith("#")
        else f"{MODEL_CALLBACK}#{index}"
    )


class ModelHandlers:
    def __init__(self, assistant: Assistant) -> None:
        self._assistant = assistant

    def handlers(self) -> list[CommandHandler[Context, None] | CallbackQueryHandler[Context, None]]:
        return [
            CommandHandler("model", self.model),
            CallbackQueryHandler(self.model_chosen, pattern=f"^{MODEL_CALLBACK}"),
            CallbackQueryHandler(self.default_chosen, pattern=f"^{DEFAULT_CALLBACK}"),
        ]

    def register(self, application: Application) -> None:  # type: ignore[type-arg]
        application.add_handlers(self.handlers())

    async def model(self, update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None
        chat = chat_ref(update)
        names = await self._assistant.available_models()
        current = await self._assistant.current_model(chat)
        buttons = [
            [
                InlineKeyboardButton(
                    ("✓ " if name == current else "") + name,
                    callback_data=_model_callback_data(name, index),
                )
            ]
            for index, name in enumerate(names)
        ]
        text = f"This chat uses {current}. Pick a model:"
        adapters = self._assistant.adapters()
        if adapters and self._assistant.access.is_admin(user_ref(update).id):
            default = await self._assistant.default_model()
            text = f"This chat uses {current}; everyone's default is {default}. Pick a model:"
            if current in adapters and current != default:
                data = DEFAULT_CALLBACK + current
                if len(data.encode()) <= 64:
                    label = f"Make {current} everyone's default"
                    buttons.append([InlineKeyboardButton(label, callback_data=data)])
            if default in adapters:
                label = "Roll back everyone to the base model"
                buttons.append([InlineKeyboardButton(label, callback_data=DEFAULT_CALLBACK)])
        await message.reply_text(text, reply_markup=InlineKeyboardMarkup(buttons))

    async def model_chosen(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        chat = chat_ref(update)
        choice = query.data.removeprefix(MODEL_CALLBACK)
        names = await self._assistant.available_models()
        index = choice[1:]
        name = (
            names[int(index)]
            if choice.startswith("#")
            and index.isascii()  # int() takes "²" and other digits of the world: forged data
            and index.isdigit()
            and int(index) < len(names)
            else choice
        )
        if not await self._assistant.choose_model(chat, name):
            await query.answer("That model is no longer offered; send /model again.")
            return
        await query.answer(f"Model: {name}")
        await show_in_menu(query, f"This chat now uses {name}.")

    async def default_chosen(self, update: Update, context: Context) -> None:
        """An admin's press: an adapter becomes everyone's default, or the base model again."""
        query = update.callback_query
        assert query is not None and query.data is not None
        adapter = query.data.removeprefix(DEFAULT_CALLBACK) or None
        self._assistant.set_default_model(user_ref(update), adapter)
        await query.answer()
        await show_in_menu(
            query, ROLLED_BACK if adapter is None else f"{adapter} is now everyone's default model."
        )


__all__ = ["DEFAULT_CALLBACK", "MODEL_CALLBACK", "ModelHandlers"]
