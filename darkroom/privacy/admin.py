"""Operators: account deletions, from the list of people (under-age reports, requests by email) and as records.

selfie-studio §5 "Contact us by email to close your account and delete all
associated data"; §6 "If you believe a minor has used the Service, please
contact us to delete it immediately". The actions go through the same
``privacy.erasure`` code as the person's own button; each asks to confirm.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from darkroom.accounts.models import User
from darkroom.privacy.erasure import do_cancel_deletion, do_request_deletion
from darkroom.privacy.models import Erasure

Reason = Erasure.Reason


def _confirmed(request: HttpRequest) -> bool:
    return request.POST.get("confirmed") == "yes"


def _ask(request: HttpRequest, queryset: QuerySet[User], action: str, title: str, what: str) -> TemplateResponse:
    context = {"title": title, "what": what, "accounts": list(queryset), "action": action, "opts": User._meta}
    return TemplateResponse(request, "privacy/admin_confirm.html", context)


def _delete(modeladmin: Any, request: HttpRequest, queryset: QuerySet[User], *, reason: str, now: bool) -> int:
    for user in queryset:
        do_request_deletion(user, source=Erasure.Source.OPERATOR, reason=reason, immediately=now)
    return queryset.count()


@admin.action(description="Delete account (under-age report): everything goes now", permissions=["change"])
def delete_under_age(modeladmin: Any, request: HttpRequest, queryset: QuerySet[User]) -> TemplateResponse | None:
    if not _confirmed(request):
        what = (
            "Each account is closed and everything that belongs to it is deleted now, without the usual "
            "period; order records stay, pseudonymised, for tax law. This cannot be undone."
        )
        return _ask(request, queryset, "delete_under_age", "Delete accounts now (under-age report)", what)
    count = _delete(modeladmin, request, queryset, reason=Reason.UNDER_AGE, now=True)
    modeladmin.message_user(request, f"{count} account(s) closed; their data is being deleted now.", messages.SUCCESS)
    return None


@admin.action(description="Delete account (the person asked by email)", permissions=["change"])
def delete_on_request(modeladmin: Any, request: HttpRequest, queryset: QuerySet[User]) -> TemplateResponse | None:
    if not _confirmed(request):
        what = (
            "Each account is closed now and its data deleted when the profile's deletion period ends, as if "
            "the person had pressed the button; they get the same emails."
        )
        return _ask(request, queryset, "delete_on_request", "Delete accounts (the person asked)", what)
    count = _delete(modeladmin, request, queryset, reason=Reason.REQUEST, now=False)
    modeladmin.message_user(request, f"{count} account(s) closed; deletion scheduled.", messages.SUCCESS)
    return None


@admin.action(description="Stop a pending deletion (the person asked in time)", permissions=["change"])
def stop_deletion(modeladmin: Any, request: HttpRequest, queryset: QuerySet[User]) -> None:
    stopped = sum(do_cancel_deletion(user) for user in queryset)
    if stopped:
        modeladmin.message_user(request, f"{stopped} deletion(s) stopped; sign-in works again.", messages.SUCCESS)
    else:
        modeladmin.message_user(request, "No deletion waiting to be stopped (done, or under way).", messages.WARNING)


@admin.register(Erasure)
class ErasureAdmin(admin.ModelAdmin[Erasure]):
    """Read-only: the record of each deletion, with its counts; nothing here names the person once it is done."""

    list_display = ("public_id", "state", "reason", "source", "requested_at", "deadline", "completed_at")
    list_filter = ("state", "reason", "source")
    readonly_fields = [field.name for field in Erasure._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Erasure | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Erasure | None = None) -> bool:
        return False
