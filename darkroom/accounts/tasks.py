"""Periodic housekeeping for accounts."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from darkroom.accounts.actions import do_sweep_unfinished_signups


@db_periodic_task(crontab(minute="*/5"))  # type: ignore[untyped-decorator]
def sweep_unfinished_signups() -> None:
    do_sweep_unfinished_signups()
