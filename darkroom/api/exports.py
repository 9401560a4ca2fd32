"""The data export in the JSON API: /api/v1/exports, the same actions as the /privacy/export/ page."""

from __future__ import annotations

import datetime
from uuid import UUID

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from darkroom.accounts.models import User
from darkroom.privacy import export as exports
from darkroom.privacy.models import Export

router = Router(tags=["privacy"])


class ExportOut(Schema):
    id: UUID
    state: str
    progress: int
    byte_size: int
    error: str
    created_at: datetime.datetime
    finished_at: datetime.datetime | None
    expires_at: datetime.datetime | None
    download_url: str | None


def _user(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def _out(request: HttpRequest, export: Export) -> ExportOut:
    url = None
    if exports.is_downloadable(export):
        signed = exports.download_url(export)
        url = signed if signed.startswith("http") else request.build_absolute_uri(signed)
    return ExportOut(
        id=export.public_id,
        state=export.state,
        progress=export.progress,
        byte_size=export.byte_size,
        error=export.error,
        created_at=export.created_at,
        finished_at=export.finished_at,
        expires_at=export.expires_at,
        download_url=url,
    )


@router.post("", response={200: ExportOut, 202: ExportOut})
def request_export(request: HttpRequest) -> Status[ExportOut]:
    """Ask for an export of all your data (202); while one is queued or running, that one is returned (200).

    Poll ``GET /v1/exports/{id}`` until ``state`` is ``ready``; ``download_url``
    is then a short-lived signed URL (ask again for a fresh one until ``expires_at``).
    """
    export, created = exports.do_request_export(_user(request))
    return Status(202 if created else 200, _out(request, export))


@router.get("/{export_id}", response=ExportOut)
def get_export(request: HttpRequest, export_id: UUID) -> ExportOut:
    return _out(request, get_object_or_404(Export, public_id=export_id, owner=_user(request)))
