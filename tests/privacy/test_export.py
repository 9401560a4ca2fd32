"""The data export: photo-coach §8 "Export your data upon request", selfie-studio §5 "View, download…".

Every test runs on the real database, queue and storage (local folder, or S3
in CI's second pass). The fixture user has a row in every model the
inventory marks as holding exportable personal data, so the coverage test
fails the day a personal field is added and does not reach the export.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import tracemalloc
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from allauth.usersessions.models import UserSession
from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from darkroom.accounts.actions import do_issue_api_token
from darkroom.accounts.models import ApiToken, User
from darkroom.billing.models import AccountFlag, LedgerEntry, Order, Subscription, Wallet
from darkroom.notify.models import Delivery, Notification, Preference, Suppression
from darkroom.photos import storage
from darkroom.photos.actions import do_upload_photo
from darkroom.photos.models import Photo
from darkroom.privacy import archive
from darkroom.privacy.actions import do_record_transfer
from darkroom.privacy.export import STALE_AFTER, build_export, do_request_export, expire_exports
from darkroom.privacy.inventory import INVENTORY, Personal
from darkroom.privacy.models import Export, PolicyAcceptance, PolicyNotice, PolicyVersion, UsageEvent
from darkroom.privacy.policy_versions import do_record_policy_version
from darkroom.studio.models import Job
from tests.conftest import drain, fetch_signed, fund, make_photo, stored_objects

pytestmark = pytest.mark.django_db(transaction=True)

TOTP_SECRET = "JBSWY3DPEHPK3PXPTOTPSECRET"
SESSION_KEY = "k3y0fasess10nthatmustnotleave"


def _result_photo(user: User) -> Photo:
    """A result as a job stores one: an object under a random key and its row."""
    data = make_photo(320, 240)
    key, thumb = storage.new_key("jpg"), storage.new_key("webp")
    storage.put(key, data)
    storage.put(thumb, b"RIFF-thumbnail")
    return Photo.objects.create(
        owner=user,
        kind=Photo.Kind.RESULT,
        file_key=key,
        thumb_key=thumb,
        content_type="image/jpeg",
        width=320,
        height=240,
        byte_size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


@pytest.fixture
def everything(alice: User, bob: User) -> dict[str, Any]:
    """Alice with a row in every model that holds exportable personal data; bob with some of his own."""
    now = timezone.now()
    User.objects.filter(pk=alice.pk).update(
        phone="+6591234567",
        phone_verified=True,
        name="Alice Liddell",
        last_login=now,
        age_confirmed_at=now,
        minimum_age_confirmed=14,
        policy_version_accepted="2026-05-15",
    )
    upload_bytes = make_photo(640, 480)
    upload = do_upload_photo(alice, io.BytesIO(upload_bytes), len(upload_bytes))
    Photo.objects.filter(pk=upload.pk).update(last_generation_at=now)
    result = _result_photo(alice)
    job = Job.objects.create(
        owner=alice,
        kind=Job.Kind.ENHANCE,
        state=Job.State.SUCCEEDED,
        input=upload,
        result=result,
        params={"strength": 0.6},
        credits=1,
        report={"faces": 1},
        started_at=now,
        finished_at=now,
    )
    do_record_transfer(
        alice,
        provider="OpenAI",
        data=("image", "prompt"),
        photo=upload,
        job=job,
        request_id="req_alice_1",
        provider_retention="30 days",
    )
    UsageEvent.objects.create(owner=alice, feature="upload", device_type="phone", browser_family="Safari")
    token, _raw = do_issue_api_token(alice, "my backup script")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    fund(alice, 50)
    wallet = Wallet.objects.get(user=alice)
    Wallet.objects.filter(pk=wallet.pk).update(gateway_customer_id="cus_alice")
    order = Order.objects.create(
        user=alice,
        wallet=wallet,
        kind=Order.Kind.PACK,
        product="starter",
        description="Starter: 20 credits",
        amount=499,
        currency="usd",
        credits=20,
        status=Order.Status.PAID,
        gateway="stripe",
        gateway_session_id="cs_alice",
        gateway_payment_id="pi_alice",
        gateway_invoice_id="in_alice",
        gateway_subscription_id="sub_alice",
        email="alice@example.com",
        paid_at=now,
    )
    Subscription.objects.create(
        wallet=wallet,
        gateway="stripe",
        gateway_subscription_id="sub_alice",
        gateway_customer_id="cus_alice",
        status=Subscription.Status.ACTIVE,
        current_period_end=now + datetime.timedelta(days=30),
    )
    AccountFlag.objects.create(
        wallet=wallet, order=order, reason="refund of spent credits", credits_short=5, resolved_by="op@example.com"
    )
    SocialAccount.objects.create(
        user=alice, provider="google", uid="10769150350006150715113082367", extra_data={"name": "Alice"}
    )
    Authenticator.objects.create(user=alice, type="totp", data={"secret": TOTP_SECRET}, last_used_at=now)
    UserSession.objects.create(
        user=alice, ip="203.0.113.9", session_key=SESSION_KEY, user_agent="Mozilla/5.0 (iPhone) Safari", data={}
    )
    version = PolicyVersion.objects.order_by("-number").first() or do_record_policy_version()
    PolicyAcceptance.objects.get_or_create(user=alice, version=version, defaults={"via": "sign-up", "accepted_at": now})
    PolicyNotice.objects.get_or_create(user=alice, version=version, defaults={"sent_at": now})
    # What she was told, how, and what she chose (notify).
    told = Notification.objects.create(
        user=alice, kind="job_finished", category="jobs", key=f"job:{job.public_id}:finished", title="Done: Enhance"
    )
    Delivery.objects.create(notification=told, channel="email", to="alice@example.com", subject="Done", status="sent")
    Preference.objects.create(user=alice, category="jobs", channel="sms", enabled=True)
    Suppression.objects.create(address="old-alice@example.com", user=alice, reason="bounce", detail="Permanent")
    # Bob's data must not reach alice's archive.
    bobs = make_photo(200, 150)
    bob_photo = do_upload_photo(bob, io.BytesIO(bobs), len(bobs))
    UsageEvent.objects.create(owner=bob, feature="job:critique", device_type="desktop", browser_family="Firefox")
    return {"upload": upload, "upload_bytes": upload_bytes, "result": result, "job": job, "bob_photo": bob_photo}


def _built(user: User, huey_queue: Any) -> Export:
    export, created = do_request_export(user)
    assert created
    assert drain(huey_queue) == 2  # the build, then its "export ready" email (notify)
    export.refresh_from_db()
    assert export.state == Export.State.READY, export.error
    return export


def _open(export: Export) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(storage.get(export.file_key)))


def _normal(value: Any) -> Any:
    """A value as JSON carries it, so database rows and exported rows compare equal."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def test_it_builds_a_zip_with_account_json_every_photo_and_an_explanation(
    everything: dict[str, Any], alice: User, huey_queue: Any
) -> None:
    export = _built(alice, huey_queue)
    archive_file = _open(export)
    assert archive_file.testzip() is None  # every member's CRC checks out
    upload, result = everything["upload"], everything["result"]
    names = set(archive_file.namelist())
    assert {"account.json", "about.json", "README.txt"} <= names
    assert f"photos/uploads/{upload.public_id}.jpg" in names
    assert f"photos/results/{result.public_id}.jpg" in names
    assert f"photos/uploads/{everything['bob_photo'].public_id}.jpg" not in names
    for photo in (upload, result):
        inside = archive_file.read(archive.photo_path(photo.public_id, photo.kind, photo.content_type))
        assert inside == storage.get(photo.file_key)  # byte-identical to what is stored
    account = json.loads(archive_file.read("account.json"))
    assert (account["format"], account["version"], account["account"]) == ("darkroom-export", 1, str(alice.public_id))
    photos = {row["public_id"]: row for row in account["records"]["photos.Photo"]}
    assert photos[str(result.public_id)]["made_by_job"] == str(everything["job"].public_id)
    assert photos[str(result.public_id)]["file"] == f"photos/results/{result.public_id}.jpg"
    (job_row,) = account["records"]["studio.Job"]
    assert (job_row["input"], job_row["result"]) == (str(upload.public_id), str(result.public_id))
    assert export.byte_size == len(storage.get(export.file_key))
    assert export.progress == 100
    about = json.loads(archive_file.read("about.json"))
    stored_bytes = sum(len(storage.get(photo.file_key)) for photo in (upload, result))
    assert about["files"] == {"count": 2, "bytes": stored_bytes, "deleted_while_exporting": []}
    assert b"alice@example.com" in archive_file.read("account.json")
    assert b"bob@example.com" not in archive_file.read("account.json")


