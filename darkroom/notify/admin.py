from __future__ import annotations

from django.contrib import admin

from darkroom.notify.models import OutboxSms


@admin.register(OutboxSms)
class OutboxSmsAdmin(admin.ModelAdmin[OutboxSms]):
    """Operators read what the outbox back-end "sent"; nobody writes it by hand."""

    list_display = ("to", "body", "created_at", "expires_at")
    search_fields = ("to",)
    readonly_fields = ("public_id", "to", "body", "code_digest", "expires_at", "created_at", "updated_at")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
