"""The retention sweep: every rule of the inventory, each time limit tested by travelling in time."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from importlib import import_module
from typing import Any

import pytest
import time_machine
from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.usersessions.models import UserSession
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from darkroom import profile
from darkroom.accounts.models import User
from darkroom.billing import ledger
from darkroom.billing.models import LedgerEntry, Order, Wallet, WebhookEvent
from darkroom.notify.models import OutboxSms
from darkroom.photos import actions as photo_actions
from darkroom.photos.models import Photo
from darkroom.privacy import retention
from darkroom.privacy.inventory import INVENTORY, Personal, Retention
from darkroom.privacy.models import UsageEvent
from darkroom.privacy.tasks import retention_sweep_task
from darkroom.studio.models import Job
from tests.conftest import fund, make_photo, stored_objects

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def use_profile(settings: Any, name: str, **retention_overrides: int) -> None:
    loaded = profile.load(name)
    kept = loaded.privacy.retention.model_copy(update=retention_overrides)
    settings.PROFILE = loaded.model_copy(update={"privacy": loaded.privacy.model_copy(update={"retention": kept})})


def counts(tallies: list[retention.Tally]) -> dict[str, int]:
    return {f"{t.rule}/{t.what}": t.count for t in tallies if t.count}


def upload(user: User) -> Photo:
    data = make_photo(160, 120)
    return photo_actions.do_upload_photo(user, io.BytesIO(data), len(data))


def generate_from(selfie: Photo) -> tuple[Photo, Job]:
    """What a finished generation leaves: a result, a job linking both, the selfie's clock started."""
    result = photo_actions.do_store_result(selfie.owner, Image.new("RGB", (64, 48), "teal"), ai_generated=True)
    job = Job.objects.create(
        owner=selfie.owner, kind="generate", input=selfie, result=result, state=Job.State.SUCCEEDED
    )
    photo_actions.do_mark_generated(selfie)
    return result, job


# --- the registry follows the inventory ------------------------------------------
def test_it_has_a_rule_or_a_declared_owner_for_every_retention_value() -> None:
    ruled = {each.retention for each in retention.registered_rules()}
    unowned = [value.name for value in Retention if (value in ruled) == (value in retention.APPLIED_ELSEWHERE)]
    assert not unowned, (
        f"give each of {', '.join(unowned)} exactly one of: a @rule (darkroom/privacy/retention.py, or a module "
        "in RULE_MODULES), or an entry in retention.APPLIED_ELSEWHERE saying who removes it"
    )


def test_it_handles_every_model_the_inventory_files_under_each_rule() -> None:
    for each in retention.registered_rules():
        filed = {
            label
            for label, fields in INVENTORY.items()
            for entry in fields.values()
            if isinstance(entry, Personal) and entry.retention == each.retention
        }
        assert filed <= each.models, f"rule {each.name} does not say it handles {sorted(filed - each.models)}"


def test_each_rule_quotes_the_promise_it_keeps() -> None:
    for each in retention.registered_rules():
        assert each.summary
        assert "§" in (each.apply.__doc__ or ""), f"rule {each.name}: quote the seed clause it enforces"


def test_it_refuses_a_second_rule_for_the_same_retention() -> None:
    with pytest.raises(RuntimeError, match="one rule per retention value"):
        retention.rule(Retention.USAGE_LOGS, name="again", models=set())(lambda run: [])


