"""Account deletion: asked for by the person or an operator, hidden at once, purged when its period ends.

photo-coach §6 "Upon account deletion, all personal data and images are
permanently deleted within 30 days", §8 "Delete your account and all
associated data"; selfie-studio §5 "Contact us by email to close your account
and delete all associated data" (an operator: ``darkroom privacy
delete-account``), §6 a minor's data: "contact us to delete it immediately"
(``--now``, or the admin's under-age action).

At once (``do_request_deletion``, one transaction): sign-in off
(``is_active``), every session ended, API tokens revoked, unfinished jobs
cancelled, exports deleted; then the subscription is ended at the gateway and
the "scheduled" email sent, while the contact details are still there.

When the profile's ``account_deletion_days`` end (``privacy.erasure_purge``):
every row the inventory ties to the person is deleted, batch by batch;
transaction records are pseudonymised and kept; the receipt is emailed; the
user row goes last. An operator can cancel a deletion until its purge starts
(docs/privacy.md, "Account deletion": why the person cannot undo it).
"""

from __future__ import annotations

import datetime
import importlib
import logging
from collections.abc import Iterator
from functools import partial
from typing import Any

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import CharField, Count, Max, Q
from django.db.models.functions import Cast
from django.utils import timezone

from darkroom.accounts.models import ApiToken, User
from darkroom.billing import ledger
from darkroom.billing.actions import do_end_subscriptions_now
from darkroom.billing.gateways import GatewayError
from darkroom.billing.models import Wallet, WebhookEvent, years_later
from darkroom.notify.deletion import send_deletion_receipt
from darkroom.notify.models import OutboxEmail, OutboxSms
from darkroom.photos.models import Photo
from darkroom.privacy import erasure_walk, retention
from darkroom.privacy.erasure_walk import STORAGE
from darkroom.privacy.export import delete_exports_of
from darkroom.privacy.models import Erasure, Export
from darkroom.privacy.processors import processor_record
from darkroom.privacy.receipt import receipt_of
from darkroom.studio.actions import do_cancel
from darkroom.studio.models import Job

log = logging.getLogger(__name__)

BATCH_SIZE = 500  # rows per chunk and transaction
# The purge starts this long before the deadline, and its task looks every 15 minutes: "within
# N days" holds even when a run or two is missed, or a large account takes a while.
MARGIN = datetime.timedelta(hours=1)
CONFIRMATION = "delete my account"  # what the person types to confirm (deletion_views)
USER = "accounts.User"


def deletion_days() -> int:
    return settings.PROFILE.privacy.retention.account_deletion_days


def session_model() -> type[models.Model]:
    """The table of Django's sessions (Darkroom keeps them in the database, Django's default engine)."""
    model: type[models.Model] = importlib.import_module(settings.SESSION_ENGINE).SessionStore.get_model_class()
    return model


