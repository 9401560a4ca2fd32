"""Delivery from the queue: sent once, retried on a throttle, failures recorded, nothing to a closed account."""

from __future__ import annotations

import datetime
import logging
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from darkroom.accounts.models import User
from darkroom.notify.delivery import MAX_ATTEMPTS, RETRY_DELAYS, do_deliver, sweep_deliveries
from darkroom.notify.email import do_suppress
from darkroom.notify.models import Delivery, Notification, Suppression
from tests.conftest import drain
from tests.notify.conftest import send
from tests.notify.fake_ses import FakeSes

pytestmark = pytest.mark.django_db


def _email(notification: Notification | None) -> Delivery:
    assert notification is not None
    return notification.deliveries.get(channel=Delivery.Channel.EMAIL)


@pytest.mark.django_db(transaction=True)  # the queue's task runs as the worker would
def test_it_sends_from_the_queue_once_committed(alice: User, huey_queue: Any) -> None:
    notification = send(alice)
    assert mail.outbox == []  # nothing leaves before the worker takes it
    assert drain(huey_queue) == 1
    delivery = _email(notification)
    assert delivery.status == Delivery.Status.SENT
    assert [message.to for message in mail.outbox] == [["alice@example.com"]]
    assert mail.outbox[0].subject == "Done: Enhance"
    assert mail.outbox[0].alternatives[0][1] == "text/html"
    # Once sent, the words are gone from the row; the subject and the outcome stay.
    assert (delivery.body_text, delivery.body_html, delivery.subject) == ("", "", "Done: Enhance")
    assert do_deliver(delivery.pk) == ""  # a second task for it sends nothing
    assert len(mail.outbox) == 1


def test_the_same_key_sends_nothing_twice(alice: User) -> None:
    first = send(alice, now=True)
    again = send(alice, now=True)
    assert first is not None
    assert again is not None
    assert first.pk == again.pk
    assert Delivery.objects.count() == 1
    assert len(mail.outbox) == 1


def test_it_retries_a_throttle_then_sends(alice: User, fake_ses: FakeSes, huey_queue: Any) -> None:
    """SES answers 429 TooManyRequestsException (its sending-rate limit): tried again later, then sent."""
    fake_ses.answers = [(429, "TooManyRequestsException")]
    delivery = _email(send(alice))
    assert do_deliver(delivery.pk) == Delivery.Status.RETRYING
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.error.split(":")[0]) == (1, "TooManyRequestsException")
    assert delivery.next_attempt_at is not None
    wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
    assert RETRY_DELAYS[0] - 5 < wait <= RETRY_DELAYS[0]
    assert delivery.body_text  # kept for the next try
    assert do_deliver(delivery.pk) == ""  # not due yet: a stray task does not jump the queue
    with time_machine.travel(delivery.next_attempt_at + datetime.timedelta(seconds=1)):
        assert do_deliver(delivery.pk) == Delivery.Status.SENT
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.provider_message_id.startswith("0100")
    assert len(fake_ses.sent) == 2
    assert fake_ses.sent[-1]["body"]["Destination"]["ToAddresses"] == ["alice@example.com"]


@pytest.mark.django_db(transaction=True)  # the queue's task runs as the worker would
def test_a_throttle_schedules_its_own_retry_on_the_queue(alice: User, fake_ses: FakeSes, huey_queue: Any) -> None:
    fake_ses.answers = [(429, "TooManyRequestsException")]
    delivery = _email(send(alice))
    assert drain(huey_queue) == 2  # the send, then its retry: Huey moves a task with an eta to its schedule
    scheduled = huey_queue.scheduled()
    assert [task.args for task in scheduled] == [(delivery.pk,)]
    assert scheduled[0].eta is not None


def test_a_refused_message_fails_for_good_at_once(alice: User, fake_ses: FakeSes) -> None:
    """MessageRejected (400): SES refuses this message every time; no retry, the reason recorded."""
    fake_ses.answers = [(400, "MessageRejected")]
    delivery = _email(send(alice))
    assert do_deliver(delivery.pk) == Delivery.Status.FAILED
    delivery.refresh_from_db()
    assert delivery.error.startswith("MessageRejected")
    assert (delivery.attempts, delivery.body_text, delivery.next_attempt_at) == (1, "", None)


def test_it_gives_up_after_the_last_try(alice: User, fake_ses: FakeSes) -> None:
    fake_ses.answers = [(503, "ServiceUnavailable")] * MAX_ATTEMPTS
    delivery = _email(send(alice))
    for _ in range(MAX_ATTEMPTS):
        do_deliver(delivery.pk, force=True)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.error.startswith(f"gave up after {MAX_ATTEMPTS} tries")
    assert len(fake_ses.sent) == MAX_ATTEMPTS


