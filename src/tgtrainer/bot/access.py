"""Access in Telegram: the gate before every handler, pairing, requests with Approve / Deny,
and the commands /users, /allow, /deny, /stats and /usage.

Every decision is `core.access.AccessPolicy`'s (and `core.quotas.Quotas`' for usage): the
handlers translate. Someone without access reaches nothing but this module: no model, no
download, no transcription, and no database row until they press "Request access".
"""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    TypeHandler,
)

from tgtrainer.bot.handlers import Handlers
from tgtrainer.bot.refs import Context, command_argument, user_ref
from tgtrainer.core.access import AccessPolicy, RequestOutcome
from tgtrainer.core.quotas import Quotas
from tgtrainer.storage.access import Grant

log = logging.getLogger(__name__)
REQUEST_CALLBACK = "access:request"
DECIDE_CALLBACK = "access:"  # access:yes:<id>, access:no:<id>
PAIRED = (
    "Paired: you are this bot's admin now, and the code no longer works. Anyone else who writes "
    "to me can ask for access; you approve or deny each request here. /users lists them, "
    "/allow <id> and /deny <id> decide, /stats counts."
)
ASKED = "I asked the admins for access for you; I will tell you their answer here."
OUTCOMES: dict[RequestOutcome, str] = {
    "sent": ASKED,
    "waiting": "Your request is waiting for an admin.",
    "denied": "The admins declined your request.",
    "allowed": "You have access already: write to me.",
    "nobody": "There is no admin to ask: ask the bot's owner directly.",
}
APPROVED = "Good news: an admin gave you access. Write to me any time."
DECLINED = "Sorry, the admins declined your request for access."


def _who(user_id: int, first_name: str, username: str | None) -> str:
    handle = f" @{username}" if username else ""
    return f"{first_name or 'Someone'}{handle} (id {user_id})"


def _day(timestamp: float | None) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d") if timestamp else "?"


