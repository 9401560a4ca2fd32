"""Exports: ask for one, build it on the queue, offer it behind a signed link, delete it when it ends.

photo-coach §8 promises "Export your data upon request" and §8 "Access your
personal data"; selfie-studio §5 "View, download, or delete your generated
results at any time". An export is a row first (``privacy.Export``), then a
Huey task streams the ZIP (``privacy.archive``) into private storage. The
download link works until ``expires_at``, the profile's ``export_link_days``
after the archive was ready; ``expire_exports`` then deletes object and row.
"""

from __future__ import annotations

import datetime
import logging
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from huey.contrib.djhuey import db_task

from darkroom.accounts.models import User
from darkroom.photos import storage
from darkroom.privacy.archive import archive
from darkroom.privacy.inventory import Retention
from darkroom.privacy.models import Export
from darkroom.privacy.retention import Run, Tally, rule

log = logging.getLogger(__name__)

# A building export writes its progress at least once a file; one that has been silent
# this long lost its worker (killed, redeployed) and would block the person's next request.
STALE_AFTER = datetime.timedelta(hours=1)
_BATCH = 500
_RETRY = "Nothing was kept; ask for a new export."


class ExportGone(Exception):
    """The export stopped being this worker's (the account went, or the sweep gave up on it)."""


def link_days() -> int:
    return settings.PROFILE.privacy.retention.export_link_days


def do_request_export(user: User) -> tuple[Export, bool]:
    """Queue an export of everything of ``user``'s: (the export, True); while one is queued or running, (it, False).

    The row is committed before its task is enqueued (the worker must find
    it). Two requests at once: the constraint lets one in, the other gets it.
    """
    active = Export.objects.filter(owner=user, state__in=Export.ACTIVE).first()
    if active is not None:
        return active, False
    try:
        with transaction.atomic():
            export = Export.objects.create(owner=user)
            transaction.on_commit(lambda: build_export_task(export.pk))
    except IntegrityError:
        return Export.objects.get(owner=user, state__in=Export.ACTIVE), False
    return export, True


class _Progress:
    """Writes the percentage to the row as files go in, and stops the build once the row is not running."""

    def __init__(self, export_id: int) -> None:
        self.export_id = export_id
        self.percent = -1
        self.touched = 0.0

    def __call__(self, done: int, total: int) -> None:
        # account.json is the first few percent; the files fill the rest up to 99.
        percent = 5 + (94 * done) // max(total, 1)
        if percent == self.percent and time.monotonic() - self.touched < 60:
            return
        running = Export.objects.filter(pk=self.export_id, state=Export.State.RUNNING)
        if not running.update(progress=percent, updated_at=timezone.now()):
            raise ExportGone
        self.percent, self.touched = percent, time.monotonic()


def build_export(export_id: int) -> str:
    """Build one queued export into private storage; what happened, in a word, for the queue's log."""
    key = storage.new_key("zip")
    claimed = Export.objects.filter(pk=export_id, state=Export.State.QUEUED).update(
        state=Export.State.RUNNING, file_key=key, progress=1, updated_at=timezone.now()
    )
    if not claimed:
        return "not queued"
    export = Export.objects.select_related("owner").get(pk=export_id)
    try:
        size = storage.put_stream(key, archive(export.owner, _Progress(export_id)))
    except ExportGone:
        return "gone"  # put_stream left nothing behind
    except Exception as exc:
        log.exception("export %s failed", export.public_id)
        _fail(export_id, key, _reason(exc))
        return "failed"
    now = timezone.now()
    ready = Export.objects.filter(pk=export_id, state=Export.State.RUNNING).update(
        state=Export.State.READY,
        byte_size=size,
        progress=100,
        finished_at=now,
        expires_at=now + datetime.timedelta(days=link_days()),
        updated_at=now,
    )
    if not ready:
        storage.delete([key])
        return "gone"
    _drop_older(export)
    log.info("export %s ready: %d bytes", export.public_id, size)
    _announce_ready(export, now + datetime.timedelta(days=link_days()))
    return "ready"


def _announce_ready(export: Export, expires_at: datetime.datetime) -> None:
    """Tell the person, in the app and by email; the link is the export page (the download needs a sign-in)."""
    from django.urls import reverse

    from darkroom import notify

    try:
        notify.send(
            export.owner,
            "export_ready",
            {"expires_at": expires_at},
            key=f"export:{export.public_id}:ready",
            link=reverse("privacy:export"),
        )
    except Exception:  # the archive is ready whatever happens to its notice
        log.exception("export %s: the ready notice was not made", export.public_id)


def _reason(exc: Exception) -> str:
    """The failure in words the person can read; the details are in the log, not on their page."""
    if isinstance(exc, OSError) or exc.__class__.__module__.startswith(("botocore", "boto3", "s3transfer")):
        return f"The archive could not be written to or read from storage. {_RETRY}"
    return f"Something went wrong while building the archive ({exc.__class__.__name__}). {_RETRY}"


