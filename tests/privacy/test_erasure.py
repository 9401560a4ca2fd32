"""Account deletion: photo-coach §6 "Upon account deletion, all personal data and images are permanently
deleted within 30 days", §8 "Delete your account and all associated data"; selfie-studio §5 "close your
account and delete all associated data", §6 a minor's data deleted "immediately".

Every test runs on the real database and storage (local folder, or S3 in CI's second pass). Alice has a row
in every model the inventory ties to a person, so the walk's coverage is checked against the inventory
itself: a model added tomorrow is erased with the account, or these tests say what is missing.
"""

from __future__ import annotations

import datetime
import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from allauth.usersessions.models import UserSession
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from PIL import Image

from darkroom.accounts.actions import do_issue_api_token
from darkroom.accounts.models import User
from darkroom.billing.gateways import test as test_gateway
from darkroom.billing.models import AccountFlag, LedgerEntry, Order, Subscription, Wallet, WebhookEvent
from darkroom.notify.models import Delivery, Notification, OutboxEmail, OutboxSms, Preference, Suppression
from darkroom.photos import actions as photo_actions
from darkroom.photos.models import Photo
from darkroom.privacy import erasure, erasure_purge, erasure_walk, retention
from darkroom.privacy.actions import do_record_transfer
from darkroom.privacy.archive import owner_path
from darkroom.privacy.erasure import do_cancel_deletion, do_request_deletion
from darkroom.privacy.erasure_purge import purge, purge_due
from darkroom.privacy.erasure_walk import STORAGE
from darkroom.privacy.export import build_export
from darkroom.privacy.inventory import INVENTORY, Category, Personal
from darkroom.privacy.models import Erasure, Export, PolicyNotice, PolicyVersion, UsageEvent
from darkroom.privacy.policy_versions import do_record_policy_version
from darkroom.privacy.receipt import receipt_of
from darkroom.studio.actions import do_create_job
from darkroom.studio.models import Job
from tests.conftest import drain, fund, make_photo, stored_objects
from tests.privacy.clause_helpers import is_transaction_record, personal_labels, rows_of

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
PASSWORD = "correct horse battery staple"  # tests/conftest.py's named users
ALICE_PHONE = "+6591234567"


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """argon2 takes a fifth of a second a password: nothing these tests are about."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    """Travel in time (S3 requests still sign with the real time: tests/conftest.py)."""
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _upload(user: User) -> Photo:
    data = make_photo(160, 120)
    return photo_actions.do_upload_photo(user, io.BytesIO(data), len(data))


def _keys_of(user: User) -> set[str]:
    """Every stored object that is the person's, as the rows say: photos' three files, export archives."""
    keys = {key for photo in Photo.objects.filter(owner=user) for key in photo.storage_keys}
    return keys | set(Export.objects.filter(owner=user).exclude(file_key="").values_list("file_key", flat=True))


def _signed_in_client(user: User) -> Client:
    """A browser signed in through the sign-in form, so allauth records the device (usersessions)."""
    client = Client()
    if user.has_usable_password():
        response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.content
    else:
        client.force_login(user)  # signed in at some time allauth has no record of
    page = client.get("/account/")
    assert page.status_code == 200, page.get("Location")
    return client


def _give_alice_everything(alice: User, bob: User) -> dict[str, Any]:
    """Alice with a row in every model that holds a person's data; bob with some of his own."""
    now = timezone.now()
    User.objects.filter(pk=alice.pk).update(phone=ALICE_PHONE, phone_verified=True, name="Alice Liddell")
    alice.refresh_from_db()
    upload = _upload(alice)
    result = photo_actions.do_store_result(alice, Image.new("RGB", (64, 48), "teal"), ai_generated=True)
    Job.objects.create(owner=alice, kind="enhance", input=upload, result=result, state=Job.State.SUCCEEDED)
    fund(alice, 50)
    queued = do_create_job(alice, "enhance", upload)  # debited; its worker never came
    do_record_transfer(
        alice, provider="Replicate", data=("image",), photo=upload, job=queued, provider_retention="1 hour"
    )
    UsageEvent.objects.create(owner=alice, feature="upload", device_type="phone", browser_family="Safari")
    do_issue_api_token(alice, "backup script")
    export = Export.objects.create(owner=alice)
    assert build_export(export.pk) == "ready"
    wallet = Wallet.objects.get(user=alice)
    order = Order.objects.create(
        user=alice,
        wallet=wallet,
        kind=Order.Kind.PACK,
        product="starter",
        description="Starter (20 credits)",
        amount=499,
        currency="usd",
        credits=20,
        status=Order.Status.PAID,
        gateway="test",
        email="alice@example.com",
        paid_at=now,
    )
    AccountFlag.objects.create(wallet=wallet, order=order, reason="refund of spent credits", credits_short=5)
    Subscription.objects.create(
        wallet=wallet,
        gateway="test",
        gateway_subscription_id="test_sub_alice",
        status=Subscription.Status.ACTIVE,
        current_period_end=now + 30 * DAY,
    )
    app = SocialApp.objects.create(provider="google", name="Google", client_id="id", secret="")
    social = SocialAccount.objects.create(user=alice, provider="google", uid="1076915035", extra_data={"name": "A"})
    SocialToken.objects.create(app=app, account=social, token="not-stored-in-real-life")
    alices_browser = _signed_in_client(alice)  # before her second factor, which the sign-in would ask for
    Authenticator.objects.create(user=alice, type="totp", data={"secret": "JBSWY3DPEHPK3PXP"})
    address = EmailAddress.objects.get(user=alice)
    EmailConfirmation.objects.create(email_address=address, key="confirmation-key", created=now)
    version = PolicyVersion.objects.order_by("-number").first() or do_record_policy_version()
    PolicyNotice.objects.get_or_create(user=alice, version=version, defaults={"sent_at": now})
    operator = User.objects.create_user(email="operator@example.com", password=PASSWORD, is_staff=True)
    LogEntry.objects.create(
        user=operator,
        content_type=ContentType.objects.get_for_model(Wallet),
        object_id=str(wallet.pk),
        object_repr=str(wallet),
        action_flag=CHANGE,
        change_message="[]",
    )
    LogEntry.objects.create(  # alice once helped as staff: her own entries go with her
        user=alice,
        content_type=ContentType.objects.get_for_model(Order),
        object_id="999999",
        object_repr="an order of someone else's",
        action_flag=CHANGE,
        change_message="[]",
    )
    OutboxSms.objects.create(to=ALICE_PHONE, body="123456 is your code", expires_at=now + DAY)
    for to in ("alice@example.com", "bob@example.com"):
        OutboxEmail.objects.create(from_email="hello@example.com", to=f"{to}\n", subject="Welcome", body_text="Hi")
    notification = Notification.objects.create(
        user=alice,
        kind="job_finished",
        category="jobs",
        key=f"job:{queued.public_id}:finished",
        title="Ready",
        photo=result,
    )
    Delivery.objects.create(notification=notification, channel="email", to="alice@example.com", status="sent")
    Preference.objects.create(user=alice, category="jobs", channel="email", enabled=False)
    Suppression.objects.create(address="alice.old@example.com", user=alice, reason=Suppression.Reason.BOUNCE)
    WebhookEvent.objects.create(
        event_id="evt_alice",
        type="checkout.session.completed",
        payload={"data": {"object": {"customer_details": {"email": "alice@example.com", "name": "Alice"}}}},
        source=WebhookEvent.Source.WEBHOOK,
        processed_at=now,
    )
    WebhookEvent.objects.create(
        event_id="evt_bob",
        type="checkout.session.completed",
        payload={"data": {"object": {"customer_details": {"email": "bob@example.com"}}}},
        source=WebhookEvent.Source.WEBHOOK,
        processed_at=now,
    )
    # Bob's things must all stay.
    _upload(bob)
    fund(bob, 20)
    bobs_browser = _signed_in_client(bob)
    return {"order": order, "browser": alices_browser, "bobs_browser": bobs_browser, "operator": operator}


