"""The retention sweep: every retention rule of the inventory, applied by the service itself.

DESIGN.md invariant 5: the sweep is driven by ``privacy/inventory.py``. Each
``Retention`` value there is either a rule here (``@rule``: one documented
step, quoting the promise it keeps) or declared in ``APPLIED_ELSEWHERE``
(kept until the user or the account's erasure removes it).
``tests/privacy/test_retention.py`` fails when a value is neither, and when a
model the inventory files under a rule is not one the rule says it handles.

Every rule works in primary-key chunks of ``BATCH_SIZE`` rows, each chunk in
its own transaction, and never loads more than one chunk, so 100 000 expired
rows take bounded memory (``bench/retention.py``). With ``dry_run`` a rule
only counts what would go, oldest and newest, and changes nothing.

A rule in another module registers with the same decorator (and its module
goes in ``RULE_MODULES``, so the sweep imports it)::

    @rule(Retention.EXPORT_LINK, name="exports", models={"privacy.Export"})
    def expired_exports(run: Run) -> list[Tally]:
        ...  # a docstring quoting the promise, then _delete(run, ...) per step

Run daily by ``privacy.tasks.retention_sweep_task``; by hand with
``darkroom privacy sweep [--dry-run]``. Only counts are logged, never a row.
"""

from __future__ import annotations

import datetime
import importlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from allauth.account.models import EmailConfirmation
from allauth.socialaccount.models import SocialToken
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.db import models, transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from darkroom.billing import records
from darkroom.billing.models import WebhookEvent
from darkroom.billing.reconcile import PAYLOAD_KEPT
from darkroom.notify.models import OutboxSms
from darkroom.photos.actions import do_delete_photos
from darkroom.photos.models import Photo
from darkroom.privacy.inventory import Retention
from darkroom.privacy.models import UsageEvent
from darkroom.studio.models import Job

log = logging.getLogger(__name__)

BATCH_SIZE = 500  # rows per chunk and transaction: short write locks, bounded memory
# Modules holding further @rule functions, imported before a sweep runs.
RULE_MODULES: tuple[str, ...] = (
    "darkroom.privacy.export",
    "darkroom.privacy.erasure_purge",
    "darkroom.notify.retention",
)

# Retention values no sweep applies: the person, or the erasure of the account, ends them.
APPLIED_ELSEWHERE: dict[Retention, str] = {
    Retention.UNTIL_USER_DELETES: "deleted by the person, or with the account",
    Retention.OPERATOR_AUDIT: "kept with the account it concerns, erased with it",
}


@dataclass(frozen=True)
class Run:
    """One run of the sweep: its moment (every rule measures from the same one), mode and chunk size."""

    now: datetime.datetime
    dry_run: bool = False
    batch_size: int = BATCH_SIZE


@dataclass(frozen=True)
class Tally:
    """What one step of a rule removed (or, in a dry run, would remove); never which rows."""

    rule: str
    what: str
    count: int
    oldest: datetime.datetime | None = None
    newest: datetime.datetime | None = None
    note: str = ""


RuleFunction = Callable[[Run], list[Tally]]


@dataclass(frozen=True)
class Rule:
    """A registered rule: the retention value it applies, its name in the table, the models it handles."""

    retention: Retention
    name: str
    models: frozenset[str]
    apply: RuleFunction = field(compare=False)

    @property
    def summary(self) -> str:
        """The first line of the rule's docstring: what it deletes and the promise behind it."""
        return (self.apply.__doc__ or "").strip().splitlines()[0]


RULES: dict[Retention, Rule] = {}


def rule(retention: Retention, *, name: str, models: set[str]) -> Callable[[RuleFunction], RuleFunction]:
    """Register the function below as the one rule that applies ``retention`` to ``models``."""

    def register(function: RuleFunction) -> RuleFunction:
        if retention in RULES or retention in APPLIED_ELSEWHERE:
            raise RuntimeError(f"{retention.name} already has a rule: one rule per retention value")
        RULES[retention] = Rule(retention, name, frozenset(models), function)
        return function

    return register


def registered_rules() -> list[Rule]:
    """Every rule, those of ``RULE_MODULES`` included, in the order they were registered."""
    for module in RULE_MODULES:
        importlib.import_module(module)
    return list(RULES.values())


