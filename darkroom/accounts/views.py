"""Account pages of Darkroom's own (allauth serves sign-up, sign-in, sign-out and the rest)."""

from __future__ import annotations

from allauth.account import app_settings as account_settings
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from darkroom.accounts.actions import do_issue_api_token, do_revoke_api_token, do_update_name
from darkroom.accounts.models import User


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """Name, the ways in (email, phone, password, Google), sessions and the second factor."""
    assert isinstance(request.user, User)
    user = request.user
    if request.method == "POST":
        do_update_name(user, request.POST.get("name", ""))
        messages.success(request, "Your name was saved.")
        return redirect("accounts:account")
    methods = settings.PROFILE.accounts.login_methods
    context = {
        "offers_email": "email" in methods,
        "offers_phone": "phone" in methods,
        "offers_google": "google" in methods and bool(settings.SOCIALACCOUNT_PROVIDERS["google"]["APPS"]),
        "google_accounts": SocialAccount.objects.filter(user=user, provider="google"),
        "session_count": UserSession.objects.filter(user=user).count(),
        "has_totp": Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists(),
        "has_password": user.has_usable_password(),
        "code_minutes": account_settings.PHONE_VERIFICATION_TIMEOUT // 60,
    }
    return render(request, "accounts/account.html", context)


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    new_token = None
    if request.method == "POST":
        if "revoke" in request.POST:
            if do_revoke_api_token(request.user, request.POST["revoke"]):
                messages.success(request, "The token was revoked.")
            return redirect("accounts:tokens")
        name = request.POST.get("name", "").strip()[:80] or "API token"
        _, new_token = do_issue_api_token(request.user, name)
    return render(request, "accounts/tokens.html", {"tokens": request.user.api_tokens.all(), "new_token": new_token})
