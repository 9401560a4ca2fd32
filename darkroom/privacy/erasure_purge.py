"""The purge: when an account's deletion period ends, everything of the person's goes, in batches.

One documented step at a time (``_purge``), each safe to run again:

1. the third parties that had the person's data are noted for the receipt;
2. the subscription is ended at the gateway, if that had failed at the request;
3. unfinished jobs are cancelled, if any appeared;
4. every model the inventory ties to the person (``erasure_walk.holdings``):
   exports and photos first (their stored objects before their rows), then
   the rest in inventory order; with each batch, the admin history of its rows;
5. what no link ties to the person: sign-in sessions, outbox texts, payment
   notices that name them;
6. transaction records pseudonymised and kept (``billing.do_pseudonymise``);
7. the receipt emailed, while the address is still there;
8. the user row, and the erasure marked completed, in one transaction.

Each batch's deletion and its count (``Erasure.deleted``) commit together,
so a purge that dies half-way resumes where it stopped and its receipt is
still exact. A run holds a lease on the erasure (renewed every batch), so
two runs never work on one account; a completed erasure is never run again.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Min, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from darkroom.accounts.models import User
from darkroom.billing.actions import do_end_subscriptions_now, do_pseudonymise
from darkroom.billing.gateways import GatewayError
from darkroom.billing.models import WebhookEvent
from darkroom.billing.records import records_cutoff
from darkroom.notify.deletion import send_deletion_receipt
from darkroom.notify.models import OutboxEmail, OutboxSms
from darkroom.photos import storage
from darkroom.photos.actions import do_delete_photos
from darkroom.photos.models import Photo
from darkroom.privacy import erasure_walk
from darkroom.privacy.erasure import (
    USER,
    add_counts,
    chunks,
    delete_exports,
    deleted,
    elsewhere,
    end_sessions,
    end_subscriptions,
    kept_records,
    log_entries_about,
    outbox_mail,
    payment_notices,
    record,
    stop_jobs,
)
from darkroom.privacy.erasure_walk import STORAGE, Holding
from darkroom.privacy.inventory import INVENTORY, Personal, Retention
from darkroom.privacy.models import Erasure
from darkroom.privacy.receipt import receipt_of
from darkroom.privacy.retention import Run, Tally, rule

log = logging.getLogger(__name__)

LEASE = datetime.timedelta(minutes=10)  # a run renews it every batch; a dead run's runs out
PER_RUN = 20  # accounts one periodic run takes on; the next run, 15 minutes later, takes the rest


class Deferred(Exception):
    """A step that can succeed later (the gateway or the mail server is down): the next run resumes."""


class LeaseLost(Exception):
    """Another run took this erasure over (this one was too slow): stop without touching it."""


def _due(now: datetime.datetime) -> Q:
    lapsed = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    return Q(state=Erasure.State.SCHEDULED, purge_at__lte=now) | (Q(state=Erasure.State.PURGING) & lapsed)


class _Lease:
    """This run's hold on one erasure: taken with a conditional update, renewed every batch."""

    def __init__(self, erasure_id: int, expires: datetime.datetime) -> None:
        self.erasure_id, self.expires = erasure_id, expires

    @classmethod
    def take(cls, erasure_id: int) -> _Lease | None:
        now = timezone.now()
        expires = now + LEASE
        taken = Erasure.objects.filter(_due(now), pk=erasure_id).update(
            state=Erasure.State.PURGING,
            lease_expires_at=expires,
            started_at=Coalesce(F("started_at"), Value(now)),
            updated_at=now,
        )
        return cls(erasure_id, expires) if taken else None

    def renew(self) -> None:
        expires = timezone.now() + LEASE
        mine = Erasure.objects.filter(pk=self.erasure_id, state=Erasure.State.PURGING, lease_expires_at=self.expires)
        if not mine.update(lease_expires_at=expires):
            raise LeaseLost
        self.expires = expires

    def release(self) -> None:
        """Let the next run start at once (after a failure) instead of waiting for the lease to end."""
        Erasure.objects.filter(pk=self.erasure_id, lease_expires_at=self.expires).update(lease_expires_at=None)


def purge(erasure_id: int) -> str:
    """Purge one due account; what happened, in a word, for the queue's log.

    ``completed``; ``not due`` (its date has not come, it is done, cancelled,
    or another run holds it); ``deferred`` (a gateway or the mail server did
    not answer: the next run resumes). Any other error releases the lease
    and propagates; the next run resumes where this one stopped.
    """
    lease = _Lease.take(erasure_id)
    if lease is None:
        return "not due"
    erasure = Erasure.objects.select_related("user").get(pk=erasure_id)
    try:
        _purge(erasure, lease)
    except LeaseLost:
        return "not due"
    except Deferred as why:
        lease.release()
        log.warning("account deletion %s deferred: %s", erasure.public_id, why)
        return "deferred"
    except BaseException:
        lease.release()
        raise
    return "completed"


