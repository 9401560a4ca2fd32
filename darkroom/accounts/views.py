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
from django.views.decorators.http import require_POST

from darkroom.accounts.actions import do_issue_api_token, do_revoke_api_token, do_update_name
from darkroom.accounts.models import User
from darkroom.privacy.usage import do_set_usage_opt_out


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
        "usage_logs_days": settings.PROFILE.privacy.retention.usage_logs_days,
    }
    return render(request, "accounts/account.html", context)


@login_required
@require_POST
def usage(request: HttpRequest) -> HttpResponse:
    """Turn the recording of usage events off or on again (selfie-studio §5 "Opt out")."""
    assert isinstance(request.user, User)
    choice = request.POST.get("usage")
    if choice not in ("on", "off"):  # a form that says neither changes nothing, least of all to "on"
        return redirect("accounts:account")
    deleted = do_set_usage_opt_out(request.user, choice == "off")
    if choice == "off":
        held = f" The {deleted} note{'s' if deleted != 1 else ''} we held {'is' if deleted == 1 else 'are'} deleted."
        messages.success(request, f"We no longer record which features you use.{held if deleted else ''}")
    else:
        messages.success(request, "We record which features you use again, to fix bugs and improve the service.")
    return redirect("accounts:account")


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
