"""The root of the errors a user is told about, shared by every capability."""

from __future__ import annotations


class UserFacingError(Exception):
    """A failure the user hears of. `str(error)` is one sentence for them; `detail` (and
    `__cause__`) is what the operator needs, for the log, and never holds a secret.

    Subclasses set `user_message`; one instance may replace it with a sentence of its own.
    """

    user_message: str = "Something went wrong on my side. Please try again."

    def __init__(self, detail: str = "", *, user_message: str | None = None) -> None:
        self.user_message = user_message or type(self).user_message
        super().__init__(self.user_message)
        self.detail = detail

    def __repr__(self) -> str:
        return f"{type(self).__name__}({(self.detail or self.user_message)!r})"
