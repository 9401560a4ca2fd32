"""Periodic housekeeping for notifications."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from darkroom.notify.actions import do_purge_expired_outbox


@db_periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def purge_expired_outbox() -> None:
    # Codes live at most ACCOUNT_PHONE_VERIFICATION_TIMEOUT (10 min); a minute's
    # granularity keeps an expired code in the outbox for under a minute more.
    do_purge_expired_outbox()
