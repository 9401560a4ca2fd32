"""The one place where Darkroom customises allauth's behaviour."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from darkroom.profile import active as active_profile


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]  # allauth ships no types
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return "email" in active_profile().accounts.login_methods
