"""The notification centre: the bell's count, the list, read and unread, settings; the development outbox."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client

from darkroom import profile
from darkroom.accounts.models import User
from darkroom.notify.email.outbox import EmailBackend
from darkroom.notify.models import Notification, OutboxEmail, Preference
from tests.notify.conftest import send

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client: Client, alice: User) -> Client:
    client.force_login(alice)
    return client


def _three(alice: User) -> list[Notification]:
    made = [send(alice, kind, key=f"k:{kind}") for kind in ("receipt", "job_finished", "export_ready")]
    return [notification for notification in made if notification is not None]


def test_the_bell_counts_unread_notifications_on_every_page(signed_in: Client, alice: User) -> None:
    _three(alice)
    page = signed_in.get("/photos/").content.decode()
    assert 'id="notify-bell-count"' in page
    assert '>3<span class="visually-hidden"> unread' in page
    badge = signed_in.get("/notifications/count").content.decode()  # htmx refreshes it alone
    assert "3" in badge
    assert "<html" not in badge


def test_a_signed_out_page_has_no_bell(client: Client) -> None:
    assert "notify-bell-count" not in client.get("/").content.decode()


def test_the_list_links_each_to_its_page_and_opening_one_marks_it_read(signed_in: Client, alice: User) -> None:
    receipt, job, export = _three(alice)
    page = signed_in.get("/notifications/").content.decode()
    for notification in (receipt, job, export):
        assert notification.title in page
        assert f"/notifications/{notification.public_id}/open" in page
    answer = signed_in.post(f"/notifications/{job.public_id}/open")
    assert answer.status_code == 302
    assert answer["Location"] == job.link
    job.refresh_from_db()
    assert job.read_at is not None
    assert Notification.objects.filter(user=alice, read_at__isnull=True).count() == 2


def test_mark_one_and_mark_all_read(signed_in: Client, alice: User) -> None:
    receipt, _, _ = _three(alice)
    signed_in.post(f"/notifications/{receipt.public_id}/read")
    assert Notification.objects.filter(read_at__isnull=True).count() == 2
    signed_in.post("/notifications/read-all")
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert "Mark all as read" not in signed_in.get("/notifications/").content.decode()


def test_mallory_can_neither_see_nor_mark_alices(client: Client, alice: User, mallory: User) -> None:
    receipt, _, _ = _three(alice)
    client.force_login(mallory)
    assert receipt.title not in client.get("/notifications/").content.decode()
    assert client.post(f"/notifications/{receipt.public_id}/open").status_code == 404
    client.post(f"/notifications/{receipt.public_id}/read")
    client.post("/notifications/read-all")
    receipt.refresh_from_db()
    assert receipt.read_at is None


def test_a_notification_hidden_by_the_persons_choice_is_not_listed_or_counted(signed_in: Client, alice: User) -> None:
    Preference.objects.create(user=alice, category="jobs", channel="in_app", enabled=False)
    job = send(alice, "job_finished")
    assert job is not None
    assert not job.shown
    assert job.title not in signed_in.get("/notifications/").content.decode()
    assert 'class="bell-count empty"' in signed_in.get("/photos/").content.decode()


def test_signed_out_the_centre_asks_to_sign_in(client: Client) -> None:
    assert client.get("/notifications/").status_code == 302


# --- settings ---------------------------------------------------------------------
def test_the_account_page_shows_the_settings_with_fixed_categories(signed_in: Client) -> None:
    page = signed_in.get("/account/").content.decode()
    assert 'id="notifications"' in page
    assert 'data-category="billing"' in page
    assert 'data-state="fixed"' in page
    assert 'name="on" value="jobs.email" checked' in page
    assert "We send no marketing at all." in page


def test_job_email_can_be_turned_off_and_on_again(signed_in: Client, alice: User) -> None:
    answer = signed_in.post("/notifications/settings/", {"on": ["jobs.in_app"], "next": "/account/"})
    assert answer.status_code == 302
    assert answer["Location"] == "/account/"
    assert list(Preference.objects.values_list("category", "channel", "enabled")) == [("jobs", "email", False)]
    assert send(alice, "job_finished") is not None
    assert not Notification.objects.get().deliveries.exists()
    signed_in.post("/notifications/settings/", {"on": ["jobs.in_app", "jobs.email"]})
    assert not Preference.objects.exists()  # back to the defaults: nothing stored


def test_no_form_can_turn_off_a_receipt(signed_in: Client, alice: User) -> None:
    """The billing, account and privacy checkboxes do not exist; unticking them (sending nothing) changes nothing."""
    signed_in.post("/notifications/settings/", {"on": ["jobs.email", "jobs.in_app"]})
    signed_in.post("/notifications/settings/", {"on": ["billing.email", "marketing.email", "jobs.sms"]})
    assert not Preference.objects.filter(category__in=["billing", "account", "privacy", "marketing"]).exists()
    receipt = send(alice, "receipt", now=True)
    assert receipt is not None
    assert receipt.shown
    assert receipt.deliveries.get().status == "sent"
    assert len(mail.outbox) == 1


def test_a_redirect_elsewhere_after_saving_is_refused(signed_in: Client) -> None:
    answer = signed_in.post("/notifications/settings/", {"on": [], "next": "https://evil.example.com/"})
    assert answer["Location"] == "/notifications/settings/"


def test_sms_is_offered_only_where_people_sign_in_by_phone(settings: Any, client: Client) -> None:
    settings.PROFILE = profile.load("photo-coach")
    coach = User.objects.create_user(email="c@example.com", password="x" * 12)
    client.force_login(coach)
    assert 'data-channel="sms"' not in client.get("/notifications/settings/").content.decode()
    settings.PROFILE = profile.load("selfie-studio")
    page = client.get("/notifications/settings/").content.decode()
    assert 'data-channel="sms" data-state="unavailable"' in page  # no verified mobile number
    User.objects.filter(pk=coach.pk).update(phone="+6591234567", phone_verified=True)
    page = client.get("/notifications/settings/").content.decode()
    assert 'name="on" value="jobs.sms"' in page
    assert 'value="jobs.sms" checked' not in page


def test_alibaba_without_an_approved_template_sends_no_notices(settings: Any) -> None:
    from darkroom.notify import sms

    settings.SMS_BACKEND = "alibaba"
    settings.ALIBABA_SMS_NOTICE_TEMPLATES = {}
    assert not sms.can_send_notice("job_finished")
    settings.ALIBABA_SMS_NOTICE_TEMPLATES = {"job_finished": "SMS_1"}
    assert sms.can_send_notice("job_finished")
    assert not sms.can_send_notice("job_failed")


# --- the development email outbox -------------------------------------------------------
def test_the_outbox_backend_keeps_mail_for_the_dev_page_only_with_debug(settings: Any, client: Client) -> None:
    settings.EMAIL_BACKEND = "darkroom.notify.email.outbox.EmailBackend"
    from django.core.mail import EmailMultiAlternatives

    message = EmailMultiAlternatives("Hello", "The text", "from@example.com", ["to@example.com"])
    message.attach_alternative("<p>The <b>HTML</b></p>", "text/html")
    assert EmailBackend().send_messages([message]) == 1
    kept = OutboxEmail.objects.get()
    assert (kept.to, kept.subject, kept.body_text, kept.body_html) == (
        "to@example.com",
        "Hello",
        "The text",
        "<p>The <b>HTML</b></p>",
    )
    assert client.get("/dev/email/").status_code == 404
    settings.DEBUG = True
    assert "Hello" in client.get("/dev/email/").content.decode()
    detail = client.get(f"/dev/email/{kept.public_id}/").content.decode()
    assert "The text" in detail
    assert "sandbox" in detail
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert client.get("/dev/email/").status_code == 404


def test_make_run_sends_through_the_outbox_by_default() -> None:
    from darkroom import settings as defaults

    assert defaults.EMAIL_BACKEND == "darkroom.notify.email.outbox.EmailBackend"