# --- photos ------------------------------------------------------------------------
def test_a_selfie_used_30_days_ago_is_gone_with_its_files_and_its_result_stays(
    settings: Any, clock: time_machine.Coordinates, alice: User, django_capture_on_commit_callbacks: Any
) -> None:
    use_profile(settings, "selfie-studio")
    selfie = upload(alice)
    result, job = generate_from(selfie)
    selfie_keys, result_keys = selfie.storage_keys, result.storage_keys
    assert set(stored_objects()) == {*selfie_keys, *result_keys}

    clock.shift(29 * DAY)
    assert counts(retention.sweep()) == {}
    assert Photo.objects.filter(pk=selfie.pk).exists()

    clock.shift(2 * DAY)  # day 31
    with django_capture_on_commit_callbacks(execute=True):  # the files go once the chunk commits
        assert counts(retention.sweep()) == {"photos/uploads": 1}
    assert not Photo.objects.filter(pk=selfie.pk).exists()
    assert stored_objects() == sorted(result_keys)
    job.refresh_from_db()
    assert (job.input, job.result) == (None, result)
    assert counts(retention.sweep()) == {}  # a second run finds nothing


def test_the_clock_counts_from_the_last_generation_not_the_upload(
    settings: Any, clock: time_machine.Coordinates, alice: User
) -> None:
    use_profile(settings, "selfie-studio")
    selfie = upload(alice)
    clock.shift(60 * DAY)  # never used: kept until the person deletes it
    assert counts(retention.sweep()) == {}
    generate_from(selfie)
    clock.shift(20 * DAY)
    generate_from(selfie)  # used again: 30 more days
    clock.shift(20 * DAY)
    assert counts(retention.sweep()) == {}
    clock.shift(11 * DAY)
    assert counts(retention.sweep()) == {"photos/uploads": 1}


def test_a_selfie_a_queued_job_is_reading_waits(settings: Any, clock: time_machine.Coordinates, alice: User) -> None:
    use_profile(settings, "selfie-studio")
    selfie = upload(alice)
    generate_from(selfie)
    clock.shift(31 * DAY)
    queued = Job.objects.create(owner=alice, kind="generate", input=selfie)
    assert counts(retention.sweep()) == {}
    Job.objects.filter(pk=queued.pk).update(state=Job.State.CANCELLED)
    assert counts(retention.sweep()) == {"photos/uploads": 1}


def test_photo_coach_keeps_images_until_the_account_goes(
    settings: Any, clock: time_machine.Coordinates, alice: User
) -> None:
    use_profile(settings, "photo-coach")
    selfie = upload(alice)
    generate_from(selfie)
    clock.shift(3650 * DAY)
    tallies = retention.sweep()
    assert counts(tallies) == {}
    assert Photo.objects.count() == 2
    assert [t.note for t in tallies if t.rule == "photos"] == [
        "off: uploads_days_after_generation = 0, kept until the person deletes them",
        "off: results_days = 0, kept until the person deletes them",
    ]


def test_results_go_only_when_the_profile_gives_them_days(
    settings: Any, clock: time_machine.Coordinates, alice: User, django_capture_on_commit_callbacks: Any
) -> None:
    use_profile(settings, "selfie-studio", results_days=10)
    result, _job = generate_from(upload(alice))
    clock.shift(9 * DAY)
    assert counts(retention.sweep()) == {}
    clock.shift(2 * DAY)
    with django_capture_on_commit_callbacks(execute=True):
        assert counts(retention.sweep()) == {"photos/results": 1}
    assert not Photo.objects.filter(pk=result.pk).exists()
    assert not set(result.storage_keys) & set(stored_objects())


# --- usage, sessions, confirmations, codes, payment notifications -------------------
def test_usage_events_go_after_the_profiles_days(settings: Any, clock: time_machine.Coordinates, alice: User) -> None:
    use_profile(settings, "selfie-studio", usage_logs_days=90)
    UsageEvent.objects.create(owner=alice, feature="upload", device_type="phone", browser_family="Mobile Safari")
    clock.shift(89 * DAY)
    UsageEvent.objects.create(owner=alice, feature="job:generate")
    assert counts(retention.sweep()) == {}
    clock.shift(2 * DAY)
    assert counts(retention.sweep()) == {"usage/usage events over 90 days old": 1}
    assert list(UsageEvent.objects.values_list("feature", flat=True)) == ["job:generate"]


