"""State changes for jobs.

Every transition is a conditional UPDATE on the job row (``WHERE state = …``),
so two workers, or a worker and the sweep, can race without both winning.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.dispatch import Signal
from django.utils import timezone

from darkroom.accounts.models import User
from darkroom.billing import ledger
from darkroom.photos.actions import do_mark_generated
from darkroom.photos.models import Photo
from darkroom.studio.models import Job

log = logging.getLogger(__name__)


def requeue_queued_after() -> datetime.timedelta:
    """How long a queued job waits before its task is sent again (settings.JOB_REQUEUE_QUEUED_SECONDS)."""
    return datetime.timedelta(seconds=settings.JOB_REQUEUE_QUEUED_SECONDS)


class JobRefused(Exception):
    """A job that cannot be created; the message is for the user."""


class JobGone(Exception):
    """The job stopped being this worker's (cancelled, failed by the sweep, or claimed again): stop working on it."""


# Sent once when a job ends (succeeded, failed or cancelled), after the commit:
# the notifications issue connects its in-app and email messages here.
job_finished = Signal()

# A job still not done this long after it was created has failed (and is
# refunded): no person waits an hour for a selfie. Remote queues and the 4×
# upscale of a Pro-size photo are the slow ones (bench/README.md).
DEADLINES = {
    "enhance": datetime.timedelta(minutes=15),
    "critique": datetime.timedelta(minutes=15),
    "restore-faces": datetime.timedelta(minutes=30),
    "generate": datetime.timedelta(minutes=30),
    "upscale": datetime.timedelta(minutes=60),
    "animate": datetime.timedelta(minutes=60),
}


def _lease() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(seconds=settings.JOB_LEASE_SECONDS)


def _enqueue(job_id: int, delay: int = 0) -> None:
    from darkroom.studio.tasks import run_job

    Job.objects.filter(pk=job_id).update(enqueued_at=timezone.now())
    if delay:
        run_job.schedule((job_id,), delay=delay)
    else:
        run_job(job_id)


def do_create_job(owner: User, kind: str, input_photo: Photo, params: dict[str, Any] | None = None) -> Job:
    """Create a queued job; its task is enqueued only once the row is committed.

    ``params`` are the person's options as sent (strings from a form are
    fine); they are checked here, so a job never starts on options its
    kind cannot take.
    """
    from darkroom.billing.plans import can_use, job_price, tier_of
    from darkroom.studio.options import OptionsRefused, parse

    if kind not in Job.Kind.values:
        raise JobRefused(f"Unknown job type {kind!r}.")
    label = Job.Kind(kind).label
    feature = kind.replace("-", "_")
    if not getattr(settings.PROFILE.features, feature, False):
        raise JobRefused(f"{label} is not offered by this service.")
    if input_photo.owner_id != owner.pk:
        raise JobRefused("That photo does not exist.")
    if input_photo.is_video:
        raise JobRefused(f"{label} works on photos, and this is a video.")
    if not can_use(owner, feature):
        raise JobRefused(f"{label} is part of Pro. Subscribe on the billing page to use it.")
    from darkroom.studio.chain import configured

    chain = settings.PROFILE.providers.chain(tier_of(owner), feature)
    prompts = any(name != "local" and configured(name) for name in chain)
    try:
        options = parse(kind, params or {}, prompts=prompts)
    except OptionsRefused as refused:
        raise JobRefused(str(refused)) from None
    if kind == Job.Kind.UPSCALE:
        _check_upscale_size(input_photo, tier_of(owner), options["scale"])
    price = job_price(owner, feature)
    try:
        with transaction.atomic():
            job = Job.objects.create(owner=owner, kind=kind, input=input_photo, params=options, credits=price)
            if price:
                # DESIGN.md invariant 2: the debit and the row commit together, or neither does.
                ledger.debit(owner, price, key=debit_key(job.pk), reference=str(job.public_id), description=label)
            transaction.on_commit(lambda: _enqueue(job.pk))
    except ledger.InsufficientCredits as short:
        raise JobRefused(
            f"{label} costs {price} credit{'s' if price != 1 else ''} and your balance is {short.balance}. "
            "Buy credits on the Credits page."
        ) from None
    return job


def debit_key(job_id: int) -> str:
    """The ledger key of a job's debit; its refund posts under ``job:<id>:refund`` (ledger.refund_key)."""
    return f"job:{job_id}:debit"


