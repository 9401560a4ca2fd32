from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from darkroom.accounts.models import ApiToken, User


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    ordering = ("email",)
    list_display = ("email", "name", "is_staff", "is_active", "created_at")
    search_fields = ("email", "name")
    readonly_fields = (
        "public_id",
        "age_confirmed_at",
        "minimum_age_confirmed",
        "policy_version_accepted",
        "last_login",
    )
    fieldsets = (
        (None, {"fields": ("email", "password", "name", "public_id")}),
        ("Sign-up", {"fields": ("age_confirmed_at", "minimum_age_confirmed", "policy_version_accepted")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ("name", "prefix", "user", "created_at", "last_used_at")
    readonly_fields = ("prefix", "digest", "public_id")