def _fail(export_id: int, key: str, reason: str) -> None:
    if key:
        storage.delete([key])
    Export.objects.filter(pk=export_id, state=Export.State.RUNNING).update(
        state=Export.State.FAILED, error=reason, progress=0, finished_at=timezone.now(), updated_at=timezone.now()
    )


def _drop_older(export: Export) -> None:
    """A new archive replaces the person's earlier ones: one full copy of their data in storage, not several."""
    older = Export.objects.filter(owner_id=export.owner_id).exclude(pk=export.pk).exclude(state__in=Export.ACTIVE)
    _delete(list(older.values_list("pk", "file_key")))


def _delete(rows: list[tuple[int, str]]) -> None:
    """Mark expired first (a download view that looks now sees it gone), then the objects, then the rows."""
    pks = [pk for pk, _ in rows]
    Export.objects.filter(pk__in=pks).update(state=Export.State.EXPIRED, updated_at=timezone.now())
    storage.delete([key for _, key in rows if key])
    Export.objects.filter(pk__in=pks).delete()


def is_downloadable(export: Export) -> bool:
    return export.state == Export.State.READY and export.expires_at is not None and export.expires_at > timezone.now()


def download_url(export: Export) -> str:
    """A short-lived signed URL to the archive, as photos are served; call after the owner and expiry checks."""
    assert is_downloadable(export)
    name = f"{settings.PROFILE.slug}-export-{export.created_at:%Y-%m-%d}.zip"
    return storage.issue_signed_url(
        storage.SignedTarget(
            key=export.file_key, user_id=export.owner_id, content_type="application/zip", download_name=name
        )
    )


def expire_exports(
    *, dry_run: bool = False, now: datetime.datetime | None = None, batch_size: int = _BATCH
) -> dict[str, int]:
    """The exports' retention step: one rule per count below, in batches.

    - ``expired``: archives past ``expires_at`` (the profile's export_link_days): object and row deleted;
    - ``stalled``: queued or running exports silent for ``STALE_AFTER``: failed, partial object deleted;
    - ``failed``: failed rows older than export_link_days: deleted (they hold no object).

    With ``dry_run`` it only counts what would go. ``now`` is the sweep's moment (``retention.Run.now``).
    """
    now = now or timezone.now()
    due = Export.objects.filter(state__in=[Export.State.READY, Export.State.EXPIRED], expires_at__lte=now)
    stalled = Export.objects.filter(state__in=Export.ACTIVE, updated_at__lt=now - STALE_AFTER)
    old_failures = Export.objects.filter(
        state=Export.State.FAILED, updated_at__lt=now - datetime.timedelta(days=link_days())
    )
    if dry_run:
        return {"expired": due.count(), "stalled": stalled.count(), "failed": old_failures.count()}
    counts = {"expired": 0, "stalled": 0, "failed": 0}
    while batch := list(due.values_list("pk", "file_key")[:batch_size]):
        _delete(batch)
        counts["expired"] += len(batch)
    while batch := list(stalled.values_list("pk", "file_key")[:batch_size]):
        for pk, key in batch:
            _fail(pk, key, "The export stopped before it finished (the server restarted). " + _RETRY)
        # _fail only moves running rows; a queued one whose task was lost is failed here.
        Export.objects.filter(pk__in=[pk for pk, _ in batch], state=Export.State.QUEUED).update(
            state=Export.State.FAILED, error=f"The export never started. {_RETRY}", updated_at=now
        )
        counts["stalled"] += len(batch)
    while batch_pks := list(old_failures.values_list("pk", flat=True)[:batch_size]):
        counts["failed"] += Export.objects.filter(pk__in=batch_pks).delete()[0]
    return counts


@rule(Retention.EXPORT_LINK, name="exports", models={"privacy.Export"})
def expired_exports(run: Run) -> list[Tally]:
    """Export archives past their link's end, with their objects; exports whose worker died; old failures.

    photo-coach §8 "Export your data upon request": the archive is a copy
    made to be downloaded, not a second store of the person's data, so it
    goes the profile's export_link_days after it was ready (the download
    view refuses it from that moment; this deletes it).
    """
    counts = expire_exports(dry_run=run.dry_run, now=run.now, batch_size=run.batch_size)
    days = link_days()
    return [
        Tally("exports", f"archives past their {days}-day link", counts["expired"]),
        Tally("exports", "exports whose worker stopped", counts["stalled"]),
        Tally("exports", f"failed exports over {days} days old", counts["failed"]),
    ]


def delete_exports_of(user: User) -> int:
    """Every export of ``user``'s, objects first (account deletion); how many there were."""
    rows = list(Export.objects.filter(owner=user).values_list("pk", "file_key"))
    _delete(rows)
    return len(rows)


# No retries: a build that failed says why on the row, and the person asks again.
@db_task(retries=0)  # type: ignore[untyped-decorator]
def build_export_task(export_id: int) -> str:
    return build_export(export_id)
