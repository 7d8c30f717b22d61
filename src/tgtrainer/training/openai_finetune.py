"""Fine-tuning through an OpenAI-compatible service: the files API and `fine_tuning.jobs`.

The examples are uploaded as JSONL (`purpose="fine-tune"`), then a job is created with the
`supervised` or `dpo` method. Retries are the SDK's own; what still fails becomes a
`training.errors` exception here: 404 means the service has no fine-tuning at all, 400/401/403
that it refuses this job (its reason is kept, the key never), anything else that it is not
answering.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

import openai
from openai import AsyncOpenAI
from openai.types.fine_tuning import FineTuningJob, FineTuningJobEvent

from tgtrainer.config import Settings
from tgtrainer.llm.openai_compat import NO_KEY, OPENAI_URL
from tgtrainer.training.base import Estimate, Example, JobEvent, JobRequest, JobStatus
from tgtrainer.training.errors import (
    FineTuningRefusedError,
    FineTuningUnavailableError,
    TrainingError,
    UnknownJobError,
)

log = logging.getLogger(__name__)

EVENTS_SHOWN = 5
REASON_CHARS = 300
NO_FINE_TUNING = "This model service does not offer fine-tuning (its fine-tuning API is missing)."


def _jsonl(examples: Sequence[Example]) -> bytes:
    return "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in examples).encode()


class OpenAIFineTuner:
    """`FineTuner` over the OpenAI API (OpenAI itself or any server that offers the endpoints)."""

    backend = "openai"

    def __init__(self, settings: Settings, *, client: AsyncOpenAI | None = None) -> None:
        self._key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
        self._client = client or AsyncOpenAI(
            api_key=self._key or NO_KEY,
            base_url=settings.openai_base_url or OPENAI_URL,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
        )

    def estimate(self, request: JobRequest) -> Estimate:
        """Nothing the service tells ahead (the core estimates the price); `max_steps` is an
        offline trial's option, refused here."""
        if request.max_steps is not None:
            raise TrainingError(
                "max_steps on a service",
                user_message="--max-steps caps an offline trial run; a service trains whole "
                "epochs (use --epochs).",
            )
        return Estimate()

    async def start(self, request: JobRequest) -> JobStatus:
        try:
            training = await self._upload("train.jsonl", request.train)
            validation = (
                await self._upload("validation.jsonl", request.validation)
                if request.validation
                else None
            )
            method: Any = {"type": request.method}
            if request.epochs is not None:
                method[request.method] = {"hyperparameters": {"n_epochs": request.epochs}}
            job = await self._client.fine_tuning.jobs.create(
                model=request.base_model,
                training_file=training,
                validation_file=validation if validation is not None else openai.omit,
                suffix=request.suffix,
                method=method,
            )
        except openai.OpenAIError as error:
            raise self._map_error(error) from self._cause(error)
        log.info("fine-tuning job %s created on %s", job.id, job.model)
        return _status(job, [])

    async def status(self, job_id: str) -> JobStatus:
        try:
            job = await self._client.fine_tuning.jobs.retrieve(job_id)
            page = await self._client.fine_tuning.jobs.list_events(job_id, limit=EVENTS_SHOWN)
        except openai.OpenAIError as error:
            raise self._map_error(error, job_id) from self._cause(error)
        return _status(job, page.data)

    async def cancel(self, job_id: str) -> JobStatus:
        try:
            job = await self._client.fine_tuning.jobs.cancel(job_id)
        except openai.OpenAIError as error:
            raise self._map_error(error, job_id) from self._cause(error)
        return _status(job, [])

    async def aclose(self) -> None:
        await self._client.close()

    async def _upload(self, name: str, examples: Sequence[Example]) -> str:
        uploaded = await self._client.files.create(
            file=(name, _jsonl(examples), "application/jsonl"), purpose="fine-tune"
        )
        return uploaded.id

    def _cause(self, error: openai.OpenAIError) -> BaseException | None:
        """The SDK's error, unless the server echoed the key into it."""
        return None if self._key and self._key in f"{error!r} {error.__cause__!r}" else error

    def _map_error(self, error: openai.OpenAIError, job_id: str | None = None) -> TrainingError:
        detail = f"{type(error).__name__}: {error}"
        detail = detail.replace(self._key, "***") if self._key else detail
        if isinstance(error, openai.APIStatusError):
            status = error.status_code
            if status == 404 and job_id is not None and _endpoint_exists(error):
                return UnknownJobError(detail)
            if status in (404, 405, 501):
                return FineTuningRefusedError(detail, user_message=NO_FINE_TUNING)
            if status in (400, 401, 403, 422):
                return FineTuningRefusedError(detail, user_message=self._refusal(error))
        return FineTuningUnavailableError(detail)

    def _refusal(self, error: openai.APIStatusError) -> str:
        reason = _server_message(error)
        if self._key:
            reason = reason.replace(self._key, "***")
        if len(reason) > REASON_CHARS:
            reason = reason[: REASON_CHARS - 1] + "…"
        if error.status_code in (401, 403) and not reason:
            return "The model service does not allow fine-tuning with this API key."
        return f"The model service refused to fine-tune: {reason.rstrip('.') or 'no reason given'}."


def _server_message(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        message = body.get("message")
        if isinstance(message, str):
            return message.strip()
    return ""


def _endpoint_exists(error: openai.APIStatusError) -> bool:
    """A 404 about one job (OpenAI's error object names it) rather than about the path."""
    return isinstance(error.body, dict) and error.body.get("code") is not None


def _status(job: FineTuningJob, events: Sequence[FineTuningJobEvent]) -> JobStatus:
    error = None
    if job.error is not None and (job.error.message or job.error.code):
        error = job.error.message or job.error.code
    return JobStatus(
        job_id=job.id,
        state=job.status,
        base_model=job.model,
        fine_tuned_model=job.fine_tuned_model,
        error=error,
        training_file_id=job.training_file,
        validation_file_id=job.validation_file,
        events=tuple(JobEvent(float(e.created_at), e.level, e.message) for e in events),
    )
