"""Site pages that belong to no single app, and the health check."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

log = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("photos:gallery")
    return render(request, "web/home.html")


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "web/privacy.html", {"retention": settings.PROFILE.privacy.retention})


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