def test_every_exportable_personal_field_in_the_inventory_appears_in_the_export(
    everything: dict[str, Any], alice: User, huey_queue: Any
) -> None:
    """DESIGN.md invariant 5: the export is driven by the inventory, so nothing personal can be left out."""
    archive_file = _open(_built(alice, huey_queue))
    records = json.loads(archive_file.read("account.json"))["records"]
    about = json.loads(archive_file.read("about.json"))["records"]
    Notification.objects.filter(kind="export_ready").delete()  # made once the archive was ready: not in it
    missing = []
    for label, entries in INVENTORY.items():
        exported = [name for name, e in entries.items() if isinstance(e, Personal) and e.exportable]
        if not exported:
            continue
        rows = records.get(label, [])
        if not rows:
            missing.append(f"{label} (give the fixture user a row of it)")
            continue
        model = apps.get_model(label)
        path = archive.owner_path(model)
        lookup: dict[str, Any] = {path: alice} if path else {"pk": alice.pk}
        in_database = [_normal(row) for row in model._default_manager.filter(**lookup).order_by("pk").values(*exported)]
        assert [{name: row[name] for name in exported} for row in rows] == in_database, label
        for name in exported:
            entry = entries[name]
            assert isinstance(entry, Personal)
            explained = about[label]["fields"][name]
            assert explained == {"category": entry.category, "purpose": entry.purpose, "retention": entry.retention}
        assert about[label]["rows"] == len(rows)
    assert not missing, "no rows in the export for: " + ", ".join(missing)


