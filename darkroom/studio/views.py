"""Job pages: start a job, watch it run, see the result."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from darkroom.accounts.models import User
from darkroom.photos.models import Photo
from darkroom.privacy.usage import record_usage
from darkroom.studio.actions import JobRefused, do_cancel, do_create_job, do_retry
from darkroom.studio.models import Job

# htmx stops polling when the server answers 286.
HTMX_STOP_POLLING = 286


def _owned_job(request: HttpRequest, public_id: UUID) -> Job:
    assert isinstance(request.user, User)
    return get_object_or_404(Job.objects.select_related("input", "result"), public_id=public_id, owner=request.user)


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    try:
        photo = Photo.objects.get(public_id=UUID(request.POST.get("photo", "")), owner=request.user)
    except (ValueError, Photo.DoesNotExist):
        raise Http404 from None
    options = {key: value for key, value in request.POST.items() if key not in {"csrfmiddlewaretoken", "photo", "kind"}}
    try:
        job = do_create_job(request.user, request.POST.get("kind", ""), photo, options)
    except JobRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("photos:detail", public_id=photo.public_id)
    record_usage(request, f"job:{job.kind}")
    return redirect("studio:detail", public_id=job.public_id)


@login_required
@require_GET
def detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return render(request, "studio/detail.html", {"job": _owned_job(request, public_id)})


@login_required
@require_GET
def status(request: HttpRequest, public_id: UUID) -> HttpResponse:
    job = _owned_job(request, public_id)
    response = render(request, "studio/_status.html", {"job": job})
    if job.is_final:
        response.status_code = HTMX_STOP_POLLING
    return response


@login_required
@require_POST
def cancel(request: HttpRequest, public_id: UUID) -> HttpResponse:
    job = _owned_job(request, public_id)
    if do_cancel(job):
        messages.success(request, "The job was cancelled and its credits were given back.")
    else:
        messages.error(request, "This job had already finished.")
    return redirect("studio:detail", public_id=job.public_id)


@login_required
@require_POST
def retry(request: HttpRequest, public_id: UUID) -> HttpResponse:
    job = _owned_job(request, public_id)
    try:
        again = do_retry(job)
    except JobRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("studio:detail", public_id=job.public_id)
    return redirect("studio:detail", public_id=again.public_id)
