"""Why a document could not be learned, in a sentence for the user."""

from __future__ import annotations


class DocumentError(Exception):
    """The document cannot be learned; `str(error)` is one clear sentence for the user."""


class UnsupportedFormatError(DocumentError):
    pass


class DocumentTooLargeError(DocumentError):
    pass


class UnreadableDocumentError(DocumentError):
    """Corrupt, encrypted, or otherwise not what its name says."""


class NoTextError(DocumentError):
    """The file opened fine but holds no text we can read."""


class EmbeddingError(Exception):
    """The embedding model could not embed; `str(error)` is a sentence for the user."""
