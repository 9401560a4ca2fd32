"""Photo pages: gallery, upload, photo page, file access, delete."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.http import require_GET, require_POST

from darkroom.accounts.models import User
from darkroom.photos import storage
from darkroom.photos.actions import AlreadyUploaded, do_delete_photo, do_delete_photos, do_upload_photo
from darkroom.photos.models import Photo
from darkroom.photos.retention import retention_note
from darkroom.photos.uploads import Refusal, refusals_of
from darkroom.photos.validation import ACCEPTED, UploadRefused
from darkroom.privacy.usage import record_usage

PAGE_SIZE = 60
VARIANTS = ("original", "preview", "thumb")


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
    elif variant == "preview" and photo.preview_key:
        key, content_type = photo.preview_key, "image/webp"
    else:
        key, content_type = photo.file_key, photo.content_type
    name = f"{photo.kind}-{str(photo.public_id)[:8]}.{photo.extension}" if download else None
    return storage.issue_signed_url(
        storage.SignedTarget(key=key, user_id=photo.owner_id, content_type=content_type, download_name=name)
    )


def gallery_page(photos: QuerySet[Photo], after: str | None) -> tuple[list[Photo], UUID | None]:
    """One page of ``photos`` after the photo ``after`` (keyset pagination on created_at, id).

    Keyset, not OFFSET. The plain ``created_at <= anchor`` term is redundant
    with the OR below but gives SQLite a range on photo_gallery_idx; without
    it the planner walked from the newest photo down to the anchor (11 ms on
    the last page of 100k photos against 0.2 ms on the first: bench/upload.py).
    """
    if after:
        try:
            anchor = photos.filter(public_id=UUID(after)).values("created_at", "id").first()
        except ValueError:
            anchor = None
        if anchor is not None:
            photos = photos.filter(created_at__lte=anchor["created_at"]).filter(
                Q(created_at__lt=anchor["created_at"]) | Q(created_at=anchor["created_at"], id__lt=anchor["id"])
            )
    page = list(photos.order_by("-created_at", "-id")[: PAGE_SIZE + 1])
    next_after = page[PAGE_SIZE - 1].public_id if len(page) > PAGE_SIZE else None
    return page[:PAGE_SIZE], next_after


@login_required
@require_GET
def gallery(request: HttpRequest) -> HttpResponse:
    photos = Photo.objects.filter(owner=_user(request)).select_related("produced_by")
    shown = request.GET.get("show", "all")
    job_kind = request.GET.get("job", "")
    if shown in Photo.Kind.values:
        photos = photos.filter(kind=shown)
    if job_kind:
        photos = photos.filter(produced_by__kind=job_kind)
    page, next_after = gallery_page(photos, request.GET.get("after"))
    from darkroom.studio.models import Job

    return render(
        request,
        "photos/gallery.html",
        {
            "photos": page,
            "next_after": next_after,
            "shown": shown,
            "job_kind": job_kind,
            "job_kinds": Job.Kind.choices,
        },
    )


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    """The upload page; without JavaScript its form posts here, with it each file goes to the API."""
    limits = settings.PROFILE.photos
    context: dict[str, object] = {"max_mb": limits.max_upload_mb, "max_mp": limits.max_megapixels, "accepted": ACCEPTED}
    if request.method != "POST":
        return render(request, "photos/upload.html", context)
    files = request.FILES.getlist("photo")  # parses the body: refusals are known after this
    refusals: list[Refusal] = list(refusals_of(request))
    stored: list[Photo] = []
    duplicates: list[Photo] = []
    for uploaded in files:
        try:
            stored.append(do_upload_photo(_user(request), uploaded, uploaded.size or 0))
            record_usage(request, "upload")
        except UploadRefused as refusal:
            refusals.append(Refusal(uploaded.name or "photo", refusal.reason, refusal.status))
        except AlreadyUploaded as already:
            duplicates.append(already.photo)
    if not (stored or refusals or duplicates):
        refusals.append(Refusal("", "Choose a photo to upload.", 400))
    if stored and not refusals and not duplicates:
        messages.success(request, f"Uploaded {len(stored)} photo{'s' if len(stored) > 1 else ''}.")
        if len(stored) == 1:
            return redirect("photos:detail", public_id=stored[0].public_id)
        return redirect("photos:gallery")
    context.update({"refusals": refusals, "stored": stored, "duplicates": duplicates})
    status = 200 if (stored or duplicates) else refusals[0].status
    return render(request, "photos/upload.html", context, status=status)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A body refused for its size never reached the CSRF check: say what really happened."""
    refusals = refusals_of(request)
    if refusals:
        return HttpResponse(f"{refusals[0].reason} Nothing was stored.", status=413, content_type="text/plain")
    return django_csrf_failure(request, reason=reason)


