"""The root of the errors a user is told about, shared by every capability.

Every failure a user may hear of derives from `UserFacingError`; the bot catches it once, at its
boundary (`bot.boundary.ErrorBoundary.on_error`), tells the user `str(error)` and logs `detail` and
`__cause__` with the update id. Any other exception is a bug: the user gets a generic sentence
and the log the traceback. The tree (the sentence each class says unless raised with its own):

    UserFacingError                      "Something went wrong on my side. Please try again."
     +-- llm.ModelError                  "The model could not answer this message."
     |    +-- ModelUnavailableError      time-out, connection error, 5xx, 429 (after retries)
     |    +-- ModelConfigurationError    the backend refuses as configured (key, model name)
     |    +-- PromptTooLongError         the conversation does not fit the context window
     +-- speech.SpeechError              "I could not process this audio."
     |    +-- AudioDecodeError           damaged, not audio, no sound track
     |    |    +-- AudioTooLongError     longer than the limit once decoded
     |    +-- SpeechUnavailableError     the speech backend did not answer (after retries)
     |    +-- SpeechConfigurationError   the backend refuses as configured, weights missing
     |    +-- UnsupportedLanguageError   no voice speaks this language
     +-- knowledge.KnowledgeError        raised with its own sentence (it names the file)
     |    +-- DocumentError              the document cannot be learned
     |    |    +-- UnsupportedFormatError   not a format we read
     |    |    +-- DocumentTooLargeError    over the size, page or unpacked-size limit
     |    |    +-- UnreadableDocumentError  corrupt, encrypted, not what its name says
     |    |    +-- NoTextError              opens fine, holds no text
     |    +-- EmbeddingError             the embedding model could not embed
     +-- core.assistant.SystemPromptTooLongError  raised with its own sentence (both sizes)
     +-- training.TrainingError          "Fine-tuning did not work this time."
     |    +-- FineTuningRefusedError     the service has no fine-tuning (404) or refuses (400/403)
     |    +-- FineTuningUnavailableError the service did not answer (after retries)
     |    +-- NothingToTrainError        no rated or corrected answers yet
     |    +-- TrainingNotConfiguredError no fine-tuning backend for these settings
     |    +-- UnknownJobError            no such job
     |    +-- TrainExtraMissingError     offline training without the `train` extra
     |    +-- TrainingDataError          a JSONL that is not chat fine-tuning data (names the line)
     |    +-- UnsupportedModelError      a GGUF transformers cannot load (another architecture)
     |    +-- TrainingBusyError          an offline job is already running
     +-- storage.StorageFullError        "My storage is full, so I could not keep this. ..."
     |                                   (disk full, DATABASE_MAX_MB reached; logged as an error)
     +-- core.teaching.AdminOnlyError    "Only the bot's admins can teach the global collection."
     +-- core.training.TrainingAdminOnlyError  "Only the bot's admins can train the model."
"""

from __future__ import annotations


class UserFacingError(Exception):
    """A failure the user hears of. `str(error)` is one sentence for them; `detail` (and
    `__cause__`) is what the operator needs, for the log, and never holds a secret.

    Subclasses set `user_message`; one instance may replace it with a sentence of its own.
    """

    user_message: str = "Something went wrong on my side. Please try again."
    operator_alert: bool = False
    """The operator must act (free space, fix a setting): logged as an error, not a warning."""

    def __init__(self, detail: str = "", *, user_message: str | None = None) -> None:
        self.user_message = user_message or type(self).user_message
        super().__init__(self.user_message)
        self.detail = detail

    def __repr__(self) -> str:
        return f"{type(self).__name__}({(self.detail or self.user_message)!r})"