class Writer(Protocol):
    """Where the table goes: a text stream, a management command's stdout."""

    def write(self, text: str, /) -> Any: ...


class SweepFailed(Exception):
    """One or more rules failed; the others ran. The log has each failure."""


# --- the chunked steps every rule is made of ----------------------------------
_M = TypeVar("_M", bound=models.Model)


def _stats(rows: models.QuerySet[Any], time_field: str) -> tuple[int, Any, Any]:
    """How many rows, and the oldest and newest ``time_field``: one aggregate query, no rows read."""
    found = rows.aggregate(count=Count("pk"), oldest=Min(time_field), newest=Max(time_field))
    return found["count"], found["oldest"], found["newest"]


def pk_chunks(rows: models.QuerySet[Any], size: int) -> Iterator[list[Any]]:
    """The primary keys of ``rows``, ``size`` at a time, ascending; each query starts after the last key."""
    last: Any = None
    while True:
        page = rows if last is None else rows.filter(pk__gt=last)
        keys = list(page.order_by("pk").values_list("pk", flat=True)[:size])
        if not keys:
            return
        yield keys
        last = keys[-1]


def _delete(run: Run, name: str, what: str, rows: models.QuerySet[_M], time_field: str) -> Tally:
    """Delete ``rows`` chunk by chunk; the condition is checked again inside each chunk's transaction."""
    count, oldest, newest = _stats(rows, time_field)
    if run.dry_run or not count:
        return Tally(name, what, count, oldest, newest)
    label = rows.model._meta.label
    deleted = 0
    for keys in pk_chunks(rows, run.batch_size):
        with transaction.atomic():
            deleted += rows.filter(pk__in=keys).delete()[1].get(label, 0)
    return Tally(name, what, deleted, oldest, newest)


def _off(name: str, what: str, why: str) -> Tally:
    return Tally(name, what, 0, note=f"off: {why}")


# --- the rules ------------------------------------------------------------------
@rule(Retention.UPLOAD_AFTER_GENERATION, name="photos", models={"photos.Photo"})
def expired_photos(run: Run) -> list[Tally]:
    """Uploads the profile's days after their last generation, with every stored file; results only if set.

    selfie-studio §4 "Uploaded selfies: retained for 30 days after generation
    for re-download, then auto-deleted" and "Generated results: kept in your
    account until you delete them" (``results_days = 0``). photo-coach §6:
    images "retained until you delete your account" (0 days: nothing here).
    ``do_delete_photos`` deletes the rows and, once committed, the original,
    preview and thumbnail objects; jobs and transfer records that point at a
    photo stay, their link set to null. A photo a queued or running job is
    reading waits for the next sweep (its generation restarts the clock).
    """
    retention = settings.PROFILE.privacy.retention
    # From the jobs' side: a handful of active jobs, not a join over every photo for each chunk.
    in_use = Job.objects.filter(state__in=[Job.State.QUEUED, Job.State.RUNNING], input__isnull=False)
    steps: list[tuple[str, int, str, str]] = [
        ("uploads", retention.uploads_days_after_generation, "last_generation_at", "uploads_days_after_generation"),
        ("results", retention.results_days, "created_at", "results_days"),
    ]
    tallies = []
    for what, days, clock, key in steps:
        if not days:
            tallies.append(_off("photos", what, f"{key} = 0, kept until the person deletes them"))
            continue
        kind = Photo.Kind.UPLOAD if what == "uploads" else Photo.Kind.RESULT
        due = Photo.objects.filter(kind=kind, **{f"{clock}__lte": run.now - datetime.timedelta(days=days)})
        due = due.exclude(pk__in=in_use.values("input_id"))
        count, oldest, newest = _stats(due, clock)
        deleted = 0
        if count and not run.dry_run:
            for keys in pk_chunks(due, run.batch_size):
                with transaction.atomic():
                    chunk = due.filter(pk__in=keys).only("pk", "file_key", "preview_key", "thumb_key")
                    deleted += do_delete_photos(chunk)
        tallies.append(Tally("photos", what, count if run.dry_run else deleted, oldest, newest))
    return tallies