def _purge(erasure: Erasure, lease: _Lease) -> None:
    user = erasure.user
    if user is None:  # the account row went some other way: only the record is left to close
        _complete(erasure, None)
        return
    late = timezone.now() >= erasure.deadline
    if erasure.processors is None:
        Erasure.objects.filter(pk=erasure.pk).update(processors=elsewhere(user))
    if not end_subscriptions(user, late=late):
        raise Deferred("the payment gateway did not answer")
    stop_jobs(user)
    for holding in _in_order(erasure_walk.holdings()):
        _erase(erasure.pk, user, holding, lease)
    _unlinked(erasure.pk, user, lease)
    _keep_records(erasure.pk, user)
    erasure.refresh_from_db()
    _send_receipt(erasure, user, late=late)
    _complete(erasure, user)


def _in_order(holdings: list[Holding]) -> list[Holding]:
    """Copies and files first (the bulk of the person's data), then inventory order; the account row last."""
    first = {"privacy.Export": 0, "photos.Photo": 1}
    return sorted(holdings, key=lambda h: (first.get(h.label, 2), h.label == USER))


def _erase(erasure_id: int, user: User, holding: Holding, lease: _Lease) -> None:
    """Step 4 for one model: its rows in batches, with their admin history; kept records only lose the history."""
    if holding.label == "privacy.Export":
        delete_exports(erasure_id, user)
        return
    delete_batch = _BATCH_DELETERS.get(holding.label, _delete_rows)
    for keys in chunks(holding.rows(user.pk)):
        if holding.kept or holding.label == USER:  # kept (step 6) or deleted last (step 8)
            with transaction.atomic():
                record(erasure_id, deleted(log_entries_about(holding.model, keys).delete()))
        else:
            delete_batch(erasure_id, holding, keys)
        lease.renew()


def _delete_rows(erasure_id: int, holding: Holding, keys: list[int]) -> None:
    with transaction.atomic():
        counts = deleted(log_entries_about(holding.model, keys).delete())
        add_counts(counts, deleted(holding.model._default_manager.filter(pk__in=keys).delete()))
        record(erasure_id, counts)


def _delete_photos(erasure_id: int, holding: Holding, keys: list[int]) -> None:
    """Photos: their objects, then (``do_delete_photos``) their rows, counted together.

    The objects go before the rows: a crash between the two leaves rows whose
    files are gone, which the next run finds and finishes; never files that no
    row leads to any more. (do_delete_photos deletes them again on commit:
    deleting a missing object does nothing.)
    """
    fields = ("pk", "file_key", "preview_key", "thumb_key")
    storage.delete([key for photo in Photo.objects.filter(pk__in=keys).only(*fields) for key in photo.storage_keys])
    with transaction.atomic():
        present = list(Photo.objects.select_for_update().filter(pk__in=keys).only(*fields))
        counts = deleted(log_entries_about(Photo, keys).delete())
        objects = sum(len(photo.storage_keys) for photo in present)
        add_counts(counts, {"photos.Photo": do_delete_photos(present), STORAGE: objects})
        record(erasure_id, counts)


_BATCH_DELETERS: dict[str, Callable[[int, Holding, list[int]], None]] = {
    "photos.Photo": _delete_photos,
    "usersessions.UserSession": lambda erasure_id, holding, keys: end_sessions(erasure_id, keys),
}


def _unlinked(erasure_id: int, user: User, lease: _Lease) -> None:
    """Step 5: the rows no link ties to the person (``erasure_walk.UNLINKED``).

    Sessions went with the person's devices in step 4 (and any left are
    anonymous: sign-in is off). Outbox texts and mails (the development
    stand-ins for a phone and a mailbox) are found by the number and the
    address; payment notices by what their payload names, and only their
    details go. (The receipt, sent after this, lands in the outbox like any
    mail, and leaves with the outbox's own retention.)
    """
    if user.phone:
        with transaction.atomic():
            record(erasure_id, deleted(OutboxSms.objects.filter(to=user.phone).delete()))
    for keys in outbox_mail(user):
        with transaction.atomic():
            record(erasure_id, deleted(OutboxEmail.objects.filter(pk__in=keys).delete()))
    for keys in payment_notices(user):
        with transaction.atomic():
            cleared = WebhookEvent.objects.filter(pk__in=keys).exclude(payload={}).update(payload={})
            record(erasure_id, {"billing.WebhookEvent": cleared})
        lease.renew()


def _keep_records(erasure_id: int, user: User) -> None:
    """Step 6: orders and the wallet cut from the person, counted once, in one transaction."""
    with transaction.atomic():
        erasure = Erasure.objects.select_for_update().only("kept").get(pk=erasure_id)
        if erasure.kept is not None:
            return
        kept = kept_records(user)
        do_pseudonymise(user)
        Erasure.objects.filter(pk=erasure_id).update(kept=kept, updated_at=timezone.now())