def test_an_unreachable_mail_service_is_tried_again(alice: User, settings: Any, fake_ses: FakeSes) -> None:
    fake_ses.stop()  # nothing listens any more: a connection refused
    delivery = _email(send(alice))
    assert do_deliver(delivery.pk) == Delivery.Status.RETRYING


def test_nothing_goes_to_an_account_closed_after_the_message_was_made(alice: User) -> None:
    delivery = _email(send(alice))
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert do_deliver(delivery.pk) == Delivery.Status.CANCELLED
    assert mail.outbox == []


def test_nothing_is_made_for_a_deactivated_account(alice: User) -> None:
    User.objects.filter(pk=alice.pk).update(is_active=False)
    alice.refresh_from_db()
    assert send(alice) is None
    assert not Notification.objects.exists()


def test_nothing_goes_once_deletion_was_asked_for(alice: User) -> None:
    delivery = _email(send(alice))
    User.objects.filter(pk=alice.pk).update(deletion_requested_at=timezone.now())
    assert do_deliver(delivery.pk) == Delivery.Status.CANCELLED
    assert mail.outbox == []


def test_a_deleted_account_takes_its_messages_with_it(alice: User, huey_queue: Any) -> None:
    delivery = _email(send(alice))
    alice.delete()
    assert not Delivery.objects.filter(pk=delivery.pk).exists()
    assert do_deliver(delivery.pk) == ""  # the queued task finds nothing to send
    assert mail.outbox == []


def test_the_deletion_notices_do_reach_a_closing_account(alice: User) -> None:
    User.objects.filter(pk=alice.pk).update(is_active=False, deletion_requested_at=timezone.now())
    alice.refresh_from_db()
    notification = send(alice, "account_deletion_scheduled", now=True)
    assert notification is not None
    assert not notification.shown
    assert [message.subject for message in mail.outbox] == ["Your account will be deleted by 3 December 2026"]


def test_a_suppressed_address_gets_nothing(alice: User) -> None:
    do_suppress("Alice@Example.com", Suppression.Reason.BOUNCE, "Permanent: General")
    assert Suppression.objects.get().user == alice
    delivery = _email(send(alice))
    assert do_deliver(delivery.pk) == Delivery.Status.SUPPRESSED
    assert mail.outbox == []


def test_no_body_reaches_the_log(alice: User, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    send(alice, "job_failed", now=True)
    assert len(mail.outbox) == 1
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "job_failed" in logged or "email" in logged
    for line in mail.outbox[0].body.splitlines():
        if len(line) > 20:
            assert line not in logged
    assert "alice@example.com" not in logged


@pytest.mark.django_db(transaction=True)  # the queue's task runs as the worker would
def test_the_sweep_sends_again_what_a_dead_worker_left(alice: User, huey_queue: Any) -> None:
    cut_off = _email(send(alice, key="a"))
    lost = _email(send(alice, key="b"))
    huey_queue.flush()  # both task messages lost (a crash, a flushed queue)
    Delivery.objects.filter(pk=cut_off.pk).update(status=Delivery.Status.SENDING, attempts=1)
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=11)):
        assert sweep_deliveries() == {"revived": 1, "resent": 2}
        assert drain(huey_queue) == 2
    assert {delivery.status for delivery in Delivery.objects.filter(pk__in=[cut_off.pk, lost.pk])} == {"sent"}
    assert len(mail.outbox) == 2


def test_the_deletion_receipt_raises_until_it_went_so_the_purge_waits(alice: User, fake_ses: FakeSes) -> None:
    from darkroom.notify.deletion import send_deletion_receipt
    from darkroom.notify.email import EmailFailure
    from darkroom.privacy.receipt import Receipt

    now = timezone.now()
    receipt = Receipt(
        reference="1d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
        service="Darkroom",
        state="scheduled",
        requested_at=now,
        deadline=now + datetime.timedelta(days=30),
        completed_at=None,
        deleted=(),
        kept=(),
        elsewhere=(),
    )
    fake_ses.answers = [(429, "TooManyRequestsException")]
    with pytest.raises(EmailFailure) as failure:
        send_deletion_receipt(receipt, user=alice, to="alice@example.com")
    assert not failure.value.permanent
    send_deletion_receipt(receipt, user=alice, to="alice@example.com")  # the next run: it goes now
    send_deletion_receipt(receipt, user=alice, to="alice@example.com")  # and never twice
    assert len(fake_ses.sent) == 2