def _session(user: User, seconds: int) -> str:
    store = import_module(django_settings.SESSION_ENGINE).SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store.set_expiry(seconds)
    store.save()
    UserSession.objects.create(user=user, session_key=store.session_key, ip="192.0.2.1", user_agent="Firefox")
    return str(store.session_key)


def test_dead_sessions_and_their_devices_go_live_ones_stay(clock: time_machine.Coordinates, alice: User) -> None:
    short = _session(alice, 3600)
    long = _session(alice, 14 * 86400)
    orphan = UserSession.objects.create(user=alice, session_key="gone" * 8, ip="192.0.2.2", user_agent="Safari")
    assert counts(retention.sweep()) == {"sessions/devices of ended sessions": 1}
    assert not UserSession.objects.filter(pk=orphan.pk).exists()
    clock.shift(2 * 3600)
    assert counts(retention.sweep()) == {"sessions/expired sessions": 1, "sessions/devices of ended sessions": 1}
    assert list(Session.objects.values_list("session_key", flat=True)) == [long]
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [long]
    assert short != long


def test_used_or_expired_email_confirmations_go(settings: Any, clock: time_machine.Coordinates, alice: User) -> None:
    settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
    pending = EmailAddress.objects.create(user=alice, email="alice.new@example.com", verified=False)
    used = EmailAddress.objects.get(user=alice, email="alice@example.com")
    EmailConfirmation.objects.create(email_address=pending, key="pending-key", sent=T0)
    EmailConfirmation.objects.create(email_address=used, key="used-key", sent=T0)
    clock.shift(2 * DAY)
    assert counts(retention.sweep()) == {"confirmations/used or expired email confirmations": 1}
    assert list(EmailConfirmation.objects.values_list("key", flat=True)) == ["pending-key"]
    clock.shift(2 * DAY)
    assert counts(retention.sweep()) == {"confirmations/used or expired email confirmations": 1}
    assert not EmailConfirmation.objects.exists()


def test_expired_codes_leave_the_sms_outbox(clock: time_machine.Coordinates) -> None:
    OutboxSms.objects.create(
        to="+6591234567", body="Your code is 123456", expires_at=T0 + 10 * 60 * datetime.timedelta(seconds=1)
    )
    clock.shift(datetime.timedelta(minutes=9))
    assert counts(retention.sweep()) == {}
    clock.shift(datetime.timedelta(minutes=2))
    assert counts(retention.sweep()) == {"codes/expired codes in the SMS outbox": 1}
    assert not OutboxSms.objects.exists()


def test_payment_notifications_lose_their_details_after_35_days_and_stay(clock: time_machine.Coordinates) -> None:
    payload = {"data": {"object": {"customer_details": {"name": "Alice", "email": "alice@example.com"}}}}
    event = WebhookEvent.objects.create(
        event_id="evt_1", type="checkout.session.completed", payload=payload, source="webhook", processed_at=T0
    )
    clock.shift(34 * DAY)
    assert counts(retention.sweep()) == {}
    clock.shift(2 * DAY)
    assert counts(retention.sweep()) == {"payments/payment notification details": 1}
    event.refresh_from_db()
    assert (event.payload, event.event_id, event.type) == ({}, "evt_1", "checkout.session.completed")


# --- how the sweep runs ----------------------------------------------------------------
def _a_bit_of_everything(settings: Any, clock: time_machine.Coordinates, alice: User) -> None:
    use_profile(settings, "selfie-studio")
    generate_from(upload(alice))
    UsageEvent.objects.bulk_create(UsageEvent(owner=alice, feature="upload") for _ in range(7))
    OutboxSms.objects.create(to="+6591234567", body="Your code is 123456", expires_at=T0)
    WebhookEvent.objects.create(event_id="evt_1", type="x", payload={"a": 1}, source="webhook", processed_at=T0)
    clock.shift(400 * DAY)


