"""Operator pages for billing: wallets with manual adjustments, the ledger, orders, events, flags.

Everything is read-only except two things, both of which *add* rows: an
adjustment (a new ledger entry with a reason and the operator's name) and
resolving a flag.
"""

from __future__ import annotations

import uuid
from typing import TypeVar

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from darkroom.accounts.models import User
from darkroom.billing import actions, ledger, webhooks
from darkroom.billing.models import AccountFlag, LedgerEntry, Order, Subscription, Wallet, WebhookEvent


def operator_name(request: HttpRequest) -> str:
    user = request.user
    assert isinstance(user, User)
    return user.name or user.email or f"operator #{user.pk}"


M = TypeVar("M", bound=Model)


class ReadOnlyAdmin(admin.ModelAdmin[M]):
    """Rows that only the service writes: operators look, never edit."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False


class AdjustmentForm(forms.Form):
    amount = forms.IntegerField(help_text="Credits: positive adds, negative takes away (never below zero).")
    reason = forms.CharField(max_length=300, help_text="Shown to the person on their statement.")
    nonce = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean_amount(self) -> int:
        amount: int = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError("An adjustment must move at least one credit.")
        return amount


class FlagInline(admin.TabularInline[AccountFlag, Wallet]):
    model = AccountFlag
    fields = ("created_at", "reason", "credits_short", "order", "resolved_at", "resolved_by")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Wallet | None = None) -> bool:
        return False


@admin.register(Wallet)
class WalletAdmin(ReadOnlyAdmin[Wallet]):
    list_display = ("public_id", "user", "balance", "open_flags", "created_at")
    search_fields = ("user__email", "=public_id", "=gateway_customer_id")
    fields = ("public_id", "user", "balance", "adjust", "gateway_customer_id", "pseudonymised_at", "created_at")
    readonly_fields = fields
    inlines = (FlagInline,)

    @admin.display(description="balance")
    def balance(self, wallet: Wallet) -> int:
        return ledger.wallet_balance(wallet.pk)

    @admin.display(description="open flags")
    def open_flags(self, wallet: Wallet) -> int:
        return wallet.flags.filter(resolved_at__isnull=True).count()

    @admin.display(description="adjustment")
    def adjust(self, wallet: Wallet) -> SafeString:
        url = reverse("admin:billing_wallet_adjust", args=[wallet.pk])
        return format_html('<a class="button" href="{}">Adjust credits…</a>', url)

    def get_urls(self) -> list[URLPattern]:
        adjust = path(
            "<int:wallet_id>/adjust/", self.admin_site.admin_view(self.adjust_view), name="billing_wallet_adjust"
        )
        return [adjust, *super().get_urls()]

    def adjust_view(self, request: HttpRequest, wallet_id: int) -> HttpResponse:
        """Post a manual adjustment: a new ledger entry with the reason and the operator's name."""
        if not request.user.has_perm("billing.add_ledgerentry"):
            raise PermissionDenied
        wallet = get_object_or_404(Wallet, pk=wallet_id)
        form = AdjustmentForm(request.POST or None, initial={"nonce": uuid.uuid4().hex})
        if request.method == "POST" and form.is_valid():
            try:
                entry = actions.do_adjust(
                    wallet,
                    form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    operator=operator_name(request),
                    nonce=form.cleaned_data["nonce"],
                )
            except ledger.LedgerError as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, f"Posted {entry.amount:+d} credits: {entry.description}")
                return HttpResponseRedirect(reverse("admin:billing_wallet_change", args=[wallet.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "wallet": wallet,
            "balance": ledger.wallet_balance(wallet.pk),
            "form": form,
            "title": f"Adjust credits: {wallet}",
        }
        return TemplateResponse(request, "admin/billing/wallet/adjust.html", context)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin[LedgerEntry]):
    list_display = ("created_at", "wallet", "kind", "amount", "description", "idempotency_key", "operator")
    list_filter = ("kind",)
    search_fields = ("=idempotency_key", "reference", "wallet__user__email", "operator")
    date_hierarchy = "created_at"


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin[Order]):
    list_display = ("created_at", "public_id", "user", "description", "amount", "currency", "status", "gateway")
    list_filter = ("status", "kind", "gateway")
    search_fields = ("=public_id", "user__email", "email", "=gateway_session_id", "=gateway_payment_id")
    date_hierarchy = "created_at"


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin[Subscription]):
    list_display = ("gateway_subscription_id", "wallet", "status", "current_period_end", "cancel_at_period_end")
    list_filter = ("status", "gateway")
    search_fields = ("=gateway_subscription_id", "=gateway_customer_id", "wallet__user__email")


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin[WebhookEvent]):
    list_display = ("created_at", "type", "event_id", "source", "processed_at", "attempts", "outcome")
    list_filter = ("type", "source")
    search_fields = ("=event_id",)
    actions = ("process_now",)

    @admin.action(description="Process the selected events now (if not processed yet)")
    def process_now(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> None:
        for event in queryset.filter(processed_at__isnull=True):
            try:
                outcome = webhooks.process_event(event.pk)
            except Exception as exc:
                self.message_user(request, f"{event}: {exc}", messages.ERROR)
            else:
                self.message_user(request, f"{event}: {outcome}")


@admin.register(AccountFlag)
class AccountFlagAdmin(ReadOnlyAdmin[AccountFlag]):
    list_display = ("created_at", "wallet", "reason", "credits_short", "resolved_at", "resolved_by")
    list_filter = (("resolved_at", admin.EmptyFieldListFilter),)
    actions = ("resolve",)

    @admin.action(description="Mark the selected flags as resolved")
    def resolve(self, request: HttpRequest, queryset: QuerySet[AccountFlag]) -> None:
        resolved = sum(actions.do_resolve_flag(flag, operator_name(request)) for flag in queryset)
        self.message_user(request, f"{resolved} flag(s) resolved.")
