"""Site pages that belong to no single app, and the health check."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from darkroom.accounts.models import User
from darkroom.privacy import policy
from darkroom.privacy.models import PolicyAcceptance
from darkroom.privacy.policy_versions import changes_for, do_accept_policy, do_record_policy_version, needs_acceptance

log = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("photos:gallery")
    return render(request, "web/home.html")


def privacy(request: HttpRequest) -> HttpResponse:
    """The privacy policy: the current facts (privacy.policy), under the version they make."""
    facts, _digest = policy.current()
    version = do_record_policy_version()
    context: dict[str, Any] = {
        "facts": facts,
        "version": version,
        "collected": [(item, [facts.period(key) for key in item.kept]) for item in facts.collected],
        "only_essential_cookies": all(item.essential for item in facts.browser if item.kind == "cookie"),
        "policy_page": True,
    }
    if isinstance(request.user, User) and needs_acceptance(request.user):
        context.update(must_accept=True, changes=changes_for(request.user, version))
    return render(request, "web/privacy.html", context)


@login_required
@require_POST
def accept_policy(request: HttpRequest) -> HttpResponse:
    """Record the signed-in person's consent to the version they were shown (the notice's Accept)."""
    assert isinstance(request.user, User)
    version = do_record_policy_version()
    if request.POST.get("version") != version.digest:
        messages.info(request, "The privacy policy changed again while you were reading it. Here is the new version.")
        return redirect("web:privacy")
    do_accept_policy(request.user, via=PolicyAcceptance.Via.NOTICE, version=version)
    messages.success(request, "Thank you: you accepted the privacy policy.")
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("web:home")


def _timed(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        detail = check()
    except Exception as exc:
        log.warning("health check %s failed: %s", check.__name__, exc)
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1), **(detail or {})}


def _database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def _storage() -> dict[str, Any]:
    from darkroom.photos.storage import private_storage

    storage = private_storage()
    storage.exists("healthz-probe")  # a metadata call: proves reachability and credentials
    return {"backend": storage.__class__.__name__}


def _queue() -> dict[str, Any]:
    from huey.contrib.djhuey import HUEY

    return {"backend": HUEY.__class__.__name__, "pending": HUEY.pending_count()}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    report = {"database": _timed(_database), "storage": _timed(_storage), "queue": _timed(_queue)}
    healthy = all(part["ok"] for part in report.values())
    return JsonResponse({"ok": healthy, **report}, status=200 if healthy else 503)
