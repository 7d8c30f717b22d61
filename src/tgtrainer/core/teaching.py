"""Teaching: what a chat's documents are, who may change them, and what a message teaches.

The rules, all of them here:
- What is taught in a private chat is the user's alone; in a group, the group's.
- The global collection, which every chat answers from, is taught by admins only
  (`AccessPolicy.is_admin`): with /teach_global, or a file whose caption says #global or
  /teach_global. Anyone else asking for it is refused (`AdminOnlyError`).
- In a group only files meant for the bot are learned: the caption names the bot (@name) or says
  /teach, or the sender said /teach just before.
- /teach without text waits for the sender's next text or file in that chat, for an hour
  (`TEACH_WAIT_SECONDS`, a restart included), and is used once.
- What a file's caption asks, once the bot's name and the teaching flags are set aside, is a
  question, answered once the file is learned.
- A chat lists its own documents and the global ones; a user may forget their own scope's,
  admins the global ones too.
- /sources shows the passages behind the chat's last answer (stored when a turn finishes, see
  `Grounder.remember`).

No Telegram here: chats and users come as `ChatRef`/`UserRef`, results go back as plain data.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from tgtrainer.core.access import AccessPolicy
from tgtrainer.core.grounding import scopes_for, teaching_scope
from tgtrainer.core.types import ChatRef, UserRef
from tgtrainer.errors import UserFacingError
from tgtrainer.knowledge.extract import Admitted, admit
from tgtrainer.knowledge.library import Library, Progress
from tgtrainer.knowledge.types import GLOBAL_SCOPE, DocumentInfo, LearnResult, Passage
from tgtrainer.storage.knowledge_state import LastSourcesStore, PendingTeachStore

TEACH_WAIT_SECONDS = 3600.0  # after /teach, how long the next message is taken as the text
GLOBAL_FLAG = "#global"
NOTE_NAME_WORDS = 6  # a taught text is named by its first words...
NOTE_NAME_CHARS = 60  # ...at most this many characters of them


class AdminOnlyError(UserFacingError):
    """Someone who is not an admin asked to teach the global collection."""

    user_message = "Only the bot's admins can teach the global collection."


@dataclass(frozen=True, slots=True)
class Upload:
    """A file someone sent, as described before it is downloaded."""

    name: str
    mime_type: str | None
    size: int | None  # None: not known before the download
    caption: str = ""


@dataclass(frozen=True, slots=True)
class AdmittedUpload:
    """A file to download and learn: its format, where it goes, and what its caption asks."""

    file: Admitted
    scope: str
    question: str  # answered once the file is learned; "" when the caption asks nothing


@dataclass(frozen=True, slots=True)
class ListedDocument:
    document: DocumentInfo
    is_global: bool
    forgettable: bool  # by the user who asked for the list


def caption_question(caption: str, bot_username: str) -> str:
    """What a file's caption asks, without the bot's @name and the teaching flags; "" if
    nothing is left."""
    words = [
        word
        for word in caption.split()
        if word.lower() not in {f"@{bot_username}".lower(), GLOBAL_FLAG, "/teach", "/teach_global"}
        and not word.lower().startswith(("/teach@", "/teach_global@"))
    ]
    return " ".join(words)


def note_name(text: str) -> str:
    """The name a taught text is listed by: 'note: ' and its first words."""
    words = " ".join(text.split()[:NOTE_NAME_WORDS])
    return f"note: {words[:NOTE_NAME_CHARS]}"


class Teaching:
    """Learning, listing and forgetting the documents of chats, by the rules above."""

    def __init__(
        self,
        library: Library,
        access: AccessPolicy,
        pending: PendingTeachStore,
        sources: LastSourcesStore,
        *,
        teach_wait_seconds: float = TEACH_WAIT_SECONDS,
    ) -> None:
        self._library = library
        self._access = access
        self._pending = pending
        self._sources = sources
        self._teach_wait = teach_wait_seconds

    # -- learning ---------------------------------------------------------------------------

    def admit_upload(
        self, chat: ChatRef, user: UserRef, upload: Upload, bot_username: str
    ) -> AdmittedUpload | None:
        """Where a file sent now is learned, checked before it is downloaded; None when it is
        not for the bot (a group's file that neither names the bot nor follows /teach).

        Raises `AdminOnlyError` for a global file from someone else than an admin, and a
        `DocumentError` for a file that cannot be learned (format, size).
        """
        caption = upload.caption
        pending = self._take_pending(chat, user)
        wants_global = (
            pending == GLOBAL_SCOPE or GLOBAL_FLAG in caption or "/teach_global" in caption
        )
        meant_for_bot = pending or wants_global or "/teach" in caption
        if not chat.is_private and not (meant_for_bot or f"@{bot_username}" in caption):
            return None
        scope = self._scope(chat, user, everyone=wants_global)
        admitted = admit(upload.name, upload.mime_type, upload.size, self._library.limits)
        return AdmittedUpload(admitted, scope, caption_question(caption, bot_username))

    async def learn_upload(
        self, upload: AdmittedUpload, path: Path, *, progress: Progress | None = None
    ) -> LearnResult:
        """Learn the admitted file, downloaded to `path`; raises `DocumentError`,
        `EmbeddingError`."""
        return await self._library.learn_file(path, upload.file, upload.scope, progress=progress)

    async def teach(
        self, chat: ChatRef, user: UserRef, text: str, *, everyone: bool = False
    ) -> LearnResult | None:
        """Learn `text` into this chat's documents (`everyone`: the global collection). With no
        text, None: the user's next text or file in this chat is learned there.

        Raises `AdminOnlyError` when `everyone` is asked by someone else than an admin.
        """
        scope = self._scope(chat, user, everyone=everyone)
        if not text.strip():
            self._pending.put(chat.id, user.id, scope)
            return None
        return await self._library.learn_text(text, note_name(text), scope)

    async def learn_awaited_text(
        self, chat: ChatRef, user: UserRef, text: str
    ) -> LearnResult | None:
        """Learn `text` if the user said /teach here just before; None if they did not (it is
        an ordinary message)."""
        scope = self._take_pending(chat, user)
        if scope is None:
            return None
        return await self._library.learn_text(text, note_name(text), scope)

    def _scope(self, chat: ChatRef, user: UserRef, *, everyone: bool) -> str:
        if not everyone:
            return teaching_scope(chat, user)
        if not self._access.is_admin(user.id):
            raise AdminOnlyError(f"user {user.id} asked to teach the global collection")
        return GLOBAL_SCOPE

    def awaits(self, chat: ChatRef, user: UserRef) -> bool:
        """Whether `user` said /teach here and their next text or file is still awaited."""
        return self._pending.waiting(chat.id, user.id, since=time.time() - self._teach_wait)

    def _take_pending(self, chat: ChatRef, user: UserRef) -> str | None:
        """The scope of a /teach still waiting for its text, once."""
        return self._pending.take(chat.id, user.id, since=time.time() - self._teach_wait)

    # -- the chat's documents ---------------------------------------------------------------

    def documents(self, chat: ChatRef, user: UserRef) -> list[ListedDocument]:
        """The documents this chat answers from, and which of them `user` may forget."""
        mine = self._forgettable_scopes(chat, user)
        return [
            ListedDocument(document, document.scope == GLOBAL_SCOPE, document.scope in mine)
            for document in self._library.documents(scopes_for(chat, user))
        ]

    async def forget(self, chat: ChatRef, user: UserRef, name: str) -> DocumentInfo | None:
        """Forget the document called `name` that `user` may forget (their own first, then a
        global one for admins); None if there is none."""
        for scope in self._forgettable_scopes(chat, user):
            forgotten = await self._library.forget(scope, name)
            if forgotten is not None:
                return forgotten
        return None

    async def forget_by_id(
        self, chat: ChatRef, user: UserRef, document_id: int
    ) -> DocumentInfo | None:
        """Forget document `document_id` if `user` may; None if it is gone or not theirs."""
        allowed = self._library.documents(self._forgettable_scopes(chat, user))
        document = next((d for d in allowed if d.id == document_id), None)
        if document is not None:
            await self._library.forget_document(document)
        return document

    async def forget_all(self, chat: ChatRef, user: UserRef) -> int:
        """Forget every document of this chat's own scope (never the global ones); how many."""
        return await self._library.forget_all(teaching_scope(chat, user))

    def _forgettable_scopes(self, chat: ChatRef, user: UserRef) -> list[str]:
        own = [teaching_scope(chat, user)]
        return [*own, GLOBAL_SCOPE] if self._access.is_admin(user.id) else own

    # -- what the last answer rested on -----------------------------------------------------

    def last_sources(self, chat: ChatRef) -> list[Passage]:
        """The passages behind the chat's last answer; none when it did not come from them."""
        return self._sources.get(chat.id)