def _send_receipt(erasure: Erasure, user: User, *, late: bool) -> None:
    """Step 7: the final receipt, emailed before the address goes; once the deadline has come, not waited for."""
    if erasure.receipt_sent_at is not None or erasure.receipt_note:
        return
    if not user.email:
        note = "No email address on the account: the receipt is on its page."
        Erasure.objects.filter(pk=erasure.pk).update(receipt_note=note)
        return
    try:
        # The account row goes last; so do the notice of this very receipt and its email delivery.
        pending = {USER: 1, "notify.Notification": 1, "notify.Delivery": 1}
        send_deletion_receipt(receipt_of(erasure, pending=pending), to=user.email, user=user)
    except Exception as exc:  # the mail server's error
        if not late:
            raise Deferred(f"the receipt could not be emailed ({exc.__class__.__name__})") from exc
        log.error("account deletion %s: the receipt could not be emailed by the deadline", erasure.public_id)
        note = "The email could not be sent before the deadline: the receipt is on its page."
        Erasure.objects.filter(pk=erasure.pk).update(receipt_note=note)
        return
    Erasure.objects.filter(pk=erasure.pk).update(receipt_sent_at=timezone.now())


def _complete(erasure: Erasure, user: User | None) -> None:
    """Step 8: the account row (its erasure's link becomes null) and the erasure marked completed, together."""
    now = timezone.now()
    with transaction.atomic():
        if user is not None:
            record(erasure.pk, deleted(User.objects.filter(pk=user.pk).delete()))
        Erasure.objects.filter(pk=erasure.pk).update(
            state=Erasure.State.COMPLETED, completed_at=now, lease_expires_at=None, updated_at=now
        )
    erasure.refresh_from_db()
    log.info("account deletion %s completed: %d records and files removed", erasure.public_id, _total(erasure))


def _total(erasure: Erasure) -> int:
    return sum(int(count) for count in erasure.deleted.values())


def purge_due(*, limit: int | None = PER_RUN) -> int:
    """Purge the accounts whose date has come, oldest first; how many completed. One failure stops only its own."""
    due = Erasure.objects.filter(_due(timezone.now())).order_by("purge_at", "pk").values_list("pk", flat=True)
    completed = 0
    for erasure_id in list(due if limit is None else due[:limit]):
        try:
            completed += purge(erasure_id) == "completed"
        except Exception:
            log.exception("account deletion: the purge of erasure %s failed; the next run resumes it", erasure_id)
    return completed


# --- the retention rule: account lifetime --------------------------------------------------
_ACCOUNT_MODELS = {
    label
    for label, fields in INVENTORY.items()
    if any(isinstance(e, Personal) and e.retention is Retention.ACCOUNT_LIFETIME for e in fields.values())
}


@rule(Retention.ACCOUNT_LIFETIME, name="accounts", models=_ACCOUNT_MODELS)
def deleted_accounts(run: Run) -> list[Tally]:
    """Accounts whose deletion period ended: everything the inventory ties to them purged; old deletion records.

    photo-coach §6 "Upon account deletion, all personal data and images are
    permanently deleted within 30 days"; selfie-studio §5 "close your account
    and delete all associated data". What is kept "while the account exists"
    goes with it. The purge task looks every 15 minutes; this daily step is
    its backstop (and a dry run lists what is due). A completed deletion's
    record (counts and dates only) goes once the records it says were kept
    have gone: after the profile's orders_years.
    """
    due = Erasure.objects.filter(_due(run.now))
    closed = Erasure.objects.filter(
        state__in=[Erasure.State.COMPLETED, Erasure.State.CANCELLED], updated_at__lt=records_cutoff(run.now)
    )
    years = settings.PROFILE.privacy.retention.orders_years
    if run.dry_run:
        found = due.aggregate(oldest=Min("requested_at"), newest=Max("requested_at"))
        return [
            Tally("accounts", "accounts past their deletion date", due.count(), found["oldest"], found["newest"]),
            Tally("accounts", f"records of deletions over {years} years old", closed.count()),
        ]
    purged = purge_due(limit=run.batch_size)
    removed = 0
    for keys in chunks(closed, run.batch_size):
        with transaction.atomic():
            removed += Erasure.objects.filter(pk__in=keys).delete()[0]
    return [
        Tally("accounts", "accounts past their deletion date", purged),
        Tally("accounts", f"records of deletions over {years} years old", removed),
    ]


# --- queue tasks -----------------------------------------------------------------------
# No retries: a purge that fails is resumed by the periodic run.
@db_task(retries=0)  # type: ignore[untyped-decorator]
def purge_task(erasure_id: int) -> str:
    return purge(erasure_id)


@db_periodic_task(crontab(minute="7,22,37,52"))  # type: ignore[untyped-decorator]
def purge_due_task() -> int:
    """Every 15 minutes, off the quarter hours other housekeeping takes: the accounts whose date has come."""
    return purge_due()


@db_task(retries=12, retry_delay=300)  # type: ignore[untyped-decorator]
def end_subscriptions_task(user_id: int) -> int:
    """Try again to end a deleted account's subscription at the gateway, for an hour; the purge tries too."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return 0
    try:
        return do_end_subscriptions_now(user)
    except GatewayError as exc:
        if exc.permanent:
            log.error("account deletion: a subscription could not be ended at the gateway: %s", exc)
            return 0
        raise  # Huey retries
