"""Queue tasks for the studio (Huey)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from darkroom.studio import actions, kinds, runner

__all__ = ["kinds", "run_job", "sweep_jobs_task"]


@db_task()  # type: ignore[untyped-decorator]
def run_job(job_id: int) -> str:
    return runner.run(job_id)


@db_periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def sweep_jobs_task() -> dict[str, int]:
    return actions.sweep_jobs()