def test_secrets_and_other_peoples_details_never_leave_and_are_listed_as_withheld(
    everything: dict[str, Any], alice: User, huey_queue: Any
) -> None:
    archive_file = _open(_built(alice, huey_queue))
    account = archive_file.read("account.json").decode()
    alice.refresh_from_db()
    token = ApiToken.objects.get(user=alice)
    for secret in (alice.password, TOTP_SECRET, SESSION_KEY, token.digest, "op@example.com"):
        assert secret not in account
    withheld = {(item["record"], item["field"]) for item in json.loads(archive_file.read("about.json"))["withheld"]}
    expected = {
        (label, name)
        for label, entries in INVENTORY.items()
        for name, e in entries.items()
        if isinstance(e, Personal) and not e.exportable
    }
    assert withheld == expected
    assert {
        ("accounts.User", "password"),
        ("mfa.Authenticator", "data"),
        ("sessions.Session", "session_data"),
    } <= withheld


def test_each_model_reaches_its_owner_through_its_links_only() -> None:
    assert archive.owner_path(User) == ""
    assert archive.owner_path(apps.get_model("billing.Order")) == "user"  # the shortest chain, not wallet__user
    assert archive.owner_path(LedgerEntry) == "wallet__user"
    assert archive.owner_path(AccountFlag) == "wallet__user"  # resolved_by names an operator, not the owner
    assert archive.owner_path(apps.get_model("privacy.Transfer")) == "owner"
    for section in archive.sections():  # and every exported model has one
        assert section.path == archive.owner_path(section.model)