def test_a_dry_run_lists_what_would_go_and_changes_nothing(
    settings: Any, clock: time_machine.Coordinates, alice: User
) -> None:
    _a_bit_of_everything(settings, clock, alice)
    before = (sorted(stored_objects()), Photo.objects.count(), UsageEvent.objects.count(), OutboxSms.objects.count())
    out = io.StringIO()
    tallies = retention.sweep(dry_run=True, out=out)
    assert counts(tallies) == {
        "photos/uploads": 1,
        "usage/usage events over 90 days old": 7,
        "codes/expired codes in the SMS outbox": 1,
        "payments/payment notification details": 1,
    }
    uploads = next(t for t in tallies if t.what == "uploads")
    assert (uploads.oldest, uploads.newest) == (T0, T0)
    after = (sorted(stored_objects()), Photo.objects.count(), UsageEvent.objects.count(), OutboxSms.objects.count())
    assert after == before
    assert WebhookEvent.objects.get().payload == {"a": 1}
    table = out.getvalue()
    assert "would go" in table
    assert "usage events over 90 days old" in table
    assert "10 in all would go (dry run: nothing was changed)" in table


def test_it_works_in_chunks_and_a_second_run_removes_nothing(
    settings: Any, clock: time_machine.Coordinates, alice: User
) -> None:
    _a_bit_of_everything(settings, clock, alice)
    with CaptureQueriesContext(connection) as queries:
        first = retention.sweep(batch_size=3)
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('DELETE FROM "privacy_usageevent"')]
    assert len(deletes) == 3  # 7 rows, 3 at a time
    assert counts(first)["usage/usage events over 90 days old"] == 7
    assert not UsageEvent.objects.exists()
    assert counts(retention.sweep(batch_size=3)) == {}


def test_a_failing_rule_does_not_stop_the_others(
    monkeypatch: pytest.MonkeyPatch, clock: time_machine.Coordinates, alice: User
) -> None:
    UsageEvent.objects.create(owner=alice, feature="upload")
    clock.shift(400 * DAY)

    def broken(run: retention.Run) -> list[retention.Tally]:
        raise RuntimeError("storage unreachable")

    photos = retention.RULES[Retention.UPLOAD_AFTER_GENERATION]
    monkeypatch.setitem(
        retention.RULES, photos.retention, retention.Rule(photos.retention, "photos", photos.models, broken)
    )
    with pytest.raises(retention.SweepFailed, match="photos"):
        retention.sweep()
    assert not UsageEvent.objects.exists()


def test_the_command_prints_a_table_of_rule_and_count(clock: time_machine.Coordinates, alice: User) -> None:
    UsageEvent.objects.create(owner=alice, feature="upload")
    clock.shift(400 * DAY)
    out = io.StringIO()
    call_command("privacy", "sweep", "--dry-run", stdout=out)
    assert UsageEvent.objects.count() == 1
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["rule", "what", "would", "go", "oldest", "newest"]
    assert any(line.startswith("usage ") and " 1  2026-03-02" in line for line in lines)
    call_command("privacy", "sweep", stdout=(out := io.StringIO()))
    assert not UsageEvent.objects.exists()
    assert "1 in all removed." in out.getvalue()


def test_the_command_refuses_a_silly_batch_size() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="between 1 and 10000"):
        call_command("privacy", "sweep", "--batch-size", "0")


def test_the_queue_runs_it_daily_at_0317_utc(clock: time_machine.Coordinates, alice: User) -> None:
    schedule = retention_sweep_task.task_class()
    assert schedule.validate_datetime(datetime.datetime(2026, 3, 5, 3, 17))
    assert not schedule.validate_datetime(datetime.datetime(2026, 3, 5, 4, 17))
    assert not schedule.validate_datetime(datetime.datetime(2026, 3, 5, 3, 18))
    UsageEvent.objects.create(owner=alice, feature="upload")
    clock.shift(400 * DAY)
    assert retention_sweep_task.call_local()["usage/usage events over 90 days old"] == 1