class AccessHandlers:
    def __init__(self, access: AccessPolicy, handlers: Handlers, quotas: Quotas | None) -> None:
        self._access = access
        self._handlers = handlers
        self._quotas = quotas

    def register(self, application: Application) -> None:  # type: ignore[type-arg]
        """The gate in its own group, before every other handler; the commands before the
        catch-all for unknown ones."""
        application.add_handler(TypeHandler(Update, self.check), group=-3)
        application.add_handlers(
            [
                CommandHandler("users", self.users),
                CommandHandler("allow", self.allow),
                CommandHandler("deny", self.deny),
                CommandHandler("stats", self.stats),
                CommandHandler("usage", self.usage),
                CallbackQueryHandler(self.request_pressed, pattern=f"^{REQUEST_CALLBACK}$"),
                CallbackQueryHandler(self.decision_pressed, pattern=f"^{DECIDE_CALLBACK}(yes|no):"),
            ]
        )

    # -- the gate -------------------------------------------------------------------------

    async def check(self, update: Update, context: Context) -> None:
        """Runs before every other handler: pairs the owner, and stops updates from anyone
        without access with one sentence (and a button to ask)."""
        user, chat, message = update.effective_user, update.effective_chat, update.effective_message
        if chat is None:
            return
        if user is not None and message is not None and (message.text or "").startswith("/start"):
            code = command_argument(message)
            if code and self._access.pair(user.id, code):
                log.warning("user %s sent the pairing code: now the bot's admin", user.id)
                await message.reply_text(PAIRED)
                raise ApplicationHandlerStop
        if self._access.allows(user.id if user else None, chat.id):
            return
        log.info("update %s: user %s has no access", update.update_id, user.id if user else None)
        refusal = self._access.refusal(user.id if user else None)
        query = update.callback_query
        if query is not None:
            if query.data == REQUEST_CALLBACK and user is not None:
                await self.request_pressed(update, context)
            else:
                await query.answer(refusal, show_alert=True)
        elif message is not None and (
            chat.type == ChatType.PRIVATE
            or self._handlers.addressed_to_me(message, context.bot.username)
        ):
            button = InlineKeyboardButton("Request access", callback_data=REQUEST_CALLBACK)
            markup = InlineKeyboardMarkup([[button]]) if self._access.can_request() else None
            await message.reply_text(refusal, reply_markup=markup)
        raise ApplicationHandlerStop

    # -- asking and deciding --------------------------------------------------------------

    async def request_pressed(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None and update.effective_user is not None
        user = user_ref(update)
        outcome = self._access.request(user)
        await query.answer(OUTCOMES[outcome])
        if query.message is not None:
            with contextlib.suppress(TelegramError):
                await context.bot.edit_message_text(
                    OUTCOMES[outcome], query.message.chat.id, query.message.message_id
                )
        if outcome != "sent":
            return
        log.info("user %s asks for access", user.id)
        buttons = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        "Approve", callback_data=f"{DECIDE_CALLBACK}yes:{user.id}"
                    ),
                    InlineKeyboardButton("Deny", callback_data=f"{DECIDE_CALLBACK}no:{user.id}"),
                ]
            ]
        )
        text = f"{_who(user.id, user.first_name, user.username)} asks for access."
        for admin in self._access.admins():
            try:
                await context.bot.send_message(admin, text, reply_markup=buttons)
            except TelegramError as error:  # an admin who never started the bot
                log.warning("could not ask admin %s: %s", admin, error.message)

    async def decision_pressed(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        answer, _, raw = query.data.removeprefix(DECIDE_CALLBACK).partition(":")
        admin = update.effective_user
        assert admin is not None
        if not raw.lstrip("-").isdigit():
            await query.answer("That button is no longer valid.")
            return
        allow = answer == "yes"
        decision = self._access.decide(admin.id, int(raw), allow=allow)
        verb = "approved" if allow else "denied"
        await query.answer(verb.capitalize())
        grant = decision.grant
        who = _who(int(raw), grant.first_name, grant.username) if grant else raw
        await query.edit_message_text(f"{who}: {verb} by {admin.first_name}.")
        if decision.changed:
            await self._tell_subject(context, int(raw), allow)

    async def allow(self, update: Update, context: Context) -> None:
        await self._decide_command(update, context, allow=True)

    async def deny(self, update: Update, context: Context) -> None:
        await self._decide_command(update, context, allow=False)

    async def _decide_command(self, update: Update, context: Context, *, allow: bool) -> None:
        message, admin = update.effective_message, update.effective_user
        assert message is not None and admin is not None
        self._access.require_admin(admin.id)
        raw = command_argument(message)
        command = "allow" if allow else "deny"
        if not raw.lstrip("-").isdigit():
            await message.reply_text(f"Send /{command} <id>: a user id, or a group chat's id.")
            return
        decision = self._access.decide(admin.id, int(raw), allow=allow)
        if allow:
            text = f"Allowed {raw}." if decision.changed else f"{raw} already has access."
        else:
            text = (
                f"Denied {raw}: no answers from now on."
                if decision.changed
                else (f"{raw} is denied already.")
            )
        await message.reply_text(text)
        if decision.changed:
            await self._tell_subject(context, int(raw), allow)

    @staticmethod
    async def _tell_subject(context: Context, subject_id: int, allowed: bool) -> None:
        try:
            await context.bot.send_message(subject_id, APPROVED if allowed else DECLINED)
        except TelegramError as error:  # they never started a private chat with the bot
            log.info("could not tell %s the decision: %s", subject_id, error.message)

    # -- admins' views ----------------------------------------------------------------------

    async def users(self, update: Update, context: Context) -> None:
        message, admin = update.effective_message, update.effective_user
        assert message is not None and admin is not None
        grants = self._access.grants(admin.id)
        allowed, admins = self._access.configured()
        listed = {grant.subject_id for grant in grants}
        lines = [self._grant_line(grant) for grant in grants]
        lines += [
            f"{subject}: {'admin' if subject in admins else 'allowed'} (configured)"
            + self._usage_suffix(subject)
            for subject in sorted(allowed | admins)
            if subject not in listed
        ]
        opening = "Everyone may use this bot (OPEN_ACCESS=true)." if self._access.open else ""
        body = "\n".join(lines) if lines else "Nobody yet."
        await message.reply_text(f"{opening}\nUsers:\n{body}".strip())

    def _grant_line(self, grant: Grant) -> str:
        since = _day(grant.decided_at if grant.status != "requested" else grant.created_at)
        state = "waiting for a decision" if grant.status == "requested" else grant.status
        who = _who(grant.subject_id, grant.first_name, grant.username)
        return f"{who}: {state} since {since}" + self._usage_suffix(grant.subject_id)

    def _usage_suffix(self, subject_id: int) -> str:
        if self._quotas is None or subject_id < 0:
            return ""
        used = self._quotas.today(subject_id)
        return f"; today {used.messages} messages, {used.tokens} tokens"

    async def stats(self, update: Update, context: Context) -> None:
        message, admin = update.effective_message, update.effective_user
        assert message is not None and admin is not None
        grants = self._access.grants(admin.id)
        counts = {status: 0 for status in ("admin", "allowed", "requested", "denied")}
        for grant in grants:
            counts[grant.status] += 1
        allowed, _ = self._access.configured()
        lines = [
            "Access: " + ("open to everyone" if self._access.open else "closed"),
            f"Admins: {len(set(self._access.admins()))}; allowed: "
            f"{counts['allowed'] + len(allowed)}; waiting: {counts['requested']}; "
            f"denied: {counts['denied']}",
        ]
        if self._quotas is not None:
            active, total = self._quotas.totals_today()
            lines.append(
                f"Today (UTC): {active} users, {total.messages} messages, {total.tokens} tokens, "
                f"{total.voice_seconds / 60:.1f} min of voice, {total.documents} documents"
            )
        await message.reply_text("\n".join(lines))

    async def usage(self, update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        assert message is not None and user is not None
        if self._quotas is None:
            await message.reply_text("This server sets no limits.")
            return
        lines = [
            f"{line.name}: {line.used}" + (f" of {line.limit}" if line.limit else " (no limit)")
            for line in self._quotas.report(user.id)
        ]
        await message.reply_text(
            "Your use today:\n" + "\n".join(lines) + "\n" + self._quotas.resets()
        )