def _check_upscale_size(photo: Photo, tier: str, scale: int) -> None:
    """The profile caps a local upscale's input per tier and factor: CPU time grows with the pixels."""
    engine = settings.PROFILE.engine
    caps = engine.upscale_x2_max_megapixels if scale == 2 else engine.upscale_x4_max_megapixels
    cap = caps.of(tier)
    megapixels = photo.width * photo.height / 1e6
    if megapixels > cap:
        side = int((cap * 1e6) ** 0.5)
        more = ""
        if tier == "free" and caps.pro > cap and settings.PROFILE.billing.pro is not None:
            more = f" Pro upscales photos of up to {caps.pro:g} MP {scale}×."
        raise JobRefused(
            f"Upscaling {scale}× takes photos of up to {cap:g} MP (about {side}×{side} pixels); "
            f"this one is {megapixels:.1f} MP ({photo.width}×{photo.height}). Crop or shrink it first.{more}"
        )


def claim(job_id: int) -> bool:
    """Take a queued job (or one whose worker died) for this worker, with a fresh lease."""
    now = timezone.now()
    claimable = Q(state=Job.State.QUEUED) | Q(state=Job.State.RUNNING, lease_expires_at__lt=now)
    updated = Job.objects.filter(claimable, pk=job_id, attempts__lt=settings.JOB_MAX_ATTEMPTS).update(
        state=Job.State.RUNNING,
        lease_expires_at=_lease(),
        attempts=F("attempts") + 1,
        started_at=now,
        progress=0,
    )
    return updated == 1


def _ours(job_id: int, attempt: int | None) -> Q:
    """The job while it is running under ``attempt`` (the claim that made it ours); any attempt when None."""
    mine = Q(pk=job_id, state=Job.State.RUNNING)
    return mine & Q(attempts=attempt) if attempt is not None else mine


def heartbeat(job_id: int, progress: int | None = None, attempt: int | None = None) -> bool:
    """Renew a running job's lease (and report progress); False once it is not ours.

    With ``attempt``, a worker whose lease ran out and whose job another
    worker claimed since learns that it lost it, instead of renewing the
    other worker's lease.
    """
    changes: dict[str, Any] = {"lease_expires_at": _lease()}
    if progress is not None:
        changes["progress"] = max(0, min(100, progress))
    return Job.objects.filter(_ours(job_id, attempt)).update(**changes) == 1


def do_succeed(job_id: int, result: Photo, report: dict[str, Any] | None = None, attempt: int | None = None) -> bool:
    """Record the result; the input's retention clock starts now ("30 days after generation").

    Only the worker holding the job (``attempt``, when given) wins; a worker
    that lost its lease finds the job taken and its result is discarded.
    """
    with transaction.atomic():
        won = (
            Job.objects.filter(_ours(job_id, attempt)).update(
                state=Job.State.SUCCEEDED,
                result=result,
                report=report or {},
                progress=100,
                lease_expires_at=None,
                finished_at=timezone.now(),
                error="",
            )
            == 1
        )
        if won:
            job = Job.objects.select_related("input").get(pk=job_id)
            if job.input is not None:
                do_mark_generated(job.input)
            transaction.on_commit(lambda: job_finished.send(Job, job=job))
    return won


def attach_result(job_id: int, attempt: int, result: Photo, report: dict[str, Any]) -> None:
    """Link a result to the job that still runs under ``attempt``, in the transaction that creates its row.

    A worker that dies after this leaves the job holding a finished result,
    which the next attempt delivers instead of making it again; one that
    lost the job raises ``JobGone`` here, so the row is never created and
    its objects are deleted (``photos.actions.do_store_result``'s ``within``).
    """
    if not Job.objects.filter(_ours(job_id, attempt)).update(result=result, report=report):
        raise JobGone(job_id)


def do_fail(job_id: int, reason: str, attempt: int | None = None) -> bool:
    """End a job as failed and give its credits back, once: the update and the refund commit together.

    A worker passes its ``attempt``: it can fail only the job it still holds.
    """
    return _end_unpaid(job_id, Job.State.FAILED, reason, "failed", attempt)


def do_cancel(job: Job) -> bool:
    """Cancel a job that has not finished; its credits come back. A worker still on it finds it gone.

    The worker's ``do_succeed`` only wins a running job, so a result that
    arrives after the cancel is discarded (its files deleted) by the runner.
    """
    return _end_unpaid(job.pk, Job.State.CANCELLED, "Cancelled at your request.", "cancelled")