@login_required
@require_GET
def detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    from darkroom.studio.offer import offered_jobs

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
            "retention": retention_note(photo),
            "offered": offered_jobs(request.user, photo) if photo.kind == Photo.Kind.UPLOAD else [],
            "transfers": photo.transfers.all()[:50],
        },
    )


@login_required
@require_GET
def file(request: HttpRequest, public_id: UUID, variant: str) -> HttpResponse:
    if variant not in VARIANTS:
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
    wanted = _byte_range(request.headers.get("Range", ""), handle.size)
    response: HttpResponseBase
    if wanted is None:
        response = FileResponse(
            handle,
            content_type=target.content_type,
            as_attachment=target.download_name is not None,
            filename=target.download_name or "",
        )
    elif isinstance(wanted, str):  # unsatisfiable
        handle.close()
        response = HttpResponse(status=416, headers={"Content-Range": f"bytes */{handle.size}"})
    else:
        # Safari plays a video only from byte ranges, and every browser seeks with them
        # (S3 answers ranges itself; this is the local back-end's equivalent).
        first, last = wanted
        with handle:
            handle.seek(first)
            body = handle.read(last - first + 1)
        response = HttpResponse(body, status=206, content_type=target.content_type)
        response["Content-Range"] = f"bytes {first}-{last}/{handle.size}"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# One range at a time: a <video> asks for one; a bigger one is capped so one request
# cannot pull a whole large original into memory.
_MAX_RANGE_BYTES = 8 * 1024 * 1024


def _byte_range(header: str, size: int) -> tuple[int, int] | str | None:
    """``Range: bytes=a-b`` as (first, last), "unsatisfiable", or None (serve it whole)."""
    unit, _, spec = header.partition("=")
    if unit.strip() != "bytes" or "," in spec or "-" not in spec:
        return None
    start, _, end = (part.strip() for part in spec.partition("-"))
    try:
        if start:
            first, last = int(start), int(end) if end else size - 1
        else:
            first, last = max(0, size - int(end)), size - 1  # the last N bytes
    except ValueError:
        return None
    if first >= size or first > last:
        return "unsatisfiable"
    return first, min(last, size - 1, first + _MAX_RANGE_BYTES - 1)


@login_required
@require_POST
def delete(request: HttpRequest, public_id: UUID) -> HttpResponse:
    photo = owned_photo(request, public_id)
    do_delete_photo(photo)
    messages.success(request, "The photo and all its files were deleted.")
    return redirect("photos:gallery")


@login_required
@require_POST
def bulk_delete(request: HttpRequest) -> HttpResponse:
    """Delete the checked photos of the gallery; ids that are not the user's are ignored."""
    ids: list[UUID] = []
    for value in request.POST.getlist("photo"):
        try:
            ids.append(UUID(value))
        except ValueError:
            continue
    photos = list(Photo.objects.filter(owner=_user(request), public_id__in=ids))
    if not photos:
        messages.error(request, "Select the photos to delete first.")
        return redirect("photos:gallery")
    count = do_delete_photos(photos)
    messages.success(request, f"Deleted {count} photo{'s' if count != 1 else ''} and all their files.")
    return redirect("photos:gallery")
