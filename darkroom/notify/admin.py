"""Operators read what went out and lift a suppression; nobody writes a message by hand."""

from __future__ import annotations

from django.contrib import admin

from darkroom.notify.models import Delivery, Notification, OutboxEmail, OutboxSms, Suppression


class _ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(OutboxSms)
class OutboxSmsAdmin(_ReadOnly):
    """Operators read what the outbox back-end "sent"."""

    list_display = ("to", "body", "created_at", "expires_at")
    search_fields = ("to",)
    readonly_fields = ("public_id", "to", "body", "code_digest", "expires_at", "created_at", "updated_at")


@admin.register(OutboxEmail)
class OutboxEmailAdmin(_ReadOnly):
    """The mails the outbox back-end kept instead of sending (the default, with no mail service)."""

    list_display = ("subject", "to", "created_at", "expires_at")
    search_fields = ("to", "subject")
    readonly_fields = (
        "public_id",
        "from_email",
        "to",
        "subject",
        "body_text",
        "body_html",
        "expires_at",
        "created_at",
        "updated_at",
    )


class DeliveryInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Delivery
    extra = 0
    can_delete = False
    fields = ("channel", "to", "status", "attempts", "error", "sent_at", "provider_message_id")
    readonly_fields = fields

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(_ReadOnly):
    """What each person was told, and how each email or SMS of it went (bodies are gone once sent)."""

    list_display = ("kind", "user", "created_at", "read_at", "shown")
    list_filter = ("kind", "category")
    search_fields = ("user__email", "user__phone", "key")
    readonly_fields = ("public_id", "user", "kind", "category", "key", "title", "summary", "link", "shown", "read_at")
    inlines = (DeliveryInline,)


@admin.register(Delivery)
class DeliveryAdmin(_ReadOnly):
    list_display = ("channel", "to", "status", "attempts", "created_at", "sent_at")
    list_filter = ("channel", "status")
    search_fields = ("to", "provider_message_id")
    readonly_fields = (
        "public_id",
        "notification",
        "channel",
        "to",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "provider_message_id",
        "error",
        "sent_at",
        "created_at",
    )
    exclude = ("body_text", "body_html", "params")


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Addresses no mail goes to. Delete a row to lift it, once the person fixed their mailbox."""

    list_display = ("address", "reason", "detail", "created_at")
    list_filter = ("reason",)
    search_fields = ("address",)
    readonly_fields = ("address", "user", "reason", "detail", "created_at", "updated_at")

    def has_add_permission(self, request: object) -> bool:
        return False