# --- counting what goes -------------------------------------------------------------
def add_counts(counts: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    for label, count in more.items():
        if count:
            counts[label] = counts.get(label, 0) + count
    return counts


def record(erasure_id: int, counts: dict[str, int]) -> None:
    """Add to the erasure's counts; called inside the transaction that deleted them, so both commit or neither."""
    if not any(counts.values()):
        return
    erasure = Erasure.objects.select_for_update().only("deleted").get(pk=erasure_id)
    total = add_counts(dict(erasure.deleted), counts)
    Erasure.objects.filter(pk=erasure_id).update(deleted=total, updated_at=timezone.now())


def deleted(result: tuple[int, dict[str, int]]) -> dict[str, int]:
    """What a queryset's delete() removed, by label (cascades included)."""
    return dict(result[1])


def chunks(rows: models.QuerySet[Any], size: int = BATCH_SIZE) -> Iterator[list[int]]:
    """The primary keys of ``rows``, ``size`` at a time (the retention sweep's paging)."""
    return retention.pk_chunks(rows, size)


def log_entries_about(model: type[models.Model], keys: list[int]) -> models.QuerySet[LogEntry]:
    """Admin history of these rows: ``object_repr`` may name the person (a wallet is "wallet of alice@…")."""
    content_type = ContentType.objects.get_for_model(model)
    return LogEntry.objects.filter(content_type=content_type, object_id__in=[str(key) for key in keys])


# --- the steps done at once ------------------------------------------------------------
def end_sessions(erasure_id: int, keys: list[int]) -> None:
    """End these devices' sessions: the session rows (signed out) and the device entries."""
    with transaction.atomic():
        session_keys = list(UserSession.objects.filter(pk__in=keys).values_list("session_key", flat=True))
        counts = deleted(session_model()._default_manager.filter(session_key__in=session_keys).delete())
        add_counts(counts, deleted(log_entries_about(UserSession, keys).delete()))
        add_counts(counts, deleted(UserSession.objects.filter(pk__in=keys).delete()))
        record(erasure_id, counts)


def delete_exports(erasure_id: int, user: User) -> None:
    """Every export of the person's, archives first (privacy.export), counted with their objects."""
    with transaction.atomic():
        rows = list(Export.objects.select_for_update().filter(owner=user).values_list("pk", "file_key"))
        if not rows:
            return
        counts = deleted(log_entries_about(Export, [pk for pk, _ in rows]).delete())
        add_counts(counts, {"privacy.Export": delete_exports_of(user), STORAGE: sum(1 for _, key in rows if key)})
        record(erasure_id, counts)


def stop_jobs(user: User) -> int:
    """Cancel the person's unfinished jobs (a worker on one finds it gone); their refunds are moot but harmless."""
    stopped = 0
    for job in Job.objects.filter(owner=user).exclude(state__in=Job.FINAL_STATES):
        try:
            stopped += do_cancel(job)
        except ledger.NothingToRefund:
            # A job whose debit was never posted (written around do_create_job): nothing to give
            # back, but no worker may go on sending the photo to a provider.
            stopped += (
                Job.objects.filter(pk=job.pk)
                .exclude(state__in=Job.FINAL_STATES)
                .update(
                    state=Job.State.CANCELLED,
                    error="The account is being deleted.",
                    lease_expires_at=None,
                    finished_at=timezone.now(),
                )
            )
    return stopped


def end_subscriptions(user: User, *, late: bool) -> bool:
    """End the person's subscriptions at the gateway now; False when the gateway did not answer and it can wait.

    ``late``: the deadline has come, so a gateway that cannot be reached is
    logged for the operator (who ends it at the gateway by hand) instead.
    """
    try:
        do_end_subscriptions_now(user)
    except GatewayError as exc:
        if exc.permanent or late:
            log.error("account deletion: a subscription could not be ended at the gateway: %s", exc)
            return True
        log.warning("account deletion: the payment gateway did not answer (%s); trying again later", exc)
        return False
    return True


def _hide(erasure_id: int, user: User) -> None:
    """What happens at once, inside the request's transaction: no way in, nothing running, no copies."""
    with transaction.atomic():
        tokens = ApiToken.objects.filter(user=user)
        record(erasure_id, deleted(tokens.delete()))
    for keys in chunks(UserSession.objects.filter(user=user)):
        end_sessions(erasure_id, keys)
    stop_jobs(user)
    delete_exports(erasure_id, user)


# --- the plan: the receipt before the fact ------------------------------------------------
def payment_notices(user: User) -> Iterator[list[int]]:
    """Processed payment notices whose payload names the person, a batch at a time.

    A notice is not linked to an account (``Withheld.UNLINKED``): it carries
    the payer's email and the ids Darkroom gave the gateway. Its own rule
    clears every payload 35 days after processing, so only that window is read.
    """
    wallets = list(Wallet.objects.filter(user=user).values_list("public_id", "gateway_customer_id"))
    values = [user.email or "", *(str(value) for wallet in wallets for value in wallet)]
    needles = [value.lower() for value in values if value]
    if not needles:
        return
    notices = WebhookEvent.objects.filter(processed_at__isnull=False).exclude(payload={})
    for keys in chunks(notices):
        payloads = WebhookEvent.objects.filter(pk__in=keys).values_list("pk", "payload")
        named = [pk for pk, payload in payloads if any(needle in str(payload).lower() for needle in needles)]
        if named:
            yield named


def outbox_mail(user: User) -> Iterator[list[int]]:
    """Outbox emails (the development mailbox) with the person's address among their recipients, in batches."""
    if not user.email:
        return
    address = user.email.lower()
    for keys in chunks(OutboxEmail.objects.filter(to__icontains=address)):
        recipients = OutboxEmail.objects.filter(pk__in=keys).values_list("pk", "to")
        mine = [pk for pk, to in recipients if address in (line.strip().lower() for line in to.splitlines())]
        if mine:
            yield mine


def _stored_objects(user: User) -> int:
    keys = Photo.objects.filter(owner=user).values_list("file_key", "preview_key", "thumb_key").iterator()
    return sum(1 for row in keys for key in row if key) + Export.objects.filter(owner=user).exclude(file_key="").count()


def elsewhere(user: User) -> list[dict[str, str]]:
    """The third parties that received the person's data, for the receipt: they keep it under their own terms."""
    return [{"name": p.name, "their_retention": p.their_retention} for p in processor_record(user)]


# When each kept record's own retention rule (privacy.retention, "transactions") removes it: the
# field it counts from, and whether the profile's orders_years are added (an order carries its last day).
_KEPT_CLOCK = {
    "billing.Order": ("retain_until", False),
    "billing.LedgerEntry": ("created_at", True),
    "billing.Subscription": ("updated_at", True),
    "billing.AccountFlag": ("resolved_at", True),
}


def kept_records(user: User) -> list[dict[str, Any]]:
    """The transaction records that stay after the deletion, pseudonymised: how many of each, and until when."""
    years = settings.PROFILE.privacy.retention.orders_years
    rows: list[dict[str, Any]] = []
    for holding in erasure_walk.holdings():
        if not holding.kept or holding.label not in _KEPT_CLOCK:
            continue
        clock, add_years = _KEPT_CLOCK[holding.label]
        found = holding.rows(user.pk).aggregate(
            count=Count("pk"), last=Max(clock), open=Count("pk", filter=Q(**{f"{clock}__isnull": True}))
        )
        until = None
        if found["count"] and not found["open"]:
            last = found["last"]
            day = last.date() if isinstance(last, datetime.datetime) else last
            until = years_later(day, years) if add_years else day
        rows.append({"label": holding.label, "count": found["count"], "until": until.isoformat() if until else None})
    # The credit account goes once nothing is left in it (records.empty_erased_wallets).
    ends = [row["until"] for row in rows if row["count"]]
    wallets = Wallet.objects.filter(user=user).count()
    if wallets:
        last_day = None if None in ends or not ends else max(ends)
        rows.append({"label": "billing.Wallet", "count": wallets, "until": last_day})
    return rows


def plan(user: User) -> dict[str, Any]:
    """What deleting ``user`` removes and keeps, counted now: the receipt before the fact (``Erasure.planned``)."""
    counts: dict[str, int] = {}
    for holding in erasure_walk.holdings():
        rows = holding.rows(user.pk)
        about = LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(holding.model),
            object_id__in=rows.annotate(pk_text=Cast("pk", CharField())).values("pk_text"),
        )
        add_counts(counts, {"admin.LogEntry": about.count()})
        if not holding.kept:
            add_counts(counts, {holding.label: rows.count()})
    devices = UserSession.objects.filter(user=user).values("session_key")
    add_counts(
        counts,
        {
            STORAGE: _stored_objects(user),
            "sessions.Session": session_model()._default_manager.filter(session_key__in=devices).count(),
            "notify.OutboxSms": OutboxSms.objects.filter(to=user.phone).count() if user.phone else 0,
            "notify.OutboxEmail": sum(len(batch) for batch in outbox_mail(user)),
            "billing.WebhookEvent": sum(len(batch) for batch in payment_notices(user)),
        },
    )
    return {"deleted": counts, "kept": kept_records(user), "elsewhere": elsewhere(user)}


