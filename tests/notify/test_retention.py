"""Notifications are kept a year, message bodies until sent, the development email outbox three days."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from darkroom.accounts.models import User
from darkroom.notify.actions import do_purge_expired_outbox
from darkroom.notify.models import Delivery, Notification, OutboxEmail, Suppression
from darkroom.privacy import retention
from tests.notify.conftest import send

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _counts() -> dict[str, int]:
    return {f"{t.rule}/{t.what}": t.count for t in retention.sweep() if t.count}


def test_a_notification_goes_a_year_after_it_was_made_with_its_deliveries(alice: User) -> None:
    with time_machine.travel(timezone.now() - 366 * DAY):
        old = send(alice, key="old")
    recent = send(alice, key="recent")
    assert old is not None
    assert recent is not None
    counts = _counts()
    assert counts["notifications/notifications over a year old"] == 1
    assert list(Notification.objects.values_list("key", flat=True)) == ["recent"]
    assert Delivery.objects.get().notification_id == recent.pk


def test_a_suppression_of_no_account_goes_after_a_year_one_of_an_account_stays(alice: User) -> None:
    with time_machine.travel(timezone.now() - 400 * DAY):
        Suppression.objects.create(address="gone@example.com", reason="bounce")
        Suppression.objects.create(address="alice@example.com", reason="bounce", user=alice)
    _counts()
    assert list(Suppression.objects.values_list("address", flat=True)) == ["alice@example.com"]


def test_the_bodies_of_finished_deliveries_are_cleared_as_a_backstop(alice: User) -> None:
    notification = send(alice)
    assert notification is not None
    Delivery.objects.update(status=Delivery.Status.FAILED)  # a worker that died between its two updates
    assert _counts()["message-bodies/bodies of sent or failed messages"] == 1
    delivery = Delivery.objects.get()
    assert (delivery.body_text, delivery.body_html, delivery.subject) == ("", "", "Done: Enhance")


def test_outbox_mail_lives_three_days() -> None:
    OutboxEmail.objects.create(from_email="a@example.com", to="b@example.com", subject="Reset", body_text="link")
    with time_machine.travel(timezone.now() + 2 * DAY):
        assert do_purge_expired_outbox() == 0
    with time_machine.travel(timezone.now() + 3 * DAY + datetime.timedelta(minutes=1)):
        assert do_purge_expired_outbox() == 1


def test_the_sweep_also_empties_the_outbox() -> None:
    OutboxEmail.objects.create(from_email="a@example.com", to="b@example.com", subject="Reset", body_text="link")
    with time_machine.travel(timezone.now() + 4 * DAY):
        assert _counts()["email-outbox/mails in the email outbox past their days"] == 1