@pytest.fixture
def everything(alice: User, bob: User) -> dict[str, Any]:
    return _give_alice_everything(alice, bob)


# --- what the test holds against the code: an independent reading of the inventory (clause_helpers) ---
def _log_entries_about(rows: dict[str, set[Any]]) -> int:
    about = 0
    for label, keys in rows.items():
        content_type = ContentType.objects.get_for_model(apps.get_model(label))
        about += LogEntry.objects.filter(content_type=content_type, object_id__in=[str(k) for k in keys]).count()
    return about


def _session_keys(user: User) -> list[str]:
    return list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))


def _sessions(keys: list[str]) -> int:
    return int(erasure.session_model()._default_manager.filter(session_key__in=keys).count())


def _expected_receipt(alice: User) -> tuple[dict[str, int], dict[str, set[Any]], set[str], list[str]]:
    """What deleting alice must remove, counted from the database and the storage before anything happens."""
    rows = rows_of(alice.pk)
    keys = _keys_of(alice)
    sessions = _session_keys(alice)
    expected = {label: len(pks) for label, pks in rows.items() if pks and not is_transaction_record(label)}
    expected["admin.LogEntry"] = expected.get("admin.LogEntry", 0) + _log_entries_about(rows)
    expected.update(
        {
            STORAGE: len(keys),
            "sessions.Session": _sessions(sessions),
            "notify.OutboxSms": OutboxSms.objects.filter(to=alice.phone).count(),
            "notify.OutboxEmail": OutboxEmail.objects.filter(to__startswith="alice@").count(),
            "billing.WebhookEvent": WebhookEvent.objects.filter(event_id="evt_alice").count(),
        }
    )
    # The deletion's own two emails (scheduled, then this receipt): each an in-app notice with its email delivery.
    for label in ("notify.Notification", "notify.Delivery"):
        expected[label] = expected.get(label, 0) + 2
    return {label: count for label, count in expected.items() if count}, rows, keys, sessions