# --- asking, and taking it back ------------------------------------------------------------
def do_request_deletion(
    user: User,
    *,
    source: str = Erasure.Source.PERSON,
    reason: str = Erasure.Reason.REQUEST,
    immediately: bool = False,
) -> Erasure:
    """Delete ``user``'s account: hidden now, purged when the profile's period ends (``immediately``: at once).

    Asking twice returns the deletion already under way; ``immediately`` (an
    under-age report) moves its date to now. The purge is queued once the
    request commits if it is due already. Then, outside the transaction
    (network calls): the subscription is ended at the gateway (retried by a
    task if the gateway does not answer) and, unless the purge is immediate,
    the "scheduled" email goes out with the plan, while the address is there.
    """
    now = timezone.now()
    created = False
    with transaction.atomic():
        list(User.objects.select_for_update().filter(pk=user.pk))  # one request per account at a time
        erasure = Erasure.objects.filter(user=user, state__in=Erasure.ACTIVE).first()
        if erasure is None:
            deadline = now if immediately else now + datetime.timedelta(days=deletion_days())
            erasure = Erasure.objects.create(
                user=user,
                source=source,
                reason=reason,
                requested_at=now,
                deadline=deadline,
                purge_at=max(now, deadline - MARGIN),
                planned=plan(user),
            )
            User.objects.filter(pk=user.pk).update(is_active=False, deletion_requested_at=now, updated_at=now)
            _hide(erasure.pk, user)
            created = True
        elif immediately and erasure.state == Erasure.State.SCHEDULED:
            # An under-age report overrides the period of a deletion the person had asked for.
            Erasure.objects.filter(pk=erasure.pk).update(source=source, reason=reason, purge_at=now, deadline=now)
            erasure.refresh_from_db()
        if erasure.purge_at <= now:
            from darkroom.privacy.erasure_purge import purge_task

            transaction.on_commit(partial(purge_task, erasure.pk))
    user.is_active, user.deletion_requested_at = False, erasure.requested_at
    log.info(
        "account deletion %s requested (%s, %s); purge from %s", erasure.public_id, source, reason, erasure.purge_at
    )
    if created:
        if not end_subscriptions(user, late=False):
            from darkroom.privacy.erasure_purge import end_subscriptions_task

            end_subscriptions_task.schedule((user.pk,), delay=60)
        if not immediately:
            _send_scheduled(erasure, user)
    return erasure


