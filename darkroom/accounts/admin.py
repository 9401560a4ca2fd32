from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from darkroom.accounts.models import ApiToken, User
from darkroom.privacy.admin import delete_on_request, delete_under_age, stop_deletion


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    ordering = ("email",)
    list_display = ("email", "name", "is_staff", "is_active", "deletion_requested_at", "created_at")
    list_filter = ("is_staff", "is_active", ("deletion_requested_at", admin.EmptyFieldListFilter))
    search_fields = ("email", "name", "phone")
    # Account deletion goes through privacy.erasure (stored files, orders pseudonymised, the receipt);
    # Django's own delete would leave the files and the orders' email behind, so it is not offered.
    actions = (delete_under_age, delete_on_request, stop_deletion)
    readonly_fields = (
        "public_id",
        "age_confirmed_at",
        "minimum_age_confirmed",
        "policy_version_accepted",
        "deletion_requested_at",
        "last_login",
    )
    fieldsets = (
        (None, {"fields": ("email", "password", "name", "public_id")}),
        ("Sign-up", {"fields": ("age_confirmed_at", "minimum_age_confirmed", "policy_version_accepted")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined", "deletion_requested_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ("name", "prefix", "user", "created_at", "last_used_at")
    readonly_fields = ("prefix", "digest", "public_id")
