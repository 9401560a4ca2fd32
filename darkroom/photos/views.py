"""Photo pages: gallery, upload, photo page, file access, delete."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from darkroom.accounts.models import User
from darkroom.photos import storage
from darkroom.photos.actions import do_delete_photo, do_upload_photo
from darkroom.photos.models import Photo
from darkroom.photos.validation import UploadRefused

PAGE_SIZE = 48


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def owned_photo(request: HttpRequest, public_id: UUID) -> Photo:
    """The photo if it belongs to the signed-in user; 404 otherwise (never 403, to leak nothing)."""
    return get_object_or_404(Photo, public_id=public_id, owner=_user(request))


def signed_url_for(photo: Photo, variant: str, *, download: bool = False) -> str:
    """A short-lived URL to one of ``photo``'s files; call only after an owner check."""
    if variant == "thumb":
        key, content_type = photo.thumb_key, "image/webp"
    else:
        key, content_type = photo.file_key, photo.content_type
    name = f"{photo.kind}-{str(photo.public_id)[:8]}.{photo.extension}" if download else None
    return storage.issue_signed_url(
        storage.SignedTarget(key=key, user_id=photo.owner_id, content_type=content_type, download_name=name)
    )


@login_required
@require_GET
def gallery(request: HttpRequest) -> HttpResponse:
    photos = Photo.objects.filter(owner=_user(request))
    shown = request.GET.get("show", "all")
    if shown in Photo.Kind.values:
        photos = photos.filter(kind=shown)
    after = request.GET.get("after")
    if after:
        try:
            anchor = Photo.objects.filter(owner=_user(request), public_id=UUID(after)).first()
        except ValueError:
            anchor = None
        if anchor is not None:
            # Keyset pagination: as fast on page 1,000 as on page 1.
            photos = photos.filter(
                Q(created_at__lt=anchor.created_at) | Q(created_at=anchor.created_at, id__lt=anchor.id)
            )
    page = list(photos[: PAGE_SIZE + 1])
    has_more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    return render(
        request,
        "photos/gallery.html",
        {"photos": page, "next_after": page[-1].public_id if has_more else None, "shown": shown},
    )


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    limits = settings.PROFILE.photos
    context: dict[str, object] = {"max_mb": limits.max_upload_mb, "max_mp": limits.max_megapixels}
    if request.method != "POST":
        return render(request, "photos/upload.html", context)
    files = request.FILES.getlist("photo")
    if not files:
        context["refusals"] = [("", "Choose a photo to upload.")]
        return render(request, "photos/upload.html", context, status=400)
    stored: list[Photo] = []
    refusals: list[tuple[str, str]] = []
    status = 200
    for uploaded in files:
        try:
            stored.append(do_upload_photo(_user(request), uploaded, uploaded.size or 0))
        except UploadRefused as refusal:
            refusals.append((uploaded.name or "photo", refusal.reason))
            status = refusal.status
    if stored and not refusals:
        messages.success(request, f"Uploaded {len(stored)} photo{'s' if len(stored) > 1 else ''}.")
        return (
            redirect("photos:detail", public_id=stored[0].public_id) if len(stored) == 1 else redirect("photos:gallery")
        )
    context.update({"refusals": refusals, "stored": stored})
    return render(request, "photos/upload.html", context, status=200 if stored else status)


@login_required
@require_GET
def detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    photo = owned_photo(request, public_id)
    produced_by = getattr(photo, "produced_by", None)
    jobs = photo.jobs_as_input.select_related("result").all()[:20]
    return render(
        request,
        "photos/detail.html",
        {
            "photo": photo,
            "produced_by": produced_by,
            "original": produced_by.input if produced_by else None,
            "jobs": jobs,
            "can_enhance": settings.PROFILE.features.enhance and photo.kind == Photo.Kind.UPLOAD,
        },
    )


@login_required
@require_GET
def file(request: HttpRequest, public_id: UUID, variant: str) -> HttpResponse:
    if variant not in ("original", "thumb"):
        raise Http404
    photo = owned_photo(request, public_id)
    response = HttpResponseRedirect(signed_url_for(photo, variant, download=request.GET.get("download") == "1"))
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def signed(request: HttpRequest, token: str) -> HttpResponseBase:
    """Serve a private file from the local back-end after checking signature, expiry and owner."""
    try:
        target = storage.read_signed_token(token, request.user.pk if request.user.is_authenticated else None)
    except storage.SignedUrlExpired:
        return HttpResponse("This link has expired. Reload the page to get a new one.", status=410)
    except storage.SignedUrlInvalid:
        raise Http404 from None
    try:
        handle = storage.private_storage().open(target.key, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        content_type=target.content_type,
        as_attachment=target.download_name is not None,
        filename=target.download_name or "",
    )
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def delete(request: HttpRequest, public_id: UUID) -> HttpResponse:
    photo = owned_photo(request, public_id)
    do_delete_photo(photo)
    messages.success(request, "The photo and all its files were deleted.")
    return redirect("photos:gallery")
