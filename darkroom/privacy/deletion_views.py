"""Account deletion pages: what happens and when, a fresh sign-in, a typed confirmation; then the receipt.

Re-authentication first (docs/accounts.md): an account with a password or a
second factor goes through allauth's own reauthentication (its password or
code form, ``ACCOUNT_REAUTHENTICATION_TIMEOUT``). allauth offers nothing to an
account without either (phone + SMS code, Google only): it treats them as
recently authenticated. For those, Darkroom asks for a sign-in of the last
few minutes instead (allauth's record of this session's authentications),
and otherwise signs the person out and back in: a new SMS code, or Google.
"""

from __future__ import annotations

import datetime
import time
from uuid import UUID

from allauth.account import app_settings as account_settings
from allauth.account.authentication import get_authentication_records
from allauth.account.decorators import reauthentication_required
from allauth.mfa.utils import is_mfa_enabled
from allauth.usersessions.models import UserSession
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from darkroom.accounts.models import ApiToken, User
from darkroom.billing.models import Subscription
from darkroom.billing.records import ENDED_SUBSCRIPTIONS
from darkroom.privacy import erasure
from darkroom.privacy.models import Erasure, Export
from darkroom.privacy.receipt import Elsewhere, Receipt, kept_of, lines_of, receipt_of
from darkroom.studio.models import Job

WRONG_WORDS = f'Type "{erasure.CONFIRMATION}" exactly, to show that you mean it. Nothing was deleted.'


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _allauth_can_reauthenticate(request: HttpRequest) -> bool:
    """allauth reauthenticates with a password or a second factor; anything else gets Darkroom's fresh sign-in."""
    user = _user(request)
    return user.has_usable_password() or bool(is_mfa_enabled(user))


def _signed_in_recently(request: HttpRequest) -> bool:
    records = get_authentication_records(request, request.user)
    timeout = account_settings.REAUTHENTICATION_TIMEOUT
    return bool(records) and time.time() - float(records[-1]["at"]) < timeout


def _preview(user: User) -> Receipt:
    """The receipt as it would be if the person confirmed now."""
    plan = erasure.plan(user)
    now = timezone.now()
    return Receipt(
        reference="",
        service="",
        state=Erasure.State.SCHEDULED,
        requested_at=now,
        deadline=now + datetime.timedelta(days=erasure.deletion_days()),
        completed_at=None,
        deleted=lines_of(plan["deleted"]),
        kept=kept_of(plan["kept"]),
        elsewhere=tuple(Elsewhere(row["name"], row["their_retention"]) for row in plan["elsewhere"]),
    )


def _export_url() -> str:
    try:
        return reverse("privacy:export")
    except NoReverseMatch:
        return ""


def _page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    user = _user(request)
    live = Subscription.objects.filter(wallet__user=user).exclude(status__in=ENDED_SUBSCRIPTIONS)
    context = {
        "preview": _preview(user),
        "days": erasure.deletion_days(),
        "devices": UserSession.objects.filter(user=user).count(),
        "subscriptions": live.count(),
        "jobs": Job.objects.filter(owner=user).exclude(state__in=Job.FINAL_STATES).count(),
        "exports": Export.objects.filter(owner=user).count(),
        "tokens": ApiToken.objects.filter(user=user).count(),
        "export_url": _export_url(),
        "confirmation": erasure.CONFIRMATION,
        "error": error,
    }
    return render(request, "privacy/delete_account.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@reauthentication_required(enabled=_allauth_can_reauthenticate)  # type: ignore[untyped-decorator]
def delete_account(request: HttpRequest) -> HttpResponse:
    """The confirmation page; POST with the typed words deletes the account and signs the person out."""
    if not _allauth_can_reauthenticate(request) and not _signed_in_recently(request):
        minutes = account_settings.REAUTHENTICATION_TIMEOUT // 60
        return render(request, "privacy/sign_in_again.html", {"minutes": minutes})
    if request.method == "POST":
        if request.POST.get("confirm", "").strip().lower() != erasure.CONFIRMATION:
            return _page(request, error=WRONG_WORDS, status=400)
        done = erasure.do_request_deletion(_user(request))
        logout(request)  # its session row is gone already; this clears the cookie's
        return redirect("privacy:deletion_receipt", public_id=done.public_id)
    return _page(request)


@login_required
@require_POST
def sign_in_again(request: HttpRequest) -> HttpResponse:
    """Sign out, then sign in again (a new code, or Google) and come back to the deletion page."""
    logout(request)
    return redirect(f"{reverse('account_login')}?next={reverse('privacy:delete_account')}")


@never_cache
@require_GET
def deletion_receipt(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The receipt: scheduled (what will go, and when) or completed (what went; what is kept, until when).

    No sign-in: the person can no longer sign in. The page names no one: its
    random id is the reference the person was given, and it shows counts.
    """
    found = get_object_or_404(Erasure, public_id=public_id)
    return render(request, "privacy/deletion_receipt.html", {"receipt": receipt_of(found), "erasure": found})
