"""Operator pages: everything readable, nothing editable, adjustments as new entries."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from darkroom.accounts.models import User
from darkroom.billing import actions, fulfilment, ledger
from darkroom.billing.ledger import LedgerError
from darkroom.billing.models import LedgerEntry, Order, WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def olivia(db: None) -> User:
    """The operator."""
    return User.objects.create_superuser(
        email="olivia@example.com", password="correct horse battery staple", name="Olivia Operator"
    )


@pytest.fixture
def operator_client(client: Client, olivia: User) -> Client:
    client.force_login(olivia)
    return client


def _adjust(client: Client, wallet_pk: int, amount: str, reason: str, nonce: str = "n1") -> str:
    response = client.post(
        f"/operator/billing/wallet/{wallet_pk}/adjust/",
        {"amount": amount, "reason": reason, "nonce": nonce},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def test_every_billing_page_opens_read_only(operator_client: Client, alice: User) -> None:
    ledger.credit(alice, 5, key="order:1", reference="order:1", description="Gift")
    wallet = ledger.wallet_for(alice)
    fulfilment.raise_flag(wallet, None, "Look at this")
    WebhookEvent.objects.create(event_id="evt_1", type="invoice.paid", payload={}, source="webhook")
    for model in ("wallet", "ledgerentry", "order", "subscription", "webhookevent", "accountflag"):
        listing = operator_client.get(f"/operator/billing/{model}/")
        assert listing.status_code == 200, model
        assert operator_client.get(f"/operator/billing/{model}/add/").status_code == 403, model
    for query in ("alice", str(wallet.public_id), "order:1"):
        for model in ("wallet", "ledgerentry", "order"):
            assert operator_client.get(f"/operator/billing/{model}/", {"q": query}).status_code == 200, (model, query)
    assert "alice@example.com" in operator_client.get("/operator/billing/wallet/", {"q": "alice"}).content.decode()
    page = operator_client.get(f"/operator/billing/wallet/{wallet.pk}/change/").content.decode()
    assert "Adjust credits…" in page
    assert "Look at this" in page
    entry = LedgerEntry.objects.get()
    assert operator_client.post(f"/operator/billing/ledgerentry/{entry.pk}/delete/").status_code == 403


def test_an_adjustment_is_a_new_entry_with_reason_and_operator(operator_client: Client, alice: User) -> None:
    ledger.credit(alice, 5, key="order:1", reference="order:1", description="Starter")
    wallet = ledger.wallet_for(alice)
    form = operator_client.get(f"/operator/billing/wallet/{wallet.pk}/adjust/").content.decode()
    assert "Balance now: <strong>5</strong>" in form
    nonce = re.search(r'name="nonce" value="([0-9a-f]+)"', form)
    assert nonce is not None
    page = _adjust(operator_client, wallet.pk, "3", "Goodwill: job stuck for a day", nonce.group(1))
    assert "Posted +3 credits: Goodwill: job stuck for a day" in page
    _adjust(operator_client, wallet.pk, "3", "Goodwill: job stuck for a day", nonce.group(1))  # submitted twice
    entry = LedgerEntry.objects.get(kind=LedgerEntry.Kind.ADJUSTMENT)
    assert (entry.amount, entry.operator, entry.description) == (3, "Olivia Operator", "Goodwill: job stuck for a day")
    assert ledger.balance(alice) == 8
    assert ledger.statement(alice)[0].description == "Goodwill: job stuck for a day"


def test_an_adjustment_cannot_take_a_balance_below_zero_or_move_nothing(operator_client: Client, alice: User) -> None:
    wallet = ledger.wallet_for(alice)
    assert "Not enough credits" in _adjust(operator_client, wallet.pk, "-1", "Chargeback")
    assert "at least one credit" in _adjust(operator_client, wallet.pk, "0", "Nothing")
    assert "This field is required" in _adjust(operator_client, wallet.pk, "4", "   ")
    assert not LedgerEntry.objects.exists()
    with pytest.raises(LedgerError, match="reason"):
        actions.do_adjust(wallet, 1, reason=" ", operator="olivia", nonce="x")
    with pytest.raises(LedgerError, match="operator's name"):
        actions.do_adjust(wallet, 1, reason="Gift", operator="", nonce="x")


def test_staff_without_the_permission_cannot_adjust(client: Client, alice: User) -> None:
    staff = User.objects.create_user(email="sam@example.com", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_wallet"))
    client.force_login(staff)
    wallet = ledger.wallet_for(alice)
    assert client.get(f"/operator/billing/wallet/{wallet.pk}/adjust/").status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="add_ledgerentry"))
    staff = User.objects.get(pk=staff.pk)  # permissions are cached on the instance
    client.force_login(staff)
    _adjust(client, wallet.pk, "2", "Welcome gift")
    assert LedgerEntry.objects.get().operator == "sam@example.com"


def test_flags_are_resolved_by_name(operator_client: Client, alice: User) -> None:
    flag = fulfilment.raise_flag(ledger.wallet_for(alice), None, "Refund of spent credits")
    response = operator_client.post(
        "/operator/billing/accountflag/", {"action": "resolve", "_selected_action": [flag.pk]}, follow=True
    )
    assert "1 flag(s) resolved." in response.content.decode()
    flag.refresh_from_db()
    assert (flag.resolved_by, flag.resolved_at is not None) == ("Olivia Operator", True)
    assert not actions.do_resolve_flag(flag, "again")


def test_events_can_be_processed_from_the_operator_pages(operator_client: Client, alice: User) -> None:
    ignored = WebhookEvent.objects.create(event_id="evt_1", type="charge.dispute.created", payload={}, source="webhook")
    broken = WebhookEvent.objects.create(event_id="evt_2", type="invoice.paid", payload={}, source="webhook")
    response = operator_client.post(
        "/operator/billing/webhookevent/",
        {"action": "process_now", "_selected_action": [ignored.pk, broken.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "ignored: Darkroom does not handle charge.dispute.created" in page
    assert "Invoice.paid evt_2: &#x27;data&#x27;" in page  # its error, as an error message
    broken.refresh_from_db()
    assert (broken.processed_at, broken.attempts) == (None, 1)
    assert Order.objects.count() == 0
