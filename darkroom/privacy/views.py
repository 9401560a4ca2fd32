"""Privacy pages: the privacy centre, and the export of a person's data."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from darkroom.accounts.models import User
from darkroom.privacy import export as exports
from darkroom.privacy.models import Export

# htmx stops polling when the server answers 286.
HTMX_STOP_POLLING = 286
EXPIRED = "This download link has expired and the archive was deleted. Ask for a new export."
FAILED = "This export failed, so there is nothing to download. Ask for a new export."


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _owned(request: HttpRequest, public_id: UUID) -> Export:
    """The export if it is the signed-in person's; 404 otherwise (never 403, to leak nothing)."""
    return get_object_or_404(Export, public_id=public_id, owner=_user(request))


def _context(export: Export | None) -> dict[str, object]:
    return {
        "export": export,
        "downloadable": export is not None and exports.is_downloadable(export),
        "link_days": exports.link_days(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def export_page(request: HttpRequest) -> HttpResponse:
    """The "Export your data" page; POST asks for an export (or shows the one already being made)."""
    if request.method == "POST":
        _, created = exports.do_request_export(_user(request))
        if not created:
            messages.info(request, "Your export is already being made: one at a time. Here it is.")
        return redirect("privacy:export")
    latest = Export.objects.filter(owner=_user(request)).first()
    return render(request, "privacy/export.html", _context(latest))


@login_required
@require_GET
def export_status(request: HttpRequest, public_id: UUID) -> HttpResponse:
    export = _owned(request, public_id)
    response = render(request, "privacy/_export_status.html", _context(export))
    if not export.is_active:
        response.status_code = HTMX_STOP_POLLING
    return response


@login_required
@require_GET
def export_download(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Redirect to a short-lived signed URL of the archive, while the export's link is valid."""
    export = _owned(request, public_id)
    if not exports.is_downloadable(export):
        if export.is_active:
            return HttpResponse("This export is not ready yet.", status=409, content_type="text/plain")
        if export.state == Export.State.FAILED:
            return HttpResponse(FAILED, status=410, content_type="text/plain")
        return HttpResponse(EXPIRED, status=410, content_type="text/plain")
    response = HttpResponseRedirect(exports.download_url(export))
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def centre(request: HttpRequest) -> HttpResponse:
    """What we hold about you, where it went, when it goes; and the buttons to act on it."""
    from darkroom.privacy.centre import centre_of

    user = _user(request)
    return render(request, "privacy/centre.html", {"centre": centre_of(user), "confirm_word": DELETE_PHOTOS_WORD})


DELETE_PHOTOS_WORD = "delete"


@login_required
@require_POST
def delete_all_photos(request: HttpRequest) -> HttpResponse:
    """Every photo and result of the person, with every stored copy, after a typed confirmation."""
    from darkroom.photos.actions import do_delete_photos
    from darkroom.photos.models import Photo

    user = _user(request)
    if request.POST.get("confirm", "").strip().lower() != DELETE_PHOTOS_WORD:
        messages.error(request, f'Type "{DELETE_PHOTOS_WORD}" to delete all your photos. Nothing was deleted.')
        return redirect("privacy:centre")
    deleted = do_delete_photos(Photo.objects.filter(owner=user))
    messages.success(
        request,
        f"Deleted {deleted} photo{'s' if deleted != 1 else ''} and result{'s' if deleted != 1 else ''}, "
        "with every stored copy.",
    )
    return redirect("privacy:centre")