def _end_unpaid(job_id: int, state: str, reason: str, why: str, attempt: int | None = None) -> bool:
    with transaction.atomic():
        unfinished = Job.objects.filter(pk=job_id) if attempt is None else Job.objects.filter(_ours(job_id, attempt))
        won = (
            unfinished.exclude(state__in=Job.FINAL_STATES).update(
                state=state, error=reason, lease_expires_at=None, finished_at=timezone.now()
            )
            == 1
        )
        if won:
            job = Job.objects.select_related("owner").get(pk=job_id)
            if job.credits:
                # The refund's own key (job:<id>:refund) makes a second call a no-op.
                ledger.refund(job.owner, debit_key=debit_key(job_id), description=f"{job.get_kind_display()} {why}")
            transaction.on_commit(lambda: job_finished.send(Job, job=job))
            if job.result_id is not None:
                # A result stored by an attempt that died before delivering it: unpaid, so not kept.
                from darkroom.photos.actions import do_delete_photos

                do_delete_photos(Photo.objects.filter(pk=job.result_id))
            prediction = (job.remote or {}).get("replicate")
            if prediction and settings.REPLICATE_API_TOKEN:
                # A prediction still running bills by the second: stop it (harmless if it has finished).
                transaction.on_commit(lambda: _cancel_replicate(str(prediction)))
    return won


def _cancel_replicate(prediction_id: str) -> None:
    from darkroom.studio.tasks import cancel_replicate_task

    cancel_replicate_task(prediction_id)


def do_retry(job: Job) -> Job:
    """A new job like ``job`` (same photo, kind and options), charged again; for one that failed or was cancelled."""
    if job.state not in (Job.State.FAILED, Job.State.CANCELLED):
        raise JobRefused("Only a job that failed or was cancelled can be tried again.")
    if job.input is None:
        raise JobRefused("The photo for this job was deleted; upload it again to start a new one.")
    return do_create_job(job.owner, job.kind, job.input, job.params)


def do_retry_later(job_id: int, attempt: int | None = None) -> bool:
    """Put a running job back in the queue after an unexpected error, with backoff."""
    job = Job.objects.filter(_ours(job_id, attempt)).first()
    if job is None:
        return False
    if job.attempts >= settings.JOB_MAX_ATTEMPTS:
        return do_fail(job_id, "Something went wrong on our side while processing this photo.", attempt)
    updated = Job.objects.filter(_ours(job_id, attempt)).update(state=Job.State.QUEUED, lease_expires_at=None)
    if updated:
        _enqueue(job_id, delay=5 * 2 ** (job.attempts - 1))
    return updated == 1


def sweep_jobs() -> dict[str, int]:
    """Re-queue jobs whose worker died; fail (and refund) those that died too often or are past their deadline.

    ``requeued`` counts running jobs whose lease ran out; ``resent``, queued
    jobs whose task message was lost and is sent again.

    Huey never redelivers a task whose worker was killed, so this periodic
    sweep is what makes a killed worker lose nothing.
    """
    now = timezone.now()
    failed = 0
    expired = Job.objects.filter(state=Job.State.RUNNING, lease_expires_at__lt=now)
    for job_id in expired.filter(attempts__gte=settings.JOB_MAX_ATTEMPTS).values_list("pk", flat=True):
        if do_fail(job_id, "The job was interrupted several times and has been stopped."):
            failed += 1
    unfinished = Job.objects.exclude(state__in=Job.FINAL_STATES)
    for kind, deadline in DEADLINES.items():
        for job_id in unfinished.filter(kind=kind, created_at__lt=now - deadline).values_list("pk", flat=True):
            if do_fail(job_id, "This job took far longer than it should and was stopped; its credits were given back."):
                failed += 1
    requeued = 0
    for job_id in expired.filter(attempts__lt=settings.JOB_MAX_ATTEMPTS).values_list("pk", flat=True):
        # Back to queued first, so the state a user sees is true while it waits.
        if Job.objects.filter(pk=job_id, state=Job.State.RUNNING, lease_expires_at__lt=now).update(
            state=Job.State.QUEUED, lease_expires_at=None
        ):
            _enqueue(job_id)
            requeued += 1
    waiting = Q(enqueued_at__lt=now - requeue_queued_after()) | Q(
        enqueued_at__isnull=True, created_at__lt=now - requeue_queued_after()
    )
    resent = 0
    for job_id in Job.objects.filter(waiting, state=Job.State.QUEUED).values_list("pk", flat=True):
        _enqueue(job_id)
        resent += 1
    if failed or requeued or resent:
        log.info("job sweep: %d re-queued, %d messages sent again, %d failed", requeued, resent, failed)
    return {"requeued": requeued, "resent": resent, "failed": failed}