@rule(Retention.USAGE_LOGS, name="usage", models={"privacy.UsageEvent"})
def expired_usage_events(run: Run) -> list[Tally]:
    """Usage events older than the profile's usage_logs_days.

    selfie-studio §1 "Usage data: logs, device type, browser info — used for
    debugging and improving the service"; photo-coach §2 "basic analytics
    (… feature usage)". Debugging and improvement need recent events only.
    """
    days = settings.PROFILE.privacy.retention.usage_logs_days
    old = UsageEvent.objects.filter(created_at__lt=run.now - datetime.timedelta(days=days))
    return [_delete(run, "usage", f"usage events over {days} days old", old, "created_at")]


@rule(
    Retention.SESSION_EXPIRY,
    name="sessions",
    models={"sessions.Session", "usersessions.UserSession", "socialaccount.SocialToken"},
)
def dead_sessions(run: Run) -> list[Tally]:
    """Expired sessions, the device entries of sessions that are gone, expired sign-in tokens.

    photo-coach §7 "We use essential cookies for authentication and session
    management": a session lives until it expires or the person signs out, and
    so does what Darkroom notes about its device (IP address, user agent).
    Django's ``clear_expired()`` deletes the same sessions in one unbounded
    statement; here they go in chunks. Darkroom keeps sessions in the
    database (Django's default engine), so the engine's model is the table.
    """
    store = importlib.import_module(settings.SESSION_ENGINE).SessionStore
    session_model: type[models.Model] = store.get_model_class()
    expired = session_model._default_manager.filter(expire_date__lte=run.now)
    live = session_model._default_manager.filter(expire_date__gt=run.now).values("session_key")
    return [
        _delete(run, "sessions", "expired sessions", expired, "expire_date"),
        _delete(
            run,
            "sessions",
            "devices of ended sessions",
            UserSession.objects.exclude(session_key__in=live),
            "last_seen_at",
        ),
        _delete(
            run, "sessions", "expired sign-in tokens", SocialToken.objects.filter(expires_at__lte=run.now), "expires_at"
        ),
    ]


@rule(Retention.CONFIRMATION_EXPIRY, name="confirmations", models={"account.EmailConfirmation"})
def used_or_expired_confirmations(run: Run) -> list[Tally]:
    """Email confirmations once used (the address is verified) or expired.

    photo-coach §2 collects the email address to run the account; a
    confirmation key is only the means to prove it and has no use after.
    """
    done = EmailConfirmation.objects.filter(EmailConfirmation.objects.expired_q() | Q(email_address__verified=True))
    return [_delete(run, "confirmations", "used or expired email confirmations", done, "created")]


@rule(Retention.CODE_LIFETIME, name="codes", models={"notify.OutboxSms"})
def expired_codes(run: Run) -> list[Tally]:
    """Outbox text messages whose code has expired.

    selfie-studio §1 "SMS verification codes (discarded after verification)".
    Codes themselves are only ever kept as an HMAC that allauth drops with the
    session; notify's every-minute purge does this too, and this step is its
    backstop (a worker that was down for a while).
    """
    expired = OutboxSms.objects.filter(expires_at__lte=run.now)
    return [_delete(run, "codes", "expired codes in the SMS outbox", expired, "expires_at")]


@rule(Retention.PAYMENT_NOTIFICATIONS, name="payments", models={"billing.WebhookEvent"})
def old_payment_notifications(run: Run) -> list[Tally]:
    """Payment notifications' details, cleared 35 days after processing; the row stays.

    selfie-studio §1 "Payment info: order records processed by Stripe (amount,
    time, order ID)"; photo-coach §2 "Payment information: Processed securely
    by Stripe". A notification also carries the payer's name and email; after
    Stripe's own 30-day events window its id, type and outcome are enough to
    refuse a replay, so only those are kept.
    """
    old = WebhookEvent.objects.filter(processed_at__lt=run.now - PAYLOAD_KEPT).exclude(payload={})
    count, oldest, newest = _stats(old, "processed_at")
    cleared = 0
    if count and not run.dry_run:
        for keys in pk_chunks(old, run.batch_size):
            with transaction.atomic():
                cleared += old.filter(pk__in=keys).update(payload={})
    what = "payment notification details"
    return [Tally("payments", what, count if run.dry_run else cleared, oldest, newest)]


