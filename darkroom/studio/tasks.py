"""Queue tasks for the studio (Huey)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from darkroom.studio import actions, kinds, remote, runner
from darkroom.studio.providers.base import Transient

__all__ = ["cancel_replicate_task", "kinds", "run_job", "sweep_jobs_task"]

log = logging.getLogger(__name__)


@db_task()  # type: ignore[untyped-decorator]
def run_job(job_id: int) -> str:
    return runner.run(job_id)


@db_periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def sweep_jobs_task() -> dict[str, int]:
    return actions.sweep_jobs()


@db_task(retries=5, retry_delay=30)  # type: ignore[untyped-decorator]
def cancel_replicate_task(prediction_id: str) -> None:
    """Stop a prediction no job wants; a busy Replicate is asked again (Huey retries the raise)."""
    from darkroom.studio.providers.base import ProviderError

    try:
        remote.cancel_replicate(prediction_id)
    except Transient:
        raise
    except ProviderError as failed:
        # A refused token or an unknown id: asking again cannot help.
        log.warning("could not cancel Replicate prediction %s: %s", prediction_id, failed.message)
