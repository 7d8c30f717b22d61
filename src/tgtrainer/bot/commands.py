"""The bot's commands: one list feeds /help and the menu registered with setMyCommands."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BotCommandInfo:
    name: str
    menu: str  # the short line Telegram shows in the / menu
    help: str  # the line /help shows


COMMANDS: tuple[BotCommandInfo, ...] = (
    BotCommandInfo("start", "What this bot can do", "/start: what this bot can do"),
    BotCommandInfo("help", "Every command", "/help: this list"),
    BotCommandInfo(
        "reset", "Start a new conversation", "/reset: forget this conversation and start afresh"
    ),
    BotCommandInfo(
        "model", "Choose the chat model", "/model: list the models and pick one for this chat"
    ),
    BotCommandInfo(
        "system",
        "Show or set the system prompt",
        "/system <text>: give this chat its own instructions; /system alone shows them; "
        "/system reset restores the default",
    ),
    BotCommandInfo(
        "correct",
        "Correct my last answer",
        "/correct <better answer>: correct my last answer (or the one you reply to); 👍 / 👎 "
        "under an answer rate it",
    ),
    BotCommandInfo(
        "cancel",
        "Stop my running answer",
        "/cancel: stop the answer, transcription or document learning I am working on for you",
    ),
    # -- training (admins) --
    BotCommandInfo(
        "train",
        "Fine-tune the model (admins)",
        "/train: fine-tune the model on the rated and corrected answers (admins; /train dpo "
        "trains on the corrections as preference pairs)",
    ),
    BotCommandInfo(
        "train_status", "Fine-tuning jobs (admins)", "/train_status: every fine-tuning job"
    ),
    BotCommandInfo(
        "train_cancel", "Cancel fine-tuning (admins)", "/train_cancel: stop the running job"
    ),
    # -- documents --
    BotCommandInfo(
        "teach",
        "Learn a text or document",
        "/teach <text>: learn a text (or send /teach, then the text); any document you send "
        "is learned too",
    ),
    BotCommandInfo(
        "teach_global", "Teach everyone (admins)", "/teach_global <text>: teach every chat"
    ),
    BotCommandInfo("docs", "The documents I know", "/docs: the documents I answer from here"),
    BotCommandInfo("forget", "Forget a document", "/forget <name>: forget one document"),
    BotCommandInfo("forget_all", "Forget every document", "/forget_all: forget them all"),
    BotCommandInfo(
        "sources", "Passages behind my last answer", "/sources: the passages my last answer used"
    ),
    BotCommandInfo(
        "voice",
        "Voice answers: off, when spoken to, always",
        "/voice: answer with voice notes never, when spoken to, or always",
    ),
    BotCommandInfo(
        "language",
        "The language of voice messages",
        "/language <code>: the language I listen and speak in (en, ru...); /language auto detects",
    ),
    # -- usage, privacy, access --
    BotCommandInfo("usage", "What you used today", "/usage: what you used today, and your limits"),
    BotCommandInfo(
        "forget_me",
        "Delete everything about you",
        "/forget_me: delete everything I keep about you (asks first)",
    ),
    BotCommandInfo(
        "users", "Users and requests (admins)", "/users: who may use me, since when, usage"
    ),
    BotCommandInfo("allow", "Give access (admins)", "/allow <id>: give a user or group access"),
    BotCommandInfo(
        "deny", "Refuse or revoke access (admins)", "/deny <id>: refuse or take back access"
    ),
    BotCommandInfo("stats", "Statistics (admins)", "/stats: users and today's use"),
)

GREETING = (
    "Hi{name}! I am your own assistant, running on your server.\n\n"
    "Write to me and I answer with the conversation so far in mind; I remember it across "
    "restarts. /reset starts a new conversation, /model picks the model, /system sets my "
    "instructions for this chat. /help lists every command."
)


def help_text() -> str:
    return "Commands:\n" + "\n".join(command.help for command in COMMANDS)
