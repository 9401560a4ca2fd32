"""Running one job: claim it, keep its lease alive, do the work, record the end.

Kinds register a handler here; the runner owns status, failure and logging
so every kind behaves the same when a worker dies or a step raises.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection

from darkroom.engine.models import ModelMissing
from darkroom.photos.models import Photo
from darkroom.studio import actions
from darkroom.studio.actions import JobGone
from darkroom.studio.models import Job

log = logging.getLogger(__name__)


class JobError(Exception):
    """A failure whose message is written for the user (a missing input, say)."""


@dataclass
class Outcome:
    """What a handler made: the stored result and what the engine measured on the way."""

    result: Photo
    report: dict[str, Any] = field(default_factory=dict)


Progress = Callable[[int], None]
Handler = Callable[[Job, Progress], Outcome]
HANDLERS: dict[str, Handler] = {}


def handles(kind: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[kind] = handler
        return handler

    return register


class Heartbeat:
    """Renews the job's lease from a side thread while the handler works."""

    def __init__(self, job_id: int, attempt: int) -> None:
        self.job_id = job_id
        self.attempt = attempt
        self.progress: int | None = None
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{job_id}", daemon=True)

    def _beat(self) -> None:
        interval = max(1.0, settings.JOB_LEASE_SECONDS / 3)
        try:
            while not self._stop.wait(interval):
                if not actions.heartbeat(self.job_id, self.progress, self.attempt):
                    self.lost.set()
        finally:
            connection.close()

    def report(self, percent: int) -> None:
        """Progress from the handler; raises ``JobGone`` once the job is no longer running here.

        Handlers report often, so a cancelled job stops within one engine
        stage instead of running (and paying) to the end.
        """
        self.progress = percent
        if self.lost.is_set() or not actions.heartbeat(self.job_id, percent, self.attempt):
            self.lost.set()
            raise JobGone(self.job_id)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]) -> None:
        self._stop.set()
        self._thread.join()


def run(job_id: int) -> str:
    """Run job ``job_id`` if this worker can claim it; return the final state or 'skipped'."""
    close_old_connections()
    if not actions.claim(job_id):
        return "skipped"
    job = Job.objects.select_related("input", "owner", "result").get(pk=job_id)
    if job.result is not None:
        # An earlier attempt stored (and checked) the result, then its worker died before delivering it.
        log.info("job %s (%s): delivering the result an interrupted attempt stored", job.public_id, job.kind)
        actions.do_succeed(job_id, job.result, job.report, job.attempts)
        return Job.State.SUCCEEDED
    handler = HANDLERS.get(job.kind)
    if handler is None:
        actions.do_fail(job_id, f"This service cannot run {job.get_kind_display()} jobs.")
        return Job.State.FAILED
    try:
        with Heartbeat(job_id, job.attempts) as beat:
            outcome = handler(job, beat.report)
    except JobError as exc:
        actions.do_fail(job_id, str(exc), job.attempts)
        return Job.State.FAILED
    except JobGone:
        log.info("job %s (%s) was stopped while running here", job.public_id, job.kind)
        return "superseded"
    except ModelMissing as missing:
        # Retrying cannot help until the operator fetches the models: fail now, and say so in the log.
        log.error("job %s (%s) cannot run: %s", job.public_id, job.kind, missing)
        actions.do_fail(
            job_id,
            "This service cannot run this job right now: a file it needs is missing on its server. "
            "Please try again later.",
            job.attempts,
        )
        return Job.State.FAILED
    except Exception:
        log.exception("job %s (%s) raised", job.public_id, job.kind)
        actions.do_retry_later(job_id, job.attempts)
        return Job.objects.get(pk=job_id).state
    if not actions.do_succeed(job_id, outcome.result, outcome.report, job.attempts):
        # The lease was lost (the sweep gave the job to another worker);
        # that worker's result wins and this one is discarded.
        from darkroom.photos.actions import do_delete_photo

        do_delete_photo(outcome.result)
        return "superseded"
    return Job.State.SUCCEEDED
