"""Queue tasks for privacy (Huey): the daily retention sweep, exports, account deletion."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from darkroom.privacy.erasure_purge import end_subscriptions_task, purge_due_task, purge_task
from darkroom.privacy.export import build_export_task
from darkroom.privacy.policy_tasks import (  # noqa: F401 - registers the policy notice tasks
    policy_notices_catch_up_task,
    send_policy_notices_task,
)
from darkroom.privacy.retention import sweep

__all__ = [
    "build_export_task",
    "end_subscriptions_task",
    "purge_due_task",
    "purge_task",
    "retention_sweep_task",
]  # the consumer finds tasks by importing this module


@db_periodic_task(crontab(hour="3", minute="17"))  # type: ignore[untyped-decorator]
def retention_sweep_task() -> dict[str, int]:
    """Daily at 03:17 UTC, off the hour when other housekeeping runs: every retention rule, once.

    The rules count in days and years, so once a day keeps every period to
    within a day; a run that dies half-way loses nothing, the next one finds
    the same rows (each chunk commits on its own).
    """
    return {f"{tally.rule}/{tally.what}": tally.count for tally in sweep()}
