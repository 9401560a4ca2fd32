"""Every trigger, end to end: the event happens, the queue runs, the right in-app and outbox messages exist."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from darkroom import profile
from darkroom.accounts.models import User
from darkroom.billing import actions as billing_actions
from darkroom.billing.fulfilment import do_fulfil_checkout, do_sync_subscription
from darkroom.billing.gateways import CheckoutResult
from darkroom.billing.gateways import test as test_gateway
from darkroom.billing.models import Order, Subscription
from darkroom.notify.models import Delivery, Notification, OutboxSms, Preference
from darkroom.photos.actions import do_upload_photo
from darkroom.privacy.export import do_request_export
from darkroom.studio import runner
from darkroom.studio.actions import do_cancel, do_create_job
from darkroom.studio.models import Job
from tests.conftest import drain, fund, make_photo

pytestmark = pytest.mark.django_db(transaction=True)  # triggers fire after commits, as in production


def _kinds(user: User) -> list[str]:
    return list(Notification.objects.filter(user=user).order_by("created_at", "id").values_list("kind", flat=True))


def _mail_to(address: str) -> list[str]:
    return [message.subject for message in mail.outbox if address in message.to]


# --- payments ---------------------------------------------------------------
def _pay_pack(user: User, code: str = "small") -> Order:
    url = billing_actions.do_start_pack_checkout(user, code, success_url="http://testserver/s", cancel_url="/c")
    session_id, request = test_gateway.read_checkout(url.rstrip("/").rsplit("/", 1)[-1], user)
    test_gateway.pay(user, session_id, request)
    return Order.objects.get(user=user)


def test_a_paid_order_sends_its_receipt_once(settings: Any, alice: User, huey_queue: Any) -> None:
    settings.PROFILE = profile.load("photo-coach")
    order = _pay_pack(alice)
    assert drain(huey_queue) == 1
    assert _mail_to("alice@example.com") == ["Your receipt: 10 credits (10 credits)"]
    body = mail.outbox[-1].body
    assert "$2.99" in body
    assert str(order.public_id) in body
    assert "KasmoK LLC" in body
    assert f"https://asprettyasapicture.com/billing/orders/{order.public_id}/" in body
    notification = Notification.objects.get(user=alice)
    assert (notification.kind, notification.link) == ("receipt", f"/billing/orders/{order.public_id}/")
    # The gateway tells us again (a webhook retry, reconciliation): nothing more goes out.
    do_fulfil_checkout(
        CheckoutResult(
            gateway="test",
            session_id=order.gateway_session_id,
            reference=str(order.public_id),
            mode="payment",
            payment_status="paid",
            amount=order.amount,
            currency=order.currency,
        )
    )
    drain(huey_queue)
    assert len(_mail_to("alice@example.com")) == 1
    assert Notification.objects.filter(user=alice).count() == 1


def _subscribe(user: User) -> Subscription:
    url = billing_actions.do_start_pro_checkout(user, success_url="http://testserver/s", cancel_url="/c")
    session_id, request = test_gateway.read_checkout(url.rstrip("/").rsplit("/", 1)[-1], user)
    test_gateway.pay(user, session_id, request)
    return Subscription.objects.get(wallet__user=user)


def test_pro_sends_a_receipt_then_renewal_receipts(settings: Any, alice: User, huey_queue: Any) -> None:
    settings.PROFILE = profile.load("photo-coach")
    subscription = _subscribe(alice)
    assert subscription.current_period_end is not None
    with time_machine.travel(subscription.current_period_end + datetime.timedelta(minutes=1)):
        assert test_gateway.renew_due_subscriptions() == 1
        assert test_gateway.renew_due_subscriptions() == 0
    drain(huey_queue)
    assert _kinds(alice) == ["receipt", "subscription_renewed"]
    assert _mail_to("alice@example.com") == ["Your receipt: Pro, one month (100 credits)", "Pro renewed: your receipt"]
    assert "Next renewal" in mail.outbox[-1].body


def test_cancelling_pro_says_until_when_then_that_it_ended(settings: Any, alice: User, huey_queue: Any) -> None:
    settings.PROFILE = profile.load("photo-coach")
    subscription = _subscribe(alice)
    test_gateway.manage(subscription, "cancel")
    test_gateway.manage(subscription, "resume")
    test_gateway.manage(subscription, "cancel")  # the same period: told once
    test_gateway.manage(Subscription.objects.get(pk=subscription.pk), "cancel_now")
    drain(huey_queue)
    assert _kinds(alice) == ["receipt", "subscription_cancelled", "subscription_cancelled"]
    day = f"{subscription.current_period_end:%-d %B %Y}"
    assert _mail_to("alice@example.com")[1:] == [
        f"Your Pro subscription ends on {day}",
        "Your Pro subscription has ended",
    ]


def test_a_failed_renewal_payment_is_told_once(settings: Any, alice: User, huey_queue: Any) -> None:
    settings.PROFILE = profile.load("photo-coach")
    subscription = _subscribe(alice)
    state = test_gateway._state(subscription, status=Subscription.Status.PAST_DUE)
    do_sync_subscription(state)
    do_sync_subscription(test_gateway._state(subscription, status=Subscription.Status.UNPAID))  # still failing
    drain(huey_queue)
    assert _kinds(alice) == ["receipt", "payment_failed"]
    assert _mail_to("alice@example.com")[-1] == "We could not take the payment for Pro"
    assert "http://127.0.0.1:8000/billing/" in mail.outbox[-1].body or "/billing/" in mail.outbox[-1].body


# --- jobs -------------------------------------------------------------------
def _job(user: User, kind: str = "enhance", **params: str) -> Job:
    fund(user, 50)
    data = make_photo(320, 240)
    photo = do_upload_photo(user, io.BytesIO(data), len(data))
    return do_create_job(user, kind, photo, params)


def test_a_finished_job_is_told_in_the_app_and_by_email(alice: User, huey_queue: Any) -> None:
    job = _job(alice)
    assert runner.run(job.pk) == Job.State.SUCCEEDED
    huey_queue.flush()  # the job's own task (the runner ran it here)
    notification = Notification.objects.get(user=alice)
    assert (notification.kind, notification.shown, notification.link) == (
        "job_finished",
        True,
        f"/jobs/{job.public_id}/",
    )
    job.refresh_from_db()
    assert notification.photo_id == job.result_id  # its thumbnail in the centre
    email = notification.deliveries.get()
    from darkroom.notify.delivery import do_deliver

    assert do_deliver(email.pk) == Delivery.Status.SENT
    assert _mail_to("alice@example.com") == ["Done: Enhance"]
    assert f"/jobs/{job.public_id}/" in mail.outbox[-1].body
    assert "/files/" not in mail.outbox[-1].body


def test_with_job_email_off_a_finished_job_is_told_in_the_app_only(alice: User, huey_queue: Any) -> None:
    Preference.objects.create(user=alice, category="jobs", channel="email", enabled=False)
    job = _job(alice)
    runner.run(job.pk)
    notification = Notification.objects.get(user=alice)
    assert notification.shown
    assert not notification.deliveries.exists()
    drain(huey_queue)
    assert mail.outbox == []


def test_with_job_notices_off_in_the_app_only_the_email_goes(alice: User, huey_queue: Any) -> None:
    Preference.objects.create(user=alice, category="jobs", channel="in_app", enabled=False)
    job = _job(alice)
    runner.run(job.pk)
    notification = Notification.objects.get(user=alice)
    assert not notification.shown
    assert notification.deliveries.get().channel == "email"


def test_a_failed_job_says_its_credits_came_back(alice: User, huey_queue: Any) -> None:
    job = _job(alice, "generate", preset="studio-grey")
    assert runner.run(job.pk) == Job.State.FAILED  # nobody in the photo
    huey_queue.flush()
    notification = Notification.objects.get(user=alice)
    assert notification.kind == "job_failed"
    from darkroom.notify.delivery import do_deliver

    do_deliver(notification.deliveries.get().pk)
    assert _mail_to("alice@example.com") == ["Failed: Portrait in a scene (credits returned)"]
    assert f"The {job.credits} credits it cost are back in your balance." in mail.outbox[-1].body


def test_a_job_the_person_cancelled_sends_nothing(alice: User, huey_queue: Any) -> None:
    job = _job(alice)
    do_cancel(job)
    assert not Notification.objects.exists()


def test_job_notices_go_by_text_to_who_turned_them_on(settings: Any, huey_queue: Any) -> None:
    settings.PROFILE = profile.load("selfie-studio")
    carol = User.objects.create_user(email=None, phone="+6591234567", phone_verified=True)
    Preference.objects.create(user=carol, category="jobs", channel="sms", enabled=True)
    job = _job(carol)
    runner.run(job.pk)
    huey_queue.flush()
    notification = Notification.objects.get(user=carol)
    sms = notification.deliveries.get()  # no email address: a text, and the in-app line
    assert (sms.channel, sms.to) == ("sms", "+6591234567")
    from darkroom.notify.delivery import do_deliver

    assert do_deliver(sms.pk) == Delivery.Status.SENT
    text = OutboxSms.objects.get(to="+6591234567")
    assert text.body == f"AnyPic: your enhance job is done. https://anypic.app/jobs/{job.public_id}/"
    assert not text.code_digest


# --- exports, sign-up, the policy ---------------------------------------------
def test_an_export_ready_is_told_with_a_link_to_the_page_not_the_file(alice: User, huey_queue: Any) -> None:
    _export, _ = do_request_export(alice)
    assert drain(huey_queue) == 2  # the build, then its email
    notification = Notification.objects.get(user=alice)
    assert (notification.kind, notification.link) == ("export_ready", "/privacy/export/")
    assert _mail_to("alice@example.com") == ["Your data export is ready"]
    assert "/privacy/export/" in mail.outbox[-1].body
    assert "/files/" not in mail.outbox[-1].body


def test_signing_up_welcomes_in_the_app_then_by_email_once_verified(client: Client, huey_queue: Any) -> None:
    from tests.accounts.test_signup import _birth_date, _signup, confirm_email_from_mail

    _signup(client, "dora@example.com", _birth_date(30))
    dora = User.objects.get(email="dora@example.com")
    assert _kinds(dora) == ["welcome"]
    assert not Delivery.objects.exists()  # the address is not proved yet
    confirm_email_from_mail(client, "dora@example.com")
    drain(huey_queue)
    assert _kinds(dora) == ["welcome"]
    assert _mail_to("dora@example.com")[-1] == "Welcome to Darkroom"


def test_a_material_policy_change_is_in_the_app_and_in_the_mail(settings: Any, alice: User, huey_queue: Any) -> None:
    from darkroom.privacy.policy_versions import do_accept_policy, do_record_policy_version

    settings.PROFILE = profile.load("photo-coach")
    do_accept_policy(alice, via="sign-up", version=do_record_policy_version())
    drain(huey_queue)
    Notification.objects.all().delete()
    mail.outbox.clear()
    settings.ANTHROPIC_API_KEY = "sk-ant-test"  # a new third party: material
    do_record_policy_version()
    drain(huey_queue)
    notification = Notification.objects.get(user=alice, kind="policy_changed")
    assert notification.link == "/privacy/"
    assert _mail_to("alice@example.com") == ["As Pretty As A Picture: our privacy policy has changed"]


def test_the_deletion_receipt_goes_to_the_closing_account_and_says_what_went(alice: User) -> None:
    from darkroom.notify.deletion import send_deletion_receipt
    from darkroom.privacy.receipt import Kept, Line, Receipt

    now = timezone.now()
    User.objects.filter(pk=alice.pk).update(is_active=False, deletion_requested_at=now)
    alice.refresh_from_db()
    receipt = Receipt(
        reference="9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
        service="Darkroom",
        state="completed",
        requested_at=now - datetime.timedelta(days=30),
        deadline=now,
        completed_at=now,
        deleted=(Line("photos.Photo", "Photos and results", "content", 3),),
        kept=(Kept("billing.Order", "Orders", 1, datetime.date(2031, 1, 1)),),
        elsewhere=(),
    )
    send_deletion_receipt(receipt, user=alice, to="alice@example.com")
    send_deletion_receipt(receipt, user=alice, to="alice@example.com")  # the purge's next run: once
    assert _mail_to("alice@example.com") == ["Your account is deleted: your receipt"]
    assert "- Photos and results: 3" in mail.outbox[-1].body
    assert "- Orders: 1 (until 1 January 2031)" in mail.outbox[-1].body
    assert not Notification.objects.get(user=alice).shown