def test_the_processor_record_lists_who_received_alices_data(
    everything: dict[str, Any], alice: User, huey_queue: Any, settings: SettingsWrapper
) -> None:
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_x", "whsec_x"
    settings.SMS_BACKEND = "twilio"
    processors = json.loads(_open(_built(alice, huey_queue)).read("account.json"))["processors"]
    by_name = {entry["name"]: entry for entry in processors}
    openai = by_name["OpenAI"]
    assert (openai["times"], openai["photos"], openai["data"]) == (1, 1, ["image", "prompt"])
    assert openai["their_retention"] == "30 days"
    assert "Stripe" in by_name  # she paid through it
    assert "Twilio" in by_name  # she has a phone number


def test_the_sms_vendor_is_not_listed_for_someone_without_a_phone(
    bob: User, huey_queue: Any, settings: SettingsWrapper
) -> None:
    settings.SMS_BACKEND = "twilio"
    processors = json.loads(_open(_built(bob, huey_queue)).read("account.json"))["processors"]
    assert "Twilio" not in {entry["name"] for entry in processors}


def _stored_blobs(user: User, count: int, size: int) -> dict[str, str]:
    """``count`` photos of ``size`` random bytes each; their digests by public id."""
    digests = {}
    for _ in range(count):
        data = os.urandom(size)
        key = storage.new_key("jpg")
        storage.put(key, data)
        photo = Photo.objects.create(
            owner=user,
            file_key=key,
            thumb_key=storage.new_key("webp"),
            content_type="image/jpeg",
            width=1,
            height=1,
            byte_size=size,
            sha256=hashlib.sha256(data).hexdigest(),
        )
        digests[str(photo.public_id)] = photo.sha256
    return digests