@rule(
    Retention.TRANSACTION_RECORDS,
    name="transactions",
    models={"billing.Order", "billing.LedgerEntry", "billing.Subscription", "billing.AccountFlag", "billing.Wallet"},
)
def expired_transaction_records(run: Run) -> list[Tally]:
    """Orders, ledger entries, ended subscriptions and settled flags past the profile's orders_years.

    selfie-studio §4 "Order and payment records: retained for at least 5 years
    per tax and regulatory requirements"; photo-coach §6 "Transaction records
    may be retained for up to 7 years for legal and tax purposes". A live
    wallet's old entries become one carried-forward entry, so its balance is
    unchanged (``billing.records``); an erased one's are deleted, and the
    wallet with them once nothing is left.
    """
    cutoff = records.records_cutoff(run.now)
    name = "transactions"
    tallies = [_delete(run, name, "orders past retain_until", records.expired_orders(run.now.date()), "created_at")]
    count, oldest, newest = _stats(records.old_entries(cutoff), "created_at")
    removed = 0
    if count and not run.dry_run:
        for wallet_ids in _chunks_of(records.wallets_with_old_entries(cutoff), run.batch_size):
            removed += sum(records.compact_wallet(wallet_id, cutoff) for wallet_id in wallet_ids)
    tallies += [
        Tally(
            name, "ledger entries (live wallets: carried forward)", count if run.dry_run else removed, oldest, newest
        ),
        _delete(run, name, "ended subscriptions", records.ended_subscriptions(cutoff), "updated_at"),
        _delete(run, name, "settled account flags", records.settled_flags(cutoff), "resolved_at"),
        _delete(run, name, "empty wallets of erased accounts", records.empty_erased_wallets(), "pseudonymised_at"),
    ]
    return tallies


def _chunks_of(values: models.QuerySet[Any, int], size: int) -> Iterator[list[int]]:
    """Distinct ascending integer values (wallet ids), ``size`` at a time, each query after the last."""
    last = 0
    while True:
        chunk = [int(value) for value in values.filter(wallet_id__gt=last)[:size]]
        if not chunk:
            return
        yield chunk
        last = chunk[-1]


# --- running it ----------------------------------------------------------------
def sweep(*, dry_run: bool = False, batch_size: int = BATCH_SIZE, out: Writer | None = None) -> list[Tally]:
    """Apply every rule once (with ``dry_run``, only count); return what each step removed.

    A rule that fails does not stop the others; ``SweepFailed`` is raised
    after all have run. With ``out`` the table of ``format_table`` is written
    there too.
    """
    run = Run(now=timezone.now(), dry_run=dry_run, batch_size=batch_size)
    tallies: list[Tally] = []
    failed: list[str] = []
    for each in registered_rules():
        try:
            tallies += each.apply(run)
        except Exception:
            log.exception("retention sweep: rule %s failed", each.name)
            failed.append(each.name)
    mode = "dry run, would remove" if dry_run else "removed"
    log.info("retention sweep (%s): %s", mode, ", ".join(f"{t.rule}/{t.what}={t.count}" for t in tallies))
    if out is not None:
        out.write(format_table(tallies, dry_run=dry_run))
    if failed:
        raise SweepFailed(f"these retention rules failed (see the log): {', '.join(failed)}")
    return tallies


def _day(moment: datetime.datetime | None) -> str:
    return f"{moment:%Y-%m-%d}" if moment else ""


def format_table(tallies: list[Tally], *, dry_run: bool) -> str:
    """A plain-text table: rule, what, count, oldest and newest day."""
    heading = ("rule", "what", "would go" if dry_run else "removed", "oldest", "newest")
    rows = [heading] + [
        (t.rule, t.what + (f" ({t.note})" if t.note else ""), str(t.count), _day(t.oldest), _day(t.newest))
        for t in tallies
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(heading))]
    lines = []
    for number, row in enumerate(rows):
        cells = [cell.rjust(widths[i]) if i == 2 else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    total = sum(t.count for t in tallies)
    lines.append(f"\n{total} in all{' would go (dry run: nothing was changed)' if dry_run else ' removed'}.")
    return "\n".join(lines) + "\n"