def _send_scheduled(erasure: Erasure, user: User) -> None:
    if not user.email:
        return  # a phone-only account: the page shown after the request has the same facts
    try:
        send_deletion_receipt(receipt_of(erasure), to=user.email, user=user)
    except Exception as exc:  # the mail server's error: the request stands, the page said the same
        log.warning(
            "account deletion %s: the scheduled notice was not emailed (%s)", erasure.public_id, type(exc).__name__
        )


def do_cancel_deletion(user: User) -> bool:
    """An operator takes back a deletion whose purge has not started; False when there is none to take back.

    What was done at once stays done: sessions ended, tokens revoked, exports
    deleted, jobs cancelled, the subscription ended. Sign-in works again.
    """
    now = timezone.now()
    with transaction.atomic():
        pending = Erasure.objects.filter(user=user, state=Erasure.State.SCHEDULED)
        references = list(pending.values_list("public_id", flat=True))
        cancelled = pending.update(state=Erasure.State.CANCELLED, lease_expires_at=None, updated_at=now)
        if cancelled:
            User.objects.filter(pk=user.pk).update(is_active=True, deletion_requested_at=None, updated_at=now)
    if cancelled:
        user.is_active, user.deletion_requested_at = True, None
        log.info("account deletion %s stopped by an operator", references[0])
    return bool(cancelled)


def find_account(login: str) -> User | None:
    """The account an operator names by its email address or phone number (spaces and dashes allowed)."""
    login = login.strip()
    if "@" in login:
        return User.objects.filter(email__iexact=login).first()
    digits = "".join(ch for ch in login if ch.isdigit() or ch == "+")
    return User.objects.filter(phone=digits).first() if digits else None