def test_it_builds_in_bounded_memory_reading_one_stored_object_at_a_time(
    alice: User, monkeypatch: pytest.MonkeyPatch, huey_queue: Any
) -> None:
    size, count = 1024 * 1024, 40
    digests = _stored_blobs(alice, count, size)
    opened = {"now": 0, "most": 0, "total": 0}
    real_open_chunks = storage.open_chunks

    def watched(key: str, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
        chunks = real_open_chunks(key, chunk_size)
        opened["now"] += 1
        opened["most"] = max(opened["most"], opened["now"])
        opened["total"] += 1
        try:
            yield from chunks
        finally:
            opened["now"] -= 1

    monkeypatch.setattr(storage, "open_chunks", watched)
    export, _ = do_request_export(alice)
    tracemalloc.start()
    try:
        assert build_export(export.pk) == "ready"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (opened["total"], opened["most"]) == (count, 1)
    # Local storage peaks near one read chunk; S3 near one 8 MB upload part. Either is far below the 40 MB.
    assert peak < count * size / 2, f"peak {peak / 1e6:.1f} MB"
    export.refresh_from_db()
    with _open(export) as archive_file:
        inside = {
            name.rsplit("/", 1)[1].split(".")[0]: hashlib.sha256(archive_file.read(name)).hexdigest()
            for name in archive_file.namelist()
            if name.startswith("photos/")
        }
    assert inside == digests


def test_the_link_works_until_it_expires_then_the_archive_and_row_are_deleted(
    alice: User, client: Client, huey_queue: Any, settings: SettingsWrapper
) -> None:
    export = _built(alice, huey_queue)
    assert export.expires_at is not None
    assert export.finished_at is not None
    days = settings.PROFILE.privacy.retention.export_link_days
    assert export.expires_at - export.finished_at == datetime.timedelta(days=days)
    client.force_login(alice)
    download = f"/privacy/export/{export.public_id}/download"
    response = client.get(download)
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    status, body, headers = fetch_signed(client, response["Location"])
    assert status == 200
    assert body == storage.get(export.file_key)
    assert "attachment" in headers["Content-Disposition"]
    before, after = export.expires_at - datetime.timedelta(minutes=1), export.expires_at + datetime.timedelta(minutes=1)
    with time_machine.travel(before, tick=False):
        assert client.get(download).status_code == 302
    with time_machine.travel(after, tick=False):
        gone = client.get(download)
        assert gone.status_code == 410
        assert "expired" in gone.content.decode()
    # The sweep is given its moment rather than run in the future: an S3 server refuses requests
    # signed days ahead of its clock (RequestTimeTooSkewed).
    assert expire_exports(now=before) == {"expired": 0, "stalled": 0, "failed": 0}
    assert export.file_key in stored_objects()
    assert expire_exports(now=after, dry_run=True)["expired"] == 1
    assert export.file_key in stored_objects()
    assert expire_exports(now=after)["expired"] == 1
    assert export.file_key not in stored_objects()
    assert not Export.objects.filter(pk=export.pk).exists()
    assert client.get(download).status_code == 404


def test_nobody_else_can_see_or_download_alices_export(
    alice: User, mallory: User, client: Client, huey_queue: Any
) -> None:
    export = _built(alice, huey_queue)
    client.force_login(alice)
    signed = client.get(f"/privacy/export/{export.public_id}/download")["Location"]
    client.force_login(mallory)
    assert client.get(f"/privacy/export/{export.public_id}/download").status_code == 404
    assert client.get(f"/privacy/export/{export.public_id}/status").status_code == 404
    assert str(export.public_id) not in client.get("/privacy/export/").content.decode()
    if not signed.startswith("http"):  # the local signed view checks the owner too (S3: the signature is the key)
        assert client.get(signed).status_code == 404
    client.logout()
    assert client.get(f"/privacy/export/{export.public_id}/download").status_code == 302  # to sign-in
    assert "/accounts/login/" in client.get(f"/privacy/export/{export.public_id}/download")["Location"]


def test_a_failure_marks_the_export_failed_with_a_reason_and_keeps_nothing(
    everything: dict[str, Any], alice: User, huey_queue: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(key: str, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
        yield b"the first bytes"
        raise OSError("the disk went away")

    monkeypatch.setattr(storage, "open_chunks", broken)
    before = set(stored_objects())
    export, _ = do_request_export(alice)
    drain(huey_queue)
    export.refresh_from_db()
    assert export.state == Export.State.FAILED
    assert "could not be written to or read from storage" in export.error
    assert "ask for a new export" in export.error
    assert set(stored_objects()) == before  # the partial archive is gone
    again, created = do_request_export(alice)  # a failed export does not block the next
    assert created
    assert again.pk != export.pk


def test_an_export_whose_account_went_mid_build_stops_and_leaves_nothing(
    alice: User, monkeypatch: pytest.MonkeyPatch, huey_queue: Any
) -> None:
    _stored_blobs(alice, 3, 64 * 1024)
    real_open_chunks = storage.open_chunks
    export, _ = do_request_export(alice)

    def account_deleted_meanwhile(key: str, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
        Export.objects.filter(pk=export.pk).delete()  # as the account's erasure would (CASCADE)
        return real_open_chunks(key, chunk_size)

    monkeypatch.setattr(storage, "open_chunks", account_deleted_meanwhile)
    photos_only = set(stored_objects())
    assert build_export(export.pk) == "gone"
    assert set(stored_objects()) == photos_only


def test_an_unexpected_error_is_reported_by_its_kind_not_its_details(
    alice: User, huey_queue: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(user: User) -> list[Any]:
        raise ValueError("internal detail that must not reach the page")

    monkeypatch.setattr(archive, "processor_record", broken)
    export, _ = do_request_export(alice)
    drain(huey_queue)
    export.refresh_from_db()
    assert export.state == Export.State.FAILED
    assert "(ValueError)" in export.error
    assert "internal detail" not in export.error
    assert stored_objects() == []


def test_one_export_at_a_time_a_second_request_returns_the_running_one(
    alice: User, client: Client, huey_queue: Any
) -> None:
    client.force_login(alice)
    assert client.post("/privacy/export/").status_code == 302
    second = client.post("/privacy/export/", follow=True)
    assert "already being made" in second.content.decode()
    assert Export.objects.filter(owner=alice).count() == 1
    assert huey_queue.pending_count() == 1
    first, created = do_request_export(alice)
    assert not created
    assert first == Export.objects.get(owner=alice)


def test_the_page_asks_shows_progress_and_then_the_link_size_and_expiry(
    alice: User, client: Client, huey_queue: Any
) -> None:
    client.force_login(alice)
    page = client.get("/privacy/export/").content.decode()
    assert "Export your data" in page
    assert 'id="request-export"' in page
    assert "csrfmiddlewaretoken" in page
    client.post("/privacy/export/")
    export = Export.objects.get(owner=alice)
    page = client.get("/privacy/export/").content.decode()
    assert f'hx-get="/privacy/export/{export.public_id}/status"' in page
    assert 'id="request-export"' not in page  # one at a time
    waiting = client.get(f"/privacy/export/{export.public_id}/status")
    assert waiting.status_code == 200
    assert "Waiting to start" in waiting.content.decode()
    drain(huey_queue)
    export.refresh_from_db()
    done = client.get(f"/privacy/export/{export.public_id}/status")
    assert done.status_code == 286  # htmx stops polling
    text = done.content.decode()
    assert f"/privacy/export/{export.public_id}/download" in text
    assert f"{export.expires_at:%-d %B %Y}" in text
    assert 'id="request-export"' in text
    page = client.get("/privacy/export/").content.decode()
    assert 'hx-get="/privacy/export/' not in page  # the export no longer polls (the header's bell still does)
    assert 'id="download-export"' in page


def test_a_new_archive_replaces_the_earlier_one(alice: User, huey_queue: Any) -> None:
    first = _built(alice, huey_queue)
    second = _built(alice, huey_queue)
    assert first.file_key not in stored_objects()
    assert second.file_key in stored_objects()
    assert list(Export.objects.filter(owner=alice)) == [second]


def test_an_export_whose_worker_died_is_failed_by_the_sweep(alice: User, huey_queue: Any) -> None:
    export, _ = do_request_export(alice)
    huey_queue.flush()  # the task is lost: say the queue was wiped
    assert expire_exports()["stalled"] == 0
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=2), tick=False):
        assert expire_exports()["stalled"] == 1  # no storage call: a queued export has no object yet
    export.refresh_from_db()
    assert export.state == Export.State.FAILED
    assert "ask for a new export" in export.error
    _, created = do_request_export(alice)
    assert created


def test_a_running_export_that_went_silent_is_failed_and_its_partial_archive_deleted(alice: User) -> None:
    export, _ = do_request_export(alice)
    partial = storage.new_key("zip")
    storage.put(partial, b"PK\x03\x04 the first bytes of an archive")
    an_hour_ago = timezone.now() - STALE_AFTER - datetime.timedelta(minutes=1)
    Export.objects.filter(pk=export.pk).update(state=Export.State.RUNNING, file_key=partial, updated_at=an_hour_ago)
    assert expire_exports()["stalled"] == 1
    export.refresh_from_db()
    assert export.state == Export.State.FAILED
    assert "stopped before it finished" in export.error
    assert partial not in stored_objects()
    assert build_export(export.pk) == "not queued"  # a late task for it does nothing


def test_the_api_asks_for_an_export_and_returns_its_link_when_ready(
    alice: User, client: Client, huey_queue: Any
) -> None:
    _, raw = do_issue_api_token(alice, "exporter")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    asked = client.post("/api/v1/exports", **auth)
    assert asked.status_code == 202
    body = asked.json()
    assert (body["state"], body["download_url"]) == ("queued", None)
    assert client.post("/api/v1/exports", **auth).json()["id"] == body["id"]  # the same one, 200
    drain(huey_queue)
    ready = client.get(f"/api/v1/exports/{body['id']}", **auth).json()
    assert ready["state"] == "ready"
    client.force_login(alice)  # the local signed view checks the owner's session; S3 checks the signature
    status, content, _ = fetch_signed(client, ready["download_url"].replace("http://testserver", ""))
    assert status == 200
    assert zipfile.ZipFile(io.BytesIO(content)).testzip() is None
    _, bobs = do_issue_api_token(User.objects.create_user(email="bob2@example.com", password="x" * 12), "b")
    assert client.get(f"/api/v1/exports/{body['id']}", HTTP_AUTHORIZATION=f"Bearer {bobs}").status_code == 404
