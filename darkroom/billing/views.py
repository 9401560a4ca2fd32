"""Billing pages: balance and statement, buying credits, Pro, orders and receipts, the test gateway."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from darkroom.accounts.models import User
from darkroom.billing import actions, gateways, ledger, plans
from darkroom.billing.actions import CheckoutRefused
from darkroom.billing.gateways import test as test_gateway
from darkroom.billing.models import Order, Subscription
from darkroom.privacy.usage import record_usage

STATEMENT_PAGE = 50
ORDERS_PAGE = 50


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _owned_order(request: HttpRequest, public_id: UUID | str) -> Order:
    """The order if it is the signed-in person's; 404 otherwise (never 403, to leak nothing)."""
    try:
        key = UUID(str(public_id))
    except ValueError:
        key = None
    return get_object_or_404(Order, public_id=key, user=_user(request))


def _refused(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "billing/refused.html", {"message": message}, status=status)


def _overview(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    user = _user(request)
    tier = plans.tier_of(user)
    offered = {name for name, on in settings.PROFILE.features.model_dump().items() if on}
    prices = {
        kind.replace("_", " ").capitalize(): cost
        for kind, cost in plans.billing().job_credits[tier].items()
        if kind in offered
    }
    context: dict[str, Any] = {
        "balance": ledger.balance(user),
        "packs": plans.packs(),
        "pro": plans.pro_plan(),
        "tier": tier,
        "subscription": Subscription.objects.filter(wallet__user=user).order_by("-updated_at", "-id").first(),
        "job_prices": sorted(prices.items()),
        "statement": Paginator(ledger.statement(user), STATEMENT_PAGE).get_page(request.GET.get("page")),
        "orders": Order.objects.filter(user=user)[:5],
        "test_mode": not gateways.stripe_configured(),
        "error": error,
    }
    return render(request, "billing/overview.html", context, status=status)


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    return _overview(request)


def _return_urls(request: HttpRequest) -> dict[str, str]:
    return {
        "success_url": request.build_absolute_uri(reverse("billing:success")),
        "cancel_url": request.build_absolute_uri(reverse("billing:cancel")),
    }


@login_required
@require_POST
def buy(request: HttpRequest, code: str) -> HttpResponse:
    try:
        url = actions.do_start_pack_checkout(_user(request), code, **_return_urls(request))
    except CheckoutRefused as refusal:
        return _overview(request, error=str(refusal), status=refusal.status)
    record_usage(request, "purchase:pack")
    return HttpResponseRedirect(url)


@login_required
@require_POST
def subscribe(request: HttpRequest) -> HttpResponse:
    try:
        url = actions.do_start_pro_checkout(_user(request), **_return_urls(request))
    except CheckoutRefused as refusal:
        return _overview(request, error=str(refusal), status=refusal.status)
    record_usage(request, "purchase:pro")
    return HttpResponseRedirect(url)


@login_required
@require_POST
def portal(request: HttpRequest) -> HttpResponse:
    try:
        url = actions.do_open_portal(_user(request), request.build_absolute_uri(reverse("billing:overview")))
    except CheckoutRefused as refusal:
        return _overview(request, error=str(refusal), status=refusal.status)
    return HttpResponseRedirect(url)


@login_required
@require_GET
def success(request: HttpRequest) -> HttpResponse:
    """Back from checkout. The webhook may not have arrived yet, so the order is refreshed from the gateway."""
    order = None
    if "order" in request.GET:
        order = actions.do_refresh_order(_owned_order(request, request.GET["order"]))
    return render(
        request,
        "billing/success.html",
        {"order": order, "balance": ledger.balance(_user(request)), "tier": plans.tier_of(_user(request))},
    )


@login_required
@require_GET
def cancel(request: HttpRequest) -> HttpResponse:
    order = None
    if "order" in request.GET:
        order = _owned_order(request, request.GET["order"])
        actions.do_cancel_order(order)
        order.refresh_from_db()
    return render(request, "billing/cancel.html", {"order": order})


@login_required
@require_GET
def orders(request: HttpRequest) -> HttpResponse:
    page = Paginator(Order.objects.filter(user=_user(request)), ORDERS_PAGE).get_page(request.GET.get("page"))
    return render(request, "billing/orders.html", {"orders": page})


@login_required
@require_GET
def receipt(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return render(request, "billing/receipt.html", {"order": _owned_order(request, public_id)})


# --- the test gateway's pages ---------------------------------------------
_TEST_OFF = "The test checkout is turned off: this server takes real payments through Stripe."


@login_required
@require_http_methods(["GET", "POST"])
def test_checkout(request: HttpRequest, token: str) -> HttpResponse:
    """The test gateway's checkout page; paying completes the order through the Stripe webhook's actions."""
    if gateways.stripe_configured():
        return _refused(request, _TEST_OFF, 403)
    try:
        session_id, checkout = test_gateway.read_checkout(token, _user(request))
    except test_gateway.InvalidCheckout as invalid:
        return _refused(request, str(invalid), 404)
    context: dict[str, Any] = {"checkout": checkout}
    if request.method == "POST":
        try:
            test_gateway.pay(_user(request), session_id, checkout)
        except CheckoutRefused as refusal:
            context["error"] = str(refusal)
            return render(request, "billing/test_checkout.html", context, status=refusal.status)
        return HttpResponseRedirect(checkout.success_url)
    return render(request, "billing/test_checkout.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def test_portal(request: HttpRequest) -> HttpResponse:
    """The test gateway's stand-in for Stripe's customer portal."""
    if gateways.stripe_configured():
        return _refused(request, _TEST_OFF, 403)
    subscription = (
        Subscription.objects.filter(wallet__user=_user(request), gateway=test_gateway.NAME)
        .order_by("-updated_at", "-id")
        .first()
    )
    if subscription is None:
        return _refused(request, "You have no test-mode subscription to manage.", 404)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            test_gateway.manage(subscription, action)
        except ValueError:
            return _refused(request, "Choose cancel, resume or cancel now.", 400)
        messages.success(request, "Your subscription was updated (test mode).")
        return redirect("billing:overview")
    return render(request, "billing/test_portal.html", {"subscription": subscription})