# --- transaction records ---------------------------------------------------------------
def test_orders_go_the_day_after_their_retain_until(
    settings: Any, clock: time_machine.Coordinates, alice: User
) -> None:
    use_profile(settings, "selfie-studio")  # §4 "at least 5 years"
    order = Order.objects.create(
        user=alice, wallet=ledger.wallet_for(alice), kind="pack", product="try", description="Try (5 credits)",
        amount=199, currency="sgd", credits=5, gateway="test",
    )  # fmt: skip
    assert order.retain_until == datetime.date(2031, 3, 2)
    clock.move_to(datetime.datetime(2031, 3, 2, 23, 0, tzinfo=datetime.UTC))
    assert counts(retention.sweep()) == {}
    clock.shift(2 * 3600)
    assert counts(retention.sweep()) == {"transactions/orders past retain_until": 1}
    assert not Order.objects.exists()


def test_ledger_entries_past_the_period_are_carried_forward_and_the_balance_holds(
    settings: Any, clock: time_machine.Coordinates, alice: User
) -> None:
    use_profile(settings, "photo-coach")  # §6 "up to 7 years"
    fund(alice, 100)
    clock.shift(DAY)
    ledger.debit(alice, 30, key="job:1:debit", reference="job:1", description="Enhance")
    clock.move_to(datetime.datetime(2032, 6, 1, tzinfo=datetime.UTC))
    fund(alice, 5)
    clock.move_to(datetime.datetime(2033, 3, 3, 12, 0, tzinfo=datetime.UTC))  # the debit's last day: kept
    assert counts(retention.sweep(dry_run=True)) == {"transactions/ledger entries (live wallets: carried forward)": 1}
    clock.shift(DAY)
    assert counts(retention.sweep(dry_run=True)) == {"transactions/ledger entries (live wallets: carried forward)": 2}
    assert LedgerEntry.objects.count() == 3
    assert counts(retention.sweep()) == {"transactions/ledger entries (live wallets: carried forward)": 2}
    assert ledger.balance(alice) == 75
    carried, newer = LedgerEntry.objects.order_by("id")
    assert (carried.kind, carried.amount, carried.created_at) == ("carried", 70, T0 + DAY)
    assert carried.idempotency_key == f"carry:{carried.wallet_id}:{carried.pk}"
    assert [(line.amount, line.balance_after) for line in ledger.statement(alice)] == [(5, 75), (70, 70)]
    assert newer.amount == 5
    assert counts(retention.sweep()) == {}  # a second run changes nothing
    ledger.debit(alice, 75, key="job:2:debit", reference="job:2", description="Critique")  # all of it is spendable
    assert ledger.balance(alice) == 0


def test_an_erased_accounts_old_records_go_and_so_does_its_wallet(
    settings: Any, clock: time_machine.Coordinates, bob: User
) -> None:
    use_profile(settings, "photo-coach")
    fund(bob, 20)
    ledger.debit(bob, 20, key="job:9:debit", reference="job:9", description="Enhance")
    Order.objects.create(
        user=bob, wallet=ledger.wallet_for(bob), kind="pack", product="small", description="Small",
        amount=499, currency="usd", credits=20, gateway="test", email="bob@example.com",
    )  # fmt: skip
    bob.delete()  # billing pseudonymises: the wallet and order stay, without bob
    assert Wallet.objects.get().user is None
    clock.shift(7 * 366 * DAY)
    assert counts(retention.sweep()) == {
        "transactions/orders past retain_until": 1,
        "transactions/ledger entries (live wallets: carried forward)": 2,
        "transactions/empty wallets of erased accounts": 1,
    }
    assert not Wallet.objects.exists()
    assert not LedgerEntry.objects.exists()
    assert not Order.objects.exists()
