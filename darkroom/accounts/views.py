"""Account pages of Darkroom's own (allauth serves sign-up, sign-in and sign-out)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from darkroom.accounts.actions import do_issue_api_token, do_revoke_api_token
from darkroom.accounts.models import User


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
