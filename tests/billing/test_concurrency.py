"""Concurrency with real threads, each on its own database connection (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from darkroom.accounts.models import User
from darkroom.billing import ledger
from darkroom.billing.ledger import InsufficientCredits
from darkroom.billing.models import LedgerEntry, Order, WebhookEvent
from tests.billing.conftest import make_event, session_for, signature, start_pack_checkout
from tests.billing.fake_stripe import FakeStripe
from tests.conftest import drain

pytestmark = pytest.mark.django_db(transaction=True)


def _in_threads(count: int, work: Callable[[int], str]) -> list[str]:
    """Run ``work(i)`` in ``count`` threads released together; each closes its connection at the end."""
    barrier = threading.Barrier(count)
    results: list[str] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        try:
            barrier.wait()
            outcome = work(index)
        except Exception as exc:
            outcome = f"error: {exc.__class__.__name__}: {exc}"
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == count, "a thread did not finish"
    return results


def test_fifty_concurrent_debits_against_ten_credits_let_exactly_ten_through(alice: User) -> None:
    ledger.credit(alice, 10, key="order:seed", reference="order:seed", description="Starter")

    def debit(index: int) -> str:
        try:
            ledger.debit(alice, 1, key=f"job:{index}:debit", reference=f"job:{index}", description="Enhance")
        except InsufficientCredits:
            return "refused"
        return "debited"

    results = _in_threads(50, debit)
    assert sorted(set(results)) == ["debited", "refused"], results
    assert results.count("debited") == 10
    assert ledger.balance(alice) == 0
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.DEBIT).count() == 10


def test_the_same_debit_key_from_twenty_threads_posts_once(alice: User) -> None:
    ledger.credit(alice, 10, key="order:seed", reference="order:seed", description="Starter")
    results = _in_threads(
        20,
        lambda _i: str(ledger.debit(alice, 3, key="job:1:debit", reference="job:1", description="Enhance").pk),
    )
    assert len(set(results)) == 1, results
    assert ledger.balance(alice) == 7


def test_the_same_event_twenty_times_at_once_grants_once(alice: User, stripe_mode: FakeStripe, huey_queue: Any) -> None:
    order = start_pack_checkout(alice)
    event = make_event("checkout.session.completed", session_for(stripe_mode, order))
    payload = json.dumps(event).encode()

    def deliver(_index: int) -> str:
        response = Client().post(
            "/billing/stripe/webhook/",
            payload,
            content_type="application/json",
            headers={"Stripe-Signature": signature(payload)},
        )
        return f"{response.status_code} {response.content.decode()}"

    results = _in_threads(20, deliver)
    assert all(result.startswith("200 ") for result in results), results
    assert sum(result == "200 Received." for result in results) == 1
    assert WebhookEvent.objects.count() == 1
    assert drain(huey_queue, limit=50) >= 1
    assert ledger.balance(alice) == 20
    assert LedgerEntry.objects.count() == 1
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert WebhookEvent.objects.get().processed_at is not None
