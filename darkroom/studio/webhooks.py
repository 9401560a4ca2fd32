"""Replicate's webhook: the prediction a job started, heard from Replicate's side.

Polling alone finishes every prediction; the webhook adds what polling
cannot know. Its ``start`` event names the prediction even when the worker
that created it died before reading the id (so the next attempt resumes it
instead of skipping Replicate), and any prediction that no running job
wants (the job was cancelled, or a timed-out create went through after
all and was sent again) is cancelled so it stops billing.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from darkroom.studio.models import Job
from darkroom.studio.providers.replicate import TERMINAL, verify_webhook

log = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def replicate(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Check the signature, then record or cancel the prediction; 2xx tells Replicate to stop retrying."""
    secret = settings.REPLICATE_WEBHOOK_SECRET
    if not secret:
        return HttpResponse(
            "Replicate webhooks are not enabled on this service.", status=404, content_type="text/plain"
        )
    try:
        payload = verify_webhook(request.headers, request.body, secret)
    except ValueError as refused:
        log.warning("replicate webhook refused: %s", refused)
        return HttpResponse(f"Refused: {refused}.", status=400, content_type="text/plain")
    prediction_id, status = payload.get("id"), payload.get("status")
    if not isinstance(prediction_id, str) or not prediction_id or not isinstance(status, str):
        return HttpResponse(
            "Refused: the body names no prediction id and status.", status=400, content_type="text/plain"
        )
    outcome = record_prediction(public_id, prediction_id, status)
    return HttpResponse(outcome, content_type="text/plain")


def record_prediction(public_id: UUID, prediction_id: str, status: str) -> str:
    """What a delivery means for its job, applied under the job's row lock; returns what was done."""
    from darkroom.studio.tasks import cancel_replicate_task

    with transaction.atomic():
        job = Job.objects.select_for_update().filter(public_id=public_id).first()
        if job is None:
            # Deleted with its account, say: nothing to do, and Replicate should not retry.
            return "no such job"
        remote: dict[str, Any] = dict(job.remote or {})
        known = remote.get("replicate")
        if known == prediction_id:
            return "ok"  # the job's own prediction: its worker polls it to the end
        if job.is_final or known:
            # No job wants this one: the job ended, or a create that timed out went through and was sent again.
            if status in TERMINAL:
                return "ignored"
            log.info("job %s: cancelling Replicate prediction %s, which no job uses", job.public_id, prediction_id)
            transaction.on_commit(lambda: cancel_replicate_task(prediction_id))
            return "cancelled"
        # The worker may have died before it read the id: the next attempt resumes this prediction.
        Job.objects.filter(pk=job.pk).update(remote={**remote, "replicate": prediction_id})
        return "recorded"
