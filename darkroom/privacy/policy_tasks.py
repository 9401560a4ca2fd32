"""Queue tasks for the privacy policy's change notices (Huey); ``privacy.tasks`` imports them for the consumer."""

from __future__ import annotations

import datetime

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task
from huey.exceptions import TaskLockedException

from darkroom.privacy.policy_versions import do_send_policy_notices, latest_material_version

# One sender at a time: a claimed notice is sent by whoever claimed it, never twice.
LOCK = "privacy-policy-notices"
# The hourly catch-up looks at the latest material version only while it is this recent.
CATCH_UP = datetime.timedelta(days=30)


@db_task(retries=5, retry_delay=300)  # type: ignore[untyped-decorator]
def send_policy_notices_task(version_pk: int) -> int:
    """Email everyone about a new material version (queued when it is recorded); retried while mail fails."""
    with HUEY.lock_task(LOCK):
        return do_send_policy_notices(version_pk)


@db_periodic_task(crontab(minute="41"))  # type: ignore[untyped-decorator]
def policy_notices_catch_up_task() -> int:
    """Hourly: send what a run that failed for good or died left unsent, for the latest material version."""
    version = latest_material_version()
    if version is None or version.published_at < timezone.now() - CATCH_UP:
        return 0
    try:
        with HUEY.lock_task(LOCK):
            return do_send_policy_notices(version.pk)
    except TaskLockedException:
        return 0  # a run is sending right now
