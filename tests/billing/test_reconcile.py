"""Reconciliation (`darkroom billing reconcile`) and the periodic billing jobs."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from darkroom import cli
from darkroom.accounts.models import User
from darkroom.billing import ledger, reconcile, tasks
from darkroom.billing.models import Order, WebhookEvent
from tests.billing.conftest import deliver, make_event, session_for, start_pack_checkout
from tests.billing.fake_stripe import FakeStripe

pytestmark = pytest.mark.django_db
# Huey's db_task and Django's command runner close connections when they end,
# which a test inside a transaction cannot survive.
TASKS_CLOSE_CONNECTIONS = pytest.mark.django_db(transaction=True)


def _reconcile(*args: str) -> str:
    out = io.StringIO()
    call_command("billing", "reconcile", *args, stdout=out)
    return out.getvalue()


def test_it_processes_an_event_that_never_arrived(alice: User, stripe_mode: FakeStripe) -> None:
    order = start_pack_checkout(alice)
    stripe_mode.add_event(make_event("checkout.session.completed", session_for(stripe_mode, order)))
    assert "1 event(s) of the last 3 day(s) listed by Stripe; 1 had not arrived" in _reconcile()
    assert ledger.balance(alice) == 20
    row = WebhookEvent.objects.get()
    assert (row.source, row.outcome.endswith(": paid")) == ("reconcile", True)
    assert "0 had not arrived" in _reconcile()
    assert ledger.balance(alice) == 20
    _method, path, params = stripe_mode.requests[-1]
    assert path == "/v1/events"
    assert "checkout.session.completed" in params["types"]
    assert "charge.refunded" in params["types"]


def test_an_event_that_did_arrive_is_not_applied_again(client: Client, alice: User, stripe_mode: FakeStripe) -> None:
    order = start_pack_checkout(alice)
    event = make_event("checkout.session.completed", session_for(stripe_mode, order))
    deliver(client, event)
    stripe_mode.add_event(event)
    assert "0 had not arrived" in _reconcile("--days", "1")
    assert ledger.balance(alice) == 20
    assert WebhookEvent.objects.get().source == "webhook"


def test_it_follows_stripes_pages_and_only_looks_back_as_asked(stripe_mode: FakeStripe) -> None:
    now = int(timezone.now().timestamp())
    for index in range(101):
        stripe_mode.add_event(make_event("checkout.session.expired", {"id": f"cs_{index}", "client_reference_id": ""}))
    stripe_mode.add_event(make_event("checkout.session.expired", {"id": "cs_old"}, created=now - 4 * 86400))
    assert "101 event(s)" in _reconcile()
    assert WebhookEvent.objects.filter(processed_at__isnull=False).count() == 101
    assert sum(1 for _m, path, _p in stripe_mode.requests if path == "/v1/events") == 2


def test_the_command_explains_what_it_cannot_do(stripe_mode: FakeStripe, settings: Any) -> None:
    with pytest.raises(CommandError, match="between 1 and 30"):
        _reconcile("--days", "31")
    stripe_mode.fail_with = (401, "Invalid API Key provided")
    with pytest.raises(CommandError, match=r"Could not list events from Stripe: .*Invalid API Key"):
        _reconcile()
    stripe_mode.fail_with = None
    # Its subscription cannot be fetched: processing fails, the event waits.
    stripe_mode.add_event(make_event("customer.subscription.updated", {"id": "sub_missing"}))
    with pytest.raises(CommandError, match=r"1 event\(s\) could not be processed"):
        _reconcile()
    assert WebhookEvent.objects.get().attempts == 1
    settings.STRIPE_SECRET_KEY = None
    with pytest.raises(CommandError, match="Stripe is not configured"):
        _reconcile()


@TASKS_CLOSE_CONNECTIONS
def test_darkroom_billing_reconcile_runs_the_command(
    stripe_mode: FakeStripe, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["billing", "reconcile", "--days", "2"]) == 0
    assert "0 event(s) of the last 2 day(s)" in capsys.readouterr().out


@TASKS_CLOSE_CONNECTIONS
def test_the_hourly_reconcile_task(stripe_mode: FakeStripe, settings: Any) -> None:
    assert tasks.reconcile_task.call_local() == {"listed": 0, "new": 0, "processed": 0, "failed": 0}
    stripe_mode.fail_with = (500, "down")
    assert tasks.reconcile_task.call_local() == {"unreachable": 1}
    settings.STRIPE_SECRET_KEY = None
    assert tasks.reconcile_task.call_local() == {}


@TASKS_CLOSE_CONNECTIONS
def test_housekeeping_processes_events_whose_queue_message_was_lost(
    client: Client, alice: User, stripe_mode: FakeStripe
) -> None:
    from tests.billing.conftest import post_event

    order = start_pack_checkout(alice)
    post_event(client, make_event("checkout.session.completed", session_for(stripe_mode, order)))
    assert tasks.billing_housekeeping_task.call_local()["stalled_processed"] == 0  # may still be in the queue
    with time_machine.travel(timezone.now() + reconcile.STALLED_AFTER + datetime.timedelta(seconds=1)):
        assert tasks.billing_housekeeping_task.call_local()["stalled_processed"] == 1
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert tasks.process_event_task.call_local(WebhookEvent.objects.get().pk) == "already processed"


def test_housekeeping_clears_old_payloads_but_keeps_the_ids(stripe_mode: FakeStripe) -> None:
    old = WebhookEvent.objects.create(
        event_id="evt_old",
        type="invoice.paid",
        payload={"x": 1},
        source="webhook",
        processed_at=timezone.now() - reconcile.PAYLOAD_KEPT - datetime.timedelta(days=1),
    )
    recent = WebhookEvent.objects.create(
        event_id="evt_new", type="invoice.paid", payload={"x": 1}, source="webhook", processed_at=timezone.now()
    )
    assert reconcile.housekeeping() == {"stalled_processed": 0, "test_renewed": 0, "payloads_pruned": 1}
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.payload, old.event_id, recent.payload) == ({}, "evt_old", {"x": 1})
