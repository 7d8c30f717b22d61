"""Why a document could not be learned or searched, in a sentence for the user."""

from __future__ import annotations

from tgtrainer.errors import UserFacingError


class KnowledgeError(UserFacingError):
    """A knowledge error is raised with its own sentence first, since most name the file or
    the limit: `NoTextError("I found no text in a.txt.")`; `detail` is for the log."""

    def __init__(self, user_message: str | None = None, *, detail: str = "") -> None:
        super().__init__(detail, user_message=user_message)


class DocumentError(KnowledgeError):
    """The document cannot be learned; `str(error)` is one clear sentence for the user."""

    user_message = "I could not learn this document."


class UnsupportedFormatError(DocumentError):
    pass


class DocumentTooLargeError(DocumentError):
    pass


class UnreadableDocumentError(DocumentError):
    """Corrupt, encrypted, or otherwise not what its name says."""


class NoTextError(DocumentError):
    """The file opened fine but holds no text we can read."""


class EmbeddingError(KnowledgeError):
    """The embedding model could not embed; `str(error)` is a sentence for the user."""

    user_message = "The embedding model could not read this text."
