"""The files and fine-tuning endpoints of the fake OpenAI server, in OpenAI's object shapes.

    POST /v1/files                          multipart `file` + `purpose` -> a file object
    POST /v1/fine_tuning/jobs               -> a `fine_tuning.job`, status validating_files
    GET  /v1/fine_tuning/jobs/{id}          -> the job, one state further each time it is asked:
                                               validating_files -> queued -> running -> succeeded
    GET  /v1/fine_tuning/jobs/{id}/events   -> `fine_tuning.job.event`s, newest first
    POST /v1/fine_tuning/jobs/{id}/cancel   -> the job, cancelled

A succeeded job's model (`ft:<base>:<suffix>:<6 hex>`) joins the server's model list. `hold`
keeps running jobs running; `fail_next_job` makes the next job fail its validation;
`refuse_with` answers every one of these endpoints with an error status, as a server without
fine-tuning does.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tgtrainer.testing.openai_wire import error_response

__all__ = ["FakeFineTuning"]

Refusal = Callable[[web.Request], web.Response | None]
NEXT_STATE = {"validating_files": "queued", "queued": "running", "running": "succeeded"}
STATE_EVENTS = {
    "queued": "Files validated, moving job to queued state",
    "running": "Fine-tuning job started",
    "succeeded": "The job has successfully completed",
}


class FakeFineTuning:
    """See the module docstring. `files` maps file ids to their parsed JSONL lines; `created`
    holds the body of every job created."""

    def __init__(self) -> None:
        self.files: dict[str, list[Any]] = {}
        self.file_objects: dict[str, dict[str, Any]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.events: dict[str, list[dict[str, Any]]] = {}
        self.created: list[dict[str, Any]] = []
        self.hold = False
        """While set, running jobs stay running; may be changed while the server runs."""
        self.refuse_with: int | None = None
        """When set, every files and fine-tuning request gets this status."""
        self._failures: deque[tuple[str, str]] = deque()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def fail_next_job(
        self, message: str = "The training file has too few examples.", code: str = "invalid_file"
    ) -> None:
        """The next job created fails its validation with this error."""
        self._failures.append((code, message))

    def fine_tuned_models(self) -> list[str]:
        with self._lock:
            return [
                job["fine_tuned_model"]
                for job in self.jobs.values()
                if job["status"] == "succeeded" and job["fine_tuned_model"]
            ]

    def register(self, app: web.Application, refusal: Refusal) -> None:
        """Add the endpoints to `app`; `refusal` turns away requests without the right key."""
        self._refusal = refusal
        app.router.add_post("/v1/files", self._upload)
        app.router.add_post("/v1/fine_tuning/jobs", self._create)
        app.router.add_get("/v1/fine_tuning/jobs/{job_id}", self._retrieve)
        app.router.add_get("/v1/fine_tuning/jobs/{job_id}/events", self._list_events)
        app.router.add_post("/v1/fine_tuning/jobs/{job_id}/cancel", self._cancel)

    # -- handlers -------------------------------------------------------------------------

    def _turned_away(self, request: web.Request) -> web.Response | None:
        refused = self._refusal(request)
        if refused is not None:
            return refused
        if self.refuse_with == 404:  # what a server without these endpoints answers
            return web.Response(status=404, text="404 page not found")
        if self.refuse_with is not None:
            return error_response(
                self.refuse_with,
                "Fine-tuning is not available for this organization.",
                "invalid_request_error",
            )
        return None

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        turned_away = self._turned_away(request)
        if turned_away is not None:
            return turned_away
        form = await request.post()
        upload, purpose = form.get("file"), form.get("purpose")
        if not isinstance(upload, web.FileField) or purpose not in ("fine-tune", "batch"):
            return error_response(
                400, "'file' and a valid 'purpose' are required", "invalid_request_error"
            )
        content = upload.file.read()
        try:
            lines = [json.loads(line) for line in content.decode().splitlines() if line.strip()]
        except (UnicodeDecodeError, ValueError):
            return error_response(400, "The file is not valid JSONL.", "invalid_request_error")
        ident = f"file-{next(self._ids):06d}"
        obj = {
            "id": ident,
            "object": "file",
            "bytes": len(content),
            "created_at": int(time.time()),
            "filename": upload.filename,
            "purpose": purpose,
            "status": "processed",
            "expires_at": None,
            "status_details": None,
        }
        with self._lock:
            self.files[ident], self.file_objects[ident] = lines, obj
        return web.json_response(obj)

    async def _create(self, request: web.Request) -> web.StreamResponse:
        turned_away = self._turned_away(request)
        if turned_away is not None:
            return turned_away
        body = await request.json()
        self.created.append(body)
        model, training = body.get("model"), body.get("training_file")
        if not isinstance(model, str) or training not in self.files:
            return error_response(
                400, f"invalid training_file: {training}", "invalid_request_error", "invalid_file"
            )
        method = body.get("method") or {"type": "supervised"}
        kind = method.get("type", "supervised")
        ident = f"ftjob-{next(self._ids):06d}"
        hyper = {"n_epochs": "auto", "batch_size": "auto", "learning_rate_multiplier": "auto"}
        job = {
            "object": "fine_tuning.job",
            "id": ident,
            "model": model,
            "created_at": int(time.time()),
            "finished_at": None,
            "fine_tuned_model": None,
            "organization_id": "org-fake",
            "result_files": [],
            "status": "validating_files",
            "validation_file": body.get("validation_file"),
            "training_file": training,
            "hyperparameters": hyper,
            "trained_tokens": None,
            "error": None,
            "seed": 42,
            "estimated_finish": None,
            "integrations": [],
            "metadata": None,
            "user_provided_suffix": body.get("suffix"),
            "method": {"type": kind, kind: {"hyperparameters": hyper}},
            "_failure": self._failures.popleft() if self._failures else None,
        }
        with self._lock:
            self.jobs[ident] = job
            self.events[ident] = []
        self._event(ident, f"Validating training file: {training}")
        self._event(ident, f"Created fine-tuning job: {ident}")
        return web.json_response(_public(job))

    def _job_or_404(self, request: web.Request) -> dict[str, Any] | web.Response:
        job = self.jobs.get(request.match_info["job_id"])
        if job is None:
            return error_response(
                404,
                f"Could not find fine-tuning job {request.match_info['job_id']}",
                "invalid_request_error",
                "fine_tune_not_found",
            )
        return job

    async def _retrieve(self, request: web.Request) -> web.StreamResponse:
        turned_away = self._turned_away(request)
        if turned_away is not None:
            return turned_away
        job = self._job_or_404(request)
        if isinstance(job, web.Response):
            return job
        self._advance(job)
        return web.json_response(_public(job))

    async def _list_events(self, request: web.Request) -> web.StreamResponse:
        turned_away = self._turned_away(request)
        if turned_away is not None:
            return turned_away
        job = self._job_or_404(request)
        if isinstance(job, web.Response):
            return job
        limit = int(request.query.get("limit", "20"))
        with self._lock:
            events = list(reversed(self.events[job["id"]]))
        return web.json_response(
            {"object": "list", "data": events[:limit], "has_more": len(events) > limit}
        )

    async def _cancel(self, request: web.Request) -> web.StreamResponse:
        turned_away = self._turned_away(request)
        if turned_away is not None:
            return turned_away
        job = self._job_or_404(request)
        if isinstance(job, web.Response):
            return job
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return error_response(
                400, "Job has already completed.", "invalid_request_error", "invalid_state"
            )
        self._finish(job, "cancelled")
        self._event(job["id"], "Fine-tuning job cancelled")
        return web.json_response(_public(job))

    # -- the life of a job ------------------------------------------------------------------

    def _advance(self, job: dict[str, Any]) -> None:
        state = job["status"]
        if state not in NEXT_STATE or (state == "running" and self.hold):
            return
        if job["_failure"] is not None:
            code, message = job["_failure"]
            job["error"] = {"code": code, "message": message, "param": "training_file"}
            self._finish(job, "failed")
            self._event(job["id"], f"Training file validation failed: {message}", "error")
            return
        following = NEXT_STATE[state]
        if following == "succeeded":
            digest = hashlib.sha256(job["id"].encode()).hexdigest()[:6]
            suffix = job["user_provided_suffix"] or "personal"
            job["fine_tuned_model"] = f"ft:{job['model']}:{suffix}:{digest}"
            lines = len(self.files.get(job["training_file"], []))
            job["trained_tokens"] = 100 * lines
            self._event(job["id"], "Step 1/1: training loss=0.42")
            self._event(job["id"], f"New fine-tuned model created: {job['fine_tuned_model']}")
            self._finish(job, "succeeded")
        else:
            job["status"] = following
        self._event(job["id"], STATE_EVENTS[following])

    def _finish(self, job: dict[str, Any], state: str) -> None:
        job["status"] = state
        job["finished_at"] = int(time.time())

    def _event(self, job_id: str, message: str, level: str = "info") -> None:
        with self._lock:
            self.events[job_id].append(
                {
                    "object": "fine_tuning.job.event",
                    "id": f"ftevent-{next(self._ids):06d}",
                    "created_at": int(time.time()),
                    "level": level,
                    "message": message,
                    "data": {},
                    "type": "message",
                }
            )


def _public(job: dict[str, Any]) -> dict[str, Any]:
    """The job as the API shows it, without the fake's own bookkeeping."""
    return {key: value for key, value in job.items() if not key.startswith("_")}