def _request_and_purge(alice: User, clock: time_machine.Coordinates) -> Erasure:
    request = do_request_deletion(alice)
    clock.shift(30 * DAY)
    assert purge_due() == 1
    return Erasure.objects.get(pk=request.pk)


# --- the walk follows the inventory ---------------------------------------------------
def test_every_model_with_personal_data_is_tied_to_the_person_or_says_how_it_is_found() -> None:
    unlinked = set(erasure_walk.unlinked_labels())
    assert unlinked <= set(erasure_walk.UNLINKED), (
        f"{sorted(unlinked - set(erasure_walk.UNLINKED))} hold personal data that no LINK ties to an account: "
        "add a LINK in the inventory, or say in erasure_walk.UNLINKED how a person's rows are found "
        "(and delete them in erasure_purge._unlinked)"
    )
    held = {holding.label for holding in erasure_walk.holdings()}
    assert held | unlinked == set(personal_labels())


def test_every_model_that_holds_stored_objects_deletes_them_with_its_rows() -> None:
    """Invariant 4: deleting a record deletes its objects. A personal content field named *_key is one."""
    holders = {
        label
        for label, fields in INVENTORY.items()
        for name, entry in fields.items()
        if isinstance(entry, Personal) and entry.category is Category.CONTENT and name.endswith("_key")
    }
    assert holders == {"photos.Photo", "privacy.Export"}, "teach erasure_purge to delete the new model's objects"


def test_the_fixture_gives_alice_a_row_in_every_model_tied_to_a_person(everything: dict[str, Any], alice: User) -> None:
    empty = sorted(label for label, pks in rows_of(alice.pk).items() if not pks)
    assert not empty, f"give alice a row in {empty}, so the erasure tests cover them"


