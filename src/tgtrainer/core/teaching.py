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
- Files sent together (an album, a burst) are one batch: a flag, the bot's @name or a question in
  any caption holds for all of them (an album's caption sits on one file), a waiting /teach is
  used once for all, and a file that cannot be learned is told in the summary while the others
  are learned.
- Each file is learned by `core.file_learning`: a ZIP archive is unpacked there, and a document
  that gives little text for its size is learned with a warning.

No Telegram here: chats and users come as `ChatRef`/`UserRef`, results go back as plain data.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tgtrainer.core.access import AccessPolicy
from tgtrainer.core.file_learning import ARCHIVE, FileLearning, Learned
from tgtrainer.core.grounding import scopes_for, teaching_scope
from tgtrainer.core.quotas import Quotas
from tgtrainer.core.types import ChatRef, UserRef
from tgtrainer.errors import UserFacingError
from tgtrainer.knowledge.extract import Admitted, admit, archive, check_size
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
    user_id: int | None = None  # who sent it: their quota counts it


@dataclass(frozen=True, slots=True)
class AdmittedBatch:
    """Files sent together, checked before they are downloaded: each with its admission (None,
    and the reason, for those refused), where they go and what their captions ask."""

    files: list[tuple[Upload, Admitted | None, str]]  # (upload, admitted, why refused)
    scope: str
    question: str
    user_id: int | None = None  # who sent them: their quota counts them


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
        quotas: Quotas | None = None,
    ) -> None:
        self._library = library
        self._quotas = quotas
        self._access = access
        self._pending = pending
        self._sources = sources
        self._teach_wait = teach_wait_seconds
        self._files = FileLearning(library, quotas)

    # -- learning ---------------------------------------------------------------------------

    def admit_upload(
        self, chat: ChatRef, user: UserRef, upload: Upload, bot_username: str
    ) -> AdmittedUpload | None:
        """Where a file sent now is learned, checked before it is downloaded; None when it is
        not for the bot (a group's file that neither names the bot nor follows /teach).

        Raises `AdminOnlyError` for a global file from someone else than an admin, a
        `DocumentError` for a file that cannot be learned (format, size), and
        `QuotaExceededError` when the user may learn no more now.
        """
        scope = self._batch_scope(chat, user, upload.caption, bot_username)
        if scope is None:
            return None
        admitted = self._admit_file(upload)
        if self._quotas is not None:
            self._quotas.check_document(user.id, upload.size)
        question = caption_question(upload.caption, bot_username)
        return AdmittedUpload(admitted, scope, question, user.id)

    def admit_batch(
        self, chat: ChatRef, user: UserRef, uploads: Sequence[Upload], bot_username: str
    ) -> AdmittedBatch | None:
        """Where files sent together are learned (the rules above), each checked before it is
        downloaded; None when they are not for the bot. Raises `AdminOnlyError`."""
        captions = " ".join(upload.caption for upload in uploads if upload.caption)
        scope = self._batch_scope(chat, user, captions, bot_username)
        if scope is None:
            return None
        files: list[tuple[Upload, Admitted | None, str]] = []
        for upload in uploads:
            try:
                admitted = self._admit_file(upload)
                if self._quotas is not None:
                    self._quotas.check_document(user.id, upload.size)
                files.append((upload, admitted, ""))
            except UserFacingError as error:
                files.append((upload, None, str(error)))
        questions = (caption_question(upload.caption, bot_username) for upload in uploads)
        return AdmittedBatch(files, scope, next((q for q in questions if q), ""), user.id)

    def _batch_scope(
        self, chat: ChatRef, user: UserRef, caption: str, bot_username: str
    ) -> str | None:
        pending = self._take_pending(chat, user)
        wants_global = (
            pending == GLOBAL_SCOPE or GLOBAL_FLAG in caption or "/teach_global" in caption
        )
        meant_for_bot = pending or wants_global or "/teach" in caption
        if not chat.is_private and not (meant_for_bot or f"@{bot_username}" in caption):
            return None
        return self._scope(chat, user, everyone=wants_global)

    def _admit_file(self, upload: Upload) -> Admitted:
        if archive.is_archive(upload.name, upload.mime_type):
            check_size(upload.name, upload.size, self._library.limits)
            return Admitted(upload.name, ARCHIVE, upload.mime_type)
        return admit(upload.name, upload.mime_type, upload.size, self._library.limits)

    async def learn_upload(
        self, upload: AdmittedUpload, path: Path, *, progress: Progress | None = None
    ) -> list[Learned]:
        """Learn the admitted file, downloaded to `path`. A document raises `DocumentError`,
        `EmbeddingError`; an archive's files are each learned or told why not."""
        if upload.file.kind == ARCHIVE:
            return await self.learn_file(
                upload.file, upload.scope, path, progress=progress, user_id=upload.user_id
            )
        return [
            await self._files.learn_document(
                upload.file, upload.scope, path, progress=progress, user_id=upload.user_id
            )
        ]

    async def learn_file(
        self,
        file: Admitted,
        scope: str,
        path: Path,
        *,
        progress: Progress | None = None,
        user_id: int | None = None,
    ) -> list[Learned]:
        """Learn one file of a batch, downloaded to `path` (`FileLearning.learn`): what cannot
        be learned is told in its `Learned`, never raised."""
        return await self._files.learn(file, scope, path, progress=progress, user_id=user_id)

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
        return await self._learn_text(user, text, scope)

    async def learn_awaited_text(
        self, chat: ChatRef, user: UserRef, text: str
    ) -> LearnResult | None:
        """Learn `text` if the user said /teach here just before; None if they did not (it is
        an ordinary message)."""
        scope = self._take_pending(chat, user)
        if scope is None:
            return None
        return await self._learn_text(user, text, scope)

    async def _learn_text(self, user: UserRef, text: str, scope: str) -> LearnResult:
        if self._quotas is not None:
            self._quotas.check_document(user.id, len(text.encode()))
        result = await self._library.learn_text(text, note_name(text), scope)
        self._files.count(user.id, result)
        return result

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
