"""The JSON API (django-ninja): /api/v1/…, documented at /api/docs.

Browsers use their session (with CSRF); programs send a bearer token from
the account's "API tokens" page.
"""

from __future__ import annotations

import datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, NinjaAPI, Schema, Status
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer, SessionAuth

from darkroom.accounts.actions import user_for_token
from darkroom.accounts.models import User
from darkroom.api.auth import router as auth_router
from darkroom.api.exports import router as exports_router
from darkroom.photos.actions import AlreadyUploaded, do_delete_photo, do_upload_photo
from darkroom.photos.models import Photo
from darkroom.photos.retention import retention_note
from darkroom.photos.uploads import refusals_of
from darkroom.photos.validation import UploadRefused
from darkroom.photos.views import signed_url_for
from darkroom.privacy.usage import record_usage
from darkroom.studio.actions import JobRefused, do_create_job
from darkroom.studio.models import Job


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


auth: list[HttpBearer | APIKeyCookie] = [TokenAuth(), SessionAuth()]
api = NinjaAPI(
    title=f"{settings.PROFILE.brand.name} API",
    version="1",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=auth,
)
api.add_router("/v1/auth", auth_router)
api.add_router("/v1/exports", exports_router)


def _user(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


class Error(Schema):
    detail: str


class PhotoOut(Schema):
    id: UUID
    kind: str
    blurhash: str
    retention: str
    width: int
    height: int
    content_type: str
    byte_size: int
    created_at: datetime.datetime
    url: str
    preview_url: str
    thumbnail_url: str
    download_url: str


class DuplicateOut(Schema):
    detail: str
    photo: PhotoOut


class JobIn(Schema):
    kind: str = Field(
        description="enhance, restore-faces, upscale, critique, generate or animate (as the profile offers)"
    )
    photo: UUID
    params: dict[str, Any] = Field(
        default={},
        description=(
            "enhance: strength 0-1; upscale: scale 2 or 4; generate: preset (a backdrop) and look; "
            "animate: style (push-in, pan, parallax) and seconds 2-10"
        ),
    )


class JobOut(Schema):
    id: UUID
    kind: str
    state: str
    progress: int
    error: str
    input: UUID | None
    result: PhotoOut | None
    report: dict[str, Any] = Field(
        description="what the engine measured: the critique's scores and advice, faces restored, moderation"
    )
    created_at: datetime.datetime
    finished_at: datetime.datetime | None


def _photo_out(request: HttpRequest, photo: Photo) -> PhotoOut:
    def absolute(url: str) -> str:
        return url if url.startswith("http") else request.build_absolute_uri(url)

    return PhotoOut(
        id=photo.public_id,
        kind=photo.kind,
        blurhash=photo.blurhash,
        retention=retention_note(photo),
        width=photo.width,
        height=photo.height,
        content_type=photo.content_type,
        byte_size=photo.byte_size,
        created_at=photo.created_at,
        url=absolute(signed_url_for(photo, "original")),
        preview_url=absolute(signed_url_for(photo, "preview")),
        thumbnail_url=absolute(signed_url_for(photo, "thumb")),
        download_url=absolute(signed_url_for(photo, "original", download=True)),
    )


def _job_out(request: HttpRequest, job: Job) -> JobOut:
    return JobOut(
        id=job.public_id,
        kind=job.kind,
        state=job.state,
        progress=job.progress,
        error=job.error,
        input=job.input.public_id if job.input else None,
        result=_photo_out(request, job.result) if job.result else None,
        report=job.report,
        created_at=job.created_at,
        finished_at=job.finished_at,
    )


@api.get("/v1/photos", response=list[PhotoOut], tags=["photos"])
def list_photos(
    request: HttpRequest, limit: int = 50, before: UUID | None = None, kind: Photo.Kind | None = None
) -> list[PhotoOut]:
    """The caller's photos, newest first; pass the last id as ``before`` for the next page.

    ``kind`` keeps only uploads or only results.
    """
    photos = Photo.objects.filter(owner=_user(request))
    if kind is not None:
        photos = photos.filter(kind=kind)
    if before is not None:
        anchor = get_object_or_404(Photo, public_id=before, owner=_user(request))
        photos = photos.filter(created_at__lte=anchor.created_at).exclude(
            created_at=anchor.created_at, id__gte=anchor.id
        )
    return [_photo_out(request, photo) for photo in photos[: max(1, min(limit, 200))]]


@api.post(
    "/v1/photos",
    response={201: PhotoOut, 400: Error, 409: DuplicateOut, 413: Error, 415: Error, 422: Error},
    tags=["photos"],
    url_name="upload_photo",
    # The file is read from request.FILES by hand, so that a body refused
    # for its size while streaming (photos/uploads.py) still gets its 413.
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                }
            },
        }
    },
)
def upload_photo(request: HttpRequest) -> Status[PhotoOut | Error | DuplicateOut]:
    """Upload one photo (multipart field ``file``): JPEG, PNG, WebP or HEIC.

    409 when the caller already has this exact file (the existing photo is
    returned); 413 past the size or pixel limit, before the body is read
    when its Content-Length already says so.
    """
    file = request.FILES.get("file")  # parses the body: refusals are known after this
    refusals = refusals_of(request)
    if refusals:
        return Status(refusals[0].status, Error(detail=refusals[0].reason))
    if file is None:
        return Status(400, Error(detail="Send the photo in the multipart field 'file'."))
    try:
        photo = do_upload_photo(_user(request), file, file.size or 0)
    except UploadRefused as refusal:
        return Status(refusal.status, Error(detail=refusal.reason))
    except AlreadyUploaded as already:
        return Status(409, DuplicateOut(detail=str(already), photo=_photo_out(request, already.photo)))
    record_usage(request, "upload")
    return Status(201, _photo_out(request, photo))


@api.get("/v1/photos/{photo_id}", response=PhotoOut, tags=["photos"])
def get_photo(request: HttpRequest, photo_id: UUID) -> PhotoOut:
    return _photo_out(request, get_object_or_404(Photo, public_id=photo_id, owner=_user(request)))


@api.delete("/v1/photos/{photo_id}", response={204: None}, tags=["photos"])
def delete_photo(request: HttpRequest, photo_id: UUID) -> Status[None]:
    """Delete a photo and every stored file of it."""
    do_delete_photo(get_object_or_404(Photo, public_id=photo_id, owner=_user(request)))
    return Status(204, None)


@api.post("/v1/jobs", response={201: JobOut, 404: Error, 422: Error}, tags=["jobs"])
def create_job(request: HttpRequest, body: JobIn) -> Status[JobOut | Error]:
    """Start a job on one of the caller's photos; options are checked before the job exists (422 with the reason)."""
    photo = Photo.objects.filter(public_id=body.photo, owner=_user(request)).first()
    if photo is None:
        return Status(404, Error(detail="No such photo."))
    try:
        job = do_create_job(_user(request), body.kind, photo, body.params)
    except JobRefused as refusal:
        return Status(422, Error(detail=str(refusal)))
    record_usage(request, f"job:{job.kind}")
    return Status(201, _job_out(request, job))


@api.get("/v1/jobs/{job_id}", response=JobOut, tags=["jobs"])
def get_job(request: HttpRequest, job_id: UUID) -> JobOut:
    job = get_object_or_404(Job.objects.select_related("input", "result"), public_id=job_id, owner=_user(request))
    return _job_out(request, job)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> Any:
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)