# --- at once -----------------------------------------------------------------------------
def test_it_signs_her_out_everywhere_and_refuses_sign_in_right_after_the_request(
    everything: dict[str, Any], alice: User
) -> None:
    browser: Client = everything["browser"]
    sessions = _session_keys(alice)
    assert _sessions(sessions) == 1
    do_request_deletion(alice)
    assert _sessions(sessions) == 0
    assert not UserSession.objects.filter(user=alice).exists()
    assert browser.get("/account/").status_code == 302  # signed out: sent to sign in
    stranger = Client()
    response = stranger.post("/accounts/login/", {"login": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/inactive/"
    assert "_auth_user_id" not in stranger.session
    page = stranger.get("/accounts/inactive/")
    assert b"This account is closed" in page.content
    assert everything["bobs_browser"].get("/account/").status_code == 200  # bob stays signed in


def test_it_revokes_her_api_tokens(alice: User) -> None:
    _token, raw = do_issue_api_token(alice, "script")
    client = Client()
    assert client.get("/api/v1/photos", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    do_request_deletion(alice)
    assert client.get("/api/v1/photos", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_it_ends_her_subscription_at_the_gateway_now_not_at_the_period_end(
    everything: dict[str, Any], alice: User, clock: time_machine.Coordinates
) -> None:
    subscription = Subscription.objects.get(wallet__user=alice)
    do_request_deletion(alice)
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.CANCELED
    assert not subscription.cancel_at_period_end
    orders = Order.objects.count()
    clock.shift(31 * DAY)
    assert test_gateway.renew_due_subscriptions() == 0
    assert Order.objects.count() == orders, "no renewal was charged"


def test_it_stops_her_unfinished_jobs_and_deletes_her_exports_with_their_archives(
    everything: dict[str, Any], alice: User
) -> None:
    export = Export.objects.get(owner=alice)
    assert export.file_key in stored_objects()
    # A running job written around do_create_job: its debit is missing, so there is no refund to give.
    Job.objects.create(owner=alice, kind="enhance", credits=2, state=Job.State.RUNNING)
    do_request_deletion(alice)
    assert not Job.objects.filter(owner=alice).exclude(state__in=Job.FINAL_STATES).exists()
    assert Job.objects.filter(owner=alice, state=Job.State.CANCELLED).count() == 2
    assert LedgerEntry.objects.filter(wallet__user=alice, kind=LedgerEntry.Kind.REFUND).count() == 1
    assert not Export.objects.filter(owner=alice).exists()
    assert export.file_key not in stored_objects()


def test_the_scheduled_email_says_what_goes_and_when_before_anything_goes(
    everything: dict[str, Any], alice: User, clock: time_machine.Coordinates
) -> None:
    mail.outbox.clear()
    request = do_request_deletion(alice)
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]
    assert "will be deleted by 1 April 2026" in message.subject  # 30 days from 2 March
    assert "photos you uploaded and results made for you: 2" in message.body
    assert "orders: amount, date, order id and what was bought: 1 (until" in message.body
    assert str(request.public_id) in message.body  # the link to its receipt page


def test_asking_twice_keeps_one_deletion(alice: User) -> None:
    first = do_request_deletion(alice)
    assert do_request_deletion(alice) == first
    assert Erasure.objects.count() == 1


# --- the period, the purge ------------------------------------------------------------------
def test_on_day_29_she_is_still_there_hidden_and_on_day_30_she_is_gone(
    everything: dict[str, Any], alice: User, clock: time_machine.Coordinates
) -> None:
    request = do_request_deletion(alice)
    clock.shift(29 * DAY)
    assert purge_due() == 0
    assert retention.sweep()
    assert User.objects.filter(pk=alice.pk, is_active=False).exists()
    assert Photo.objects.filter(owner=alice).count() == 2
    clock.shift(DAY)
    assert purge_due() == 1
    assert not User.objects.filter(pk=alice.pk).exists()
    request.refresh_from_db()
    assert request.state == Erasure.State.COMPLETED
    assert request.completed_at is not None
    assert request.completed_at <= request.deadline
    clock.shift(DAY)  # day 31: nothing left to do
    assert purge_due() == 0


def test_after_the_purge_the_storage_holds_none_of_her_objects_and_all_of_bobs(
    everything: dict[str, Any], alice: User, bob: User, clock: time_machine.Coordinates
) -> None:
    hers, his = _keys_of(alice), _keys_of(bob)
    assert hers
    assert his
    assert set(stored_objects()) == hers | his
    _request_and_purge(alice, clock)
    assert stored_objects() == sorted(his)


def test_after_the_purge_no_model_holds_a_row_tied_to_her_and_orders_stay_without_her(
    everything: dict[str, Any], alice: User, bob: User, clock: time_machine.Coordinates
) -> None:
    before = rows_of(alice.pk)
    bobs = rows_of(bob.pk)
    keys = _session_keys(alice)
    _request_and_purge(alice, clock)
    for label, pks in before.items():
        model = apps.get_model(label)
        remaining = model._default_manager.filter(pk__in=pks)
        if is_transaction_record(label):
            assert remaining.count() == len(pks), f"{label}: transaction records are kept"
            assert not remaining.filter(**{f"{owner_path(model)}__isnull": False}).exists(), f"{label}: still linked"
        else:
            assert not remaining.exists(), f"{label}: {remaining.count()} of alice's rows left"
    orders = Order.objects.filter(pk__in=before["billing.Order"])
    assert list(orders.values_list("user", "email", "amount")) == [(None, "", 499)]
    assert orders.get().pseudonymised_at is not None
    refund = 1  # of the job the request cancelled
    entries = LedgerEntry.objects.filter(wallet__in=before["billing.Wallet"])
    assert entries.count() == len(before["billing.LedgerEntry"]) + refund
    assert _sessions(keys) == 0
    assert not OutboxSms.objects.filter(to=ALICE_PHONE).exists()
    assert list(OutboxEmail.objects.values_list("to", flat=True)) == ["bob@example.com\n"]
    assert WebhookEvent.objects.get(event_id="evt_alice").payload == {}
    assert WebhookEvent.objects.get(event_id="evt_bob").payload != {}
    assert not LogEntry.objects.filter(object_repr__icontains="alice").exists()
    assert rows_of(bob.pk) == bobs, "bob keeps everything"


def test_the_receipt_counts_match_what_the_database_and_the_storage_held(
    everything: dict[str, Any], alice: User, clock: time_machine.Coordinates
) -> None:
    expected, rows, keys, _ = _expected_receipt(alice)
    done = _request_and_purge(alice, clock)
    receipt = receipt_of(done)
    assert receipt.completed
    assert receipt.counts() == expected
    assert not set(stored_objects()) & keys
    kept = {line.label: line for line in receipt.kept}
    assert kept["billing.Order"].count == len(rows["billing.Order"])
    assert kept["billing.Order"].until == everything["order"].retain_until
    entries = LedgerEntry.objects.filter(wallet__in=rows["billing.Wallet"])
    assert kept["billing.LedgerEntry"].count == entries.count()  # the cancelled job's refund included
    assert kept["billing.Subscription"].count == 1
    assert {party.name for party in receipt.elsewhere} >= {"Replicate"}


def test_the_receipt_is_emailed_before_her_address_goes(
    everything: dict[str, Any], alice: User, clock: time_machine.Coordinates, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    real = erasure_purge.send_deletion_receipt

    def spy(receipt: Any, **kwargs: Any) -> None:
        seen.append(User.objects.filter(email="alice@example.com").exists())
        real(receipt, **kwargs)

    monkeypatch.setattr(erasure_purge, "send_deletion_receipt", spy)
    done = _request_and_purge(alice, clock)
    assert seen == [True]
    final = mail.outbox[-1]
    assert final.to == ["alice@example.com"]
    assert "your receipt" in final.subject
    receipt = receipt_of(done)
    for line in receipt.deleted:
        assert f"{line.what}: {line.count}" in final.body
    assert f"until {everything['order'].retain_until:%-d %B %Y}" in final.body
    assert done.receipt_sent_at is not None


def test_a_purge_that_fails_half_way_resumes_and_its_receipt_is_still_exact(
    everything: dict[str, Any], alice: User, bob: User, clock: time_machine.Coordinates, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected, *_ = _expected_receipt(alice)
    his = _keys_of(bob)
    request = do_request_deletion(alice)
    clock.shift(30 * DAY)
    real_rows, real_photos = erasure_purge._delete_rows, erasure_purge.do_delete_photos
    failures = {"photos": 1, "jobs": 1}

    def photos_then_crash(photos: Any) -> int:  # the files went, the rows did not
        if failures["photos"]:
            failures["photos"] -= 1
            raise RuntimeError("the database went away")
        return int(real_photos(photos))

    def jobs_then_crash(erasure_id: int, holding: Any, keys: list[int]) -> None:
        if holding.label == "studio.Job" and failures["jobs"]:
            failures["jobs"] -= 1
            raise RuntimeError("killed")
        real_rows(erasure_id, holding, keys)

    monkeypatch.setattr(erasure_purge, "do_delete_photos", photos_then_crash)
    monkeypatch.setattr(erasure_purge, "_delete_rows", jobs_then_crash)
    with pytest.raises(RuntimeError, match="database went away"):
        purge(request.pk)
    assert Photo.objects.filter(owner=alice).count() == 2
    assert not set(stored_objects()) - his
    with pytest.raises(RuntimeError, match="killed"):
        purge(request.pk)
    assert not Photo.objects.filter(owner=alice).exists()
    assert Job.objects.filter(owner=alice).exists()
    assert User.objects.filter(pk=alice.pk).exists()
    assert purge(request.pk) == "completed"  # the failed runs released their lease: no wait
    request.refresh_from_db()
    assert receipt_of(request).counts() == expected
    assert stored_objects() == sorted(his)


def test_a_second_purge_run_changes_nothing(
    everything: dict[str, Any], alice: User, clock: time_machine.Coordinates
) -> None:
    done = _request_and_purge(alice, clock)

    def state() -> tuple[Any, ...]:
        done.refresh_from_db()
        return (
            done.deleted,
            done.kept,
            done.completed_at,
            stored_objects(),
            User.objects.count(),
            Order.objects.count(),
        )

    snapshot = state()
    mails = len(mail.outbox)
    assert purge(done.pk) == "not due"
    assert purge_due() == 0
    assert state() == snapshot
    assert len(mail.outbox) == mails


def test_a_gateway_that_does_not_answer_defers_the_purge_until_it_does(
    everything: dict[str, Any],
    alice: User,
    clock: time_machine.Coordinates,
    monkeypatch: pytest.MonkeyPatch,
    huey_queue: Any,
) -> None:
    from darkroom.billing.gateways import GatewayError

    def down(user: User) -> int:
        raise GatewayError("timed out", permanent=False)

    monkeypatch.setattr(erasure, "do_end_subscriptions_now", down)
    request = do_request_deletion(alice)
    assert Subscription.objects.get(wallet__user=alice).status == Subscription.Status.ACTIVE
    clock.shift(30 * DAY - erasure.MARGIN / 2)  # the purge's hour has begun, the deadline has not
    assert purge(request.pk) == "deferred"
    assert User.objects.filter(pk=alice.pk).exists()
    monkeypatch.undo()
    assert purge(request.pk) == "completed"
    assert Subscription.objects.get(gateway_subscription_id="test_sub_alice").status == Subscription.Status.CANCELED


def test_a_phone_only_account_is_purged_and_its_receipt_stays_on_its_page(clock: time_machine.Coordinates) -> None:
    phone = User.objects.create_user(email=None, phone=ALICE_PHONE, phone_verified=True)
    _upload(phone)
    request = do_request_deletion(phone)
    assert mail.outbox == []  # no address: the page after the request says it all
    clock.shift(30 * DAY)
    assert purge_due() == 1
    request.refresh_from_db()
    assert request.receipt_note.startswith("No email address")
    assert receipt_of(request).counts()["photos.Photo"] == 1
    assert stored_objects() == []


def test_the_sweep_runs_the_purge_and_a_dry_run_only_lists_it(
    everything: dict[str, Any], alice: User, clock: time_machine.Coordinates
) -> None:
    do_request_deletion(alice)
    clock.shift(30 * DAY)
    dry = {f"{t.rule}/{t.what}": t.count for t in retention.sweep(dry_run=True)}
    assert dry["accounts/accounts past their deletion date"] == 1
    assert User.objects.filter(pk=alice.pk).exists()
    done = {f"{t.rule}/{t.what}": t.count for t in retention.sweep()}
    assert done["accounts/accounts past their deletion date"] == 1
    assert not User.objects.filter(pk=alice.pk).exists()


def test_a_deletions_record_goes_when_the_records_it_mentions_have_gone(
    alice: User, clock: time_machine.Coordinates, settings: Any
) -> None:
    done = _request_and_purge(alice, clock)
    assert done.user is None
    years = settings.PROFILE.privacy.retention.orders_years
    clock.shift(365 * DAY * (years - 1))
    retention.sweep()
    assert Erasure.objects.filter(pk=done.pk).exists()
    clock.shift(365 * DAY * 2)
    retention.sweep()
    assert not Erasure.objects.filter(pk=done.pk).exists()


# --- operators -------------------------------------------------------------------------------
def test_an_operator_deletes_an_under_age_account_now_from_the_command_line(
    everything: dict[str, Any], alice: User, bob: User, caplog: pytest.LogCaptureFixture
) -> None:
    his = _keys_of(bob)
    out = io.StringIO()
    with caplog.at_level(logging.INFO):
        call_command("privacy", "delete-account", "Alice@Example.com", "--now", stdout=out)
    assert "Deleted. Reference" in out.getvalue()
    assert not User.objects.filter(pk=alice.pk).exists()
    assert stored_objects() == sorted(his)
    done = Erasure.objects.get()
    assert (done.source, done.reason, done.state) == ("operator", "under-age", "completed")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "under-age" in logged
    assert str(done.public_id) in logged
    assert "alice" not in logged.lower()
    assert ALICE_PHONE not in logged


def test_an_operator_closes_an_account_by_phone_number_with_the_period_when_the_person_asks(alice: User) -> None:
    User.objects.filter(pk=alice.pk).update(phone=ALICE_PHONE)
    out = io.StringIO()
    call_command("privacy", "delete-account", "+65 9123-4567", stdout=out)
    assert "Closed; everything is deleted by" in out.getvalue()
    alice.refresh_from_db()
    assert not alice.is_active
    assert Erasure.objects.get().state == Erasure.State.SCHEDULED


@pytest.mark.django_db(transaction=True)  # the queue's task closes its connection, as a worker's does
def test_the_admin_action_deletes_an_under_age_account_through_the_same_code(
    everything: dict[str, Any], alice: User, huey_queue: Any, django_capture_on_commit_callbacks: Any
) -> None:
    operator: User = everything["operator"]
    User.objects.filter(pk=operator.pk).update(is_superuser=True)
    admin = Client()
    admin.force_login(operator)
    form = {"action": "delete_under_age", "_selected_action": [str(alice.pk)]}
    ask = admin.post("/operator/accounts/user/", form)
    assert ask.status_code == 200
    assert b"Yes, delete" in ask.content
    assert User.objects.get(pk=alice.pk).is_active, "asking to confirm changes nothing"
    with django_capture_on_commit_callbacks(execute=True):
        done = admin.post("/operator/accounts/user/", {**form, "confirmed": "yes"})
    assert done.status_code == 302
    assert drain(huey_queue) >= 1
    assert not User.objects.filter(pk=alice.pk).exists()
    assert Erasure.objects.get().reason == Erasure.Reason.UNDER_AGE


def test_the_admin_does_not_offer_djangos_own_delete_which_would_leave_files_behind(
    everything: dict[str, Any], alice: User
) -> None:
    operator: User = everything["operator"]
    User.objects.filter(pk=operator.pk).update(is_superuser=True)
    admin = Client()
    admin.force_login(operator)
    assert admin.get(f"/operator/accounts/user/{alice.pk}/delete/").status_code == 403


def test_an_operator_can_stop_a_deletion_before_its_purge_starts_but_not_after(
    alice: User, clock: time_machine.Coordinates
) -> None:
    do_request_deletion(alice)
    clock.shift(10 * DAY)
    assert do_cancel_deletion(alice)
    alice.refresh_from_db()
    assert alice.is_active
    assert alice.deletion_requested_at is None
    assert Client().login(email="alice@example.com", password=PASSWORD)
    clock.shift(30 * DAY)
    assert purge_due() == 0
    assert User.objects.filter(pk=alice.pk).exists()
    do_request_deletion(alice)  # asked again later: a new period
    clock.shift(30 * DAY)
    assert purge_due() == 1
    assert not do_cancel_deletion(alice)


# --- the pages ---------------------------------------------------------------------------------
def test_the_account_page_links_to_deletion(alice: User) -> None:
    page = _signed_in_client(alice).get("/account/")
    assert b'href="/privacy/delete/"' in page.content


def test_the_deletion_page_asks_for_the_password_first(alice: User) -> None:
    client = _signed_in_client(alice)
    response = client.get("/privacy/delete/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/reauthenticate/?next=%2Fprivacy%2Fdelete%2F"
    assert client.post("/accounts/reauthenticate/", {"password": "wrong"}).status_code in (200, 400)
    assert client.get("/privacy/delete/").status_code == 302
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert client.get("/privacy/delete/").status_code == 200


def _reauthenticated(user: User) -> Client:
    """Signed in (however), then the password typed again on allauth's reauthentication page."""
    client = Client()
    client.force_login(user)
    assert client.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
    return client


def test_the_deletion_page_says_what_happens_and_when(
    everything: dict[str, Any], alice: User, clock: time_machine.Coordinates
) -> None:
    page = _reauthenticated(alice).get("/privacy/delete/").content.decode()
    assert "1 April 2026 at the latest" in page
    assert "Your Pro subscription ends now" in page
    assert "unfinished job" in page
    assert "export" in page
    assert 'data-label="photos.Photo"><td>photos you uploaded and results made for you</td><td class="count">2' in page
    assert 'data-label="billing.Order"' in page  # kept, and until when
    assert "alice@example.com" in page  # where the receipt goes


def test_the_wrong_words_delete_nothing(alice: User) -> None:
    client = _reauthenticated(alice)
    response = client.post("/privacy/delete/", {"confirm": "yes"})
    assert response.status_code == 400
    assert b"Nothing was deleted" in response.content
    alice.refresh_from_db()
    assert alice.is_active
    assert not Erasure.objects.exists()


def test_the_right_words_close_the_account_sign_out_and_show_the_receipt(alice: User) -> None:
    client = _reauthenticated(alice)
    response = client.post("/privacy/delete/", {"confirm": "  Delete my account "})
    request = Erasure.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/privacy/deletion/{request.public_id}/"
    assert "_auth_user_id" not in client.session
    alice.refresh_from_db()
    assert not alice.is_active
    assert alice.deletion_requested_at is not None
    receipt = client.get(response["Location"])
    assert receipt.status_code == 200
    assert b"Your account is being deleted" in receipt.content
    assert b"alice@example.com" not in receipt.content, "the receipt page names no one"


def test_a_completed_receipt_page_shows_what_went_and_names_no_one(
    everything: dict[str, Any], alice: User, clock: time_machine.Coordinates
) -> None:
    done = _request_and_purge(alice, clock)
    page = Client().get(f"/privacy/deletion/{done.public_id}/").content.decode()
    assert "Your account was deleted" in page
    assert "Kept, without your name" in page
    assert "alice" not in page.lower()
    assert "Liddell" not in page
    assert ALICE_PHONE not in page


def test_a_phone_account_without_a_password_signs_in_again_first(settings: Any) -> None:
    from tests.accounts.conftest import code_sent_to, phone_user, use_profile

    use_profile(settings, "selfie-studio")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = phone_user(ALICE_PHONE)
    stale = _signed_in_client(user)  # signed in long ago (no record of when)
    page = stale.get("/privacy/delete/")
    assert page.status_code == 200
    assert b"Sign in again to delete your account" in page.content
    again = stale.post("/privacy/delete/sign-in-again/")
    assert again["Location"] == "/accounts/login/?next=/privacy/delete/"
    fresh = Client()
    fresh.post("/accounts/login/", {"login": ALICE_PHONE})
    fresh.post("/accounts/login/code/confirm/", {"code": code_sent_to(ALICE_PHONE)})
    page = fresh.get("/privacy/delete/")
    assert page.status_code == 200
    assert b"To confirm, type" in page.content
    assert fresh.post("/privacy/delete/", {"confirm": "delete my account"}).status_code == 302
    assert not User.objects.get(pk=user.pk).is_active
